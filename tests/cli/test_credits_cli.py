"""`layers credits show|events|allocate` over the API (in-process, the CLI's own client on the
app's transport), and the operator's `layers orgs credits grant` / `layers keys tier` on a
database of their own."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from layers.cli import output
from layers.cli.client import ApiError, Client
from layers.cli.config import Profile
from layers.cli.main import app as cli_app
from layers.kit import db as kit_db
from layers.kit.db import normalize_url
from layers.models.orgs import ApiKey
from layers.models.wallet import CreditEvent
from layers.orgs import service as orgs
from layers.orgs.wallet import service as wallet
from tests.support import REPO, Tenant, layers_command, new_tenant


@pytest.fixture
def parent(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> Tenant:
    tenant = new_tenant("Agency")
    profile = Profile(base_url="http://testserver", api_key=tenant.live)
    transport = client._transport  # the app, in-process

    def in_process_client(*, require_key: bool = True) -> Client:
        return Client(profile, require_key=require_key, transport=transport)

    monkeypatch.setattr(output, "client", in_process_client)
    monkeypatch.setattr("layers.cli.credits.client", in_process_client)
    return tenant


def layers(*args: str) -> Any:
    return CliRunner().invoke(cli_app, list(args))


def test_show_events_and_allocate(parent: Tenant) -> None:
    with kit_db.get_database().transaction() as session:
        wallet.grant(session, parent.org_id, 800, description="Top-up")
        child = orgs.create_organization(session, "Northwind", parent.org_id).id

    shown = layers("credits", "show")
    assert shown.exit_code == 0, shown.output
    assert "available         800" in shown.output
    assert "slideshow_builder 50" in shown.output

    moved = layers("credits", "allocate", child, "250", "--description", "Pilot",
                   "--idempotency-key", "alloc-1")  # fmt: skip
    assert moved.exit_code == 0, moved.output
    assert f"Allocated 250 credits to {child}" in moved.output
    assert "it now has 250 available" in moved.output
    replay = layers("credits", "allocate", child, "250", "--description", "Pilot",
                    "--idempotency-key", "alloc-1", "--json")  # fmt: skip
    assert replay.exit_code == 0, replay.output
    assert json.loads(replay.output)["allocated"] == 250

    events = layers("credits", "events")
    assert events.exit_code == 0, events.output
    assert "allocation" in events.output and "-250" in events.output
    assert "grant" in events.output and "+800" in events.output
    child_events = json.loads(layers("credits", "events", "--org", child, "--json").output)
    assert [(e["eventType"], e["credits"]) for e in child_events["items"]] == [("allocation", 250)]
    child_wallet = json.loads(layers("credits", "show", "--org", child, "--json").output)
    assert child_wallet["available"] == 250

    short = layers("credits", "allocate", child, "10000")
    assert isinstance(short.exception, ApiError)  # `layers` prints it (main's handler)
    assert short.exception.code == "BILLING_EXHAUSTED"


@pytest.mark.slow
def test_operators_grant_credits_and_set_tiers(tmp_path: Path, isolated_database_url: str) -> None:
    env = {
        **os.environ,
        "LAYERS_DATA_DIR": str(tmp_path),
        "LAYERS_DATABASE_URL": isolated_database_url,
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            layers_command(*args), cwd=REPO, env=env, capture_output=True, text=True, timeout=120
        )

    org_id = run("orgs", "create", "Agency").stdout.strip()
    granted = run("orgs", "credits", "grant", org_id, "5000", "--description", "Contract")
    assert granted.returncode == 0, granted.stderr
    assert granted.stdout.strip() == f"granted 5000 credits to {org_id}; available 5000"
    assert run("orgs", "credits", "grant", "org_nope", "5").returncode == 2
    assert run("orgs", "credits", "grant", org_id, "0").returncode != 0

    run("keys", "create", "--org", org_id)
    engine = sa.create_engine(normalize_url(isolated_database_url))
    try:
        with Session(engine) as session:
            key_id = session.scalars(sa.select(ApiKey.id).where(ApiKey.org_id == org_id)).one()
        tiered = run("keys", "tier", key_id, "pilot")
        assert tiered.returncode == 0, tiered.stderr
        assert run("keys", "tier", key_id, "gold").returncode == 2
        with Session(engine) as session:
            assert session.get(ApiKey, key_id).rate_limit_tier == "pilot"  # type: ignore[union-attr]
            event = session.scalars(
                sa.select(CreditEvent).where(CreditEvent.org_id == org_id)
            ).one()
            assert (event.event_type, event.credits, event.description) == (
                "grant", 5000, "Contract"
            )  # fmt: skip
    finally:
        engine.dispose()
