from __future__ import annotations

from typing import Any

from layers.kit.schemas import ApiModel, UtcDateTime


class AuditEventOut(ApiModel):
    event_id: str
    event_type: str
    occurred_at: UtcDateTime
    request_id: str | None
    organization_id: str
    project_id: str | None
    api_key_id: str | None
    actor: str
    data: dict[str, Any]


class AuditEventList(ApiModel):
    items: list[AuditEventOut]
    next_cursor: str | None
