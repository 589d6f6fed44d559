"""Managing a project in Debian's chromium (Playwright) against a real `layers up`: create a
project from the brief form (a refused submit keeps everything typed), add media by URL and
by uploading files from disk, delete one after confirming, create another influencer and watch
it train, edit the brief, connect an account and switch its posting mode, see why a post will
not publish on the calendar, archive and restore the project. Screenshots of each screen go to
``$LAYERS_TEST_ARTIFACTS/console-manage`` (or the test's tmp dir); with
``LAYERS_UPDATE_SCREENSHOTS=1`` the main ones are copied to docs/screenshots/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from layers.projects.media.fetch import sandbox as sandbox_media
from layers.render import video
from tests.console.test_browser import Shots
from tests.support import (
    ACME,
    ServerProcess,
    artifacts_dir,
    layers_up,
    ready_influencer,
    wait_for,
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DOCS_SHOTS = {
    "project-new-errors",
    "app-media",
    "app-media-delete",
    "influencers-training",
    "influencers",
    "settings-brief",
    "settings-posting-mode",
    "schedule-will-not-publish",
    "project-archive",
    "projects-archived",
}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH (make chromium)"),
]


@pytest.fixture
def server(tmp_path: Path, isolated_database_url: str) -> Iterator[ServerProcess]:
    # Training takes a moment, so the page shows the card moving through its stages.
    extra = {"LAYERS_SANDBOX_LATENCY_MS": "400"}
    with layers_up(tmp_path / "data", isolated_database_url, **extra) as process:
        yield process


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    return artifacts_dir(tmp_path, "console-manage")


def _files(tmp_path: Path) -> tuple[Path, Path]:
    shot = tmp_path / "checkout-screen.png"
    shot.write_bytes(sandbox_media.screenshot("https://acme.example/checkout.png", "Acme Coffee"))
    clip = tmp_path / "app-demo.mp4"
    video.synthetic_clip(clip, seconds=2, colors=("#6b3e26", "#c08552", "#f3e9dc"))
    return shot, clip


def test_manage_a_project_in_the_console(
    server: ServerProcess, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    _, test_key = server.keys()
    api = httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {test_key}"}, timeout=30
    )
    screenshot_file, clip_file = _files(tmp_path)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.set_default_timeout(20_000)
        shot = Shots(page, artifacts, DOCS_SHOTS)

        page.goto(f"{server.base_url}/")
        page.fill("input[name=apiKey]", test_key)
        page.click("button:has-text('Sign in')")
        expect(page.get_by_role("heading", name="No projects yet")).to_be_visible()
        expect(page.get_by_text("curl")).to_have_count(0)
        shot("projects-empty")

        # Create a project: a refused submit keeps every field and explains each problem.
        page.click("text=Create your first project")
        expect(page.get_by_role("heading", name="New project")).to_be_visible()
        page.fill("input[name=name]", "Ac")
        page.fill("input[name=appName]", ACME["appName"])
        page.fill("input[name=tagline]", ACME["tagline"])
        page.fill("textarea[name=appDescription]", "Coffee for runners.")
        page.select_option("select[name=timezone]", "America/Los_Angeles")
        page.fill("input[name=primaryLanguage]", "english")
        page.select_option("select[name=brandVoice]", "warm")
        page.click("button:has-text('Create project')")
        name_field = page.locator("[data-field=name]")
        expect(name_field.locator(".fielderr")).to_have_text(
            "Too short: at least 3 characters (this has 2)."
        )
        expect(page.locator("[data-field=appDescription] .fielderr")).to_contain_text(
            "at least 100 characters"
        )
        expect(page.locator("[data-field=primaryLanguage] .fielderr")).to_contain_text(
            "Not a language tag"
        )
        expect(page.locator("input[name=tagline]")).to_have_value(ACME["tagline"])
        expect(page.locator("select[name=timezone]")).to_have_value("America/Los_Angeles")
        expect(page.locator("select[name=brandVoice]")).to_have_value("warm")
        page.set_viewport_size({"width": 1280, "height": 1000})
        shot("project-new-errors")
        page.set_viewport_size({"width": 1280, "height": 860})
        page.fill("input[name=name]", ACME["name"])
        page.fill("textarea[name=appDescription]", ACME["appDescription"])
        page.fill("input[name=primaryLanguage]", "en")
        page.click("button:has-text('Create project')")
        expect(page.locator(".flash").first).to_contain_text("Created Acme Coffee.")
        project_id = page.url.rstrip("/").rsplit("/", 1)[-1]
        assert api.get(f"/v1/projects/{project_id}").json()["brandVoice"] == "warm"

        # App media: a logo by URL, a screenshot and a demo video from disk.
        page.click("nav.subnav >> text=Media")
        page.select_option("#add-url select[name=kind]", "logo")
        page.fill("#add-url input[name=url]", "https://cdn.acme.example/brand/logo.png")
        page.click("#add-url button:has-text('Add')")
        expect(page.locator(".flash").first).to_contain_text("Added a logo (512×512")
        page.select_option("#add-file select[name=kind]", "screenshot")
        page.set_input_files("#add-file input[name=file]", str(screenshot_file))
        page.click("#add-file button:has-text('Upload')")
        expect(page.locator(".flash").first).to_contain_text("Added a screenshot (590×1278")
        page.select_option("#add-file select[name=kind]", "demo-video")
        page.set_input_files("#add-file input[name=file]", str(clip_file))
        page.click("#add-file button:has-text('Upload')")
        expect(page.locator(".flash").first).to_contain_text("Added a demo video (540×960")
        page.fill("#add-url input[name=url]", "http://localhost/secret.png")
        page.click("#add-url button:has-text('Add')")
        expect(page.locator("#add-url .fielderr")).to_be_visible()
        expect(page.locator("#add-url input[name=url]")).to_have_value(
            "http://localhost/secret.png"
        )
        page.fill("#add-url input[name=url]", "https://cdn.acme.example/shots/plans.png")
        page.select_option("#add-url select[name=kind]", "screenshot")
        page.click("#add-url button:has-text('Add')")
        shots = page.locator("#kind-screenshot figure.assetcard")
        expect(shots).to_have_count(2)
        expect(page.locator("#kind-screenshot")).to_contain_text("590 × 1278")
        expect(page.locator("#kind-demo-video")).to_contain_text("540 × 960")
        expect(page.locator("#kind-screenshot")).to_contain_text("Uploaded checkout-screen.png")
        page.set_viewport_size({"width": 1280, "height": 1560})
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_function(
            "() => [...document.querySelectorAll('#kind-demo-video video')]"
            ".every(v => v.readyState >= 2)"
        )
        shot("app-media")
        page.set_viewport_size({"width": 1280, "height": 860})
        media = api.get(f"/v1/projects/{project_id}/app-media").json()["items"]
        assert sorted(m["kind"] for m in media) == [
            "demo-video",
            "logo",
            "screenshot",
            "screenshot",
        ]
        victim = next(m for m in media if m["url"].endswith("plans.png"))
        page.click(f"#med-{victim['id']} button:has-text('Delete')")
        expect(page.locator(f"#del-{victim['id']}")).to_be_visible()
        shot("app-media-delete")
        page.locator(f"#del-{victim['id']} button[type=submit]").click()
        expect(page.locator(".flash").first).to_contain_text("Deleted the screenshot.")
        expect(shots).to_have_count(1)

        # Influencers: the first one (from the brief) and another persona, trained live.
        ready_influencer(api, project_id, {})
        page.click("nav.subnav >> text=Influencers")
        page.select_option("#new-influencer select[name=gender]", "male")
        page.select_option("#new-influencer select[name=ageRange]", "adult")
        page.fill("#new-influencer textarea[name=prompt]", "a night-shift nurse who runs at dawn")
        page.click("button:has-text('Create influencer')")
        expect(page.locator(".flash").first).to_contain_text("A new influencer is training")
        training = page.locator("article.personcard[hx-get]")
        if training.count():
            shot("influencers-training")
        expect(page.locator("article.personcard[data-status=ready]")).to_have_count(
            2, timeout=60_000
        )
        expect(page.locator("article.personcard img")).to_have_count(2)
        shot("influencers")
        people = api.get(f"/v1/projects/{project_id}/influencers").json()["items"]
        assert sorted(p["gender"] for p in people) == ["female", "male"]

        # Settings: a refused brief keeps what was typed; then it saves.
        page.click("nav.subnav >> text=Settings")
        page.fill("#brief input[name=tagline]", "x" * 81)
        page.evaluate(
            "document.querySelector('#brief input[name=tagline]').removeAttribute('maxlength')"
        )
        page.fill("#brief input[name=tagline]", "x" * 81)
        page.fill("#brief input[name=appName]", "Acme Coffee Club")
        page.click("button:has-text('Save brief')")
        expect(page.locator("[data-field=tagline] .fielderr")).to_have_text(
            "Too long: at most 80 characters (this has 81)."
        )
        expect(page.locator("#brief input[name=appName]")).to_have_value("Acme Coffee Club")
        page.locator("#brief").scroll_into_view_if_needed()
        shot("settings-brief")
        page.fill("#brief input[name=tagline]", "Fresh beans before you run out.")
        page.click("button:has-text('Save brief')")
        expect(page.locator(".flash").first).to_contain_text("Saved the brief.")
        got = api.get(f"/v1/projects/{project_id}").json()
        assert got["appName"] == "Acme Coffee Club" and got["tagline"].startswith("Fresh beans")

        # Connect a sandbox account and switch its posting mode.
        page.select_option("select[name=platform]", "tiktok")
        page.click("button:has-text('Connect account')")
        page.fill("input[name=handle]", "acme.coffee")
        page.click("button:has-text('Allow')")
        expect(page.locator(".flash").first).to_contain_text("Account connected.")
        account_id = api.get(f"/v1/projects/{project_id}/social-accounts").json()["items"][0][
            "socialAccountId"
        ]
        row = page.locator(f"#acct-{account_id}")
        row.locator("select[name=postingMode]").select_option("automatic")
        expect(page.locator(".flash").first).to_contain_text("now publishes automatically")
        assert api.get(f"/v1/social-accounts/{account_id}").json()["postingMode"] == "automatic"
        row.locator("select[name=postingMode]").select_option("manual")
        expect(page.locator(".flash").first).to_contain_text("manual posting")
        expect(row).to_contain_text("drafts inbox")
        shot("settings-posting-mode")
        assert api.get(f"/v1/social-accounts/{account_id}").json()["postingMode"] == "manual"

        # A slot holding content, in a layer with willPublish off, to a manual account.
        layer = api.post(
            f"/v1/projects/{project_id}/layers",
            json={
                "templateId": "social-distribution",
                "config": {"social": {"socialAccountId": account_id}},
            },
        )
        assert layer.status_code == 201, layer.text
        layer_id = layer.json()["id"]
        wait_for(lambda: api.get(f"/v1/layers/{layer_id}").json()["status"] == "active")
        influencer = ready_influencer(api, project_id, {})
        made = api.post(
            f"/v1/projects/{project_id}/content/slideshow-builder",
            json={"hook": "Your coffee\\nnever runs out", "influencerId": influencer},
        )
        assert made.status_code == 202, made.text
        container_id = made.json()["containerId"]
        wait_for(
            lambda: api.get(f"/v1/content/{container_id}").json()["status"] == "completed",
            timeout=120,
        )
        attach = api.post(
            f"/api/project-layers/{layer_id}/execute",
            json={"commandId": "attach-to-schedule", "parameters": {"containerId": container_id}},
        )
        assert attach.status_code == 202, attach.text
        run_url = f"/v1/runs/{attach.json()['runId']}"
        wait_for(lambda: api.get(run_url).json()["status"] == "completed")
        page.click("nav.subnav >> text=Schedule")
        chip = page.locator("#calendar details.chip.ready")
        expect(chip).to_have_count(1)
        expect(chip.locator(".wn")).to_have_text("publishing off")
        chip.locator("summary").click()
        notes = chip.locator(".publish-notes li")
        expect(notes.nth(0)).to_contain_text("willPublish off")
        expect(notes.nth(1)).to_contain_text("posting mode is manual")
        chip.scroll_into_view_if_needed()
        shot("schedule-will-not-publish")

        # Archive (after confirming), find it under Archived, restore it.
        page.click("nav.subnav >> text=Settings")
        page.click("button:has-text('Archive project…')")
        expect(page.locator("#archive-dialog")).to_be_visible()
        shot("project-archive")
        page.locator("#archive-dialog button[type=submit]").click()
        expect(page.locator(".flash").first).to_contain_text("Archived Acme Coffee")
        assert api.get(f"/v1/projects/{project_id}").json()["status"] == "archived"
        page.click("nav.mainnav >> text=Projects")
        expect(page.get_by_role("heading", name="No active projects")).to_be_visible()
        page.click("nav.tabs >> text=Archived")
        expect(page.locator("table.table")).to_contain_text("Acme Coffee")
        shot("projects-archived")
        page.click("text=Acme Coffee >> nth=0")
        page.click("nav.subnav >> text=Settings")
        page.click("button:has-text('Restore project')")
        expect(page.locator(".flash").first).to_contain_text("Restored Acme Coffee.")
        assert api.get(f"/v1/projects/{project_id}").json()["status"] == "active"
        browser.close()
    assert shot.taken >= 10
