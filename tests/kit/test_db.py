from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.models.orgs import Organization


def test_datetimes_round_trip_as_aware_utc(session: Session) -> None:
    pacific = timezone(timedelta(hours=-8))
    org = Organization(
        id="org_01M0000000000000000000TEST",
        name="tz",
        created_at=datetime(2026, 3, 8, 1, 30, tzinfo=pacific),
        updated_at=datetime(2026, 3, 8, 1, 30, tzinfo=pacific),
    )
    session.add(org)
    session.flush()
    session.expire_all()
    loaded = session.scalar(sa.select(Organization).where(Organization.id == org.id))
    assert loaded is not None
    assert loaded.created_at == datetime(2026, 3, 8, 9, 30, tzinfo=UTC)
    assert loaded.created_at.tzinfo is UTC


def test_naive_datetimes_are_refused(session: Session) -> None:
    session.add(
        Organization(
            id="org_01M0000000000000000000NAIV",
            name="naive",
            created_at=datetime(2026, 1, 1),
            updated_at=datetime(2026, 1, 1),
        )
    )
    with pytest.raises(sa.exc.StatementError):
        session.flush()


def test_foreign_keys_are_enforced(session: Session) -> None:
    session.add(
        Organization(
            id="org_01M0000000000000000000CHLD",
            name="child",
            parent_id="org_01M000000000000000000NONE",
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()
