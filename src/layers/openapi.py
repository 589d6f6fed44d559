"""The Partner API's OpenAPI document, shaped for generated clients (an SDK-ready document).

FastAPI writes the document from the routes; this module is the one place that finishes it, so
that a route added later by any domain gets the same treatment without touching its router:

* **Operation ids** (`operation_id`, installed as the app's ``generate_unique_id_function``):
  lowerCamelCase of the endpoint function's name (``create_project`` → ``createProject``), or
  the entry of `OPERATION_ID_OVERRIDES` where the function's name reads poorly in a client. A
  route's own ``operation_id=`` still wins. Generators name methods after these ids.
* **Tags**: one per resource (`TAGS`, each with a description), chosen from the path by
  `RESOURCE_TAGS`; a path no rule knows keeps its router's tag, title-cased.
* **Idempotency-Key**: declared (one `IdempotencyKey` parameter component; the required
  `IdempotencyKeyRequired` for `IDEMPOTENCY_KEY_REQUIRED`) on every POST and PATCH. The protocol
  itself is `layers.kit.idempotency`, run by the request's unit of work; this only says so.
* **Errors**: every error response of every operation is the one `ErrorEnvelope` component.
  The statuses are derived from what the operation is (every call can be 401, 403, 404 (an
  unknown X-Layers-Organization), 422, 429 and 503; a write 409; one with a body 413), plus
  those its route declares and those of `SPECIFIC_ERRORS`; each description names the codes.
* **"At least one of" bodies** become an ``anyOf`` of whole objects
  (`_distribute_alternatives`), which generators turn into complete models.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.routing import APIRoute

OPERATION_ID_OVERRIDES: dict[str, str] = {
    # "METHOD /path" → the id, where the endpoint function's name is a poor method name.
    "GET /healthz": "getHealth",
    "GET /v1/whoami": "getWhoami",
    "GET /v1/projects/{project_id}/keywords": "getProjectKeywords",
    "GET /v1/layer-templates": "listLayerTemplates",
    "GET /v1/layer-templates/{template_id}": "getLayerTemplate",
    "GET /v1/layers/{layer_id}/config-history": "getLayerConfigHistory",
    "POST /api/project-layers/{project_layer_id}/execute": "executeLayerCommand",
    "POST /api/commands/execute": "executeCommandAcrossLayers",
    "GET /v1/projects/{project_id}/content/source-recommendations": "listSourceRecommendations",
    "POST /v1/projects/{project_id}/content/slideshow-remix": "generateSlideshowRemix",
    "POST /v1/projects/{project_id}/content/video-remix": "generateVideoRemix",
    "POST /v1/projects/{project_id}/content/slideshow-builder": "generateSlideshow",
    "POST /v1/projects/{project_id}/content/ugc-remix": "generateUgcRemix",
    "DELETE /v1/scheduled-posts/{scheduled_post_id}": "cancelScheduledPost",
    "POST /v1/scheduled-posts/{scheduled_post_id}/reschedule": "rescheduleScheduledPost",
    "POST /v1/scheduled-posts/{scheduled_post_id}/retry": "retryScheduledPost",
    "POST /v1/api-keys": "createApiKey",
    "POST /v1/api-keys/{key_id}/rotate": "rotateApiKey",
    "POST /v1/organizations/{org_id}/api-keys": "createChildApiKey",
    "GET /v1/organizations/{org_id}/api-keys": "listChildApiKeys",
    "POST /v1/organizations/{org_id}/api-keys/{key_id}/rotate": "rotateChildApiKey",
    "DELETE /v1/organizations/{org_id}/api-keys/{key_id}": "revokeChildApiKey",
    "POST /v1/webhook-endpoints": "createWebhookEndpoint",
    "GET /v1/webhook-endpoints": "listWebhookEndpoints",
    "GET /v1/webhook-endpoints/{endpoint_id}": "getWebhookEndpoint",
    "PATCH /v1/webhook-endpoints/{endpoint_id}": "updateWebhookEndpoint",
    "DELETE /v1/webhook-endpoints/{endpoint_id}": "deleteWebhookEndpoint",
    "POST /v1/webhook-endpoints/{endpoint_id}/rotate-secret": "rotateWebhookEndpointSecret",
    "GET /v1/webhook-endpoints/{endpoint_id}/deliveries": "listWebhookDeliveries",
    "POST /v1/webhook-endpoints/{endpoint_id}/test": "sendWebhookTestEvent",
    "POST /v1/webhook-deliveries/{delivery_id}/replay": "replayWebhookDelivery",
}

TAGS: dict[str, str] = {
    "Organizations": "Who is calling (whoami) and the organization tree: sub-organizations a "
    "parent creates, suspends and acts in (X-Layers-Organization).",
    "API Keys": "Keys of an organization and its children: issue, rotate, revoke, and the kill "
    "switch any key may pull.",
    "Credits": "The wallet: available and reserved credits, its ledger of events, and the credit "
    "configuration of child organizations.",
    "Audit Log": "Who did what, when, with which key: the organization's audit trail.",
    "Projects": "A project is one app or brand: its brief, timezone and language, and the "
    "keyword bank extracted from them.",
    "App Media": "The brand's logo, screenshots and demo video, fetched from a URL (SSRF-guarded, "
    "size-capped, type sniffed from the bytes) or uploaded.",
    "Influencers": "The project's AI influencers (personas) that generated content speaks as.",
    "Social Accounts": "TikTok and Instagram accounts connected through OAuth, their settings "
    "and health.",
    "Content": "Generation (source recommendations, hooks, slideshow and video remixes, the "
    "slideshow builder, uploads) and the content containers it produces, with their review.",
    "Posts": "Scheduling content to social accounts, publishing now, and the scheduled posts: "
    "reschedule, retry, cancel.",
    "Jobs": "Asynchronous work: a 202 names a job; poll it (ETag-aware) until it is completed, "
    "failed or canceled.",
    "Catalog": "The layer templates this deployment offers, with their config schema and commands.",
    "Layers": "Project layers (installed templates): config with history and rollback, pause "
    "and resume, and command execution, on one layer or across many.",
    "Runs": "Every execution of a layer command: its activities in order, logs (also live), "
    "retry and cancel.",
    "Webhooks": "Signed event deliveries to your endpoints: endpoints, secrets, deliveries, "
    "replay.",
    "Ads": "Meta and TikTok ad accounts, campaigns and ads; the ad layers' authority, "
    "optimizer runs with their decisions, pending actions to approve, content refresh, and "
    "ads metrics (integer cents).",
    "Operations": "Health of the deployment.",
}

# (path prefix, tag), first match wins; "{}" stands for any path parameter.
RESOURCE_TAGS: tuple[tuple[str, str], ...] = (
    ("/v1/projects/{}/ads", "Ads"),
    ("/v1/layer-templates", "Catalog"),
    ("/v1/layers/{}/runs", "Runs"),
    ("/v1/runs", "Runs"),
    ("/v1/projects/{}/layers", "Layers"),
    ("/v1/layers", "Layers"),
    ("/api/", "Layers"),
    ("/v1/projects/{}/app-media", "App Media"),
    ("/v1/projects/{}/influencers", "Influencers"),
    ("/v1/influencers", "Influencers"),
    ("/v1/projects/{}/social", "Social Accounts"),
    ("/v1/social", "Social Accounts"),
    ("/v1/content/{}/schedule", "Posts"),
    ("/v1/content/{}/publish", "Posts"),
    ("/v1/projects/{}/scheduled-posts", "Posts"),
    ("/v1/scheduled-posts", "Posts"),
    ("/v1/projects/{}/content", "Content"),
    ("/v1/content", "Content"),
    ("/v1/jobs", "Jobs"),
    ("/v1/webhook", "Webhooks"),
    ("/v1/whoami", "Organizations"),
    ("/v1/api-keys", "API Keys"),
    ("/v1/organizations/{}/api-keys", "API Keys"),
    ("/v1/credits", "Credits"),
    ("/v1/organizations/{}/credit", "Credits"),
    ("/v1/audit-log", "Audit Log"),
    ("/v1/organizations/{}/audit", "Audit Log"),
    ("/v1/organizations", "Organizations"),
    ("/v1/projects", "Projects"),
    ("/healthz", "Operations"),
)

IDEMPOTENT_METHODS = ("post", "patch")
WRITE_METHODS = ("post", "put", "patch", "delete")
ENVELOPE_REF = "#/components/schemas/ErrorEnvelope"

ERROR_ENVELOPE: dict[str, Any] = {
    "title": "ErrorEnvelope",
    "description": "Every error: a stable UPPER_SNAKE `code`, a message for people, the "
    "request's id, and details (e.g. `details.fields[]` on VALIDATION).",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "title": "Error",
            "type": "object",
            "required": ["code", "message", "requestId", "details"],
            "properties": {
                "code": {"type": "string", "examples": ["VALIDATION"]},
                "message": {"type": "string"},
                "requestId": {"type": ["string", "null"], "examples": ["req_01J…"]},
                "details": {"type": "object", "additionalProperties": True},
            },
        }
    },
}

IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes a retry safe: the same key with the same request replays the stored "
    "response (`Idempotent-Replayed: true`) without running it again; with a different request "
    "it is a 409 IDEMPOTENCY_CONFLICT; while the first is still running, a 409 "
    "IDEMPOTENCY_IN_PROGRESS with Retry-After. Scoped to the key's organization and mode, kept "
    "24 hours. Use a fresh UUID per logical operation.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
}

# Operations that refuse to run without a key (400 IDEMPOTENCY_REQUIRED): money movement.
IDEMPOTENCY_KEY_REQUIRED = frozenset({"allocateCredits"})

RETRY_AFTER: dict[str, Any] = {
    "description": "Seconds to wait before retrying.",
    "schema": {"type": "integer"},
}

# What each error status means, and the codes every operation with it can answer.
STATUS_TEXT: dict[int, str] = {
    400: "A header the operation needs is missing",
    401: "Missing, malformed, wrong or revoked API key",
    402: "The wallet cannot cover the work",
    403: "The key may not do this",
    404: "No such object in this organization and mode, or no organization "
    "X-Layers-Organization names that this key may act in",
    409: "The request conflicts with the object's state or an earlier request",
    413: "The request body is too large",
    422: "Invalid request: `details.fields[]` names each bad field",
    429: "Rate limited: retry after `Retry-After` seconds",
    502: "A live provider (a platform, the text model) failed",
    503: "Unavailable: a killed key, a suspended organization, or a provider not configured",
}
NO_ACTING_ORGANIZATION = "X-Layers-Organization names no organization this key may act in"
GENERIC_CODES: dict[int, tuple[str, ...]] = {
    401: ("UNAUTHENTICATED",),
    402: ("INSUFFICIENT_CREDITS",),
    403: ("FORBIDDEN_SCOPE",),
    404: ("NOT_FOUND",),
    413: ("PAYLOAD_TOO_LARGE",),
    422: ("VALIDATION",),
    429: ("RATE_LIMITED",),
    502: ("PLATFORM_ERROR",),
    503: ("KILL_SWITCH",),
}
IDEMPOTENCY_CODES = ("IDEMPOTENCY_CONFLICT", "IDEMPOTENCY_IN_PROGRESS")

_MEDIA_FETCH = (
    "URL_NOT_ALLOWED",
    "MEDIA_FETCH_FAILED",
    "MEDIA_TOO_LARGE",
    "UNSUPPORTED_MEDIA_TYPE",
)
_GENERATION: dict[int, tuple[str, ...]] = {
    409: ("CONFLICT",),
    422: ("INFLUENCER_NOT_READY", "SOURCE_NOT_FOUND"),
}
_STATE: dict[int, tuple[str, ...]] = {409: ("CONFLICT",)}

# Codes beyond the generic ones, by operation id (from the domains' services).
SPECIFIC_ERRORS: dict[str, dict[int, tuple[str, ...]]] = {
    "updateProject": _STATE,
    "refreshKeywords": _STATE,
    "createInfluencer": _STATE,
    "cancelJob": _STATE,
    "installLayer": _STATE,
    "updateLayer": _STATE,
    "rollbackLayer": _STATE,
    "pauseLayer": _STATE,
    "resumeLayer": _STATE,
    "executeLayerCommand": {409: ("CONFLICT",), 422: ("COMMAND_NOT_EXECUTABLE",)},
    "executeCommandAcrossLayers": {422: ("COMMAND_NOT_EXECUTABLE",)},
    "retryRun": _STATE,
    "cancelRun": _STATE,
    "createOauthUrl": {
        409: ("CONFLICT",),
        422: ("RETURN_URL_NOT_ALLOWED", "PLATFORM_NOT_CONFIGURED"),
    },
    "createReauthUrl": {
        409: ("CONFLICT",),
        422: ("RETURN_URL_NOT_ALLOWED", "PLATFORM_NOT_CONFIGURED"),
    },
    "uploadAppMedia": {409: ("CONFLICT",), 422: _MEDIA_FETCH},
    "listSourceRecommendations": {502: ("PLATFORM_ERROR",), 503: ("UNAVAILABLE",)},
    "listHooks": {502: ("PLATFORM_ERROR",)},
    "generateSlideshowRemix": _GENERATION,
    "generateVideoRemix": _GENERATION,
    "generateSlideshow": {409: ("CONFLICT",), 422: ("INFLUENCER_NOT_READY",)},
    "generateUgcRemix": {409: ("CONFLICT",), 422: ("INFLUENCER_NOT_READY", "DEMO_VIDEO_REQUIRED")},
    "regenerateContent": _STATE,
    "scheduleContent": {
        409: ("CONFLICT", "CONTENT_REJECTED"),
        422: ("SOCIAL_ACCOUNT_NOT_CONNECTED", "MANAGED_PROVIDER_NOT_CONNECTED"),
    },
    "allocateCredits": {400: ("IDEMPOTENCY_REQUIRED",)},
    "publishContent": {403: ("APPROVAL_REQUIRED",), 409: ("CONFLICT", "CONTENT_REJECTED")},
    "approveContent": _STATE,
    "rejectContent": _STATE,
    "rescheduleScheduledPost": _STATE,
    "retryScheduledPost": {409: ("CONFLICT", "OUTCOME_UNKNOWN")},
    "createAdAccountOauthUrl": {
        409: ("CONFLICT",),
        422: ("RETURN_URL_NOT_ALLOWED", "PLATFORM_NOT_CONFIGURED"),
    },
    "createAdCampaign": {
        403: ("AUTHORITY_DENIED",),
        409: ("CONFLICT",),
        502: ("PLATFORM_ERROR",),
    },
    "runAdsOptimizer": _STATE,
    "refreshAdContent": _STATE,
    "approvePendingAdAction": {403: ("AUTHORITY_DENIED",), 409: ("CONFLICT",)},
    "rejectPendingAdAction": _STATE,
}

_CAMEL_PART = re.compile(r"[^0-9a-zA-Z]+")
_PARAM = re.compile(r"{[^}]*}")


def camel_case(name: str) -> str:
    """``create_project`` → ``createProject`` (lowerCamelCase of a snake_case name)."""
    head, *rest = [part for part in _CAMEL_PART.split(name) if part] or ["operation"]
    return head[:1].lower() + head[1:] + "".join(part[:1].upper() + part[1:] for part in rest)


def operation_id(route: APIRoute) -> str:
    """The app's ``generate_unique_id_function``: the override for the route's method and
    path, else the camelCase of its endpoint function's name."""
    for method in sorted(route.methods or ()):
        override = OPERATION_ID_OVERRIDES.get(f"{method} {route.path_format}")
        if override:
            return override
    return camel_case(route.name)


def resource_tag(path: str, router_tags: Iterable[str]) -> str:
    normalized = _PARAM.sub("{}", path)
    for prefix, tag in RESOURCE_TAGS:
        if normalized.startswith(prefix):
            return tag
    for tag in router_tags:
        return str(tag).title()
    return "Operations"


def _names_an_object(operation: dict[str, Any], components: dict[str, Any]) -> bool:
    """A path parameter, or a query parameter or body field ending in Id/Ids/_id: a call that
    names an object, which may not exist (404)."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" or _is_id_name(str(parameter.get("name", ""))):
            return True
    body = operation.get("requestBody", {}).get("content", {})
    return any(
        _schema_names_an_id(media.get("schema", {}), components, set()) for media in body.values()
    )


def _is_id_name(name: str) -> bool:
    return name.endswith(("Id", "Ids", "_id", "_ids"))


def _schema_names_an_id(schema: Any, components: dict[str, Any], seen: set[str]) -> bool:
    if not isinstance(schema, dict):
        return False
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            return False
        seen.add(name)
        return _schema_names_an_id(components.get(name), components, seen)
    if any(_is_id_name(str(key)) for key in schema.get("properties", {})):
        return True
    children: list[Any] = [*schema.get("properties", {}).values(), schema.get("items")]
    for keyword in ("anyOf", "oneOf", "allOf"):
        children.extend(schema.get(keyword, []))
    return any(_schema_names_an_id(child, components, seen) for child in children)


def _error_statuses(
    method: str, operation: dict[str, Any], components: dict[str, Any]
) -> dict[int, list[str]]:
    """The error statuses of one operation, each with the codes it can carry."""
    statuses: dict[int, list[str]] = {
        status: list(GENERIC_CODES[status]) for status in (401, 403, 422, 429, 503)
    }
    # Every call can be a 404: X-Layers-Organization may name no organization the key acts in.
    statuses[404] = list(GENERIC_CODES[404])
    if method in IDEMPOTENT_METHODS:
        statuses[409] = list(IDEMPOTENCY_CODES)
    elif method in WRITE_METHODS:
        statuses[409] = ["CONFLICT"]
    if "requestBody" in operation:
        statuses[413] = list(GENERIC_CODES[413])
    for declared in operation.get("responses", {}):
        status = int(declared) if str(declared).isdigit() else 0
        if status >= 400 and status not in statuses:
            statuses[status] = list(GENERIC_CODES.get(status, ()))
    for status, codes in SPECIFIC_ERRORS.get(operation.get("operationId", ""), {}).items():
        known = statuses.setdefault(status, list(GENERIC_CODES.get(status, ())))
        known.extend(code for code in codes if code not in known)
    return statuses


def _error_response(status: int, codes: list[str], declared: dict[str, Any]) -> dict[str, Any]:
    text = declared.get("description") or STATUS_TEXT.get(status, "Error")
    if status == 422 and declared.get("description") == "Validation Error":
        text = STATUS_TEXT[422]  # FastAPI's own wording for its (replaced) validation schema
    description = f"{text} ({', '.join(codes)})" if codes else str(text)
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": ENVELOPE_REF}}},
    }
    if status == 429 or "IDEMPOTENCY_IN_PROGRESS" in codes:
        response["headers"] = {"Retry-After": copy.deepcopy(RETRY_AFTER)}
    return response


def _restrict(base: Any, extra: dict[str, Any]) -> Any:
    """A property's schema further restricted by a branch: a nullable base restricted to its
    non-null type is that type's member; anything else is both (allOf)."""
    if isinstance(base, dict) and set(extra) == {"type"}:
        members = [m for m in base.get("anyOf", []) if isinstance(m, dict)]
        fitting = [m for m in members if m.get("type") == extra["type"]]
        if len(fitting) == 1 and all(m in fitting or m == {"type": "null"} for m in members):
            return copy.deepcopy(fitting[0])
    return {"allOf": [copy.deepcopy(base), copy.deepcopy(extra)]}


def _distribute_alternatives(schemas: dict[str, Any]) -> None:
    """An object schema whose ``anyOf`` branches only add ``required`` / ``properties`` to its
    own properties ("at least one of a, b") becomes an ``anyOf`` of whole objects, one per
    branch: the same set of valid bodies, but one that generators turn into complete models
    (they drop the properties beside an ``anyOf`` of fragments)."""
    for name, schema in schemas.items():
        branches = schema.get("anyOf")
        if not (isinstance(branches, list) and "properties" in schema) or not all(
            isinstance(b, dict) and set(b) <= {"required", "properties"} for b in branches
        ):
            continue
        whole = []
        for branch in branches:
            properties = copy.deepcopy(schema["properties"])
            for prop, extra in branch.get("properties", {}).items():
                properties[prop] = (
                    _restrict(properties[prop], extra) if prop in properties else extra
                )
            required = [*schema.get("required", [])]
            required += [r for r in branch.get("required", []) if r not in required]
            names = "".join(
                camel_case(r)[:1].upper() + camel_case(r)[1:] for r in branch.get("required", [])
            )
            part: dict[str, Any] = {
                "title": f"{name}With{names}",
                "type": "object",
                "properties": properties,
                "required": required,
            }
            if "additionalProperties" in schema:
                part["additionalProperties"] = schema["additionalProperties"]
            whole.append(part)
        schemas[name] = {key: schema[key] for key in ("title", "description") if key in schema} | {
            "anyOf": whole
        }


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and method in (
                "get", "put", "post", "delete", "patch", "head", "options",
            ):  # fmt: skip
                yield path, method, operation


def shape(schema: dict[str, Any]) -> dict[str, Any]:
    """Finish FastAPI's document (in place, and returned): tags, security, the Idempotency-Key
    parameter and the error responses, as the module docstring says."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["ErrorEnvelope"] = copy.deepcopy(ERROR_ENVELOPE)
    _distribute_alternatives(schemas)
    components["securitySchemes"] = {"bearerAuth": {"type": "http", "scheme": "bearer"}}
    parameters = components.setdefault("parameters", {})
    parameters["IdempotencyKey"] = copy.deepcopy(IDEMPOTENCY_KEY)
    parameters["IdempotencyKeyRequired"] = copy.deepcopy(IDEMPOTENCY_KEY) | {"required": True}
    used: set[str] = set()
    for path, method, operation in _operations(schema):
        tag = resource_tag(path, operation.get("tags", []))
        operation["tags"] = [tag]
        used.add(tag)
        if not path.startswith(("/v1/", "/api/")):
            continue
        operation["security"] = [{"bearerAuth": []}]
        if method in IDEMPOTENT_METHODS:
            declared_parameters = operation.setdefault("parameters", [])
            if not any(p.get("name", "").lower() == "idempotency-key" for p in declared_parameters):
                required = operation.get("operationId") in IDEMPOTENCY_KEY_REQUIRED
                name = "IdempotencyKeyRequired" if required else "IdempotencyKey"
                declared_parameters.append({"$ref": f"#/components/parameters/{name}"})
        responses = operation.setdefault("responses", {})
        for status, codes in sorted(_error_statuses(method, operation, schemas).items()):
            declared = responses.get(str(status), responses.get(status, {}))
            if status == 404 and not declared and not _names_an_object(operation, schemas):
                declared = {"description": NO_ACTING_ORGANIZATION}
            responses.pop(status, None)
            responses[str(status)] = _error_response(status, codes, declared)
        operation["responses"] = dict(sorted(responses.items()))
    ordered = [name for name in TAGS if name in used]
    schema["tags"] = [{"name": name, "description": TAGS[name]} for name in ordered] + [
        {"name": name} for name in sorted(used - set(TAGS))
    ]
    return schema
