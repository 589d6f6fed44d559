"""Reading scheduled posts: the partner's view of a post (status, warnings) and the list.

The partner sees a simpler status than the protocol's (`PARTNER_STATUS`; ``internalStatus``
has the full detail) and, per post, why it will not be (or was not) published as asked
(`warnings`, from `layers.publishing.rules`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit.errors import Validation
from layers.kit.ids import has_prefix
from layers.kit.pagination import decode_cursor, encode_cursor
from layers.kit.repository import TenantScope
from layers.models.publishing import ScheduledPost
from layers.models.social import SocialAccount
from layers.projects import service as projects
from layers.publishing import rules
from layers.publishing.scheduling.schemas import (
    PostStatus,
    PostWarning,
    ScheduledPostOut,
    WarningCode,
)

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


def post_warning(diverted: rules.Diversion) -> PostWarning:
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
    return [post_warning(d) for d in found]


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
