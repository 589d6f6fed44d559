"""No token in the database or in a log line, after a full flow: connect, refresh, publish.

The database is read raw: the SQLite file and its WAL byte for byte (on PostgreSQL, every row of
every table, ours and DBOS's, as text, bytea as hex). The logs are what a deployment writes:
the production handler at DEBUG, fed by every logger (ours, DBOS's, uvicorn's, httpx's).
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.kit import clock
from layers.kit import db as kit_db
from layers.kit.logging import configure_logging
from layers.kit.settings import Settings
from layers.publishing import protocol as publishing
from layers.social import sweep, tokens
from tests.social.conftest import Contents
from tests.social.fake_platforms import CLIENT_SECRET, IG_APP_SECRET, FakePlatforms
from tests.social.helpers import (
    connect_live,
    new_post,
    new_project,
    post_row,
    set_posting_mode,
    update_account,
)
from tests.support import Tenant, wait_for

NOISY = ("dbos", "httpx", "httpcore", "uvicorn", "uvicorn.error", "uvicorn.access", "multipart")


@pytest.fixture
def production_logs() -> Iterator[io.StringIO]:
    """The deployment's log handler at DEBUG, writing into a buffer for the test."""
    root = logging.getLogger()
    saved_root = (list(root.handlers), root.level)
    saved = {
        name: (logging.getLogger(name).level, list(logging.getLogger(name).handlers),
               logging.getLogger(name).propagate)
        for name in NOISY
    }  # fmt: skip
    buffer = io.StringIO()
    stderr, sys.stderr = sys.stderr, buffer
    try:
        configure_logging("DEBUG", "text")
    finally:
        sys.stderr = stderr
    try:
        yield buffer
    finally:
        root.handlers[:] = saved_root[0]
        root.setLevel(saved_root[1])
        for name, (level, handlers, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.setLevel(level)
            logger.handlers[:] = handlers
            logger.propagate = propagate


def database_text(settings: Settings) -> list[bytes]:
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        path = Path(sa.make_url(url).database or "")
        return [p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists()]
    chunks = []
    with kit_db.get_database().engine.connect() as conn:
        tables = conn.execute(
            sa.text(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema IN ('public', 'dbos') AND table_type = 'BASE TABLE'"
            )
        ).all()
        for schema, table in tables:
            rows = conn.execute(sa.text(f'SELECT t::text FROM "{schema}"."{table}" t')).scalars()
            chunks.append("\n".join(rows).encode())
    return chunks


def test_no_token_reaches_the_database_or_a_log_line(
    client: TestClient,
    tenant: Tenant,
    fake: FakePlatforms,
    contents: Contents,
    settings: Settings,
    production_logs: io.StringIO,
) -> None:
    project_id = new_project(client, tenant)
    accounts = {}
    for platform in ("tiktok", "instagram"):
        accounts[platform], _ = connect_live(client, tenant, project_id, platform)
        set_posting_mode(client, tenant, accounts[platform], "automatic")

    # Refresh: TikTok because its access token is about to expire, Instagram in the sweep.
    update_account(accounts["tiktok"], token_expires_at=clock.now() + timedelta(minutes=1))
    tokens.access_token(accounts["tiktok"])
    update_account(
        accounts["instagram"],
        token_expires_at=clock.now() + timedelta(days=10),
        token_refreshed_at=clock.now() - timedelta(days=50),
    )
    assert sweep.run(clock.now())["refreshed"] >= 1
    # A 401 on the way: refreshed again, then published.
    fake.fail("creator_info", 401, code="access_token_invalid")

    posts = [
        new_post(accounts["tiktok"], origin="api"),
        new_post(accounts["instagram"], origin="api"),
    ]
    publishing.dispatch_due()  # durable workflows: their inputs and outputs are stored too
    for post_id in posts:
        wait_for(lambda post_id=post_id: post_row(post_id).status == "posted")
    assert fake.count_calls("/refresh_access_token") >= 1
    assert fake.count_calls("/v2/oauth/token/") >= 3  # exchange, expiry refresh, 401 refresh

    secrets = [*fake.issued, CLIENT_SECRET, IG_APP_SECRET]
    assert len(fake.issued) >= 8
    logs = production_logs.getvalue()
    assert "refreshed the tokens of social account" in logs and "→ posted" in logs  # it captured
    leaked_logs = [s for s in secrets if s in logs]
    assert leaked_logs == [], "tokens in the logs"
    stored = database_text(settings)
    assert stored and sum(len(chunk) for chunk in stored) > 10_000
    leaked_db = [
        s for s in secrets if any(s.encode() in c or s.encode().hex().encode() in c for c in stored)
    ]
    assert leaked_db == [], "tokens in the database"
