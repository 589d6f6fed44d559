"""Projects: the brand brief, its lifecycle, and what starts when a brief arrives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic.alias_generators import to_camel
from sqlalchemy.orm import Session

from layers.kit import clock
from layers.kit.errors import Validation
from layers.kit.ids import new_id
from layers.kit.pagination import fetch_page
from layers.kit.repository import TenantRepository, TenantScope
from layers.models.jobs import Job
from layers.models.projects import Project
from layers.projects.influencers import service as influencers
from layers.projects.influencers.schemas import InfluencerCreate
from layers.projects.keywords import service as keywords
from layers.projects.schemas import ProjectCreate, ProjectOut, ProjectUpdate

projects = TenantRepository(Project, "prj", "project")

# Called when a project is archived; each returns how many scheduled posts it canceled.
ArchiveHook = Callable[[Session, Project], int]
archive_hooks: list[ArchiveHook] = []


@dataclass(frozen=True)
class BriefJobs:
    keyword_research: Job | None
    first_influencer: Job | None


def create(session: Session, tenant: TenantScope, body: ProjectCreate) -> tuple[Project, BriefJobs]:
    project = Project(
        id=new_id("prj"),
        org_id=tenant.org_id,
        livemode=tenant.livemode,
        **body.model_dump(mode="json"),
    )
    session.add(project)
    session.flush()
    started = BriefJobs(None, None)
    if project.app_description:
        research = keywords.start_research(session, project)
        _, influencer_job = influencers.create(session, project, InfluencerCreate())
        started = BriefJobs(research, influencer_job)
    return project, started


def get(session: Session, tenant: TenantScope, project_id: str) -> Project:
    return projects.get(session, tenant, project_id)


def page(
    session: Session,
    tenant: TenantScope,
    *,
    cursor: str | None,
    limit: int,
    customer_external_id: str | None = None,
    status: str | None = None,
    search: str | None = None,
) -> tuple[list[Project], str | None]:
    stmt = projects.scoped(tenant)
    if customer_external_id is not None:
        stmt = stmt.where(Project.customer_external_id == customer_external_id)
    if status is not None:
        stmt = stmt.where(Project.status == status)
    if search:
        escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(sa.func.lower(Project.name).like(f"%{escaped}%", escape="\\"))
    rows, next_cursor = fetch_page(session, stmt, Project.id, cursor=cursor, limit=limit)
    return list(rows), next_cursor


def count(session: Session, tenant: TenantScope, *, status: str | None = None) -> int:
    """How many projects the tenant has (of `status`)."""
    stmt = projects.scoped(tenant)
    if status is not None:
        stmt = stmt.where(Project.status == status)
    return session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0


def update(session: Session, tenant: TenantScope, project_id: str, body: ProjectUpdate) -> Project:
    """Apply the fields present in the body; a new non-empty appDescription re-runs research."""
    project = projects.get(session, tenant, project_id)
    changes = body.model_dump(mode="json", exclude_unset=True)
    for required in ("name", "timezone", "primary_language", "brand_voice", "target_gender"):
        if required in changes and changes[required] is None:
            raise Validation.field(to_camel(required), "cannot be null", "null_not_allowed")
    status = changes.pop("status", None)
    brief_changed = (
        "app_description" in changes
        and changes["app_description"]
        and changes["app_description"] != project.app_description
    )
    for field, value in changes.items():
        setattr(project, field, value)
    if status is not None and status != project.status:
        _set_status(session, project, status)
    session.flush()
    if brief_changed:
        keywords.start_research(session, project, force=True)
    return project


def archive(session: Session, tenant: TenantScope, project_id: str) -> tuple[Project, int]:
    """Soft archive (idempotent): the data stays, pending scheduled posts are canceled."""
    project = projects.get(session, tenant, project_id)
    canceled = _set_status(session, project, "archived")
    project.archived_at = clock.now()
    session.flush()
    return project, canceled


def _set_status(session: Session, project: Project, status: str) -> int:
    project.status = status
    if status == "active":
        project.archived_at = None
        return 0
    project.archived_at = project.archived_at or clock.now()
    return sum(hook(session, project) for hook in archive_hooks)


def to_out(project: Project) -> ProjectOut:
    return ProjectOut(
        id=project.id,
        organization_id=project.org_id,
        livemode=project.livemode,
        name=project.name,
        status=project.status,
        customer_external_id=project.customer_external_id,
        owner_email=project.owner_email,
        timezone=project.timezone,
        primary_language=project.primary_language,
        app_name=project.app_name,
        app_description=project.app_description,
        tagline=project.tagline,
        brand_voice=project.brand_voice,
        target_gender=project.target_gender,
        keywords_refreshed_at=project.keywords_refreshed_at,
        created_at=project.created_at,
        updated_at=project.updated_at,
        archived_at=project.archived_at,
    )
