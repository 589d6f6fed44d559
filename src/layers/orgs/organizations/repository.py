"""Queries over child organizations and their keys. Every function takes the caller's
session and never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit.pagination import fetch_page
from layers.models.orgs import ApiKey, Organization
from layers.models.projects import Project


def children_page(
    session: Session,
    parent_id: str,
    livemode: bool,
    *,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[Organization], str | None]:
    stmt = sa.select(Organization).where(
        Organization.parent_id == parent_id, Organization.livemode == livemode
    )
    if status is not None:
        stmt = stmt.where(Organization.status == status)
    return fetch_page(session, stmt, Organization.id, cursor=cursor, limit=limit)


def project_counts(session: Session, org_id: str, livemode: bool) -> dict[str, int]:
    """How many projects of the organization (in one mode) are in each status."""
    rows = session.execute(
        sa.select(Project.status, sa.func.count())
        .where(Project.org_id == org_id, Project.livemode == livemode)
        .group_by(Project.status)
    ).all()
    return {str(status): int(count) for status, count in rows}


def active_key_count(session: Session, org_id: str) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(ApiKey)
            .where(ApiKey.org_id == org_id, ApiKey.status == "active")
        )
        or 0
    )


def keys_page(
    session: Session,
    org_id: str,
    *,
    livemode: bool | None,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[ApiKey], str | None]:
    """The organization's keys (of one mode, or both when `livemode` is None), newest first."""
    stmt = sa.select(ApiKey).where(ApiKey.org_id == org_id)
    if livemode is not None:
        stmt = stmt.where(ApiKey.livemode == livemode)
    return fetch_page(session, stmt, ApiKey.id, cursor=cursor, limit=limit)


def revoke_active_keys(session: Session, org_id: str, now: datetime) -> int:
    """Revoke every key of the organization still usable; returns how many."""
    result = session.execute(
        sa.update(ApiKey)
        .where(ApiKey.org_id == org_id, ApiKey.status == "active")
        .values(status="revoked", revoked_at=now, updated_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
