"""The four formats through the API (test mode), with real media checked byte by byte."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import httpx
import imageio_ffmpeg
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.support import (
    ACME,
    Tenant,
    assert_error,
    new_social_account,
    ready_influencer,
    wait_for,
    wait_for_job,
)

STAGES = ["queued", "sourcing", "writing", "generating_visuals", "finalizing", "finalized"]


def fetch(client: TestClient, url: str) -> httpx.Response:
    parsed = httpx.URL(url)
    response = client.get(f"{parsed.path}?{parsed.query.decode()}")
    assert response.status_code == 200, url
    return response


def check_image(client: TestClient, url: str, size: tuple[int, int]) -> None:
    response = fetch(client, url)
    assert response.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    assert image.format == "JPEG" and image.size == size and image.mode == "RGB"


def check_video(client: TestClient, url: str, duration_ms: int) -> None:
    response = fetch(client, url)
    assert response.headers["content-type"] == "video/mp4"
    data = response.content
    assert data.index(b"moov") < data.index(b"mdat"), "faststart: the index comes first"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.mp4"
        path.write_bytes(data)
        reader = imageio_ffmpeg.read_frames(str(path))
        meta = reader.__next__()
        frame = reader.__next__()
        reader.close()
    assert tuple(meta["size"]) == (1080, 1920)
    assert meta["codec"] == "h264" and "yuv420p" in meta["pix_fmt"]
    assert len(frame) == 1080 * 1920 * 3
    assert abs(meta["duration"] * 1000 - duration_ms) < 100


def check_preview(client: TestClient, container: dict[str, Any]) -> None:
    """Every preview URL returns a decodable file of the stated size and type."""
    preview = container["preview"]
    assert preview["aspectRatio"] == "9:16"
    check_image(client, preview["thumbnailUrl"], (360, 640))
    if preview["kind"] == "slideshow":
        assert preview["imageUrls"] and preview["primaryUrl"] == preview["imageUrls"][0]
        assert preview["videoUrl"] is None
        for url in preview["imageUrls"]:
            check_image(client, url, (preview["width"], preview["height"]))
        assert (preview["width"], preview["height"]) == (1080, 1920)
        assert len(container["assets"]) == len(preview["imageUrls"])
    else:
        assert preview["kind"] == "video" and preview["imageUrls"] == []
        assert preview["primaryUrl"] == preview["videoUrl"]
        # As long as its voice-over: each scene lasts while its words are spoken.
        assert 8000 <= preview["durationMs"] <= 60000
        check_video(client, preview["videoUrl"], preview["durationMs"])


@pytest.fixture(scope="module")
def acme(client: TestClient) -> dict[str, Any]:
    """Seed 002 steps 1 and 2 with a test key: a project with its media and influencer."""
    from tests.support import new_tenant

    tenant = new_tenant("Acme agency")
    headers = tenant.headers(test=True)
    project = client.post("/v1/projects", json=ACME, headers=headers).json()
    for kind, url in [
        ("logo", "https://cdn.acmecoffee.com/brand/logo-512.png"),
        ("screenshot", "https://cdn.acmecoffee.com/product/home.png"),
        ("demo-video", "https://cdn.acmecoffee.com/marketing/30s-demo.mp4"),
    ]:
        response = client.post(
            f"/v1/projects/{project['id']}/app-media",
            json={"kind": kind, "url": url},
            headers=headers,
        )
        assert response.status_code == 201
    influencer_id = ready_influencer(client, project["id"], headers)
    return {"tenant": tenant, "headers": headers, "project": project, "influencer": influencer_id}


def generate(
    client: TestClient, acme: dict[str, Any], fmt: str, body: dict[str, Any]
) -> tuple[dict[str, Any], list[tuple[str, float]]]:
    headers = acme["headers"]
    response = client.post(
        f"/v1/projects/{acme['project']['id']}/content/{fmt}", json=body, headers=headers
    )
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["kind"] == "content_generate" and accepted["status"] == "running"
    assert accepted["locationUrl"] == f"/v1/jobs/{accepted['jobId']}"
    assert (
        len(accepted["containerIds"]) == 1
        and accepted["containerId"] == accepted["containerIds"][0]
    )
    seen: list[tuple[str, float]] = []

    def finished() -> dict[str, Any] | None:
        job = client.get(f"/v1/jobs/{accepted['jobId']}", headers=headers).json()
        seen.append((job["stage"], job["progress"]))
        return job if job["status"] != "running" else None

    job = wait_for(finished, timeout=90, every=0.02)
    assert job["status"] == "completed", job
    assert job["result"]["containerId"] == accepted["containerIds"][0]
    container = client.get(f"/v1/content/{accepted['containerIds'][0]}", headers=headers).json()
    return container, seen


def test_quickstart_step_4_slideshow_remix(client: TestClient, acme: dict[str, Any]) -> None:
    headers, project = acme["headers"], acme["project"]
    response = client.get(
        f"/v1/projects/{project['id']}/content/source-recommendations?kind=slideshow&limit=20",
        headers=headers,
    )
    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == 20 and response.json()["source"] == "portfolio"
    for item in items:
        assert set(item) >= {
            "tiktokId",
            "kind",
            "thumbnailUrl",
            "caption",
            "author",
            "stats",
            "imageCount",
        }
        assert item["kind"] == "slideshow" and item["imageCount"] >= 3
    check_image(client, items[0]["thumbnailUrl"], (360, 640))
    chosen = items[0]
    container, seen = generate(
        client,
        acme,
        "slideshow-remix",
        {"tiktokVideoId": chosen["tiktokId"], "influencerId": acme["influencer"]},
    )
    assert container["status"] == "completed" and container["format"] == "slideshow-remix"
    assert container["sourceTiktokId"] == chosen["tiktokId"]
    assert container["influencerId"] == acme["influencer"]
    assert len(container["preview"]["imageUrls"]) == chosen["imageCount"]
    assert container["caption"] and container["hashtags"]
    assert "acmecoffee" in container["hashtags"]
    check_preview(client, container)
    # progress only moves forward, through the documented stages in order
    progress = [p for _, p in seen]
    assert progress == sorted(progress)
    stages = [STAGES.index(stage) for stage, _ in seen]
    assert stages == sorted(stages)


def test_video_remix_renders_an_h264_mp4(client: TestClient, acme: dict[str, Any]) -> None:
    project = acme["project"]
    items = client.get(
        f"/v1/projects/{project['id']}/content/source-recommendations?kind=video&limit=3",
        headers=acme["headers"],
    ).json()["items"]
    assert [i["kind"] for i in items] == ["video"] * 3 and items[0]["imageCount"] is None
    container, _ = generate(
        client,
        acme,
        "video-remix",
        {"tiktokVideoId": items[0]["tiktokId"], "influencerId": acme["influencer"]},
    )
    assert container["preview"]["kind"] == "video"
    check_preview(client, container)


def test_slideshow_builder_uses_the_hook_verbatim(client: TestClient, acme: dict[str, Any]) -> None:
    hook = "I stopped running out of coffee\\nhere's the trick"
    container, _ = generate(client, acme, "slideshow-builder", {"hook": hook})
    assert container["hook"] == hook and container["slideTexts"][0] == hook
    assert container["influencerId"] is None
    assert len(container["preview"]["imageUrls"]) == 6
    check_preview(client, container)


def test_ugc_remix_builds_on_the_demo_video(client: TestClient, acme: dict[str, Any]) -> None:
    container, _ = generate(
        client, acme, "ugc-remix", {"influencerId": acme["influencer"], "hook": "Watch this"}
    )
    assert container["mediaId"].startswith("med_")
    check_preview(client, container)


def test_social_account_stands_in_for_the_influencer(
    client: TestClient, acme: dict[str, Any]
) -> None:
    account = new_social_account(acme["project"]["id"])
    source = client.get(
        f"/v1/projects/{acme['project']['id']}/content/source-recommendations"
        "?kind=slideshow&limit=1&keyword=morning+routine",
        headers=acme["headers"],
    ).json()
    assert source["source"] == "live_search" and source["keywords"] == ["morning routine"]
    container, _ = generate(
        client,
        acme,
        "slideshow-remix",
        {"tiktokVideoId": source["items"][0]["tiktokId"], "socialAccountId": account},
    )
    assert container["socialAccountId"] == account
    assert container["influencerId"] == acme["influencer"]


def test_generation_input_errors(client: TestClient, acme: dict[str, Any], tenant: Tenant) -> None:
    headers, project_id = acme["headers"], acme["project"]["id"]
    base = f"/v1/projects/{project_id}/content"
    slideshow_id, video_id = "7000000000000000001", "7000000000000000008"

    no_actor = client.post(
        f"{base}/slideshow-remix", json={"tiktokVideoId": slideshow_id}, headers=headers
    )
    assert (
        assert_error(no_actor, 422, "VALIDATION")["details"]["fields"][0]["field"] == "influencerId"
    )
    wrong_kind = client.post(
        f"{base}/slideshow-remix",
        json={"tiktokVideoId": video_id, "influencerId": acme["influencer"]},
        headers=headers,
    )
    assert "video-remix" in assert_error(wrong_kind, 422, "SOURCE_NOT_FOUND")["message"]
    unknown = client.post(
        f"{base}/video-remix",
        json={"tiktokVideoId": "12345", "influencerId": acme["influencer"]},
        headers=headers,
    )
    assert_error(unknown, 422, "SOURCE_NOT_FOUND")
    stranger = client.post(
        f"{base}/slideshow-remix",
        json={"tiktokVideoId": slideshow_id, "influencerId": "inf_01J00000000000000000000000"},
        headers=headers,
    )
    assert_error(stranger, 422, "VALIDATION")

    # a pending influencer is refused with its own code
    created = client.post(f"/v1/projects/{project_id}/influencers", json={}, headers=headers)
    pending = created.json()["influencerId"]
    not_ready = client.post(
        f"{base}/slideshow-remix",
        json={"tiktokVideoId": slideshow_id, "influencerId": pending},
        headers=headers,
    )
    if not_ready.status_code != 202:  # it may already be ready on a fast machine
        assert_error(not_ready, 422, "INFLUENCER_NOT_READY")

    # ugc-remix without a demo video
    bare = client.post(
        "/v1/projects", json={**ACME, "appDescription": None}, headers=tenant.headers(test=True)
    ).json()
    no_demo = client.post(
        f"/v1/projects/{bare['id']}/content/ugc-remix",
        json={"influencerId": acme["influencer"]},
        headers=tenant.headers(test=True),
    )
    assert_error(no_demo, 422, "VALIDATION")  # the influencer is another org's: not found
    bare_in_acme = client.post(
        "/v1/projects", json={**ACME, "appDescription": None}, headers=headers
    ).json()
    no_demo = client.post(
        f"/v1/projects/{bare_in_acme['id']}/content/ugc-remix", json={}, headers=headers
    )
    assert_error(no_demo, 422, "VALIDATION")  # no actor
    account = new_social_account(bare_in_acme["id"])
    # the account's project has no ready influencer: that is the error, before the demo video
    no_influencer = client.post(
        f"/v1/projects/{bare_in_acme['id']}/content/ugc-remix",
        json={"socialAccountId": account},
        headers=headers,
    )
    assert_error(no_influencer, 422, "INFLUENCER_NOT_READY")
    builder_only = client.post(
        f"/v1/projects/{bare_in_acme['id']}/influencers", json={}, headers=headers
    ).json()
    wait_for(
        lambda: (
            client.get(f"/v1/influencers/{builder_only['influencerId']}", headers=headers).json()[
                "status"
            ]
            == "ready"
        )
    )
    no_demo = client.post(
        f"/v1/projects/{bare_in_acme['id']}/content/ugc-remix",
        json={"influencerId": builder_only["influencerId"]},
        headers=headers,
    )
    assert_error(no_demo, 422, "DEMO_VIDEO_REQUIRED")


def test_regenerate_keeps_the_id_and_replaces_the_media(
    client: TestClient, acme: dict[str, Any]
) -> None:
    headers = acme["headers"]
    container, _ = generate(client, acme, "slideshow-builder", {"hook": "First take"})
    first_urls = container["preview"]["imageUrls"]
    response = client.post(
        f"/v1/content/{container['id']}/regenerate", json={"hook": "Second take"}, headers=headers
    )
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["containerIds"] == [container["id"]] and accepted["jobId"] != container["jobId"]
    busy = client.post(f"/v1/content/{container['id']}/regenerate", json={}, headers=headers)
    if busy.status_code != 202:
        assert_error(busy, 409, "CONFLICT")
    # while it renders, the old media stay readable
    during = client.get(f"/v1/content/{container['id']}", headers=headers).json()
    assert during["preview"] is not None
    assert wait_for_job(client, accepted["jobId"], headers)["status"] == "completed"
    after = client.get(f"/v1/content/{container['id']}", headers=headers).json()
    assert after["generation"] == 2 and after["hook"] == "Second take"
    assert after["preview"]["imageUrls"] != first_urls
    assert "/g2/" in after["preview"]["primaryUrl"]
    check_preview(client, after)
    no_hook = client.post(
        f"/v1/content/{container['id']}/regenerate", json={"hook": "x"}, headers=headers
    )
    assert no_hook.status_code == 202
    wait_for_job(client, no_hook.json()["jobId"], headers)


def test_container_list_is_newest_first_with_filters(
    client: TestClient, acme: dict[str, Any]
) -> None:
    headers, project_id = acme["headers"], acme["project"]["id"]
    url = f"/v1/projects/{project_id}/content"
    first = client.get(f"{url}?limit=2", headers=headers).json()
    assert len(first["items"]) == 2 and first["nextCursor"]
    rest = client.get(f"{url}?cursor={first['nextCursor']}&limit=200", headers=headers).json()
    ids = [c["id"] for c in first["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == len(set(ids))
    videos = client.get(f"{url}?format=video-remix&format=ugc-remix", headers=headers).json()
    assert videos["items"] and {c["format"] for c in videos["items"]} <= {
        "video-remix",
        "ugc-remix",
    }
    done = client.get(f"{url}?status=completed", headers=headers).json()["items"]
    assert all(c["status"] == "completed" for c in done)
    assert_error(client.get(f"{url}?status=nope", headers=headers), 422, "VALIDATION")


def test_canceling_the_job_cancels_the_container(client: TestClient, acme: dict[str, Any]) -> None:
    headers = acme["headers"]
    response = client.post(
        f"/v1/projects/{acme['project']['id']}/content/ugc-remix",
        json={"influencerId": acme["influencer"]},
        headers=headers,
    )
    accepted = response.json()
    canceled = client.post(f"/v1/jobs/{accepted['jobId']}/cancel", headers=headers)
    container = client.get(f"/v1/content/{accepted['containerId']}", headers=headers).json()
    if canceled.status_code == 200:
        assert container["status"] == "canceled" and container["preview"] is None
    else:  # it finished first
        assert container["status"] == "completed"


def test_hooks(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    bare = client.post("/v1/projects", json={"name": "Bare", "timezone": "UTC"}, headers=headers)
    error = assert_error(
        client.get(f"/v1/projects/{bare.json()['id']}/content/hooks", headers=headers),
        422,
        "VALIDATION",
    )
    assert error["details"]["missingFields"] == ["appName", "appDescription"]
    project = client.post("/v1/projects", json=ACME, headers=headers).json()
    body = client.get(f"/v1/projects/{project['id']}/content/hooks?limit=7", headers=headers).json()
    assert body["brandVoice"] == "warm" and body["language"] == "en"
    assert len(body["hooks"]) == 7 and len(set(body["hooks"])) == 7
    assert all("\\n" in hook and "\n" not in hook for hook in body["hooks"])


def test_the_list_shows_each_container_with_its_current_assets(
    client: TestClient, acme: dict[str, Any]
) -> None:
    headers, project_id = acme["headers"], acme["project"]["id"]
    listed = client.get(f"/v1/projects/{project_id}/content?limit=200", headers=headers).json()
    assert any(c["generation"] >= 2 for c in listed["items"])  # a regenerated one is listed
    for item in listed["items"]:
        alone = client.get(f"/v1/content/{item['id']}", headers=headers).json()
        assert [a["assetId"] for a in item["assets"]] == [a["assetId"] for a in alone["assets"]]
        assert (item["preview"] or {}).get("kind") == (alone["preview"] or {}).get("kind")
