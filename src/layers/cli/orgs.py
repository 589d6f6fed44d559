"""``layers orgs …`` over the API: child organizations, API keys and the audit log.

These commands call the Partner API with an ``org:admin`` key (``layers orgs create`` and
``layers orgs list --local`` stay operator commands on the local database, in `admin`).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from layers.cli import admin
from layers.cli.client import UsageError, q
from layers.cli.output import (
    AllOption,
    CursorOption,
    JsonOption,
    LimitOption,
    client,
    err,
    fetch,
    fetch_page,
    more_hint,
    out,
    print_json,
    print_object,
    print_page,
    short_time,
    status,
    table,
)

keys_app = typer.Typer(
    help="API keys of your organization or of a child (--org).", no_args_is_help=True
)

OrgArgument = Annotated[str, typer.Argument(help="The child organization's id (org_…).")]
OrgOption = Annotated[
    str | None,
    typer.Option("--org", help="A child organization (org_…); without it, your own keys."),
]
MetadataOption = Annotated[
    list[str] | None,
    typer.Option("--metadata", "-m", help="key=value (repeatable; an empty value removes it)."),
]


def _metadata(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--metadata expects key=value, got {pair!r}")
        result[key] = value
    return result


def show_org(org: dict[str, Any]) -> None:
    rows: list[tuple[str, Any]] = [
        ("id", org.get("id")),
        ("name", org.get("name")),
        ("status", status(org.get("status"))),
        ("mode", "live" if org.get("livemode") else "test"),
        ("parent", org.get("parentOrganizationId")),
        ("billing email", org.get("billingEmail")),
        ("suspended", short_time(org.get("suspendedAt"))),
        ("archived", short_time(org.get("archivedAt"))),
        ("created", short_time(org.get("createdAt"))),
    ]
    credits = org.get("credits")
    if credits:
        rows.append(
            (
                "credits",
                f"{credits['available']} available of {credits['balance']} "
                f"({credits['reservedCredits']} reserved)",
            )
        )
    projects = org.get("projects")
    if projects:
        rows.append(("projects", f"{projects['active']} active, {projects['archived']} archived"))
    if "apiKeys" in org:
        rows.append(("active keys", org["apiKeys"]))
    for label, value in rows:
        if value not in (None, ""):
            out.print(f"{label:<14} {value}")
    for key, value in sorted((org.get("metadata") or {}).items()):
        out.print(f"{'metadata':<14} {key}={value}", markup=False)


def list_orgs(
    state: Annotated[
        str | None, typer.Option("--status", help="active, suspended or archived.")
    ] = None,
    local: Annotated[
        bool,
        typer.Option(
            "--local", help="Every organization in the local database (operator; no API key)."
        ),
    ] = False,
    limit: LimitOption = 25,
    all_pages: AllOption = False,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """Your child organizations, newest first."""
    if local:
        admin.list_orgs()
        return
    page = fetch_page(
        "/v1/organizations", limit=limit, all_pages=all_pages, cursor=cursor, status=state
    )
    print_page(
        page,
        json_output,
        ["id", "name", "status", "billing email", "created"],
        lambda o: (
            o["id"],
            o["name"],
            status(o["status"]),
            o.get("billingEmail"),
            short_time(o.get("createdAt")),
        ),
    )


def create_child(
    name: Annotated[str, typer.Argument(help="1–128 characters.")],
    billing_email: Annotated[str | None, typer.Option(help="Who gets the invoices.")] = None,
    metadata: MetadataOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create a child organization (active, with an empty wallet)."""
    body: dict[str, Any] = {"name": name}
    if billing_email:
        body["billingEmail"] = billing_email
    if metadata:
        body["metadata"] = _metadata(metadata)
    with client() as api:
        org = api.post("/v1/organizations", body)
    if json_output:
        print_json(org)
        return
    err.print(f"Created organization {org['id']}.", markup=False)
    show_org(org)


def show(org_id: OrgArgument, json_output: JsonOption = False) -> None:
    """One child organization with its credit and project summary."""
    print_object(fetch(f"/v1/organizations/{q(org_id)}"), json_output, show_org)


def update(
    org_id: OrgArgument,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    billing_email: Annotated[str | None, typer.Option(help="A new billing email.")] = None,
    metadata: MetadataOption = None,
    json_output: JsonOption = False,
) -> None:
    """Rename a child, change its billing email, or merge metadata."""
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = name
    if billing_email is not None:
        body["billingEmail"] = billing_email
    if metadata:
        body["metadata"] = _metadata(metadata)
    if not body:
        raise UsageError("nothing to change: pass --name, --billing-email or --metadata")
    with client() as api:
        org = api.patch(f"/v1/organizations/{q(org_id)}", body)
    print_object(org, json_output, show_org)


def _transition(org_id: str, action: str, json_output: bool) -> None:
    with client() as api:
        org = api.post(f"/v1/organizations/{q(org_id)}/{action}")
    if json_output:
        print_json(org)
        return
    err.print(f"{org['id']} is {org['status']}.", markup=False)


def suspend(org_id: OrgArgument, json_output: JsonOption = False) -> None:
    """Suspend a child: its keys get 503 KILL_SWITCH; nothing generates or publishes."""
    _transition(org_id, "suspend", json_output)


def resume(org_id: OrgArgument, json_output: JsonOption = False) -> None:
    """Resume a suspended child: its keys work again, held posts go out."""
    _transition(org_id, "resume", json_output)


def archive(
    org_id: OrgArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Archive (offboard) a child: revoke its keys, sweep its credits back. Irreversible."""
    if not yes and not typer.confirm(f"Archive {org_id}? This cannot be undone."):
        raise typer.Exit(code=1)
    with client() as api:
        result = api.delete(f"/v1/organizations/{q(org_id)}")
    if json_output:
        print_json(result)
        return
    err.print(
        f"{result['id']} archived: {result['revokedApiKeys']} key(s) revoked, "
        f"{result['reclaimedCredits']} credit(s) swept back.",
        markup=False,
    )


# ---- keys ----


def _keys_path(org: str | None) -> str:
    return f"/v1/organizations/{q(org)}/api-keys" if org else "/v1/api-keys"


def _print_minted(key: dict[str, Any], json_output: bool) -> None:
    if json_output:
        print_json(key)
        return
    err.print(
        f"Created {key['id']} ({key['env']}) for {key['organizationId']} with "
        f"{', '.join(key['scopes'])}. The key is shown only this once:",
        markup=False,
    )
    typer.echo(key["key"])


@keys_app.command("mint")
def mint_key(
    scope: Annotated[
        list[str], typer.Option("--scope", "-s", help="A scope to grant (repeatable, ≥ 1).")
    ],
    org: OrgOption = None,
    name: Annotated[str, typer.Option(help="A label (1–120).")] = "cli",
    env: Annotated[str | None, typer.Option(help="live or test.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Mint a key and print it (alone on stdout; shown only this once)."""
    body: dict[str, Any] = {"name": name, "scopes": scope}
    if env:
        body["env"] = env
    with client() as api:
        key = api.post(_keys_path(org), body)
    _print_minted(key, json_output)


@keys_app.command("list")
def list_keys(
    org: OrgOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 25,
    all_pages: AllOption = False,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """The keys, masked (never a secret)."""
    if org:
        page = fetch_page(_keys_path(org), limit=limit, all_pages=all_pages, cursor=cursor)
    else:
        page = fetch(_keys_path(None))  # the organization's own keys: one list, no pages
        page.setdefault("nextCursor", None)
    print_page(
        page,
        json_output,
        ["id", "name", "prefix", "env", "status", "scopes", "grace until", "created"],
        lambda k: (
            k["id"],
            k["name"],
            k["prefix"],
            k.get("env") or ("live" if k.get("livemode") else "test"),
            status(k["status"]),
            ", ".join(k["scopes"]),
            short_time(k.get("graceUntil")),
            short_time(k.get("createdAt")),
        ),
    )


@keys_app.command("rotate")
def rotate_key(
    key_id: Annotated[str, typer.Argument(help="The key to rotate (key_…).")],
    org: OrgOption = None,
    json_output: JsonOption = False,
) -> None:
    """Replace a key: prints the new one (shown once); the old works 24 h more."""
    with client() as api:
        result = api.post(f"{_keys_path(org)}/{q(key_id)}/rotate")
    if json_output:
        print_json(result)
        return
    previous = result["previous"]
    err.print(
        f"{previous['id']} keeps working until {short_time(previous['graceUntil'])} UTC.",
        markup=False,
    )
    _print_minted(result["apiKey"], False)


@keys_app.command("delete")
def delete_key(
    key_id: Annotated[str, typer.Argument(help="The key to revoke (key_…).")],
    org: OrgOption = None,
    json_output: JsonOption = False,
) -> None:
    """Revoke a key now (no grace)."""
    with client() as api:
        key = api.delete(f"{_keys_path(org)}/{q(key_id)}")
    if json_output:
        print_json(key)
        return
    err.print(f"{key['id']} is revoked.", markup=False)


# ---- audit ----


def audit(
    event_type: Annotated[
        str | None, typer.Option("--event-type", "-t", help="e.g. api.request.")
    ] = None,
    project: Annotated[str | None, typer.Option("--project", help="A project id.")] = None,
    key: Annotated[str | None, typer.Option("--key", help="An API key id.")] = None,
    since: Annotated[str | None, typer.Option(help="ISO 8601 UTC with Z.")] = None,
    until: Annotated[str | None, typer.Option(help="ISO 8601 UTC with Z.")] = None,
    org: Annotated[str | None, typer.Option("--org", help="A child's log (acting in it).")] = None,
    limit: LimitOption = 50,
    all_pages: AllOption = False,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """The audit log, newest first."""
    headers = {"X-Layers-Organization": org} if org else None
    params: dict[str, Any] = {
        "eventType": event_type,
        "projectId": project,
        "apiKeyId": key,
        "since": since,
        "until": until,
        "limit": limit,
    }
    items: list[dict[str, Any]] = []
    with client() as api:
        while True:
            page: dict[str, Any] = api.request(
                "GET", "/v1/audit-log", params={**params, "cursor": cursor}, headers=headers
            ).json()
            items += page["items"]
            cursor = page.get("nextCursor")
            if not all_pages or not cursor:
                break
    page = {"items": items, "nextCursor": cursor}
    if json_output:
        print_json(page)
        return
    table(
        ["when", "event", "key", "what"],
        [
            (
                short_time(e["occurredAt"]),
                e["eventType"],
                e.get("apiKeyId"),
                _summary(e),
            )
            for e in items
        ],
    )
    more_hint(page)


def _summary(event: dict[str, Any]) -> str:
    data = event.get("data") or {}
    if "method" in data:
        code = data.get("status") or data.get("code") or data.get("requiredScope") or ""
        return f"{data['method']} {data.get('path', '')} {code}".strip()
    if "keyId" in data:
        return str(data["keyId"])
    if "organizationId" in data:
        return str(data["organizationId"])
    return ""


def install(orgs_app: typer.Typer) -> None:
    """Add these commands to the ``layers orgs`` group (next to the operator's ``create``)."""
    orgs_app.command("list")(list_orgs)
    orgs_app.command("create-child")(create_child)
    orgs_app.command("show")(show)
    orgs_app.command("update")(update)
    orgs_app.command("suspend")(suspend)
    orgs_app.command("resume")(resume)
    orgs_app.command("archive")(archive)
    orgs_app.command("audit")(audit)
    orgs_app.add_typer(keys_app, name="keys")
