"""Schemathesis fuzzes every operation of our own OpenAPI document.

No generated request may produce a server error, and every response must match the
documented status codes, content types and schemas; schema-violating requests must be
rejected and schema-valid ones accepted.

Random path ids would make nearly every case a 404, so the fuzz tenant owns real test-mode
objects (`FuzzWorld`): a project with app media, keywords and an influencer, a social account
connected through the sandbox OAuth flow, an installed Social Distribution layer and its run,
a generated content container with its job, scheduled posts. Path parameters, and query
parameters and body fields that name an object, mostly get those objects' ids in place of the
generated values (a fixed share keep theirs, for the 404 paths); a generation a case starts is
canceled at once, so that rendering does not slow the rest.

``LAYERS_FUZZ_EXAMPLES`` sets the examples per operation (``make fuzz`` runs more).
"""

from __future__ import annotations

import os
import re
import zlib
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from layers.app import openapi_document
from layers.kit import db as kit_db
from layers.models.engine import LayerSchedule, ProjectLayer
from layers.models.jobs import Job
from layers.orgs import service as orgs
from tests.engine.helpers import install
from tests.support import ACME, Tenant, new_tenant, ready_influencer, wait_for_job

EXAMPLES = int(os.environ.get("LAYERS_FUZZ_EXAMPLES", "25"))
# Out of 10 generated ids (path, query or body), how many are replaced by a real object's.
REAL_IN_TEN = 8
RETURN_URL = "http://localhost:5173/social/connected"


def _serve_document(_request: Any) -> JSONResponse:
    return JSONResponse(openapi_document())


class DeferredApp:
    """The ASGI app schemathesis calls. The session's app is plugged in by a fixture; before
    that (while the module loads) only the OpenAPI document is served."""

    target: Any = None
    placeholder = Starlette(routes=[Route("/openapi.json", _serve_document)])

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await (self.target or self.placeholder)(scope, receive, send)


deferred = DeferredApp()
schema = schemathesis.openapi.from_asgi("/openapi.json", deferred)
PLACEHOLDER = "Bearer fuzz-key-placeholder"


@schema.auth()
class FuzzKey:
    """The API's auth as schemathesis knows it. Cases are generated before the tenant exists
    (at collection), so they carry a placeholder that the test swaps for the real key; a
    case generated without auth stays without it."""

    def get(self, case: Any, context: Any) -> str:
        return PLACEHOLDER

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": data}


# ---- the fuzz tenant's real objects ----


@dataclass
class FuzzWorld:
    """Real ids by parameter name, in three sets: `main` for the operations that read or
    change an object, `spare` for those that remove one (so that deleting an account or a
    layer, or killing a key, does not leave every later case a 404 or a 409), `throwaway` for
    the project update and delete (an archived project refuses most writes under it)."""

    token: str = ""
    client: TestClient | None = None
    main: dict[str, list[str]] = field(default_factory=dict)
    spare: dict[str, list[str]] = field(default_factory=dict)
    throwaway: dict[str, list[str]] = field(default_factory=dict)

    def ids_for(self, method: str, path: str) -> dict[str, list[str]]:
        if path == "/v1/projects/{project_id}" and method in ("PATCH", "DELETE"):
            return self.throwaway
        if method == "DELETE" or path.endswith("/kill"):
            return self.spare
        return self.main


world = FuzzWorld()

# Query parameters and body fields that name an object (or need a value only the server
# knows), by the pool of `FuzzWorld` they draw from.
QUERY_IDS = {
    "state": "state",
    "projectId": "project_id",
    "layerId": "layer_id",
    "socialAccountId": "social_account_id",
    "templateId": "template_id",
}
BODY_IDS = {
    "socialAccountId": "social_account_id",
    "influencerId": "influencer_id",
    "mediaId": "media_id",
    "containerId": "container_id",
    "templateId": "template_id",
    "commandId": "command_id",
    "tiktokVideoId": "tiktok_video_id",
    "returnUrl": "return_url",
    "scheduledFor": "scheduled_for",
}


def _connect_sandbox_account(client: TestClient, headers: dict[str, str], project: str) -> str:
    """The sandbox OAuth dance in test mode: oauth-url, allow, callback; the account's id."""
    started = client.post(
        f"/v1/projects/{project}/social/oauth-url",
        json={"platform": "tiktok", "returnUrl": RETURN_URL},
        headers=headers,
    )
    assert started.status_code == 200, started.text
    parts = urlsplit(started.json()["authorizeUrl"])
    allowed = client.get(f"{parts.path}?{parts.query}&decision=allow", follow_redirects=False)
    assert allowed.status_code == 302, allowed.text
    back = urlsplit(allowed.headers["location"])
    done = client.get(f"{back.path}?{back.query}", follow_redirects=False)
    assert parse_qs(urlsplit(done.headers["location"]).query)["status"] == ["success"]
    status = client.get(
        f"/v1/projects/{project}/social/oauth-status",
        params={"state": started.json()["state"]},
        headers=headers,
    ).json()
    assert status["status"] == "completed", status
    return str(status["socialAccountId"])


def _post(client: TestClient, headers: dict[str, str], path: str, body: Any) -> Any:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201, 202), response.text
    return response.json()


def _build_world(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    with kit_db.get_database().transaction() as session:
        org = session.get(orgs.Organization, tenant.org_id)
        assert org is not None
        spare_key, _ = orgs.create_api_key(session, org, livemode=False, name="spare", scopes=["*"])
        spare_key_id = spare_key.id

    # main: a project with a brief (its influencer and keywords follow), a demo video, an
    # account, a distribution layer bound to it (its install run), content and a post
    project = _post(client, headers, "/v1/projects", ACME)["id"]
    demo = "https://cdn.acmecoffee.com/demo.mp4"
    media = _post(
        client, headers, f"/v1/projects/{project}/app-media", {"kind": "demo-video", "url": demo}
    )
    keywords_job = _post(client, headers, f"/v1/projects/{project}/keywords/refresh", None)
    account = _connect_sandbox_account(client, headers, project)
    pending_state = _post(
        client,
        headers,
        f"/v1/projects/{project}/social/oauth-url",
        {"platform": "instagram", "returnUrl": RETURN_URL},
    )["state"]
    layer = install(
        client,
        headers,
        project,
        {"social": {"socialAccountId": account}},
        template_id="social-distribution",
    )
    assert layer["status"] == "active", layer
    influencer = ready_influencer(client, project, headers)
    generated = _post(
        client,
        headers,
        f"/v1/projects/{project}/content/slideshow-builder",
        {"hook": "Coffee that shows up\\nbefore you run out", "influencerId": influencer},
    )
    job = wait_for_job(client, generated["jobId"], headers)
    assert job["status"] == "completed", job
    container = generated["containerId"]
    schedule = {
        "scheduledFor": "2031-01-01T10:00:00Z",
        "targets": [{"socialAccountId": account, "mode": "publish"}],
    }
    posts = [
        _post(client, headers, f"/v1/content/{container}/schedule", schedule)["scheduledPostIds"][0]
        for _ in range(2)
    ]
    sources = client.get(
        f"/v1/projects/{project}/content/source-recommendations", headers=headers
    ).json()["items"]
    world.main = {
        "key_id": [spare_key_id],
        "project_id": [project],
        "media_id": [media["id"]],
        "influencer_id": [influencer],
        "job_id": [generated["jobId"], keywords_job["jobId"]],
        "template_id": ["social-distribution"],
        "layer_id": [layer["id"]],
        "project_layer_id": [layer["id"]],
        "run_id": [layer["installRunId"]],
        "state": [pending_state],
        "social_account_id": [account],
        "container_id": [container],
        "scheduled_post_id": [posts[0]],
        "command_id": ["refresh-schedule", "attach-to-schedule"],
        "tiktok_video_id": [
            next(s["tiktokId"] for s in sources if s["kind"] == kind)
            for kind in ("slideshow", "video")
        ],
        "return_url": [RETURN_URL],
        "scheduled_for": ["2031-01-01T10:00:00Z", "2031-06-01T09:30:00"],
    }

    # spare: a second project with its own media, account and layer, and a second post
    other = _post(client, headers, "/v1/projects", {"name": "Fuzz spare", "timezone": "UTC"})["id"]
    other_media = _post(
        client, headers, f"/v1/projects/{other}/app-media", {"kind": "logo", "url": demo}
    )
    other_account = _connect_sandbox_account(client, headers, other)
    other_layer = install(
        client,
        headers,
        other,
        {"social": {"socialAccountId": other_account}},
        template_id="social-distribution",
    )
    assert other_layer["status"] == "active", other_layer
    world.spare = {
        **world.main,
        "project_id": [other],
        "media_id": [other_media["id"]],
        "social_account_id": [other_account],
        "layer_id": [other_layer["id"]],
        "project_layer_id": [other_layer["id"]],
        "scheduled_post_id": [posts[1]],
    }
    throwaway = _post(
        client, headers, "/v1/projects", {"name": "Fuzz throwaway", "timezone": "UTC"}
    )
    world.throwaway = {**world.main, "project_id": [throwaway["id"]]}


@pytest.fixture(scope="module", autouse=True)
def fuzz_tenant(app: Any, client: TestClient) -> Iterator[None]:
    deferred.target = app
    tenant = new_tenant("Fuzz")
    world.token = tenant.test
    world.client = client
    _build_world(client, tenant)
    yield
    _settle(client, tenant)


def _settle(client: TestClient, tenant: Tenant) -> None:
    """Leave nothing running for later tests: cancel the fuzz tenant's unfinished jobs (the
    generations its cases started) and drop its layers' schedules (the scheduler's tick is
    global)."""
    with kit_db.get_database().transaction() as session:
        running = list(
            session.scalars(
                sa.select(Job.id).where(Job.org_id == tenant.org_id, Job.status == "running")
            )
        )
        mine = sa.select(ProjectLayer.id).where(ProjectLayer.org_id == tenant.org_id)
        session.execute(sa.delete(LayerSchedule).where(LayerSchedule.layer_id.in_(mine)))
    for job_id in running:
        client.post(f"/v1/jobs/{job_id}/cancel", headers=tenant.headers(test=True))


# ---- from generated cases to real ones ----


def _pick(generated: Any, ids: list[str]) -> Any:
    """A real id for most generated values (which one, and whether at all, follows from the
    generated value, so a case replays the same), the generated value otherwise."""
    digest = zlib.crc32(repr(generated).encode())
    if digest % 10 >= REAL_IN_TEN:
        return generated
    return ids[(digest // 10) % len(ids)]


def _swap_body_ids(value: Any, ids: dict[str, list[str]]) -> Any:
    if isinstance(value, dict):
        return {
            key: (
                _pick(item, ids[BODY_IDS[key]])
                if key in BODY_IDS and isinstance(item, str)
                else _swap_body_ids(item, ids)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_swap_body_ids(item, ids) for item in value]
    return value


def use_real_ids(case: Any) -> None:
    ids = world.ids_for(case.method.upper(), case.path)
    for name, value in list((case.path_parameters or {}).items()):
        if name in ids:
            case.path_parameters[name] = _pick(value, ids[name])
    for name, value in list((case.query or {}).items()):
        if name in QUERY_IDS and isinstance(value, str):
            case.query[name] = _pick(value, ids[QUERY_IDS[name]])
    if isinstance(case.body, dict | list):
        case.body = _swap_body_ids(case.body, ids)
    _own_idempotency_key(case)


def _own_idempotency_key(case: Any) -> None:
    """A generated Idempotency-Key is short ("0", "A"), so most cases would share one and all
    but the first would be a 409 IDEMPOTENCY_CONFLICT. Most keys become one of the case's own
    (a replay of the same case replays; another request never collides); the rest stay shared."""
    headers = case.headers or {}
    name = next((h for h in headers if h.lower() == "idempotency-key"), None)
    key = headers.get(name) if name else None
    # a key the document refuses (empty, too long, not printable ASCII) stays as generated
    if name is None or not isinstance(key, str) or not re.fullmatch(r"[ -~]{1,200}", key):
        return
    request = repr((case.method, case.path, case.path_parameters, case.query, case.body))
    if zlib.crc32(key.encode()) % 10 < REAL_IN_TEN:
        headers[name] = f"fuzz-{zlib.crc32(request.encode()):08x}-{key}"


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _beyond_the_schema(case: Any) -> bool:
    if case.query and "cursor" in case.query:
        return True
    if any(_has_nul(part) for part in (case.query, case.path_parameters, case.body)):
        return True
    body = case.body if isinstance(case.body, dict) else {}
    zone = body.get("timezone")
    return isinstance(zone, str) and zone not in zoneinfo.available_timezones()


# Refusals (422) of schema-valid requests that are right by design: what decides is stored
# state, a server policy or a rule across fields, which no schema of the request can state. For
# these the check that schema-valid data is accepted does not apply; any other refusal of a
# schema-valid request still fails the run. Keyed by error code or by `details.fields[].type`.
REFUSALS_BEYOND_THE_SCHEMA = {
    "RETURN_URL_NOT_ALLOWED": "the returnUrl host must be on the key's allowed return domains",
    "URL_NOT_ALLOWED": "the SSRF guard judges where a URL leads (https, a public host)",
    "SOURCE_NOT_FOUND": "the TikTok source must exist and be of the format's kind",
    "INFLUENCER_NOT_READY": "the influencer (or the project's persona) must be ready",
    "DEMO_VIDEO_REQUIRED": "ugc-remix needs a demo-video app media in the project",
    "SOCIAL_ACCOUNT_NOT_CONNECTED": "a scheduling target's account must be connected",
    "MANAGED_PROVIDER_NOT_CONNECTED": "mode managed needs a provider connected to the project",
    "unknown_template": "templateId must name a template of this deployment",
    "unknown_command": "commandId must name one of the layer's template's commands",
    "not_found": "a referenced object (account, influencer, media) must be in the project",
    "datetime_past": "scheduledFor must be in the future: the clock decides",
    "datetime_invalid": "a real calendar date (no 30 February), beyond what a pattern checks",
    "nonexistent_local_time": "a wall-clock time must exist in the project's timezone",
    "duplicate": "one target per account: JSON Schema's uniqueItems compares whole items",
    "not_allowed": "a field that applies only to some objects: shareReelToFeed to Instagram "
    "video posts, a regenerate hook to the formats that have one",
    "mode_unsupported": "draft (to the creator's inbox) is for TikTok accounts only",
    "url_scheme": "http only to a loopback host; the console, which shares the request model, "
    "may come back to its own http URL",
    "UNSUPPORTED_MEDIA_TYPE": "an uploaded file's bytes must be an image or video of its kind",
    "MEDIA_TOO_LARGE": "an uploaded file must be within its kind's size cap",
    "empty_file": "an uploaded file must have content",
    "range_order": "since must come before until (or before now, until's default)",
    "too_many_points": "a metrics range is capped by its granularity (744 hours, 366 days)",
    "one_budget": "an ad campaign has exactly one of a daily and a lifetime budget",
    "int_type": "an integer field takes a JSON integer: 854.0 (an integer to JSON Schema) is "
    "refused like a string or a boolean, by design (no lax coercion)",
}
# VALIDATION fields checked against a JSON Schema of the layer's template (its configSchema, a
# command's parametersSchema), which GET /v1/layer-templates/{id} documents, not the route.
TEMPLATE_FIELDS = ("config", "parameters")


def _refused_beyond_the_schema(case: Any, response: Any) -> bool:
    if response.status_code != 422:
        return False
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    if error.get("code") in REFUSALS_BEYOND_THE_SCHEMA:
        return True
    fields = (error.get("details") or {}).get("fields") or []

    def by_design(item: dict[str, Any]) -> bool:
        name = str(item.get("field", ""))
        return (
            item.get("type") in REFUSALS_BEYOND_THE_SCHEMA
            or name.split(".")[0] in TEMPLATE_FIELDS
            # a rollback names one of the layer's config versions
            or (name == "version" and case.path.endswith("/rollback"))
        )

    return error.get("code") == "VALIDATION" and bool(fields) and all(map(by_design, fields))


def _stop_started_work(response: Any) -> None:
    """Cancel the generation a case started: the run checks the 202, and rendering in the
    background would only slow the cases after it (and the tests after this module)."""
    if response.status_code != 202 or world.client is None:
        return
    try:
        job_id = response.json().get("jobId")
    except ValueError:
        return
    if isinstance(job_id, str):
        auth = {"Authorization": f"Bearer {world.token}"}
        world.client.post(f"/v1/jobs/{job_id}/cancel", headers=auth)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_conforms_to_its_schema(case: Any) -> None:
    use_real_ids(case)
    if case.headers and case.headers.get("Authorization") == PLACEHOLDER:
        case.headers["Authorization"] = f"Bearer {world.token}"
    response = case.call()
    _stop_started_work(response)
    # Values the schema cannot pin down are refused by design though they fit its type: an
    # opaque cursor that does not decode, a timezone name IANA does not know, a string holding
    # a NUL character (which PostgreSQL cannot store), and `REFUSALS_BEYOND_THE_SCHEMA`.
    beyond = _beyond_the_schema(case) or _refused_beyond_the_schema(case, response)
    case.validate_response(response, excluded_checks=[positive_data_acceptance] if beyond else [])
