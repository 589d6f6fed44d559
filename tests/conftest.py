"""Test harness.

* One database per test session: a fresh SQLite file, or the PostgreSQL database named by
  ``LAYERS_TEST_DATABASE_URL`` (wiped and migrated at start).
* DBOS runs in-process for the whole session, with every workflow registered.
* Tests isolate by tenant: each test creates its own organization and keys, so API tests
  never see each other's rows. Service tests use `session`, a transaction rolled back at the
  end of the test.
* Tests that start server processes get a database of their own (`isolated_database_url`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from layers import wiring
from layers.app import create_app
from layers.kit import db as kit_db
from layers.kit import durable
from layers.kit.migrate import migrate
from layers.kit.settings import Settings, set_settings
from layers.kit.storage import reset_storage
from tests import support
from tests.social import fake_platforms
from tests.social.fake_platforms import FakePlatforms

TEST_DATABASE_URL = os.environ.get("LAYERS_TEST_DATABASE_URL")

# The suite's tenants are top-level organizations that generate without buying credits and
# send many requests from one key (server processes inherit this too); the wallet's and the
# rate limits' own tests set their settings back.
os.environ.setdefault("LAYERS_UNMETERED_ROOT_ORGS", "true")
os.environ.setdefault("LAYERS_RATE_LIMIT_SCALE", "1000")
# `layers` subprocesses print tables as wide as a terminal: under pytest-xdist they have none to
# ask (stdin is the worker's pipe), so give them a wide one rather than 80 columns that fold ids.
os.environ.setdefault("COLUMNS", "200")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with `slow` tests (server processes, browsers) first, in their order: the workers
    take a file at a time in collection order (`--no-loadscope-reorder` in the Makefile), so
    the long files start early and the short ones fill in at the end instead of one worker
    finishing a browser journey alone."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: order kept within


def _wipe_postgres(url: str) -> None:
    engine = sa.create_engine(kit_db.normalize_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS dbos CASCADE"))
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def _worker_database(url: str) -> str:
    """The PostgreSQL database of this pytest-xdist worker: ``test`` for a run without workers,
    ``test_gw0``, ``test_gw1``… beside it with them (created when missing), so that parallel
    workers never wipe each other's schema."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parsed = sa.make_url(kit_db.normalize_url(url))
    name = f"{parsed.database}_{worker}"
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    data_dir = tmp_path_factory.mktemp("layers-data")
    if TEST_DATABASE_URL:
        url = _worker_database(TEST_DATABASE_URL)
        _wipe_postgres(url)
    else:
        url = f"sqlite:///{data_dir / 'layers.db'}"
    configured = Settings(
        data_dir=data_dir,
        database_url=url,
        public_base_url="http://testserver",
        api_key_pepper="test-pepper",
        session_secret="test-session-secret",
        queue_polling_interval=0.05,
    )
    set_settings(configured)
    reset_storage()
    migrate(configured)
    kit_db.configure(url)
    wiring.launch_workers(configured)
    yield configured
    durable.shutdown()


@pytest.fixture(scope="session")
def app(settings: Settings) -> object:
    return create_app(settings)


@pytest.fixture(scope="session")
def client(app: object) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:  # type: ignore[arg-type]
        yield test_client


@pytest.fixture(scope="session")
def live_url(app: Any) -> Iterator[str]:
    """The session's app served on a real port (for browsers, SSE and CLI subprocesses that
    read what the tests made in-process)."""
    port = support.free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    support.wait_for(lambda: server.started, timeout=30)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


PLATFORM_SETTINGS = (
    "tiktok_client_key",
    "tiktok_client_secret",
    "tiktok_api_base",
    "tiktok_auth_base",
    "instagram_app_id",
    "instagram_app_secret",
    "instagram_graph_base",
    "instagram_api_base",
    "instagram_auth_base",
)


@pytest.fixture(scope="session")
def fake_server(settings: Settings) -> Iterator[FakePlatforms]:
    saved = {name: getattr(settings, name) for name in PLATFORM_SETTINGS}
    with fake_platforms.serve(FakePlatforms()) as fake:
        base = fake.base_url
        settings.tiktok_client_key = fake_platforms.CLIENT_KEY
        settings.tiktok_client_secret = fake_platforms.CLIENT_SECRET
        settings.instagram_app_id = fake_platforms.IG_APP_ID
        settings.instagram_app_secret = fake_platforms.IG_APP_SECRET
        for name in ("tiktok_api_base", "tiktok_auth_base", "instagram_graph_base"):
            setattr(settings, name, base)
        settings.instagram_api_base = base
        settings.instagram_auth_base = base
        try:
            yield fake
        finally:
            for name, value in saved.items():
                setattr(settings, name, value)


@pytest.fixture
def fake(fake_server: FakePlatforms) -> Iterator[FakePlatforms]:
    fake_server.reset()
    yield fake_server
    fake_server.reset()


@pytest.fixture
def tenant(settings: Settings) -> support.Tenant:
    """A fresh organization with a live and a test full-access key."""
    return support.new_tenant()


@pytest.fixture
def other_tenant(settings: Settings) -> support.Tenant:
    return support.new_tenant("Other org")


@pytest.fixture
def session(settings: Settings) -> Iterator[Session]:
    """A session whose work is rolled back when the test ends."""
    engine = kit_db.get_database().engine.execution_options(layers_write=True)
    connection = engine.connect()
    transaction = connection.begin()
    db_session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield db_session
    finally:
        db_session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def isolated_database_url(tmp_path: Path) -> Iterator[str]:
    """A database of its own, for tests that run server processes."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'isolated.db'}"
        return
    yield from support.scratch_postgres_database(TEST_DATABASE_URL)
