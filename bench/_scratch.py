"""Scratch databases for the benches: a PostgreSQL database made for one run and dropped
after it, or a fresh SQLite file."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from layers.kit.db import normalize_url


@contextmanager
def scratch_postgres(base_url: str, label: str) -> Iterator[str]:
    """A new database on the server of `base_url`, dropped (its sessions ended) afterwards."""
    url = sa.make_url(normalize_url(base_url))
    name = f"layers_bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@contextmanager
def fresh_database(kind: str, postgres_url: str | None) -> Iterator[str]:
    """A fresh database of `kind` ("sqlite" or "postgresql")."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="layers-bench-") as directory:
            yield f"sqlite:///{Path(directory) / 'bench.db'}"
        return
    if not postgres_url:
        raise SystemExit("--postgres URL is required for a PostgreSQL run")
    with scratch_postgres(postgres_url, kind) as url:
        yield url
