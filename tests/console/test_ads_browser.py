"""The Ads screens in Debian's chromium, on the sandbox ads market and a manual clock.

Three creatives are posted for two weeks and scored by the metrics domain (so a replacement
has an organic score); then, as a person would: connect a sandbox Meta ad account from the
project's Ads page, install meta-ad-manager on it with one click, set tactical authority to
draft, let the market run ten days, press "Run optimizer now", read the classes in the
campaign tree and the decision log, and approve a pending budget move. The screenshot goes to
the artifacts dir, and to docs/screenshots/ads.png with ``LAYERS_UPDATE_SCREENSHOTS=1``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from layers.kit import clock
from layers.kit.settings import Settings
from tests.ads.helpers import quiet_other_layers, rearm
from tests.catalog.social_distribution.helpers import completed_container, project
from tests.console.test_browser import CHROMIUM, Shots
from tests.engine.helpers import wait_for_run
from tests.metrics.helpers import two_weeks_of_posts
from tests.social.conftest import Contents, contents, quick_protocol
from tests.support import Tenant, manual_time, wait_for

__all__ = ["contents", "quick_protocol"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH (make chromium)"),
]


def _wait_for_the_run(client: TestClient, headers: dict[str, str], page: Any) -> None:
    """The run the page was redirected to (``?run=run_…``) finishes."""
    wait_for_run(client, headers, page.url.split("run=")[1].split("&")[0])


def test_the_ads_tab(
    client: TestClient,
    tenant: Tenant,
    contents: Contents,
    live_url: str,
    tmp_path: Path,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    # The OAuth round trip comes back to the console served at `live_url`.
    monkeypatch.setattr(settings, "public_base_url", live_url)
    headers = tenant.headers(test=True)
    project_id = project(client, tenant)
    containers = [completed_container(project_id) for _ in range(3)]
    two_weeks_of_posts(client, tenant, project_id, containers)
    artifacts = Path(os.environ.get("LAYERS_TEST_ARTIFACTS", tmp_path)) / "ads"
    artifacts.mkdir(parents=True, exist_ok=True)
    start = clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(minutes=1)
    with manual_time(start) as manual, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.set_default_timeout(30_000)
        shot = Shots(page, artifacts, {"ads"})
        page.goto(f"{live_url}/")
        page.fill("input[name=apiKey]", tenant.test)
        page.click("button:has-text('Sign in')")
        page.goto(f"{live_url}/console/projects/{project_id}")
        page.click("nav.subnav >> text=Ads")
        expect(page.locator("text=No ad account yet")).to_be_visible()

        page.click("button:has-text('Connect Meta ad account')")
        expect(page.locator(".flash").first).to_contain_text("Ad account connected.")
        rows = page.locator("#ad-accounts tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("sandbox")
        rows.first.locator("button:has-text('Install meta-ad-manager')").click()
        layer_id = page.url.split("/console/layers/")[1].split("?")[0]
        wait_for(
            lambda: (
                client.get(f"/v1/layers/{layer_id}", headers=headers).json()["status"] == "active"
            ),
            timeout=60,
        )
        quiet_other_layers(layer_id)
        page.goto(f"{live_url}/console/layers/{layer_id}")
        page.click("nav.tabs >> text=Ads")
        expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()

        # Budget moves wait for a person.
        form = page.locator("form.authority-form")
        form.locator("select[name=tactical]").select_option("draft")
        form.locator("select[name=structural]").select_option("draft")
        form.locator("button:has-text('Save authority')").click()
        expect(page.locator(".flash").first).to_contain_text("Authority saved.")

        manual.advance(timedelta(days=10))
        rearm(layer_id, clock.now())
        page.click("button:has-text('Run optimizer now')")
        expect(page.locator(".flash").first).to_contain_text("Optimizer started.")
        _wait_for_the_run(client, headers, page)
        page.reload()
        expect(page.locator("#decision-run-status")).to_have_text("completed")
        tree = page.locator("table.ads-tree")
        expect(tree.locator(".klass.critical").first).to_be_visible()
        expect(tree.locator(".klass.young").first).to_be_visible()
        paused = page.locator(".decision[data-action=pause]:has(.klass.critical)").first
        expect(paused).to_contain_text("0 installs")
        expect(paused).to_contain_text("organic score")
        expect(page.locator(".decision .klass.young").first).to_be_visible()
        pending = page.locator("#pending tbody tr")
        expect(pending.first).to_be_visible()
        shot("ads", full=True)

        # Reject asks for a reason; approve the first.
        count = pending.count()
        if count > 1:
            pending.nth(1).locator("td > button:has-text('Reject')").click()
            dialog = page.locator("dialog[open]")
            dialog.locator("textarea[name=reason]").fill("Not this week.")
            dialog.locator("button[type=submit]:has-text('Reject')").click()
            expect(page.locator(".flash").first).to_contain_text("Rejected.")
        first = page.locator("#pending tbody tr").first
        pending_id = first.get_attribute("data-pending")
        first.locator("button:has-text('Approve')").click()
        expect(page.locator(".flash").first).to_contain_text("Approved")
        expect(page.locator(f"#pending tr[data-pending='{pending_id}']")).to_have_count(0)
        approved = client.get(
            f"/v1/projects/{project_id}/ads/meta/pending",
            params={"status": "approved"},
            headers=headers,
        ).json()["items"]
        assert pending_id in {p["pendingId"] for p in approved}
        shot("ads-approved", full=True)
        browser.close()
