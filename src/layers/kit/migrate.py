"""Bring a database up to date: our Alembic history, then DBOS's system tables."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from layers.kit import durable
from layers.kit.settings import Settings


def _script_location() -> Path:
    packaged = Path(__file__).resolve().parent.parent / "_migrations"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_script_location()))
    config.attributes["url"] = url
    return config


def migrate(settings: Settings) -> None:
    settings.ensure_data_dir()
    command.upgrade(alembic_config(settings.resolved_database_url), "head")
    durable.migrate_system_database(settings)
