"""Scheduling a container on social accounts; moving and canceling what was scheduled.

The rows are the same ``scheduled_posts`` the Social Distribution layer fills
(``origin='api'`` here, no layer), published by the one publish protocol. Every status change
is a conditional UPDATE on the statuses it may come from, so a publisher that claimed a post
(``ready → posting``) at the same moment always wins or always loses, never half of each.

What a target may ask of its platform (a draft, post options) is read from the platform's
`PlatformSpec`. Reading posts (the partner's view, the list) is `views`; its names are
re-exported here for the callers that import them from this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.content import service as content
from layers.content.review import service as review
from layers.events import service as events
from layers.kit import clock
from layers.kit.errors import Conflict, PublishOutcomeUnknown, Validation
from layers.kit.ids import new_id
from layers.kit.localtime import NonexistentTime, local_isoformat, parse_instant
from layers.kit.repository import TenantRepository, TenantScope
from layers.models.content import ContentContainer
from layers.models.projects import Project
from layers.models.publishing import ScheduledPost
from layers.models.social import SocialAccount
from layers.projects import service as projects
from layers.publishing import rules
from layers.publishing.scheduling import targets
from layers.publishing.scheduling.schemas import (
    ScheduleBody,
    ScheduleResult,
    ScheduleTarget,
    ScheduleWarning,
)
from layers.publishing.scheduling.views import (
    INTERNAL_STATUSES,
    PARTNER_STATUS,
    AccountFacts,
    accounts,
    one_out,
    page,
    post_warning,
    to_out,
    warnings,
)

# With the reading side (`views`) re-exported: console.views reads page, accounts, to_out here.
__all__ = [
    "CANCELABLE",
    "CLOCK_SKEW",
    "INTERNAL_STATUSES",
    "PARTNER_STATUS",
    "RESCHEDULABLE",
    "RETRYABLE",
    "AccountFacts",
    "accounts",
    "cancel",
    "cancel_for_archived_project",
    "get",
    "initial_post_status",
    "one_out",
    "page",
    "parse_scheduled_for",
    "posts",
    "reschedule",
    "retry",
    "schedule",
    "to_out",
    "warnings",
    "write_posts",
]

CLOCK_SKEW = timedelta(seconds=30)
RESCHEDULABLE = ("pending", "pending_assets", "ready", "failed")
CANCELABLE = ("pending", "pending_assets", "ready", "failed", "pending_manual")
posts = TenantRepository(ScheduledPost, "sp", "scheduled post")


def parse_scheduled_for(value: str, timezone: str, *, field: str = "scheduledFor") -> datetime:
    """`value` as a future UTC instant (DESIGN §4): `Z`, an offset, or a wall-clock time in
    `timezone`; a DST-gap time or a past one is a 422 naming `field`."""
    try:
        instant, _ = parse_instant(value, timezone)
    except NonexistentTime as exc:
        raise Validation.field(field, str(exc), "nonexistent_local_time") from exc
    except ValueError as exc:
        raise Validation.field(field, str(exc), "datetime_invalid") from exc
    now = clock.now()
    if instant < now - CLOCK_SKEW:
        raise Validation.field(
            field,
            f"must be in the future (it is {clock.isoformat_z(instant)}, now is "
            f"{clock.isoformat_z(now)})",
            "datetime_past",
        )
    return instant


def initial_post_status(container: ContentContainer) -> str:
    """What a post of `container` starts as (scheduled, attached to a slot, or moved into one):
    ready when it has media, pending_assets while it is generating; a Conflict otherwise."""
    if container.generation >= 1:
        return "ready"
    if container.status in content.GENERATING:
        return "pending_assets"
    raise Conflict(
        f"Content {container.id} is {container.status} and has no media to publish.",
        containerId=container.id,
        status=container.status,
    )


def schedule(
    session: Session, tenant: TenantScope, container_id: str, body: ScheduleBody
) -> ScheduleResult:
    """One post per target, all or nothing: every target is checked before any row is
    written. Content waiting for review (the approval gate, `content.review`) gets no post
    yet: the checked request is stashed on it and promoted when it is approved
    (``gateStatus: blocked_on_approval``); rejected content is refused (409)."""
    container = content.containers.get(session, tenant, container_id)
    project = projects.get(session, tenant, container.project_id)
    if project.status != "active":
        raise Conflict(f"Project {project.id} is archived.", projectId=project.id)
    review.check_schedulable(container)
    status = initial_post_status(container)
    scheduled_at = parse_scheduled_for(body.scheduled_for, project.timezone)
    if container.approval_status == "pending":
        _check_targets(session, project, container, body.targets)
        review.stash_schedule(
            session,
            container,
            {
                "scheduledFor": clock.isoformat_z(scheduled_at),
                "body": body.model_dump(mode="json", by_alias=True, exclude_none=True),
                "requestedAt": clock.isoformat_z(clock.now()),
            },
        )
        return ScheduleResult(
            scheduled_post_ids=[],
            gate_status="blocked_on_approval",
            scheduled_for=scheduled_at,
            warnings=[],
        )
    return write_posts(session, project, container, body.targets, scheduled_at, status)


def _check_targets(
    session: Session,
    project: Project,
    container: ContentContainer,
    wanted: Sequence[ScheduleTarget],
) -> list[SocialAccount]:
    """Every target checked (no account twice), in order; the first bad one raises."""
    seen: dict[str, int] = {}
    accounts: list[SocialAccount] = []
    for index, target in enumerate(wanted):
        if target.social_account_id in seen:
            raise Validation.field(
                f"targets[{index}].socialAccountId",
                f"the same account as targets[{seen[target.social_account_id]}]",
                "duplicate",
            )
        seen[target.social_account_id] = index
        accounts.append(targets.check_target(session, project, container, index, target))
    return accounts


def write_posts(
    session: Session,
    project: Project,
    container: ContentContainer,
    wanted: Sequence[ScheduleTarget],
    scheduled_at: datetime,
    status: str,
) -> ScheduleResult:
    """Check every target, then write one post per target at `scheduled_at` in `status`
    (schedule, the promotion of a stashed request, publish-now)."""
    accounts = _check_targets(session, project, container, wanted)
    local_time = local_isoformat(scheduled_at, project.timezone)
    ids = []
    warnings = []
    for target, account in zip(wanted, accounts, strict=True):
        post = ScheduledPost(
            id=new_id("sp"),
            org_id=project.org_id,
            livemode=project.livemode,
            project_id=project.id,
            social_account_id=account.id,
            layer_id=None,
            container_id=container.id,
            origin="api",
            mode=target.mode.value,
            status=status,
            scheduled_at=scheduled_at,
            local_time=local_time,
            caption_override=target.caption_override,
            first_comment_override=target.first_comment_override,
            platform_options=targets.options(target, account),
            attempt_count=0,
        )
        session.add(post)
        ids.append(post.id)
        record_post_event(session, post, "post.scheduled")
        diverted = rules.diversion(account.platform, account.posting_mode, post.mode)
        if diverted is not None:
            warnings.append(
                ScheduleWarning(
                    scheduled_post_id=post.id,
                    social_account_id=account.id,
                    **post_warning(diverted).model_dump(),
                )
            )
    session.flush()
    return ScheduleResult(
        scheduled_post_ids=ids,
        gate_status="queued",
        scheduled_for=scheduled_at,
        warnings=warnings,
    )


def get(session: Session, tenant: TenantScope, post_id: str) -> ScheduledPost:
    return posts.get(session, tenant, post_id)


def reschedule(
    session: Session, tenant: TenantScope, post_id: str, scheduled_for: str
) -> ScheduledPost:
    """Move a post that has not started publishing (pending, pending_assets, ready, failed)."""
    post = posts.get(session, tenant, post_id)
    project = session.get(Project, post.project_id)
    assert project is not None
    if post.status not in RESCHEDULABLE:
        raise Conflict(
            f"Scheduled post {post.id} is {post.status}; only posts that have not started "
            "publishing can be moved.",
            status=post.status,
        )
    scheduled_at = parse_scheduled_for(scheduled_for, project.timezone)
    status = post.status
    if status == "failed":
        container = session.get(ContentContainer, post.container_id or "")
        if container is None:
            raise Conflict(f"Scheduled post {post.id} has no content.", status=post.status)
        status = initial_post_status(container)
    if post.layer_id is not None:
        taken = session.scalar(
            sa.select(ScheduledPost.id).where(
                ScheduledPost.layer_id == post.layer_id,
                ScheduledPost.scheduled_at == scheduled_at,
                ScheduledPost.id != post.id,
            )
        )
        if taken:
            raise Conflict("The layer already has a slot at that time.", scheduledPostId=taken)
    moved = session.execute(
        sa.update(ScheduledPost)
        .where(ScheduledPost.id == post.id, ScheduledPost.status == post.status)
        .values(
            scheduled_at=scheduled_at,
            local_time=local_isoformat(scheduled_at, project.timezone),
            status=status,
            updated_at=clock.now(),
        )
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        session.refresh(post)
        raise Conflict(f"Scheduled post {post.id} is now {post.status}.", status=post.status)
    session.refresh(post)
    return post


RETRYABLE = ("pending_manual", "failed")


def retry(session: Session, tenant: TenantScope, post_id: str) -> ScheduledPost:
    """Put a post that needs a person (``pending_manual``) or failed back in line: ``ready``
    at its time, or now when that has passed. Refused while the platform may already have
    published it (its last outcome unknown): check the platform, then cancel or reschedule."""
    post = posts.get(session, tenant, post_id)
    if post.status not in RETRYABLE:
        raise Conflict(
            f"Scheduled post {post.id} is {post.status}; only failed posts and posts waiting "
            "for a person can be retried.",
            status=post.status,
        )
    if (post.last_error or {}).get("code") == "OUTCOME_UNKNOWN":
        raise PublishOutcomeUnknown(
            f"The platform may already have published {post.id}: check the account, then "
            "cancel or reschedule it.",
            scheduledPostId=post.id,
        )
    container = session.get(ContentContainer, post.container_id or "")
    if container is None:
        raise Conflict(f"Scheduled post {post.id} has no content.", status=post.status)
    project = session.get(Project, post.project_id)
    assert project is not None
    now = clock.now()
    scheduled_at = max(post.scheduled_at, now.replace(second=0, microsecond=0))
    retried = session.execute(
        sa.update(ScheduledPost)
        .where(ScheduledPost.id == post.id, ScheduledPost.status == post.status)
        .values(
            status=initial_post_status(container),
            scheduled_at=scheduled_at,
            local_time=local_isoformat(scheduled_at, project.timezone),
            last_error=None,
            hold_reason=None,
            updated_at=now,
        )
    )
    session.refresh(post)
    if not retried.rowcount:  # type: ignore[attr-defined]
        raise Conflict(f"Scheduled post {post.id} is now {post.status}.", status=post.status)
    return post


def cancel(session: Session, tenant: TenantScope, post_id: str) -> ScheduledPost:
    """Cancel a post that has not been handed to the platform; repeating it is a no-op."""
    post = posts.get(session, tenant, post_id)
    if post.status == "canceled":
        return post
    now = clock.now()
    canceled = session.execute(
        sa.update(ScheduledPost)
        .where(ScheduledPost.id == post.id, ScheduledPost.status.in_(CANCELABLE))
        .values(status="canceled", canceled_at=now, updated_at=now)
    )
    session.refresh(post)
    if not canceled.rowcount:  # type: ignore[attr-defined]
        raise Conflict(
            f"Scheduled post {post.id} is {post.status}; it can no longer be canceled.",
            status=post.status,
        )
    record_post_event(session, post, "post.canceled")
    return post


def cancel_for_archived_project(session: Session, project: Project) -> int:
    """Archiving a project cancels its posts that have not been handed to a platform."""
    now = clock.now()
    result = session.execute(
        sa.update(ScheduledPost)
        .where(ScheduledPost.project_id == project.id, ScheduledPost.status.in_(CANCELABLE))
        .values(status="canceled", canceled_at=now, updated_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


projects.archive_hooks.append(cancel_for_archived_project)


def record_post_event(session: Session, post: ScheduledPost, type_: str) -> None:
    """``post.scheduled`` / ``post.canceled``, in the transaction of the change."""
    events.record(
        session,
        type_,
        org_id=post.org_id,
        livemode=post.livemode,
        project_id=post.project_id,
        subject_id=post.id,
        data={
            "scheduledPostId": post.id,
            "containerId": post.container_id,
            "socialAccountId": post.social_account_id,
            "scheduledFor": clock.isoformat_z(post.scheduled_at),
            "mode": post.mode,
            "status": post.status,
        },
    )
