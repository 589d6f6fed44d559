"""The per-minute dispatcher: which posts it claims, the workflows it starts, and races."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from dbos import DBOS
from fastapi.testclient import TestClient

from layers import wiring
from layers.kit import clock
from layers.kit.settings import get_settings
from layers.publishing import protocol as publishing
from layers.publishing.workflows import DISPATCH_WORKFLOW
from tests.social.conftest import Contents
from tests.social.helpers import (
    attempts_of,
    connect_sandbox,
    look_again,
    new_post,
    new_project,
    post_row,
    set_posting_mode,
    update_account,
    update_post,
)
from tests.support import Tenant, wait_for


def sandbox_account(client: TestClient, tenant: Tenant, platform: str = "tiktok") -> str:
    project_id = new_project(client, tenant, test=True)
    account_id = connect_sandbox(client, tenant, project_id, platform)
    set_posting_mode(client, tenant, account_id, "automatic", test=True)
    return account_id


def test_dispatch_claims_only_due_partner_posts_and_starts_one_workflow_each(
    client: TestClient, tenant: Tenant, contents: Contents
) -> None:
    account_id = sandbox_account(client, tenant)
    due = new_post(account_id, origin="api")
    future = new_post(account_id, origin="api", scheduled_at=clock.now() + timedelta(hours=1))
    slot = new_post(account_id, origin="slot")
    pending = new_post(account_id, origin="api", status="pending")
    later = new_post(account_id, origin="api")
    retry_at = clock.now() + timedelta(minutes=5)
    update_post(later, retry_at=retry_at)

    report = publishing.dispatch_due()

    assert due in report.claimed or post_row(due).claim_count == 1
    for untouched in (future, slot, pending, later):
        assert untouched not in report.claimed
    posted = wait_for(lambda: (p := post_row(due)).status == "posted" and p)
    assert posted.claimed_by == publishing.workflow_id(due, 1)
    status = DBOS.retrieve_workflow(publishing.workflow_id(due, 1)).get_status()
    assert status.name == publishing.PUBLISH_WORKFLOW and status.queue_name == "publishing"
    statuses = [post_row(p).status for p in (future, slot, pending, later)]
    assert statuses == ["ready", "ready", "pending", "ready"]
    look_again(later)  # its retry_at has come
    wait_for(lambda: post_row(later).status == "posted")


def test_concurrent_dispatchers_claim_each_post_once(
    client: TestClient, tenant: Tenant, contents: Contents
) -> None:
    account_id = sandbox_account(client, tenant)
    posts = [new_post(account_id, origin="api") for _ in range(12)]
    start = threading.Barrier(6)

    def dispatch(_: int) -> list[str]:
        start.wait(timeout=20)
        return publishing.dispatch_due().claimed

    with ThreadPoolExecutor(max_workers=6) as pool:
        claimed = [post for batch in pool.map(dispatch, range(6)) for post in batch]

    mine = [p for p in claimed if p in posts]
    assert sorted(mine) == sorted(set(mine))  # nobody claimed a post twice
    for post_id in posts:
        wait_for(lambda post_id=post_id: post_row(post_id).status == "posted")
        assert post_row(post_id).claim_count == 1
        assert [a.status for a in attempts_of(post_id)] == ["accepted"]


def test_due_posts_of_an_unhealthy_account_are_held_visibly(
    client: TestClient, tenant: Tenant, contents: Contents
) -> None:
    account_id = sandbox_account(client, tenant)
    update_account(account_id, healthy=False, status="reauth_required")
    post_id = new_post(account_id, origin="api")
    assert post_id not in publishing.dispatch_due().claimed
    post = post_row(post_id)
    assert post.status == "ready" and post.hold_reason == "account_unhealthy"


def test_the_system_schedule_dispatches_due_posts(
    client: TestClient, tenant: Tenant, contents: Contents
) -> None:
    entries = {cron.name: cron.schedule(get_settings()) for cron in wiring.CRONS}
    assert entries[DISPATCH_WORKFLOW] == "*/10 * * * * *"  # every 10 s (the default)
    assert entries["social.health_sweep"] == "*/30 * * * *"
    assert {s["schedule_name"] for s in DBOS.list_schedules()} >= set(entries)  # the launch's
    account_id = sandbox_account(client, tenant)
    post_id = new_post(account_id, origin="api")
    before = {schedule["schedule_name"] for schedule in DBOS.list_schedules()}
    try:
        # The minute's tick, now: the schedule's own workflow claims and publishes the post.
        DBOS.trigger_schedule(DISPATCH_WORKFLOW).get_result()
        wait_for(lambda: post_row(post_id).status == "posted")
        DBOS.trigger_schedule("social.health_sweep").get_result()
        body = client.get(
            f"/v1/social-accounts/{account_id}/health", headers=tenant.headers(test=True)
        ).json()
        assert body["snapshot"]["reason"] == "sweep"
        assert body["snapshot"]["metrics"]["postsPublished"] == 1
    finally:
        for name in set(entries) - before:  # leave the session's schedules as they were
            DBOS.delete_schedule(name)
