"""Scheduling a container on social accounts; moving and canceling what was scheduled.

The rows are the same ``scheduled_posts`` the Social Distribution layer fills
(``origin='api'`` here, no layer), published by the one publish protocol. Every status change
is a conditional UPDATE on the statuses it may come from, so a publisher that claimed a post
(``ready → posting``) at the same moment always wins or always loses, never half of each.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from pydantic.alias_generators import to_camel
from sqlalchemy.orm import Session

from layers.content import service as content
from layers.kit import clock
from layers.kit.errors import (
    Conflict,
    ManagedProviderNotConnected,
    PublishOutcomeUnknown,
    SocialAccountNotConnected,
    Validation,
)
from layers.kit.ids import has_prefix, new_id
from layers.kit.localtime import NonexistentTime, local_isoformat, parse_instant
from layers.kit.pagination import decode_cursor, encode_cursor
from layers.kit.repository import TenantRepository, TenantScope
from layers.models.content import ContentContainer
from layers.models.projects import Project
from layers.models.publishing import ScheduledPost
from layers.models.social import SocialAccount
from layers.projects import service as projects
from layers.publishing import rules
from layers.publishing.scheduling.schemas import (
    PostStatus,
    PostWarning,
    ScheduleBody,
    ScheduledPostOut,
    ScheduleResult,
    ScheduleTarget,
    ScheduleWarning,
    WarningCode,
)

CLOCK_SKEW = timedelta(seconds=30)
RESCHEDULABLE = ("pending", "pending_assets", "ready", "failed")
CANCELABLE = ("pending", "pending_assets", "ready", "failed", "pending_manual")
PARTNER_STATUS = {
    "pending": PostStatus.queued,
    "pending_assets": PostStatus.queued,
    "ready": PostStatus.queued,
    "posting": PostStatus.publishing,
    "posted": PostStatus.published,
    "draft": PostStatus.draft,
    "failed": PostStatus.failed,
    "pending_manual": PostStatus.failed,
    "canceled": PostStatus.canceled,
}
INTERNAL_STATUSES: dict[str, list[str]] = {}
for _internal, _partner in PARTNER_STATUS.items():
    INTERNAL_STATUSES.setdefault(_partner.value, []).append(_internal)

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


def _check_target(
    session: Session,
    project: Project,
    container: ContentContainer,
    index: int,
    target: ScheduleTarget,
) -> SocialAccount:
    prefix = f"targets[{index}]"
    account_id = target.social_account_id
    account = session.get(SocialAccount, account_id) if has_prefix(account_id, "sa") else None
    if (
        account is None
        or account.project_id != project.id
        or account.org_id != project.org_id
        or account.livemode != project.livemode
    ):
        raise Validation.field(
            f"{prefix}.socialAccountId",
            "no social account with this id is connected to the project",
            "not_found",
        )
    if account.status != "connected":
        raise SocialAccountNotConnected(
            f"Social account {account.id} is {account.status}; reconnect it before scheduling.",
            field=f"{prefix}.socialAccountId",
            socialAccountId=account.id,
            status=account.status,
        )
    if target.mode.value == "managed":
        raise ManagedProviderNotConnected(
            "mode 'managed' needs a managed-distribution provider connected to the project; "
            "none is.",
            field=f"{prefix}.mode",
        )
    if target.mode.value == "draft" and account.platform != "tiktok":
        raise Validation.field(
            f"{prefix}.mode", "draft (to the creator's inbox) is TikTok only", "mode_unsupported"
        )
    if target.share_reel_to_feed is not None and not (
        account.platform == "instagram"
        and target.mode.value == "publish"
        and container.media_kind == "video"
    ):
        raise Validation.field(
            f"{prefix}.shareReelToFeed",
            "only for Instagram video targets in publish mode",
            "not_allowed",
        )
    return account


def _options(target: ScheduleTarget, account: SocialAccount) -> dict[str, object] | None:
    options: dict[str, object] = {}
    if target.tiktok_post_settings is not None and account.platform == "tiktok":
        settings = target.tiktok_post_settings.model_dump(exclude_none=True)
        options["tiktokPostSettings"] = {to_camel(k): v for k, v in settings.items()}
    if target.share_reel_to_feed is not None:
        options["shareReelToFeed"] = target.share_reel_to_feed
    return options or None


def schedule(
    session: Session, tenant: TenantScope, container_id: str, body: ScheduleBody
) -> ScheduleResult:
    """One post per target, all or nothing: every target is checked before any row is
    written."""
    container = content.containers.get(session, tenant, container_id)
    project = projects.get(session, tenant, container.project_id)
    if project.status != "active":
        raise Conflict(f"Project {project.id} is archived.", projectId=project.id)
    status = initial_post_status(container)
    scheduled_at = parse_scheduled_for(body.scheduled_for, project.timezone)
    seen: dict[str, int] = {}
    accounts: list[SocialAccount] = []
    for index, target in enumerate(body.targets):
        if target.social_account_id in seen:
            raise Validation.field(
                f"targets[{index}].socialAccountId",
                f"the same account as targets[{seen[target.social_account_id]}]",
                "duplicate",
            )
        seen[target.social_account_id] = index
        accounts.append(_check_target(session, project, container, index, target))
    local_time = local_isoformat(scheduled_at, project.timezone)
    ids = []
    warnings = []
    for target, account in zip(body.targets, accounts, strict=True):
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
            platform_options=_options(target, account),
            attempt_count=0,
        )
        session.add(post)
        ids.append(post.id)
        diverted = rules.diversion(account.platform, account.posting_mode, post.mode)
        if diverted is not None:
            warnings.append(
                ScheduleWarning(
                    scheduled_post_id=post.id,
                    social_account_id=account.id,
                    **_warning(diverted).model_dump(),
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
    return post


def _encode(post: ScheduledPost) -> str:
    micros = int(post.scheduled_at.timestamp() * 1_000_000)
    return encode_cursor(f"{micros}|{post.id}")


def _decode(cursor: str) -> tuple[datetime, str]:
    raw = decode_cursor(cursor)
    micros, _, post_id = raw.partition("|")
    if not micros.isdigit() or not has_prefix(post_id, "sp"):
        raise Validation.field("cursor", "malformed cursor", "cursor_invalid")
    at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(micros))
    return at, post_id


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def page(
    session: Session,
    tenant: TenantScope,
    project_id: str,
    *,
    statuses: list[str],
    social_account_id: str | None,
    since: datetime | None,
    layer_id: str | None = None,
    internal_statuses: list[str] | None = None,
    until: datetime | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[ScheduledPost], str | None]:
    """Newest `scheduledFor` first; `since`/`until` are inclusive bounds on it."""
    project = projects.get(session, tenant, project_id)
    stmt = sa.select(ScheduledPost).where(ScheduledPost.project_id == project.id)
    if statuses:
        internal = [s for status in statuses for s in INTERNAL_STATUSES[status]]
        stmt = stmt.where(ScheduledPost.status.in_(internal))
    if social_account_id:
        stmt = stmt.where(ScheduledPost.social_account_id == social_account_id)
    if layer_id:
        stmt = stmt.where(ScheduledPost.layer_id == layer_id)
    if internal_statuses:
        stmt = stmt.where(ScheduledPost.status.in_(internal_statuses))
    if since is not None:
        stmt = stmt.where(ScheduledPost.scheduled_at >= _aware(since))
    if until is not None:
        stmt = stmt.where(ScheduledPost.scheduled_at <= _aware(until))
    if cursor:
        at, last_id = _decode(cursor)
        stmt = stmt.where(
            sa.or_(
                ScheduledPost.scheduled_at < at,
                sa.and_(ScheduledPost.scheduled_at == at, ScheduledPost.id < last_id),
            )
        )
    stmt = stmt.order_by(ScheduledPost.scheduled_at.desc(), ScheduledPost.id.desc())
    rows = list(session.scalars(stmt.limit(limit + 1)))
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, _encode(rows[-1])
    return rows, None


class AccountFacts(NamedTuple):
    """What a post's view needs of its account."""

    platform: str
    posting_mode: str


def accounts(session: Session, rows: list[ScheduledPost]) -> dict[str, AccountFacts]:
    """The accounts of `rows` (one query), by id."""
    ids = {row.social_account_id for row in rows}
    if not ids:
        return {}
    found = session.execute(
        sa.select(SocialAccount.id, SocialAccount.platform, SocialAccount.posting_mode).where(
            SocialAccount.id.in_(ids)
        )
    )
    return {account_id: AccountFacts(platform, mode) for account_id, platform, mode in found}


def _warning(diverted: rules.Diversion) -> PostWarning:
    return PostWarning(
        code=WarningCode(diverted.code),
        message=diverted.message,
        outcome="draft" if diverted.outcome == "draft" else "pending_manual",
    )


def warnings(post: ScheduledPost, account: AccountFacts | None) -> list[PostWarning]:
    """Why `post` will not be (or was not) published as asked (`rules.warnings_of`)."""
    found = rules.warnings_of(
        status=post.status,
        mode=post.mode,
        last_error=post.last_error,
        platform=account.platform if account is not None else None,
        posting_mode=account.posting_mode if account is not None else None,
    )
    return [_warning(d) for d in found]


def to_out(post: ScheduledPost, account: AccountFacts | None) -> ScheduledPostOut:
    platform = account.platform if account is not None else None
    return ScheduledPostOut(
        id=post.id,
        project_id=post.project_id,
        container_id=post.container_id,
        social_account_id=post.social_account_id,
        platform=platform,
        mode=post.mode,
        status=PARTNER_STATUS.get(post.status, PostStatus.queued),
        internal_status=post.status,
        origin=post.origin,
        layer_id=post.layer_id,
        scheduled_for=post.scheduled_at,
        local_time=post.local_time,
        caption_override=post.caption_override,
        first_comment_override=post.first_comment_override,
        external_id=post.platform_post_id,
        external_url=post.platform_url,
        attempt_count=post.attempt_count,
        attempted_at=post.claimed_at,
        published_at=post.posted_at,
        canceled_at=post.canceled_at,
        last_error=post.last_error,
        warnings=warnings(post, account),
        created_at=post.created_at,
        updated_at=post.updated_at,
    )


def one_out(session: Session, post: ScheduledPost) -> ScheduledPostOut:
    """`to_out` of one post, with its account's facts."""
    account = session.get(SocialAccount, post.social_account_id)
    facts = AccountFacts(account.platform, account.posting_mode) if account is not None else None
    return to_out(post, facts)


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
