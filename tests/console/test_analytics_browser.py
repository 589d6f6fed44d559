"""The analytics screen in Debian's chromium, over two weeks of real read-backs.

The data is made the way production makes it, on a manual clock: sandbox slideshows are
generated, a post goes out about once a day for two weeks through the publish protocol, and the
metrics sync reads the simulator back every twelve hours (which also takes the account's
health snapshots, so the temperature has a history). The session's app is then served on a
real port and the page is looked at as a person would. The screenshot goes to the artifacts
dir, and to docs/screenshots/analytics.png with ``LAYERS_UPDATE_SCREENSHOTS=1``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from layers.kit.settings import Settings
from tests.console.test_browser import CHROMIUM
from tests.metrics.helpers import two_weeks_of_posts
from tests.social.conftest import Contents, contents, quick_protocol
from tests.support import ACME, REPO, Tenant, ready_influencer, wait_for

__all__ = ["contents", "quick_protocol"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH (make chromium)"),
]


def _slideshows(client: TestClient, headers: dict[str, str], project_id: str) -> list[str]:
    influencer = ready_influencer(client, project_id, headers)
    ids = []
    for hook in (
        "Your coffee\\nnever runs out",
        "Roasted Monday\\nat your door Friday",
        "3 signs\\nyour beans are stale",
    ):
        made = client.post(
            f"/v1/projects/{project_id}/content/slideshow-builder",
            json={"hook": hook, "influencerId": influencer},
            headers=headers,
        )
        assert made.status_code == 202, made.text
        ids.append(made.json()["containerId"])
    for container_id in ids:
        wait_for(
            lambda c=container_id: (
                client.get(f"/v1/content/{c}", headers=headers).json()["status"] == "completed"
            ),
            timeout=180,
        )
    return ids


def test_the_analytics_page(
    client: TestClient,
    tenant: Tenant,
    contents: Contents,
    live_url: str,
    tmp_path: Path,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    # Media URLs are signed for the public base URL: this page is served from `live_url`.
    monkeypatch.setattr(settings, "public_base_url", live_url)
    headers = tenant.headers(test=True)
    project_id = client.post("/v1/projects", json=ACME, headers=headers).json()["id"]
    containers = _slideshows(client, headers, project_id)

    two_weeks_of_posts(client, tenant, project_id, containers)
    artifacts = Path(os.environ.get("LAYERS_TEST_ARTIFACTS", tmp_path)) / "analytics"
    artifacts.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 1500})
        page.set_default_timeout(20_000)
        page.goto(f"{live_url}/")
        page.fill("input[name=apiKey]", tenant.test)
        page.click("button:has-text('Sign in')")
        page.goto(f"{live_url}/console/projects/{project_id}")
        page.click("nav.subnav >> text=Analytics")
        expect(page.get_by_role("heading", name="Top performers")).to_be_visible()
        rows = page.locator("table.top-performers tbody tr")
        expect(rows).to_have_count(3)
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.thumb')].every(i => i.complete"
            " && i.naturalWidth > 0)"
        )
        expect(page.locator("svg.chart polyline").first).to_be_visible()
        expect(page.locator(".temp").first).to_have_text("hot")  # two weeks of daily posts
        path = artifacts / "analytics.png"
        page.screenshot(path=str(path), full_page=True)
        # Exclude the best creative by hand: it says so and stays in the list.
        rows.first.locator("button:has-text('Exclude')").click()
        expect(page.locator(".flash").first).to_contain_text("Excluded from ads.")
        expect(rows.first).to_contain_text("not eligible")
        browser.close()
    if os.environ.get("LAYERS_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, REPO / "docs" / "screenshots" / "analytics.png")
