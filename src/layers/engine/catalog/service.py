"""The catalog as the API shows it."""

from __future__ import annotations

from layers.engine.catalog import registry
from layers.engine.catalog.schemas import CommandOut, ConfigTriggerOut, TemplateOut
from layers.engine.templates import Command, Template
from layers.kit.errors import NotFound


def command_out(command: Command) -> CommandOut:
    return CommandOut(
        trigger=command.trigger,
        workflow=command.workflow,
        workflow_version=command.version,
        description=command.description,
        default_cron=command.default_cron,
        cron_override=command.cron_override,
        parameters_schema=dict(command.parameters_schema)
        if command.parameters_schema is not None
        else None,
    )


def to_out(template: Template) -> TemplateOut:
    return TemplateOut(
        id=template.id,
        name=template.name,
        version=template.version,
        description=template.description,
        config_schema=template.published_config_schema(),
        default_config=dict(template.default_config),
        commands={cid: command_out(cmd) for cid, cmd in template.commands.items()},
        config_change_triggers=[
            ConfigTriggerOut(command_id=t.command, keys=list(t.keys))
            for t in template.config_change_triggers
        ],
    )


def get(template_id: str) -> Template:
    template = registry.get(template_id)
    if template is None:
        raise NotFound.of("layer template", template_id)
    return template
