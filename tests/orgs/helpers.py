"""Helpers for the organization tests: a parent with an ``org:admin`` key, and children made
through the API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support import Tenant, idempotency_key, new_tenant


def admin_tenant(name: str = "Parent") -> Tenant:
    """A top-level organization whose live and test keys hold ``*`` (so ``org:admin``)."""
    return new_tenant(name)


def create_child(
    client: TestClient, parent: Tenant, name: str = "Child", *, test: bool = False, **extra: Any
) -> dict[str, Any]:
    response = client.post(
        "/v1/organizations",
        json={"name": name, **extra},
        headers=parent.headers(test=test, **{"Idempotency-Key": idempotency_key()}),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def mint_child_key(
    client: TestClient,
    parent: Tenant,
    org_id: str,
    scopes: list[str],
    *,
    test: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    response = client.post(
        f"/v1/organizations/{org_id}/api-keys",
        json={"name": "child key", "scopes": scopes, **extra},
        headers=parent.headers(test=test),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}
