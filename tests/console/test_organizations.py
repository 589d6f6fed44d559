"""The Organizations and Audit log screens: children with status, wallet and keys; create,
suspend / resume, archive; mint (the secret shown once), rotate and revoke keys; the audit log
with filters. Then the same screens in Debian's chromium, screenshotted."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from layers.kit import db as kit_db
from layers.orgs import service as orgs
from layers.orgs.wallet import service as wallet
from tests.console.helpers import browser, follow, post, sign_in
from tests.console.test_browser import CHROMIUM
from tests.support import Tenant, free_port, key_with_scopes, wait_for

TOKEN_RE = re.compile(r"data-secret>(lp_(?:live|test)_[^<]+)<")


def _child(tenant: Tenant, name: str, credits: int = 0) -> str:
    with kit_db.get_database().transaction() as session:
        child = orgs.create_organization(session, name, tenant.org_id)
        if credits:
            wallet.grant(session, child.id, credits, description="Opening balance")
        return child.id


def test_create_suspend_mint_rotate_revoke_archive(app: Any, client: Any, tenant: Tenant) -> None:
    web = browser(app)
    csrf = sign_in(web, tenant.live)
    page = web.get("/console/organizations")
    assert page.status_code == 200 and "No sub-organizations yet" in page.text

    created = post(web, "/console/organizations", csrf, name="Northwind Coffee",
                   billing_email="ap@northwind.example")  # fmt: skip
    assert created.status_code == 303
    detail = follow(web, created)
    assert "Created Northwind Coffee." in detail.text
    org_id = created.headers["location"].rsplit("/", 1)[1]
    assert "ap@northwind.example" in detail.text

    bad = post(web, "/console/organizations", csrf, name="")
    assert bad.status_code == 422 and "name" in bad.text

    minted = web.post(
        f"/console/organizations/{org_id}/keys",
        data={
            "csrf": csrf,
            "name": "northwind-prod",
            "env": "live",
            "scopes": ["content:read", "content:write"],
        },
    )
    assert minted.status_code == 200, minted.text
    token = TOKEN_RE.search(minted.text)
    assert token and "shown only once" in minted.text
    who = client.get("/v1/whoami", headers={"Authorization": f"Bearer {token.group(1)}"})
    assert who.json()["organizationId"] == org_id
    again = web.get(f"/console/organizations/{org_id}")
    assert token.group(1) not in again.text  # never shown again
    key_id = re.search(r'data-key="(key_[^"]+)"', again.text)
    assert key_id

    no_scope = web.post(f"/console/organizations/{org_id}/keys",
                        data={"csrf": csrf, "name": "x", "env": "live"})  # fmt: skip
    assert no_scope.status_code == 422 and "scopes" in no_scope.text

    suspended = follow(web, post(web, f"/console/organizations/{org_id}/suspend", csrf))
    assert "is suspended" in suspended.text and "data-status>suspended<" in suspended.text
    refused = client.get("/v1/whoami", headers={"Authorization": f"Bearer {token.group(1)}"})
    assert refused.status_code == 503
    resumed = follow(web, post(web, f"/console/organizations/{org_id}/resume", csrf))
    assert "data-status>active<" in resumed.text

    rotated = post(web, f"/console/organizations/{org_id}/keys/{key_id.group(1)}/rotate", csrf)
    assert rotated.status_code == 200
    new_token = TOKEN_RE.search(rotated.text)
    assert new_token and new_token.group(1) != token.group(1)
    assert "keeps working for 24 hours" in rotated.text

    key_path = f"/console/organizations/{org_id}/keys/{key_id.group(1)}"
    revoked = follow(web, post(web, f"{key_path}/delete", csrf))
    assert f"Revoked {key_id.group(1)}" in revoked.text
    gone = client.get("/v1/whoami", headers={"Authorization": f"Bearer {token.group(1)}"})
    assert gone.status_code == 401

    archived = follow(web, post(web, f"/console/organizations/{org_id}/archive", csrf))
    assert "Archived: 1 key(s) revoked" in archived.text
    assert "Mint a key" not in archived.text

    log = web.get("/console/audit-log")
    assert log.status_code == 200
    for event in ("organization.created", "organization.suspended", "api_key.rotated",
                  "api_key.revoked", "organization.archived"):  # fmt: skip
        assert f'data-event="{event}"' in log.text, event
    assert "console" in log.text  # the actor
    only = web.get("/console/audit-log?eventType=organization.suspended")
    assert only.text.count('data-event="') == 1


def test_without_org_admin_the_pages_are_refused(app: Any, tenant: Tenant) -> None:
    org_id = _child(tenant, "Southside Roasters")
    token = key_with_scopes(tenant, ["projects:read"])
    web = browser(app)
    csrf = sign_in(web, token)
    page = web.get("/console/organizations")
    assert page.status_code == 403 and "FORBIDDEN_SCOPE" in page.text
    assert post(web, f"/console/organizations/{org_id}/suspend", csrf).status_code == 303
    with kit_db.get_database().transaction(write=False) as session:
        org = session.get(orgs.Organization, org_id)
        assert org is not None and org.status == "active"
    assert web.get("/console/audit-log").status_code == 403


def test_a_sibling_or_stranger_org_is_404(app: Any, tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = _child(other_tenant, "Not yours")
    web = browser(app)
    sign_in(web, tenant.live)
    assert web.get(f"/console/organizations/{theirs}").status_code == 404


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
def test_organizations_in_a_browser(live_url: str, tenant: Tenant, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright  # only the browser tests need it

    _child(tenant, "Southside Roasters", credits=1200)
    shots = Path(os.environ.get("LAYERS_TEST_ARTIFACTS") or tmp_path) / "console"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(20_000)
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(f"{live_url}/")
        page.fill("input[name=apiKey]", tenant.live)
        page.click("button:has-text('Sign in')")
        page.click("nav.mainnav >> text=Organizations")
        expect(page.get_by_role("heading", name="Organizations", exact=True)).to_be_visible()
        page.fill("input[name=name]", "Northwind Coffee")
        page.fill("input[name=billing_email]", "ap@northwind.example")
        page.click("button:has-text('Create')")
        expect(page.locator(".flash").first).to_contain_text("Created Northwind Coffee.")
        page.fill("#mint input[name=name]", "northwind-prod")
        page.check("input[value='content:read']")
        page.check("input[value='content:write']")
        page.check("input[value='projects:read']")
        page.click("button:has-text('Mint key')")
        expect(page.locator("[data-secret]")).to_contain_text("lp_live_")
        page.screenshot(path=str(shots / "organization-key-minted.png"), full_page=True)
        page.click("button:has-text('Suspend')")
        expect(page.locator("[data-status]")).to_have_text("suspended")
        page.screenshot(path=str(shots / "organization-suspended.png"), full_page=True)
        page.click("button:has-text('Resume')")
        expect(page.locator("[data-status]")).to_have_text("active")
        page.click("text=← Organizations")
        expect(page.locator("[data-children] tbody tr")).to_have_count(2)
        page.screenshot(path=str(shots / "organizations.png"), full_page=True)
        page.click("nav.mainnav >> text=Audit log")
        expect(page.locator("[data-audit] tbody tr").first).to_be_visible()
        page.select_option("select[name=eventType]", "organization.suspended")
        page.click("button:has-text('Filter')")
        expect(page.locator("[data-audit] tbody tr")).to_have_count(1)
        page.select_option("select[name=eventType]", "")
        page.click("button:has-text('Filter')")
        page.screenshot(path=str(shots / "audit-log.png"), full_page=True)
        chromium.close()
    print(f"screenshots in {shots}")
