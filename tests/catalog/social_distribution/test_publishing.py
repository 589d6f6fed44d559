"""process-due and recover-overdue: the gate, the posting modes, holds, and a simulated day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.catalog.social_distribution import attaching, dispatch, recovery
from layers.engine import scheduler
from layers.kit import clock
from layers.kit.clock import ManualClock
from layers.kit.db import get_database
from layers.kit.ids import deterministic_id
from layers.models.engine import Run
from layers.models.publishing import ScheduledPost
from layers.publishing import protocol as publishing
from tests.catalog.social_distribution.helpers import (
    account,
    completed_container,
    counting_platform_calls,
    install_layer,
    project,
    slots,
)
from tests.engine.helpers import wait_for_run
from tests.social.conftest import Contents
from tests.social.helpers import attempts_of, post_row, update_account, update_post
from tests.support import Tenant, manual_time, wait_for

TIMES = ["09:00", "13:30", "21:15"]
COMMANDS = ("process-due", "recover-overdue", "refresh-schedule-scheduled")


def _filled_layer(
    client: TestClient,
    tenant: Tenant,
    *,
    platform: str = "tiktok",
    posting_mode: str = "automatic",
    will_publish: bool = True,
    contents: int = 9,
) -> dict[str, Any]:
    project_id = project(client, tenant)
    for _ in range(contents):
        completed_container(project_id)
    return install_layer(
        client,
        tenant,
        project_id,
        account(project_id, platform, posting_mode),
        distributionMode="custom",
        schedule={"times": TIMES},
        willPublish=will_publish,
    )


def _minutes_of_the_day(layer_id: str, start: datetime) -> list[datetime]:
    """Every minute around each of the layer's slots of the day (from 3 minutes before to 3
    after) and every 15th minute in between: the scheduler starts a missed occurrence once at
    the next tick, so the coarse minutes lose nothing, and the tick (global: it also serves
    every other test's layers) stays cheap enough for PostgreSQL."""
    end = start + timedelta(days=1)
    dense = {
        slot.scheduled_at + timedelta(minutes=offset)
        for slot in slots(layer_id)
        for offset in range(-3, 4)
    }
    coarse = {start + timedelta(minutes=m) for m in range(0, 24 * 60 + 1, 15)}
    return sorted(m for m in dense | coarse if start <= m <= end)


def _simulate_day(
    client: TestClient, tenant: Tenant, layer_id: str, manual: ManualClock, start: datetime
) -> int:
    """Tick through the day; after each tick, wait for this layer's runs and for the posts
    they claimed. Returns how many runs the layer had."""
    headers = tenant.headers(test=True)
    runs = 0
    for moment in _minutes_of_the_day(layer_id, start):
        manual.set(moment)
        started = scheduler.tick(moment).started
        for command in COMMANDS:
            run_id = deterministic_id("run", moment, layer_id, command)
            if run_id not in started:
                continue
            runs += 1
            run = wait_for_run(client, headers, run_id)
            assert run["status"] == "completed", run
            for post_id in (run["output"] or {}).get("postIds", []):
                wait_for(lambda p=post_id: post_row(p).status not in ("ready", "posting"))
    return runs


def test_a_simulated_day_publishes_every_slot_once_in_its_minute(
    client: TestClient, tenant: Tenant, contents: Contents
) -> None:
    start = datetime(2031, 5, 12, 7, 0, tzinfo=UTC)  # midnight in Los Angeles
    with manual_time(start) as manual, counting_platform_calls() as calls:
        layer = _filled_layer(client, tenant)
        todays = [s for s in slots(layer["id"]) if s.scheduled_at < start + timedelta(days=1)]
        assert len(todays) == 3 and all(s.status == "ready" for s in todays)
        _simulate_day(client, tenant, layer["id"], manual, start)
    for slot in todays:
        post = post_row(slot.id)
        assert post.status == "posted", post.status
        assert post.posted_at is not None
        assert slot.scheduled_at <= post.posted_at < slot.scheduled_at + timedelta(minutes=1)
        assert post.claim_count == 1
        assert [a.status for a in attempts_of(slot.id)] == ["accepted"]
    assert calls["commit"] == 3  # one platform publish per slot, nothing else published
    later = [s for s in slots(layer["id"]) if s.scheduled_at >= start + timedelta(days=1)]
    assert later and all(s.status in ("ready", "pending") for s in later)


def test_with_will_publish_off_a_day_makes_zero_platform_calls(
    client: TestClient, tenant: Tenant, contents: Contents
) -> None:
    start = datetime(2031, 6, 2, 7, 0, tzinfo=UTC)
    with manual_time(start) as manual, counting_platform_calls() as calls:
        layer = _filled_layer(client, tenant, will_publish=False)
        _simulate_day(client, tenant, layer["id"], manual, start)
    assert sum(calls.values()) == 0
    assert not [s for s in slots(layer["id"]) if s.status in ("posting", "posted", "draft")]
    with get_database().transaction(write=False) as session:
        process_runs = session.scalar(
            sa.select(sa.func.count())
            .select_from(Run)
            .where(Run.layer_id == layer["id"], Run.command_id == "process-due")
        )
    assert process_runs == 0  # the probe leaves the Runs list alone


def _make_due(post_id: str, minutes: int = 1) -> None:
    update_post(post_id, scheduled_at=clock.now() - timedelta(minutes=minutes))


def test_posting_modes_drafts_and_manual(
    client: TestClient, tenant: Tenant, contents: Contents
) -> None:
    tiktok = _filled_layer(client, tenant, posting_mode="manual", contents=1)
    instagram = _filled_layer(
        client, tenant, platform="instagram", posting_mode="manual", contents=1
    )
    for layer, expected in ((tiktok, "draft"), (instagram, "pending_manual")):
        post = next(s for s in slots(layer["id"]) if s.container_id)
        _make_due(post.id)
        with get_database().transaction(write=False) as session:
            found = session.get(type(post), post.id)
            from layers.models.engine import ProjectLayer

            row = session.get(ProjectLayer, layer["id"])
            assert row is not None and found is not None
            assert dispatch.has_due(session, row, clock.now())
        assert dispatch.dispatch(layer["id"])["claimed"] == 1
        wait_for(lambda p=post.id, e=expected: post_row(p).status == e)


def test_an_unhealthy_account_holds_its_posts_until_it_reconnects(
    client: TestClient, tenant: Tenant, contents: Contents
) -> None:
    layer = _filled_layer(client, tenant, contents=1)
    post = next(s for s in slots(layer["id"]) if s.container_id)
    _make_due(post.id)
    update_account(post.social_account_id, healthy=False, status="reauth_required")
    result = dispatch.dispatch(layer["id"])
    assert result["claimed"] == 0 and result["held"] == 1
    held = post_row(post.id)
    assert held.status == "ready" and held.hold_reason == "account_unhealthy"
    assert recovery.recover(layer["id"])["overdue"] == 0  # held, not re-slotted or lost
    update_account(post.social_account_id, healthy=True, status="connected")
    with get_database().transaction() as session:
        publishing.release_account_holds(session, post.social_account_id)
    assert dispatch.dispatch(layer["id"])["claimed"] == 1
    wait_for(lambda: post_row(post.id).status == "posted")


def test_will_publish_off_dispatches_nothing(
    client: TestClient, tenant: Tenant, contents: Contents
) -> None:
    layer = _filled_layer(client, tenant, will_publish=False, contents=1)
    post = next(s for s in slots(layer["id"]) if s.container_id)
    _make_due(post.id)
    with counting_platform_calls() as calls:
        assert dispatch.dispatch(layer["id"]) == {
            "willPublish": False,
            "claimed": 0,
            "held": 0,
            "postIds": [],
        }
    assert sum(calls.values()) == 0 and post_row(post.id).status == "ready"


def test_recover_overdue_moves_missed_posts_into_the_next_empty_slots(
    client: TestClient, tenant: Tenant, contents: Contents
) -> None:
    layer = _filled_layer(client, tenant, contents=2)
    filled = [s for s in slots(layer["id"]) if s.container_id]
    empty = [s for s in slots(layer["id"]) if not s.container_id]
    missed, failed = filled
    _make_due(missed.id, minutes=30)
    _make_due(failed.id, minutes=90)
    update_post(failed.id, status="failed", last_error={"code": "PLATFORM_UNAVAILABLE"})
    recent = completed_container(str(layer["projectId"]))
    with get_database().transaction() as session:
        attaching.attach(session, layer["id"], recent)
    empty = [s for s in slots(layer["id"]) if not s.container_id]
    with get_database().transaction(write=False) as session:
        from layers.models.engine import ProjectLayer

        row = session.get(ProjectLayer, layer["id"])
        assert row is not None and recovery.has_overdue(session, row, clock.now())
    result = recovery.recover(layer["id"])
    assert result["moved"] == 2
    assert [p["from"] for p in result["posts"]] == ["failed", "ready"]  # the status it had
    moved_failed, moved_missed = post_row(failed.id), post_row(missed.id)
    assert moved_failed.scheduled_at == empty[0].scheduled_at  # the earliest missed first
    assert moved_missed.scheduled_at == empty[1].scheduled_at
    assert moved_failed.status == moved_missed.status == "ready"
    assert moved_failed.container_id == failed.container_id  # same post, same content
    rows = slots(layer["id"])
    assert len({r.scheduled_at for r in rows}) == len(rows)
    assert recovery.recover(layer["id"])["overdue"] == 0


def test_scheduled_posts_list_filters_by_layer_and_internal_status(
    client: TestClient, tenant: Tenant, contents: Contents
) -> None:
    layer = _filled_layer(client, tenant, contents=2)
    headers = tenant.headers(test=True)
    base = f"/v1/projects/{layer['projectId']}/scheduled-posts"
    everything = client.get(base, params={"layerId": layer["id"]}, headers=headers).json()
    assert len(everything["items"]) == 9
    ready = client.get(
        base, params={"layerId": layer["id"], "internalStatus": "ready"}, headers=headers
    ).json()["items"]
    assert len(ready) == 2 and {p["internalStatus"] for p in ready} == {"ready"}
    assert {p["layerId"] for p in ready} == {layer["id"]} and ready[0]["origin"] == "slot"
    page = client.get(base, params={"layerId": layer["id"], "limit": 4}, headers=headers).json()
    rest = client.get(
        base,
        params={"layerId": layer["id"], "limit": 10, "cursor": page["nextCursor"]},
        headers=headers,
    ).json()
    ids = [p["id"] for p in page["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 9
    one = client.get(f"/v1/scheduled-posts/{ready[0]['id']}", headers=headers).json()
    assert one["internalStatus"] == "ready" and one["layerId"] == layer["id"]
    bad = client.get(base, params={"internalStatus": "nope"}, headers=headers)
    assert bad.status_code == 422
    assert ScheduledPost  # (rows are what the API shows)
