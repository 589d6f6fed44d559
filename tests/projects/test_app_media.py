from __future__ import annotations

import hashlib
import io
import ipaddress
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from layers.kit.safe_http import FetchPolicy, is_public_address
from layers.projects.media.fetch import registry as fetchers
from layers.projects.media.fetch.http import GuardedFetcher
from tests.support import ACME, FakeOrigin, Served, Tenant, assert_error, png_bytes

QUICKSTART_MEDIA = [
    ("logo", "https://cdn.acmecoffee.com/brand/logo-512.png", "image/png"),
    ("screenshot", "https://cdn.acmecoffee.com/product/home.png", "image/png"),
    ("demo-video", "https://cdn.acmecoffee.com/marketing/30s-demo.mp4", "video/mp4"),
]


def fetch_signed(client: TestClient, url: str) -> httpx.Response:
    parsed = httpx.URL(url)
    return client.get(f"{parsed.path}?{parsed.query.decode()}")


def new_project(client: TestClient, headers: dict[str, str]) -> str:
    return str(client.post("/v1/projects", json=ACME, headers=headers).json()["id"])


def test_quickstart_step_2_in_test_mode(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True, **{"Idempotency-Key": "x"})
    project_id = new_project(client, tenant.headers(test=True))
    for kind, url, mime in QUICKSTART_MEDIA:
        headers["Idempotency-Key"] = f"media-{kind}"
        response = client.post(
            f"/v1/projects/{project_id}/app-media", json={"kind": kind, "url": url}, headers=headers
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert {"id", "kind", "url", "mimeType", "byteSize", "createdAt"} <= set(body)
        assert body["id"].startswith("med_") and body["kind"] == kind and body["url"] == url
        assert body["mimeType"] == mime and body["createdAt"].endswith("Z")
        stored = fetch_signed(client, body["fileUrl"])
        assert stored.status_code == 200 and len(stored.content) == body["byteSize"]
        if mime == "image/png":
            image = Image.open(io.BytesIO(stored.content))
            assert image.format == "PNG" and image.size == (body["width"], body["height"])
        else:
            assert stored.content[4:8] == b"ftyp"
    listed = client.get(f"/v1/projects/{project_id}/app-media", headers=tenant.headers(test=True))
    assert sorted(i["kind"] for i in listed.json()["items"]) == ["demo-video", "logo", "screenshot"]


def test_logo_replaces_screenshots_append_delete_removes(
    client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = new_project(client, headers)
    base = f"/v1/projects/{project_id}/app-media"
    first = client.post(
        base, json={"kind": "logo", "url": "https://a.example.com/l.png"}, headers=headers
    )
    second = client.post(
        base, json={"kind": "logo", "url": "https://a.example.com/l2.jpg"}, headers=headers
    )
    assert second.json()["mimeType"] == "image/jpeg"  # sniffed from the bytes
    for n in range(3):
        client.post(
            base,
            json={"kind": "screenshot", "url": f"https://a.example.com/s{n}.webp"},
            headers=headers,
        )
    logos = client.get(f"{base}?kind=logo", headers=headers).json()["items"]
    assert [m["id"] for m in logos] == [second.json()["id"]]
    shots = client.get(f"{base}?kind=screenshot&limit=2", headers=headers).json()
    assert len(shots["items"]) == 2 and shots["nextCursor"]
    assert all(m["mimeType"] == "image/webp" for m in shots["items"])
    rest = client.get(f"{base}?kind=screenshot&cursor={shots['nextCursor']}", headers=headers)
    assert len(rest.json()["items"]) == 1
    deleted = client.delete(f"{base}/{first.json()['id']}", headers=headers)
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    victim = shots["items"][0]["id"]
    assert client.delete(f"{base}/{victim}", headers=headers).status_code == 200
    again = client.delete(f"{base}/{victim}", headers=headers)
    assert again.status_code == 200  # idempotent
    remaining = client.get(f"{base}?kind=screenshot", headers=headers).json()["items"]
    assert victim not in [m["id"] for m in remaining] and len(remaining) == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://cdn.acmecoffee.com/logo.png",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:127.0.0.1]/logo.png",
        "https://2130706433/logo.png",
        "https://user:pw@cdn.acmecoffee.com/logo.png",
        "https://localhost/logo.png",
        "ftp://cdn.acmecoffee.com/logo.png",
    ],
)
def test_the_sandbox_fetcher_still_checks_the_url(
    client: TestClient, tenant: Tenant, url: str
) -> None:
    headers = tenant.headers(test=True)
    project_id = new_project(client, headers)
    response = client.post(
        f"/v1/projects/{project_id}/app-media", json={"kind": "logo", "url": url}, headers=headers
    )
    error = assert_error(response, 422, "URL_NOT_ALLOWED")
    assert error["details"]["reason"]


def test_bad_kind_is_422(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    project_id = new_project(client, headers)
    response = client.post(
        f"/v1/projects/{project_id}/app-media",
        json={"kind": "banner", "url": "https://a.example.com/x.png"},
        headers=headers,
    )
    assert_error(response, 422, "VALIDATION")


# ---- live mode: the real guarded fetcher, pointed at a local origin ------------------------


@pytest.fixture
def origin(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOrigin]:
    server = FakeOrigin()
    loopback = ipaddress.ip_address("127.0.0.1")
    policy = FetchPolicy(
        schemes=frozenset({"http"}),
        resolver=lambda host, port: ["127.0.0.1"] if host == "cdn.partner.example" else [],
        address_allowed=lambda ip: ip == loopback or is_public_address(ip),
    )
    monkeypatch.setitem(fetchers.FETCHERS, fetchers.LIVE, lambda settings: GuardedFetcher(policy))
    yield server
    server.close()


def test_live_upload_streams_sniffs_and_stores(
    client: TestClient, tenant: Tenant, origin: FakeOrigin
) -> None:
    headers = tenant.headers()
    project_id = new_project(client, headers)
    body = png_bytes((120, 80), "teal")
    origin.routes["/logo"] = Served(body, headers={"Content-Type": "application/octet-stream"})
    response = client.post(
        f"/v1/projects/{project_id}/app-media",
        json={"kind": "logo", "url": origin.url("/logo")},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["mimeType"] == "image/png" and out["byteSize"] == len(body)
    assert (out["width"], out["height"]) == (120, 80)
    stored = fetch_signed(client, out["fileUrl"])
    assert hashlib.sha256(stored.content).digest() == hashlib.sha256(body).digest()


def test_live_6mb_logo_is_refused_before_6mb_are_read(
    client: TestClient, tenant: Tenant, origin: FakeOrigin
) -> None:
    headers = tenant.headers()
    project_id = new_project(client, headers)
    head = png_bytes((8, 8))
    origin.routes["/huge.png"] = Served(
        head + b"\0" * (6 * 1024 * 1024 - len(head)), content_length=False, pause=0.004
    )
    response = client.post(
        f"/v1/projects/{project_id}/app-media",
        json={"kind": "logo", "url": origin.url("/huge.png")},
        headers=headers,
    )
    error = assert_error(response, 422, "MEDIA_TOO_LARGE")
    assert error["details"]["maxBytes"] == 5 * 1024 * 1024
    assert origin.sent["/huge.png"] < 6 * 1024 * 1024
    listed = client.get(f"/v1/projects/{project_id}/app-media", headers=headers).json()
    assert listed["items"] == []


def test_live_wrong_type_and_broken_images(
    client: TestClient, tenant: Tenant, origin: FakeOrigin
) -> None:
    headers = tenant.headers()
    project_id = new_project(client, headers)
    origin.routes["/shot.png"] = Served(b"<html>not an image</html>" * 40)
    origin.routes["/broken.png"] = Served(png_bytes()[:40] + b"garbage" * 100)
    origin.routes["/clip.mp4"] = Served(png_bytes())
    url = f"/v1/projects/{project_id}/app-media"
    cases = [
        ("screenshot", "/shot.png", "UNSUPPORTED_MEDIA_TYPE"),
        ("screenshot", "/broken.png", "UNSUPPORTED_MEDIA_TYPE"),
        ("demo-video", "/clip.mp4", "UNSUPPORTED_MEDIA_TYPE"),  # a PNG is not a video
        ("logo", "/missing.png", "MEDIA_FETCH_FAILED"),
    ]
    for kind, path, code in cases:
        response = client.post(url, json={"kind": kind, "url": origin.url(path)}, headers=headers)
        assert_error(response, 422, code)


def test_sandbox_svg_logo_of_an_app_named_with_markup_characters(
    client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project = client.post(
        "/v1/projects", json={**ACME, "appName": "& <Co> Coffee"}, headers=headers
    ).json()
    response = client.post(
        f"/v1/projects/{project['id']}/app-media",
        json={"kind": "logo", "url": "https://cdn.acmecoffee.com/brand/logo.svg"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["mimeType"] == "image/svg+xml"
    stored = fetch_signed(client, response.json()["fileUrl"]).content
    assert b">&amp;&lt;</text>" in stored
