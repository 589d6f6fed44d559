"""The one Alembic history and the models agree (what `alembic check` verifies), on the
database the suite runs on."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

import layers.models  # noqa: F401  (registers every table on the metadata)
from layers.kit.db import DBOS_SQLITE_TABLES, Base, make_engine
from layers.kit.migrate import alembic_config
from layers.kit.settings import Settings


def _ours(name: str | None, type_: str, _parents: dict[str, object]) -> bool:
    return not (type_ == "table" and name in DBOS_SQLITE_TABLES)


def test_the_migrated_database_matches_the_models(settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": _ours}
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_the_history_is_one_line_to_head(settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            heads = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    script = ScriptDirectory.from_config(alembic_config(settings.resolved_database_url))
    assert len(heads) == 1
    assert script.get_heads() == [heads[0][0]]
