"""Queries over organizations and API keys. Every function takes the caller's session and
never commits."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.models.orgs import ApiKey, Organization


class KeyStanding(NamedTuple):
    """What authenticating a request needs of a key and its organization: a few columns,
    read without loading either row as an object (this runs on every request)."""

    id: str
    org_id: str
    secret_hash: str
    livemode: bool
    scopes: list[str]
    allowed_return_domains: list[str]
    rate_limit_tier: str
    kill_switch: bool
    status: str
    grace_until: datetime | None
    org_status: str


_STANDING = sa.select(
    ApiKey.id,
    ApiKey.org_id,
    ApiKey.secret_hash,
    ApiKey.livemode,
    ApiKey.scopes,
    ApiKey.allowed_return_domains,
    ApiKey.rate_limit_tier,
    ApiKey.kill_switch,
    ApiKey.status,
    ApiKey.grace_until,
    Organization.status.label("org_status"),
).join(Organization, Organization.id == ApiKey.org_id)


# Built once: a statement's cache key is worked out on every execution, so the per-request
# statement is not rebuilt too.
_BY_HANDLE = _STANDING.where(ApiKey.handle == sa.bindparam("wanted"))
_BY_ID = _STANDING.where(ApiKey.id == sa.bindparam("wanted"))


def key_standing(
    session: Session, *, handle: str | None = None, key_id: str | None = None
) -> KeyStanding | None:
    """The standing of the key with `handle` (or id `key_id`), if it exists."""
    statement = _BY_HANDLE if handle is not None else _BY_ID
    row = session.execute(statement, {"wanted": handle if handle is not None else key_id}).first()
    return KeyStanding(*row) if row is not None else None


def keys_of(session: Session, org_id: str, livemode: bool) -> list[ApiKey]:
    """The organization's keys of one mode, oldest first."""
    return list(
        session.scalars(
            sa.select(ApiKey)
            .where(ApiKey.org_id == org_id, ApiKey.livemode == livemode)
            .order_by(ApiKey.id)
        )
    )
