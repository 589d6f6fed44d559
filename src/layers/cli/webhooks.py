"""``layers webhooks list|create|delete|test|deliveries|replay|rotate-secret|resume``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from layers.cli.client import q
from layers.cli.output import (
    AllOption,
    CursorOption,
    JsonOption,
    LimitOption,
    client,
    err,
    fetch_page,
    out,
    print_json,
    print_page,
    short_time,
    status,
)

webhooks_app = typer.Typer(help="Webhook endpoints and their deliveries.", no_args_is_help=True)


def _events(endpoint: dict[str, Any]) -> str:
    events: list[str] = endpoint.get("events") or []
    return ", ".join(events[:3]) + (f" +{len(events) - 3}" if len(events) > 3 else "")


@webhooks_app.command("list")
def list_endpoints(
    project: Annotated[str | None, typer.Option("--project", help="A project's only.")] = None,
    state: Annotated[
        str | None, typer.Option("--status", help="active, paused or auto_paused.")
    ] = None,
    limit: LimitOption = 25,
    all_pages: AllOption = False,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """The organization's webhook endpoints, newest first."""
    page = fetch_page(
        "/v1/webhook-endpoints",
        limit=limit,
        all_pages=all_pages,
        cursor=cursor,
        projectId=project,
        status=state,
    )
    print_page(
        page,
        json_output,
        ["id", "url", "status", "events", "failures", "last success"],
        lambda e: (
            e["id"],
            e["url"],
            status(e["status"]),
            _events(e),
            e["consecutiveFailureCount"],
            short_time(e.get("lastSuccessAt")) or "never",
        ),
    )


@webhooks_app.command("create")
def create_endpoint(
    url: Annotated[str, typer.Argument(help="HTTPS URL (test keys: http://localhost too).")],
    event: Annotated[
        list[str], typer.Option("--event", "-e", help="An event type; repeat for more.")
    ],
    description: Annotated[str | None, typer.Option(help="Up to 500 characters.")] = None,
    project: Annotated[
        str | None, typer.Option("--project", help="Only this project's events.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Subscribe a URL to events; prints the signing secret once."""
    body: dict[str, Any] = {"url": url, "events": event}
    if description is not None:
        body["description"] = description
    if project is not None:
        body["projectId"] = project
    with client() as api:
        created = api.post("/v1/webhook-endpoints", body)
    if json_output:
        print_json(created)
        return
    endpoint = created["endpoint"]
    err.print(f"Created webhook endpoint {endpoint['id']}.", markup=False)
    out.print(f"signing secret  {created['signingSecret']}", markup=False)
    err.print("Store the secret now: it is not shown again.", markup=False)


@webhooks_app.command("delete")
def delete_endpoint(endpoint_id: str, json_output: JsonOption = False) -> None:
    """Delete an endpoint and its delivery history."""
    with client() as api:
        deleted = api.delete(f"/v1/webhook-endpoints/{q(endpoint_id)}")
    if json_output:
        print_json(deleted)
        return
    err.print(f"Deleted webhook endpoint {endpoint_id}.", markup=False)


@webhooks_app.command("test")
def send_test(endpoint_id: str, json_output: JsonOption = False) -> None:
    """Send a signed test.ping to an endpoint."""
    with client() as api:
        sent = api.post(f"/v1/webhook-endpoints/{q(endpoint_id)}/test", {})
    if json_output:
        print_json(sent)
        return
    err.print(f"Queued test.ping {sent['eventId']} (delivery {sent['deliveryId']}).", markup=False)


@webhooks_app.command("deliveries")
def list_deliveries(
    endpoint_id: str,
    state: Annotated[
        str | None,
        typer.Option("--status", help="pending, delivering, delivered, failed or abandoned."),
    ] = None,
    event_type: Annotated[str | None, typer.Option("--event", help="One event type.")] = None,
    limit: LimitOption = 25,
    all_pages: AllOption = False,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """An endpoint's deliveries, newest first."""
    page = fetch_page(
        f"/v1/webhook-endpoints/{q(endpoint_id)}/deliveries",
        limit=limit,
        all_pages=all_pages,
        cursor=cursor,
        status=state,
        eventType=event_type,
    )
    print_page(
        page,
        json_output,
        ["id", "event", "status", "attempts", "last answer", "created"],
        lambda d: (
            d["id"],
            d["eventType"],
            status(d["status"]),
            d["attempts"],
            d.get("lastResponseStatus") or d.get("lastErrorMessage") or "",
            short_time(d.get("createdAt")),
        ),
    )


@webhooks_app.command("replay")
def replay(delivery_id: str, json_output: JsonOption = False) -> None:
    """Send a delivery's event again (a new event id, with replayOf)."""
    with client() as api:
        result = api.post(f"/v1/webhook-deliveries/{q(delivery_id)}/replay", {})
    if json_output:
        print_json(result)
        return
    err.print(
        f"Queued replay {result['replayDeliveryId']} of {result['originalDeliveryId']}.",
        markup=False,
    )


@webhooks_app.command("rotate-secret")
def rotate_secret(endpoint_id: str, json_output: JsonOption = False) -> None:
    """A new signing secret; the old one stays valid for 24 hours."""
    with client() as api:
        rotated = api.post(f"/v1/webhook-endpoints/{q(endpoint_id)}/rotate-secret", {})
    if json_output:
        print_json(rotated)
        return
    out.print(f"signing secret  {rotated['signingSecret']}", markup=False)
    err.print(
        f"The previous secret stays valid until {short_time(rotated['previousSecretExpiresAt'])}.",
        markup=False,
    )


@webhooks_app.command("resume")
def resume(endpoint_id: str, json_output: JsonOption = False) -> None:
    """Set a paused or auto-paused endpoint active again (resets its failure count)."""
    with client() as api:
        endpoint = api.patch(f"/v1/webhook-endpoints/{q(endpoint_id)}", {"status": "active"})
    if json_output:
        print_json(endpoint)
        return
    err.print(f"Webhook endpoint {endpoint_id} is {endpoint['status']}.", markup=False)
