"""Live logs over Server-Sent Events, read from a real HTTP server as the run goes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from layers.app import openapi_document
from tests.engine.helpers import execute, install, new_project, wait_for_run
from tests.support import Tenant, assert_error


def read_events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    event: dict[str, Any] = {}
    for line in response.iter_lines():
        if not line:
            if "event" in event:
                yield event
            event = {}
        elif line.startswith("event: "):
            event["event"] = line[7:]
        elif line.startswith("id: "):
            event["id"] = int(line[4:])
        elif line.startswith("data: "):
            event["data"] = json.loads(line[6:])


def test_log_lines_arrive_while_the_run_is_going(
    client: TestClient, tenant: Tenant, live_url: str
) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    run_id = execute(client, headers, layer["id"], "crunch", {"items": 8, "delay": 0.25})["runId"]
    url = f"{live_url}/v1/runs/{run_id}/logs/stream"
    events: list[dict[str, Any]] = []
    status_at_first_line: str | None = None
    with httpx.stream("GET", url, headers=headers, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for event in read_events(response):
            events.append(event)
            data = event.get("data") or {}
            first_line = event["event"] == "log" and data["message"].startswith("crunched")
            if first_line and status_at_first_line is None:
                status = client.get(f"/v1/runs/{run_id}", headers=headers).json()["status"]
                status_at_first_line = status
    assert status_at_first_line == "running"
    kinds = [e["event"] for e in events]
    assert kinds[0] == "run" and kinds[-1] == "end"
    assert events[-1]["data"] == {"status": "completed"}
    lines = [e for e in events if e["event"] == "log"]
    ids = [e["id"] for e in lines]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    crunched = [e["data"]["message"] for e in lines if e["data"]["message"].startswith("crunched")]
    assert crunched == [f"crunched item {i}" for i in range(8)]
    beats = [e["data"]["heartbeatDetails"] for e in events if e["event"] == "activity"]
    assert beats[-1] == {"done": 8} and len(beats) > 2  # the heartbeat indicator moved

    # Reconnecting with Last-Event-ID resumes after that line.
    resume_after = ids[2]
    with httpx.stream(
        "GET", url, headers={**headers, "Last-Event-ID": str(resume_after)}, timeout=30
    ) as response:
        resumed = list(read_events(response))
    resumed_ids = [e["id"] for e in resumed if e["event"] == "log"]
    assert resumed_ids == ids[3:]
    assert resumed[-1]["event"] == "end"


def test_a_finished_run_streams_its_logs_and_ends(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    run = wait_for_run(client, headers, execute(client, headers, layer["id"], "refresh")["runId"])
    response = client.get(f"/v1/runs/{run['id']}/logs/stream", params={"after": 0}, headers=headers)
    assert response.status_code == 200
    body = response.text
    assert body.count("event: log") == 2 and body.rstrip().endswith('data: {"status":"completed"}')
    missing = client.get("/v1/runs/run_01ARZ3NDEKTSV4RRFFQ69G5FAV/logs/stream", headers=headers)
    assert_error(missing, 404, "NOT_FOUND")


def test_the_document_describes_each_event_of_the_stream(
    client: TestClient, tenant: Tenant
) -> None:
    """The 200 is described event by event (`layers.kit.sse`), not as a bare string, so a
    response-schema check reads a real stream and passes; ``{"type": "string"}`` failed it
    (schemathesis parses the stream into events: ST108 "SSE event violates schema")."""
    document = openapi_document()
    operation = document["paths"]["/v1/runs/{run_id}/logs/stream"]["get"]
    content = operation["responses"]["200"]["content"]
    assert list(content) == ["text/event-stream"]
    kinds = content["text/event-stream"]["schema"]["oneOf"]
    names = [kind["properties"]["event"]["const"] for kind in kinds]
    assert names == ["run", "activity", "log", "end", "timeout"]
    for kind in kinds:
        data = kind["properties"]["data"]
        assert data["type"] == "string" and data["contentMediaType"] == "application/json"
        assert data["contentSchema"]
    log_event = kinds[names.index("log")]
    assert log_event["required"] == ["event", "data", "id"]
    assert log_event["properties"]["data"]["contentSchema"] == {
        "$ref": "#/components/schemas/LogOut"
    }

    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    run = wait_for_run(client, headers, execute(client, headers, layer["id"], "refresh")["runId"])
    response = client.get(f"/v1/runs/{run['id']}/logs/stream", headers=headers)
    assert {"event: run", "event: activity", "event: log", "event: end"} <= set(
        response.text.splitlines()
    )
    case = schemathesis.openapi.from_dict(document)["/v1/runs/{run_id}/logs/stream"]["GET"].Case(
        path_parameters={"run_id": run["id"]}, headers=headers
    )
    case.validate_response(response, checks=[response_schema_conformance, content_type_conformance])
