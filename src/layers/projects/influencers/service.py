from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.jobs import service as jobs
from layers.kit import clock, durable
from layers.kit.errors import Conflict, NotFound, Validation
from layers.kit.ids import new_id
from layers.kit.pagination import fetch_page
from layers.kit.repository import TenantRepository, TenantScope
from layers.kit.settings import get_settings
from layers.kit.storage import get_storage, signed_url
from layers.models.jobs import Job
from layers.models.projects import Influencer, Project
from layers.projects.influencers import avatar, repository
from layers.projects.influencers import persona as persona_mod
from layers.projects.influencers.persona import default_gender
from layers.projects.influencers.schemas import (
    AgeRange,
    CloneOverrides,
    InfluencerAccepted,
    InfluencerClone,
    InfluencerCreate,
    InfluencerDelete,
    InfluencerDeleted,
    InfluencerOut,
    InfluencerSummary,
    InfluencerUpdate,
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
    return influencer, _enqueue_creation(session, project, influencer, JOB_KIND)


def _enqueue_creation(session: Session, project: Project, influencer: Influencer, kind: str) -> Job:
    """The job and the creation workflow (persona, avatar), enqueued in this transaction."""
    job = jobs.create(
        session,
        org_id=project.org_id,
        livemode=project.livemode,
        kind=kind,
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
    return job


def get(session: Session, tenant: TenantScope, influencer_id: str) -> Influencer:
    """A live influencer; a deleted (archived) one is a 404 like a missing one."""
    influencer = influencers.get(session, tenant, influencer_id)
    if influencer.archived_at is not None:
        raise NotFound.of("influencer", influencer_id)
    return influencer


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


def training_job(session: Session, influencer: Influencer) -> Job | None:
    """The job that creates (trains) `influencer`: its stage and progress while it trains."""
    return repository.training_job(session, influencer, JOB_KIND)


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
        cloned_from=influencer.cloned_from,
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


# ---- changing, cloning, deleting -----------------------------------------------------------

CLONE_JOB_KIND = "influencer_clone"
# What changes the look: a ready influencer is redrawn (same face) when one of these changes.
LOOKS = ("gender", "age_range", "brand_voice")


def _live(session: Session, tenant: TenantScope, influencer_id: str) -> Influencer:
    """A non-archived influencer (an archived one is a 404, as if gone)."""
    influencer = influencers.get(session, tenant, influencer_id, for_update=True)
    if influencer.archived_at is not None:
        raise NotFound.of("influencer", influencer_id)
    return influencer


def update(
    session: Session, tenant: TenantScope, influencer_id: str, body: InfluencerUpdate
) -> Influencer:
    """Change the given fields. A new gender, age range or brand voice redraws a ready
    influencer's avatar with the same face (synchronously: a fraction of a second); while it
    is still being created those three are a 409 (wait until it is ready)."""
    sent = body.model_fields_set
    if not sent:
        raise Validation("Send at least one field to change.", fields=[])
    for name in ("name", "gender", "brand_voice", "language"):
        if name in sent and getattr(body, name) is None:
            field = {"brand_voice": "brandVoice"}.get(name, name)
            raise Validation.field(field, "cannot be cleared", "not_nullable")
    influencer = _live(session, tenant, influencer_id)
    wanted = {
        "gender": body.gender.value if body.gender else influencer.gender,
        "age_range": (body.age_range or AgeRange.young_adult).value
        if "age_range" in sent
        else influencer.age_range,
        "brand_voice": body.brand_voice.value if body.brand_voice else influencer.brand_voice,
    }
    restyled = any(wanted[k] != getattr(influencer, k) for k in LOOKS)
    if restyled and influencer.status != "ready":
        raise Conflict(
            f"Influencer {influencer.id} is {influencer.status}; change its look once it is ready.",
            influencerId=influencer.id,
            status=influencer.status,
        )
    if "name" in sent and body.name is not None:
        influencer.name = body.name
    if "language" in sent and body.language is not None:
        influencer.language = body.language
    if restyled:
        project = session.get(Project, influencer.project_id)
        assert project is not None
        designed = persona_mod.restyle(
            dict(influencer.persona or {}),
            seed=f"{influencer.id}:{wanted['gender']}:{wanted['age_range']}",
            app_name=project.app_name,
            **wanted,
        )
        influencer.gender = wanted["gender"]
        influencer.age_range = wanted["age_range"]
        influencer.brand_voice = wanted["brand_voice"]
        influencer.persona = {**designed.to_dict(), "name": influencer.name or designed.name}
        _draw(influencer.id, designed)
    session.flush()
    return influencer


def _draw(influencer_id: str, designed: persona_mod.Persona) -> None:
    """Redraw inside the request (a restyle): always the drawn portrait, never the image
    model, which takes seconds while the request holds a write transaction (on SQLite, the
    database's write lock)."""
    image = avatar.render(designed)
    storage = get_storage(get_settings())
    storage.put(image_key(influencer_id, "avatar"), avatar.encode_png(image), "image/png")
    storage.put(
        image_key(influencer_id, "thumbnail"),
        avatar.encode_png(image, avatar.THUMB),
        "image/png",
    )


def clone(
    session: Session, tenant: TenantScope, influencer_id: str, body: InfluencerClone
) -> tuple[Influencer, Job]:
    """A new ``pending`` influencer with the source's face and persona (restyled by the
    overrides) and the given name, created by the same workflow as any influencer."""
    source = _live(session, tenant, influencer_id)
    if source.status != "ready" or not source.persona:
        raise Conflict(
            f"Influencer {source.id} is {source.status}; clone it once it is ready.",
            influencerId=source.id,
            status=source.status,
        )
    overrides = body.overrides or CloneOverrides()
    project = session.get(Project, source.project_id)
    assert project is not None
    looks = {
        "gender": overrides.gender.value if overrides.gender else source.gender,
        "age_range": overrides.age_range.value if overrides.age_range else source.age_range,
        "brand_voice": (
            overrides.brand_voice.value if overrides.brand_voice else source.brand_voice
        ),
    }
    new = Influencer(
        id=new_id("inf"),
        org_id=source.org_id,
        livemode=source.livemode,
        project_id=source.project_id,
        name=body.name,
        language=overrides.language or source.language,
        prompt=source.prompt,
        status="pending",
        cloned_from=source.id,
        **looks,
    )
    designed = persona_mod.restyle(
        dict(source.persona), seed=f"{new.id}:clone", app_name=project.app_name, **looks
    )
    new.persona = {**designed.to_dict(), "name": body.name}
    session.add(new)
    session.flush()
    return new, _enqueue_creation(session, project, new, CLONE_JOB_KIND)


def delete(
    session: Session, tenant: TenantScope, influencer_id: str, body: InfluencerDelete | None
) -> Influencer:
    """Archive (soft delete): it leaves lists and reads, its content keeps working. Refused
    (409) while posts still to publish carry content made with it."""
    influencer = _live(session, tenant, influencer_id)
    upcoming = repository.upcoming_posts_using(session, influencer.id)
    if upcoming:
        raise Conflict(
            f"Influencer {influencer.id} is in {upcoming} scheduled post(s) still to publish; "
            "cancel them or let them publish first.",
            influencerId=influencer.id,
            scheduledPosts=upcoming,
        )
    influencer.archived_at = clock.now()
    influencer.deletion_reason = body.reason if body else None
    session.flush()
    return influencer


def deleted(influencer: Influencer) -> InfluencerDeleted:
    assert influencer.archived_at is not None
    return InfluencerDeleted(
        influencer_id=influencer.id, status="deleted", deleted_at=influencer.archived_at
    )


jobs.on_cancel(CLONE_JOB_KIND, _on_job_canceled)
