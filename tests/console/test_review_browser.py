"""The approval flow in the console (Playwright, Debian's chromium), against `layers up`:
set the review policy in Settings, see generated content wait in the Review queue with its
thumbnails, approve one (its waiting schedule becomes a post), reject another with a reason,
then Publish now from the approved content's page. Screenshots go to the artifacts dir."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.console.test_browser import CHROMIUM, Shots
from tests.support import (
    ACME,
    ServerProcess,
    artifacts_dir,
    layers_up,
    ready_influencer,
    wait_for,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH (make chromium)"),
]


@pytest.fixture
def server(tmp_path: Path, isolated_database_url: str) -> Iterator[ServerProcess]:
    with layers_up(tmp_path / "data", isolated_database_url) as process:
        yield process


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    return artifacts_dir(tmp_path, "review")


def _completed(api: httpx.Client, container_id: str) -> bool:
    return bool(api.get(f"/v1/content/{container_id}").json()["status"] == "completed")


def test_review_flow(server: ServerProcess, artifacts: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    _, test_key = server.keys()
    api = httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {test_key}"}, timeout=30
    )
    project_id = api.post("/v1/projects", json=ACME).json()["id"]
    for kind, name in (("logo", "logo.png"), ("screenshot", "home.png")):
        api.post(
            f"/v1/projects/{project_id}/app-media",
            json={"kind": kind, "url": f"https://cdn.acme.example/{name}"},
        )
    influencer = ready_influencer(api, project_id, {})

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(20_000)
        shot = Shots(page, artifacts)
        page.goto(f"{server.base_url}/")
        page.fill("input[name=apiKey]", test_key)
        page.click("button:has-text('Sign in')")
        page.goto(f"{server.base_url}/console/projects/{project_id}/settings")

        # Connect a sandbox TikTok account, then choose "Review everything".
        page.select_option("select[name=platform]", "tiktok")
        page.click("button:has-text('Connect account')")
        page.fill("input[name=handle]", "acme.coffee")
        page.click("button:has-text('Allow')")
        expect(page.locator(".flash").first).to_contain_text("Account connected.")
        policy = page.locator("section#review-policy")
        expect(policy.get_by_role("heading", name="Content review")).to_be_visible()
        policy.locator("input[value=review_all]").check()
        policy.locator("button:has-text('Save policy')").click()
        expect(page.locator(".flash").first).to_contain_text("Review policy: Review everything")
        page.locator("section#review-policy").scroll_into_view_if_needed()
        shot("settings-review-policy")
        assert api.get(f"/v1/projects/{project_id}/content-review-policy").json()["policy"] == (
            "review_all"
        )
        account_id = api.get(f"/v1/projects/{project_id}/social-accounts").json()["items"][0][
            "socialAccountId"
        ]

        # Two slideshows: both wait for review; one is scheduled meanwhile (stashed).
        ids = []
        for hook in ("Your coffee\\nnever runs out", "Roasted Monday\\nat your door Friday"):
            made = api.post(
                f"/v1/projects/{project_id}/content/slideshow-builder",
                json={"hook": hook, "influencerId": influencer},
            )
            assert made.status_code == 202, made.text
            ids.append(made.json()["containerId"])
        for container_id in ids:
            wait_for(lambda c=container_id: _completed(api, c), timeout=120)
        later = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        stashed = api.post(
            f"/v1/content/{ids[0]}/schedule",
            json={
                "scheduledFor": later,
                "targets": [{"socialAccountId": account_id, "mode": "publish"}],
            },
        )
        assert stashed.status_code == 202 and stashed.json()["gateStatus"] == "blocked_on_approval"

        # The review queue: both, oldest first, with thumbnails.
        page.click("nav.subnav >> text=Review")
        expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
        items = page.locator("article.reviewitem")
        expect(items).to_have_count(2)
        expect(items.first.locator(".reviewthumb img")).to_be_visible()
        page.wait_for_function(
            "() => [...document.querySelectorAll('.reviewthumb img')].every(i => i.complete"
            " && i.naturalWidth > 0)"
        )
        expect(items.first).to_contain_text("1 schedule request waiting")
        shot("review-queue")

        # Approve the first: its waiting schedule becomes a post.
        first = page.locator(f"#review-{ids[0]}")
        first.locator("input[name=note]").fill("On brand")
        first.locator("button:has-text('Approve')").click()
        expect(page.locator(".flash").first).to_contain_text("Its waiting schedule is on: 1 post")
        expect(page.locator("article.reviewitem")).to_have_count(1)
        shot("review-approved")
        approved = api.get(f"/v1/content/{ids[0]}").json()
        assert approved["approvalStatus"] == "approved"
        assert approved["pendingSchedulePromotion"]["status"] == "ok"
        posts = api.get(f"/v1/projects/{project_id}/scheduled-posts").json()["items"]
        assert [p["containerId"] for p in posts] == [ids[0]]

        # Reject the second: a reason is required.
        second = page.locator(f"#review-{ids[1]}")
        second.locator("input[name=reason]").fill("Wrong roast day")
        second.locator("button:has-text('Reject')").click()
        expect(page.locator(".flash").first).to_contain_text("Rejected")
        expect(page.get_by_role("heading", name="Nothing to review")).to_be_visible()
        shot("review-empty")
        rejected = api.get(f"/v1/content/{ids[1]}").json()
        assert rejected["approvalStatus"] == "rejected"
        assert rejected["rejectionReason"] == "Wrong roast day"

        # The rejected content's page says so and offers no publishing.
        page.goto(f"{server.base_url}/console/content/{ids[1]}")
        expect(page.locator("#review-card")).to_contain_text("rejected")
        expect(page.locator("#publish-card")).to_contain_text("never published")

        # Publish the approved one now from its page.
        page.goto(f"{server.base_url}/console/content/{ids[0]}")
        expect(page.locator("#review-card")).to_contain_text("approved")
        page.locator("#publish-card").scroll_into_view_if_needed()
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.slide-img')].every(i => i.complete"
            " && i.naturalWidth > 0)"
        )
        shot("content-publish-now")
        page.locator("#publish-form button:has-text('Publish now')").click()
        # The sandbox account posts in TikTok's default (manual) mode: the drafts inbox, and the
        # flash says so.
        expect(page.locator(".flash").first).to_contain_text("Publishing now on 1 account")
        expect(page.locator(".flash").first).to_contain_text("drafts inbox")
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.slide-img')].every(i => i.complete"
            " && i.naturalWidth > 0)"
        )
        shot("publish-now-done")

        def went_out() -> dict[str, Any] | None:
            items = api.get(
                f"/v1/projects/{project_id}/scheduled-posts",
                params=[("status", "published"), ("status", "draft")],
            ).json()["items"]
            now = [p for p in items if p["scheduledFor"] < later]
            return now[0] if now else None

        post = wait_for(went_out, timeout=60)
        assert post["containerId"] == ids[0] and post["status"] == "draft"
        assert post["attemptCount"] == 1
        browser.close()
