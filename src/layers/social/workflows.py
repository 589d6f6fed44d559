"""The health sweep: every 30 minutes, keep long-lived grants fresh and snapshot each account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dbos import DBOS

from layers.kit import clock, durable
from layers.social import sweep

HEALTH_WORKFLOW = "social.health_sweep"


@DBOS.step(name="social.sweep")
def sweep_step() -> dict[str, Any]:
    return sweep.run(clock.now())


@DBOS.workflow(name=HEALTH_WORKFLOW)
def health_sweep(_scheduled_at: datetime, _context: Any) -> dict[str, Any]:
    return sweep_step()


CRONS = (durable.Cron("social.health_sweep", health_sweep, lambda _settings: "*/30 * * * *"),)
