"""The CLI commands for the job itself (social accounts, app media, scheduling and posts, layer
config rules, command listing), their refusals and exit statuses, against one real `layers up`
server for the module. The happy path end to end is `test_journey.py`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from layers.cli.client import UsageError
from layers.cli.posts import scheduled_for
from tests import support
from tests.cli.people import Result, ok, run
from tests.support import ACME, free_port, layers_command, start_server

pytestmark = pytest.mark.slow


def test_at_takes_times_from_now_and_passes_the_rest_to_the_api() -> None:
    now = datetime(2026, 5, 15, 16, 59, 30, 250_000, tzinfo=UTC)
    assert scheduled_for("+90s", now) == "2026-05-15T17:01:01Z", "rounded up: stays future"
    assert scheduled_for("+10m", now) == "2026-05-15T17:09:31Z"
    assert scheduled_for("+2h", now) == "2026-05-15T18:59:31Z"
    assert scheduled_for("+1d", now) == "2026-05-16T16:59:31Z"
    assert scheduled_for(" 2026-05-15T09:00:00 ") == "2026-05-15T09:00:00"
    assert scheduled_for("2026-05-15T09:00:00-07:00") == "2026-05-15T09:00:00-07:00"
    with pytest.raises(UsageError, match="time from now"):
        scheduled_for("+5x")


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("LAYERS_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('cli-job-db') / 'layers.db'}"
        return
    yield from support.scratch_postgres_database(base)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[dict[str, str]]:
    port = free_port()
    process = start_server(
        layers_command("up", "--port", str(port)),
        {"LAYERS_DATA_DIR": str(tmp_path_factory.mktemp("cli-job-data")),
         "LAYERS_DATABASE_URL": database_url},
        port,
    )  # fmt: skip
    try:
        _, key = process.keys()
        yield {"LAYERS_API_KEY": key, "LAYERS_BASE_URL": process.base_url}
    finally:
        process.kill()


def layers(env: dict[str, str], *args: str, **options: Any) -> Result:
    return run(*args, env=env, **options)


def new_project(env: dict[str, str]) -> str:
    project = layers(
        env, "projects", "create", "Job brand", "-z", "UTC", "--app-name", "Job brand",
        "--app-description", ACME["appDescription"], "--json",
    ).json()  # fmt: skip
    return str(project["id"])


def connect(env: dict[str, str], project_id: str, handle: str = "job.brand") -> str:
    result = ok(layers(env, "social", "connect", "--project", project_id, "--platform", "tiktok",
                       handle=handle))  # fmt: skip
    return result.stdout.strip()


def completed_container(env: dict[str, str], project_id: str, account_id: str) -> str:
    container = layers(
        env, "content", "generate", "--project", project_id, "--format", "slideshow-builder",
        "--hook", "Never run out\\nagain", "--social-account", account_id, "--wait", "--json",
    ).json()  # fmt: skip
    assert container["status"] == "completed"
    return str(container["id"])


def test_social_connect_list_health_mode_and_disconnect(env: dict[str, str]) -> None:
    project_id = new_project(env)
    account = layers(env, "social", "connect", "--project", project_id, "--platform",
                     "instagram", "--json", handle="job.gram").json()  # fmt: skip
    assert account["platform"] == "instagram" and account["handle"] == "job.gram"
    assert account["status"] == "connected" and account["postingMode"] == "manual"
    account_id = account["socialAccountId"]

    refused = layers(env, "social", "connect", "--project", project_id, "--platform", "tiktok",
                     decision="deny")  # fmt: skip
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.strip().splitlines()[-1].startswith("error: ")
    landed = refused.consented[0]
    assert "/layers-cli/connected?" in landed and "status=error" in landed

    table = ok(layers(env, "social", "list", "--project", project_id)).stdout
    assert account_id in table and "@job.gram" in table and "manual" in table
    shown = ok(layers(env, "social", "show", account_id)).stdout
    assert "posting      manual (TikTok: drafts inbox; Instagram: waits for a person)" in shown
    health = layers(env, "social", "health", account_id, "--json").json()
    assert health["temperature"] == "cold" and health["healthy"] is True
    changed = layers(env, "social", "mode", account_id, "automatic", "--json").json()
    assert changed["postingMode"] == "automatic"
    bad_mode = layers(env, "social", "mode", account_id, "sometimes")
    assert bad_mode.returncode == 2

    unconfirmed = layers(env, "social", "disconnect", account_id)
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    assert layers(env, "social", "show", account_id, "--json").json()["status"] == "connected"
    gone = layers(env, "social", "disconnect", account_id, "--yes", "--json").json()
    assert gone["status"] == "disconnected" and gone["canceledScheduledPosts"] == 0
    listed = layers(env, "social", "list", "--project", project_id, "--status", "connected",
                    "--json").json()  # fmt: skip
    assert listed["items"] == []


def test_media_add_list_and_delete(env: dict[str, str]) -> None:
    project_id = new_project(env)
    media = layers(env, "media", "add", "--project", project_id, "--kind", "demo-video",
                   "--url", "https://cdn.acmecoffee.com/demo.mp4", "--json").json()  # fmt: skip
    assert media["kind"] == "demo-video" and media["mimeType"] == "video/mp4"
    listed = layers(env, "media", "list", "--project", project_id, "--kind", "demo-video",
                    "--json").json()  # fmt: skip
    assert [m["id"] for m in listed["items"]] == [media["id"]]
    blocked = layers(env, "media", "add", "--project", project_id, "--kind", "logo",
                     "--url", "http://127.0.0.1/logo.png")  # fmt: skip
    assert blocked.returncode == 1 and blocked.stderr.startswith("error: ")
    ok(layers(env, "media", "delete", media["id"], "--project", project_id))
    assert layers(env, "media", "list", "--project", project_id, "--json").json()["items"] == []


def test_schedule_warns_then_posts_move_and_cancel(env: dict[str, str]) -> None:
    project_id = new_project(env)
    account_id = connect(env, project_id)  # manual posting mode: TikTok drafts
    container_id = completed_container(env, project_id, account_id)

    scheduled = ok(layers(env, "content", "schedule", container_id, "--at", "+2d",
                          "--account", account_id))  # fmt: skip
    post_id = scheduled.stdout.strip()
    assert post_id.startswith("sp_")
    assert "ACCOUNT_POSTING_MODE_MANUAL" in scheduled.stderr, "the manual mode is said"
    listed = ok(layers(env, "posts", "list", "--project", project_id)).stdout
    shown = ok(layers(env, "posts", "show", post_id)).stdout
    assert "warning     ACCOUNT_POSTING_MODE_MANUAL: " in shown
    assert any(post_id in line and "manual mode" in line
               for line in listed.splitlines())  # fmt: skip

    when = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    moved = layers(env, "posts", "reschedule", post_id, "--at",
                   when.strftime("%Y-%m-%dT%H:%M:%SZ"), "--json").json()  # fmt: skip
    assert datetime.fromisoformat(moved["scheduledFor"]) == when
    canceled = ok(layers(env, "posts", "cancel", post_id))
    assert "canceled" in canceled.stderr
    assert layers(env, "posts", "show", post_id, "--json").json()["status"] == "canceled"
    again = layers(env, "posts", "reschedule", post_id, "--at", "+1d")
    assert again.returncode == 1 and "error: CONFLICT" in again.stderr

    past = layers(env, "content", "schedule", container_id, "--at", "2020-01-01T09:00:00Z",
                  "--account", account_id)  # fmt: skip
    assert past.returncode == 1 and "error: VALIDATION" in past.stderr
    assert layers(env, "content", "schedule", container_id, "--at", "+5x",
                  "--account", account_id).returncode == 2  # fmt: skip
    assert layers(env, "content", "schedule", container_id, "--at", "+1d").returncode == 2
    mixed = layers(env, "content", "schedule", container_id, "--layer", "lyr_x", "--at", "+1d")
    assert mixed.returncode == 2


def test_layer_config_drops_what_no_longer_applies_and_run_lists_commands(
    env: dict[str, str],
) -> None:
    project_id = new_project(env)
    account_id = connect(env, project_id, handle="job.layers")
    layer = layers(
        env, "layers", "install", project_id, "social-distribution",
        "-c", f"social.socialAccountId={account_id}", "-c", "distributionMode=custom",
        "-c", 'schedule.times=["09:00","18:00"]', "--json",
    ).json()  # fmt: skip
    layer_id = layer["id"]

    # A field this command sets is never dropped: the API's refusal stands.
    both = layers(env, "layers", "config", layer_id, "--set", "distributionMode=automatic",
                  "-s", 'schedule.times=["10:00"]')  # fmt: skip
    assert both.returncode == 1 and "schedule.times" in both.stderr and "note:" not in both.stderr

    switched = ok(layers(env, "layers", "config", layer_id, "--set", "distributionMode=automatic"))
    assert ('note: removed schedule.times (was ["09:00", "18:00"]): it is only allowed in custom '
            "mode (distributionMode is automatic)") in switched.stderr  # fmt: skip
    config = layers(env, "layers", "config", layer_id, "--json").json()["config"]
    assert config["distributionMode"] == "automatic" and "schedule" not in config
    back = layers(env, "layers", "config", layer_id, "--set", "distributionMode=custom",
                  "-s", 'schedule.times=["07:30"]', "--json").json()  # fmt: skip
    assert back["config"]["schedule"] == {"times": ["07:30"]}

    unknown = layers(env, "run", layer_id, "publish-now")
    assert unknown.returncode == 1
    lines = unknown.stderr.splitlines()
    assert lines[0].startswith("error: VALIDATION: ") and "publish-now" in lines[0]
    commands = [line.split()[0] for line in lines[2:]]
    assert commands == ["attach-to-schedule", "refresh-schedule"]
    assert "[-p containerId=…]" in lines[2]
    internal = layers(env, "run", layer_id, "initialize")
    assert internal.returncode == 1 and "COMMAND_NOT_EXECUTABLE" in internal.stderr
    assert "refresh-schedule" in internal.stderr

    # A deterministic failure says to fix the input, not to retry.
    failed = layers(env, "run", layer_id, "attach-to-schedule", "-p", "containerId=cnt_missing",
                    "--watch")  # fmt: skip
    assert failed.returncode == 1
    assert "retry with" not in failed.stdout and "fix it" in failed.stdout

    # Attach through `content schedule --layer`: the earliest empty slot.
    container_id = completed_container(env, project_id, account_id)
    attached = ok(layers(env, "content", "schedule", container_id, "--layer", layer_id))
    post_id = attached.stdout.strip()
    post = layers(env, "posts", "show", post_id, "--json").json()
    assert post["containerId"] == container_id and post["layerId"] == layer_id
    assert post["origin"] == "slot" and "T07:30:00" in post["scheduledFor"]
    slots = layers(env, "posts", "list", "--project", project_id, "--layer", layer_id,
                   "--json").json()["items"]  # fmt: skip
    assert post_id in {p["id"] for p in slots}
