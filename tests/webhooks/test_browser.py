"""The Webhooks screen in Debian's chromium (Playwright) against a real `layers up` server and
a real receiver: add an endpoint with the event picker, copy the secret shown once, send a
test event, watch it delivered, replay it, rotate the secret. Screenshots go to the artifacts
dir (``LAYERS_TEST_ARTIFACTS`` or the test's tmp dir); ``LAYERS_UPDATE_SCREENSHOTS=1`` copies
them to docs/screenshots/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import (
    REPO,
    ServerProcess,
    layers_up,
    wait_for,
)
from tests.webhooks.receiver import Receiver

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH (make chromium)"),
]


@pytest.fixture
def server(tmp_path: Path, isolated_database_url: str) -> Iterator[ServerProcess]:
    with layers_up(tmp_path / "data", isolated_database_url) as process:
        yield process


def test_webhooks_screen_in_a_browser(
    server: ServerProcess, receiver: Receiver, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base = os.environ.get("LAYERS_TEST_ARTIFACTS")
    shots = Path(base) / "webhooks" if base else tmp_path / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    _, test_key = server.keys()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(20_000)

        def shot(name: str) -> None:
            path = shots / f"{name}.png"
            page.screenshot(path=str(path), full_page=True)
            if os.environ.get("LAYERS_UPDATE_SCREENSHOTS") == "1":
                docs = REPO / "docs" / "screenshots"
                docs.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, docs / f"{name}.png")

        page.goto(f"{server.base_url}/")
        page.fill("input[name=apiKey]", test_key)
        page.click("button:has-text('Sign in')")
        page.click("nav.mainnav >> text=Webhooks")
        expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
        expect(page.get_by_text("No webhook endpoints yet")).to_be_visible()
        shot("webhooks-empty")

        page.fill("input[name=url]", receiver.url)
        page.fill("input[name=description]", "Local receiver")
        page.check("input[value='post.scheduled']")
        page.uncheck("input[value='job.failed']")
        page.click("button:has-text('Add endpoint')")
        secret = page.locator("[data-secret]")
        expect(secret).to_be_visible()
        receiver.secrets.append(secret.inner_text().strip())
        assert receiver.secrets[0].startswith("whsec_")
        shot("webhooks-created")

        page.click("text=Open the endpoint")
        page.click("button:has-text('Send test event')")
        expect(page.locator(".flash").first).to_contain_text("Sent a test.ping")
        # The receiver has the event before the server has recorded its answer: the table
        # refreshes itself while a delivery is in flight, so no reload is needed.
        wait_for(lambda: len(receiver.received) == 1, timeout=30)
        expect(page.locator("td .pill.delivered").first).to_be_visible(timeout=20_000)
        expect(page.get_by_text("HTTP 200").first).to_be_visible()
        page.click("button:has-text('Replay')")
        expect(page.locator(".flash").first).to_contain_text("Replaying")
        wait_for(lambda: len(receiver.received) == 2, timeout=30)
        expect(page.locator("td .pill.delivered")).to_have_count(2, timeout=20_000)
        shot("webhook-deliveries")
        assert all(r.verified for r in receiver.received)
        assert receiver.received[1].body["replayOf"]

        page.once("dialog", lambda dialog: dialog.accept())
        page.click("button:has-text('Rotate secret')")
        expect(page.get_by_role("heading", name="New signing secret")).to_be_visible()
        assert page.locator("[data-secret]").inner_text().strip() != receiver.secrets[0]
        shot("webhook-rotated")

        page.click("nav.mainnav >> text=Webhooks")
        expect(page.get_by_text("Local receiver")).to_be_visible()
        shot("webhooks-list")
        browser.close()
