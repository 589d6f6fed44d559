"""The Must-show of the ad manager layers, through HTTP, on the sandbox ads market (the same
story for Meta and TikTok; `tests/catalog/*_ad_manager/test_end_to_end.py` run it).

Connect a sandbox ad account → install the template → advance the market ten days on a manual
clock → ``ad-optimize`` pauses the CRITICAL ad and replaces it with the top eligible creative
(the container with the best organic score, read from the metrics API), holds the young one,
and says why → the watchdog catches the ad that spent over $50 without an install on its first
tick → a draft action waits, is approved, and lands on the next tick with
``approval.dispatched`` → every scheduled command run twice changes nothing the second time →
the kill switch denies every write.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.kit import clock
from layers.kit.db import get_database
from layers.models.ads import Ad, AdDailyMetric, AdSet
from layers.models.engine import LayerSchedule
from tests.ads.helpers import (
    BODY,
    ads_by_role,
    by_subject,
    connect_ad_account,
    get_run,
    install_ad_layer,
    next_due,
    quiet_other_layers,
    rearm,
    run_optimizer,
    tick_runs,
)
from tests.catalog.social_distribution.helpers import completed_container, project
from tests.engine.helpers import wait_for_run
from tests.metrics.helpers import two_weeks_of_posts
from tests.social.helpers import events_of
from tests.support import Tenant, assert_error, manual_time

AUTHORITY = {"creative": "auto", "tactical": "draft", "structural": "draft"}


def _best_creatives(client: TestClient, tenant: Tenant, project_id: str) -> list[dict[str, Any]]:
    """The eligible containers with the highest organic score now (several on a tie: the
    scores are rounded to a tenth, and they move with the clock as the posts age)."""
    top = client.get(
        f"/v1/projects/{project_id}/top-performers",
        params={"metric": "views", "window": "90d", "includeIneligible": "true"},
        headers=tenant.headers(test=True),
    ).json()
    eligible = [row for row in top["items"] if row["eligible"]]
    assert eligible, top
    best = max(row["organicScore"] or 0 for row in eligible)
    return [row for row in eligible if (row["organicScore"] or 0) == best]


def _ads_state(account_id: str) -> tuple[list[tuple[str, str]], int, int]:
    """(ads with their status, past ad-days, their spend) of the account: a second
    pass may read today's growing numbers, never add a row or count a past day again."""
    with get_database().transaction(write=False) as session:
        ads = [
            (str(ad_id), str(status))
            for ad_id, status in session.execute(
                sa.select(Ad.id, Ad.status).where(Ad.ad_account_id == account_id).order_by(Ad.id)
            )
        ]
        ids = [ad_id for ad_id, _ in ads]
        past = (AdDailyMetric.ad_id.in_(ids), AdDailyMetric.day < clock.now().date())
        rows = session.scalar(sa.select(sa.func.count()).where(*past))
        spend = session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(AdDailyMetric.spend_cents), 0)).where(*past)
        )
    return ads, int(rows or 0), int(spend or 0)


def _budget(adset_id: str) -> int | None:
    with get_database().transaction(write=False) as session:
        adset = session.get(AdSet, adset_id)
        assert adset is not None
        return adset.daily_budget_cents


def story(client: TestClient, tenant: Tenant, platform: str) -> None:
    headers = tenant.headers(test=True)
    project_id = project(client, tenant)
    # The creatives: three containers posted for two weeks, scored by the metrics domain.
    containers = [completed_container(project_id) for _ in range(3)]
    two_weeks_of_posts(client, tenant, project_id, containers)
    assert _best_creatives(client, tenant, project_id)[0]["organicScore"] >= 4.0

    start = clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(minutes=1)
    with manual_time(start) as manual:
        account_id = connect_ad_account(client, tenant, project_id, platform)
        accounts = client.get(f"/v1/projects/{project_id}/ads/ad-accounts", headers=headers)
        assert [a["id"] for a in accounts.json()["items"]] == [account_id]
        assert accounts.json()["items"][0]["platform"] == BODY[platform]
        layer = install_ad_layer(
            client,
            tenant,
            project_id,
            platform,
            adAccountId=account_id,
            targetCpaCents=400,
            authority=AUTHORITY,
        )
        layer_id = layer["id"]
        quiet_other_layers(layer_id)
        listed = client.get(f"/v1/projects/{project_id}/ads/ads", headers=headers).json()
        mirrored = ads_by_role(platform, account_id)  # the market's ads live so far, synced
        assert listed["items"] and {a["id"] for a in listed["items"]} == set(mirrored.values())
        assert "young" not in mirrored  # launched on day 9 of the market

        manual.advance(timedelta(days=10))
        rearm(layer_id, clock.now())

        # ---- ad-optimize: pause + replace the CRITICAL ad, hold the young one, say why ----
        run = run_optimizer(client, tenant, project_id, layer_id, platform)
        assert run["status"] == "completed", run
        roles = ads_by_role(platform, account_id)
        decisions = by_subject(run)
        critical = decisions[roles["critical"]]
        assert critical["class"] == "CRITICAL"
        assert critical["action"] == "pause"
        assert "0 installs" in critical["reason"]
        assert critical["authority"] == "dispatch" and critical["dispatchedAt"]
        best = _best_creatives(client, tenant, project_id)  # scored as the run scored them
        replacement = critical["replacement"]
        assert replacement["containerId"] in {row["sourceId"] for row in best}
        assert replacement["organicScore"] == best[0]["organicScore"] >= 4.0
        assert critical["inputs"] and critical["guardrailsPassed"]
        young = decisions[roles["young"]]
        assert young["class"] == "TOO_YOUNG" and young["action"] == "hold"
        assert "days old" in young["reason"] and young["guardrailsBlocked"]
        for role in ("top_performer", "learning_a"):  # protected classes are never paused
            assert decisions[roles[role]]["action"] == "hold"
        paused = client.get(
            f"/v1/projects/{project_id}/ads/ads",
            params={"status": "paused", "campaignId": critical["campaignId"]},
            headers=headers,
        ).json()
        assert roles["critical"] in {a["id"] for a in paused["items"]}
        fresh = client.get(
            f"/v1/projects/{project_id}/ads/ads",
            params={"adsetId": critical["adsetId"], "status": "active"},
            headers=headers,
        ).json()["items"]
        launched = [a for a in fresh if a["containerId"] == replacement["containerId"]]
        assert len(launched) == 1 and launched[0]["adsContentId"].startswith("acl_")
        completed = events_of(run["runId"], "ads.optimizer.run.completed")
        assert len(completed) == 1 and completed[0].data["summary"]["dispatched"] >= 1

        # Draft authority: the budget move (tactical: draft) waits for a person.
        waiting = client.get(
            f"/v1/projects/{project_id}/ads/{platform}/pending",
            params={"status": "pending"},
            headers=headers,
        ).json()["items"]
        assert waiting, run["summary"]
        first = next(w for w in waiting if w["action"] == "adjust_budget")
        assert first["axis"] == "tactical" and first["params"]["amountCents"] > 0
        assert first["subjectId"].startswith("adset_")
        assert not first["dispatched"]

        # ---- the watchdog: the $60-spent-0-installs ad is caught on its first tick ----
        spent = client.get(
            f"/v1/projects/{project_id}/ads-metrics",
            params={"scope": "ad", "id": roles["watchdog"], "metrics": ["spend", "conversions"]},
            headers=headers,
        ).json()
        assert spent["totals"]["spend"] > 5000 and spent["totals"]["conversions"] == 0
        due = next_due(layer_id, "ad-optimize-watchdog")
        manual.advance(due - clock.now())
        ticked = tick_runs(client, tenant, layer_id, clock.now())
        assert "ad-optimize-watchdog" in ticked, ticked
        watched = by_subject(
            get_run(client, tenant, project_id, ticked["ad-optimize-watchdog"]["id"])
        )
        caught = watched[roles["watchdog"]]
        assert "0 installs" in caught["reason"], caught
        assert caught["params"]["flagged"] or caught["action"] == "pause"

        # ---- approve → dispatched on the next tick, with approval.dispatched ----
        verdict = client.post(
            f"/v1/projects/{project_id}/ads/{platform}/pending/{first['pendingId']}/approve",
            json={"comment": "Agreed."},
            headers=headers,
        )
        assert verdict.status_code == 200, verdict.text
        assert verdict.json()["status"] == "approved" and not verdict.json()["dispatched"]
        assert verdict.json()["verdictId"].startswith("ver_")
        again = client.post(
            f"/v1/projects/{project_id}/ads/{platform}/pending/{first['pendingId']}/reject",
            json={"reason": "Too late."},
            headers=headers,
        )
        assert_error(again, 409, "CONFLICT")
        assert not events_of(first["pendingId"], "approval.dispatched")
        due = next_due(layer_id, "content-refresh")
        manual.advance(due - clock.now())
        ticked = tick_runs(client, tenant, layer_id, clock.now())
        assert "content-refresh" in ticked, ticked
        landed = client.get(
            f"/v1/projects/{project_id}/ads/{platform}/pending",
            params={"status": "dispatched"},
            headers=headers,
        ).json()["items"]
        assert first["pendingId"] in {p["pendingId"] for p in landed}
        dispatched = events_of(first["pendingId"], "approval.dispatched")
        assert (
            len(dispatched) == 1 and dispatched[0].data["verdictId"] == verdict.json()["verdictId"]
        )
        assert _budget(first["subjectId"]) == first["params"]["amountCents"]

        # ---- every scheduled command, twice: the second run changes nothing ----
        for command in ("ad-optimize", "content-refresh", "ad-optimize-watchdog"):
            due = next_due(layer_id, command)
            manual.advance(due - clock.now())
            first_run = tick_runs(client, tenant, layer_id, clock.now())
            assert first_run[command]["status"] == "completed", first_run
            before = _ads_state(account_id)
            pending_before = client.get(
                f"/v1/projects/{project_id}/ads/{platform}/pending", headers=headers
            ).json()["items"]
            manual.advance(timedelta(minutes=1))  # the same market minute, a second pass
            second = (
                run_optimizer(client, tenant, project_id, layer_id, platform)
                if command == "ad-optimize"
                else _rerun(client, tenant, project_id, layer_id, platform, command)
            )
            assert second["summary"]["dispatched"] == 0, (command, second["summary"])
            after = _ads_state(account_id)
            assert after == before, (command, before, after)
            pending_after = client.get(
                f"/v1/projects/{project_id}/ads/{platform}/pending", headers=headers
            ).json()["items"]
            assert len(pending_after) == len(pending_before), command

        # ---- the kill switch denies every write ----
        killed = client.patch(
            f"/v1/projects/{project_id}/ads/{platform}/defaults",
            json={"killSwitchActive": True},
            headers=headers,
        )
        assert killed.status_code == 200 and killed.json()["killSwitchActive"] is True
        manual.advance(timedelta(days=2))
        frozen = _ads_state(account_id)[0]
        denied = run_optimizer(client, tenant, project_id, layer_id, platform)
        writes = [d for d in denied["decisions"] if d["action"] != "hold"]
        assert writes, denied["summary"]
        assert all(d["authority"] == "denied" for d in writes)
        assert all(d["params"]["denialCode"] == "kill_switch_active" for d in writes)
        assert denied["summary"]["dispatched"] == 0
        assert _ads_state(account_id)[0] == frozen
        still = client.get(
            f"/v1/projects/{project_id}/ads/{platform}/pending",
            params={"status": "pending"},
            headers=headers,
        ).json()["items"]
        if still:
            refused = client.post(
                f"/v1/projects/{project_id}/ads/{platform}/pending/{still[0]['pendingId']}/approve",
                json={},
                headers=headers,
            )
            assert_error(refused, 403, "AUTHORITY_DENIED")


def _rerun(
    client: TestClient,
    tenant: Tenant,
    project_id: str,
    layer_id: str,
    platform: str,
    command: str,
) -> dict[str, Any]:
    """A second pass of a scheduled command at the next free minute of its schedule: the
    content-refresh API for content-refresh, the scheduler for the watchdog."""
    headers = tenant.headers(test=True)
    if command == "content-refresh":
        response = client.post(
            f"/v1/projects/{project_id}/ads/{platform}/content-refresh",
            json={"layerId": layer_id},
            headers=headers,
        )
        assert response.status_code == 202, response.text
        wait_for_run(client, headers, response.json()["runId"])
        return get_run(client, tenant, project_id, response.json()["runId"])
    with get_database().transaction() as session:
        session.execute(
            sa.update(LayerSchedule)
            .where(LayerSchedule.layer_id == layer_id, LayerSchedule.command_id == command)
            .values(next_run_at=clock.now())
        )
    ran = tick_runs(client, tenant, layer_id, clock.now())
    return get_run(client, tenant, project_id, ran[command]["id"])
