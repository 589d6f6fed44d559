"""`LayersRouter` declines a request by its path's first two segments before scanning its
routes, and answers exactly as a plain router otherwise."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match

from layers.kit.http import LayersRouter


def app_with_two_routers() -> tuple[FastAPI, LayersRouter, LayersRouter]:
    things, params = LayersRouter(prefix="/v1"), LayersRouter()

    @things.get("/things/{thing_id}")
    def get_thing(thing_id: str) -> dict[str, str]:
        return {"thing": thing_id}

    @things.post("/things")
    def create_thing() -> dict[str, str]:
        return {"created": "yes"}

    @params.get("/{anything}/echo")
    def echo(anything: str) -> dict[str, str]:
        return {"echo": anything}

    app = FastAPI()
    app.include_router(things)
    app.include_router(params)
    return app, things, params


def scope(path: str, method: str = "GET") -> dict[str, object]:
    return {"type": "http", "path": path, "method": method, "root_path": "", "headers": []}


def test_a_router_declines_paths_none_of_its_routes_can_match() -> None:
    _, things, params = app_with_two_routers()
    assert things._route_heads() == frozenset({"/v1/things"})
    assert things.matches(scope("/v1/other/1")) == (Match.NONE, {})
    # A parameter among the first two segments: the router scans as a plain one would.
    assert params._route_heads() is None


def test_routing_answers_as_before() -> None:
    app, _, _ = app_with_two_routers()
    client = TestClient(app)
    assert client.get("/v1/things/7").json() == {"thing": "7"}
    assert client.post("/v1/things").json() == {"created": "yes"}
    assert client.get("/v1/things").status_code == 405  # the path is known, not the method
    assert client.get("/v1/elsewhere/7").status_code == 404
    assert client.get("/v1/things/7/echo").status_code == 404
    assert client.get("/hello/echo").json() == {"echo": "hello"}


def test_a_route_added_later_is_seen() -> None:
    app, things, _ = app_with_two_routers()
    assert things._route_heads() == frozenset({"/v1/things"})

    @things.get("/widgets")
    def widgets() -> list[str]:
        return []

    assert TestClient(app).get("/v1/widgets").json() == []
