"""Durable metrics sync: a tick every ``metrics_tick_minutes`` enrolls newly published posts
and starts one ``metrics.sync_account`` workflow per account with posts due, on the delivery
work class (I/O), partitioned by account so one account is never read twice at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dbos import DBOS

from layers.kit import clock, durable
from layers.kit.db import get_database
from layers.kit.settings import get_settings
from layers.metrics import repository, sync

SYNC_DUE = "metrics.sync_due"
SYNC_ACCOUNT = "metrics.sync_account"
MAX_ACCOUNTS_PER_TICK = 5000


@dataclass(frozen=True)
class SyncAccountInput:
    """The input of the ``metrics.sync_account`` workflow."""

    account_id: str


def plan(now: datetime) -> dict[str, int]:
    """Enroll new posts and start a sync for every account with posts due (one transaction:
    the workflows start exactly when the plan commits). Callable with any `now`."""
    settings = get_settings()
    stamp = now.strftime("%Y%m%dT%H%M")
    with get_database().transaction() as session:
        enrolled = repository.enroll(session, now, timedelta(days=settings.metrics_window_days))
        accounts = repository.due_accounts(session, now, MAX_ACCOUNTS_PER_TICK)
        for account_id in accounts:
            durable.enqueue(
                session,
                settings,
                SYNC_ACCOUNT,
                SyncAccountInput(account_id),
                workflow_id=f"metrics:{account_id}:{stamp}",
                queue=durable.DELIVERY.name,
                partition_key=f"metrics:{account_id}",
            )
    return {"enrolled": enrolled, "accounts": len(accounts)}


@DBOS.step(name="metrics.plan")
def plan_step() -> dict[str, int]:
    return plan(clock.now())


@DBOS.workflow(name=SYNC_DUE)
def sync_due(_scheduled_at: datetime, _context: Any) -> dict[str, int]:
    return plan_step()


@DBOS.step(name="metrics.read_account")
def sync_account_step(account_id: str) -> dict[str, object]:
    return sync.sync_account(account_id).to_dict()


@DBOS.workflow(name=SYNC_ACCOUNT)
def sync_account(inp: SyncAccountInput) -> dict[str, object]:
    return sync_account_step(inp.account_id)


CRONS = (
    durable.Cron(SYNC_DUE, sync_due, lambda settings: f"*/{settings.metrics_tick_minutes} * * * *"),
)
