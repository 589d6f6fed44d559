"""The formats that need an actor say so in the OpenAPI document, not only at run time.

Found by the fuzz run: `{"tiktokVideoId": …}` to a remix and `{}` to ugc-remix were valid
against the document yet refused (422, no actor). The request schemas now require at least
one of influencerId / socialAccountId (a string, not null), and the server's 422 is unchanged.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from layers.app import openapi_document
from tests.support import ACME, Tenant, assert_error

SOURCE = "7181590732950573955"
# operation (format), a body without an actor, the same body with each actor
NEEDS_AN_ACTOR = [
    ("slideshow-remix", {"tiktokVideoId": SOURCE}),
    ("video-remix", {"tiktokVideoId": SOURCE}),
    ("ugc-remix", {}),
]


def body_validator(fmt: str) -> jsonschema.Draft202012Validator:
    document = openapi_document()
    operation = document["paths"][f"/v1/projects/{{project_id}}/content/{fmt}"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    # resolve `#/components/schemas/…` against the whole document
    return jsonschema.Draft202012Validator({**schema, "components": document["components"]})


@pytest.mark.parametrize(("fmt", "bare"), NEEDS_AN_ACTOR)
def test_the_document_requires_an_actor(fmt: str, bare: dict[str, Any]) -> None:
    validator = body_validator(fmt)
    refused = [
        bare,
        {**bare, "influencerId": None},
        {**bare, "socialAccountId": None},
        {**bare, "influencerId": None, "socialAccountId": None},
    ]
    for body in refused:
        assert not validator.is_valid(body), body
    accepted = [
        {**bare, "influencerId": "inf_1"},
        {**bare, "socialAccountId": "sa_1"},
        {**bare, "influencerId": "inf_1", "socialAccountId": None},
        {**bare, "influencerId": None, "socialAccountId": "sa_1"},
        {**bare, "influencerId": "inf_1", "socialAccountId": "sa_1"},
    ]
    for body in accepted:
        assert validator.is_valid(body), body


def test_slideshow_builder_needs_no_actor() -> None:
    assert body_validator("slideshow-builder").is_valid({"hook": "Hi"})


@pytest.mark.parametrize(("fmt", "bare"), NEEDS_AN_ACTOR)
def test_the_server_still_names_influencer_id(
    client: TestClient, tenant: Tenant, fmt: str, bare: dict[str, Any]
) -> None:
    headers = tenant.headers(test=True)
    project = client.post("/v1/projects", json=ACME, headers=headers).json()["id"]
    for body in (bare, {**bare, "influencerId": None, "socialAccountId": None}):
        response = client.post(f"/v1/projects/{project}/content/{fmt}", json=body, headers=headers)
        error = assert_error(response, 422, "VALIDATION")
        assert error["message"] == (
            "Give influencerId or socialAccountId: this format needs an actor."
        )
        assert error["details"]["fields"] == [
            {
                "field": "influencerId",
                "message": "influencerId or socialAccountId is required",
                "type": "missing",
            }
        ]
