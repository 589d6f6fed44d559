from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.jobs import service as jobs
from layers.kit import durable
from layers.kit.ids import new_id
from layers.kit.pagination import fetch_page
from layers.kit.repository import TenantRepository, TenantScope
from layers.kit.settings import get_settings
from layers.kit.storage import signed_url
from layers.models.jobs import Job
from layers.models.projects import Influencer, Project
from layers.projects.influencers.persona import default_gender
from layers.projects.influencers.schemas import (
    InfluencerAccepted,
    InfluencerCreate,
    InfluencerOut,
    InfluencerSummary,
)
from layers.projects.influencers.workflows import WORKFLOW, CreateInfluencerInput, image_key

JOB_KIND = "influencer_create"
IMAGE_URL_TTL = 365 * 24 * 3600
influencers = TenantRepository(Influencer, "inf", "influencer")


def create(session: Session, project: Project, body: InfluencerCreate) -> tuple[Influencer, Job]:
    """A ``pending`` influencer and the job that trains it (enqueued in this transaction)."""
    influencer = Influencer(
        id=new_id("inf"),
        org_id=project.org_id,
        livemode=project.livemode,
        project_id=project.id,
        gender=(body.gender.value if body.gender else default_gender(project.target_gender)),
        age_range=body.age_range.value,
        brand_voice=project.brand_voice,
        language=project.primary_language,
        prompt=body.prompt,
        status="pending",
    )
    session.add(influencer)
    session.flush()
    job = jobs.create(
        session,
        org_id=project.org_id,
        livemode=project.livemode,
        kind=JOB_KIND,
        project_id=project.id,
        subject_id=influencer.id,
    )
    durable.enqueue(
        session,
        get_settings(),
        WORKFLOW,
        CreateInfluencerInput(job.id, influencer.id),
        workflow_id=job.id,
        queue=durable.RENDERING.name,
        partition_key=influencer.org_id,
    )
    return influencer, job


def get(session: Session, tenant: TenantScope, influencer_id: str) -> Influencer:
    return influencers.get(session, tenant, influencer_id)


def page(
    session: Session, project: Project, *, status: str | None, cursor: str | None, limit: int
) -> tuple[list[Influencer], str | None]:
    stmt = sa.select(Influencer).where(
        Influencer.project_id == project.id, Influencer.archived_at.is_(None)
    )
    if status:
        stmt = stmt.where(Influencer.status == status)
    rows, next_cursor = fetch_page(session, stmt, Influencer.id, cursor=cursor, limit=limit)
    return list(rows), next_cursor


def _url(influencer: Influencer, variant: str) -> str | None:
    if influencer.status != "ready":
        return None
    return signed_url(get_settings(), image_key(influencer.id, variant), IMAGE_URL_TTL)


def summary(influencer: Influencer) -> InfluencerSummary:
    return InfluencerSummary(
        influencer_id=influencer.id,
        name=influencer.name,
        gender=influencer.gender,
        age_range=influencer.age_range,
        status=influencer.status,
        thumbnail_url=_url(influencer, "thumbnail"),
        created_at=influencer.created_at,
    )


def to_out(influencer: Influencer) -> InfluencerOut:
    return InfluencerOut(
        influencer_id=influencer.id,
        project_id=influencer.project_id,
        name=influencer.name,
        image_url=_url(influencer, "avatar"),
        thumbnail_url=_url(influencer, "thumbnail"),
        gender=influencer.gender,
        age_range=influencer.age_range,
        brand_voice=influencer.brand_voice,
        language=influencer.language,
        prompt=influencer.prompt,
        status=influencer.status,
        error_message=influencer.error_message,
        persona=influencer.persona,
        created_at=influencer.created_at,
        updated_at=influencer.updated_at,
    )


def accepted(influencer: Influencer, job: Job) -> InfluencerAccepted:
    return InfluencerAccepted(
        influencer_id=influencer.id,
        project_id=influencer.project_id,
        **jobs.accepted(job).model_dump(exclude={"project_id"}),
    )


def _on_job_canceled(session: Session, job: Job) -> None:
    if job.subject_id:
        session.execute(
            sa.update(Influencer)
            .where(Influencer.id == job.subject_id, Influencer.status.in_(["pending", "training"]))
            .values(status="failed", error_message="Creation was canceled.")
        )


jobs.on_cancel(JOB_KIND, _on_job_canceled)
