"""The remote `layers` commands, run as subprocesses against a real `layers up` server (its own
database, the engine's test templates loaded), one server for the whole module."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import support
from tests.support import REPO, free_port, layers_command, start_server, wait_for

pytestmark = pytest.mark.slow


@dataclass
class Server:
    base_url: str
    key: str  # a test-mode key with every scope
    live_key: str


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("LAYERS_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('cli-db') / 'layers.db'}"
        return
    yield from support.scratch_postgres_database(base)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Server]:
    port = free_port()
    process = start_server(
        layers_command("up", "--port", str(port)),
        {
            "LAYERS_DATA_DIR": str(tmp_path_factory.mktemp("cli-data")),
            "LAYERS_DATABASE_URL": database_url,
            "LAYERS_EXTRA_TEMPLATES": "tests.engine.plugin",
        },
        port,
    )
    try:
        live, test = process.keys()
        yield Server(process.base_url, test, live)
    finally:
        process.kill()


def cli(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("LAYERS_API_KEY", "LAYERS_BASE_URL")}
    return subprocess.run(
        layers_command(*args), cwd=REPO, env={**clean, **(env or {})}, input=stdin,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def env(server: Server, tmp_path: Path) -> dict[str, str]:
    """The key and server through the environment, and an empty config dir."""
    return {
        "LAYERS_API_KEY": server.key,
        "LAYERS_BASE_URL": server.base_url,
        "LAYERS_CONFIG_DIR": str(tmp_path / "config"),
    }


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    ok(result)
    return json.loads(result.stdout)  # the whole of stdout is one JSON document


def new_project(env: dict[str, str], name: str = "CLI brand") -> dict[str, Any]:
    return as_json(cli("projects", "create", name, "--timezone", "UTC", "--json", env=env))


def new_layer(env: dict[str, str], *config: str) -> dict[str, Any]:
    project = new_project(env)
    args = [arg for pair in config for arg in ("-c", pair)]
    return as_json(
        cli("layers", "install", project["id"], "test-pipeline", *args, "--json", env=env)
    )


# ---- login, whoami, errors ----


def test_login_keeps_the_key_in_a_private_file_and_whoami_uses_it(
    server: Server, tmp_path: Path
) -> None:
    config_dir = tmp_path / "cfg"
    env = {"LAYERS_CONFIG_DIR": str(config_dir)}
    refused = cli("login", "--api-key", "lp_test_nope", "--base-url", server.base_url, env=env)
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: UNAUTHENTICATED: ")
    assert not (config_dir / "config.json").exists(), "a refused key is not saved"

    ok(cli("login", "--base-url", server.base_url + "/", env=env, stdin=server.key + "\n"))
    path = config_dir / "config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_dir.stat().st_mode) == 0o700
    assert json.loads(path.read_text()) == {"base_url": server.base_url, "api_key": server.key}
    assert [p.name for p in config_dir.iterdir()] == ["config.json"], "no temp file left"

    me = as_json(cli("whoami", "--json", env=env))
    assert me["livemode"] is False and me["scopes"] == ["*"]
    human = ok(cli("whoami", env=env)).stdout
    assert me["organizationId"] in human and "test" in human

    # --api-key, then LAYERS_API_KEY, win over the file.
    live = as_json(cli("--api-key", server.live_key, "whoami", "--json", env=env))
    assert live["livemode"] is True
    bad = cli("whoami", env={**env, "LAYERS_API_KEY": "lp_test_nope"})
    assert bad.returncode == 1 and "UNAUTHENTICATED" in bad.stderr

    ok(cli("logout", env=env))
    assert not path.exists()
    missing = cli("whoami", env=env)
    assert missing.returncode == 2 and "layers login" in missing.stderr


def test_errors_name_the_code_the_fields_and_the_request(env: dict[str, str]) -> None:
    invalid = cli("projects", "create", "x", "--timezone", "Mars/Base", env=env)
    assert invalid.returncode == 1 and invalid.stdout == ""
    line = invalid.stderr.strip()
    assert line.startswith("error: VALIDATION: ")
    assert "name:" in line and "timezone:" in line
    assert line.endswith(")") and "(request req_" in line

    missing = cli("projects", "show", "prj_missing", env=env)
    assert missing.returncode == 1 and missing.stderr.startswith("error: NOT_FOUND: ")
    # an id is one path segment: it cannot reach another route
    sneaky = cli("projects", "show", "../whoami", env=env)
    assert sneaky.returncode == 1 and "NOT_FOUND" in sneaky.stderr

    down = cli("whoami", env={**env, "LAYERS_BASE_URL": f"http://127.0.0.1:{free_port()}"})
    assert down.returncode == 1 and "cannot reach the Layers API" in down.stderr

    usage = cli("run", "lyr_x", "three-steps", "-p", "no-equals-sign", env=env)
    assert usage.returncode == 2 and "key=value" in usage.stderr
    typer_usage = cli("projects", "create", env=env)
    assert typer_usage.returncode == 2


# ---- projects ----


def test_projects_create_list_show_and_pages(env: dict[str, str]) -> None:
    first = new_project(env, "First brand")
    second = as_json(
        cli(
            "projects", "create", "Second brand", "-z", "Europe/Paris", "--tagline", "Hi",
            "--data", '{"brandVoice": "witty"}', "--json", env=env,
        )
    )  # fmt: skip
    assert (second["timezone"], second["tagline"], second["brandVoice"]) == (
        "Europe/Paris", "Hi", "witty",
    )  # fmt: skip
    shown = as_json(cli("projects", "show", first["id"], "--json", env=env))
    assert shown == first

    page = as_json(cli("projects", "list", "--limit", "1", "--json", env=env))
    assert len(page["items"]) == 1 and page["nextCursor"]
    everything = as_json(cli("projects", "list", "--limit", "1", "--all", "--json", env=env))
    ids = [p["id"] for p in everything["items"]]
    assert {first["id"], second["id"]} <= set(ids) and everything["nextCursor"] is None
    assert len(ids) == len(set(ids))
    resumed = as_json(
        cli("projects", "list", "--limit", "1", "--cursor", page["nextCursor"], "--json", env=env)
    )
    assert resumed["items"][0]["id"] == ids[1]

    table = ok(cli("projects", "list", "--limit", "1", env=env))
    assert page["items"][0]["id"] in table.stdout
    assert "--cursor" in table.stderr


# ---- layers ----


def test_layers_install_list_and_config(env: dict[str, str]) -> None:
    layer = new_layer(env, "greeting=hi", "size=4", 'tags=["a","b"]')
    assert layer["status"] == "active", "install waits for initialize"
    assert layer["config"]["size"] == 4 and layer["config"]["tags"] == ["a", "b"]

    listed = as_json(cli("layers", "list", "--project", layer["projectId"], "--json", env=env))
    assert [item["id"] for item in listed["items"]] == [layer["id"]]
    assert layer["id"] in ok(cli("layers", "list", env=env)).stdout

    shown = ok(cli("layers", "config", layer["id"], env=env))
    assert json.loads(shown.stdout)["greeting"] == "hi"
    updated = as_json(
        cli("layers", "config", layer["id"], "--set", "greeting=hey", "-s", "size=5", "--json",
            env=env)
    )  # fmt: skip
    assert updated["configVersion"] == 2
    assert updated["config"]["greeting"] == "hey" and updated["config"]["size"] == 5
    assert len(updated["triggeredRunIds"]) == 1, "greeting is watched: refresh starts"
    same = ok(cli("layers", "config", layer["id"], "--set", "size=5", env=env))
    assert "No change" in same.stderr
    history = as_json(cli("layers", "config", layer["id"], "--history", "--json", env=env))
    assert [v["version"] for v in history["items"]] == [2, 1]

    refused = cli("layers", "config", layer["id"], "--set", "size=500", env=env)
    assert refused.returncode == 1 and "config.size" in refused.stderr
    templates = as_json(cli("layers", "templates", "--json", env=env))
    assert "test-pipeline" in {t["id"] for t in templates["items"]}


# ---- run --watch and runs ----


def test_run_watch_exits_0_when_the_run_completes_and_1_when_it_fails(
    env: dict[str, str],
) -> None:
    layer = new_layer(env)
    done = cli("run", layer["id"], "three-steps", "-p", "size=5", "-p", "marker=cli",
               "--watch", env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    finished = [line for line in lines if line.startswith("✓ ")]
    assert [line.split()[1] for line in finished] == ["test.load", "test.transform", "test.save"]
    assert all(" completed in " in line for line in finished)
    assert any("[test.load] loaded 5 items for cli" in line for line in lines)
    assert any(" completed in " in line and line.startswith("run_") for line in lines)

    failed = cli("run", layer["id"], "body-fails", "--watch", env=env)
    assert failed.returncode == 1
    assert "failed" in failed.stdout
    assert "ValueError: the workflow body gave up" in failed.stdout

    # --json: the final run alone on stdout; the progress goes to stderr.
    watched = as_json(
        cli("run", layer["id"], "three-steps", "--params-json", '{"size": 2}', "--watch",
            "--json", env=env)
    )  # fmt: skip
    assert watched["status"] == "completed" and watched["trigger"] == "cli"
    assert watched["parameters"] == {"size": 2}
    names = [a["name"] for a in watched["activities"]]
    assert names == ["test.load", "test.transform", "test.save"]

    accepted = as_json(cli("run", layer["id"], "refresh", "--json", env=env))
    assert accepted["runId"].startswith("run_") and accepted["status"] == "queued"

    invalid = cli("run", layer["id"], "three-steps", "-p", "size=1000", env=env)
    assert invalid.returncode == 1 and "parameters.size" in invalid.stderr


def test_runs_list_show_logs_and_retry(env: dict[str, str]) -> None:
    layer = new_layer(env)
    ok(cli("run", layer["id"], "three-steps", "-p", "marker=logs", "--watch", env=env))
    failed = cli("run", layer["id"], "body-fails", "--watch", "--json", env=env)
    assert failed.returncode == 1
    failed_run = json.loads(failed.stdout)
    assert failed_run["status"] == "failed"

    runs = as_json(cli("runs", "list", "--layer", layer["id"], "--json", env=env))
    assert [r["commandId"] for r in runs["items"]] == ["body-fails", "three-steps", "initialize"]
    only_failed = as_json(cli("runs", "list", "--layer", layer["id"], "--status", "failed",
                              "--json", env=env))  # fmt: skip
    assert [r["id"] for r in only_failed["items"]] == [failed_run["id"]]

    completed_id = runs["items"][1]["id"]
    shown = as_json(cli("runs", "show", completed_id, "--json", env=env))
    assert shown["status"] == "completed" and len(shown["activities"]) == 3
    human = ok(cli("runs", "show", failed_run["id"], env=env)).stdout
    assert "ACTIVITY_FAILED" in human and "Traceback" in human

    logs = as_json(cli("runs", "logs", completed_id, "--json", env=env))
    messages = [line["message"] for line in logs["items"]]
    assert "loaded 3 items for logs" in messages and logs["nextCursor"] is None
    followed = cli("runs", "logs", completed_id, "--follow", env=env)
    assert followed.returncode == 0 and "loaded 3 items for logs" in followed.stdout
    jsonl = cli("runs", "logs", failed_run["id"], "--follow", "--json", env=env)
    assert jsonl.returncode == 1
    assert [json.loads(line)["level"] for line in jsonl.stdout.splitlines()][-1] == "error"

    retried = cli("runs", "retry", failed_run["id"], "--watch", "--json", env=env)
    assert retried.returncode == 1, "the body fails again"
    retry_run = json.loads(retried.stdout)
    assert retry_run["retryOf"] == failed_run["id"] and retry_run["trigger"] == "cli"
    assert [a["kept"] for a in retry_run["activities"]] == [True]

    # the layer shows each command's last run, the retry included
    layer_json = as_json(cli("layers", "show", layer["id"], "--json", env=env))
    assert layer_json["lastRunId"] == retry_run["id"]
    assert layer_json["commands"]["body-fails"]["lastRunId"] == retry_run["id"]
    assert layer_json["commands"]["three-steps"]["lastRunId"] == completed_id
    human = ok(cli("layers", "show", layer["id"], env=env)).stdout
    rows = {line.split()[1]: line for line in human.splitlines() if line.startswith("│")}
    assert f"{retry_run['id']} at 20" in rows["body-fails"]
    assert f"{completed_id} at 20" in rows["three-steps"]
    assert f"last run {retry_run['id']} at 20" in human

    refused = cli("runs", "retry", completed_id, env=env)
    assert refused.returncode == 1 and refused.stderr.startswith("error: CONFLICT: ")


def test_watch_exits_3_when_the_run_is_canceled_and_130_on_ctrl_c(
    env: dict[str, str], server: Server
) -> None:
    layer = new_layer(env)
    headers = {"Authorization": f"Bearer {server.key}"}

    def start_watching() -> tuple[subprocess.Popen[str], str]:
        clean = {k: v for k, v in os.environ.items() if k != "LAYERS_API_KEY"}
        process = subprocess.Popen(
            layers_command("run", layer["id"], "crunch", "-p", "items=600", "-p", "delay=0.1",
                           "--watch"),
            cwd=REPO, env={**clean, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip

        def started() -> str | None:
            runs = httpx.get(
                f"{server.base_url}/v1/runs",
                params={"layerId": layer["id"], "status": "running"},
                headers=headers,
            ).json()["items"]
            return runs[0]["id"] if runs else None

        return process, wait_for(started, timeout=30)

    process, run_id = start_watching()
    time.sleep(1.0)  # following
    ok(cli("runs", "cancel", run_id, env=env))
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 3, stderr

    process, run_id = start_watching()
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "goes on" in stderr
    run = httpx.get(f"{server.base_url}/v1/runs/{run_id}", headers=headers).json()
    assert run["status"] == "running", "stopping the watch does not stop the run"
    ok(cli("runs", "cancel", run_id, env=env))


# ---- content ----


def test_content_generate_wait_shows_progress_and_prints_the_container(
    env: dict[str, str],
) -> None:
    project = new_project(env, "Content brand")
    result = cli(
        "content", "generate", "--project", project["id"], "--format", "slideshow-builder",
        "--hook", "Never run out\\nagain", "--wait", "--json", env=env,
    )  # fmt: skip
    container = as_json(result)
    assert container["status"] == "completed" and container["format"] == "slideshow-builder"
    assert container["preview"]["kind"] == "slideshow"
    assert len(container["preview"]["imageUrls"]) == 6
    assert "100%" in result.stderr

    listed = as_json(cli("content", "list", "--project", project["id"], "--json", env=env))
    assert [c["id"] for c in listed["items"]] == [container["id"]]
    job = as_json(cli("jobs", "show", container["jobId"], "--json", env=env))
    assert job["status"] == "completed" and job["progress"] == 1

    no_hook = cli("content", "generate", "--project", project["id"], "--format",
                  "slideshow-builder", "--wait", env=env)  # fmt: skip
    assert no_hook.returncode == 1 and "hook" in no_hook.stderr
    bad_format = cli("content", "generate", "--project", project["id"], "--format", "gif", env=env)
    assert bad_format.returncode == 2
