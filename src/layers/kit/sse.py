"""How the OpenAPI document describes a Server-Sent Events response.

A ``text/event-stream`` body is a sequence of events, not one value, so ``{"type": "string"}``
describes nothing a client (or schemathesis, which parses the stream into events) can check.
OpenAPI 3.2 gives the media type an ``itemSchema`` for one event; our document is 3.1, where the
media type's ``schema`` takes that role (the reading schemathesis documents for 3.0 and 3.1). An
event is the object the SSE parsing algorithm yields, ``{event, data, id?, retry?}``; its
``data`` is JSON text, described with JSON Schema's ``contentMediaType`` and ``contentSchema``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MEDIA_TYPE = "text/event-stream"


def event(name: str, data: Mapping[str, Any], *, with_id: bool = False) -> dict[str, Any]:
    """One kind of event: its ``event:`` name and the schema of its (JSON) ``data:``. With
    `with_id` the event always carries an ``id:``; any event may carry one, since a stream's
    last id stays with the events that follow it."""
    required = ["event", "data", *(["id"] if with_id else [])]
    return {
        "type": "object",
        "title": f"{name} event",
        "required": required,
        "properties": {
            "event": {"const": name},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": dict(data),
            },
            "id": {"type": "string"},
            "retry": {"type": "integer", "minimum": 0},
        },
        "additionalProperties": False,
    }


def event_stream(description: str, *events: dict[str, Any]) -> dict[str, Any]:
    """A `responses` entry for a route answering with a stream of `events`."""
    return {
        "description": description,
        "content": {MEDIA_TYPE: {"schema": {"oneOf": list(events)}}},
    }
