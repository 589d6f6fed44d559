"""Plain helpers for engine tests: the test templates, installing layers, waiting for runs."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from layers.engine.catalog import registry
from tests.support import wait_for

TERMINAL = ("completed", "failed", "canceled")


def register_test_templates() -> None:
    """Register the templates of `tests.engine.plugin` in this process (idempotent)."""
    registry.load(["tests.engine.plugin"])


def new_project(client: TestClient, headers: dict[str, str], name: str = "Engine test") -> str:
    response = client.post("/v1/projects", json={"name": name, "timezone": "UTC"}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def install(
    client: TestClient,
    headers: dict[str, str],
    project_id: str,
    config: dict[str, Any] | None = None,
    *,
    template_id: str = "test-pipeline",
    wait: bool = True,
) -> dict[str, Any]:
    response = client.post(
        f"/v1/projects/{project_id}/layers",
        json={"templateId": template_id, "config": config or {}},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    layer: dict[str, Any] = response.json()
    if not wait or layer["status"] != "installing":
        return layer
    return wait_for_layer(client, headers, layer["id"])


def wait_for_layer(client: TestClient, headers: dict[str, str], layer_id: str) -> dict[str, Any]:
    def settled() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/v1/layers/{layer_id}", headers=headers).json()
        return body if body["status"] != "installing" else None

    return wait_for(settled, timeout=30)


def execute(
    client: TestClient,
    headers: dict[str, str],
    layer_id: str,
    command_id: str,
    parameters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    response = client.post(
        f"/api/project-layers/{layer_id}/execute",
        json={"commandId": command_id, "parameters": parameters or {}},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_for_run(
    client: TestClient,
    headers: dict[str, str],
    run_id: str,
    statuses: tuple[str, ...] = TERMINAL,
    timeout: float = 30,
) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        response = client.get(f"/v1/runs/{run_id}", headers=headers)
        assert response.status_code == 200, f"GET /v1/runs/{run_id}: {response.text}"
        body: dict[str, Any] = response.json()
        return body if body["status"] in statuses else None

    return wait_for(reached, timeout=timeout)
