"""Uploaded content (fact sheet §14): finished media become a container that is reviewed,
scheduled and published like generated content; and a container's progress."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.kit import db as kit_db
from layers.kit.settings import get_settings
from layers.kit.storage import get_storage
from layers.models.content import ContainerAsset
from tests.support import (
    ACME,
    assert_error,
    new_social_account,
    new_tenant,
    wait_for,
    wait_for_job,
)


@pytest.fixture
def world(client: TestClient) -> dict[str, Any]:
    tenant = new_tenant("Uploader")
    headers = tenant.headers(test=True)
    project = client.post("/v1/projects", json=ACME, headers=headers).json()
    return {"headers": headers, "project": project["id"]}


def upload(client: TestClient, world: dict[str, Any], urls: list[str], **extra: Any) -> Any:
    return client.post(
        f"/v1/projects/{world['project']}/content/upload",
        json={"media": [{"url": u} for u in urls], "caption": "Made by us", **extra},
        headers=world["headers"],
    )


def stored(container_id: str) -> list[ContainerAsset]:
    with kit_db.get_database().transaction(write=False) as session:
        return list(
            session.scalars(
                sa.select(ContainerAsset).where(ContainerAsset.container_id == container_id)
            )
        )


def test_a_slideshow_upload_is_a_completed_container(
    client: TestClient, world: dict[str, Any]
) -> None:
    urls = [f"https://cdn.acmecoffee.com/ugc/slide-{i}.png" for i in range(3)]
    response = upload(client, world, urls)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "completed" and body["creativeType"] == "uploaded"
    assert body["format"] == "upload" and body["approvalStatus"] == "not_required"
    assert body["caption"] == "Made by us" and body["jobId"] is None
    assert body["preview"]["kind"] == "slideshow" and len(body["preview"]["imageUrls"]) == 3
    thumb = client.get(body["preview"]["thumbnailUrl"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    slide = client.get(body["preview"]["imageUrls"][0])
    assert slide.status_code == 200 and slide.content[:8] == b"\x89PNG\r\n\x1a\n"
    progress = client.get(f"/v1/content/{body['id']}/progress", headers=world["headers"]).json()
    assert progress["stage"] == "finalized" and progress["stageProgress"] == 1.0
    assert progress["etaSeconds"] is None


def test_a_video_upload_publishes_byte_for_byte(client: TestClient, world: dict[str, Any]) -> None:
    account = new_social_account(world["project"])
    response = upload(client, world, ["https://cdn.acmecoffee.com/ugc/launch.mp4"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["preview"]["kind"] == "video" and body["preview"]["durationMs"] > 0
    video = next(a for a in stored(body["id"]) if a.role == "video")
    original = get_storage(get_settings()).path(video.storage_key).read_bytes()
    assert client.get(body["preview"]["videoUrl"]).content == original
    published = client.post(
        f"/v1/content/{body['id']}/publish",
        json={"targets": [{"socialAccountId": account, "mode": "publish"}]},
        headers=world["headers"],
    )
    assert published.status_code == 202, published.text
    post_id = published.json()["scheduledPostIds"][0]
    post = wait_for(
        lambda: (
            p
            if (p := client.get(f"/v1/scheduled-posts/{post_id}", headers=world["headers"]).json())[
                "status"
            ]
            == "published"
            else None
        ),
        timeout=30,
    )
    assert post["externalUrl"]


def test_uploads_follow_the_review_policy(client: TestClient, world: dict[str, Any]) -> None:
    client.patch(
        f"/v1/projects/{world['project']}/content-review-policy",
        json={"policy": "review_all"},
        headers=world["headers"],
    )
    body = upload(client, world, ["https://cdn.acmecoffee.com/ugc/one.jpg"]).json()
    assert body["approvalStatus"] == "pending" and body["preview"]["kind"] == "slideshow"
    approved = client.post(f"/v1/content/{body['id']}/approve", json={}, headers=world["headers"])
    assert approved.json()["approvalStatus"] == "approved"


def test_upload_refusals(client: TestClient, world: dict[str, Any]) -> None:
    assert_error(upload(client, world, []), 422, "VALIDATION")
    eleven = [f"https://cdn.acmecoffee.com/{i}.png" for i in range(11)]
    assert_error(upload(client, world, eleven), 422, "VALIDATION")
    mixed = ["https://cdn.acmecoffee.com/a.png", "https://cdn.acmecoffee.com/b.mp4"]
    error = assert_error(upload(client, world, mixed), 422, "VALIDATION")
    assert error["details"]["fields"][0]["field"] == "media[1].url"
    for url in ("http://127.0.0.1/a.png", "https://10.0.0.1/a.png", "ftp://cdn.example/a.png"):
        assert_error(upload(client, world, [url]), 422, "URL_NOT_ALLOWED")
    response = client.post(
        f"/v1/projects/{world['project']}/content/upload",
        json={"media": [{"url": "https://cdn.acmecoffee.com/a.png"}]},
        headers=world["headers"],
    )
    assert_error(response, 422, "VALIDATION")  # caption is required (it may be empty)
    long_caption = upload(client, world, ["https://cdn.acmecoffee.com/a.png"], caption="x" * 2201)
    assert_error(long_caption, 422, "VALIDATION")
    assert_error(
        upload(client, world, ["https://cdn.acmecoffee.com/a.png"], socialAccountId="sa_nope"),
        422,
        "VALIDATION",
    )
    listed = client.get(f"/v1/projects/{world['project']}/content", headers=world["headers"]).json()
    assert listed["items"] == []  # nothing half-written
    other = new_tenant("Other").headers(test=True)
    response = client.post(
        f"/v1/projects/{world['project']}/content/upload",
        json={"media": [{"url": "https://cdn.acmecoffee.com/a.png"}], "caption": ""},
        headers=other,
    )
    assert_error(response, 404, "NOT_FOUND")


def test_progress_of_a_generation(client: TestClient, world: dict[str, Any]) -> None:
    started = client.post(
        f"/v1/projects/{world['project']}/content/slideshow-builder",
        json={"hook": "Coffee o'clock"},
        headers=world["headers"],
    ).json()
    first = client.get(
        f"/v1/content/{started['containerId']}/progress", headers=world["headers"]
    ).json()
    assert first["containerId"] == started["containerId"]
    assert 0.0 <= first["stageProgress"] <= 1.0 and first["jobId"] == started["jobId"]
    wait_for_job(client, started["jobId"], world["headers"])
    done = client.get(
        f"/v1/content/{started['containerId']}/progress", headers=world["headers"]
    ).json()
    assert done["status"] == "completed" and done["stage"] == "finalized"
    assert_error(
        client.get("/v1/content/cnt_missing/progress", headers=world["headers"]), 404, "NOT_FOUND"
    )
