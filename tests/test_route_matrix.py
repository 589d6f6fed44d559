"""Every API route, checked the same way (deny by default, tenant isolation, bad input).

The matrix is driven by the app's route table: a new route fails these tests until it has
a path-parameter fixture in `PATH_FIXTURES` and (for POST/PATCH) a sample body in
`SAMPLE_BODIES`, so no endpoint escapes the checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from layers.app import API_ROUTERS
from tests.engine.helpers import register_test_templates
from tests.social.helpers import make_account, make_state
from tests.support import (
    ACME,
    Tenant,
    assert_error,
    key_with_scopes,
    new_social_account,
    new_tenant,
    wait_for,
)

PARAM_RE = re.compile(r"{(\w+)(?::\w+)?}")

# A valid body for each POST/PATCH route (None: the route takes no body).
SAMPLE_BODIES: dict[str, dict[str, Any] | None] = {
    "PUT /v1/projects/{project_id}/top-performers/{container_id}/override": {"override": "include"},
    "POST /v1/projects": ACME,
    # multipart (a file and its kind): the matrix's JSON bodies are all bad bodies for it
    "POST /v1/projects/{project_id}/media/upload": None,
    "PATCH /v1/projects/{project_id}": {"tagline": "New tagline"},
    "POST /v1/projects/{project_id}/keywords/refresh": None,
    "POST /v1/projects/{project_id}/influencers": {"gender": "female"},
    "POST /v1/api-keys/{key_id}/kill": None,
    "POST /v1/jobs/{job_id}/cancel": None,
    "POST /v1/projects/{project_id}/layers": {"templateId": "test-pipeline", "config": {}},
    "PATCH /v1/layers/{layer_id}": {"config": {"size": 4}},
    "POST /v1/layers/{layer_id}/rollback": {"version": 1},
    "POST /v1/layers/{layer_id}/pause": None,
    "POST /v1/layers/{layer_id}/resume": None,
    "POST /api/project-layers/{project_layer_id}/execute": {"commandId": "refresh"},
    "POST /api/commands/execute": {"commandId": "refresh"},
    "POST /v1/runs/{run_id}/retry": None,
    "POST /v1/runs/{run_id}/cancel": None,
    "POST /v1/projects/{project_id}/social/oauth-url": {
        "platform": "tiktok",
        "returnUrl": "http://localhost:3000/connected",
    },
    "POST /v1/projects/{project_id}/social/reauth-url": {
        "socialAccountId": "sa_01J00000000000000000000000",
        "returnUrl": "http://localhost:3000/connected",
    },
    "PATCH /v1/social-accounts/{social_account_id}": {"postingMode": "automatic"},
    "POST /v1/projects/{project_id}/app-media": {
        "kind": "logo",
        "url": "https://cdn.acmecoffee.com/brand/logo-512.png",
    },
    "POST /v1/projects/{project_id}/content/slideshow-remix": {
        "tiktokVideoId": "7000000000000000001",
        "influencerId": "inf_01J00000000000000000000000",
    },
    "POST /v1/projects/{project_id}/content/video-remix": {
        "tiktokVideoId": "7000000000000000008",
        "influencerId": "inf_01J00000000000000000000000",
    },
    "POST /v1/projects/{project_id}/content/slideshow-builder": {"hook": "Hello\\nthere"},
    "POST /v1/projects/{project_id}/content/ugc-remix": {"hook": "Watch this"},
    "POST /v1/content/{container_id}/regenerate": {"hook": "Again"},
    "POST /v1/content/{container_id}/schedule": {
        "scheduledFor": "2031-05-15T09:00:00-07:00",
        "targets": [{"socialAccountId": "sa_01J00000000000000000000000", "mode": "publish"}],
    },
    "POST /v1/scheduled-posts/{scheduled_post_id}/retry": None,
    "POST /v1/scheduled-posts/{scheduled_post_id}/reschedule": {
        "scheduledFor": "2031-05-16T09:00:00Z"
    },
    # content review, publish-now, uploads, influencer changes (issue 14)
    "PATCH /v1/projects/{project_id}/content-review-policy": {"policy": "review_all"},
    "POST /v1/content/{container_id}/approve": {"note": "Looks good"},
    "POST /v1/content/{container_id}/reject": {"reason": "Off brand"},
    "POST /v1/content/{container_id}/publish": {
        "targets": [{"socialAccountId": "sa_01J00000000000000000000000", "mode": "publish"}],
    },
    "POST /v1/projects/{project_id}/content/upload": {
        "media": [{"url": "https://cdn.acmecoffee.com/ugc/launch.png"}],
        "caption": "",
    },
    "PATCH /v1/influencers/{influencer_id}": {"name": "Maria"},
    "POST /v1/influencers/{influencer_id}/clone": {"name": "Maria ES"},
    # sub-organizations and API keys (issue 15)
    "POST /v1/organizations": {"name": "Customer"},
    "PATCH /v1/organizations/{org_id}": {"name": "Customer renamed"},
    "POST /v1/organizations/{org_id}/suspend": None,
    "POST /v1/organizations/{org_id}/resume": None,
    "POST /v1/organizations/{org_id}/api-keys": {"name": "child", "scopes": ["projects:read"]},
    "POST /v1/organizations/{org_id}/api-keys/{key_id}/rotate": None,
    # the wallet (issue 15)
    "POST /v1/organizations/{org_id}/credits/allocate": {"credits": 1},
    "PATCH /v1/organizations/{org_id}/credit-config": {"monthlyCreditCap": 100},
    "POST /v1/api-keys": {"name": "deploy", "scopes": ["projects:read"]},
    "POST /v1/api-keys/{key_id}/rotate": None,
    # webhooks (issue 14)
    "POST /v1/webhook-endpoints": {
        "url": "https://hooks.matrix.invalid/layers",
        "events": ["post.published"],
    },
    "PATCH /v1/webhook-endpoints/{endpoint_id}": {"description": "Renamed"},
    "POST /v1/webhook-endpoints/{endpoint_id}/rotate-secret": None,
    "POST /v1/webhook-endpoints/{endpoint_id}/test": {},
    "POST /v1/webhook-deliveries/{delivery_id}/replay": None,
    # ads (issue 17)
    "POST /v1/projects/{project_id}/ads/ad-accounts/oauth-url": {
        "platform": "meta_ads",
        "returnUrl": "http://localhost:3000/connected",
    },
    "POST /v1/projects/{project_id}/ads/{platform}/campaigns": {
        "adAccountId": "aac_01J00000000000000000000000",
        "name": "Matrix",
        "outcome": "app_installs",
        "dailyBudgetCents": 5000,
    },
    "PATCH /v1/projects/{project_id}/ads/{platform}/defaults": {"killSwitchActive": False},
    "PATCH /v1/projects/{project_id}/ads/{platform}/campaigns/{campaign_id}/authority": {
        "authority": {"creative": "draft"}
    },
    "POST /v1/projects/{project_id}/ads/optimizer/run": {
        "layerId": "lyr_01J00000000000000000000000",
        "platform": "meta_ads",
    },
    "POST /v1/projects/{project_id}/ads/{platform}/pending/{pending_id}/approve": {},
    "POST /v1/projects/{project_id}/ads/{platform}/pending/{pending_id}/reject": {"reason": "No"},
    "POST /v1/projects/{project_id}/ads/{platform}/content-refresh": {
        "layerId": "lyr_01J00000000000000000000000"
    },
}

# Routes whose path names a global object (the same for every organization and mode).
GLOBAL_ROUTES = frozenset({"/v1/layer-templates/{template_id}"})


@dataclass(frozen=True)
class World:
    owner: Tenant
    intruder: Tenant
    ids: dict[str, str]


def _create_world(client: TestClient) -> World:
    register_test_templates()
    owner, intruder = new_tenant("Owner"), new_tenant("Intruder")
    headers = owner.headers()
    project = client.post("/v1/projects", json=ACME, headers=headers).json()
    influencer = client.get(f"/v1/projects/{project['id']}/influencers", headers=headers).json()
    job = client.post(f"/v1/projects/{project['id']}/keywords/refresh", headers=headers).json()
    spare_key = key_with_scopes(owner, ["projects:read"])
    key_id = client.get("/v1/whoami", headers={"Authorization": f"Bearer {spare_key}"}).json()
    layer = client.post(
        f"/v1/projects/{project['id']}/layers",
        json={"templateId": "test-pipeline"},
        headers=headers,
    ).json()
    built = client.post(
        f"/v1/projects/{project['id']}/content/slideshow-builder",
        json={"hook": "Matrix"},
        headers=headers,
    ).json()
    media_id, post_id = new_media_and_post(project["id"], built["containerId"])
    hook = client.post(
        "/v1/webhook-endpoints",
        json={"url": "https://hooks.matrix.invalid/layers", "events": ["post.published"]},
        headers=headers,
    ).json()["endpoint"]
    ping = client.post(f"/v1/webhook-endpoints/{hook['id']}/test", json={}, headers=headers).json()
    ids = {
        "layer_id": layer["id"],
        "project_layer_id": layer["id"],
        "run_id": layer["installRunId"],
        "template_id": "test-pipeline",
        "project_id": project["id"],
        "influencer_id": influencer["items"][0]["influencerId"],
        "job_id": job["jobId"],
        "key_id": key_id["apiKeyId"],
        "social_account_id": make_account(project["id"]),
        "state": make_state(project["id"], owner_key_id(client, owner)),
        "container_id": built["containerId"],
        "media_id": media_id,
        "scheduled_post_id": post_id,
        "endpoint_id": hook["id"],
        "delivery_id": ping["deliveryId"],
        "org_id": client.post("/v1/organizations", json={"name": "Child"}, headers=headers).json()[
            "id"
        ],
    }
    for job_id in (job["jobId"], built["jobId"]):
        wait_for(
            lambda job_id=job_id: (
                client.get(f"/v1/jobs/{job_id}", headers=headers).json()["status"] != "running"
            ),
            timeout=60,
        )
    return World(owner, intruder, ids)


def new_media_and_post(project_id: str, container_id: str) -> tuple[str, str]:
    """A live-mode app media row and scheduled post (live media would need the network)."""
    from layers.kit import clock
    from layers.kit import db as kit_db
    from layers.kit.ids import new_id
    from layers.models.content import AppMedia
    from layers.models.projects import Project
    from layers.models.publishing import ScheduledPost

    account_id = new_social_account(project_id)
    with kit_db.get_database().transaction() as session:
        project = session.get(Project, project_id)
        assert project is not None
        media = AppMedia(
            id=new_id("med"),
            org_id=project.org_id,
            livemode=project.livemode,
            project_id=project.id,
            kind="screenshot",
            source_url="https://cdn.acmecoffee.com/product/home.png",
            storage_key=f"projects/{project.id}/media/matrix.png",
            mime_type="image/png",
            byte_size=1,
            sha256="0" * 64,
        )
        post = ScheduledPost(
            id=new_id("sp"),
            org_id=project.org_id,
            livemode=project.livemode,
            project_id=project.id,
            social_account_id=account_id,
            container_id=container_id,
            origin="api",
            mode="publish",
            status="ready",
            scheduled_at=clock.now(),
            attempt_count=0,
        )
        session.add_all([media, post])
        return media.id, post.id


# How to produce each path parameter for an object owned by `world.owner` (live mode).
PATH_FIXTURES: dict[str, Callable[[World], str]] = {
    # ads (issue 17): a path platform, and ids that exist for no one
    "platform": lambda world: "meta",
    "campaign_id": lambda world: "cmp_01J00000000000000000000000",
    "pending_id": lambda world: "pa_01J00000000000000000000000",
    **{
        name: (lambda world, name=name: world.ids[name])  # type: ignore[misc]
        for name in (
            "project_id",
            "influencer_id",
            "job_id",
            "key_id",
            "layer_id",
            "project_layer_id",
            "run_id",
            "template_id",
            "social_account_id",
            "state",
            "container_id",
            "media_id",
            "scheduled_post_id",
            "org_id",
            "endpoint_id",
            "delivery_id",
        )
    },
}


# Required query parameters of a route, for an object owned by `world.owner`.
QUERY_FIXTURES: dict[str, Callable[[World], dict[str, str]]] = {
    "/v1/projects/{project_id}/metrics": lambda world: {
        "scope": "project",
        "id": world.ids["project_id"],
    },
    "/v1/projects/{project_id}/top-performers": lambda world: {"metric": "views"},
    "/v1/projects/{project_id}/social/oauth-status": lambda world: {"state": world.ids["state"]},
    "/v1/projects/{project_id}/ads-metrics": lambda world: {
        "scope": "project",
        "id": world.ids["project_id"],
    },
}


def owner_key_id(client: TestClient, owner: Tenant) -> str:
    return str(client.get("/v1/whoami", headers=owner.headers()).json()["apiKeyId"])


@pytest.fixture(scope="module")
def world(client: TestClient) -> World:
    return _create_world(client)


def api_routes() -> Iterator[tuple[str, APIRoute]]:
    """Every (method, route) of the routers the app mounts under /v1 and /api."""
    for router in API_ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.path.startswith(("/v1/", "/api/")):
                for method in sorted(route.methods):
                    yield method, route


ROUTES = list(api_routes())
PARAMS = [pytest.param(method, route, id=f"{method} {route.path}") for method, route in ROUTES]


def fill(route: APIRoute, world: World) -> str:
    path = route.path
    for name in PARAM_RE.findall(route.path):
        assert name in PATH_FIXTURES, f"add a PATH_FIXTURES entry for path parameter '{name}'"
        path = re.sub(r"{" + name + r"(?::\w+)?}", PATH_FIXTURES[name](world), path)
    query = QUERY_FIXTURES.get(route.path)
    return f"{path}?{urlencode(query(world))}" if query else path


# Routes that take a multipart form (a file upload): what the matrix sends them instead of JSON.
MULTIPART_SAMPLES: dict[str, dict[str, Any]] = {
    "POST /v1/projects/{project_id}/media/upload": {
        "data": {"kind": "logo"},
        "files": {"file": ("logo.png", b"\x89PNG\r\n\x1a\n", "image/png")},
    },
}


def send(client: TestClient, method: str, route: APIRoute, path: str, **kwargs: Any) -> Any:
    """The request the matrix makes: a route's sample JSON body, or its multipart form."""
    form = MULTIPART_SAMPLES.get(f"{method} {route.path}")
    if form is not None:
        return client.request(method, path, **form, **kwargs)
    return client.request(method, path, json=body_for(method, route), **kwargs)


def body_for(method: str, route: APIRoute) -> dict[str, Any] | None:
    if method not in ("POST", "PATCH", "PUT"):
        return None
    key = f"{method} {route.path}"
    assert key in SAMPLE_BODIES, f"add a SAMPLE_BODIES entry for '{key}'"
    return SAMPLE_BODIES[key]


@pytest.mark.parametrize(("method", "route"), PARAMS)
def test_route_declares_its_scope(method: str, route: APIRoute) -> None:
    declared = [getattr(dep.call, "__layers_scope__", None) for dep in route.dependant.dependencies]
    assert any(scope is not None for scope in declared), (
        f"{method} {route.path} must declare requires(scope) or authenticated"
    )


@pytest.mark.parametrize(("method", "route"), PARAMS)
def test_no_key_is_401(client: TestClient, world: World, method: str, route: APIRoute) -> None:
    response = send(client, method, route, fill(route, world))
    assert_error(response, 401, "UNAUTHENTICATED")


@pytest.mark.parametrize(
    ("method", "route"),
    [
        p
        for p in PARAMS
        if PARAM_RE.search(p.values[1].path)  # type: ignore[union-attr]
        and p.values[1].path not in GLOBAL_ROUTES  # type: ignore[union-attr]
    ],
)
def test_other_organization_and_other_mode_get_404(
    client: TestClient, world: World, method: str, route: APIRoute
) -> None:
    path = fill(route, world)
    for headers in (world.intruder.headers(), world.owner.headers(test=True)):
        response = send(client, method, route, path, headers=headers)
        assert_error(response, 404, "NOT_FOUND")


BAD_BODIES: list[Any] = [b"{not json", b"[1, 2]", b'"text"', b"null", b"42"]


@pytest.mark.parametrize(
    ("method", "route"), [p for p in PARAMS if p.values[0] in ("POST", "PATCH")]
)
def test_bad_bodies_are_422_never_500(
    client: TestClient, world: World, method: str, route: APIRoute
) -> None:
    sample = body_for(method, route)
    if route.body_field is None:
        pytest.skip("route takes no body")
    path = fill(route, world)
    headers = world.owner.headers(**{"Content-Type": "application/json"})
    cases: list[bytes | dict[str, Any]] = [*BAD_BODIES, {"unknownField": 1}]
    if sample:
        cases.append({name: [[["x"]]] for name in sample})
    for case in cases:
        if isinstance(case, bytes):
            response = client.request(method, path, content=case, headers=headers)
        else:
            response = client.request(method, path, json=case, headers=headers)
        error = assert_error(response, 422, "VALIDATION")
        assert error["details"]["fields"], case
