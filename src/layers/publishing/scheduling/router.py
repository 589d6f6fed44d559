"""Scheduling: put a container on social accounts at a time; move, cancel and read posts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from layers.kit.http import LayersRouter
from layers.orgs.dependencies import CurrentPrincipal, DbSession, requires
from layers.publishing.scheduling import service, views
from layers.publishing.scheduling.schemas import (
    InternalStatus,
    PostStatus,
    RescheduleBody,
    ScheduleBody,
    ScheduledPostList,
    ScheduledPostOut,
    ScheduleResult,
    TimeBound,
)

BOUND = (
    "The {} `scheduledFor` listed (inclusive), as ISO 8601 text: with `Z` or an offset, or "
    "neither (read as UTC). A number is a 422, not a Unix time."
)

router = LayersRouter(prefix="/v1", tags=["scheduling"])


@router.post(
    "/content/{container_id}/schedule",
    status_code=201,
    dependencies=[requires("publish:write")],
    responses={
        202: {
            "model": ScheduleResult,
            "description": "The content waits for review: nothing is scheduled yet "
            '(`gateStatus: "blocked_on_approval"`); the request is kept and promoted when the '
            "content is approved.",
        }
    },
)
def schedule_content(
    container_id: str,
    body: ScheduleBody,
    principal: CurrentPrincipal,
    session: DbSession,
    response: Response,
) -> ScheduleResult:
    """One scheduled post per target (1–50), all or nothing. A container still generating
    can be scheduled: its posts wait (`pending_assets`) and become ready when it completes.
    Content waiting for review answers 202 `blocked_on_approval`; rejected content 409
    CONTENT_REJECTED."""
    result = service.schedule(session, principal, container_id, body)
    if result.gate_status == "blocked_on_approval":
        response.status_code = 202
    return result


@router.get("/scheduled-posts/{scheduled_post_id}", dependencies=[requires("publish:read")])
def get_scheduled_post(
    scheduled_post_id: str, principal: CurrentPrincipal, session: DbSession
) -> ScheduledPostOut:
    post = service.get(session, principal, scheduled_post_id)
    return views.one_out(session, post)


@router.post(
    "/scheduled-posts/{scheduled_post_id}/reschedule", dependencies=[requires("publish:write")]
)
def reschedule_post(
    scheduled_post_id: str, body: RescheduleBody, principal: CurrentPrincipal, session: DbSession
) -> ScheduledPostOut:
    """Move a post before it starts publishing (409 once it has)."""
    post = service.reschedule(session, principal, scheduled_post_id, body.scheduled_for)
    return views.one_out(session, post)


@router.post("/scheduled-posts/{scheduled_post_id}/retry", dependencies=[requires("publish:write")])
def retry_post(
    scheduled_post_id: str, principal: CurrentPrincipal, session: DbSession
) -> ScheduledPostOut:
    """Retry a post that failed or waits for a person: it publishes at its time, or at the
    next minute when that has passed (409 otherwise, and while its last outcome is unknown)."""
    post = service.retry(session, principal, scheduled_post_id)
    return views.one_out(session, post)


@router.delete("/scheduled-posts/{scheduled_post_id}", dependencies=[requires("publish:write")])
def cancel_post(
    scheduled_post_id: str, principal: CurrentPrincipal, session: DbSession
) -> ScheduledPostOut:
    """Cancel a post (kept with status `canceled`); 409 once it is publishing or published."""
    post = service.cancel(session, principal, scheduled_post_id)
    return views.one_out(session, post)


@router.get("/projects/{project_id}/scheduled-posts", dependencies=[requires("publish:read")])
def list_scheduled_posts(
    project_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    status: Annotated[list[PostStatus] | None, Query()] = None,
    social_account_id: Annotated[str | None, Query(alias="socialAccountId", max_length=64)] = None,
    layer_id: Annotated[str | None, Query(alias="layerId", max_length=64)] = None,
    internal_status: Annotated[
        list[InternalStatus] | None,
        Query(alias="internalStatus", description="The internal status (repeatable)."),
    ] = None,
    since: Annotated[TimeBound | None, Query(description=BOUND.format("earliest"))] = None,
    until: Annotated[TimeBound | None, Query(description=BOUND.format("latest"))] = None,
    cursor: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ScheduledPostList:
    """Newest `scheduledFor` first; `since`/`until` bound it (inclusive). `layerId` keeps a
    distribution layer's slots; `internalStatus` filters on the internal statuses (`pending`,
    `pending_assets`, `ready`, `posting`, `posted`, `draft`, `failed`, `pending_manual`,
    `canceled`)."""
    rows, next_cursor = views.page(
        session,
        principal,
        project_id,
        statuses=[s.value for s in status or []],
        social_account_id=social_account_id,
        layer_id=layer_id,
        internal_statuses=[s.value for s in internal_status or []],
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )
    accounts = views.accounts(session, rows)
    return ScheduledPostList(
        items=[views.to_out(p, accounts.get(p.social_account_id)) for p in rows],
        next_cursor=next_cursor,
    )
