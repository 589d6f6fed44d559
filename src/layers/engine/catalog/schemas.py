from __future__ import annotations

from typing import Any

from pydantic import Field

from layers.kit.schemas import ApiModel


class CommandOut(ApiModel):
    trigger: str = Field(description="executable | scheduled | internal")
    workflow: str
    workflow_version: int
    description: str
    default_cron: str | None
    cron_override: bool = Field(description="Whether config.schedule.cron overrides the cron.")
    parameters_schema: dict[str, Any] | None


class ConfigTriggerOut(ApiModel):
    command_id: str
    keys: list[str]


class TemplateOut(ApiModel):
    id: str
    name: str
    version: str
    description: str
    config_schema: dict[str, Any]
    default_config: dict[str, Any]
    commands: dict[str, CommandOut]
    config_change_triggers: list[ConfigTriggerOut]


class TemplateList(ApiModel):
    items: list[TemplateOut]
    next_cursor: str | None
