"""The catalog: every layer template this process knows, registered explicitly.

* The built-in templates (the packages of `layers.catalog`) are registered by the composition
  root (`layers.wiring`): the engine never imports the catalog. A process adds plugin modules
  with ``LAYERS_EXTRA_TEMPLATES=pkg.module,…``, each exposing ``TEMPLATES: list[Template]``.
  Tests may also call `register` directly.
* Every version of a template stays registered (layers installed on an older version keep
  resolving their commands), and so does every (workflow, version) any of them declares (runs
  recover, and are retried, on the version they started with).
* A template is checked once, at registration: its schemas are valid JSON Schema, its defaults
  satisfy its config schema, its crons parse, its commands name registered workflows.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import jsonschema
from jsonschema.exceptions import SchemaError

from layers.engine.cron import cron_is_valid
from layers.engine.settings import engine_settings
from layers.engine.templates import COMMAND_TRIGGERS, Template, WorkflowFn

if TYPE_CHECKING:
    from layers.models.engine import ProjectLayer

TEMPLATE_ID = re.compile(r"^[a-z][a-z0-9-]{1,62}$")
COMMAND_ID = re.compile(r"^[a-z][a-z0-9-]{0,62}$")


class TemplateError(ValueError):
    """A template definition that cannot be registered."""


_lock = threading.RLock()
_templates: dict[str, dict[str, Template]] = {}
_workflows: dict[tuple[str, int], WorkflowFn] = {}
_loaded = False


def register(template: Template) -> Template:
    """Register `template` (idempotent for the same definition)."""
    with _lock:
        versions = _templates.get(template.id, {})
        existing = versions.get(template.version)
        if existing is not None:
            if existing is template:
                return template
            raise TemplateError(f"template {template.id} {template.version} is already registered")
        _check(template)
        for workflow in template.workflows:
            _workflows.setdefault((workflow.name, workflow.version), workflow.fn)
        _templates.setdefault(template.id, {})[template.version] = template
        return template


def _check(template: Template) -> None:
    def fail(message: str) -> TemplateError:
        return TemplateError(f"template {template.id!r}: {message}")

    if not TEMPLATE_ID.match(template.id):
        raise fail("id must be lowercase letters, digits and dashes")
    if not template.version or len(template.version) > 32:
        raise fail("version must be 1–32 characters")
    schema = template.published_config_schema()
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise fail(f"config_schema is not valid JSON Schema: {exc.message}") from exc
    validator = jsonschema.Draft202012Validator(schema)
    errors = list(validator.iter_errors(dict(template.default_config)))
    if errors:
        raise fail(f"default_config does not satisfy config_schema: {errors[0].message}")
    declared: dict[tuple[str, int], WorkflowFn] = {}
    for workflow in template.workflows:
        key = (workflow.name, workflow.version)
        known = _workflows.get(key)
        if (known is not None and known is not workflow.fn) or (
            key in declared and declared[key] is not workflow.fn
        ):
            raise fail(f"workflow {workflow.name} v{workflow.version} is already another function")
        declared[key] = workflow.fn
    if not template.commands:
        raise fail("a template needs at least one command")
    for command_id, command in template.commands.items():
        where = f"command {command_id!r}"
        if not COMMAND_ID.match(command_id):
            raise fail(f"{where}: id must be lowercase letters, digits and dashes")
        if command.trigger not in COMMAND_TRIGGERS:
            raise fail(f"{where}: trigger must be one of {', '.join(COMMAND_TRIGGERS)}")
        if (command.workflow, command.version) not in declared and (
            command.workflow,
            command.version,
        ) not in _workflows:
            raise fail(f"{where}: workflow {command.workflow} v{command.version} is not registered")
        if command.trigger == "scheduled":
            if not command.default_cron or not cron_is_valid(command.default_cron):
                raise fail(f"{where}: a scheduled command needs a valid five-field default_cron")
        elif command.default_cron or command.probe or command.cron_override:
            raise fail(f"{where}: only scheduled commands have a cron or a probe")
        if command_id == "initialize" and command.trigger != "internal":
            raise fail("initialize must be an internal command")
        if command.parameters_schema is not None:
            try:
                jsonschema.Draft202012Validator.check_schema(dict(command.parameters_schema))
            except SchemaError as exc:
                raise fail(f"{where}: parameters_schema is invalid: {exc.message}") from exc
    for trigger in template.config_change_triggers:
        target = template.commands.get(trigger.command)
        if target is None or target.trigger == "scheduled":
            raise fail(f"config trigger names {trigger.command!r}, not a startable command")
        if not trigger.keys:
            raise fail(f"config trigger of {trigger.command!r} lists no keys")
        if target.parameters_schema is not None and list(
            jsonschema.Draft202012Validator(dict(target.parameters_schema)).iter_errors({})
        ):
            raise fail(f"config trigger {trigger.command!r} must accept empty parameters")


def load(modules: Iterable[str]) -> list[Template]:
    """Import each module and register its ``TEMPLATES``."""
    registered: list[Template] = []
    for name in modules:
        module = importlib.import_module(name)
        templates: Any = getattr(module, "TEMPLATES", None)
        if not isinstance(templates, list | tuple):
            raise TemplateError(f"module {name} has no TEMPLATES list")
        registered.extend(register(t) for t in templates)
    return registered


def ensure_loaded() -> None:
    """Load this process's extra template modules (once). The built-in templates are
    registered by the composition root (`layers.wiring`), which knows the catalog."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        load(engine_settings().extra_template_modules)
        _loaded = True


def get(template_id: str, version: str | None = None) -> Template | None:
    """The template `template_id` at `version` (default: the latest registered)."""
    ensure_loaded()
    versions = _templates.get(template_id)
    if not versions:
        return None
    if version is None:
        return list(versions.values())[-1]
    return versions.get(version)


def for_layer(layer: ProjectLayer) -> Template | None:
    """The template a layer was installed with (the latest version if that one is gone)."""
    return get(layer.template_id, layer.template_version) or get(layer.template_id)


def latest() -> list[Template]:
    ensure_loaded()
    return [list(versions.values())[-1] for _, versions in sorted(_templates.items())]


def with_command(command_id: str) -> list[Template]:
    """Every registered template version that defines `command_id`."""
    ensure_loaded()
    return [
        template
        for versions in _templates.values()
        for template in versions.values()
        if command_id in template.commands
    ]


def workflow(name: str, version: int) -> WorkflowFn:
    ensure_loaded()
    fn = _workflows.get((name, version))
    if fn is None:
        raise LookupError(f"workflow {name} v{version} is not registered in this process")
    return fn
