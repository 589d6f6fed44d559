"""The OpenAPI document is SDK-ready (`layers.openapi`): clean unique operation ids, one tag per
resource, Idempotency-Key declared on every POST and PATCH, every error the one envelope.

The checks walk the whole document, so a route added later by any domain is held to them
without a line here: a poor function name, an unknown resource or a duplicate id fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, generate_unique_id
from fastapi.testclient import TestClient

from layers import openapi
from layers.app import API_ROUTERS, openapi_document
from layers.orgs import dependencies
from tests.support import ACME, Tenant, assert_error, idempotency_key

CAMEL = re.compile(r"^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)*$")
METHODS = ("get", "put", "post", "delete", "patch")
IDEMPOTENCY_REF = {"$ref": "#/components/parameters/IdempotencyKey"}
REQUIRED_REF = {"$ref": "#/components/parameters/IdempotencyKeyRequired"}
ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}


@pytest.fixture(scope="module")
def served(client: TestClient) -> dict[str, Any]:
    """The document the app serves at /openapi.json (the Partner API and /healthz)."""
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def api_routes() -> Iterator[tuple[str, APIRoute]]:
    for router in API_ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.include_in_schema:
                for method in sorted(route.methods):
                    yield method, route


def test_every_operation_id_is_unique_camel_case_and_not_the_framework_default(
    served: dict[str, Any],
) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(served)]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    bad = [i for i in ids if not CAMEL.match(i)]
    assert not bad, f"not lowerCamelCase: {bad}"
    defaults = {generate_unique_id(route) for _, route in api_routes()}
    assert not (defaults | {openapi.camel_case(d) for d in defaults}) & set(ids)
    assert not [i for i in ids if re.search(r"V1[A-Z]", i)], ids


def test_the_quickstart_reads_as_methods(served: dict[str, Any]) -> None:
    ids = {
        f"{method.upper()} {path}": operation["operationId"]
        for path, method, operation in operations(served)
    }
    assert ids["POST /v1/projects"] == "createProject"
    assert ids["GET /v1/projects"] == "listProjects"
    assert ids["POST /v1/projects/{project_id}/app-media"] == "uploadAppMedia"
    assert ids["POST /v1/projects/{project_id}/social/oauth-url"] == "createOauthUrl"
    assert ids["POST /v1/projects/{project_id}/content/slideshow-remix"] == "generateSlideshowRemix"
    assert ids["GET /v1/jobs/{job_id}"] == "getJob"
    assert ids["POST /v1/content/{container_id}/schedule"] == "scheduleContent"
    assert ids["GET /healthz"] == "getHealth"


def test_overrides_and_specific_errors_name_real_operations(served: dict[str, Any]) -> None:
    keys = {f"{method.upper()} {path}" for path, method, _ in operations(served)}
    assert set(openapi.OPERATION_ID_OVERRIDES) <= keys, set(openapi.OPERATION_ID_OVERRIDES) - keys
    ids = {operation["operationId"] for _, _, operation in operations(served)}
    assert set(openapi.SPECIFIC_ERRORS) <= ids, set(openapi.SPECIFIC_ERRORS) - ids


def test_camel_case() -> None:
    assert openapi.camel_case("create_project") == "createProject"
    assert openapi.camel_case("get_oauth_status_by_state") == "getOauthStatusByState"
    assert openapi.camel_case("whoami") == "whoami"
    assert openapi.camel_case("_private__name_") == "privateName"


def test_one_described_resource_tag_per_operation(served: dict[str, Any]) -> None:
    declared = {tag["name"]: tag.get("description") for tag in served["tags"]}
    for path, method, operation in operations(served):
        assert len(operation["tags"]) == 1, (method, path)
        tag = operation["tags"][0]
        assert declared.get(tag), (
            f"{method.upper()} {path}: tag {tag!r} has no description; add it to "
            "layers.openapi.TAGS (and a RESOURCE_TAGS rule if the path is a new resource)"
        )
    tags = {f"{m.upper()} {p}": o["tags"][0] for p, m, o in operations(served)}
    assert tags["POST /v1/projects"] == "Projects"
    assert tags["GET /v1/layers/{layer_id}/runs"] == "Runs"
    assert tags["GET /v1/layer-templates"] == "Catalog"
    assert tags["POST /v1/content/{container_id}/schedule"] == "Posts"
    assert tags["GET /v1/content/{container_id}"] == "Content"
    assert tags["GET /v1/social-accounts/{social_account_id}"] == "Social Accounts"
    assert tags["GET /v1/whoami"] == "Organizations"


def test_unknown_paths_keep_their_router_tag_title_cased() -> None:
    assert openapi.resource_tag("/v1/widgets/{widget_id}", ["widgets"]) == "Widgets"
    assert openapi.resource_tag("/v1/projects/{id}/layers", ["anything"]) == "Layers"


def test_idempotency_key_is_declared_on_every_post_and_patch(served: dict[str, Any]) -> None:
    parameter = served["components"]["parameters"]["IdempotencyKey"]
    assert parameter["in"] == "header" and parameter["name"] == "Idempotency-Key"
    assert parameter["required"] is False
    required = served["components"]["parameters"]["IdempotencyKeyRequired"]
    assert required == parameter | {"required": True}
    for path, method, operation in operations(served):
        refs = [p for p in operation.get("parameters", []) if "$ref" in p]
        if operation["operationId"] in openapi.IDEMPOTENCY_KEY_REQUIRED:
            assert refs == [REQUIRED_REF], (method, path)
            assert "IDEMPOTENCY_REQUIRED" in operation["responses"]["400"]["description"]
            continue
        declared = IDEMPOTENCY_REF in refs
        assert declared == (method in ("post", "patch")), (method, path)


def _depends_on(dependant: Dependant, call: Any) -> bool:
    return dependant.call is call or any(_depends_on(sub, call) for sub in dependant.dependencies)


def test_every_post_and_patch_runs_in_the_unit_of_work_that_honours_the_key() -> None:
    """The declaration is true: the request's unit of work (the DbSession dependency) runs the
    Idempotency-Key protocol, and every POST and PATCH of the Partner API has it."""
    missing = [
        f"{method} {route.path}"
        for method, route in api_routes()
        if method in ("POST", "PATCH")
        and not _depends_on(route.dependant, dependencies._request_session)
    ]
    assert not missing, missing


def test_every_error_response_is_the_envelope(served: dict[str, Any]) -> None:
    envelope = served["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["required"] == ["error"]
    assert envelope["properties"]["error"]["required"] == [
        "code",
        "message",
        "requestId",
        "details",
    ]
    assert "HTTPValidationError" not in served["components"]["schemas"]
    for path, method, operation in operations(served):
        if not path.startswith(("/v1/", "/api/")):
            continue
        responses = operation["responses"]
        for status, response in responses.items():
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == ENVELOPE
                assert re.search(r"\([A-Z_]+(, [A-Z_]+)*\)$", response["description"])
        assert {"401", "403", "404", "422", "429", "503"} <= set(responses), (method, path)
        if method in ("post", "patch", "delete"):
            assert "409" in responses, (method, path)
        if method in ("post", "patch"):
            assert "IDEMPOTENCY_CONFLICT" in responses["409"]["description"]
            assert "Retry-After" in responses["409"]["headers"]
        if "requestBody" in operation:
            assert "413" in responses, (method, path)
        assert "Retry-After" in responses["429"]["headers"]


def test_specific_errors_are_listed_by_code(served: dict[str, Any]) -> None:
    whoami = served["paths"]["/v1/whoami"]["get"]["responses"]
    assert whoami["404"]["description"].startswith("X-Layers-Organization names no organization")
    schedule = served["paths"]["/v1/content/{container_id}/schedule"]["post"]["responses"]
    assert "CONTENT_REJECTED" in schedule["409"]["description"]
    assert "SOCIAL_ACCOUNT_NOT_CONNECTED" in schedule["422"]["description"]
    oauth = served["paths"]["/v1/projects/{project_id}/social/oauth-url"]["post"]["responses"]
    assert "RETURN_URL_NOT_ALLOWED" in oauth["422"]["description"]
    sources = served["paths"]["/v1/projects/{project_id}/content/source-recommendations"]
    assert "PLATFORM_ERROR" in sources["get"]["responses"]["502"]["description"]


def test_the_served_document_and_the_fuzzed_one_agree(served: dict[str, Any]) -> None:
    fuzzed = openapi_document()
    assert {p: v for p, v in served["paths"].items() if p != "/healthz"} == fuzzed["paths"]
    assert served["components"] == fuzzed["components"]


def test_errors_the_document_promises_are_the_envelope_on_the_wire(
    client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    key = idempotency_key()
    created = client.post("/v1/projects", json=ACME, headers={**headers, "Idempotency-Key": key})
    assert created.status_code == 201
    replay = client.post("/v1/projects", json=ACME, headers={**headers, "Idempotency-Key": key})
    assert replay.content == created.content
    other = {**ACME, "name": "Another"}
    conflict = client.post("/v1/projects", json=other, headers={**headers, "Idempotency-Key": key})
    error = assert_error(conflict, 409, "IDEMPOTENCY_CONFLICT")
    schema = openapi_document()
    validator = jsonschema.Draft202012Validator(
        {**schema["components"]["schemas"]["ErrorEnvelope"], "components": schema["components"]}
    )
    validator.validate(conflict.json())
    assert error["requestId"] == conflict.headers["x-request-id"]


def test_alternatives_become_whole_objects() -> None:
    """`anyOf` fragments beside properties become whole objects: the same valid bodies."""
    original = {
        "title": "Body",
        "type": "object",
        "properties": {
            "source": {"type": "string"},
            "a": {"anyOf": [{"type": "string", "minLength": 1}, {"type": "null"}]},
            "b": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["source"],
        "additionalProperties": False,
        "anyOf": [{"required": [name], "properties": {name: {"type": "string"}}} for name in "ab"],
    }
    schemas = {"Body": dict(original)}
    openapi._distribute_alternatives(schemas)
    shaped = schemas["Body"]
    assert [branch["title"] for branch in shaped["anyOf"]] == ["BodyWithA", "BodyWithB"]
    assert shaped["anyOf"][0]["properties"]["a"] == {"type": "string", "minLength": 1}
    before = jsonschema.Draft202012Validator(original)
    after = jsonschema.Draft202012Validator(shaped)
    for body in (
        {"source": "x"},
        {"source": "x", "a": None},
        {"source": "x", "a": "1"},
        {"source": "x", "a": ""},
        {"source": "x", "b": "2", "a": None},
        {"source": "x", "a": "1", "b": "2"},
        {"a": "1"},
        {"source": "x", "a": "1", "c": 3},
    ):
        assert before.is_valid(body) == after.is_valid(body), body
