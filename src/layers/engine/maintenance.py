"""Housekeeping on a schedule: expired idempotency records, audit-log rows past their
retention (``LAYERS_AUDIT_RETENTION_DAYS``), and the crons' own finished runs
in DBOS's tables (a day of them is kept)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from dbos import DBOS

from layers.kit import durable, idempotency
from layers.kit.db import get_database
from layers.kit.settings import get_settings
from layers.orgs.audit import service as audit

log = logging.getLogger("layers.maintenance")


@DBOS.step(name="maintenance.purge_idempotency")
def purge_idempotency() -> int:
    with get_database().transaction() as session:
        return idempotency.purge_expired(session)


CRON_HISTORY_KEPT = timedelta(days=1)


@DBOS.step(name="maintenance.prune_cron_history")
def prune_cron_history() -> int:
    return durable.prune_cron_history(get_settings(), older_than=CRON_HISTORY_KEPT)


@DBOS.step(name="maintenance.purge_audit_log")
def purge_audit_log() -> int:
    with get_database().transaction() as session:
        return audit.purge_expired(session)


@DBOS.workflow(name="layers.maintenance")
def maintenance(_scheduled_at: datetime, _context: Any) -> None:
    purged = purge_idempotency()
    if purged:
        log.info("purged %d expired idempotency records", purged)
    expired = purge_audit_log()
    if expired:
        log.info("purged %d audit-log rows past their retention", expired)
    pruned = prune_cron_history()
    if pruned:
        log.info("pruned %d finished cron runs", pruned)


CRONS = (durable.Cron("layers.maintenance", maintenance, lambda _settings: "17 * * * *"),)
