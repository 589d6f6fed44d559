"""Sibling child organizations see nothing of each other, over every list endpoint.

The list endpoints are read from the app's route table (every GET whose response has
``items``), so a new list route is covered the day it is added: it fails here until its path
parameters have a fixture in `PATH_IDS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from layers.app import API_ROUTERS
from layers.kit import db as kit_db
from layers.orgs.scopes import ALL_SCOPES
from layers.orgs.wallet import service as wallet
from tests.engine.helpers import register_test_templates
from tests.orgs.helpers import bearer, create_child, mint_child_key
from tests.support import ACME, assert_error, new_social_account, new_tenant, wait_for

ID_RE = re.compile(r"\b[a-z]{2,5}_[0-9A-HJKMNP-TV-Z]{26}\b")
PARAM_RE = re.compile(r"{(\w+)(?::\w+)?}")
DATA_SCOPES = sorted(ALL_SCOPES - {"org:admin"})

# Required query parameters of list routes.
QUERY: dict[str, dict[str, str]] = {
    "/v1/projects/{project_id}/top-performers": {"metric": "views"},
}


@dataclass(frozen=True)
class Siblings:
    parent_ids: set[str]
    a_org: str
    a_headers: dict[str, str]
    b_headers: dict[str, str]
    path_ids: dict[str, str]


def list_routes() -> Iterator[APIRoute]:
    for router in API_ROUTERS:
        for route in router.routes:
            if not isinstance(route, APIRoute) or "GET" not in route.methods:
                continue
            model = route.response_model
            fields = getattr(model, "model_fields", {})
            if "items" in fields:
                yield route


LIST_ROUTES = list(list_routes())


@pytest.fixture(scope="module")
def siblings(client: TestClient) -> Siblings:
    register_test_templates()
    parent = new_tenant("Agency")
    a, b = create_child(client, parent, "Customer A"), create_child(client, parent, "Customer B")
    with kit_db.get_database().transaction() as session:
        wallet.grant(session, a["id"], 500, description="tenancy test")
    a_key = mint_child_key(client, parent, a["id"], DATA_SCOPES)["key"]
    b_key = mint_child_key(client, parent, b["id"], DATA_SCOPES)["key"]
    headers = bearer(a_key)
    project = client.post("/v1/projects", json=ACME, headers=headers).json()
    layer = client.post(
        f"/v1/projects/{project['id']}/layers",
        json={"templateId": "test-pipeline"},
        headers=headers,
    ).json()
    built = client.post(
        f"/v1/projects/{project['id']}/content/slideshow-builder",
        json={"hook": "Tenancy"},
        headers=headers,
    ).json()
    assert "jobId" in built, built
    new_social_account(project["id"])
    endpoint = client.post(
        "/v1/webhook-endpoints",
        json={"url": "https://hooks.example.com/layers", "events": ["job.completed"]},
        headers=headers,
    )
    assert endpoint.status_code == 201, endpoint.text
    wait_for(
        lambda: (
            client.get(f"/v1/jobs/{built['jobId']}", headers=headers).json()["status"] != "running"
        ),
        timeout=60,
    )
    return Siblings(
        parent_ids={
            parent.org_id,
            client.get("/v1/whoami", headers=parent.headers()).json()["apiKeyId"],
        },
        a_org=a["id"],
        a_headers=headers,
        b_headers=bearer(b_key),
        path_ids={
            "project_id": project["id"],
            "layer_id": layer["id"],
            "run_id": layer["installRunId"],
            "org_id": a["id"],
            "endpoint_id": endpoint.json()["endpoint"]["id"],
            "platform": "meta",  # the ads routes' path platform
        },
    )


def fill(route: APIRoute, ids: dict[str, str]) -> str:
    path = route.path
    for name in PARAM_RE.findall(route.path):
        assert name in ids, f"add a fixture for path parameter '{name}' of {route.path}"
        path = re.sub(r"{" + name + r"(?::\w+)?}", ids[name], path)
    return path


def ids_in(body: Any) -> set[str]:
    """The ids in a response, leaving out the request paths an audit row quotes (what the
    caller itself sent: the sibling's own refused attempts at the first child's URLs)."""
    return set(ID_RE.findall(str(_without_paths(body))))


def _without_paths(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _without_paths(v) for k, v in body.items() if k != "path"}
    if isinstance(body, list):
        return [_without_paths(v) for v in body]
    return body


def test_the_list_routes_are_found() -> None:
    paths = {route.path for route in LIST_ROUTES}
    assert {"/v1/projects", "/v1/organizations", "/v1/audit-log"} <= paths


@pytest.mark.parametrize("route", LIST_ROUTES, ids=[r.path for r in LIST_ROUTES])
def test_a_sibling_sees_nothing(client: TestClient, siblings: Siblings, route: APIRoute) -> None:
    path = fill(route, siblings.path_ids)
    params = QUERY.get(route.path, {})
    own = client.get(path, params=params, headers=siblings.a_headers)
    a_ids = ids_in(own.json()) | {siblings.a_org, *siblings.path_ids.values()}
    a_ids -= siblings.parent_ids
    other = client.get(path, params=params, headers=siblings.b_headers)
    if PARAM_RE.search(route.path):
        # A's object named in the path: the sibling gets a 404 (or, on a control-plane
        # route, a 403: a child key never holds org:admin).
        assert other.status_code in (403, 404), (route.path, other.text)
        assert_error(
            other, other.status_code, "NOT_FOUND" if other.status_code == 404 else "FORBIDDEN_SCOPE"
        )
        return
    if other.status_code == 403:
        assert_error(other, 403, "FORBIDDEN_SCOPE")
        return
    assert other.status_code == 200, (route.path, other.text)
    leaked = ids_in(other.json()) & a_ids
    assert not leaked, f"{route.path} shows the sibling's {sorted(leaked)}"


def test_the_sibling_world_is_not_empty(client: TestClient, siblings: Siblings) -> None:
    """The check above means something: the first child's own lists hold its objects."""
    for path in ("/v1/projects", "/v1/runs", "/v1/webhook-endpoints", "/v1/audit-log"):
        assert client.get(path, headers=siblings.a_headers).json()["items"], path


def test_a_sibling_cannot_act_in_the_other(client: TestClient, siblings: Siblings) -> None:
    headers = {**siblings.b_headers, "X-Layers-Organization": siblings.a_org}
    assert_error(client.get("/v1/projects", headers=headers), 404, "NOT_FOUND")
