"""The health sweep's work, callable directly with any ``now`` (tests, operators)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from layers.kit.db import get_database
from layers.models.social import SocialAccount
from layers.social import health, tokens

log = logging.getLogger("layers.social.sweep")

BATCH = 200


def run(now: datetime) -> dict[str, Any]:
    """Refresh the grants that would otherwise lapse, then snapshot every live account."""
    db = get_database()
    refreshed = failed = snapshots = 0
    after = ""
    while True:
        with db.transaction(write=False) as session:
            ids = list(
                session.scalars(
                    sa.select(SocialAccount.id)
                    .where(SocialAccount.status != "disconnected", SocialAccount.id > after)
                    .order_by(SocialAccount.id)
                    .limit(BATCH)
                )
            )
        if not ids:
            break
        after = ids[-1]
        for account_id in ids:
            try:
                refreshed += tokens.refresh_if_due(account_id)
            except tokens.TokenUnavailable as exc:
                failed += 1
                log.warning("proactive refresh of %s failed: %s", account_id, exc.reason)
        with db.transaction() as session:
            for account in session.scalars(
                sa.select(SocialAccount).where(SocialAccount.id.in_(ids))
            ):
                health.take_snapshot(session, account, reason="sweep")
                snapshots += 1
    with db.transaction() as session:
        purged = health.purge(session, now)
    return {
        "refreshed": refreshed,
        "refreshFailed": failed,
        "snapshots": snapshots,
        "purged": purged,
    }
