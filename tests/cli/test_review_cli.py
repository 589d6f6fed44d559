"""`layers content approve|reject|publish|upload` and `layers projects review-policy`, run
in-process through Typer against the app (the CLI's own HTTP client, the app's transport)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from layers.cli import review as review_cli
from layers.cli.client import ApiError, Client
from layers.cli.config import Profile
from layers.cli.main import app as cli_app
from tests.support import ACME, new_social_account, new_tenant, wait_for, wait_for_job


@pytest.fixture
def world(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    tenant = new_tenant("Terminal")
    headers = tenant.headers(test=True)
    project = client.post("/v1/projects", json=ACME, headers=headers).json()["id"]
    profile = Profile(base_url="http://testserver", api_key=tenant.test)
    transport = client._transport  # the app, in-process

    def in_process_client(*, require_key: bool = True) -> Client:
        return Client(profile, require_key=require_key, transport=transport)

    monkeypatch.setattr(review_cli, "client", in_process_client)
    return {"headers": headers, "project": project}


def layers(*args: str) -> Any:
    return CliRunner().invoke(cli_app, list(args))


def api_error(result: Any) -> str:
    """The API error code a command failed with (`layers.cli.main` prints it for people)."""
    assert isinstance(result.exception, ApiError), result.output
    return result.exception.code


def generate(client: TestClient, world: dict[str, Any]) -> str:
    made = client.post(
        f"/v1/projects/{world['project']}/content/slideshow-builder",
        json={"hook": "From the terminal"},
        headers=world["headers"],
    ).json()
    wait_for_job(client, made["jobId"], world["headers"])
    return str(made["containerId"])


def test_review_policy_approve_reject(client: TestClient, world: dict[str, Any]) -> None:
    shown = layers("projects", "review-policy", world["project"])
    assert shown.exit_code == 0, shown.output
    assert "auto_approve" in shown.output and "needs no review" in shown.output
    changed = layers("projects", "review-policy", world["project"], "--set", "review_all")
    assert changed.exit_code == 0 and "review_all" in changed.output
    refused = layers(
        "projects", "review-policy", world["project"], "--set", "review_all", "--first-n", "3"
    )
    assert api_error(refused) == "VALIDATION"

    first, second = generate(client, world), generate(client, world)
    approved = layers("content", "approve", first, "--note", "ok", "--json")
    assert approved.exit_code == 0, approved.output
    assert json.loads(approved.output)["approvalStatus"] == "approved"
    again = layers("content", "approve", first)
    assert api_error(again) == "CONFLICT"
    rejected = layers("content", "reject", second, "--reason", "Off brand")
    assert rejected.exit_code == 0 and "rejected" in rejected.output
    missing_reason = layers("content", "reject", second)
    assert missing_reason.exit_code == 2  # a usage error: --reason is required


def test_upload_then_publish(client: TestClient, world: dict[str, Any]) -> None:
    account = new_social_account(world["project"])
    uploaded = layers(
        "content", "upload", "--project", world["project"],
        "--url", "https://cdn.acmecoffee.com/ugc/a.png",
        "--url", "https://cdn.acmecoffee.com/ugc/b.png",
        "--caption", "Two slides", "--json",
    )  # fmt: skip
    assert uploaded.exit_code == 0, uploaded.output
    container = json.loads(uploaded.output)
    assert container["creativeType"] == "uploaded" and len(container["preview"]["imageUrls"]) == 2
    published = layers("content", "publish", container["id"], "--account", account)
    assert published.exit_code == 0, published.output
    post_id = published.output.split()[0]
    assert post_id.startswith("sp_") and "publishing" in published.output

    def done() -> bool:
        body = client.get(f"/v1/scheduled-posts/{post_id}", headers=world["headers"]).json()
        return bool(body["status"] == "published")

    wait_for(done, timeout=30)
    pending = layers("content", "publish", container["id"], "--account", "sa_nope")
    assert api_error(pending) == "VALIDATION"
