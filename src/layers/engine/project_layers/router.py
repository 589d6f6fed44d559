"""Project layers: install, read, configure (versioned), pause/resume, uninstall."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from layers.engine.project_layers import lifecycle, outputs, service
from layers.engine.project_layers.schemas import (
    ConfigHistory,
    LayerInstall,
    LayerList,
    LayerOut,
    LayerRollback,
    LayerStatus,
    LayerUpdate,
    LayerUpdated,
    TemplateId,
)
from layers.kit.http import LayersRouter
from layers.orgs.dependencies import CurrentPrincipal, DbSession, requires
from layers.projects import service as projects

router = LayersRouter(prefix="/v1", tags=["layers"])

Cursor = Annotated[str | None, Query(max_length=128)]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post(
    "/projects/{project_id}/layers", status_code=201, dependencies=[requires("layers:write")]
)
def install_layer(
    project_id: str, body: LayerInstall, principal: CurrentPrincipal, session: DbSession
) -> LayerOut:
    """Install a template on a project. The layer is ``installing`` while its ``initialize``
    command runs (``installRunId``), then ``active`` (or ``failed``, with ``error``)."""
    layer = service.install(session, principal, project_id, body)
    return outputs.to_out(session, layer)


@router.get("/projects/{project_id}/layers", dependencies=[requires("layers:read")])
def list_project_layers(
    project_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    cursor: Cursor = None,
    limit: Limit = 25,
    status: LayerStatus | None = None,
    template_id: Annotated[TemplateId | None, Query(alias="templateId")] = None,
) -> LayerList:
    project = projects.get(session, principal, project_id)
    rows, next_cursor = service.page(
        session,
        principal,
        cursor=cursor,
        limit=limit,
        project_id=project.id,
        template_id=template_id,
        status=status.value if status else None,
    )
    return LayerList(items=outputs.to_outs(session, rows), next_cursor=next_cursor)


@router.get("/layers", dependencies=[requires("layers:read")])
def list_layers(
    principal: CurrentPrincipal,
    session: DbSession,
    cursor: Cursor = None,
    limit: Limit = 25,
    project_id: Annotated[str | None, Query(alias="projectId", max_length=40)] = None,
    status: LayerStatus | None = None,
    template_id: Annotated[TemplateId | None, Query(alias="templateId")] = None,
) -> LayerList:
    """Every layer of the organization (in the key's mode), newest first."""
    rows, next_cursor = service.page(
        session,
        principal,
        cursor=cursor,
        limit=limit,
        project_id=project_id,
        template_id=template_id,
        status=status.value if status else None,
    )
    return LayerList(items=outputs.to_outs(session, rows), next_cursor=next_cursor)


@router.get("/layers/{layer_id}", dependencies=[requires("layers:read")])
def get_layer(layer_id: str, principal: CurrentPrincipal, session: DbSession) -> LayerOut:
    return outputs.to_out(session, service.get(session, principal, layer_id))


@router.patch("/layers/{layer_id}", dependencies=[requires("layers:write")])
def update_layer(
    layer_id: str, body: LayerUpdate, principal: CurrentPrincipal, session: DbSession
) -> LayerUpdated:
    """Change the config (a JSON Merge Patch). Every change is a new version; a change of a key
    the template watches starts its command (``triggeredRunIds``)."""
    layer, started = service.update(session, principal, layer_id, body.config)
    out = outputs.to_out(session, layer)
    return LayerUpdated(**out.model_dump(), triggered_run_ids=[r.id for r in started])


@router.get("/layers/{layer_id}/config-history", dependencies=[requires("layers:read")])
def config_history(
    layer_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    cursor: Cursor = None,
    limit: Limit = 25,
) -> ConfigHistory:
    """Every version of the config, newest first."""
    layer = service.get(session, principal, layer_id)
    rows, next_cursor = service.history_page(session, layer, cursor=cursor, limit=limit)
    return ConfigHistory(items=[outputs.version_out(r) for r in rows], next_cursor=next_cursor)


@router.post("/layers/{layer_id}/rollback", dependencies=[requires("layers:write")])
def rollback_layer(
    layer_id: str, body: LayerRollback, principal: CurrentPrincipal, session: DbSession
) -> LayerUpdated:
    """Restore the config of an earlier version (as a new version)."""
    layer, started = service.rollback(session, principal, layer_id, body.version)
    out = outputs.to_out(session, layer)
    return LayerUpdated(**out.model_dump(), triggered_run_ids=[r.id for r in started])


@router.post("/layers/{layer_id}/pause", dependencies=[requires("layers:write")])
def pause_layer(layer_id: str, principal: CurrentPrincipal, session: DbSession) -> LayerOut:
    """Stop scheduled commands (runs in flight finish). Idempotent."""
    return outputs.to_out(session, lifecycle.pause(session, principal, layer_id))


@router.post("/layers/{layer_id}/resume", dependencies=[requires("layers:write")])
def resume_layer(layer_id: str, principal: CurrentPrincipal, session: DbSession) -> LayerOut:
    """Schedule again from now. Idempotent."""
    return outputs.to_out(session, lifecycle.resume(session, principal, layer_id))


@router.delete("/layers/{layer_id}", dependencies=[requires("layers:write")])
def uninstall_layer(layer_id: str, principal: CurrentPrincipal, session: DbSession) -> LayerOut:
    """Uninstall (soft: the layer, its config history and runs stay readable). Idempotent."""
    return outputs.to_out(session, lifecycle.uninstall(session, principal, layer_id))
