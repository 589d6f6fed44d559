from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field

from layers.kit.schemas import ApiModel, RequestModel, UtcDateTime

TemplateId = Annotated[str, Field(min_length=2, max_length=64, pattern=r"^[a-z][a-z0-9-]{1,63}$")]
CommandId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9-]{0,63}$")]
LayerId = Annotated[str, Field(min_length=4, max_length=40, pattern=r"^lyr_[0-9A-Z]{26}$")]
ProjectId = Annotated[str, Field(min_length=4, max_length=40, pattern=r"^prj_[0-9A-Z]{26}$")]


class LayerStatus(StrEnum):
    installing = "installing"
    active = "active"
    paused = "paused"
    failed = "failed"
    uninstalled = "uninstalled"


class ManualTrigger(StrEnum):
    """Who asked for a run by hand (recorded on the run; the console and the CLI say so)."""

    api = "api"
    cli = "cli"
    console = "console"


class LayerInstall(RequestModel):
    template_id: TemplateId
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="Merged over the template's defaultConfig, then validated by its schema.",
    )


class LayerUpdate(RequestModel):
    config: dict[str, Any] = Field(
        description="A JSON Merge Patch (RFC 7396) of the config: objects merge, null removes "
        "a key, anything else replaces."
    )


class LayerRollback(RequestModel):
    version: int = Field(ge=1, le=1_000_000_000, description="The config version to restore.")


class ExecuteRequest(RequestModel):
    command_id: CommandId
    parameters: dict[str, Any] = Field(default_factory=dict)
    trigger: ManualTrigger = ManualTrigger.api


class CrossLayerFilters(RequestModel):
    project_id: ProjectId | None = None
    template_ids: Annotated[list[TemplateId], Field(max_length=50)] | None = None
    status_filter: (
        Annotated[list[LayerStatus], Field(min_length=1, max_length=5)] | LayerStatus | None
    ) = Field(default=None, description="Layer status(es) to match (default: active only).")
    where_contains: dict[str, Any] | None = Field(
        default=None, description="JSON the layer's config must contain (PostgreSQL @>)."
    )


class CrossLayerExecute(RequestModel):
    command_id: CommandId
    parameters: dict[str, Any] = Field(default_factory=dict)
    filters: CrossLayerFilters = Field(default_factory=CrossLayerFilters)
    trigger: ManualTrigger = ManualTrigger.api


class LayerCommandOut(ApiModel):
    trigger: str
    workflow: str
    workflow_version: int
    description: str
    parameters_schema: dict[str, Any] | None
    cron: str | None = Field(description="Effective cron (scheduled commands).")
    next_run_at: UtcDateTime | None
    last_run_at: UtcDateTime | None = Field(
        description="When the command's most recent run was started (whatever its trigger)."
    )
    last_run_id: str | None = Field(description="The command's most recent run.")


class LayerError(ApiModel):
    code: str | None
    message: str | None
    run_id: str | None


class LayerOut(ApiModel):
    id: str
    livemode: bool
    project_id: str
    template_id: str
    template_version: str
    name: str
    status: str
    config: dict[str, Any]
    config_version: int
    error: LayerError | None
    install_run_id: str | None
    last_run_at: UtcDateTime | None = Field(
        description="When the layer's most recent run (of any command) was started."
    )
    last_run_id: str | None = Field(description="The layer's most recent run, of any command.")
    commands: dict[str, LayerCommandOut]
    created_at: UtcDateTime
    updated_at: UtcDateTime
    paused_at: UtcDateTime | None
    uninstalled_at: UtcDateTime | None


class LayerUpdated(LayerOut):
    triggered_run_ids: list[str] = Field(
        description="Runs started because a key the template watches changed."
    )


class LayerList(ApiModel):
    items: list[LayerOut]
    next_cursor: str | None


class ConfigVersionOut(ApiModel):
    id: str
    layer_id: str
    version: int
    config: dict[str, Any]
    changed_keys: list[str]
    source: str = Field(description="install | update | rollback")
    rolled_back_to: int | None
    actor_key_id: str | None
    request_id: str | None
    created_at: UtcDateTime


class ConfigHistory(ApiModel):
    items: list[ConfigVersionOut]
    next_cursor: str | None
