"""Queries over organizations and API keys. Every function takes the caller's session and
never commits."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.models.orgs import ApiKey, Organization


def key_with_org(session: Session, handle: str) -> tuple[ApiKey, Organization] | None:
    """The API key of `handle` and its organization, if the key exists."""
    row = session.execute(
        sa.select(ApiKey, Organization)
        .join(Organization, Organization.id == ApiKey.org_id)
        .where(ApiKey.handle == handle)
    ).first()
    if row is None:
        return None
    key, org = row
    return key, org


def keys_of(session: Session, org_id: str, livemode: bool) -> list[ApiKey]:
    """The organization's keys of one mode, oldest first."""
    return list(
        session.scalars(
            sa.select(ApiKey)
            .where(ApiKey.org_id == org_id, ApiKey.livemode == livemode)
            .order_by(ApiKey.id)
        )
    )
