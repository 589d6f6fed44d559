"""What a layer's config and a command's parameters must be, and which commands may be
executed by hand: each refusal a 422 (or 409) naming the fields at fault."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jsonschema

from layers.engine import cron
from layers.engine.catalog import registry
from layers.engine.templates import Template
from layers.kit.errors import CommandNotExecutable, Conflict, Validation
from layers.models.engine import ProjectLayer

MAX_CONFIG_BYTES = 64 * 1024


def _schema_fields(
    validator: jsonschema.Draft202012Validator, instance: Any, prefix: str
) -> list[dict[str, str]]:
    fields: list[dict[str, str]] = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        path = ".".join([prefix, *(str(p) for p in error.absolute_path)])
        if error.validator == "required" and isinstance(error.instance, Mapping):
            missing = [p for p in error.validator_value if p not in error.instance]
            fields.extend(
                {"field": f"{path}.{name}", "message": "is required", "type": "missing"}
                for name in missing
            )
            continue
        fields.append({"field": path, "message": error.message[:500], "type": str(error.validator)})
    return fields


def validate_config(template: Template, config: dict[str, Any]) -> None:
    """422 naming each bad ``config.…`` field (JSON Schema, then the cron override)."""
    if len(json.dumps(config)) > MAX_CONFIG_BYTES:
        raise Validation.field("config", f"must be at most {MAX_CONFIG_BYTES} bytes as JSON")
    fields = _schema_fields(template.config_validator, config, "config")
    if fields:
        names = ", ".join(sorted({f["field"] for f in fields}))
        raise Validation(f"Invalid config: {names}", fields=fields)
    cron.check_config_cron(config)


def validate_parameters(template: Template, command_id: str, parameters: dict[str, Any]) -> None:
    validator = template.commands[command_id].parameters_validator
    if validator is None:
        return
    fields = _schema_fields(validator, parameters, "parameters")
    if fields:
        names = ", ".join(sorted({f["field"] for f in fields}))
        raise Validation(f"Invalid parameters: {names}", fields=fields)


def check_command(template: Template, command_id: str) -> None:
    """422 for a command the template does not have; 409 for one the engine starts itself."""
    command = template.commands.get(command_id)
    if command is None:
        raise Validation.field(
            "commandId",
            f"template {template.id} has no command '{command_id}'",
            "unknown_command",
            availableCommands=sorted(
                cid for cid, c in template.commands.items() if c.trigger == "executable"
            ),
        )
    if command.trigger != "executable":
        why = (
            "initialize runs once, on install"
            if command_id == "initialize"
            else f"{command_id} is {command.trigger}: the engine starts it"
        )
        raise CommandNotExecutable(
            f"Command {command_id} cannot be executed by hand ({why}).",
            commandId=command_id,
            trigger=command.trigger,
        )


def template_of(layer: ProjectLayer) -> Template:
    """The layer's template; 409 when this deployment does not have it."""
    template = registry.for_layer(layer)
    if template is None:
        raise Conflict(
            f"Template {layer.template_id} is not available in this deployment.",
            templateId=layer.template_id,
        )
    return template
