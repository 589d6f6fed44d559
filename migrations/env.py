"""Alembic environment: one migration history for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic import context

import layers.models  # noqa: F401  (registers every table on the metadata)
from layers.kit.db import DBOS_SQLITE_TABLES, Base, make_engine
from layers.kit.settings import get_settings

config = context.config


def include_name(name: str | None, type_: str, _parents: dict[str, Any]) -> bool:
    # DBOS's system tables share the SQLite file; they are DBOS's to migrate, not ours.
    return not (type_ == "table" and name in DBOS_SQLITE_TABLES)


def run() -> None:
    url = config.attributes.get("url") or get_settings().resolved_database_url
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = make_engine(url, pool_size=1, immediate=True)
    try:
        with engine.connect() as conn:
            _migrate(conn)
    finally:
        engine.dispose()


def _migrate(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_name=include_name,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
