"""A Python client generated from the served `/openapi.json` runs the seed's quickstart.

The generator is `openapi-python-client` (pinned in the Makefile, `SDK_GENERATOR`), installed in
a virtualenv of its own (`.venv/sdkgen`): it pins an older Typer than the CLI's. The client is
generated into a temporary directory (never committed), imported, and drives the steps of
`quickstart.ts` against `layers up` with a test key, every POST and PATCH sending its
Idempotency-Key through the generated `idempotency_key` parameter. A replay returns the stored
response byte for byte and does nothing twice; the same key with another body is a 409 that the
client parses into the `ErrorEnvelope` model.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import httpx
import pytest

from tests.support import REPO, ServerProcess, free_port, layers_command, start_server

pytestmark = pytest.mark.slow

GENERATOR = REPO / ".venv" / "sdkgen" / "bin" / "openapi-python-client"
PACKAGE = "layers_quickstart_client"
T = TypeVar("T")


@pytest.fixture
def server(tmp_path: Path, isolated_database_url: str) -> Iterator[tuple[ServerProcess, str]]:
    """`layers up` on its own database, and the quickstart's test key (its returnUrl's domain
    allowed)."""
    port = free_port()
    env = {"LAYERS_DATA_DIR": str(tmp_path / "data"), "LAYERS_DATABASE_URL": isolated_database_url}
    process = start_server(
        layers_command("up", "--host", "127.0.0.1", "--port", str(port)), env, port
    )
    try:
        issued = subprocess.run(
            layers_command("keys", "create", "--test", "--allow-return-domain", "yourapp.com"),
            cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, check=True,
        )  # fmt: skip
        yield process, issued.stdout.strip()
    finally:
        process.kill()


def generate_client(base_url: str, into: Path) -> ModuleType:
    """Generate the client from the running server's document and import it."""
    document = into / "openapi.json"
    document.write_bytes(httpx.get(f"{base_url}/openapi.json").raise_for_status().content)
    config = into / "generator.yaml"
    config.write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n")
    run = subprocess.run(
        [str(GENERATOR), "generate", "--path", str(document), "--config", str(config),
         "--meta", "none", "--output-path", str(into / PACKAGE)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    # Every operation made it into the client (the generator skips what it cannot read).
    assert "Warning" not in run.stdout + run.stderr, run.stdout + run.stderr
    sys.path.insert(0, str(into))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]
    return importlib.import_module(PACKAGE)


def module(client_package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{client_package.__name__}.{name}")


class Operations:
    """``api["projects"].create_project``: the generated module of one operation, by tag."""

    def __init__(self, sdk: ModuleType) -> None:
        self.sdk = sdk

    def __getitem__(self, tag: str) -> Any:
        sdk = self.sdk

        class Tag:
            def __getattr__(self, operation: str) -> Any:
                return module(sdk, f"api.{tag}.{operation}")

        return Tag()


def poll(fetch: Callable[[], T | None], timeout: float = 180.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = fetch()
        if found is not None:
            return found
        time.sleep(0.5)
    raise AssertionError("timed out")


def test_a_generated_python_client_runs_the_quickstart(
    server: tuple[ServerProcess, str], tmp_path: Path
) -> None:
    assert GENERATOR.is_file(), "`make test` installs openapi-python-client in .venv/sdkgen"
    process, key = server
    sdk = generate_client(process.base_url, tmp_path)
    models = module(sdk, "models")
    api = Operations(sdk)
    client = sdk.AuthenticatedClient(base_url=process.base_url, token=key, timeout=60.0)

    # 1. create the project
    project_body = models.ProjectCreate(
        name="Acme Coffee",
        customer_external_id="acme-coffee",
        timezone="America/Los_Angeles",
        primary_language="en",
        app_name="Acme Coffee",
        app_description=(
            "Daily ritual coffee subscriptions for runners and night-shift workers. "
            "Single-origin beans from named farms, roasted weekly, and shipped on a cadence "
            "that matches how you actually drink coffee."
        ),
        tagline="Coffee that shows up before you run out.",
        brand_voice=models.BrandVoice("warm"),
        target_gender=models.TargetGender("all"),
    )
    create_project = api["projects"].create_project
    project_key = str(uuid.uuid4())
    created = create_project.sync_detailed(
        client=client, body=project_body, idempotency_key=project_key
    )
    assert created.status_code == 201, created.content
    project = created.parsed
    assert isinstance(project, models.ProjectOut) and project.id.startswith("prj_")

    # the same key and body: the stored response, byte for byte, and no second project
    replayed = create_project.sync_detailed(
        client=client, body=project_body, idempotency_key=project_key
    )
    assert replayed.status_code == 201
    assert replayed.content == created.content
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.parsed.id == project.id
    # the same key, another body: the envelope, parsed into the generated model
    project_body.tagline = "Another tagline"
    conflict = create_project.sync_detailed(
        client=client, body=project_body, idempotency_key=project_key
    )
    assert conflict.status_code == 409
    assert isinstance(conflict.parsed, models.ErrorEnvelope)
    assert conflict.parsed.error.code == "IDEMPOTENCY_CONFLICT"
    listed = api["projects"].list_projects.sync(client=client, customer_external_id="acme-coffee")
    assert [p.id for p in listed.items] == [project.id]

    # 2. app media
    for kind, url in (
        ("logo", "https://cdn.acmecoffee.com/brand/logo-512.png"),
        ("screenshot", "https://cdn.acmecoffee.com/product/home.png"),
        ("demo-video", "https://cdn.acmecoffee.com/marketing/30s-demo.mp4"),
    ):
        media = api["app_media"].upload_app_media.sync_detailed(
            project.id,
            client=client,
            body=models.AppMediaCreate(kind=models.MediaKind(kind), url=url),
            idempotency_key=str(uuid.uuid4()),
        )
        assert media.status_code == 201, media.content
        assert media.parsed.id.startswith("med_")

    # 3. connect a TikTok account (the sandbox consent page stands in for the person)
    oauth = api["social_accounts"].create_oauth_url.sync(
        project.id,
        client=client,
        body=models.OAuthUrlRequest(
            platform=models.Platform.TIKTOK,
            return_url="https://yourapp.com/social/connect/callback",
        ),
    )
    assert isinstance(oauth, models.OAuthUrl), oauth
    httpx.get(oauth.authorize_url, follow_redirects=False)

    def connected() -> str | None:
        status = api["social_accounts"].get_oauth_status.sync(
            project.id, client=client, state=oauth.state
        )
        assert str(status.status) != "failed", status
        return str(status.social_account_id) if str(status.status) == "completed" else None

    social_account_id = poll(connected)

    # 4. the influencer, a source, the slideshow remix
    def ready_influencer() -> str | None:
        influencers = api["influencers"].list_influencers.sync(project.id, client=client)
        ready = [i for i in influencers.items if str(i.status) == "ready"]
        return str(ready[0].influencer_id) if ready else None

    influencer_id = poll(ready_influencer)
    sources = api["content"].list_source_recommendations.sync(
        project.id, client=client, kind=models.SourceQueryKind("slideshow"), limit=20
    )
    chosen = sources.items[0]
    generated = api["content"].generate_slideshow_remix.sync_detailed(
        project.id,
        client=client,
        body=models.RemixBodyWithInfluencerId(
            tiktok_video_id=chosen.tiktok_id, influencer_id=influencer_id
        ),
        idempotency_key=str(uuid.uuid4()),
    )
    assert generated.status_code == 202, generated.content
    accepted = generated.parsed
    container_id = accepted.container_ids[0]

    def finished() -> Any:
        job = api["jobs"].get_job.sync(accepted.job_id, client=client)
        assert str(job.status) not in ("failed", "canceled"), job
        return job if str(job.status) == "completed" else None

    poll(finished, timeout=300)
    container = api["content"].get_content.sync(container_id, client=client)
    assert str(container.preview.kind) == "slideshow" and container.preview.image_urls

    # 5. schedule, and replay the schedule: one post
    pacific = timezone(timedelta(hours=-7))
    when = (datetime.now(UTC) + timedelta(days=2)).astimezone(pacific).replace(microsecond=0)
    schedule_body = models.ScheduleBody(
        scheduled_for=when.isoformat(),
        targets=[
            models.ScheduleTarget(
                social_account_id=social_account_id, mode=models.TargetMode("publish")
            )
        ],
    )
    schedule_key = str(uuid.uuid4())
    schedule = api["posts"].schedule_content
    scheduled = schedule.sync_detailed(
        container_id, client=client, body=schedule_body, idempotency_key=schedule_key
    )
    assert scheduled.status_code == 201, scheduled.content
    assert scheduled.parsed.gate_status == "queued"
    again = schedule.sync_detailed(
        container_id, client=client, body=schedule_body, idempotency_key=schedule_key
    )
    assert (again.status_code, again.content) == (scheduled.status_code, scheduled.content)
    posts = api["posts"].list_scheduled_posts.sync(project.id, client=client)
    assert [p.id for p in posts.items] == scheduled.parsed.scheduled_post_ids
    assert posts.items[0].container_id == container_id
    assert datetime.fromisoformat(posts.items[0].scheduled_for) == when
