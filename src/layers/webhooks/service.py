"""Webhook endpoints and deliveries: what the API, the console and the CLI call.

Every function takes the caller's session and never commits. Signing secrets live in the
vault; only a create or a rotation returns one, once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from layers.events.service import EVENT_TYPES
from layers.kit import clock
from layers.kit.errors import Conflict, ForbiddenScope, Validation
from layers.kit.ids import new_id
from layers.kit.pagination import fetch_page
from layers.kit.repository import TenantScope
from layers.models.webhooks import WebhookDelivery, WebhookEndpoint
from layers.projects import service as projects
from layers.social.vault import Secret, get_vault
from layers.webhooks import outbox, repository, signing, urls
from layers.webhooks.schemas import (
    DeliveryOut,
    EndpointCreate,
    EndpointOut,
    EndpointUpdate,
)

SECRET_PURPOSE = "webhook_signing_secret"  # noqa: S105 (a vault purpose label)
ROTATION_GRACE = timedelta(hours=24)
ROTATION_WARNING = (
    "The previous secret stays valid until previousSecretExpiresAt: until then every delivery "
    "carries one v1 signature per secret. Verify with either, then drop the old one."
)
ADMIN_SCOPE = "org:admin"


class Caller(TenantScope, Protocol):
    """A tenant that may hold scopes (an API principal, or the console's session)."""

    def allows(self, scope: str) -> bool: ...


def _events(events: list[str]) -> list[str]:
    unknown = [(i, name) for i, name in enumerate(events) if name not in EVENT_TYPES]
    if unknown:
        index, name = unknown[0]
        raise Validation.field(
            f"events[{index}]",
            f"unknown event type '{name}'; subscribable: {', '.join(sorted(EVENT_TYPES))}",
            "unknown_event",
        )
    return list(dict.fromkeys(events))


def _metadata(current: dict[str, str], update: dict[str, str] | None) -> dict[str, str]:
    if update is None:
        return {}
    merged = {**current, **update}
    return {key: value for key, value in merged.items() if value != ""}


def _scope(caller: Caller, scope: str) -> str:
    if scope == "all_children" and not caller.allows(ADMIN_SCOPE):
        raise ForbiddenScope(
            "The all_children scope (the firehose) needs the 'org:admin' scope.",
            requiredScope=ADMIN_SCOPE,
        )
    return scope


def get(session: Session, tenant: TenantScope, endpoint_id: str) -> WebhookEndpoint:
    return repository.endpoints.get(session, tenant, endpoint_id)


def create(session: Session, caller: Caller, body: EndpointCreate) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (returned once)."""
    url = urls.check(body.url, caller.livemode)
    events = _events(body.events)
    if body.project_id is not None:
        projects.get(session, caller, body.project_id)
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        id=new_id("whe"),
        org_id=caller.org_id,
        livemode=caller.livemode,
        project_id=body.project_id,
        url=url,
        description=body.description,
        status="active",
        events=events,
        meta=_metadata({}, body.metadata or {}),
        scope=_scope(caller, body.scope.value),
        api_version=outbox.API_VERSION,
        secret_vault_id=get_vault().store(session, SECRET_PURPOSE, Secret(secret)),
        consecutive_failure_count=0,
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def update(
    session: Session, caller: Caller, endpoint_id: str, body: EndpointUpdate
) -> WebhookEndpoint:
    sent = body.model_fields_set
    if not sent:
        raise Validation("Send at least one field to change.", fields=[])
    endpoint = repository.endpoints.get(session, caller, endpoint_id, for_update=True)
    if "url" in sent:
        if body.url is None:
            raise Validation.field("url", "cannot be null", "null")
        endpoint.url = urls.check(body.url, caller.livemode)
    if "events" in sent:
        if body.events is None:
            raise Validation.field("events", "cannot be null", "null")
        endpoint.events = _events(body.events)
    if "description" in sent:
        endpoint.description = body.description
    if "metadata" in sent:
        endpoint.meta = _metadata(endpoint.meta, body.metadata)
    if "scope" in sent:
        if body.scope is None:
            raise Validation.field("scope", "cannot be null", "null")
        endpoint.scope = _scope(caller, body.scope.value)
    if "status" in sent:
        if body.status is None:
            raise Validation.field("status", "cannot be null", "null")
        endpoint.status = body.status.value
        if body.status.value == "active":
            endpoint.consecutive_failure_count = 0
    endpoint.updated_at = clock.now()
    session.flush()
    return endpoint


def delete(session: Session, tenant: TenantScope, endpoint_id: str) -> None:
    """Delete the endpoint, its delivery history and its secrets; attempts still queued find
    nothing to send."""
    endpoint = repository.endpoints.get(session, tenant, endpoint_id, for_update=True)
    get_vault().delete(session, endpoint.secret_vault_id, endpoint.previous_secret_vault_id)
    repository.delete_deliveries(session, endpoint.id)
    session.delete(endpoint)
    session.flush()


def rotate_secret(
    session: Session, tenant: TenantScope, endpoint_id: str
) -> tuple[WebhookEndpoint, str]:
    """A new secret; the current one stays valid for `ROTATION_GRACE` (an older previous one
    is dropped)."""
    endpoint = repository.endpoints.get(session, tenant, endpoint_id, for_update=True)
    vault = get_vault()
    now = clock.now()
    secret = signing.new_secret()
    vault.delete(session, endpoint.previous_secret_vault_id)
    endpoint.previous_secret_vault_id = endpoint.secret_vault_id
    endpoint.previous_secret_expires_at = now + ROTATION_GRACE
    endpoint.secret_vault_id = vault.store(session, SECRET_PURPOSE, Secret(secret))
    endpoint.updated_at = now
    session.flush()
    return endpoint, secret


def send_test(
    session: Session, tenant: TenantScope, endpoint_id: str, data: dict[str, Any] | None
) -> WebhookDelivery:
    """A signed ``test.ping`` to the endpoint, whatever it subscribes to."""
    endpoint = repository.endpoints.get(session, tenant, endpoint_id)
    if endpoint.status != "active":
        raise Conflict(
            f"Webhook endpoint {endpoint.id} is {endpoint.status}; PATCH it to active first.",
            status=endpoint.status,
        )
    event_id = new_id("evt")
    if data is None:
        data = {
            "message": "A test event from Layers.",
            "endpointId": endpoint.id,
            "organizationId": endpoint.org_id,
        }
    body = outbox.payload(
        event_id=event_id,
        type_="test.ping",
        created=clock.now(),
        livemode=endpoint.livemode,
        org_id=endpoint.org_id,
        project_id=endpoint.project_id,
        data=data,
    )
    return outbox.create(session, endpoint, event_id, "test.ping", None, body)


def replay(session: Session, tenant: TenantScope, delivery_id: str) -> WebhookDelivery:
    """A fresh delivery of the same event with a new event id and ``replayOf``."""
    original = repository.deliveries.get(session, tenant, delivery_id)
    endpoint = repository.endpoints.get(session, tenant, original.endpoint_id)
    if endpoint.status != "active":
        raise Conflict(
            f"Webhook endpoint {endpoint.id} is {endpoint.status}; PATCH it to active first.",
            status=endpoint.status,
        )
    event_id = new_id("evt")
    body = {**original.payload, "id": event_id, "replayOf": original.id}
    return outbox.create(
        session,
        endpoint,
        event_id,
        original.event_type,
        original.subject_id,
        body,
        replay_of=original.id,
    )


def page_endpoints(
    session: Session,
    tenant: TenantScope,
    *,
    project_id: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 25,
) -> tuple[list[WebhookEndpoint], str | None]:
    stmt = repository.list_endpoints(tenant, project_id=project_id, status=status)
    rows, next_cursor = fetch_page(session, stmt, WebhookEndpoint.id, cursor=cursor, limit=limit)
    return list(rows), next_cursor


def page_deliveries(
    session: Session,
    tenant: TenantScope,
    endpoint_id: str,
    *,
    event_type: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 25,
) -> tuple[list[WebhookDelivery], str | None]:
    endpoint = repository.endpoints.get(session, tenant, endpoint_id)
    stmt = repository.list_deliveries(endpoint.id, event_type=event_type, status=status)
    rows, next_cursor = fetch_page(session, stmt, WebhookDelivery.id, cursor=cursor, limit=limit)
    return list(rows), next_cursor


def endpoint_out(endpoint: WebhookEndpoint) -> EndpointOut:
    return EndpointOut(
        id=endpoint.id,
        organization_id=endpoint.org_id,
        project_id=endpoint.project_id,
        url=endpoint.url,
        description=endpoint.description,
        status=endpoint.status,
        events=list(endpoint.events),
        api_version=endpoint.api_version,
        scope=endpoint.scope,
        metadata=dict(endpoint.meta or {}),
        livemode=endpoint.livemode,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
        last_success_at=endpoint.last_success_at,
        last_failure_at=endpoint.last_failure_at,
        consecutive_failure_count=endpoint.consecutive_failure_count,
    )


def delivery_out(delivery: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        status=delivery.status,
        attempts=delivery.attempts,
        next_retry_at=delivery.next_retry_at,
        delivered_at=delivery.delivered_at,
        abandoned_at=delivery.abandoned_at,
        last_response_status=delivery.last_response_status,
        last_response_at=delivery.last_response_at,
        last_error_message=delivery.last_error_message,
        replay_of=delivery.replay_of,
        created_at=delivery.created_at,
    )
