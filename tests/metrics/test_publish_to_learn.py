"""Test mode end to end: sandbox posts published, the simulator's clock advanced, synced;
series whose totals equal their sums; top performers; cold → warm and the layer re-plans."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.kit import clock
from layers.kit.db import get_database
from layers.metrics import sync, workflows
from layers.models.engine import Run
from layers.models.metrics import PostMetricSnapshot
from layers.social import health
from tests.catalog.social_distribution.helpers import install_layer, project, slots
from tests.engine.helpers import wait_for_run
from tests.metrics.helpers import published_post, sync_row
from tests.social.conftest import Contents
from tests.social.helpers import connect_sandbox, events_of, set_posting_mode
from tests.support import Tenant, manual_time, wait_for

SLOT_TIMES = {"warm": {"10:00", "15:00"}, "hot": {"10:00", "15:00", "19:00"}}
LA = ZoneInfo("America/Los_Angeles")  # the distribution test project's timezone


def _snapshot_count(post_ids: list[str]) -> int:
    with get_database().transaction(write=False) as session:
        return int(
            session.scalar(
                sa.select(sa.func.count()).where(PostMetricSnapshot.scheduled_post_id.in_(post_ids))
            )
            or 0
        )


def _schedule(post_ids: list[str]) -> list[tuple[object, ...]]:
    rows = [sync_row(post_id) for post_id in post_ids]
    return [(r.next_sync_at, r.last_synced_at, r.syncs) if r else () for r in rows]


def _temperature(account_id: str) -> str:
    with get_database().transaction(write=False) as session:
        return health.temperature(session, account_id)


def _replans(layer_id: str) -> list[Run]:
    with get_database().transaction(write=False) as session:
        return list(
            session.scalars(
                sa.select(Run).where(
                    Run.layer_id == layer_id,
                    Run.command_id == "refresh-schedule",
                    Run.trigger == "system",
                )
            )
        )


def _sync_all(post_ids: list[str]) -> None:
    workflows.plan(clock.now())
    synced_at = clock.now()

    def done() -> bool:
        rows = [sync_row(post_id) for post_id in post_ids]
        return all(
            r is not None and r.last_synced_at and r.last_synced_at >= synced_at for r in rows
        )

    wait_for(done, timeout=60)


def test_published_posts_are_read_back_ranked_and_warm_the_account(
    client: TestClient, tenant: Tenant, contents: Contents
) -> None:
    headers = tenant.headers(test=True)
    project_id = project(client, tenant)
    account_id = connect_sandbox(client, tenant, project_id, "tiktok", handle="acme.learns")
    set_posting_mode(client, tenant, account_id, "automatic", test=True)
    layer = install_layer(client, tenant, project_id, account_id)
    times = {s.scheduled_at for s in slots(layer["id"])}
    assert len(times) >= 3  # cold: one slot a day
    with manual_time(clock.now()) as manual:
        # Ten posts over the last five days, two a day.
        posts = [
            published_post(account_id, posted_at=clock.now() - timedelta(hours=12 * (i + 1)))
            for i in range(10)
        ]
        assert (
            health.temperature_for(health.score_of({"postsPublished": 10, "postsFailed": 0}, True))
            == "cold"
        )
        manual.advance(timedelta(hours=6))
        _sync_all(posts)

        # The series and their totals.
        since = clock.now() - timedelta(days=7)
        answer = client.get(
            f"/v1/projects/{project_id}/metrics",
            params={
                "scope": "project",
                "id": project_id,
                "metrics": ["views", "likes", "posts_published", "engagement_rate"],
                "granularity": "day",
                "since": since.isoformat(),
                "until": (clock.now() + timedelta(minutes=1)).isoformat(),
            },
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        by_metric = {s["metric"]: s["points"] for s in body["series"]}
        for name in ("views", "likes", "posts_published"):
            assert body["totals"][name] == sum(p["value"] for p in by_metric[name])
        assert body["totals"]["views"] > 0 and body["totals"]["posts_published"] == 10
        assert 0 < body["totals"]["engagement_rate"] < 1

        # A second read later adds only what changed: totals grow, nothing is counted twice.
        manual.advance(timedelta(hours=1))
        _sync_all(posts)
        again = client.get(
            f"/v1/projects/{project_id}/metrics",
            params={
                "scope": "project",
                "id": project_id,
                "metrics": ["views"],
                "since": since.isoformat(),
            },
            headers=headers,
        ).json()
        assert again["totals"]["views"] >= body["totals"]["views"]
        assert again["totals"]["views"] == sum(p["value"] for p in again["series"][0]["points"])

        # Top performers: ranked by views, each with an organic score.
        top = client.get(
            f"/v1/projects/{project_id}/top-performers",
            params={"metric": "views", "sourceType": "platform_post", "includeIneligible": "true"},
            headers=headers,
        ).json()
        values = [row["metricValue"] for row in top["items"]]
        assert len(values) == 10 and values == sorted(values, reverse=True)
        assert [row["rank"] for row in top["items"]] == list(range(1, 11))
        assert all(row["organicScore"] is not None for row in top["items"])
        assert max(values) > 2 * min(values)  # some posts clearly outperform

        # The account warmed up from its engagement, and its automatic layer re-planned.
        # (The sandbox's post ids are new each run, and so is each post's latent quality: the
        # engagement lands the account in warm, or straight in hot for a strong set.)
        warmed = _temperature(account_id)
        assert warmed in ("warm", "hot")
        changed = events_of(account_id, "social_account.temperature_changed")
        assert [(e.data["from"], e.data["to"]) for e in changed] == [("cold", warmed)]
        (replan,) = _replans(layer["id"])
        wait_for_run(client, headers, replan.id)
        local = {s.scheduled_at.astimezone(LA).strftime("%H:%M") for s in slots(layer["id"])}
        assert local == SLOT_TIMES[warmed]

        # Syncing again with nothing due changes nothing.
        count, schedule = _snapshot_count(posts), _schedule(posts)
        workflows.plan(clock.now())
        assert sync.sync_account(account_id).snapshots == 0
        assert _snapshot_count(posts) == count
        assert _schedule(posts) == schedule
        assert len(_replans(layer["id"])) == 1
        assert _temperature(account_id) == warmed
