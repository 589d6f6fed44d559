"""Webhooks (organization level): the endpoints, one endpoint's deliveries with status,
attempts and last response; create (URL and an event picker), send test, rotate secret
(the new secret shown once), pause / resume, delete, and replay a delivery."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.responses import HTMLResponse, RedirectResponse, Response

from layers.console import twins
from layers.console.routes import router
from layers.console.twins import admit, admit_console
from layers.console.web import (
    Console,
    Ctx,
    Post,
    api_body,
    form_of,
    redirect,
    render,
    text,
    unit,
)
from layers.events.service import EVENT_TYPES
from layers.kit.clock import now
from layers.kit.errors import LayersError
from layers.projects import service as projects
from layers.webhooks import service as webhooks
from layers.webhooks.schemas import DeliveryOut, DeliveryStatus, EndpointCreate, EndpointUpdate

LIST = "/console/webhooks"

#: A retry due within this long keeps the deliveries table refreshing itself; a retry due
#: later (the backoff grows to hours) does not keep a browser polling all that time.
LIVE_RETRY_WINDOW = timedelta(seconds=60)

GROUPS = (
    ("Jobs", "job."),
    ("Content", "content."),
    ("Posts", "post."),
    ("Social accounts", "social_account."),
    ("Lease requests", "lease_request."),
    ("Test", "test."),
)
DEFAULT_EVENTS = ("job.completed", "job.failed", "content.generated", "post.published")


def event_groups() -> list[tuple[str, list[str]]]:
    return [
        (label, sorted(name for name in EVENT_TYPES if name.startswith(prefix)))
        for label, prefix in GROUPS
    ]


def _refused(exc: LayersError) -> str:
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    if fields and exc.code == "VALIDATION":
        return "; ".join(f"{f.get('field')}: {f.get('message')}" for f in fields)
    return exc.message


def _list_page(
    ctx: Ctx,
    *,
    status: int = 200,
    form: dict[str, Any] | None = None,
    secret: dict[str, str] | None = None,
) -> HTMLResponse:
    for op in twins.READ_TWINS["GET /console/webhooks"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        rows, _ = webhooks.page_endpoints(db, ctx.principal, limit=100)
        endpoints = [webhooks.endpoint_out(e) for e in rows]
        project_names: dict[str, str] = {}
        if twins.allows(ctx.principal, "GET /v1/projects"):  # the picker and the names
            project_rows, _ = projects.page(db, ctx.principal, cursor=None, limit=200)
            project_names = {p.id: p.name for p in project_rows}
    return render(
        ctx,
        "webhooks.html",
        status=status,
        nav="webhooks",
        endpoints=endpoints,
        project_names=project_names,
        groups=event_groups(),
        form=form or {"url": "", "description": "", "events": DEFAULT_EVENTS, "project": ""},
        secret=secret,
        can_write=twins.allows(ctx.principal, "POST /v1/webhook-endpoints"),
    )


@router.get("/console/webhooks")
def webhooks_page(ctx: Ctx = Console) -> HTMLResponse:
    return _list_page(ctx)


@router.post("/console/webhooks", response_model=None)
def create_endpoint(ctx: Ctx = Post) -> Response:
    admit_console(ctx.principal, "POST /console/webhooks")
    form = form_of(ctx)
    chosen = [e for e in form.getlist("events") if isinstance(e, str) and e]
    typed: dict[str, Any] = {
        "url": text(form, "url").strip(),
        "description": text(form, "description").strip(),
        "events": chosen,
        "project": text(form, "project"),
    }
    data: dict[str, Any] = {"url": typed["url"], "events": chosen}
    if typed["description"]:
        data["description"] = typed["description"]
    if typed["project"]:
        data["projectId"] = typed["project"]
    try:
        body = api_body(EndpointCreate, data)
        with unit(write=True) as db:
            endpoint, secret = webhooks.create(db, ctx.principal, body)
            endpoint_id = endpoint.id
    except LayersError as exc:
        if exc.status == 404:
            raise
        typed["error"] = _refused(exc)
        return _list_page(ctx, status=422, form=typed)
    return _list_page(ctx, secret={"endpoint_id": endpoint_id, "secret": secret, "what": "created"})


def _in_flight(deliveries: list[DeliveryOut]) -> bool:
    """Whether a delivery on the page is being sent or about to be: the table then polls
    itself, so "sending…" turns into the receiver's answer without a reload."""
    soon = now() + LIVE_RETRY_WINDOW
    return any(
        d.status is DeliveryStatus.delivering
        or (
            d.status is DeliveryStatus.pending
            and (d.next_retry_at is None or d.next_retry_at <= soon)
        )
        for d in deliveries
    )


def _detail(ctx: Ctx, endpoint_id: str, secret: dict[str, str] | None = None) -> HTMLResponse:
    for op in twins.READ_TWINS["GET /console/webhooks/{endpoint_id}"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        endpoint = webhooks.endpoint_out(webhooks.get(db, ctx.principal, endpoint_id))
        rows, more = webhooks.page_deliveries(db, ctx.principal, endpoint_id, limit=100)
        deliveries = [(webhooks.delivery_out(d), d.last_response_body) for d in rows]
    return render(
        ctx,
        "webhook.html",
        nav="webhooks",
        endpoint=endpoint,
        deliveries=deliveries,
        live=_in_flight([d for d, _ in deliveries]),
        more=more is not None,
        secret=secret,
        can_write=twins.allows(ctx.principal, "POST /v1/webhook-endpoints"),
    )


@router.get("/console/webhooks/{endpoint_id}")
def webhook_page(endpoint_id: str, ctx: Ctx = Console) -> HTMLResponse:
    return _detail(ctx, endpoint_id)


@router.post("/console/webhooks/{endpoint_id}/test")
def send_test(endpoint_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/webhooks/{endpoint_id}/test")
    with unit(write=True) as db:
        delivery = webhooks.send_test(db, ctx.principal, endpoint_id, None)
        event_id = delivery.event_id
    return redirect(
        f"{LIST}/{endpoint_id}", flash=f"Sent a test.ping ({event_id}); it shows below."
    )


@router.post("/console/webhooks/{endpoint_id}/rotate-secret")
def rotate_secret(endpoint_id: str, ctx: Ctx = Post) -> HTMLResponse:
    admit_console(ctx.principal, "POST /console/webhooks/{endpoint_id}/rotate-secret")
    with unit(write=True) as db:
        _, secret = webhooks.rotate_secret(db, ctx.principal, endpoint_id)
    return _detail(
        ctx, endpoint_id, {"endpoint_id": endpoint_id, "secret": secret, "what": "rotated"}
    )


@router.post("/console/webhooks/{endpoint_id}/status")
def set_status(endpoint_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/webhooks/{endpoint_id}/status")
    body = api_body(EndpointUpdate, {"status": text(form_of(ctx), "status")})
    with unit(write=True) as db:
        endpoint = webhooks.update(db, ctx.principal, endpoint_id, body)
        status = endpoint.status
    message = "Resumed: new events are delivered again." if status == "active" else "Paused."
    return redirect(f"{LIST}/{endpoint_id}", flash=message)


@router.post("/console/webhooks/{endpoint_id}/delete")
def delete_endpoint(endpoint_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/webhooks/{endpoint_id}/delete")
    with unit(write=True) as db:
        webhooks.delete(db, ctx.principal, endpoint_id)
    return redirect(LIST, flash=f"Deleted webhook endpoint {endpoint_id} and its deliveries.")


@router.post("/console/webhook-deliveries/{delivery_id}/replay")
def replay(delivery_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/webhook-deliveries/{delivery_id}/replay")
    with unit(write=True) as db:
        copy = webhooks.replay(db, ctx.principal, delivery_id)
        endpoint_id, copy_id = copy.endpoint_id, copy.id
    return redirect(
        f"{LIST}/{endpoint_id}", flash=f"Replaying {delivery_id} as {copy_id} (a new event id)."
    )
