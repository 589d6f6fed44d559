"""Runs: execute a command, follow it (detail, logs, live stream), retry, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from layers.engine.project_layers import execution
from layers.engine.project_layers import service as layers
from layers.engine.project_layers.schemas import (
    CommandId,
    CrossLayerExecute,
    ExecuteRequest,
    ManualTrigger,
)
from layers.engine.runs import canceling, outputs, retrying, service, stream
from layers.engine.runs.schemas import (
    FanoutAccepted,
    LogList,
    RunAccepted,
    RunDetail,
    RunList,
    RunOut,
    RunStatus,
    RunTrigger,
)
from layers.engine.settings import engine_settings
from layers.kit import sse
from layers.kit.http import LayersRouter
from layers.orgs.dependencies import CurrentPrincipal, DbSession, requires

router = LayersRouter(tags=["layers"])

Cursor = Annotated[str | None, Query(max_length=128)]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post(
    "/api/project-layers/{project_layer_id}/execute",
    status_code=202,
    dependencies=[requires("layers:execute")],
)
def execute_command(
    project_layer_id: str, body: ExecuteRequest, principal: CurrentPrincipal, session: DbSession
) -> RunAccepted:
    """Start a command of a layer. ``initialize`` and scheduled commands are refused
    (``COMMAND_NOT_EXECUTABLE``); a paused or uninstalled layer is a ``409``."""
    run = execution.execute(session, principal, project_layer_id, body)
    return outputs.accepted(run)


@router.post("/api/commands/execute", status_code=202, dependencies=[requires("layers:execute")])
def execute_across_layers(
    body: CrossLayerExecute, principal: CurrentPrincipal, session: DbSession
) -> FanoutAccepted:
    """Run a command on every matching layer of the organization: a parent run with one child
    run per layer."""
    parent, children, skipped = execution.execute_across(session, principal, body)
    return FanoutAccepted(
        **outputs.accepted(parent).model_dump(),
        child_run_ids=[c.id for c in children],
        skipped=skipped,
    )


@router.get("/v1/layers/{layer_id}/runs", dependencies=[requires("layers:read")])
def list_layer_runs(
    layer_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    cursor: Cursor = None,
    limit: Limit = 25,
    command_id: Annotated[CommandId | None, Query(alias="commandId")] = None,
    status: RunStatus | None = None,
    trigger: RunTrigger | None = None,
) -> RunList:
    """A layer's runs, newest first."""
    layer = layers.get(session, principal, layer_id)
    rows, next_cursor = service.page(
        session,
        principal,
        cursor=cursor,
        limit=limit,
        layer_id=layer.id,
        command_id=command_id,
        status=status.value if status else None,
        trigger=trigger.value if trigger else None,
    )
    return RunList(items=[outputs.to_out(r) for r in rows], next_cursor=next_cursor)


@router.get("/v1/runs", dependencies=[requires("layers:read")])
def list_runs(
    principal: CurrentPrincipal,
    session: DbSession,
    cursor: Cursor = None,
    limit: Limit = 25,
    layer_id: Annotated[str | None, Query(alias="layerId", max_length=40)] = None,
    project_id: Annotated[str | None, Query(alias="projectId", max_length=40)] = None,
    parent_run_id: Annotated[str | None, Query(alias="parentRunId", max_length=40)] = None,
    command_id: Annotated[CommandId | None, Query(alias="commandId")] = None,
    status: RunStatus | None = None,
    trigger: RunTrigger | None = None,
) -> RunList:
    """The organization's runs, newest first (``parentRunId`` lists a cross-layer run's
    children)."""
    rows, next_cursor = service.page(
        session,
        principal,
        cursor=cursor,
        limit=limit,
        layer_id=layer_id,
        project_id=project_id,
        parent_run_id=parent_run_id,
        command_id=command_id,
        status=status.value if status else None,
        trigger=trigger.value if trigger else None,
    )
    return RunList(items=[outputs.to_out(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/v1/runs/{run_id}",
    dependencies=[requires("layers:read")],
    responses={304: {"description": "Not modified (If-None-Match matched the ETag)"}},
)
def get_run(
    run_id: str, request: Request, principal: CurrentPrincipal, session: DbSession
) -> RunDetail:
    """A run with its activities in order. Send ``If-None-Match`` to get a 304 when unchanged."""
    out = outputs.detail(session, service.get(session, principal, run_id))
    tag = outputs.etag(out)
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers={"ETag": tag})  # type: ignore[return-value]
    return JSONResponse(  # type: ignore[return-value]
        out.model_dump(mode="json", by_alias=True), headers={"ETag": tag}
    )


@router.get("/v1/runs/{run_id}/logs", dependencies=[requires("layers:read")])
def get_run_logs(
    run_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> LogList:
    """A run's log lines, oldest first."""
    run = service.get(session, principal, run_id)
    rows, next_cursor = service.logs_page(session, run, cursor=cursor, limit=limit)
    return LogList(items=[outputs.log_out(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/v1/runs/{run_id}/logs/stream",
    dependencies=[requires("layers:read")],
    response_class=StreamingResponse,
    responses={
        200: sse.event_stream(
            "Server-Sent Events: run, activity, log, then end (or timeout); see docs/engine.md. "
            "The schema describes one event; `data` is JSON.",
            sse.event(
                "run",
                {
                    "type": "object",
                    "required": ["id", "status", "startedAt", "finishedAt", "error"],
                    "properties": {
                        "id": {"type": "string"},
                        "status": {"$ref": "#/components/schemas/RunStatus"},
                        "startedAt": {"type": ["string", "null"]},
                        "finishedAt": {"type": ["string", "null"]},
                        "error": {
                            "anyOf": [{"$ref": "#/components/schemas/RunError"}, {"type": "null"}]
                        },
                    },
                },
            ),
            sse.event("activity", {"$ref": "#/components/schemas/ActivityOut"}),
            sse.event("log", {"$ref": "#/components/schemas/LogOut"}, with_id=True),
            sse.event(
                "end",
                {
                    "type": "object",
                    "required": ["status"],
                    "properties": {"status": {"$ref": "#/components/schemas/RunStatus"}},
                },
            ),
            sse.event(
                "timeout",
                {
                    "type": "object",
                    "required": ["lastEventId"],
                    "properties": {"lastEventId": {"type": "integer"}},
                },
            ),
        )
    },
)
def stream_run_logs(
    run_id: str,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="Last log id seen.")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=32)] = None,
) -> StreamingResponse:
    """Follow a run live: its log lines as they are written, activity and status changes, and
    an ``end`` event once it is over. Reconnect with ``Last-Event-ID`` (or ``after``)."""
    run = service.get(session, principal, run_id)
    start = after or 0
    if last_event_id and last_event_id.strip().isdigit():
        start = max(start, int(last_event_id.strip()))
    return StreamingResponse(
        stream.events(request, run.id, start, engine_settings().stream_poll_interval),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post("/v1/runs/{run_id}/retry", status_code=202, dependencies=[requires("layers:execute")])
def retry_run(
    run_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    trigger: ManualTrigger = ManualTrigger.api,
) -> RunAccepted:
    """Retry a failed (or canceled) run: a new run (``retryOf``) that starts at the failed
    activity and keeps the completed ones without running them again."""
    return outputs.accepted(retrying.retry(session, principal, run_id, trigger=trigger.value))


@router.post("/v1/runs/{run_id}/cancel", dependencies=[requires("layers:execute")])
def cancel_run(run_id: str, principal: CurrentPrincipal, session: DbSession) -> RunOut:
    """Cancel a queued or running run (a cross-layer run with its children). Idempotent."""
    return outputs.to_out(canceling.cancel(session, principal, run_id))
