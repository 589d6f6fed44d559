"""The process-wide DBOS schedules, (re)applied on every launch."""

from __future__ import annotations

from typing import Any

from dbos import DBOS


def system_schedules() -> list[dict[str, Any]]:
    from layers.engine.maintenance import maintenance

    return [
        {
            "schedule_name": "layers.maintenance",
            "workflow_fn": maintenance,
            "schedule": "17 * * * *",
        }
    ]


def apply() -> None:
    DBOS.apply_schedules(system_schedules())  # type: ignore[arg-type]
