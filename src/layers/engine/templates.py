"""What a layer template is: config schema and defaults, commands, versioned workflows, hooks.

Templates are plain data plus functions; `layers.engine.catalog.registry` registers them
explicitly and checks them once (schemas are valid JSON Schema, defaults satisfy the schema,
every command's workflow is registered, crons parse). See docs/engine.md for the authoring
guide.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import jsonschema
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from layers.engine.authoring import RunContext
    from layers.models.engine import ProjectLayer
    from layers.models.projects import Project

CommandTrigger = Literal["executable", "scheduled", "internal"]
COMMAND_TRIGGERS: tuple[CommandTrigger, ...] = ("executable", "scheduled", "internal")

WorkflowFn = Callable[["RunContext"], Any]
Probe = Callable[[Session, "ProjectLayer", datetime], bool]


@dataclass(frozen=True)
class Workflow:
    """A versioned workflow: a deterministic function of a `RunContext` that calls activities."""

    name: str
    version: int
    fn: WorkflowFn


@dataclass(frozen=True)
class Command:
    """A verb on a layer.

    * ``executable``: run from the console, the CLI or ``POST …/execute``;
    * ``scheduled``: run by the scheduler on ``default_cron`` (or the layer's
      ``config.schedule.cron`` when ``cron_override``); never callable by hand;
    * ``internal``: started by the engine only (``initialize`` on install, config-change
      triggers).

    ``probe(session, layer, now)`` (scheduled only) answers whether there is anything to do;
    when it answers False the occurrence passes without a run.
    """

    trigger: CommandTrigger
    workflow: str
    version: int
    default_cron: str | None = None
    parameters_schema: Mapping[str, Any] | None = None
    description: str = ""
    cron_override: bool = False
    probe: Probe | None = None

    @cached_property
    def parameters_validator(self) -> jsonschema.Draft202012Validator | None:
        if self.parameters_schema is None:
            return None
        return jsonschema.Draft202012Validator(dict(self.parameters_schema))


@dataclass(frozen=True)
class ConfigTrigger:
    """A change of any of ``keys`` (dotted config paths) starts ``command``."""

    command: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class ConfigCheck:
    """What a template's ``validate`` hook sees: the layer (already flushed; ``config`` is the
    new one), its project, and the config before the change (None on install)."""

    layer: ProjectLayer
    project: Project
    config: dict[str, Any]
    previous: dict[str, Any] | None


Validate = Callable[[Session, ConfigCheck], None]
OnUninstall = Callable[[Session, "ProjectLayer"], None]


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    version: str
    config_schema: Mapping[str, Any]
    default_config: Mapping[str, Any]
    commands: Mapping[str, Command]
    workflows: tuple[Workflow, ...] = ()
    description: str = ""
    config_change_triggers: tuple[ConfigTrigger, ...] = ()
    validate: Validate | None = None
    on_uninstall: OnUninstall | None = None
    singleton: bool = False
    per_command_crons: bool = False
    """Each scheduled command may have its own cron override, ``config.schedule.crons.<id>``
    (a template with several scheduled commands of different cadences)."""

    def command(self, command_id: str) -> Command | None:
        return self.commands.get(command_id)

    def scheduled_commands(self) -> dict[str, Command]:
        return {cid: cmd for cid, cmd in self.commands.items() if cmd.trigger == "scheduled"}

    @property
    def has_cron_override(self) -> bool:
        return any(cmd.cron_override for cmd in self.commands.values())

    def cron_override_commands(self) -> list[str]:
        return [cid for cid, cmd in self.scheduled_commands().items() if cmd.cron_override]

    @cached_property
    def config_validator(self) -> jsonschema.Draft202012Validator:
        return jsonschema.Draft202012Validator(self.published_config_schema())

    def published_config_schema(self) -> dict[str, Any]:
        """The config schema as published (and enforced): with ``schedule.cron`` added when
        a command accepts a cron override and the template did not declare it itself."""
        schema: dict[str, Any] = copy.deepcopy(dict(self.config_schema))
        if not self.has_cron_override:
            return schema
        properties = schema.setdefault("properties", {})
        schedule = properties.setdefault(
            "schedule", {"type": "object", "additionalProperties": False, "properties": {}}
        )
        schedule.setdefault("properties", {}).setdefault(
            "cron",
            {
                "type": "string",
                "maxLength": 120,
                "description": "Cron override (5 fields, UTC) for this layer's scheduled "
                "command; the template default applies when absent.",
            },
        )
        if self.per_command_crons:
            schedule["properties"].setdefault(
                "crons",
                {
                    "type": "object",
                    "additionalProperties": False,
                    "description": "Per command: a cron override (5 fields, UTC) of that "
                    "scheduled command alone; wins over schedule.cron.",
                    "properties": {
                        cid: {"type": "string", "maxLength": 120}
                        for cid in self.cron_override_commands()
                    },
                },
            )
        return schema


def cron_for(template: Template, command_id: str, config: Mapping[str, Any]) -> str | None:
    """The cron a scheduled command of a layer runs on: the layer's override, else the default."""
    command = template.commands.get(command_id)
    if command is None or command.trigger != "scheduled":
        return None
    if command.cron_override:
        own = config_crons(config).get(command_id) if template.per_command_crons else None
        override = own or config_cron(config)
        if override:
            return override
    return command.default_cron


def config_crons(config: Mapping[str, Any]) -> dict[str, str]:
    """``config.schedule.crons``: per-command overrides (templates with `per_command_crons`)."""
    schedule = config.get("schedule")
    crons = schedule.get("crons") if isinstance(schedule, Mapping) else None
    if not isinstance(crons, Mapping):
        return {}
    return {str(k): v for k, v in crons.items() if isinstance(v, str)}


def config_cron(config: Mapping[str, Any]) -> str | None:
    schedule = config.get("schedule")
    if isinstance(schedule, Mapping):
        cron = schedule.get("cron")
        if isinstance(cron, str):
            return cron
    return None
