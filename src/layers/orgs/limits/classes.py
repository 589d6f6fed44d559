"""Which bucket a route draws from: derived from its method and status code, or declared on
the route with ``openapi_extra={"x-rate-limit-class": …}``; either way the class is written
into the OpenAPI document (`annotate`), and the limiter reads the same function.

* ``read-light``: every GET (and HEAD).
* ``long-running``: a POST answered by ``202 Accepted`` (it starts a job).
* ``write-light``: every other POST, PUT, PATCH and DELETE.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from fastapi import APIRouter
from fastapi.routing import APIRoute

EndpointClass = Literal["read-light", "write-light", "long-running"]
READ: EndpointClass = "read-light"
WRITE: EndpointClass = "write-light"
LONG: EndpointClass = "long-running"
CLASSES: tuple[EndpointClass, ...] = (READ, WRITE, LONG)
EXTENSION = "x-rate-limit-class"


def classify(route: APIRoute) -> EndpointClass:
    declared = (route.openapi_extra or {}).get(EXTENSION)
    if declared is not None:
        if declared not in CLASSES:
            raise ValueError(f"{route.path}: unknown rate-limit class {declared!r}")
        return declared  # type: ignore[no-any-return]
    methods = route.methods or set()
    if methods <= {"GET", "HEAD"}:
        return READ
    if "POST" in methods and route.status_code == 202:
        return LONG
    return WRITE


def annotate(routers: Iterable[APIRouter]) -> None:
    """Write each route's class into its OpenAPI operation (before the app copies them)."""
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                route.openapi_extra = {**(route.openapi_extra or {}), EXTENSION: classify(route)}
