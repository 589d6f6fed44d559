"""The Ads screens through the console's own forms (no browser): connect a sandbox ad account,
install meta-ad-manager on it, advance the market ten days on a manual clock, run the
optimizer from the Ads tab, read the classes and the decision log, approve and reject pending
actions, change the authority defaults."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from layers.console.ads_views import cpa, money
from layers.kit import clock
from tests.ads.helpers import quiet_other_layers, rearm
from tests.catalog.social_distribution.helpers import project
from tests.console.helpers import browser, follow, post, sign_in
from tests.engine.helpers import wait_for_run
from tests.support import Tenant, manual_time


def test_money_and_cpa_are_integer_cents() -> None:
    assert money(123456) == "$1,234.56"
    assert money(5) == "$0.05"
    assert money(-250) == "-$2.50"
    assert money(None) == "—"
    assert cpa(1000, 3) == 333 and cpa(1001, 2) == 501 and cpa(500, 0) is None


def _layer_id(location: str) -> str:
    found = re.search(r"/console/layers/(lyr_[0-9A-Z]+)", location)
    assert found, location
    return found.group(1)


def _wait_active(client: TestClient, headers: dict[str, str], layer_id: str) -> None:
    from tests.support import wait_for  # a helper only this waiter needs

    wait_for(
        lambda: client.get(f"/v1/layers/{layer_id}", headers=headers).json()["status"] == "active",
        timeout=60,
    )


def test_the_ads_tab_walks_connect_install_optimize_approve(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = project(client, tenant)
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    start = clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(minutes=1)
    with manual_time(start) as manual:
        empty = web.get(f"/console/projects/{project_id}/ads")
        assert empty.status_code == 200 and "No ad account yet" in empty.text

        # Connect: the console starts the OAuth, the sandbox consents, we come back.
        started = post(
            web, f"/console/projects/{project_id}/ads/connect", csrf, platform="meta_ads"
        )
        assert started.status_code == 303, started.text
        url = urlsplit(started.headers["location"])
        consent = web.get(f"{url.path}?{url.query}")
        assert consent.status_code == 302, consent.text
        assert "status=connected" in consent.headers["location"]
        page = web.get(f"/console/projects/{project_id}/ads?status=connected")
        assert "Ad account connected." in page.text
        account_id = re.search(r'data-account="(aac_[^"]+)"', page.text)
        assert account_id, page.text

        # Install meta-ad-manager on it without typing an id.
        installed = post(
            web,
            f"/console/projects/{project_id}/layers",
            csrf,
            templateId="meta-ad-manager",
            mode="json",
            configJson=f'{{"adAccountId": "{account_id.group(1)}"}}',
        )
        assert installed.status_code == 303, installed.text
        layer_id = _layer_id(installed.headers["location"])
        _wait_active(client, headers, layer_id)
        quiet_other_layers(layer_id)
        listed = web.get(f"/console/projects/{project_id}/ads")
        assert f'href="/console/layers/{layer_id}/ads"' in listed.text
        layer_page = web.get(f"/console/layers/{layer_id}")
        assert f'href="/console/layers/{layer_id}/ads"' in layer_page.text  # the Ads tab

        # The authority: tactical and structural wait for a person.
        saved = post(
            web,
            f"/console/layers/{layer_id}/ads/authority",
            csrf,
            creative="auto",
            tactical="draft",
            structural="draft",
            back="",
        )
        assert "Authority saved." in follow(web, saved).text
        got = client.get(f"/v1/projects/{project_id}/ads/meta/defaults", headers=headers).json()
        assert got["defaults"] == {"creative": "auto", "tactical": "draft", "structural": "draft"}
        assert got["killSwitchActive"] is False

        manual.advance(timedelta(days=10))
        rearm(layer_id, clock.now())

        # A dry run decides and records, and changes nothing.
        dry = post(web, f"/console/layers/{layer_id}/ads/optimize", csrf, dryRun="on")
        assert dry.status_code == 303, dry.text
        dry_run = re.search(r"run=(run_[0-9A-Z]+)", dry.headers["location"])
        assert dry_run
        wait_for_run(client, headers, dry_run.group(1))
        shown = web.get(dry.headers["location"])
        assert "dry_run" in shown.text and "(dry)" in shown.text

        ran = post(web, f"/console/layers/{layer_id}/ads/optimize", csrf)
        run_id = re.search(r"run=(run_[0-9A-Z]+)", ran.headers["location"])
        assert run_id
        wait_for_run(client, headers, run_id.group(1))
        tab = web.get(ran.headers["location"])
        assert tab.status_code == 200, tab.text
        body = tab.text
        for klass in ("CRITICAL", "TOO_YOUNG"):
            assert 'class="klass' in body and klass in body
        assert 'class="klass critical"' in body and 'class="klass young"' in body
        assert re.search(r"\$\d[\d,]*\.\d\d", body)  # money, not raw cents
        decision = client.get(
            f"/v1/projects/{project_id}/ads/optimizer/runs/{run_id.group(1)}", headers=headers
        ).json()["decisions"]
        paused = next(d for d in decision if d["class"] == "CRITICAL")
        assert f'data-subject="{paused["subjectId"]}" data-action="pause"' in body
        assert paused["reason"] in body
        for guard in paused["guardrailsPassed"]:
            assert f"✓ {guard}" in body

        # Pending approvals: approve one, reject another with a reason (a reason is required).
        waiting = client.get(
            f"/v1/projects/{project_id}/ads/meta/pending",
            params={"status": "pending"},
            headers=headers,
        ).json()["items"]
        assert waiting, "a draft action waits"
        first = waiting[0]["pendingId"]
        assert f'data-pending="{first}"' in body
        approved = post(web, f"/console/layers/{layer_id}/ads/pending/{first}/approve", csrf)
        assert "Approved" in follow(web, approved).text
        status = client.get(
            f"/v1/projects/{project_id}/ads/meta/pending",
            params={"status": "approved"},
            headers=headers,
        ).json()["items"]
        assert first in {p["pendingId"] for p in status}
        if len(waiting) > 1:
            second = waiting[1]["pendingId"]
            refused = post(
                web,
                f"/console/layers/{layer_id}/ads/pending/{second}/reject",
                csrf,
                reason="",
                back=f"/console/layers/{layer_id}/ads",
            )
            assert refused.status_code in (303, 422), refused.text
            rejected = post(
                web,
                f"/console/layers/{layer_id}/ads/pending/{second}/reject",
                csrf,
                reason="Not this week.",
            )
            assert "Rejected." in follow(web, rejected).text

        # The kill switch from the form.
        killed = post(
            web,
            f"/console/layers/{layer_id}/ads/authority",
            csrf,
            creative="auto",
            tactical="draft",
            structural="draft",
            killSwitch="on",
        )
        assert "Kill switch ON" in follow(web, killed).text
        assert client.get(f"/v1/projects/{project_id}/ads/meta/defaults", headers=headers).json()[
            "killSwitchActive"
        ]
