"""Schemathesis fuzzes every operation of our own OpenAPI document.

No generated request may produce a server error, and every response must match the
documented status codes, content types and schemas; schema-violating requests must be
rejected and schema-valid ones accepted.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from layers.app import openapi_document
from tests.support import new_tenant


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
fuzz_key: dict[str, str] = {}
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


@pytest.fixture(scope="module", autouse=True)
def fuzz_tenant(app: Any) -> None:
    deferred.target = app
    fuzz_key["token"] = new_tenant("Fuzz").test


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


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_conforms_to_its_schema(case: Any) -> None:
    # Values the schema cannot pin down are refused by design though they fit its type: an
    # opaque cursor that does not decode, a timezone name IANA does not know, and a string
    # holding a NUL character (which PostgreSQL cannot store).
    excluded = [positive_data_acceptance] if _beyond_the_schema(case) else []
    if case.headers and case.headers.get("Authorization") == PLACEHOLDER:
        case.headers["Authorization"] = f"Bearer {fuzz_key['token']}"
    case.call_and_validate(excluded_checks=excluded)
