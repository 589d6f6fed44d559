"""The Ads API through HTTP: validation errors in the envelope (never a 500), scopes, tenancy,
the optimizer run (idempotent, dry run), pending actions, a revoked token, lists and metrics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.kit import clock
from layers.kit.clock import ManualClock
from layers.kit.db import get_database
from layers.models.ads import AdsContent
from tests.ads.helpers import (
    RETURN_URL,
    ads_by_role,
    completed_container,
    connect_ad_account,
    include,
    install_ad_layer,
    new_project,
    platform_account_id,
    quiet_other_layers,
    rearm,
    reconnect_ad_account,
    run_optimizer,
    sandbox,
    tick_runs,
)
from tests.ads.schedules import _no_ad_schedules_left_behind
from tests.engine.helpers import wait_for_run
from tests.support import Tenant, assert_error, idempotency_key, key_with_scopes, manual_time

AUTO = {"creative": "auto", "tactical": "auto", "structural": "auto"}

__all__ = ["_no_ad_schedules_left_behind"]  # autouse: ad layers' schedules go after each test


@pytest.fixture
def market() -> Iterator[ManualClock]:
    start = clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(minutes=1)
    with manual_time(start) as manual:
        yield manual


def ad_layer(
    client: TestClient,
    tenant: Tenant,
    manual: ManualClock,
    platform: str = "meta",
    *,
    authority: dict[str, str] | None = None,
    days: int = 10,
) -> dict[str, Any]:
    """A project with one included creative, a sandbox ad account, an ad layer, and the
    market `days` later."""
    project_id = new_project(client, tenant)
    creative = completed_container(project_id)
    include(client, tenant, project_id, creative)
    account_id = connect_ad_account(client, tenant, project_id, platform)
    layer = install_ad_layer(
        client, tenant, project_id, platform, adAccountId=account_id, authority=authority or AUTO
    )
    quiet_other_layers(layer["id"])
    manual.advance(timedelta(days=days))
    rearm(layer["id"], clock.now())
    return {
        "projectId": project_id,
        "accountId": account_id,
        "layerId": layer["id"],
        "platform": platform,
        "creative": creative,
    }


# ---- ad accounts ----


def test_oauth_url_validation_and_connect(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    project_id = new_project(client, tenant)
    url = f"/v1/projects/{project_id}/ads/ad-accounts/oauth-url"
    bad = client.post(url, json={"platform": "apple_ads", "returnUrl": RETURN_URL}, headers=headers)
    assert assert_error(bad, 422, "VALIDATION")["details"]["fields"][0]["field"] == "platform"
    assert_error(
        client.post(url, json={"platform": "meta", "returnUrl": RETURN_URL}, headers=headers),
        422,
        "VALIDATION",
    )  # bodies say meta_ads
    elsewhere = client.post(
        url, json={"platform": "meta_ads", "returnUrl": "https://evil.example/x"}, headers=headers
    )
    assert_error(elsewhere, 422, "RETURN_URL_NOT_ALLOWED")
    assert_error(client.post(url, json=[], headers=headers), 422, "VALIDATION")

    started = client.post(
        url, json={"platform": "tiktok_ads", "returnUrl": RETURN_URL}, headers=headers
    ).json()
    assert started["platform"] == "tiktok_ads" and started["state"].startswith("st_")
    target = urlsplit(started["authorizeUrl"])
    back = client.get(f"{target.path}?{target.query}", follow_redirects=False)
    query = parse_qs(urlsplit(back.headers["location"]).query)
    assert query["status"] == ["connected"] and query["state"] == [started["state"]]
    account_id = query["accountId"][0]
    # A replayed redirect reports the same outcome and connects nothing twice.
    replay = client.get(f"{target.path}?{target.query}", follow_redirects=False)
    assert parse_qs(urlsplit(replay.headers["location"]).query)["accountId"] == [account_id]
    listed = client.get(f"/v1/projects/{project_id}/ads/ad-accounts", headers=headers).json()
    assert [a["id"] for a in listed["items"]] == [account_id]
    item = listed["items"][0]
    assert item["healthy"] and item["partnerWritesConsent"] and not item["livemode"]
    assert "token" not in str(item).lower()
    only_meta = client.get(
        f"/v1/projects/{project_id}/ads/ad-accounts",
        params={"platform": "meta_ads"},
        headers=headers,
    ).json()
    assert only_meta["items"] == []
    unknown = client.get("/v1/ads/oauth/callback/meta?state=st_nope&code=x")
    assert unknown.status_code == 400


def test_tenancy_and_modes(client: TestClient, tenant: Tenant, other_tenant: Tenant) -> None:
    project_id = new_project(client, tenant)
    connect_ad_account(client, tenant, project_id, "meta")
    for path in ("ads/ad-accounts", "ads/ads", "ads/meta/pending", "ads/meta/defaults"):
        theirs = client.get(
            f"/v1/projects/{project_id}/{path}", headers=other_tenant.headers(test=True)
        )
        assert_error(theirs, 404, "NOT_FOUND")
        live = client.get(f"/v1/projects/{project_id}/{path}", headers=tenant.headers())
        assert_error(live, 404, "NOT_FOUND")  # a test-mode project is invisible to a live key


def test_scopes(client: TestClient, tenant: Tenant) -> None:
    project_id = new_project(client, tenant)
    reader = key_with_scopes(tenant, ["ads:read"], test=True)
    as_reader = {"Authorization": f"Bearer {reader}"}
    assert client.get(f"/v1/projects/{project_id}/ads/ads", headers=as_reader).status_code == 200
    refused = client.post(
        f"/v1/projects/{project_id}/ads/optimizer/run",
        json={"layerId": "lyr_01J00000000000000000000000", "platform": "meta_ads"},
        headers=as_reader,
    )
    assert assert_error(refused, 403, "FORBIDDEN_SCOPE")["details"]["requiredScope"] == (
        "ads:write:optimizer_trigger"
    )
    other = key_with_scopes(tenant, ["projects:read"], test=True)
    listed = client.get(
        f"/v1/projects/{project_id}/ads/ads", headers={"Authorization": f"Bearer {other}"}
    )
    assert_error(listed, 403, "FORBIDDEN_SCOPE")
    pending_writer = key_with_scopes(tenant, ["ads:write:pending"], test=True)
    policy = client.patch(
        f"/v1/projects/{project_id}/ads/meta/defaults",
        json={"killSwitchActive": True},
        headers={"Authorization": f"Bearer {pending_writer}"},
    )
    assert_error(policy, 403, "FORBIDDEN_SCOPE")


# ---- the optimizer run ----


def test_optimizer_run_is_idempotent_and_dry_run_changes_nothing(
    client: TestClient, tenant: Tenant, market: ManualClock
) -> None:
    setup = ad_layer(client, tenant, market)
    project_id, layer_id = setup["projectId"], setup["layerId"]
    headers = tenant.headers(test=True, **{"Idempotency-Key": idempotency_key()})
    body = {"layerId": layer_id, "platform": "meta_ads", "dryRun": True}
    url = f"/v1/projects/{project_id}/ads/optimizer/run"
    first = client.post(url, json=body, headers=headers)
    again = client.post(url, json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json() and again.headers["idempotent-replayed"] == "true"
    assert first.json()["kind"] == "ads_optimizer_run"
    assert first.json()["locationUrl"].endswith(first.json()["runId"])
    changed = client.post(url, json={**body, "dryRun": False}, headers=headers)
    assert_error(changed, 409, "IDEMPOTENCY_CONFLICT")

    dry = run_optimizer(client, tenant, project_id, layer_id, "meta", dry_run=True)
    assert dry["dryRun"] and dry["status"] == "completed"
    writes = [d for d in dry["decisions"] if d["action"] != "hold"]
    assert writes and all(d["authority"] == "dry_run" for d in writes)
    assert all(d["params"]["wouldBe"] == "dispatch" and not d["dispatchedAt"] for d in writes)
    roles = ads_by_role("meta", setup["accountId"])
    listed = client.get(
        f"/v1/projects/{project_id}/ads/ads", params={"status": "paused"}, headers=headers
    ).json()
    assert roles["critical"] not in {a["id"] for a in listed["items"]}
    job = client.get(f"/v1/jobs/{dry['jobId']}", headers=tenant.headers(test=True)).json()
    assert job["status"] == "completed" and job["kind"] == "ads_optimizer_run"

    wrong = client.post(
        url, json={"layerId": layer_id, "platform": "tiktok_ads"}, headers=tenant.headers(test=True)
    )
    assert_error(wrong, 404, "NOT_FOUND")  # not a TikTok ad layer
    missing = client.post(
        url,
        json={"layerId": "lyr_01J00000000000000000000000", "platform": "meta_ads"},
        headers=tenant.headers(test=True),
    )
    assert_error(missing, 404, "NOT_FOUND")
    unknown_run = client.get(
        f"/v1/projects/{project_id}/ads/optimizer/runs/run_01J00000000000000000000000",
        headers=tenant.headers(test=True),
    )
    assert_error(unknown_run, 404, "NOT_FOUND")


def test_revoked_token_marks_the_account_unhealthy_and_stops_dispatch(
    client: TestClient, tenant: Tenant, market: ManualClock
) -> None:
    setup = ad_layer(client, tenant, market, "tiktok")
    sandbox("tiktok").revoke(platform_account_id(setup["accountId"]))
    run = run_optimizer(client, tenant, setup["projectId"], setup["layerId"], "tiktok")
    assert run["status"] == "completed" and run["summary"]["dispatched"] == 0
    writes = [d for d in run["decisions"] if d["authority"] == "dispatch"]
    assert writes and all(d["dispatchError"]["code"] == "AD_ACCOUNT_UNHEALTHY" for d in writes)
    account = client.get(
        f"/v1/projects/{setup['projectId']}/ads/ad-accounts", headers=tenant.headers(test=True)
    ).json()["items"][0]
    assert not account["healthy"] and account["status"] == "reauth_required"
    assert account["healthError"]["code"] == "AD_ACCOUNT_AUTH_FAILED"
    # The layer's scheduled passes pause while the account is unhealthy...
    market.advance(timedelta(minutes=15))
    assert tick_runs(client, tenant, setup["layerId"], clock.now()) == {}
    # ...and reconnecting the same ad account heals it: the next tick runs again.
    reconnect_ad_account(client, tenant, setup["projectId"], "tiktok", setup["accountId"])
    healed = client.get(
        f"/v1/projects/{setup['projectId']}/ads/ad-accounts", headers=tenant.headers(test=True)
    ).json()["items"][0]
    assert healed["healthy"] and healed["status"] == "connected"
    market.advance(timedelta(minutes=15))
    ran = tick_runs(client, tenant, setup["layerId"], clock.now())
    assert ran["content-refresh"]["status"] == "completed"


# ---- pending actions ----


def test_pending_approve_reject_and_conflict(
    client: TestClient, tenant: Tenant, market: ManualClock
) -> None:
    draft = {"creative": "draft", "tactical": "draft", "structural": "draft"}
    setup = ad_layer(client, tenant, market, authority=draft)
    project_id = setup["projectId"]
    headers = tenant.headers(test=True)
    run = run_optimizer(client, tenant, project_id, setup["layerId"], "meta")
    writes = [d for d in run["decisions"] if d["action"] != "hold"]
    assert writes and all(d["authority"] == "pending" and d["pendingActionId"] for d in writes)
    assert run["summary"]["dispatched"] == 0
    items = client.get(f"/v1/projects/{project_id}/ads/meta/pending", headers=headers).json()
    assert len(items["items"]) == len({d["pendingActionId"] for d in writes})
    first, second = items["items"][0], items["items"][1]
    base = f"/v1/projects/{project_id}/ads/meta/pending"
    assert_error(
        client.post(f"{base}/{first['pendingId']}/reject", json={}, headers=headers),
        422,
        "VALIDATION",
    )
    rejected = client.post(
        f"{base}/{first['pendingId']}/reject", json={"reason": "Not now."}, headers=headers
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert_error(
        client.post(f"{base}/{first['pendingId']}/approve", json={}, headers=headers),
        409,
        "CONFLICT",
    )
    approved = client.post(f"{base}/{second['pendingId']}/approve", json={}, headers=headers)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert_error(
        client.post(f"{base}/pa_01J00000000000000000000000/approve", json={}, headers=headers),
        404,
        "NOT_FOUND",
    )
    assert_error(
        client.post(
            f"/v1/projects/{project_id}/ads/tiktok/pending/{second['pendingId']}/approve",
            json={},
            headers=headers,
        ),
        404,
        "NOT_FOUND",
    )
    # A second run does not queue what already waits.
    again = run_optimizer(client, tenant, project_id, setup["layerId"], "meta")
    after = client.get(base, headers=headers).json()["items"]
    landed = [p for p in after if p["status"] == "dispatched"]
    assert [p["pendingId"] for p in landed] == [second["pendingId"]]
    assert len(after) == len(items["items"]), again["summary"]


# ---- authority ----


def test_defaults_and_campaign_authority(
    client: TestClient, tenant: Tenant, market: ManualClock
) -> None:
    setup = ad_layer(client, tenant, market, days=1)
    project_id, layer_id = setup["projectId"], setup["layerId"]
    headers = tenant.headers(test=True)
    defaults = client.get(f"/v1/projects/{project_id}/ads/meta/defaults", headers=headers).json()
    assert defaults["layerId"] == layer_id and defaults["defaults"] == AUTO
    assert defaults["killSwitchActive"] is False and defaults["platform"] == "meta_ads"
    bad = client.patch(
        f"/v1/projects/{project_id}/ads/meta/defaults",
        json={"defaults": {"creative": "sometimes"}},
        headers=headers,
    )
    assert_error(bad, 422, "VALIDATION")
    assert_error(
        client.get(f"/v1/projects/{project_id}/ads/tiktok/defaults", headers=headers),
        404,
        "NOT_FOUND",
    )
    patched = client.patch(
        f"/v1/projects/{project_id}/ads/meta/defaults",
        json={"defaults": {"tactical": "off"}},
        headers=headers,
    ).json()
    assert patched["defaults"] == {**AUTO, "tactical": "off"}

    create = f"/v1/projects/{project_id}/ads/meta/campaigns"
    both = {
        "adAccountId": setup["accountId"],
        "name": "Spring push",
        "outcome": "app_installs",
        "dailyBudgetCents": 5000,
        "lifetimeBudgetCents": 90000,
    }
    assert_error(client.post(create, json=both, headers=headers), 422, "VALIDATION")
    made = client.post(
        create,
        json={
            "adAccountId": setup["accountId"],
            "name": "Spring push",
            "outcome": "app_installs",
            "dailyBudgetCents": 5000,
            "campaignManagementMode": "manual",
            "creativeMode": "autopilot",
            "layerId": layer_id,
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    campaign = made.json()
    assert campaign["id"].startswith("cmp_") and campaign["dailyBudgetCents"] == 5000
    assert campaign["authority"] == {"creative": "auto", "tactical": "off", "structural": "off"}
    url = f"/v1/projects/{project_id}/ads/meta/campaigns/{campaign['id']}/authority"
    own = client.get(url, headers=headers).json()
    assert own["source"] == "per_campaign" and own["authority"]["tactical"] == "off"
    back = client.patch(url, json={"useLayerDefaults": True}, headers=headers).json()
    assert back["source"] == "layer_defaults" and back["authority"] == patched["defaults"]
    assert_error(
        client.get(
            f"/v1/projects/{project_id}/ads/meta/campaigns/cmp_01J00000000000000000000000/authority",
            headers=headers,
        ),
        404,
        "NOT_FOUND",
    )
    # The kill switch refuses campaign creation on the layer.
    client.patch(
        f"/v1/projects/{project_id}/ads/meta/defaults",
        json={"killSwitchActive": True},
        headers=headers,
    )
    refused = client.post(
        create,
        json={
            "adAccountId": setup["accountId"],
            "name": "Another",
            "outcome": "traffic",
            "lifetimeBudgetCents": 100000,
            "layerId": layer_id,
        },
        headers=headers,
    )
    assert_error(refused, 403, "AUTHORITY_DENIED")


# ---- lists and metrics ----


def test_list_ads_paging_filters_and_forged_cursor(
    client: TestClient, tenant: Tenant, market: ManualClock
) -> None:
    setup = ad_layer(client, tenant, market, days=10)
    run_optimizer(client, tenant, setup["projectId"], setup["layerId"], "meta", dry_run=True)
    url = f"/v1/projects/{setup['projectId']}/ads/ads"
    headers = tenant.headers(test=True)
    everything = client.get(url, headers=headers).json()["items"]
    assert len(everything) == 12 and all(a["platform"] == "meta_ads" for a in everything)
    assert all(a["lastClass"] for a in everything)  # classified by the run
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        page = client.get(url, params=params, headers=headers).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == [a["id"] for a in everything]
    forged = client.get(url, params={"cursor": "not-a-cursor!!", "limit": 3}, headers=headers)
    assert forged.status_code == 200
    assert [a["id"] for a in forged.json()["items"]] == seen[:3]
    for limit in (0, 201):
        assert_error(client.get(url, params={"limit": limit}, headers=headers), 422, "VALIDATION")
    assert_error(client.get(url, params={"status": "sleeping"}, headers=headers), 422, "VALIDATION")
    tiktok = client.get(url, params={"platforms": ["tiktok_ads"]}, headers=headers).json()
    assert tiktok["items"] == []
    one = everything[0]
    by_adset = client.get(url, params={"adsetId": one["adsetId"]}, headers=headers).json()
    assert by_adset["items"] and {a["adsetId"] for a in by_adset["items"]} == {one["adsetId"]}


def test_ads_metrics(client: TestClient, tenant: Tenant, market: ManualClock) -> None:
    setup = ad_layer(client, tenant, market, days=10)
    run_optimizer(client, tenant, setup["projectId"], setup["layerId"], "meta", dry_run=True)
    project_id = setup["projectId"]
    headers = tenant.headers(test=True)
    url = f"/v1/projects/{project_id}/ads-metrics"
    body = client.get(
        url,
        params={"scope": "project", "id": project_id, "metrics": ["spend", "conversions", "cpa"]},
        headers=headers,
    ).json()
    series = {s["metric"]: s["points"] for s in body["series"]}
    assert body["totals"]["spend"] == sum(p["value"] for p in series["spend"]) > 0
    assert body["totals"]["conversions"] == sum(p["value"] for p in series["conversions"]) > 0
    spend, installs = body["totals"]["spend"], body["totals"]["conversions"]
    assert body["totals"]["cpa"] == (2 * spend + installs) // (2 * installs)
    assert isinstance(body["totals"]["spend"], int) and body["currency"] == "USD"
    weekly = client.get(
        url, params={"scope": "project", "id": project_id, "granularity": "week"}, headers=headers
    ).json()
    assert weekly["totals"]["spend"] == spend
    assert_error(
        client.get(
            url, params={"scope": "ad", "id": "ad_01J00000000000000000000000"}, headers=headers
        ),
        404,
        "NOT_FOUND",
    )
    account = client.get(
        url,
        params={"scope": "ad_account", "id": setup["accountId"], "platforms": ["meta_ads"]},
        headers=headers,
    ).json()
    assert account["totals"]["spend"] == spend
    roles = ads_by_role("meta", setup["accountId"])
    refused = client.get(
        url,
        params={"scope": "ad", "id": roles["critical"], "platforms": ["meta_ads"]},
        headers=headers,
    )
    assert_error(refused, 422, "VALIDATION")
    backwards = client.get(
        url,
        params={"scope": "project", "id": project_id, "since": "2030-01-02", "until": "2030-01-01"},
        headers=headers,
    )
    assert_error(backwards, 422, "VALIDATION")


def test_install_refuses_a_foreign_or_bound_account(
    client: TestClient, tenant: Tenant, market: ManualClock
) -> None:
    setup = ad_layer(client, tenant, market, days=0)
    headers = tenant.headers(test=True)
    twice = client.post(
        f"/v1/projects/{setup['projectId']}/layers",
        json={"templateId": "meta-ad-manager", "config": {"adAccountId": setup["accountId"]}},
        headers=headers,
    )
    assert_error(twice, 409, "CONFLICT")
    wrong_platform = client.post(
        f"/v1/projects/{setup['projectId']}/layers",
        json={"templateId": "tiktok-ad-manager", "config": {"adAccountId": setup["accountId"]}},
        headers=headers,
    )
    assert_error(wrong_platform, 422, "VALIDATION")
    missing = client.post(
        f"/v1/projects/{setup['projectId']}/layers",
        json={"templateId": "meta-ad-manager", "config": {}},
        headers=headers,
    )
    assert_error(missing, 422, "VALIDATION")
    bad_cron = client.post(
        f"/v1/projects/{setup['projectId']}/layers",
        json={
            "templateId": "meta-ad-manager",
            "config": {
                "adAccountId": setup["accountId"],
                "schedule": {"crons": {"ad-optimize": "every day"}},
            },
        },
        headers=headers,
    )
    assert_error(bad_cron, 422, "VALIDATION")


def test_per_command_cron_override(client: TestClient, tenant: Tenant, market: ManualClock) -> None:
    setup = ad_layer(client, tenant, market, days=0)
    headers = tenant.headers(test=True)
    patched = client.patch(
        f"/v1/layers/{setup['layerId']}",
        json={"config": {"schedule": {"crons": {"ad-optimize": "30 1 * * *"}}}},
        headers=headers,
    )
    assert patched.status_code == 200, patched.text
    layer = client.get(f"/v1/layers/{setup['layerId']}", headers=headers).json()
    crons = {cid: c["cron"] for cid, c in layer["commands"].items() if c["trigger"] == "scheduled"}
    assert crons == {
        "ad-optimize": "30 1 * * *",
        "content-refresh": "*/15 * * * *",
        "ad-optimize-watchdog": "0 */2 * * *",
    }, layer["commands"]
    assert layer["commands"]["ad-optimize"]["nextRunAt"].endswith("01:30:00.000Z")


def test_one_pass_at_a_time_per_layer(
    client: TestClient, tenant: Tenant, market: ManualClock
) -> None:
    setup = ad_layer(client, tenant, market)
    project_id, layer_id = setup["projectId"], setup["layerId"]
    headers = tenant.headers(test=True)
    optimize = client.post(
        f"/v1/projects/{project_id}/ads/optimizer/run",
        json={"layerId": layer_id, "platform": "meta_ads"},
        headers=headers,
    ).json()
    refresh = client.post(
        f"/v1/projects/{project_id}/ads/meta/content-refresh",
        json={"layerId": layer_id, "maxNewCreatives": 3},
        headers=headers,
    ).json()
    assert refresh["kind"] == "content_refresh"
    runs = [wait_for_run(client, headers, r["runId"]) for r in (optimize, refresh)]
    assert all(r["status"] == "completed" and not r["output"].get("skipped") for r in runs)
    with get_database().transaction(write=False) as session:
        launched = session.execute(
            sa.select(AdsContent.container_id, AdsContent.adset_id, sa.func.count())
            .where(AdsContent.project_id == project_id)
            .group_by(AdsContent.container_id, AdsContent.adset_id)
        ).all()
    assert launched and all(count == 1 for _, _, count in launched)  # never the same twice
