"""The whole job from a terminal, as a person does it, against a real `layers up` server with a
test key: create a project, add a logo and a screenshot, connect a sandbox TikTok account,
install Social Distribution in custom mode with two times, generate a slideshow from a live
keyword search, show it, schedule it, list the posts, turn willPublish on, and see it posted.

Only `layers` commands (subprocesses) do the work; the test reads their output like the person
would, and plays the person only where a browser is needed (the sandbox consent page)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.cli.people import Result, ok, run
from tests.support import ACME, layers_up, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ZONE = "America/Los_Angeles"


@pytest.fixture
def server(tmp_path: Path, isolated_database_url: str) -> Iterator[tuple[str, str]]:
    with layers_up(tmp_path / "data", isolated_database_url) as process:
        yield process.base_url, process.keys()[1]


def local_hhmm(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(ZONE)).strftime("%H:%M")


def first_line(result: Result) -> str:
    return ok(result).stdout.strip().splitlines()[0]


def test_a_person_does_the_whole_job_from_the_terminal(
    server: tuple[str, str], tmp_path: Path
) -> None:
    base_url, key = server
    env = {"LAYERS_CONFIG_DIR": str(tmp_path / "config")}

    def layers(*args: str) -> Result:
        return run(*args, env=env)

    ok(run("login", "--base-url", base_url, "--api-key", key, env=env))

    # 1. A project with its brief.
    project = layers(
        "projects", "create", ACME["name"], "--timezone", ZONE, "--app-name", ACME["appName"],
        "--app-description", ACME["appDescription"], "--tagline", ACME["tagline"],
        "--brand-voice", "warm", "--json",
    ).json()  # fmt: skip
    project_id = project["id"]
    assert project_id.startswith("prj_") and project["timezone"] == ZONE

    # 2. A logo and a screenshot, by URL; the list shows their real dimensions and size.
    logo = first_line(layers("media", "add", "--project", project_id, "--kind", "logo",
                             "--url", "https://cdn.acmecoffee.com/brand/logo-512.png"))  # fmt: skip
    shot = first_line(layers("media", "add", "--project", project_id, "--kind", "screenshot",
                             "--url", "https://cdn.acmecoffee.com/shots/home.png"))  # fmt: skip
    assert logo.startswith("med_") and shot.startswith("med_")
    table = ok(layers("media", "list", "--project", project_id)).stdout
    rows = {line.split("│")[1].strip(): line for line in table.splitlines() if "med_" in line}
    assert set(rows) == {logo, shot}
    assert "512×512" in rows[logo] and "image/png" in rows[logo] and " KB" in rows[logo]
    assert "screenshot" in rows[shot]

    # 3. Connect a sandbox TikTok account: the command prints the consent URL, waits, and
    #    prints the account id once the person has clicked Allow.
    connected = ok(layers("social", "connect", "--project", project_id, "--platform", "tiktok"))
    assert "Open this URL to connect a tiktok account" in connected.stderr
    assert len(connected.consented) == 1
    assert "/layers-cli/connected?" in connected.consented[0], "the return page answered"
    account_id = connected.stdout.strip()
    assert account_id.startswith("sa_")
    assert "Connected @acme.runs on tiktok" in connected.stderr
    accounts = layers("social", "list", "--project", project_id, "--json").json()
    assert [(a["socialAccountId"], a["status"]) for a in accounts["items"]] == [
        (account_id, "connected")
    ]
    ok(layers("social", "mode", account_id, "automatic"))
    health = ok(layers("social", "health", account_id)).stdout
    assert "healthy" in health and "temperature cold" in health

    # 4. Social Distribution in custom mode, two times a day.
    now = datetime.now(UTC)
    times = [local_hhmm(now + timedelta(hours=6)), local_hhmm(now + timedelta(hours=12))]
    layer = layers(
        "layers", "install", project_id, "social-distribution",
        "-c", f"social.socialAccountId={account_id}", "-c", "distributionMode=custom",
        "-c", f'schedule.times=["{times[0]}","{times[1]}"]', "-c", "willPublish=false", "--json",
    ).json()  # fmt: skip
    layer_id = layer["id"]
    assert layer["status"] == "active", layer
    assert layer["config"]["schedule"]["times"] == times

    # 5. A slideshow from a live keyword search, with a ready influencer.
    def ready_influencer() -> str | None:
        page = layers("influencers", "list", "--project", project_id, "--json").json()
        return next((i["influencerId"] for i in page["items"] if i["status"] == "ready"), None)

    influencer_id = wait_for(ready_influencer, timeout=120, every=1)
    found = layers("content", "sources", "--project", project_id, "--keyword", "morning run",
                   "--kind", "slideshow", "--json").json()  # fmt: skip
    assert found["source"] == "live_search" and found["items"]
    source = found["items"][0]
    assert source["kind"] == "slideshow"
    human_sources = ok(layers("content", "sources", "--project", project_id, "--keyword",
                              "morning run", "--kind", "slideshow"))  # fmt: skip
    assert source["tiktokId"] in human_sources.stdout and "live search" in human_sources.stderr

    generated = layers(
        "content", "generate", "--project", project_id, "--format", "slideshow-remix",
        "--tiktok-video", source["tiktokId"], "--influencer", influencer_id, "--wait",
    )  # fmt: skip
    ok(generated)
    assert "100%" in generated.stderr, "a progress bar was shown"
    container_id = generated.stdout.split()[0]
    assert container_id.startswith("cnt_") and "completed" in generated.stdout.splitlines()[0]

    # 6. Show it: every slide image loads.
    container = layers("content", "show", container_id, "--json").json()
    assert container["status"] == "completed" and container["sourceTiktokId"] == source["tiktokId"]
    slides = container["preview"]["imageUrls"]
    assert len(slides) == source["imageCount"]
    for url in slides:
        image = httpx.get(url, timeout=30)
        assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    shown = ok(layers("content", "show", container_id)).stdout
    assert f"slides      {len(slides)}" in shown and "caption" in shown
    listed = layers("content", "list", "--project", project_id, "--json").json()
    assert [c["id"] for c in listed["items"]] == [container_id]

    # 7. Schedule it in the layer's next slot; make that slot a minute or two from now.
    soon = (datetime.now(UTC) + timedelta(seconds=120)).replace(second=0, microsecond=0)
    changed = ok(layers("layers", "config", layer_id, "--set",
                        f'schedule.times=["{local_hhmm(soon)}","{times[1]}"]'))  # fmt: skip
    replan = next(w for w in changed.stderr.split() if w.startswith("run_"))
    ok(layers("runs", "logs", replan, "--follow"))  # the slots are re-planned
    scheduled = ok(layers("content", "schedule", container_id, "--layer", layer_id))
    post_id = scheduled.stdout.strip()
    assert post_id.startswith("sp_")
    assert f"slot at {soon.strftime('%Y-%m-%d %H:%M:%S')} UTC" in scheduled.stderr

    # 8. The posts: ours is queued, in the slot, with the content.
    posts = layers("posts", "list", "--project", project_id, "--json").json()
    ours = next(p for p in posts["items"] if p["id"] == post_id)
    assert ours["containerId"] == container_id and ours["layerId"] == layer_id
    assert (ours["status"], ours["internalStatus"]) == ("queued", "ready")
    table = ok(layers("posts", "list", "--project", project_id)).stdout
    assert any(post_id in line and container_id in line for line in table.splitlines())

    # 9. willPublish on; the slot's time comes and the post goes out.
    turned = layers("layers", "config", layer_id, "--set", "willPublish=true", "--json").json()
    assert turned["config"]["willPublish"] is True

    def published() -> dict[str, str] | None:
        post: dict[str, str] = layers("posts", "show", post_id, "--json").json()
        return post if post["status"] not in ("queued", "publishing") else None

    post = wait_for(published, timeout=240, every=5)
    assert (post["status"], post["internalStatus"]) == ("published", "posted"), post
    assert post["externalUrl"].startswith("https://www.tiktok.com/@acme.runs/")
    done = ok(layers("posts", "list", "--project", project_id, "--status", "published"))
    assert any(
        post_id in line and "published (posted)" in line for line in done.stdout.splitlines()
    )
    shown = ok(layers("posts", "show", post_id)).stdout
    assert f"url         {post['externalUrl']}" in shown
