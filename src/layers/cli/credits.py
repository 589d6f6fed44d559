"""``layers credits show|events|allocate`` (over the API) and the operator's
``layers orgs credits grant`` and ``layers keys tier`` (on the local database)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from layers.cli.admin import _database, _fail
from layers.cli.client import q
from layers.cli.output import (
    AllOption,
    CursorOption,
    JsonOption,
    LimitOption,
    client,
    err,
    fetch,
    fetch_page,
    out,
    print_json,
    print_object,
    print_page,
    short_time,
)

credits_app = typer.Typer(help="The wallet: credits and their ledger.", no_args_is_help=True)
credits_admin_app = typer.Typer(
    help="Credits, on the local database (operators).", no_args_is_help=True
)

OrgOption = Annotated[
    str | None,
    typer.Option("--org", help="A child organization (org_…); default: your own organization."),
]


def _base(org: str | None) -> str:
    return f"/v1/organizations/{q(org)}/credits" if org else "/v1/credits"


def show_wallet(wallet: dict[str, Any]) -> None:
    period = wallet.get("currentPeriod") or {}
    rows = [
        ("organization", wallet.get("organizationId")),
        ("available", wallet.get("available")),
        ("balance", wallet.get("balance")),
        ("reserved", wallet.get("reservedCredits")),
        ("used this period", wallet.get("usedThisPeriod")),
        ("period", f"{short_time(period.get('start'))} → {short_time(period.get('end'))}"),
        ("metered", "yes" if wallet.get("metered") else "no (usage recorded only)"),
    ]
    for label, value in rows:
        out.print(f"{label:<17} {value}", markup=False)
    costs = wallet.get("estimatedCreditsPerFormat") or {}
    if costs:
        listed = ", ".join(f"{name} {credits}" for name, credits in costs.items())
        out.print(f"{'per generation':<17} {listed}", markup=False)


@credits_app.command("show")
def show(org: OrgOption = None, json_output: JsonOption = False) -> None:
    """The wallet: available, balance, reserved, this period's usage."""
    print_object(fetch(_base(org)), json_output, show_wallet)


@credits_app.command("events")
def events(
    org: OrgOption = None,
    event_type: Annotated[
        str | None,
        typer.Option("--type", help="usage, refund, grant, purchase, adjustment or allocation."),
    ] = None,
    project: Annotated[str | None, typer.Option(help="Only this project's events.")] = None,
    limit: LimitOption = 25,
    all_pages: AllOption = False,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """The credit ledger, newest first."""
    page = fetch_page(
        _base(org) + "/events",
        limit=limit,
        all_pages=all_pages,
        cursor=cursor,
        eventType=event_type,
        projectId=project,
    )
    print_page(
        page,
        json_output,
        ["when", "type", "credits", "after", "format", "detail"],
        lambda e: (
            short_time(e.get("createdAt")),
            e["eventType"],
            f"{e['credits']:+d}",
            e.get("balanceAfterPrepaid"),
            e.get("format") or "",
            e.get("reservationStatus") or e.get("description") or e.get("transferId") or "",
        ),
    )


@credits_app.command("allocate")
def allocate(
    org: Annotated[str, typer.Argument(help="The child organization (org_…).")],
    credits: Annotated[int, typer.Argument(min=1, help="Credits to move to it.")],
    description: Annotated[str | None, typer.Option(help="Up to 500 characters.")] = None,
    idempotency_key: Annotated[
        str | None,
        typer.Option(help="Repeat a previous allocation safely (default: a fresh key)."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Move credits from your organization's balance to a child's (both ledgers)."""
    body: dict[str, Any] = {"credits": credits}
    if description:
        body["description"] = description
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
    with client() as api:
        path = f"/v1/organizations/{q(org)}/credits/allocate"
        transfer = api.request("POST", path, body=body, headers=headers).json()
    if json_output:
        print_json(transfer)
        return
    err.print(
        f"Allocated {transfer['allocated']} credits to {org} ({transfer['id']}"
        + (", a replay" if transfer.get("replayed") else "")
        + f"); it now has {transfer['available']} available.",
        markup=False,
    )


@credits_admin_app.command("grant")
def grant(
    org_id: Annotated[str, typer.Argument(help="The organization (org_…).")],
    credits: Annotated[int, typer.Argument(min=1, help="Credits to add.")],
    description: Annotated[str | None, typer.Option(help="Shown on the ledger row.")] = None,
) -> None:
    """Add credits to an organization's wallet (a `grant` on its ledger)."""
    # Imported here, not at the top: keeps the database out of the remote commands' start-up.
    from layers.kit.errors import LayersError
    from layers.orgs.wallet import service

    with _database().transaction() as session:
        try:
            event = service.grant(session, org_id, credits, description=description)
        except LayersError as exc:
            raise _fail(exc.message) from exc
        balance = event.balance_after
    typer.echo(f"granted {credits} credits to {org_id}; available {balance}")


def set_tier(
    key_id: Annotated[str, typer.Argument(help="The API key (key_…).")],
    tier: Annotated[str, typer.Argument(help="standard, pilot or partner.")],
) -> None:
    """Set an API key's rate-limit tier."""
    # Imported here, not at the top: keeps the database out of the remote commands' start-up.
    from layers.models.orgs import ApiKey
    from layers.orgs.limits.tiers import TIERS

    if tier not in TIERS:
        raise _fail(f"unknown tier {tier!r}; one of {', '.join(TIERS)}")
    with _database().transaction() as session:
        key = session.get(ApiKey, key_id)
        if key is None:
            raise _fail(f"no API key {key_id}")
        key.rate_limit_tier = tier
    typer.echo(f"{key_id} is on the {tier} tier")
