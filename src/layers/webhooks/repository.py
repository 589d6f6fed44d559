"""Queries over webhook endpoints and deliveries. Every function takes the caller's session
and never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit.repository import TenantRepository, TenantScope
from layers.models.orgs import Organization
from layers.models.webhooks import WebhookDelivery, WebhookEndpoint

endpoints = TenantRepository(WebhookEndpoint, "whe", "webhook endpoint")
deliveries = TenantRepository(WebhookDelivery, "whd", "webhook delivery")

AUTO_PAUSE_AFTER = 20
"""Consecutive failed attempts that pause an endpoint (``auto_paused``)."""


def receivers(session: Session, org_id: str, livemode: bool) -> Sequence[WebhookEndpoint]:
    """Active endpoints that may receive an event of `org_id` in that mode: the
    organization's own, and its parent's firehose endpoints (``scope='all_children'``)."""
    parent = sa.select(Organization.parent_id).where(Organization.id == org_id).scalar_subquery()
    return session.scalars(
        sa.select(WebhookEndpoint)
        .where(
            WebhookEndpoint.livemode == livemode,
            WebhookEndpoint.status == "active",
            sa.or_(
                WebhookEndpoint.org_id == org_id,
                sa.and_(WebhookEndpoint.org_id == parent, WebhookEndpoint.scope == "all_children"),
            ),
        )
        .order_by(WebhookEndpoint.id)
    ).all()


def list_endpoints(
    tenant: TenantScope, *, project_id: str | None, status: str | None
) -> sa.Select[WebhookEndpoint]:
    stmt = endpoints.scoped(tenant)
    if project_id is not None:
        stmt = stmt.where(WebhookEndpoint.project_id == project_id)
    if status is not None:
        stmt = stmt.where(WebhookEndpoint.status == status)
    return stmt


def list_deliveries(
    endpoint_id: str, *, event_type: str | None, status: str | None
) -> sa.Select[WebhookDelivery]:
    stmt = sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if event_type is not None:
        stmt = stmt.where(WebhookDelivery.event_type == event_type)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    return stmt


def start_attempt(session: Session, delivery_id: str, attempt: int, now: datetime) -> bool:
    """``pending → delivering`` for attempt number `attempt` (or the same attempt again, when
    a crashed worker's step re-runs); False when the delivery moved on or is gone."""
    result = session.execute(
        sa.update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            sa.or_(
                sa.and_(
                    WebhookDelivery.status == "pending", WebhookDelivery.attempts == attempt - 1
                ),
                sa.and_(
                    WebhookDelivery.status == "delivering", WebhookDelivery.attempts == attempt
                ),
            ),
        )
        .values(status="delivering", attempts=attempt, next_retry_at=None, updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def end_attempt(
    session: Session, delivery_id: str, attempt: int, now: datetime, **values: Any
) -> bool:
    """Record attempt `attempt`'s outcome, if the delivery is still in that attempt."""
    result = session.execute(
        sa.update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == "delivering",
            WebhookDelivery.attempts == attempt,
        )
        .values(updated_at=now, **values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def abandon(session: Session, delivery_id: str, now: datetime, message: str) -> None:
    session.execute(
        sa.update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status.in_(("pending", "delivering")),
        )
        .values(
            status="abandoned",
            abandoned_at=now,
            next_retry_at=None,
            last_error_message=message,
            updated_at=now,
        )
    )


def endpoint_succeeded(session: Session, endpoint_id: str, now: datetime) -> None:
    session.execute(
        sa.update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .values(consecutive_failure_count=0, last_success_at=now)
    )


def endpoint_failed(session: Session, endpoint_id: str, now: datetime) -> bool:
    """Count a failed attempt; True when it paused the endpoint (the `AUTO_PAUSE_AFTER`th in
    a row). One UPDATE each, so concurrent failures are all counted."""
    session.execute(
        sa.update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .values(
            consecutive_failure_count=WebhookEndpoint.consecutive_failure_count + 1,
            last_failure_at=now,
        )
    )
    paused = session.execute(
        sa.update(WebhookEndpoint)
        .where(
            WebhookEndpoint.id == endpoint_id,
            WebhookEndpoint.status == "active",
            WebhookEndpoint.consecutive_failure_count >= AUTO_PAUSE_AFTER,
        )
        .values(status="auto_paused", updated_at=now)
    )
    return bool(paused.rowcount)  # type: ignore[attr-defined]


def delete_deliveries(session: Session, endpoint_id: str) -> None:
    session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id))
