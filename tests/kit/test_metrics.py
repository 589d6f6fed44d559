from __future__ import annotations

from fastapi.testclient import TestClient

from layers.kit.settings import get_settings
from tests.support import ACME, Tenant, assert_error


def sample(text: str, name: str, **labels: str) -> float | None:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_count_requests_by_route_and_read_the_database(
    client: TestClient, tenant: Tenant
) -> None:
    before = sample(client.get("/metrics").text, "layers_http_requests_total",
                    method="POST", route="/v1/projects", status="201") or 0.0  # fmt: skip
    assert (
        client.post("/v1/projects", json=ACME, headers=tenant.headers(test=True)).status_code == 201
    )
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    after = sample(text, "layers_http_requests_total", method="POST", route="/v1/projects",
                   status="201")  # fmt: skip
    assert after == before + 1
    assert "layers_http_request_duration_seconds_bucket" in text
    assert (sample(text, "layers_jobs", status="running") or 0) + (
        sample(text, "layers_jobs", status="completed") or 0
    ) >= 2  # the project's keyword research and first influencer
    for family in ("layers_runs", "layers_publish_attempts", "layers_scheduled_posts",
                   "layers_queue_depth"):  # fmt: skip
        assert f"# TYPE {family} gauge" in text
    # raw paths never become labels
    assert "prj_" not in text


def test_metrics_token(client: TestClient) -> None:
    settings = get_settings()
    settings.metrics_token = "scrape-me"
    try:
        assert_error(client.get("/metrics"), 401, "UNAUTHENTICATED")
        assert (
            client.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200
        )
    finally:
        settings.metrics_token = None
