"""Cron expressions as the engine reads them: five fields, evaluated in UTC."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from croniter import croniter

from layers.engine.templates import config_cron, config_crons
from layers.kit.errors import Validation


def cron_is_valid(expression: str) -> bool:
    """Five fields, evaluated in UTC (no seconds field, no @-aliases surprises)."""
    if not isinstance(expression, str) or len(expression.split()) != 5:
        return False
    try:
        return bool(croniter.is_valid(expression))
    except (ValueError, TypeError, KeyError):
        return False


def next_after(expression: str, after: datetime) -> datetime:
    """The first time strictly after `after` that `expression` (UTC) matches."""
    nxt = croniter(expression, after.astimezone(UTC)).get_next(datetime)
    assert isinstance(nxt, datetime)
    return nxt.astimezone(UTC) if nxt.tzinfo else nxt.replace(tzinfo=UTC)


def check_config_cron(config: Mapping[str, Any]) -> None:
    """422 naming ``config.schedule.cron`` when the layer's cron override does not parse."""
    schedule = config.get("schedule")
    if not isinstance(schedule, Mapping):
        return
    for command_id, own in config_crons(config).items():
        if not cron_is_valid(own):
            raise Validation.field(
                f"config.schedule.crons.{command_id}",
                "must be a cron expression of five fields (minute hour day month weekday), in UTC",
                "cron_invalid",
            )
    if "cron" not in schedule:
        return
    cron = config_cron(config)
    if cron is None or not cron_is_valid(cron):
        raise Validation.field(
            "config.schedule.cron",
            "must be a cron expression of five fields (minute hour day month weekday), in UTC",
            "cron_invalid",
        )
