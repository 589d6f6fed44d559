"""Publish now: a container on accounts at once, through the one publish protocol.

Nothing here calls a platform. Publish-now writes ordinary scheduled posts due now (the same
checks and rows as `schedule`), and in the same transaction claims them (``ready → posting``)
and enqueues their ``publishing.publish`` workflows on the publishing work class
(`protocol.claim_ready`, the one claim path of every dispatcher). So a publish-now is exactly
once like any scheduled post: the workflow exists if and only if the posts were committed, and
a retried request (Idempotency-Key) replays the answer instead of publishing again.

The review gate: pending content → 403 APPROVAL_REQUIRED (nothing is kept: approve it, then
publish), rejected → 409 CONTENT_REJECTED. Content with no media yet → 409 (schedule it
instead: its posts wait for the media).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from layers.content import service as content
from layers.content.review import service as review
from layers.kit import clock
from layers.kit.errors import Conflict
from layers.kit.repository import TenantScope
from layers.models.publishing import ScheduledPost
from layers.projects import service as projects
from layers.publishing.now.schemas import PublishBody, PublishResult
from layers.publishing.protocol.claim import claim_ready
from layers.publishing.scheduling import views
from layers.publishing.scheduling.service import write_posts


def publish_now(
    session: Session, tenant: TenantScope, container_id: str, body: PublishBody
) -> PublishResult:
    container = content.containers.get(session, tenant, container_id)
    project = projects.get(session, tenant, container.project_id)
    if project.status != "active":
        raise Conflict(f"Project {project.id} is archived.", projectId=project.id)
    review.check_publishable(container)
    if container.generation < 1:
        raise Conflict(
            f"Content {container.id} is {container.status} and has no media to publish yet; "
            "schedule it instead (its posts wait for the media).",
            containerId=container.id,
            status=container.status,
        )
    now = clock.now()
    written = write_posts(session, project, container, body.targets, now, "ready")
    ids = written.scheduled_post_ids
    session.flush()
    claim_ready(session, now, ScheduledPost.id.in_(ids), limit=len(ids))
    posts = []
    for post_id in ids:
        post = session.get(ScheduledPost, post_id)
        assert post is not None
        session.refresh(post)  # the claim was a conditional UPDATE
        posts.append(views.one_out(session, post))
    return PublishResult(
        scheduled_post_ids=ids,
        gate_status="publishing",
        scheduled_for=now,
        posts=posts,
        warnings=written.warnings,
    )
