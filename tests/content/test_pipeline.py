"""The generation pipeline's seams: posts waiting on media, generate-and-attach, the publish
resolver, the failure paths."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.content import containers, resolver, workflows
from layers.content import service as content
from layers.jobs import service as jobs
from layers.kit import db as kit_db
from layers.kit.errors import Conflict
from layers.kit.ids import new_id
from layers.models.content import ContentContainer
from layers.models.publishing import ScheduledPost
from layers.publishing import content as publishable
from tests.support import (
    ACME,
    new_social_account,
    new_tenant,
    ready_influencer,
    wait_for_job,
)


@pytest.fixture(scope="module")
def world(client: TestClient) -> dict[str, Any]:
    tenant = new_tenant("Pipeline")
    headers = tenant.headers(test=True)
    project = client.post("/v1/projects", json=ACME, headers=headers).json()
    client.post(
        f"/v1/projects/{project['id']}/app-media",
        json={"kind": "demo-video", "url": "https://cdn.acmecoffee.com/demo.mp4"},
        headers=headers,
    )
    return {
        "headers": headers,
        "project": project,
        "account": new_social_account(project["id"]),
        "influencer": ready_influencer(client, project["id"], headers),
    }


def queued_container(project_id: str) -> tuple[str, str]:
    """A container that is still generating (a job that no workflow runs), as a row."""
    with kit_db.get_database().transaction() as session:
        from layers.models.projects import Project

        project = session.get(Project, project_id)
        assert project is not None
        container = ContentContainer(
            id=new_id("cnt"),
            org_id=project.org_id,
            livemode=project.livemode,
            project_id=project.id,
            format="slideshow-builder",
            status="queued",
            media_kind="slideshow",
            hook="Hook",
            hashtags=[],
            slide_texts=[],
            generation=0,
        )
        session.add(container)
        session.flush()
        job = jobs.create(
            session,
            org_id=project.org_id,
            livemode=False,
            kind=content.JOB_KIND,
            project_id=project.id,
            subject_id=container.id,
        )
        container.job_id = job.id
        return container.id, job.id


def post_status(post_id: str) -> tuple[str, str | None]:
    with kit_db.get_database().transaction(write=False) as session:
        post = session.get(ScheduledPost, post_id)
        assert post is not None
        return post.status, post.container_id


def schedule(client: TestClient, world: dict[str, Any], container_id: str) -> str:
    response = client.post(
        f"/v1/content/{container_id}/schedule",
        json={
            "scheduledFor": "2031-01-01T10:00:00Z",
            "targets": [{"socialAccountId": world["account"], "mode": "publish"}],
        },
        headers=world["headers"],
    )
    assert response.status_code == 201, response.text
    return str(response.json()["scheduledPostIds"][0])


def test_posts_of_generating_content_wait_then_become_ready(
    client: TestClient, world: dict[str, Any]
) -> None:
    container_id, job_id = queued_container(world["project"]["id"])
    post_id = schedule(client, world, container_id)
    assert post_status(post_id) == ("pending_assets", container_id)
    listed = client.get(f"/v1/scheduled-posts/{post_id}", headers=world["headers"]).json()
    assert listed["status"] == "queued" and listed["internalStatus"] == "pending_assets"
    texts = {"hook": "Hook", "body": ["b"], "end": "e", "caption": "c", "hashtags": ["x"]}
    asset = {
        "role": "slide",
        "position": 0,
        "key": "k.jpg",
        "mime_type": "image/jpeg",
        "width": 1080,
        "height": 1920,
        "byte_size": 1,
        "duration_ms": None,
    }
    thumb = {**asset, "role": "thumbnail", "key": "t.jpg", "width": 360, "height": 640}
    inp = workflows.GenerateInput(job_id, container_id, 1)
    workflows.finalize(inp, texts, [asset, thumb])
    assert post_status(post_id) == ("ready", container_id)
    workflows.finalize(inp, texts, [asset, thumb])  # a re-run after a crash converges
    with kit_db.get_database().transaction(write=False) as session:
        container = session.get(ContentContainer, container_id)
        assert container is not None and container.status == "completed"
        assert len(containers.current_assets(session, container)) == 2


def test_a_failed_generation_fails_api_posts_and_empties_slots(
    client: TestClient, world: dict[str, Any]
) -> None:
    container_id, job_id = queued_container(world["project"]["id"])
    api_post = schedule(client, world, container_id)
    with kit_db.get_database().transaction() as session:
        slot = ScheduledPost(
            id=new_id("sp"),
            org_id=world_org(session, container_id),
            livemode=False,
            project_id=world["project"]["id"],
            social_account_id=world["account"],
            layer_id="lyr_01J00000000000000000000000",
            container_id=container_id,
            origin="slot",
            mode="publish",
            status="pending_assets",
            scheduled_at=datetime(2031, 2, 1, 10, tzinfo=UTC),
            attempt_count=0,
        )
        session.add(slot)
        slot_id = slot.id
    workflows.mark_failed(workflows.GenerateInput(job_id, container_id, 1), "RENDER_FAILED", "x")
    assert post_status(api_post)[0] == "failed"
    assert post_status(slot_id) == ("pending", None)
    container = client.get(f"/v1/content/{container_id}", headers=world["headers"]).json()
    assert container["status"] == "failed" and container["lastError"]["code"] == "RENDER_FAILED"
    refused = client.post(
        f"/v1/content/{container_id}/schedule",
        json={
            "scheduledFor": "2031-01-01T10:00:00Z",
            "targets": [{"socialAccountId": world["account"], "mode": "publish"}],
        },
        headers=world["headers"],
    )
    assert refused.status_code == 409


def world_org(session: Any, container_id: str) -> str:
    container = session.get(ContentContainer, container_id)
    return str(container.org_id)


def test_generate_and_attach_fills_a_slot(client: TestClient, world: dict[str, Any]) -> None:
    with kit_db.get_database().transaction() as session:
        org_id = session.scalar(
            sa.text("SELECT org_id FROM projects WHERE id = :p"), {"p": world["project"]["id"]}
        )
        slot = ScheduledPost(
            id=new_id("sp"),
            org_id=org_id,
            livemode=False,
            project_id=world["project"]["id"],
            social_account_id=world["account"],
            layer_id="lyr_01J00000000000000000000001",
            container_id=None,
            origin="slot",
            mode="publish",
            status="pending",
            scheduled_at=datetime(2031, 3, 1, 17, tzinfo=UTC),
            attempt_count=0,
        )
        session.add(slot)
        session.flush()
        container, job = content.generate_and_attach(session, slot, "slideshow-remix")
        container_id, job_id = container.id, job.id
        assert container.influencer_id == world["influencer"]
        assert container.social_account_id == world["account"]
        slot_id = slot.id
    assert post_status(slot_id) == ("pending_assets", container_id)
    finished = wait_for_job(client, job_id, world["headers"], timeout=90)
    assert finished["status"] == "completed", finished
    assert post_status(slot_id) == ("ready", container_id)
    out = client.get(f"/v1/content/{container_id}", headers=world["headers"]).json()
    assert out["sourceTiktokId"]  # picked from the portfolio
    with kit_db.get_database().transaction() as session:
        taken = session.get(ScheduledPost, slot_id)
        assert taken is not None
        with pytest.raises(Conflict):
            content.generate_and_attach(session, taken, "slideshow-builder")
        session.rollback()


def test_resolver_turns_containers_into_publishable_content(
    client: TestClient, world: dict[str, Any]
) -> None:
    headers = world["headers"]
    slideshow = client.post(
        f"/v1/projects/{world['project']['id']}/content/slideshow-builder",
        json={"hook": "Coffee\\nbefore you run out"},
        headers=headers,
    ).json()
    video = client.post(
        f"/v1/projects/{world['project']['id']}/content/ugc-remix",
        json={"influencerId": world["influencer"]},
        headers=headers,
    ).json()
    wait_for_job(client, slideshow["jobId"], headers)
    wait_for_job(client, video["jobId"], headers, timeout=90)
    photo_post = schedule(client, world, slideshow["containerId"])
    video_post = schedule(client, world, video["containerId"])
    with kit_db.get_database().transaction() as session:
        session.execute(
            sa.update(ScheduledPost)
            .where(ScheduledPost.id == photo_post)
            .values(caption_override="Custom words")
        )
    with kit_db.get_database().transaction(write=False) as session:
        # through the publish protocol's seam: the registered resolver, overrides applied
        photo = publishable.resolve(session, session.get(ScheduledPost, photo_post))  # type: ignore[arg-type]
        clip = publishable.resolve(session, session.get(ScheduledPost, video_post))  # type: ignore[arg-type]
        raw = resolver.resolve_container(session, session.get(ScheduledPost, photo_post))  # type: ignore[arg-type]
    assert photo.kind == "photo" and len(photo.media_urls) == 6
    assert photo.text() == "Custom words"  # an override is the whole text
    assert raw.hashtags and raw.caption and raw.container_id == slideshow["containerId"]
    assert photo.title == "Coffee before you run out"
    assert clip.kind == "video" and len(clip.media_urls) == 1 and clip.cover_url
    assert clip.text().endswith("\n\n" + " ".join(f"#{t}" for t in clip.hashtags))
    for url in [*photo.media_urls, *clip.media_urls]:
        parsed = httpx.URL(url)
        assert int(parsed.params["exp"]) > datetime.now(UTC).timestamp() + 29 * 24 * 3600
        assert client.get(f"{parsed.path}?{parsed.query.decode()}").status_code == 200
