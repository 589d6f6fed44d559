from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.jobs import service as jobs
from layers.kit import durable
from layers.kit.errors import MissingFields
from layers.kit.settings import get_settings
from layers.models.jobs import Job
from layers.models.projects import Project, ProjectHashtag
from layers.projects.keywords.schemas import Hashtag, KeywordBank
from layers.projects.keywords.workflows import WORKFLOW, ResearchInput

JOB_KIND = "keyword_research"


def start_research(session: Session, project: Project, *, force: bool = False) -> Job:
    """A keyword-research job and its workflow, enqueued in the caller's transaction.

    While one research run is in flight for the project it is returned instead of a second,
    unless `force` (the brief changed, so the running one researches a stale brief).
    """
    if not project.app_description:
        raise MissingFields(
            "Keyword research needs the project's appDescription.", ["appDescription"]
        )
    running = session.scalar(
        sa.select(Job)
        .where(Job.project_id == project.id, Job.kind == JOB_KIND, Job.status == "running")
        .order_by(Job.id.desc())
        .limit(1)
    )
    if running is not None and not force:
        return running
    job = jobs.create(
        session,
        org_id=project.org_id,
        livemode=project.livemode,
        kind=JOB_KIND,
        project_id=project.id,
        subject_id=project.id,
    )
    durable.enqueue(
        session,
        get_settings(),
        WORKFLOW,
        ResearchInput(job.id, project.id),
        workflow_id=job.id,
        queue=durable.INTERACTIVE.name,
    )
    return job


def bank(session: Session, project: Project) -> KeywordBank:
    rows = session.scalars(
        sa.select(ProjectHashtag)
        .where(ProjectHashtag.project_id == project.id)
        .order_by(
            ProjectHashtag.score.desc(),
            ProjectHashtag.view_count.desc().nulls_last(),
            ProjectHashtag.hashtag,
        )
    )
    return KeywordBank(
        project_id=project.id,
        hashtags=[Hashtag.model_validate(row) for row in rows],
        refreshed_at=project.keywords_refreshed_at,
    )
