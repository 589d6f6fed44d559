"""App media uploaded from disk (multipart): stored exactly as a fetched URL is."""

from __future__ import annotations

import hashlib
import io

import httpx
from fastapi.testclient import TestClient
from PIL import Image

from layers.projects.media import service as media
from layers.render import video
from tests.support import ACME, Tenant, assert_error, png_bytes


def _project(client: TestClient, tenant: Tenant, *, test: bool = True) -> str:
    created = client.post("/v1/projects", json=ACME, headers=tenant.headers(test=test))
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _upload(
    client: TestClient,
    tenant: Tenant,
    project_id: str,
    kind: str,
    name: str,
    data: bytes,
    content_type: str = "application/octet-stream",
    **headers: str,
) -> httpx.Response:
    return client.post(
        f"/v1/projects/{project_id}/media/upload",
        data={"kind": kind},
        files={"file": (name, data, content_type)},
        headers=tenant.headers(test=True, **headers),
    )


def _stored(client: TestClient, file_url: str) -> bytes:
    parsed = httpx.URL(file_url)
    response = client.get(f"{parsed.path}?{parsed.query.decode()}")
    assert response.status_code == 200
    return response.content


def test_an_uploaded_screenshot_is_sniffed_measured_and_stored(
    client: TestClient, tenant: Tenant
) -> None:
    project_id = _project(client, tenant)
    buffer = io.BytesIO()
    Image.new("RGB", (590, 1278), "teal").save(buffer, "JPEG")
    data = buffer.getvalue()
    # The browser says PNG and the name says .png: the bytes say JPEG, and they win.
    response = _upload(client, tenant, project_id, "screenshot", "home.png", data, "image/png")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"].startswith("med_") and body["kind"] == "screenshot"
    assert body["mimeType"] == "image/jpeg"
    assert (body["width"], body["height"]) == (590, 1278)
    assert body["byteSize"] == len(data)
    assert body["url"] == "upload:home.png"
    stored = _stored(client, body["fileUrl"])
    assert hashlib.sha256(stored).digest() == hashlib.sha256(data).digest()
    listed = client.get(
        f"/v1/projects/{project_id}/app-media", headers=tenant.headers(test=True)
    ).json()["items"]
    assert [m["id"] for m in listed] == [body["id"]]


def test_an_uploaded_logo_replaces_the_fetched_one(client: TestClient, tenant: Tenant) -> None:
    project_id = _project(client, tenant)
    fetched = client.post(
        f"/v1/projects/{project_id}/app-media",
        json={"kind": "logo", "url": "https://cdn.acme.example/logo.png"},
        headers=tenant.headers(test=True),
    )
    assert fetched.status_code == 201
    uploaded = _upload(
        client, tenant, project_id, "logo", "C:\\Users\\me\\logo.png", png_bytes((256, 256))
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["url"] == "upload:logo.png"  # only the file's own name is kept
    logos = client.get(
        f"/v1/projects/{project_id}/app-media?kind=logo", headers=tenant.headers(test=True)
    ).json()["items"]
    assert [m["id"] for m in logos] == [uploaded.json()["id"]]


def test_an_uploaded_demo_video_over_the_json_body_cap(
    client: TestClient, tenant: Tenant, tmp_path: object
) -> None:
    from pathlib import Path  # only this test writes a clip

    project_id = _project(client, tenant)
    clip = Path(str(tmp_path)) / "demo.mp4"
    video.synthetic_clip(clip, seconds=2, colors=("#112233", "#445566", "#778899"))
    data = clip.read_bytes() + b"\0" * (1024 * 1024)  # past the 1 MB cap of JSON bodies
    response = _upload(client, tenant, project_id, "demo-video", "demo.mp4", data, "video/mp4")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["mimeType"] == "video/mp4" and body["byteSize"] == len(data)
    assert (body["width"], body["height"]) == (540, 960)  # read by ffmpeg


def test_a_video_ffmpeg_cannot_read_is_refused(client: TestClient, tenant: Tenant) -> None:
    project_id = _project(client, tenant)
    fake = b"\0\0\0\x18ftypisom\0\0\0\0" + b"\x42" * 4096
    response = _upload(client, tenant, project_id, "demo-video", "demo.mp4", fake)
    error = assert_error(response, 422, "UNSUPPORTED_MEDIA_TYPE")
    assert "could not be read" in error["message"]


def test_wrong_type_empty_too_large_and_undecodable_files_are_refused(
    client: TestClient, tenant: Tenant
) -> None:
    project_id = _project(client, tenant)
    text = _upload(client, tenant, project_id, "logo", "logo.png", b"hello, not a png")
    error = assert_error(text, 422, "UNSUPPORTED_MEDIA_TYPE")
    assert "image/png" in error["message"]
    video_as_logo = _upload(client, tenant, project_id, "logo", "x.mp4", b"\0\0\0\x18ftypisom" * 4)
    assert_error(video_as_logo, 422, "UNSUPPORTED_MEDIA_TYPE")
    empty = _upload(client, tenant, project_id, "screenshot", "x.png", b"")
    assert_error(empty, 422, "VALIDATION")
    broken = _upload(client, tenant, project_id, "screenshot", "x.png", png_bytes()[:40])
    assert_error(broken, 422, "UNSUPPORTED_MEDIA_TYPE")
    cap = media.KINDS["logo"].max_bytes
    big = png_bytes() + b"\0" * cap
    assert_error(
        _upload(client, tenant, project_id, "logo", "big.png", big), 422, "MEDIA_TOO_LARGE"
    )
    bad_kind = _upload(client, tenant, project_id, "banner", "x.png", png_bytes())
    assert_error(bad_kind, 422, "VALIDATION")
    no_file = client.post(
        f"/v1/projects/{project_id}/media/upload",
        data={"kind": "logo"},
        headers=tenant.headers(test=True),
    )
    assert_error(no_file, 422, "VALIDATION")
    listed = client.get(
        f"/v1/projects/{project_id}/app-media", headers=tenant.headers(test=True)
    ).json()["items"]
    assert listed == []


def test_a_body_over_the_upload_cap_is_413(client: TestClient, tenant: Tenant) -> None:
    project_id = _project(client, tenant)
    response = client.post(
        f"/v1/projects/{project_id}/media/upload",
        content=b"x",
        headers=tenant.headers(
            test=True,
            **{
                "Content-Length": str(300 * 1024 * 1024),
                "Content-Type": "multipart/form-data; boundary=b",
            },
        ),
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    # Other routes keep the JSON cap.
    other = client.post(
        "/v1/projects",
        content=b"x",
        headers=tenant.headers(test=True, **{"Content-Length": str(2 * 1024 * 1024)}),
    )
    assert_error(other, 413, "PAYLOAD_TOO_LARGE")


def test_a_retried_upload_with_a_new_boundary_replays(client: TestClient, tenant: Tenant) -> None:
    project_id = _project(client, tenant)
    first = _upload(
        client, tenant, project_id, "screenshot", "a.png", png_bytes(), **{"Idempotency-Key": "u1"}
    )
    again = _upload(
        client, tenant, project_id, "screenshot", "a.png", png_bytes(), **{"Idempotency-Key": "u1"}
    )
    assert first.status_code == again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.content == first.content
    other = _upload(
        client,
        tenant,
        project_id,
        "screenshot",
        "a.png",
        png_bytes(color="red"),
        **{"Idempotency-Key": "u1"},
    )
    assert_error(other, 409, "IDEMPOTENCY_CONFLICT")


def test_another_tenants_project_is_404(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    project_id = _project(client, other_tenant)
    response = _upload(client, tenant, project_id, "logo", "l.png", png_bytes())
    assert_error(response, 404, "NOT_FOUND")
