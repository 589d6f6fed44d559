"""Housekeeping on a schedule: expired idempotency records."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from dbos import DBOS

from layers.kit import durable, idempotency
from layers.kit.db import get_database

log = logging.getLogger("layers.maintenance")


@DBOS.step(name="maintenance.purge_idempotency")
def purge_idempotency() -> int:
    with get_database().transaction() as session:
        return idempotency.purge_expired(session)


@DBOS.workflow(name="layers.maintenance")
def maintenance(_scheduled_at: datetime, _context: Any) -> None:
    purged = purge_idempotency()
    if purged:
        log.info("purged %d expired idempotency records", purged)


CRONS = (durable.Cron("layers.maintenance", maintenance, lambda _settings: "17 * * * *"),)
