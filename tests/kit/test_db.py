from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit import clock
from layers.kit import db as kit_db
from layers.kit.ids import new_id
from layers.kit.settings import Settings
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


def test_json_columns_never_store_or_return_a_lone_surrogate(session: Session) -> None:
    # A lone surrogate is not Unicode: written, it is replaced by U+FFFD; a row stored with
    # one before the edge refused it (SQLite keeps it as a JSON escape) reads back the same
    # way, so a stored value can never fail every later read.
    now = clock.now()
    org = Organization(id=new_id("org"), name="Surrogate org", created_at=now, updated_at=now)
    session.add(org)
    session.flush()
    event = Event(
        id=new_id("evt"),
        org_id=org.id,
        livemode=False,
        type="test.surrogate",
        subject_id=org.id,
        data={"x": "half \ud800 pair", "\udc00": ["ok \U0001f600"]},
        created_at=now,
    )
    session.add(event)
    session.flush()
    session.expire(event)
    assert event.data == {"x": "half \ufffd pair", "\ufffd": ["ok \U0001f600"]}
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            sa.text("UPDATE events SET data = :raw WHERE id = :id"),
            {"raw": '{"x": "stored \\ud800 before"}', "id": event.id},
        )
        session.expire(event)
        assert event.data == {"x": "stored \ufffd before"}
        json.dumps(event.data).encode()  # serializable, as every response must be


def test_the_data_directory_and_sqlite_files_are_private(tmp_path: Path) -> None:
    # The database holds every tenant's data (and sealed tokens): like the key files, it is
    # readable by its owner only, whatever the umask, and so are SQLite's -wal and -shm.
    previous = os.umask(0o022)
    try:
        data_dir = Settings(data_dir=tmp_path / "fresh").ensure_data_dir()
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
        loose = tmp_path / "loose"
        loose.mkdir(mode=0o755)
        assert stat.S_IMODE(Settings(data_dir=loose).ensure_data_dir().stat().st_mode) == 0o700

        old = loose / "old.db"
        old.touch(mode=0o644)
        kit_db.private_sqlite_file(f"sqlite:///{old}")
        assert stat.S_IMODE(old.stat().st_mode) == 0o600

        path = data_dir / "layers.db"
        engine = kit_db.make_engine(f"sqlite:///{path}")
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            files = sorted(data_dir.iterdir())
            assert [f.name for f in files] == ["layers.db", "layers.db-shm", "layers.db-wal"]
            assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {
                f.name: 0o600 for f in files
            }
        engine.dispose()
    finally:
        os.umask(previous)
