"""The whole job, as a person, in Debian's chromium against a real `layers up`.

Sign in → create a project → add a logo and a screenshot (uploaded from disk) → connect a
sandbox TikTok account (and let it post automatically) → install Social Distribution in custom
mode with two times → generate a slideshow from a live keyword search → open the content and
check every slide image loads → put it in the layer's next slot → see it on the calendar →
turn ``willPublish`` on → see it posted.

No step types an id or leaves the console: every choice is a click in a list. The one thing
the test does behind the person's back is the passing of time: the slot's time is moved to
now (as the clock would), then the server's own scheduler tick publishes it. Screenshots of
each step go to the artifacts dir; with ``LAYERS_UPDATE_SCREENSHOTS=1`` the main ones are
copied to docs/screenshots/ (shown in docs/console.md).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from PIL import Image

from layers.kit import db as kit_db
from tests.console.test_browser import Shots
from tests.support import (
    ServerProcess,
    artifacts_dir,
    layers_up,
    wait_for,
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DOCS_SHOTS = {
    "journey-new-project",
    "journey-media",
    "journey-install-custom",
    "journey-layer-installed",
    "journey-generate-search",
    "journey-generating",
    "journey-content",
    "journey-calendar",
    "journey-config-will-publish",
    "journey-posted",
}

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
    return artifacts_dir(tmp_path, "journey")


def picture(path: Path, size: tuple[int, int], color: str) -> Path:
    Image.new("RGB", size, color).save(path)
    return path


def move_to_now(database_url: str, post_id: str) -> None:
    """Time passes: the slot's time becomes a few seconds from now."""
    engine = sa.create_engine(kit_db.normalize_url(database_url))
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE scheduled_posts SET scheduled_at = :at WHERE id = :id"),
                {"at": datetime.now(UTC) + timedelta(seconds=3), "id": post_id},
            )
    finally:
        engine.dispose()


def flash(page: Any) -> Any:
    return page.locator(".flash").first


def test_the_whole_job_as_a_person(
    server: ServerProcess, artifacts: Path, isolated_database_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    _, test_key = server.keys()
    api = httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {test_key}"}, timeout=30
    )
    logo = picture(tmp_path / "logo.png", (512, 512), "#6f4e37")
    screenshot = picture(tmp_path / "home-screen.png", (1080, 1920), "#f4e1c1")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.set_default_timeout(30_000)
        shot = Shots(page, artifacts, DOCS_SHOTS)

        # Sign in with the test key `layers up` printed.
        page.goto(f"{server.base_url}/")
        page.fill("input[name=apiKey]", test_key)
        page.click("button:has-text('Sign in')")
        expect(page.get_by_role("heading", name="Projects", exact=True)).to_be_visible()

        # Create a project.
        page.get_by_role("link", name="New project").first.click()
        page.fill("[name=name]", "Acme Coffee")
        page.fill("[name=appName]", "Acme Coffee")
        page.fill(
            "[name=appDescription]",
            "Daily ritual coffee subscriptions for runners and night-shift workers: "
            "single-origin beans roasted weekly and shipped on the cadence you drink them, "
            "so the bag never goes stale and you never run out before a hard workout.",
        )
        tz = page.locator("select[name=timezone]")
        if tz.count():
            tz.select_option("America/Los_Angeles")
        shot("journey-new-project", full=True)
        page.click("button:has-text('Create project')")
        expect(flash(page)).to_contain_text("Created Acme Coffee")
        project_url = page.url.split("?")[0]

        # App media: a logo and a screenshot, uploaded from disk.
        page.click("nav.subnav >> text=Media")
        upload = page.locator("#add-file")
        for kind, path in (("logo", logo), ("screenshot", screenshot)):
            upload.locator("select[name=kind]").select_option(kind)
            upload.locator("input[name=file]").set_input_files(str(path))
            upload.locator("button:has-text('Upload')").click()
            expect(flash(page)).to_contain_text(f"Added a {kind}")
        expect(page.get_by_text("512 × 512").first).to_be_visible()
        expect(page.get_by_text("1080 × 1920").first).to_be_visible()
        shot("journey-media")

        # Connect a sandbox TikTok account; let it publish automatically.
        page.click("nav.subnav >> text=Settings")
        page.select_option("select[name=platform]", "tiktok")
        page.click("button:has-text('Connect account')")
        expect(page.get_by_role("heading", name="Connect a TikTok account")).to_be_visible()
        page.fill("input[name=handle]", "acme.coffee")
        page.click("button:has-text('Allow')")
        expect(flash(page)).to_contain_text("Account connected.")
        mode = page.locator("select[name=postingMode]").first
        mode.select_option("automatic")
        expect(page.locator("select[name=postingMode]").first).to_have_value("automatic")
        shot("journey-account")

        # Install Social Distribution: custom mode, two times a day.
        page.click("nav.mainnav >> text=Catalog")
        page.select_option("select[name=project]", label="Acme Coffee")
        page.click("#tpl-social-distribution >> button:has-text('Install')")
        dialog = page.locator("#install-social-distribution")
        times = dialog.locator("[name='cfg.schedule.times']")
        expect(times).to_be_hidden()  # automatic mode: the times do not apply
        dialog.locator("select[name='cfg.social.socialAccountId']").select_option(
            label="tiktok · @acme.coffee"
        )
        dialog.locator("select[name='cfg.distributionMode']").select_option("custom")
        expect(times).to_be_visible()
        times.fill("09:00, 18:00")
        shot("journey-install-custom")
        dialog.locator("button:has-text('Install')").last.click()
        expect(flash(page)).to_contain_text("Installing social-distribution")
        # The header follows the install without a reload: active, with its Pause action.
        head = page.locator("#layerhead")
        expect(head).to_have_attribute("data-status", "active", timeout=60_000)
        expect(head.locator("button:has-text('Pause')")).to_be_visible()
        shot("journey-layer-installed")
        layer_url = page.url.split("?")[0]

        # Generate a slideshow from a live keyword search.
        page.click("nav.subnav >> text=Content")
        page.click("text=Generate content")
        expect(page.get_by_role("heading", name="Generate content")).to_be_visible()
        page.fill("input[name=keyword]", "cold brew")
        page.click("#search-sources")
        expect(page.locator("#sources")).to_contain_text("Live TikTok search for")
        first_source = page.locator("#sources label.source").first
        expect(first_source.locator("img")).to_be_visible()
        first_source.click()
        # The first influencer trains after the project is created: a person reloads.
        for _ in range(60):
            if page.locator("input[name=influencerId]:not([disabled])[value^=inf_]").count():
                break
            page.wait_for_timeout(2000)
            page.reload()
            page.fill("input[name=keyword]", "cold brew")
            page.click("#search-sources")
            expect(page.locator("#sources label.source").first).to_be_visible()
            page.locator("#sources label.source").first.click()
        page.locator("label.person:has(input[value^=inf_]:not([disabled]))").first.click()
        shot("journey-generate-search", full=True)
        page.click("#start-generation")
        expect(flash(page)).to_contain_text("Generation started.")
        main = page.locator("#content-main")
        if main.get_attribute("data-status") in ("queued", "processing"):
            expect(page.locator("#job-progress .stages")).to_be_visible()
            shot("journey-generating")
        expect(main).to_have_attribute("data-status", "completed", timeout=120_000)

        # Every slide at full size, and each one loads.
        slides = page.locator("img.slide-img")
        expect(slides.first).to_be_visible()
        page.wait_for_function(
            "() => { const s = [...document.querySelectorAll('img.slide-img')];"
            " return s.length > 0 && s.every(i => i.complete && i.naturalWidth > 0); }"
        )
        widths = page.eval_on_selector_all(
            "img.slide-img", "els => els.map(e => [e.naturalWidth, e.naturalHeight])"
        )
        assert widths and all(w == 1080 and h == 1920 for w, h in widths), widths
        expect(page.locator("#content-main")).to_contain_text("found by searching “cold brew”")
        shot("journey-content", full=True)

        # Schedule it: into the layer's next empty slot, picked from a list.
        attach = page.locator("#attach-form")
        expect(attach.locator("select[name=layerId] option").first).to_contain_text(
            "next empty slot"
        )
        attach.locator("button:has-text('Add to next slot')").click()
        expect(flash(page)).to_contain_text("Attaching")
        expect(page.locator("#run-status")).to_have_attribute("data-status", "completed")

        # See it on the calendar.
        page.click("nav.tabs >> text=Schedule")
        ready = page.locator("#calendar details.chip.ready")
        expect(ready).to_have_count(1)
        shot("journey-calendar")

        # Turn willPublish on.
        page.click("nav.tabs >> text=Config")
        page.check("input[type=checkbox][name=cfg\\.willPublish]")
        shot("journey-config-will-publish")
        page.click("button:has-text('Save config')")
        expect(flash(page)).to_contain_text("Config saved (version 2).")

        # Time passes to the slot; the server's own scheduler publishes it.
        layer_id = layer_url.rsplit("/", 1)[-1]
        posts = api.get(
            "/v1/projects/" + project_url.rsplit("/", 1)[-1] + "/scheduled-posts",
            params={"layerId": layer_id, "internalStatus": "ready"},
        ).json()["items"]
        assert len(posts) == 1, posts
        move_to_now(isolated_database_url, posts[0]["id"])
        page.click("nav.tabs >> text=Schedule")

        def posted() -> bool:
            page.reload()
            return page.locator("#calendar details.chip.posted").count() == 1

        wait_for(posted, timeout=180, every=5)
        chip = page.locator("#calendar details.chip.posted")
        chip.locator("summary").click()
        expect(chip).to_contain_text("posted")
        shot("journey-posted")
        final = api.get(f"/v1/scheduled-posts/{posts[0]['id']}").json()
        assert final["internalStatus"] == "posted" and final["externalId"], final
        browser.close()
    assert shot.taken >= 10
