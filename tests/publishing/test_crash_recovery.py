"""kill -9 while the platform has accepted a post and its answer is in flight: the restarted
process recovers the workflow, settles the attempt by a lookup, and the post is published
exactly once."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from dbos import DBOSClient
from sqlalchemy.orm import Session

from layers.kit import clock
from layers.kit.db import make_system_engine, normalize_url
from layers.kit.durable import APP_NAME, APP_VERSION, PUBLISHING
from layers.kit.ids import new_id
from layers.models.publishing import ScheduledPost
from layers.models.social import SocialAccount
from layers.publishing.protocol import PUBLISH_WORKFLOW, PublishInput
from tests.social import fake_platforms
from tests.social.fake_platforms import FakePlatforms, Fault
from tests.social.helpers import local_path, query_of
from tests.support import REPO, free_port, start_server, wait_for

pytestmark = pytest.mark.slow

INIT = "/v2/post/publish/content/init/"


def command(port: int) -> list[str]:
    return [sys.executable, "-m", "tests.publishing.serve_with_resolver", "up", "--port", str(port)]


def test_kill_9_after_the_platform_accepted_then_restart(
    tmp_path: Path, isolated_database_url: str, fake: FakePlatforms
) -> None:
    port = free_port()
    env = {
        "LAYERS_DATA_DIR": str(tmp_path / "data"),
        "LAYERS_DATABASE_URL": isolated_database_url,
        "LAYERS_EXECUTOR_ID": "worker-a",
        "LAYERS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "LAYERS_TIKTOK_CLIENT_KEY": fake_platforms.CLIENT_KEY,
        "LAYERS_TIKTOK_CLIENT_SECRET": fake_platforms.CLIENT_SECRET,
        "LAYERS_TIKTOK_API_BASE": fake.base_url,
        "LAYERS_TIKTOK_AUTH_BASE": fake.base_url,
        "FAKE_MEDIA_BASE": fake.base_url,
    }
    first = start_server(command(port), env, port, cwd=REPO)
    try:
        live, _test = first.keys()
        api = httpx.Client(
            base_url=first.base_url, headers={"Authorization": f"Bearer {live}"}, timeout=30
        )
        project = api.post("/v1/projects", json={"name": "Crash Coffee", "timezone": "UTC"}).json()
        started = api.post(
            f"/v1/projects/{project['id']}/social/oauth-url",
            json={"platform": "tiktok", "returnUrl": "http://localhost:3000/done"},
        ).json()
        consent = httpx.get(started["authorizeUrl"], follow_redirects=False)
        back = api.get(local_path(consent.headers["location"]), follow_redirects=False)
        assert query_of(back.headers["location"])["status"] == "success", back.text
        status = api.get(
            f"/v1/projects/{project['id']}/social/oauth-status", params={"state": started["state"]}
        ).json()
        account_id = status["socialAccountId"]
        api.patch(f"/v1/social-accounts/{account_id}", json={"postingMode": "automatic"})

        engine = sa.create_engine(normalize_url(isolated_database_url))
        post_id = new_id("sp")
        with Session(engine) as session, session.begin():
            account = session.get(SocialAccount, account_id)
            assert account is not None
            session.add(
                ScheduledPost(
                    id=post_id,
                    org_id=account.org_id,
                    livemode=account.livemode,
                    project_id=account.project_id,
                    social_account_id=account.id,
                    origin="api",
                    mode="publish",
                    status="ready",
                    scheduled_at=clock.now(),
                    attempt_count=0,
                    claim_count=0,
                )
            )
        held = fake.add(Fault(INIT, hold=True, accept=True))
        workflow_id = f"publish:{post_id}:1"
        dbos = DBOSClient(
            system_database_engine=make_system_engine(isolated_database_url),
            application_name=APP_NAME,
        )
        dbos.enqueue(
            {
                "workflow_name": PUBLISH_WORKFLOW,
                "queue_name": PUBLISHING.name,
                "workflow_id": workflow_id,
                "app_version": APP_VERSION,
            },
            PublishInput(post_id),
        )
        dbos.destroy()
        assert held.arrived.wait(60), "the publish never reached the platform"
    finally:
        first.kill()  # SIGKILL while TikTok's answer is in flight

    def row() -> tuple[str, int]:
        with engine.connect() as conn:
            found = conn.execute(
                sa.text("SELECT status, claim_count FROM scheduled_posts WHERE id = :id"),
                {"id": post_id},
            ).one()
        return str(found[0]), int(found[1])

    assert row() == ("posting", 1)
    with engine.connect() as conn:
        attempts = conn.execute(
            sa.text("SELECT kind, status FROM publish_attempts WHERE scheduled_post_id = :id"),
            {"id": post_id},
        ).all()
    assert [tuple(a) for a in attempts] == [("publish", "started")]
    open_id = fake.accounts["tiktok"]["open_id"]
    assert len(fake.live_posts(open_id)) == 1  # TikTok did publish before the kill

    second = start_server(command(port), env, port, cwd=REPO)
    try:
        wait_for(lambda: row()[0] == "posted", timeout=60, every=0.2)
    finally:
        second.kill()
        held.release.set()
    assert row() == ("posted", 1)  # the same claim, resumed by the recovered workflow
    live_posts = fake.live_posts(open_id)
    assert len(live_posts) == 1
    assert fake.count_calls(INIT) == 1
    with engine.connect() as conn:
        ids = conn.execute(
            sa.text("SELECT platform_post_id FROM scheduled_posts WHERE id = :id"), {"id": post_id}
        ).scalar()
    assert ids == live_posts[0].post_id
    engine.dispose()
