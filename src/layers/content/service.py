"""Content: hooks, starting a generation (API, regenerate, generate-and-attach), and how a
generation ends without media. Reading containers is `content.containers`.

A generation call makes exactly one container and one ``content_generate`` job, and enqueues
the durable workflow (`content.workflows`) in the caller's transaction. Anything that may go
to the network (resolving a TikTok source the cache does not know) happens before the
request's transaction takes a database lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from layers.content import repository
from layers.content.containers import get as get  # re-exported: get, page, to_out (console)
from layers.content.containers import page as page
from layers.content.containers import to_out as to_out
from layers.content.inputs import WORKFLOW, GenerateInput
from layers.content.repository import containers as containers  # re-exported (publishing)
from layers.content.review import service as review
from layers.content.schemas import ContentJobAccepted, HookBank
from layers.content.sources import service as sources
from layers.content.writers.base import Brief
from layers.content.writers.registry import text_writer
from layers.jobs import service as jobs
from layers.kit import clock, durable
from layers.kit.db import get_database
from layers.kit.errors import (
    Conflict,
    DemoVideoRequired,
    InfluencerNotReady,
    MissingFields,
    Validation,
)
from layers.kit.ids import has_prefix, new_id
from layers.kit.repository import TenantScope
from layers.kit.settings import get_settings
from layers.models.content import AppMedia, ContentContainer
from layers.models.jobs import Job
from layers.models.projects import Influencer, Project
from layers.models.publishing import ScheduledPost
from layers.models.social import SocialAccount
from layers.orgs.wallet import service as wallet
from layers.projects import service as projects

JOB_KIND = "content_generate"
MEDIA_KIND = {
    "slideshow-remix": "slideshow",
    "slideshow-builder": "slideshow",
    "video-remix": "video",
    "ugc-remix": "video",
}
REMIX_SOURCE_KIND = {"slideshow-remix": "slideshow", "video-remix": "video"}
# A container in these statuses has a generation under way.
GENERATING = frozenset({"queued", "processing"})


@dataclass(frozen=True)
class GenerationRequest:
    format: str
    influencer_id: str | None = None
    social_account_id: str | None = None
    tiktok_video_id: str | None = None
    hook: str | None = None
    media_id: str | None = None


# ---- hooks ---------------------------------------------------------------------------------


def brief_for(session: Session, project: Project, persona: str | None = None) -> Brief:
    return Brief(
        app_name=project.app_name,
        app_description=project.app_description,
        tagline=project.tagline,
        brand_voice=project.brand_voice or "authentic",
        language=project.primary_language or "en",
        phrases=sources.bank_phrases(session, project.id, 12) or sources.brief_phrases(project),
        persona_name=persona,
    )


def hooks(session: Session, tenant: TenantScope, project_id: str, limit: int) -> HookBank:
    project = projects.get(session, tenant, project_id)
    missing = [
        name
        for name, value in (
            ("appName", project.app_name),
            ("appDescription", project.app_description),
        )
        if not value
    ]
    if missing:
        raise MissingFields(
            "Hooks need the project's " + " and ".join(missing) + "; set them with PATCH "
            f"/v1/projects/{project.id}.",
            missing,
        )
    brief = brief_for(session, project)
    writer = text_writer(project.livemode)
    return HookBank(
        project_id=project.id,
        brand_voice=brief.brand_voice,
        # The offline writer writes English whatever the project's language: say so.
        language="en" if writer.provider == "offline-en" else brief.language,
        hooks=writer.hooks(brief, limit, seed=f"{project.id}:{project.updated_at.isoformat()}"),
    )


# ---- starting a generation -----------------------------------------------------------------


def _influencer(session: Session, project: Project, influencer_id: str) -> Influencer:
    influencer = (
        session.get(Influencer, influencer_id) if has_prefix(influencer_id, "inf") else None
    )
    if influencer is None or influencer.project_id != project.id or influencer.archived_at:
        raise Validation.field(
            "influencerId", "no influencer with this id in the project", "not_found"
        )
    if influencer.status != "ready":
        raise InfluencerNotReady(
            f"Influencer {influencer.id} is {influencer.status}, not ready; wait for it "
            "(GET /v1/influencers/{id}) or pick a ready one.",
            influencerId=influencer.id,
            status=influencer.status,
        )
    return influencer


def _account(session: Session, project: Project, account_id: str) -> SocialAccount:
    account = session.get(SocialAccount, account_id) if has_prefix(account_id, "sa") else None
    if account is None or account.project_id != project.id:
        raise Validation.field(
            "socialAccountId", "no social account with this id in the project", "not_found"
        )
    return account


def wired_influencer(session: Session, project: Project) -> Influencer:
    """The influencer a social account's content uses: until content layers wire one, the
    project's oldest ready influencer."""
    influencer = repository.oldest_ready_influencer(session, project.id)
    if influencer is None:
        raise InfluencerNotReady(
            "The project has no ready influencer yet; wait for the first one or create one "
            "(POST /v1/projects/{id}/influencers).",
            projectId=project.id,
        )
    return influencer


def resolve_actor(
    session: Session,
    project: Project,
    influencer_id: str | None,
    social_account_id: str | None,
    *,
    required: bool,
) -> tuple[Influencer | None, SocialAccount | None]:
    account = _account(session, project, social_account_id) if social_account_id else None
    if influencer_id:
        return _influencer(session, project, influencer_id), account
    if account is not None:
        return wired_influencer(session, project), account
    if required:
        raise _no_actor()
    return None, None


def _no_actor() -> Validation:
    return Validation(
        "Give influencerId or socialAccountId: this format needs an actor.",
        fields=[
            {
                "field": "influencerId",
                "message": "influencerId or socialAccountId is required",
                "type": "missing",
            },
        ],
    )


def _demo_video(session: Session, project: Project, media_id: str | None) -> AppMedia:
    media = repository.demo_video(session, project.id, media_id)
    if media is None and media_id:
        raise Validation.field(
            "mediaId", "no demo-video app media with this id in the project", "not_found"
        )
    if media is None:
        raise DemoVideoRequired(
            "ugc-remix uses the project's demo video as its core media: upload one first "
            "(POST /v1/projects/{id}/app-media with kind 'demo-video').",
            projectId=project.id,
        )
    return media


@dataclass(frozen=True)
class _Checked:
    project: Project
    influencer: Influencer | None
    account: SocialAccount | None
    media_id: str | None


def _check(
    session: Session, tenant: TenantScope, project_id: str, request: GenerationRequest
) -> _Checked:
    """Everything about `request` that the database alone can refuse: the project (found,
    active), the actor, the demo video."""
    project = projects.get(session, tenant, project_id)
    if project.status != "active":
        raise Conflict(f"Project {project.id} is archived.", projectId=project.id)
    influencer, account = resolve_actor(
        session,
        project,
        request.influencer_id,
        request.social_account_id,
        required=request.format != "slideshow-builder",
    )
    media_id = None
    if request.format == "ugc-remix":
        media_id = _demo_video(session, project, request.media_id).id
    return _Checked(project, influencer, account, media_id)


def start(
    session: Session, tenant: TenantScope, project_id: str, request: GenerationRequest
) -> tuple[ContentContainer, Job]:
    """Validate, then create the container and its job and enqueue the workflow.

    A remix resolves its TikTok source, which may go to the network (and answers 503 in live
    mode without Research API credentials): that comes after every other check, made first in
    a read transaction of its own, and before this request's transaction takes a lock. The
    checks run again in that transaction (the world may have moved meanwhile).
    """
    source_kind = REMIX_SOURCE_KIND.get(request.format)
    if source_kind:
        with get_database().transaction(write=False) as check:
            livemode = _check(check, tenant, project_id, request).project.livemode
        assert request.tiktok_video_id is not None
        sources.resolve(livemode, request.tiktok_video_id, source_kind)
    checked = _check(session, tenant, project_id, request)
    return create(
        session,
        checked.project,
        request,
        influencer_id=checked.influencer.id if checked.influencer else None,
        social_account_id=checked.account.id if checked.account else None,
        media_id=checked.media_id,
    )


def create(
    session: Session,
    project: Project,
    request: GenerationRequest,
    *,
    influencer_id: str | None,
    social_account_id: str | None,
    media_id: str | None,
) -> tuple[ContentContainer, Job]:
    container = ContentContainer(
        id=new_id("cnt"),
        org_id=project.org_id,
        livemode=project.livemode,
        project_id=project.id,
        format=request.format,
        status="queued",
        media_kind=MEDIA_KIND[request.format],
        hook=request.hook,
        influencer_id=influencer_id,
        social_account_id=social_account_id,
        source_tiktok_id=request.tiktok_video_id,
        media_id=media_id,
        hashtags=[],
        slide_texts=[],
        generation=0,
        approval_status=review.initial_approval(session, project.id),
    )
    session.add(container)
    session.flush()
    job = _enqueue(session, container, generation=1)
    return container, job


def _enqueue(session: Session, container: ContentContainer, generation: int) -> Job:

    job = jobs.create(
        session,
        org_id=container.org_id,
        livemode=container.livemode,
        kind=JOB_KIND,
        project_id=container.project_id,
        subject_id=container.id,
    )
    container.job_id = job.id
    session.flush()
    wallet.reserve_generation(
        session,
        org_id=container.org_id,
        livemode=container.livemode,
        content_format=container.format,
        job_id=job.id,
        container_id=container.id,
        project_id=container.project_id,
    )
    durable.enqueue(
        session,
        get_settings(),
        WORKFLOW,
        GenerateInput(job.id, container.id, generation),
        workflow_id=job.id,
        queue=durable.RENDERING.name,
        partition_key=container.org_id,
    )
    return job


def regenerate(
    session: Session, tenant: TenantScope, container_id: str, hook: str | None
) -> tuple[ContentContainer, Job]:
    """Render the container again under the same id; its current media stay readable (and
    publishable) until the new generation completes."""
    container = containers.get(session, tenant, container_id, for_update=True)
    if container.status in GENERATING:
        raise Conflict(
            f"Content {container.id} is still generating; wait for its job.",
            status=container.status,
            jobId=container.job_id,
        )
    if container.status == "canceled":
        raise Conflict(f"Content {container.id} was canceled.", status=container.status)
    if hook is not None:
        if container.format not in ("slideshow-builder", "ugc-remix"):
            raise Validation.field("hook", f"{container.format} takes no hook", "not_allowed")
        container.hook = hook
    container.status = "queued"
    container.last_error = None
    job = _enqueue(session, container, generation=container.generation + 1)
    return container, job


def generate_and_attach(
    session: Session,
    post: ScheduledPost,
    content_format: str,
    *,
    influencer_id: str | None = None,
    hook: str | None = None,
    tiktok_video_id: str | None = None,
) -> tuple[ContentContainer, Job]:
    """Start a generation for an empty slot and attach its container to the slot.

    The contract the Social Distribution layer relies on (see docs/architecture.md):
    `post` must be an empty slot (``status='pending'``, no container); it becomes
    ``pending_assets`` with the new container now, and ``ready`` when the container
    completes (back to an empty ``pending`` slot if the generation fails or is canceled).
    The actor is `influencer_id`, else the account's wired influencer; a remix without
    `tiktok_video_id` picks an on-brand source the project has not remixed yet. Raises
    `Conflict` when the slot is no longer empty (another attach won it). When the project's
    review policy holds the new container (``approvalStatus: pending``) the slot is left
    empty: the container waits for review and is attached once approved.
    """
    if content_format not in MEDIA_KIND:
        raise Validation.field("format", f"unknown format '{content_format}'")
    project = session.get(Project, post.project_id)
    assert project is not None
    account = session.get(SocialAccount, post.social_account_id)
    assert account is not None
    if influencer_id:
        influencer: Influencer | None = _influencer(session, project, influencer_id)
    elif content_format == "slideshow-builder":
        influencer = None
    else:
        influencer = wired_influencer(session, project)
    media_id = _demo_video(session, project, None).id if content_format == "ugc-remix" else None
    request = GenerationRequest(content_format, tiktok_video_id=tiktok_video_id, hook=hook)
    container, job = create(
        session,
        project,
        request,
        influencer_id=influencer.id if influencer else None,
        social_account_id=account.id,
        media_id=media_id,
    )
    if container.approval_status == "pending":
        # Held for review: pending content never fills a slot. Once approved, the layer's
        # next plan attaches it like any other eligible content.
        return container, job
    if not repository.claim_slot(session, post.id, container.id, clock.now()):
        raise Conflict(f"Slot {post.id} is no longer empty.", scheduledPostId=post.id)
    return container, job


def accepted(container: ContentContainer, job: Job) -> ContentJobAccepted:
    return ContentJobAccepted(
        **jobs.accepted(job).model_dump(),
        container_id=container.id,
        container_ids=[container.id],
    )


# ---- when a generation ends without media --------------------------------------------------


def end_without_media(
    session: Session, container_id: str, job_id: str, status: str, error: dict[str, Any]
) -> None:
    """The job `job_id` failed or was canceled. A first generation leaves the container
    `status` (failed / canceled); a regeneration leaves it completed with its old media."""
    wallet.refund_generation(session, job_id, status)
    container = session.get(ContentContainer, container_id, with_for_update=True)
    if container is None or container.job_id != job_id or container.status not in GENERATING:
        return
    now = clock.now()
    container.last_error = error
    if container.generation >= 1:
        container.status = "completed"
        return
    container.status = status
    if status == "failed":
        container.failed_at = now
    # Posts waiting on it will have no media: an API post fails with the error; a layer's
    # slot is emptied so the layer can fill it again.
    repository.release_posts(session, container.id, error, now)


def _on_job_canceled(session: Session, job: Job) -> None:
    if job.subject_id:
        error = {"code": "CANCELED", "message": "Generation was canceled."}
        end_without_media(session, job.subject_id, job.id, "canceled", error)


jobs.on_cancel(JOB_KIND, _on_job_canceled)
