"""Plain helpers for console tests: a browser-like client that signs in with an API key."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def browser(app: Any) -> TestClient:
    """A client with its own cookie jar (the shared `client` fixture has one for everyone)."""
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def sign_in(web: TestClient, token: str) -> str:
    """Sign in; returns the session's CSRF token (read from the next page)."""
    page = web.get("/console/sign-in")
    assert page.status_code == 200, page.text
    response = web.post(
        "/console/sign-in", data={"apiKey": token, "csrf": csrf_of(page.text), "next": ""}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/console/projects"
    projects = web.get("/console/projects")
    assert projects.status_code == 200, projects.text
    return csrf_of(projects.text)


def post(web: TestClient, url: str, csrf: str, **data: Any) -> Any:
    return web.post(url, data={"csrf": csrf, **data})


def follow(web: TestClient, response: Any) -> Any:
    assert response.status_code == 303, response.text
    return web.get(response.headers["location"])
