from __future__ import annotations

from sqlalchemy.orm import Session

from layers.jobs import service as jobs
from layers.kit import durable
from layers.kit.errors import MissingFields
from layers.kit.settings import get_settings
from layers.models.jobs import Job
from layers.models.projects import Project
from layers.projects.keywords import repository
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
    running = repository.running_job(session, project.id, JOB_KIND)
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
    rows = repository.ranked_bank(session, project.id)
    return KeywordBank(
        project_id=project.id,
        hashtags=[Hashtag.model_validate(row) for row in rows],
        refreshed_at=project.keywords_refreshed_at,
    )
