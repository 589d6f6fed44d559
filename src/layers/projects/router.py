"""Projects and what hangs off them: keyword bank and influencers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from layers.jobs import service as jobs
from layers.jobs.schemas import JobAccepted
from layers.kit.http import LayersRouter
from layers.orgs.dependencies import CurrentPrincipal, DbSession, requires
from layers.projects import service
from layers.projects.influencers import service as influencers
from layers.projects.influencers.schemas import (
    InfluencerAccepted,
    InfluencerCreate,
    InfluencerList,
    InfluencerOut,
)
from layers.projects.keywords import service as keywords
from layers.projects.keywords.schemas import KeywordBank
from layers.projects.schemas import (
    ProjectArchived,
    ProjectCreate,
    ProjectList,
    ProjectOut,
    ProjectStatus,
    ProjectUpdate,
)

router = LayersRouter(prefix="/v1", tags=["projects"])

Cursor = Annotated[str | None, Query(max_length=128)]


@router.post("/projects", status_code=201, dependencies=[requires("projects:write")])
def create_project(
    body: ProjectCreate, principal: CurrentPrincipal, session: DbSession
) -> ProjectOut:
    """Create a project. With an appDescription, keyword research and the first influencer
    start in the background."""
    project, _ = service.create(session, principal, body)
    return service.to_out(project)


@router.get("/projects", dependencies=[requires("projects:read")])
def list_projects(
    principal: CurrentPrincipal,
    session: DbSession,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 25,
    customer_external_id: Annotated[
        str | None, Query(alias="customerExternalId", max_length=255)
    ] = None,
    status: ProjectStatus | None = None,
    search: Annotated[str | None, Query(max_length=100)] = None,
) -> ProjectList:
    rows, next_cursor = service.page(
        session,
        principal,
        cursor=cursor,
        limit=limit,
        customer_external_id=customer_external_id,
        status=status.value if status else None,
        search=search,
    )
    return ProjectList(items=[service.to_out(p) for p in rows], next_cursor=next_cursor)


@router.get("/projects/{project_id}", dependencies=[requires("projects:read")])
def get_project(project_id: str, principal: CurrentPrincipal, session: DbSession) -> ProjectOut:
    return service.to_out(service.get(session, principal, project_id))


@router.patch("/projects/{project_id}", dependencies=[requires("projects:write")])
def update_project(
    project_id: str, body: ProjectUpdate, principal: CurrentPrincipal, session: DbSession
) -> ProjectOut:
    return service.to_out(service.update(session, principal, project_id, body))


@router.delete("/projects/{project_id}", dependencies=[requires("projects:write")])
def archive_project(
    project_id: str, principal: CurrentPrincipal, session: DbSession
) -> ProjectArchived:
    """Soft archive: reversible with PATCH status=active. Idempotent."""
    project, canceled = service.archive(session, principal, project_id)
    assert project.archived_at is not None
    return ProjectArchived(
        id=project.id,
        status=project.status,
        archived_at=project.archived_at,
        canceled_scheduled_posts=canceled,
    )


@router.get("/projects/{project_id}/keywords", dependencies=[requires("projects:read")])
def get_keywords(project_id: str, principal: CurrentPrincipal, session: DbSession) -> KeywordBank:
    """The TikTok hashtag bank, best first; ``refreshedAt`` is null until research lands."""
    return keywords.bank(session, service.get(session, principal, project_id))


@router.post(
    "/projects/{project_id}/keywords/refresh",
    status_code=202,
    dependencies=[requires("projects:write")],
)
def refresh_keywords(
    project_id: str, principal: CurrentPrincipal, session: DbSession
) -> JobAccepted:
    project = service.get(session, principal, project_id)
    return jobs.accepted(keywords.start_research(session, project))


@router.get("/projects/{project_id}/influencers", dependencies=[requires("influencers:read")])
def list_influencers(
    project_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    status: Annotated[str | None, Query(pattern="^(pending|training|ready|failed)$")] = None,
) -> InfluencerList:
    project = service.get(session, principal, project_id)
    rows, next_cursor = influencers.page(
        session, project, status=status, cursor=cursor, limit=limit
    )
    return InfluencerList(items=[influencers.summary(i) for i in rows], next_cursor=next_cursor)


@router.post(
    "/projects/{project_id}/influencers",
    status_code=202,
    dependencies=[requires("influencers:write")],
)
def create_influencer(
    project_id: str, body: InfluencerCreate, principal: CurrentPrincipal, session: DbSession
) -> InfluencerAccepted:
    project = service.get(session, principal, project_id)
    influencer, job = influencers.create(session, project, body)
    return influencers.accepted(influencer, job)


@router.get("/influencers/{influencer_id}", dependencies=[requires("influencers:read")])
def get_influencer(
    influencer_id: str, principal: CurrentPrincipal, session: DbSession
) -> InfluencerOut:
    return influencers.to_out(influencers.get(session, principal, influencer_id))
