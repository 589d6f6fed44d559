"""The OpenAPI description of an event stream: one schema per event, JSON data."""

from __future__ import annotations

import json

import jsonschema

from layers.kit import sse


def test_an_event_stream_is_described_event_by_event() -> None:
    response = sse.event_stream(
        "Events",
        sse.event("tick", {"type": "object", "required": ["n"]}, with_id=True),
        sse.event("end", {"type": "object"}),
    )
    assert response["description"] == "Events"
    schema = response["content"]["text/event-stream"]["schema"]
    tick, end = schema["oneOf"]
    assert tick["required"] == ["event", "data", "id"] and end["required"] == ["event", "data"]
    assert tick["properties"]["data"]["contentMediaType"] == "application/json"

    # An event as the SSE parsing algorithm yields it: `data` is text, `id` a string.
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"event": "tick", "data": json.dumps({"n": 1}), "id": "7"})
    assert validator.is_valid({"event": "end", "data": "{}", "id": "7"})  # the last id carries on
    assert not validator.is_valid({"event": "tick", "data": "{}"})  # a tick has an id
    assert not validator.is_valid({"event": "other", "data": "{}"})
    assert not validator.is_valid({"event": "end", "data": {}})
    # The data's own schema is `contentSchema`, which validators check when asked to (jsonschema
    # only annotates; schemathesis decodes the JSON and checks it).
    assert tick["properties"]["data"]["contentSchema"] == {"type": "object", "required": ["n"]}
