"""Live mode without TikTok Research API credentials (the test settings set none): a request is
validated first, exactly as in test mode, and only a valid one gets 503 UNAVAILABLE."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support import ACME, Tenant, assert_error, new_social_account, ready_influencer

SLIDESHOW, VIDEO = "7000000000000000001", "7000000000000000008"  # sandbox sources
REMIXES = [("slideshow-remix", SLIDESHOW), ("video-remix", VIDEO)]


def new_project(client: TestClient, headers: dict[str, str], **fields: Any) -> str:
    response = client.post("/v1/projects", json={**ACME, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def outcome(response: Any) -> tuple[int, str, list[str]]:
    error = response.json().get("error") or {}
    fields = [f["field"] for f in (error.get("details") or {}).get("fields") or []]
    return response.status_code, str(error.get("code")), fields


@pytest.mark.parametrize(("fmt", "source"), REMIXES)
def test_an_invalid_remix_is_refused_before_the_missing_credentials(
    client: TestClient, tenant: Tenant, fmt: str, source: str
) -> None:
    results: dict[bool, list[tuple[int, str, list[str]]]] = {}
    for test in (False, True):
        headers = tenant.headers(test=test)
        project = new_project(client, headers)
        # a project whose brief makes no influencer: an account alone finds no actor
        bare = new_project(client, headers, appDescription=None)
        account = new_social_account(bare)
        archived = new_project(client, headers, appDescription=None)
        assert client.delete(f"/v1/projects/{archived}", headers=headers).status_code == 200
        cases = [
            (project, {"tiktokVideoId": source, "influencerId": "0"}),
            (project, {"tiktokVideoId": source, "socialAccountId": "0"}),
            (project, {"tiktokVideoId": source, "influencerId": "inf_01J00000000000000000000000"}),
            (project, {"tiktokVideoId": source, "influencerId": "0", "socialAccountId": account}),
            (bare, {"tiktokVideoId": source, "socialAccountId": account}),
            (archived, {"tiktokVideoId": source, "influencerId": "0"}),
        ]
        results[test] = [
            outcome(client.post(f"/v1/projects/{pid}/content/{fmt}", json=body, headers=headers))
            for pid, body in cases
        ]
    live, sandbox = results[False], results[True]
    assert live == sandbox
    assert live == [
        (422, "VALIDATION", ["influencerId"]),
        (422, "VALIDATION", ["socialAccountId"]),
        (422, "VALIDATION", ["influencerId"]),
        (422, "VALIDATION", ["socialAccountId"]),  # another project's account
        (422, "INFLUENCER_NOT_READY", []),
        (409, "CONFLICT", []),
    ]


def test_a_valid_live_remix_without_credentials_is_unavailable(
    client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers()
    project = new_project(client, headers)
    influencer = ready_influencer(client, project, headers)
    for fmt, source in REMIXES:
        response = client.post(
            f"/v1/projects/{project}/content/{fmt}",
            json={"tiktokVideoId": source, "influencerId": influencer},
            headers=headers,
        )
        error = assert_error(response, 503, "UNAVAILABLE")
        assert "LAYERS_TIKTOK_RESEARCH_CLIENT_KEY" in error["message"]
    listed = client.get(f"/v1/projects/{project}/content", headers=headers).json()
    assert listed["items"] == []  # nothing was created


def test_live_source_recommendations_validate_before_unavailable(
    client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers()
    project = new_project(client, headers)
    base = f"/v1/projects/{project}/content/source-recommendations"
    for query, field in (("limit=0", "limit"), ("kind=photo", "kind"), ("keyword=", "keyword")):
        error = assert_error(client.get(f"{base}?{query}", headers=headers), 422, "VALIDATION")
        assert [f["field"] for f in error["details"]["fields"]] == [field]
    unknown = "/v1/projects/prj_01J00000000000000000000000/content/source-recommendations"
    assert_error(client.get(unknown, headers=headers), 404, "NOT_FOUND")
    assert_error(client.get(base, headers=headers), 503, "UNAVAILABLE")
    assert_error(client.get(f"{base}?keyword=coffee", headers=headers), 503, "UNAVAILABLE")
