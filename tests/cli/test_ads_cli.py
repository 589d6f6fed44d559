"""``layers ads …`` as subprocesses against the session's app served on a real port, on the
sandbox ads market and a manual clock: connect, list, optimize (dry run and for real, with
``--wait``), runs show, pending list / approve / reject, authority show / set, refresh,
metrics."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from layers.cli.ads import money
from layers.kit import clock
from layers.kit.settings import Settings
from tests.ads.helpers import install_ad_layer, quiet_other_layers, rearm
from tests.catalog.social_distribution.helpers import project
from tests.support import REPO, Tenant, layers_command, manual_time

pytestmark = pytest.mark.slow


def test_money_is_cents() -> None:
    assert money(600) == "$6.00" and money(123456) == "$1,234.56" and money(None) == "—"


def test_ads_commands(
    client: TestClient,
    tenant: Tenant,
    live_url: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The sandbox's consent URL is this server's callback: serve it where the CLI can reach it.
    monkeypatch.setattr(settings, "public_base_url", live_url)
    project_id = project(client, tenant)
    env = {
        **os.environ,
        "LAYERS_API_KEY": tenant.test,
        "LAYERS_BASE_URL": live_url,
        "COLUMNS": "200",
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            layers_command(*args), cwd=REPO, env=env, capture_output=True, text=True, timeout=120
        )

    def cli_json(*args: str) -> dict[str, object]:
        done = cli(*args, "--json")
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        data: dict[str, object] = json.loads(done.stdout)
        return data

    start = clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(minutes=1)
    with manual_time(start) as manual:
        url = cli("ads", "accounts", "connect", project_id)
        assert url.returncode == 0 and "/v1/ads/oauth/callback/meta" in url.stdout, url.stderr
        connected = cli_json("ads", "accounts", "connect", project_id, "--follow")
        account_id = str(connected["accountId"])
        assert account_id.startswith("aac_")
        listed = cli("ads", "accounts", "list", project_id)
        assert listed.returncode == 0 and account_id in listed.stdout and "healthy" in listed.stdout

        nothing = cli("ads", "optimize", project_id)
        assert nothing.returncode != 0 and "install one first" in nothing.stderr

        layer = install_ad_layer(
            client,
            tenant,
            project_id,
            "meta",
            adAccountId=account_id,
            authority={"creative": "auto", "tactical": "draft", "structural": "draft"},
        )
        quiet_other_layers(layer["id"])
        manual.advance(timedelta(days=10))
        rearm(layer["id"], clock.now())

        dry = cli("ads", "optimize", project_id, "--dry-run", "--wait")
        assert dry.returncode == 0, dry.stderr
        assert "(dry run)" in dry.stdout and "dry_run" in dry.stdout

        ran = cli_json("ads", "optimize", project_id, "--wait")
        assert ran["status"] == "completed" and not ran["dryRun"]
        decisions = ran["decisions"]
        assert isinstance(decisions, list)
        critical = next(d for d in decisions if d["class"] == "CRITICAL")
        assert critical["action"] == "pause" and critical["authority"] in ("dispatch", "pending")

        shown = cli("ads", "runs", "show", str(ran["runId"]))
        assert shown.returncode == 0, shown.stderr
        assert "CRITICAL" in shown.stdout and "TOO_YOUNG" in shown.stdout
        assert "✓" in shown.stdout  # guardrails passed

        ads = cli_json("ads", "list", project_id)
        items = ads["items"]
        assert isinstance(items, list)
        by_id = {a["id"]: a for a in items}
        assert by_id[critical["subjectId"]]["lastClass"] == "CRITICAL"
        table = cli("ads", "list", project_id, "--status", "active")
        assert table.returncode == 0 and "CRITICAL" in table.stdout and "$" in table.stdout

        waiting = cli_json("ads", "pending", "list", project_id)["items"]
        assert isinstance(waiting, list) and waiting, "a draft budget move waits"
        first = waiting[0]["pendingId"]
        pending_table = cli("ads", "pending", "list", project_id)
        assert first in pending_table.stdout
        approved = cli("ads", "pending", "approve", project_id, first, "--comment", "ok")
        assert approved.returncode == 0 and f"{first}: approved" in approved.stdout
        again = cli("ads", "pending", "reject", project_id, first, "--reason", "late")
        assert again.returncode != 0 and "CONFLICT" in again.stderr
        if len(waiting) > 1:
            second = waiting[1]["pendingId"]
            rejected = cli("ads", "pending", "reject", project_id, second, "--reason", "No.")
            assert rejected.returncode == 0 and f"{second}: rejected" in rejected.stdout

        authority = cli("ads", "authority", "show", project_id)
        assert authority.returncode == 0 and "tactical" in authority.stdout
        assert "draft" in authority.stdout
        changed = cli_json("ads", "authority", "set", project_id, "--tactical", "auto")
        assert changed["defaults"] == {
            "creative": "auto",
            "tactical": "auto",
            "structural": "draft",
        }
        killed = cli("ads", "authority", "set", project_id, "--kill-switch")
        assert killed.returncode == 0 and "ON" in killed.stdout
        empty = cli("ads", "authority", "set", project_id)
        assert empty.returncode != 0 and "Nothing to change" in empty.stderr
        cli_json("ads", "authority", "set", project_id, "--no-kill-switch")

        refreshed = cli_json("ads", "refresh", project_id, "--wait")
        assert refreshed["kind"] == "content-refresh" and refreshed["status"] == "completed"

        totals = cli_json("ads", "metrics", project_id, "--metric", "spend", "--metric", "cpa")
        spend = totals["totals"]
        assert isinstance(spend, dict) and spend["spend"] > 0
        money_table = cli("ads", "metrics", project_id)
        assert money_table.returncode == 0 and "$" in money_table.stdout
        assert "conversions" in money_table.stdout
