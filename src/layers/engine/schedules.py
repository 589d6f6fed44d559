"""The process-wide DBOS schedules, (re)applied on every launch."""

from __future__ import annotations

from typing import Any

from dbos import DBOS


def system_schedules() -> list[dict[str, Any]]:
    from layers.engine.maintenance import maintenance
    from layers.engine.settings import engine_settings
    from layers.engine.workflows import scheduler_tick
    from layers.publishing.workflows import dispatch_due
    from layers.social.workflows import health_sweep

    return [
        {
            "schedule_name": "layers.maintenance",
            "workflow_fn": maintenance,
            "schedule": "17 * * * *",
        },
        {
            # The layer engine's scheduler: starts every scheduled command that is due.
            "schedule_name": "layers.scheduler",
            "workflow_fn": scheduler_tick,
            "schedule": engine_settings().scheduler_cron,
        },
        {
            "schedule_name": "publishing.dispatch_due",
            "workflow_fn": dispatch_due,
            "schedule": "* * * * *",
        },
        {
            "schedule_name": "social.health_sweep",
            "workflow_fn": health_sweep,
            "schedule": "*/30 * * * *",
        },
    ]


def apply() -> None:
    DBOS.apply_schedules(system_schedules())  # type: ignore[arg-type]
