"""`layers orgs …` over the API (children, keys, audit), run in-process through Typer against
the app (the CLI's own HTTP client, the app's transport)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from layers.cli import orgs as orgs_cli
from layers.cli import output
from layers.cli.client import ApiError, Client
from layers.cli.config import Profile
from layers.cli.main import app as cli_app
from tests.support import Tenant, new_tenant


@pytest.fixture
def parent(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> Tenant:
    tenant = new_tenant("Agency")
    profile = Profile(base_url="http://testserver", api_key=tenant.live)
    transport = client._transport  # the app, in-process

    def in_process_client(*, require_key: bool = True) -> Client:
        return Client(profile, require_key=require_key, transport=transport)

    monkeypatch.setattr(orgs_cli, "client", in_process_client)
    monkeypatch.setattr(output, "client", in_process_client)  # fetch / fetch_page
    return tenant


def layers(*args: str) -> Any:
    return CliRunner().invoke(cli_app, list(args))


def ok(*args: str) -> Any:
    result = layers(*args)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result


def test_children_lifecycle(client: TestClient, parent: Tenant) -> None:
    made = json.loads(
        ok(
            "orgs",
            "create-child",
            "Acme",
            "--billing-email",
            "ap@acme.example",
            "-m",
            "crm=7",
            "--json",
        ).stdout
    )
    org_id = made["id"]
    assert made["metadata"] == {"crm": "7"}
    listed = ok("orgs", "list")
    assert org_id in listed.stdout and "Acme" in listed.stdout
    shown = ok("orgs", "show", org_id)
    assert "0 available of 0" in shown.stdout and "crm=7" in shown.stdout
    ok("orgs", "update", org_id, "--name", "Acme Coffee")
    assert "suspended" in ok("orgs", "suspend", org_id).output
    assert (
        json.loads(ok("orgs", "list", "--status", "suspended", "--json").stdout)["items"][0]["id"]
        == org_id
    )
    assert "active" in ok("orgs", "resume", org_id).output
    archived = ok("orgs", "archive", org_id, "--yes")
    assert "archived" in archived.output
    again = layers("orgs", "suspend", org_id)
    assert isinstance(again.exception, ApiError) and again.exception.code == "CONFLICT"


def test_child_keys_mint_list_rotate_delete(client: TestClient, parent: Tenant) -> None:
    org_id = json.loads(ok("orgs", "create-child", "Keys", "--json").stdout)["id"]
    minted = ok("orgs", "keys", "mint", "--org", org_id, "-s", "projects:read", "--name", "ci")
    token = minted.stdout.strip()
    assert token.startswith("lp_live_") and "\n" not in token
    assert "shown only this once" in minted.output
    who = client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"}).json()
    assert who["organizationId"] == org_id

    listed = json.loads(ok("orgs", "keys", "list", "--org", org_id, "--json").stdout)
    key_id = listed["items"][0]["id"]
    assert token not in json.dumps(listed)

    rotated = ok("orgs", "keys", "rotate", key_id, "--org", org_id)
    new_token = rotated.stdout.strip()
    assert new_token.startswith("lp_live_") and new_token != token
    assert "keeps working until" in rotated.output
    twice = layers("orgs", "keys", "rotate", key_id, "--org", org_id)
    assert isinstance(twice.exception, ApiError) and twice.exception.code == "CONFLICT"

    ok("orgs", "keys", "delete", key_id, "--org", org_id)
    revoked = client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401
    refused = layers("orgs", "keys", "mint", "--org", org_id, "-s", "org:admin")
    assert isinstance(refused.exception, ApiError) and refused.exception.code == "FORBIDDEN_SCOPE"


def test_own_keys_and_the_audit_log(client: TestClient, parent: Tenant) -> None:
    token = ok("orgs", "keys", "mint", "-s", "projects:read").stdout.strip()
    assert (
        client.get("/v1/projects", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    own = ok("orgs", "keys", "list")
    assert "projects:read" in own.stdout

    org_id = json.loads(ok("orgs", "create-child", "Audited", "--json").stdout)["id"]
    ok("orgs", "suspend", org_id)
    log = ok("orgs", "audit")
    assert "organization.suspended" in log.stdout and "api_key.created" in log.stdout
    only = json.loads(ok("orgs", "audit", "-t", "organization.suspended", "--json").stdout)
    assert [e["eventType"] for e in only["items"]] == ["organization.suspended"]
    child_log = json.loads(ok("orgs", "audit", "--org", org_id, "--json").stdout)
    assert {e["organizationId"] for e in child_log["items"]} == {org_id}
    assert "organization.created" in {e["eventType"] for e in child_log["items"]}
