from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit import clock
from layers.kit.ids import new_id
from layers.models.events import Event
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


def test_json_columns_store_text_with_nul_characters_on_both_databases(
    session: Session,
) -> None:
    # Text from outside (a platform's error message) may hold NUL, which PostgreSQL's JSON
    # refuses: the column type drops it from every string, keys included.
    now = clock.now()
    org = Organization(id=new_id("org"), name="Nul org", created_at=now, updated_at=now)
    session.add(org)
    session.flush()
    event = Event(
        id=new_id("evt"),
        org_id=org.id,
        livemode=False,
        type="test.nul",
        subject_id=org.id,
        data={"message": "went\x00wrong", "ke\x00y": ["a\x00b", 1, None]},
        created_at=now,
    )
    session.add(event)
    session.flush()
    session.expire(event)
    assert event.data == {"message": "wentwrong", "key": ["ab", 1, None]}
