"""The console in Debian's chromium (Playwright), against a real `layers up` server.

One flow, as a person would click it: sign in, connect a sandbox account, install Social
Distribution, run refresh-schedule from the Commands tab and watch it finish in the Runs tab
(activities, a live log line), retry a failed run, see the slots in the Schedule tab, and
reconnect an unhealthy account. Every screen is saved as a screenshot to the artifacts dir
(``LAYERS_TEST_ARTIFACTS`` or the test's tmp dir); with ``LAYERS_UPDATE_SCREENSHOTS=1`` the
main ones are copied to docs/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from layers.kit import db as kit_db
from tests.support import (
    ACME,
    REPO,
    ServerProcess,
    artifacts_dir,
    layers_up,
    ready_influencer,
    wait_for,
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TEMPLATE = os.environ.get("LAYERS_CONSOLE_FLOW_TEMPLATE", "social-distribution")
TEMPLATE_NAME = {"social-distribution": "Social Distribution"}.get(TEMPLATE, TEMPLATE)
DOCS_SHOTS = {
    "projects",
    "project-overview",
    "catalog-install",
    "layer-commands-run-dialog",
    "layer-runs-completed",
    "layer-runs-retry",
    "layer-runs-live",
    "layer-schedule",
    "layer-config",
    "content",
    "settings-reconnect",
}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH (make chromium)"),
]


@pytest.fixture
def server(tmp_path: Path, isolated_database_url: str) -> Iterator[ServerProcess]:
    extra = {"LAYERS_EXTRA_TEMPLATES": "tests.engine.plugin"}
    with layers_up(tmp_path / "data", isolated_database_url, **extra) as process:
        yield process


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    return artifacts_dir(tmp_path, "console")


class Shots:
    """Numbered screenshots; the names in `docs` also refresh docs/screenshots/ when
    ``LAYERS_UPDATE_SCREENSHOTS=1``."""

    def __init__(self, page: Any, directory: Path, docs: set[str] | None = None) -> None:
        self.page, self.directory, self.taken = page, directory, 0
        self.docs = DOCS_SHOTS if docs is None else docs

    def __call__(self, name: str, *, full: bool = False) -> None:
        self.taken += 1
        path = self.directory / f"{self.taken:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=full)
        if os.environ.get("LAYERS_UPDATE_SCREENSHOTS") == "1" and name in self.docs:
            docs = REPO / "docs" / "screenshots"
            docs.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, docs / f"{name}.png")


def _mark_unhealthy(database_url: str, account_id: str) -> None:
    engine = sa.create_engine(kit_db.normalize_url(database_url))
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE social_accounts SET healthy = false, status = 'reauth_required' "
                    "WHERE id = :id"
                ),
                {"id": account_id},
            )
    finally:
        engine.dispose()


def _wait_run(page: Any, status: str, timeout: float = 30_000) -> None:
    """The selected run reaches `status`, and the run list has caught up with it."""
    page.wait_for_function(
        "s => { const el = document.querySelector('#run-status');"
        " const row = document.querySelector('#runlist tr.selected .pill');"
        " return el && el.dataset.status === s && row && row.textContent.trim() === s; }",
        arg=status,
        timeout=timeout,
    )


def test_console_flow(server: ServerProcess, artifacts: Path, isolated_database_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    _, test_key = server.keys()
    api = httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {test_key}"}, timeout=30
    )
    project = api.post("/v1/projects", json=ACME)
    assert project.status_code == 201, project.text
    project_id = project.json()["id"]
    for kind, name in (
        ("logo", "logo.png"),
        ("screenshot", "home.png"),
        ("screenshot", "plan.png"),
    ):
        media = api.post(
            f"/v1/projects/{project_id}/app-media",
            json={"kind": kind, "url": f"https://cdn.acme.example/{name}"},
        )
        assert media.status_code == 201, media.text

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(20_000)
        shot = Shots(page, artifacts)

        # Sign in.
        page.goto(f"{server.base_url}/")
        expect(page.get_by_role("heading", name="Sign in to Layers")).to_be_visible()
        shot("sign-in")
        page.fill("input[name=apiKey]", test_key)
        page.click("button:has-text('Sign in')")
        expect(page.get_by_role("heading", name="Projects")).to_be_visible()
        expect(page.get_by_text("Acme Coffee").first).to_be_visible()
        shot("projects")

        # The project page.
        page.click("text=Acme Coffee >> nth=0")
        expect(page.get_by_role("heading", name="Brief")).to_be_visible()
        shot("project-overview")

        # Content to show: a slideshow renders in the background while the flow goes on.
        influencer = ready_influencer(api, project_id, {})
        generated = api.post(
            f"/v1/projects/{project_id}/content/slideshow-builder",
            json={"hook": "Your coffee\\nnever runs out", "influencerId": influencer},
        )
        assert generated.status_code == 202, generated.text
        container_id = generated.json()["containerId"]

        # Connect a sandbox account from Settings (the consent page, then back to the console).
        page.click("nav.subnav >> text=Settings")
        page.select_option("select[name=platform]", "tiktok")
        page.click("button:has-text('Connect account')")
        expect(page.get_by_role("heading", name="Connect a TikTok account")).to_be_visible()
        shot("sandbox-consent")
        page.fill("input[name=handle]", "acme.coffee")
        page.click("button:has-text('Allow')")
        expect(page.locator(".flash").first).to_contain_text("Account connected.")
        expect(page.get_by_text("@acme.coffee")).to_be_visible()
        accounts = api.get(f"/v1/projects/{project_id}/social-accounts").json()["items"]
        account_id = accounts[0]["socialAccountId"]

        # Install Social Distribution from the catalog.
        page.click("nav.mainnav >> text=Catalog")
        expect(page.get_by_role("heading", name="Layer catalog")).to_be_visible()
        page.click(f"#tpl-{TEMPLATE} >> button:has-text('Install')")
        dialog = page.locator(f"#install-{TEMPLATE}")
        expect(dialog).to_be_visible()
        account_select = dialog.locator("select[name='cfg.social.socialAccountId']")
        if account_select.count():
            account_select.select_option(account_id)
        shot("catalog-install")
        dialog.locator("button:has-text('Install')").last.click()
        expect(page.locator(".flash").first).to_contain_text(f"Installing {TEMPLATE}")
        _wait_run(page, "completed")  # initialize
        layer_url = page.url.split("?")[0]
        layer_id = layer_url.rsplit("/", 1)[-1]
        assert api.get(f"/v1/layers/{layer_id}").json()["status"] == "active"

        # Run refresh-schedule from the Commands tab and watch it in the Runs tab.
        page.click("nav.tabs >> text=Commands")
        command = "refresh-schedule" if TEMPLATE == "social-distribution" else "three-steps"
        page.click(f"#cmd-{command} >> button:has-text('Run')")
        expect(page.locator(f"#run-{command}")).to_be_visible()
        shot("layer-commands-run-dialog")
        page.locator(f"#run-{command} >> button:has-text('Run now')").click()
        expect(page.locator(".flash").first).to_contain_text(f"Started {command}.")
        _wait_run(page, "completed")
        expect(page.locator("#run-status .activity").first).to_be_visible()
        expect(page.locator("#log-lines .logline").first).to_be_visible()
        shot("layer-runs-completed")
        runs = api.get(f"/v1/layers/{layer_id}/runs", params={"commandId": command}).json()
        assert runs["items"][0]["trigger"] == "console"
        assert runs["items"][0]["status"] == "completed"

        # A run that fails (a container that does not exist), then Retry.
        page.click("nav.tabs >> text=Commands")
        if TEMPLATE == "social-distribution":
            failing, fill = "attach-to-schedule", ("param.containerId", "cnt_MISSING")
        else:
            failing, fill = "body-fails", None
        page.click(f"#cmd-{failing} >> button:has-text('Run')")
        if fill:
            page.fill(f"#run-{failing} input[name='{fill[0]}']", fill[1])
        page.locator(f"#run-{failing} >> button:has-text('Run now')").click()
        _wait_run(page, "failed")
        expect(page.locator("#run-status .failure")).to_be_visible()
        page.click("#run-status .failure summary")
        expect(page.locator("#run-status .failure pre.trace")).to_contain_text("Traceback")
        shot("layer-runs-failed")
        failed_id = page.locator("#run-status").get_attribute("hx-get") or page.url
        page.click("#run-status >> button:has-text('Retry')")
        expect(page.locator(".flash").first).to_contain_text("Retrying")
        _wait_run(page, "failed")
        expect(page.locator("#run-status").get_by_text("retry of")).to_be_visible()
        shot("layer-runs-retry")
        retried = api.get(f"/v1/layers/{layer_id}/runs", params={"commandId": failing}).json()
        assert len(retried["items"]) == 2
        assert retried["items"][0]["retryOf"] == retried["items"][1]["id"]
        assert retried["items"][1]["id"] in failed_id

        # The Schedule tab: the slots refresh-schedule planned, one holding the slideshow.
        wait_for(
            lambda: api.get(f"/v1/content/{container_id}").json()["status"] == "completed",
            timeout=90,
        )
        attached = api.post(
            f"/api/project-layers/{layer_id}/execute",
            json={"commandId": "attach-to-schedule", "parameters": {"containerId": container_id}},
        )
        assert attached.status_code == 202, attached.text
        run_url = f"/v1/runs/{attached.json()['runId']}"
        wait_for(lambda: api.get(run_url).json()["status"] == "completed")
        page.click("nav.tabs >> text=Schedule")
        slots = page.locator("#calendar details.chip")
        if TEMPLATE == "social-distribution":
            expect(slots.first).to_be_visible()
            expect(page.locator("#calendar").get_by_text("empty slot").first).to_be_visible()
            ready = page.locator("#calendar details.chip.ready")
            expect(ready).to_have_count(1)
            expect(ready).to_contain_text("never runs out")
            ready.locator("summary").click()
            expect(ready.locator("button:has-text('Reschedule')")).to_be_visible()
        shot("layer-schedule")

        # Config tab (form, JSON, history).
        page.click("nav.tabs >> text=Config")
        expect(page.get_by_role("heading", name="History")).to_be_visible()
        shot("layer-config")

        # A long run, live: the heartbeat of its running activity and its log as it grows.
        pipeline = api.post(
            f"/v1/projects/{project_id}/layers", json={"templateId": "test-pipeline"}
        )
        assert pipeline.status_code == 201, pipeline.text
        page.goto(f"{server.base_url}/console/layers/{pipeline.json()['id']}?tab=commands")
        # Its Run buttons wait for the install to finish, and enable themselves when it does.
        expect(page.locator("#cmd-crunch >> button:has-text('Run')")).to_be_enabled(timeout=60_000)
        page.click("#cmd-crunch >> button:has-text('Run')")
        page.fill("#run-crunch input[name='param.items']", "80")
        page.fill("#run-crunch input[name='param.delay']", "0.15")
        page.locator("#run-crunch >> button:has-text('Run now')").click()
        # The run lasts 12 s; a worker on a loaded machine may take several seconds to reach
        # the crunch step, so these wait longer than the 5 s default.
        beat = page.locator("#run-status .heartbeat").first
        expect(beat).to_contain_text("♥", timeout=20_000)
        expect(page.locator("#log-lines .logline").nth(2)).to_contain_text(
            "crunched item", timeout=20_000
        )
        shot("layer-runs-live")
        page.click("#run-status >> button:has-text('Cancel')")
        _wait_run(page, "canceled")

        # An unhealthy account: Reconnect starts the same consent flow and heals it.
        _mark_unhealthy(isolated_database_url, account_id)
        page.click("nav.subnav >> text=Settings")
        row = page.locator(f"#acct-{account_id}")
        expect(row.get_by_text("unhealthy")).to_be_visible()
        shot("settings-reconnect")
        row.locator("button:has-text('Reconnect')").click()
        expect(page.get_by_role("heading", name="Connect a TikTok account")).to_be_visible()
        page.click("button:has-text('Allow')")
        expect(page.locator(".flash").first).to_contain_text("Account connected.")
        expect(row.get_by_text("healthy", exact=True)).to_be_visible()
        shot("settings-healthy")
        health = api.get(f"/v1/social-accounts/{account_id}/health").json()
        assert health["healthy"] is True and health["status"] == "connected"

        # Content library and the project schedule.
        page.click("nav.subnav >> text=Content")
        expect(page.locator(".library .tile img").first).to_be_visible()
        shot("content")
        page.click("nav.subnav >> text=Schedule")
        shot("project-schedule")

        # Sign out.
        page.click("button:has-text('Sign out')")
        expect(page.locator(".flash").first).to_contain_text("Signed out.")
        browser.close()
    assert shot.taken >= 12
