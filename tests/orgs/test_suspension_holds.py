"""A suspended child publishes nothing: its due posts hold, and go out after it resumes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from layers.kit import db as kit_db
from layers.orgs import service as orgs
from layers.publishing import protocol as publishing
from tests.social.conftest import Contents, contents  # noqa: F401 (the fixture, used below)
from tests.social.helpers import connect_sandbox, new_post, new_project, post_row, set_posting_mode
from tests.support import Tenant, wait_for


def child_tenant(parent: Tenant) -> Tenant:
    """A child organization with full-access keys (as an operator would make them)."""
    with kit_db.get_database().transaction() as session:
        org = orgs.create_organization(session, "Held child", parent.org_id)
        keys = [
            orgs.create_api_key(
                session,
                org,
                livemode=live,
                name="ops",
                scopes=["*"],
                allowed_return_domains=["localhost"],
            )[1]
            for live in (True, False)
        ]
        return Tenant(org.id, keys[0], keys[1])


def test_due_posts_of_a_suspended_child_hold_then_publish_after_resume(
    client: TestClient,
    tenant: Tenant,
    contents: Contents,  # noqa: F811 (the fixture imported above)
) -> None:
    child = child_tenant(tenant)
    project_id = new_project(client, child, test=True)
    account_id = connect_sandbox(client, child, project_id, "tiktok")
    set_posting_mode(client, child, account_id, "automatic", test=True)
    post_id = new_post(account_id, origin="api")

    suspended = client.post(f"/v1/organizations/{child.org_id}/suspend", headers=tenant.headers())
    assert suspended.status_code == 200
    report = publishing.dispatch_due()
    assert post_id not in report.claimed
    held = post_row(post_id)
    assert (held.status, held.hold_reason) == ("ready", "organization_suspended")
    assert publishing.dispatch_due().claimed.count(post_id) == 0  # still held

    client.post(f"/v1/organizations/{child.org_id}/resume", headers=tenant.headers())
    assert post_id in publishing.dispatch_due().claimed
    wait_for(lambda: post_row(post_id).status == "posted")
