"""Plain helpers for the metrics tests."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.kit import clock
from layers.kit.db import get_database
from layers.metrics import repository, sync
from layers.models.metrics import PostMetricSnapshot, PostMetricSync
from layers.publishing import protocol as publishing
from tests.social.helpers import (
    connect_sandbox,
    new_post,
    post_row,
    set_posting_mode,
    update_post,
)
from tests.support import Tenant, manual_time


def published_post(account_id: str, *, posted_at: datetime | None = None) -> str:
    """A post published through the real protocol (the sandbox in test mode, the fake
    platform live), then dated `posted_at`."""
    post_id = new_post(account_id)
    publishing.publish_post(post_id, claimant=f"test:{post_id}")
    row = post_row(post_id)
    assert row.status == "posted" and row.platform_post_id, (row.status, row.last_error)
    if posted_at is not None:
        update_post(post_id, posted_at=posted_at)
    return post_id


def snapshots_of(post_id: str) -> list[PostMetricSnapshot]:
    with get_database().transaction(write=False) as session:
        rows = list(
            session.scalars(
                sa.select(PostMetricSnapshot)
                .where(PostMetricSnapshot.scheduled_post_id == post_id)
                .order_by(PostMetricSnapshot.captured_at)
            )
        )
        for row in rows:
            session.expunge(row)
        return rows


def sync_row(post_id: str) -> PostMetricSync | None:
    with get_database().transaction(write=False) as session:
        row = session.get(PostMetricSync, post_id)
        if row is not None:
            session.expunge(row)
        return row


def days_ago(days: float) -> datetime:
    return clock.now() - timedelta(days=days)


def enroll_now() -> int:
    """Put newly published posts on the sync schedule, as the sync tick does first."""
    with get_database().transaction() as session:
        return repository.enroll(session, clock.now(), timedelta(days=30))


def two_weeks_of_posts(
    client: TestClient, tenant: Tenant, project_id: str, containers: list[str]
) -> str:
    """A sandbox TikTok account connected two weeks ago that posted about once a day since
    (the `containers` in turn), its metrics read back every twelve hours, as production does
    it but on a manual clock. Returns the account's id."""
    with manual_time(clock.now() - timedelta(days=14)) as manual:
        account_id = connect_sandbox(client, tenant, project_id, "tiktok", handle="acme.coffee")
        set_posting_mode(client, tenant, account_id, "automatic", test=True)
        for half_day in range(28):
            if half_day % 2 == 0 or half_day % 5 == 0:
                post_id = published_post(account_id)
                update_post(post_id, container_id=containers[half_day % len(containers)])
            manual.advance(timedelta(hours=12))
            enroll_now()
            sync.sync_account(account_id)
    return account_id
