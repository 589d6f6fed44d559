"""The Generate screen, a content's page and a layer's config form in Debian's chromium against
a real `layers up`: formats switch what the form asks for, hook ideas fill the hook, a slide
opens at full size, a video plays, the schedule form lands on the calendar, and the config
form explains a bad value in words while switching distribution mode clears what no longer
applies. Screenshots go to the artifacts dir (``LAYERS_UPDATE_SCREENSHOTS=1``: the main ones
to docs/screenshots/)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.console.test_journey import CHROMIUM, Shots, artifacts, pytestmark, server
from tests.support import ACME, ServerProcess, ready_influencer

__all__ = ["artifacts", "pytestmark", "server"]  # the fixtures and marks, shared

DOCS_SHOTS = {"generate-hook", "content-slide-full-size", "content-video", "layer-config-error"}


def test_generate_content_and_layer_forms_in_a_browser(
    server: ServerProcess, artifacts: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    _, test_key = server.keys()
    api = httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {test_key}"}, timeout=30
    )
    project_id = api.post("/v1/projects", json=ACME).json()["id"]
    ready_influencer(api, project_id, {})

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.set_default_timeout(30_000)
        shot = Shots(page, artifacts, DOCS_SHOTS)
        page.goto(f"{server.base_url}/")
        page.fill("input[name=apiKey]", test_key)
        page.click("button:has-text('Sign in')")
        page.click("text=Acme Coffee >> nth=0")

        # An account to schedule on (the sandbox consent page).
        page.click("nav.subnav >> text=Settings")
        page.select_option("select[name=platform]", "tiktok")
        page.click("button:has-text('Connect account')")
        page.fill("input[name=handle]", "acme.screens")
        page.click("button:has-text('Allow')")
        expect(page.locator(".flash").first).to_contain_text("Account connected.")

        # Generate: a slideshow from a hook idea (no source to pick for this format).
        page.click("nav.subnav >> text=Content")
        page.click("text=Generate content")
        expect(page.locator("#sources label.source").first).to_be_visible()  # the portfolio
        page.click("label.format-choice:has-text('Slideshow from a hook')")
        expect(page.locator("section[data-for=remix]")).to_be_hidden()
        expect(page.locator("textarea[name=hook]")).to_be_visible()
        page.locator(".hook-idea").first.click()
        expect(page.locator("textarea[name=hook]")).not_to_have_value("")
        shot("generate-hook")
        page.click("#start-generation")
        expect(page.locator("#content-main")).to_have_attribute(
            "data-status", "completed", timeout=120_000
        )
        page.locator("[data-slide]").first.click()
        full = page.locator("#slide-full")
        expect(full).to_be_visible()
        page.wait_for_function(
            "() => { const i = document.querySelector('#slide-full');"
            " return i.complete && i.naturalWidth === 1080; }"
        )
        shot("content-slide-full-size")
        page.locator("#slide-viewer button").click()

        # Schedule it: a time in the project's timezone, the account ticked, a mode.
        form = page.locator("#schedule-form")
        form.locator("select[name=mode]").select_option("draft")
        form.locator("button:has-text('Schedule')").click()
        expect(page.locator(".flash").first).to_contain_text("Scheduled on 1 account")
        expect(page.locator("#calendar details.chip").first).to_be_visible()

        # A video remix from the portfolio plays on its page.
        page.click("nav.subnav >> text=Content")
        page.click("text=Generate content")
        page.click("label.format-choice:has-text('Video remix')")
        expect(page.locator("#sources")).to_contain_text("videos picked from your keyword bank")
        page.locator("#sources label.source").first.click()
        page.click("#start-generation")
        expect(page.locator("#content-main")).to_have_attribute(
            "data-status", "completed", timeout=180_000
        )
        video = page.locator("video.fullvideo")
        expect(video).to_be_visible()
        page.evaluate("() => { const v = document.querySelector('video.fullvideo');"
                      " v.muted = true; return v.play(); }")  # fmt: skip
        page.wait_for_function("() => document.querySelector('video.fullvideo').currentTime > 0.2")
        shot("content-video")

        # A layer's config: a bad time in words, what was typed kept; switching mode clears.
        account_id = api.get(f"/v1/projects/{project_id}/social-accounts").json()["items"][0][
            "socialAccountId"
        ]
        layer = api.post(
            f"/v1/projects/{project_id}/layers",
            json={
                "templateId": "social-distribution",
                "config": {
                    "social": {"socialAccountId": account_id},
                    "distributionMode": "custom",
                    "schedule": {"times": ["09:00", "18:00"]},
                },
            },
        ).json()
        page.click("nav.subnav >> text=Layers")
        page.click(f"a[href='/console/layers/{layer['id']}']")
        page.click("nav.tabs >> text=Config")
        times = page.locator("[name='cfg.schedule.times']")
        expect(times).to_have_value("09:00, 18:00")
        mode = page.locator("select[name='cfg.distributionMode']")
        mode.select_option("automatic")
        expect(times).to_be_hidden()
        mode.select_option("custom")
        expect(times).to_be_visible()
        expect(times).to_have_value("")  # cleared when it stopped applying
        times.fill("09:00, 25:00")
        page.click("button:has-text('Save config')")
        error = page.locator("[data-error-for='cfg.schedule.times']")
        expect(error).to_contain_text("“25:00” is not a 24-hour time such as 09:30 or 18:45")
        expect(page.locator("[name='cfg.schedule.times']")).to_have_value("09:00, 25:00")
        error.scroll_into_view_if_needed()
        shot("layer-config-error")
        page.locator("[name='cfg.schedule.times']").fill("09:00, 21:30")
        page.click("button:has-text('Save config')")
        expect(page.locator(".flash").first).to_contain_text("Config saved (version 2).")
        saved = api.get(f"/v1/layers/{layer['id']}").json()["config"]
        assert saved["schedule"]["times"] == ["09:00", "21:30"]
        page.locator("select[name='cfg.distributionMode']").select_option("automatic")
        page.click("button:has-text('Save config')")
        expect(page.locator(".flash").first).to_contain_text("Config saved (version 3).")
        after = api.get(f"/v1/layers/{layer['id']}").json()["config"]
        assert after["distributionMode"] == "automatic" and "times" not in after["schedule"]
        browser.close()
    assert shot.taken == 4
