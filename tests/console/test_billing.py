"""The Billing screen: the wallet, its ledger, and funding a child picked from a list (with
the API's checks: scope, the parent's available credits, a double submit moving credits once);
and the same screen in Debian's chromium, screenshotted."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from layers.kit import db as kit_db
from layers.kit.settings import Settings
from layers.orgs import service as orgs
from layers.orgs.wallet import service as wallet
from tests.console.helpers import browser, csrf_of, follow, post, sign_in
from tests.console.test_browser import CHROMIUM
from tests.support import REPO, Tenant, free_port, key_with_scopes, wait_for


def _fund(tenant: Tenant, credits: int) -> tuple[str, str]:
    """Grant the tenant credits and give it two children; returns their ids."""
    with kit_db.get_database().transaction() as session:
        wallet.grant(session, tenant.org_id, credits, description="Opening balance")
        north = orgs.create_organization(session, "Northwind Coffee", tenant.org_id).id
        south = orgs.create_organization(session, "Southside Roasters", tenant.org_id).id
    return north, south


def _available(org_id: str) -> int:
    with kit_db.get_database().transaction(write=False) as session:
        return wallet.view(session, org_id).available


def test_the_billing_page_shows_the_wallet_and_funds_a_child(app: Any, tenant: Tenant) -> None:
    north, south = _fund(tenant, 1000)
    web = browser(app)
    sign_in(web, tenant.live)
    page = web.get("/console/billing")
    assert page.status_code == 200, page.text
    assert "data-available>1000<" in page.text
    assert "Opening balance" in page.text
    assert "Northwind Coffee (0 available)" in page.text and "Southside Roasters" in page.text
    csrf = csrf_of(page.text)
    key = re.search(r'name="key" value="([^"]+)"', page.text)
    assert key

    done = follow(web, post(web, "/console/billing/allocate", csrf, child=north, credits="300",
                             description="March", key=key.group(1)))  # fmt: skip
    assert "Allocated 300 credits." in done.text
    assert "data-available>700<" in done.text
    # The same form submitted again (a double click) moves nothing more.
    again = follow(web, post(web, "/console/billing/allocate", csrf, child=north, credits="300",
                              key=key.group(1)))  # fmt: skip
    assert "already done" in again.text
    assert _available(tenant.org_id) == 700 and _available(north) == 300

    too_much = post(web, "/console/billing/allocate", csrf, child=south, credits="701")
    assert too_much.status_code == 422 and "700 available" in too_much.text
    empty = post(web, "/console/billing/allocate", csrf, child="", credits="5")
    assert empty.status_code == 422 and "Pick the organization" in empty.text
    assert _available(south) == 0


def test_without_org_admin_the_page_reads_but_cannot_allocate(app: Any, tenant: Tenant) -> None:
    north, _ = _fund(tenant, 100)
    token = key_with_scopes(tenant, ["projects:read"])
    web = browser(app)
    sign_in(web, token)
    page = web.get("/console/billing")
    assert page.status_code == 200 and "data-available>100<" in page.text
    assert "Fund a sub-organization" not in page.text
    refused = post(web, "/console/billing/allocate", csrf_of(page.text), child=north, credits="5")
    assert refused.status_code == 303  # back, with the API's refusal as the flash
    assert "org:admin" in follow(web, refused).text
    assert _available(north) == 0


@pytest.fixture
def live_url(app: Any) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=30)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH (make chromium)")
def test_billing_in_a_browser(
    live_url: str, tenant: Tenant, tmp_path: Path, settings: Settings, monkeypatch: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright  # only the browser tests need it

    monkeypatch.setattr(settings, "unmetered_root_orgs", False)

    north, _ = _fund(tenant, 5000)
    with kit_db.get_database().transaction() as session:
        wallet.reserve_generation(
            session,
            org_id=tenant.org_id,
            livemode=True,
            content_format="video-remix",
            job_id="job_01ARZ3NDEKTSV4RRFFQ69G5FAV",
            container_id="cnt_01ARZ3NDEKTSV4RRFFQ69G5FAV",
            project_id=None,
        )
    shots = Path(os.environ.get("LAYERS_TEST_ARTIFACTS") or tmp_path) / "console"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(20_000)
        page.goto(f"{live_url}/")
        page.fill("input[name=apiKey]", tenant.live)
        page.click("button:has-text('Sign in')")
        page.click("nav.mainnav >> text=Billing")
        expect(page.get_by_role("heading", name="Billing")).to_be_visible()
        expect(page.locator("[data-available]")).to_have_text("4880")
        page.select_option("select[name=child]", north)
        page.fill("input[name=credits]", "1500")
        page.fill("input[name=description]", "Launch budget")
        page.click("button:has-text('Allocate')")
        expect(page.locator(".flash").first).to_contain_text("Allocated 1500 credits.")
        expect(page.locator("[data-available]")).to_have_text("3380")
        first_row = page.locator("table.ledger tbody tr").first
        expect(first_row).to_contain_text("to Northwind Coffee · Launch budget")
        path = shots / "billing.png"
        page.screenshot(path=str(path), full_page=True)
        chromium.close()
    if os.environ.get("LAYERS_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, REPO / "docs" / "screenshots" / "billing.png")
    assert _available(north) == 1500
