"""Plain helpers for the ads tests: connect a sandbox ad account through HTTP, install an ad
layer, read decisions, drive the scheduler on a manual clock."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.ads.platforms import registry as ads_registry
from layers.ads.platforms.sandbox import SandboxAds
from layers.engine import scheduler
from layers.engine.cron import next_after
from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.ids import new_id
from layers.models.ads import Ad, AdAccount
from layers.models.content import ContentContainer
from layers.models.engine import LayerSchedule, ProjectLayer
from layers.models.projects import Project
from layers.models.social import OAuthState
from tests.engine.helpers import install, wait_for_run
from tests.support import Tenant, wait_for

RETURN_URL = "http://localhost:3000/ads/connected"
TEMPLATES = {"meta": "meta-ad-manager", "tiktok": "tiktok-ad-manager"}
BODY = {"meta": "meta_ads", "tiktok": "tiktok_ads"}


def new_project(client: TestClient, tenant: Tenant, *, test: bool = True) -> str:
    response = client.post(
        "/v1/projects",
        json={"name": "Ads test", "timezone": "UTC"},
        headers=tenant.headers(test=test),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def connect_ad_account(
    client: TestClient, tenant: Tenant, project_id: str, platform: str, *, test: bool = True
) -> str:
    """The OAuth flow through HTTP: oauth-url, then the authorize URL (the sandbox consents
    at once), which redirects to the returnUrl with ``status=connected&accountId``."""
    response = client.post(
        f"/v1/projects/{project_id}/ads/ad-accounts/oauth-url",
        json={"platform": BODY[platform], "returnUrl": RETURN_URL},
        headers=tenant.headers(test=test),
    )
    assert response.status_code == 200, response.text
    url = urlsplit(response.json()["authorizeUrl"])
    back = client.get(f"{url.path}?{url.query}", follow_redirects=False)
    assert back.status_code == 302, back.text
    query = parse_qs(urlsplit(back.headers["location"]).query)
    assert query["status"] == ["connected"], query
    return query["accountId"][0]


def reconnect_ad_account(
    client: TestClient, tenant: Tenant, project_id: str, platform: str, account_id: str
) -> None:
    """Reconnect the same sandbox ad account: a new OAuth state, consented with the account's
    own sandbox name (the one its first connection was given)."""
    with get_database().transaction(write=False) as session:
        states = session.scalars(
            sa.select(OAuthState).where(
                OAuthState.project_id == project_id, OAuthState.status == "completed"
            )
        )
        first = next(s for s in states if (s.error or {}).get("accountId") == account_id)
        name = "acct-" + hashlib.sha256(first.id.encode()).hexdigest()[:12]
    started = client.post(
        f"/v1/projects/{project_id}/ads/ad-accounts/oauth-url",
        json={"platform": BODY[platform], "returnUrl": RETURN_URL},
        headers=tenant.headers(test=True),
    ).json()
    code = sandbox(platform).code_for(name)
    back = client.get(
        f"/v1/ads/oauth/callback/{platform}",
        params={"code": code, "state": started["state"]},
        follow_redirects=False,
    )
    query = parse_qs(urlsplit(back.headers["location"]).query)
    assert query["status"] == ["connected"] and query["accountId"] == [account_id], query


def install_ad_layer(
    client: TestClient, tenant: Tenant, project_id: str, platform: str, **config: Any
) -> dict[str, Any]:
    layer = install(
        client,
        tenant.headers(test=True),
        project_id,
        config,
        template_id=TEMPLATES[platform],
    )
    assert layer["status"] == "active", layer
    return layer


def sandbox(platform: str) -> SandboxAds:
    client = ads_registry.platform_for(platform, livemode=False)
    assert isinstance(client, SandboxAds)
    return client


def platform_account_id(account_id: str) -> str:
    with get_database().transaction(write=False) as session:
        account = session.get(AdAccount, account_id)
        assert account is not None
        return account.platform_account_id


def ads_by_role(platform: str, account_id: str) -> dict[str, str]:
    """``{role: our ad id}`` of the sandbox market's planted ads (once synced)."""
    planted = sandbox(platform).planted_ads(platform_account_id(account_id))
    with get_database().transaction(write=False) as session:
        rows = session.execute(
            sa.select(Ad.platform_ad_id, Ad.id).where(Ad.ad_account_id == account_id)
        ).all()
    ours = {str(platform_id): str(ad_id) for platform_id, ad_id in rows}
    return {role: ours[pid] for role, pid in planted.items() if pid in ours}


def completed_container(project_id: str, **values: Any) -> str:
    with get_database().transaction() as session:
        project = session.get(Project, project_id)
        assert project is not None
        container = ContentContainer(
            id=new_id("cnt"),
            org_id=project.org_id,
            livemode=project.livemode,
            project_id=project.id,
            format="slideshow-builder",
            status="completed",
            media_kind="slideshow",
            hashtags=[],
            slide_texts=[],
            generation=1,
            caption="Coffee that shows up before you run out.",
            completed_at=clock.now(),
            **values,
        )
        session.add(container)
        return container.id


def include(client: TestClient, tenant: Tenant, project_id: str, container_id: str) -> None:
    response = client.put(
        f"/v1/projects/{project_id}/top-performers/{container_id}/override",
        json={"override": "include"},
        headers=tenant.headers(test=True),
    )
    assert response.status_code == 200, response.text


def run_optimizer(
    client: TestClient,
    tenant: Tenant,
    project_id: str,
    layer_id: str,
    platform: str,
    *,
    dry_run: bool = False,
) -> dict[str, Any]:
    """POST …/optimizer/run, wait for the run, return it with its decisions."""
    headers = tenant.headers(test=True)
    response = client.post(
        f"/v1/projects/{project_id}/ads/optimizer/run",
        json={"layerId": layer_id, "platform": BODY[platform], "dryRun": dry_run},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["kind"] == "ads_optimizer_run"
    wait_for_run(client, headers, accepted["runId"])
    return get_run(client, tenant, project_id, accepted["runId"])


def get_run(client: TestClient, tenant: Tenant, project_id: str, run_id: str) -> dict[str, Any]:
    response = client.get(
        f"/v1/projects/{project_id}/ads/optimizer/runs/{run_id}",
        headers=tenant.headers(test=True),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_subject(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["subjectId"]: d for d in run["decisions"]}


def tick_runs(
    client: TestClient, tenant: Tenant, layer_id: str, now: datetime
) -> dict[str, dict[str, Any]]:
    """Run the scheduler at `now` (the layer's due commands only) and wait for its runs:
    ``{commandId: run}``."""
    started = scheduler.tick(now).started
    headers = tenant.headers(test=True)
    out: dict[str, dict[str, Any]] = {}
    for run_id in started:
        run = client.get(f"/v1/runs/{run_id}", headers=headers)
        if run.status_code != 200:
            continue  # another tenant's layer
        body = run.json()
        if body.get("layerId") != layer_id:
            continue
        out[body["commandId"]] = wait_for_run(client, headers, run_id)
    return out


def next_due(layer_id: str, command_id: str) -> datetime:
    with get_database().transaction(write=False) as session:
        row = session.scalar(
            sa.select(LayerSchedule).where(
                LayerSchedule.layer_id == layer_id, LayerSchedule.command_id == command_id
            )
        )
        assert row is not None and row.next_run_at is not None
        return row.next_run_at


def rearm(layer_id: str, now: datetime) -> None:
    """Put the layer's schedules at their next time after `now` (as if the scheduler had been
    ticking all along while a test moved the clock)."""
    with get_database().transaction() as session:
        for row in session.scalars(
            sa.select(LayerSchedule).where(LayerSchedule.layer_id == layer_id)
        ):
            row.next_run_at = next_after(row.cron, now)


def quiet_other_layers(layer_id: str) -> None:
    """Disarm every other layer's schedule (the scheduler is global to the test session)."""
    with get_database().transaction() as session:
        session.execute(
            sa.update(LayerSchedule)
            .where(LayerSchedule.layer_id != layer_id)
            .values(next_run_at=None)
        )


def layer_row(layer_id: str) -> ProjectLayer:
    with get_database().transaction(write=False) as session:
        row = session.get(ProjectLayer, layer_id)
        assert row is not None
        session.expunge(row)
        return row


def wait_until(predicate: Any, timeout: float = 30) -> Any:
    return wait_for(predicate, timeout=timeout)


def days(n: float) -> timedelta:
    return timedelta(days=n)
