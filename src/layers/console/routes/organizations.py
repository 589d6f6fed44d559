"""Organizations (organization level): the child organizations with their status, wallet and
keys; create a child, suspend / resume / archive it, mint, rotate and revoke its keys (a new
secret shown once, on the page the form answers with); and the audit log, filtered by event
type and key, newest first."""

from __future__ import annotations

from typing import Any

from fastapi import Query
from fastapi.responses import HTMLResponse, Response

from layers.console import twins
from layers.console.routes import router
from layers.console.twins import admit, admit_console
from layers.console.web import Console, Ctx, Post, api_body, form_of, redirect, render, text, unit
from layers.kit.errors import LayersError
from layers.orgs.audit import service as audit
from layers.orgs.organizations import keys, service
from layers.orgs.organizations.schemas import ApiKeyCreate, OrganizationCreate
from layers.orgs.scopes import ALL_SCOPES

PAGE = "/console/organizations"
AUDIT_PAGE = "/console/audit-log"


def _error_of(exc: LayersError) -> str:
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    if fields:
        return "; ".join(f"{f.get('field')}: {f.get('message')}" for f in fields)
    return exc.message


def _list_page(ctx: Ctx, *, status: int = 200, form: dict[str, Any] | None = None) -> HTMLResponse:
    for op in twins.READ_TWINS["GET /console/organizations"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        rows, _ = service.page(db, ctx.principal, status=None, cursor=None, limit=100)
        children = [service.detail(db, ctx.principal, org) for org in rows]
    return render(
        ctx,
        "organizations.html",
        status=status,
        nav="organizations",
        children=children,
        form=form or {"name": "", "billing_email": ""},
        can_write=twins.allows(ctx.principal, "POST /v1/organizations"),
    )


@router.get(PAGE)
def organizations_page(ctx: Ctx = Console) -> HTMLResponse:
    return _list_page(ctx)


@router.post(PAGE, response_model=None)
def create_child(ctx: Ctx = Post) -> Response:
    admit_console(ctx.principal, "POST /console/organizations")
    form = form_of(ctx)
    typed = {"name": text(form, "name").strip(), "billing_email": text(form, "billing_email")}
    data: dict[str, Any] = {"name": typed["name"]}
    if typed["billing_email"].strip():
        data["billingEmail"] = typed["billing_email"].strip()
    try:
        body = api_body(OrganizationCreate, data)
        with audit.acting_through(audit.CONSOLE), unit(write=True) as db:
            child_id = service.create(db, ctx.principal, body).id
    except LayersError as exc:
        return _list_page(ctx, status=422, form={**typed, "error": _error_of(exc)})
    return redirect(f"{PAGE}/{child_id}", flash=f"Created {typed['name']}.")


def _scope_choices(ctx: Ctx) -> list[str]:
    """The scopes this key may hand a child: what it holds, never org:admin."""
    return sorted(s for s in ALL_SCOPES - {keys.ADMIN_SCOPE} if ctx.principal.allows(s))


def _detail_page(
    ctx: Ctx,
    org_id: str,
    *,
    status: int = 200,
    minted: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    for op in twins.READ_TWINS["GET /console/organizations/{org_id}"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        org = service.get_child(db, ctx.principal, org_id)
        detail = service.detail(db, ctx.principal, org)
        rows, _ = keys.page(db, org.id, livemode=None, cursor=None, limit=100)
        key_views = [keys.to_view(k) for k in rows]
    return render(
        ctx,
        "organization.html",
        status=status,
        nav="organizations",
        org=detail,
        keys=key_views,
        minted=minted,
        scopes=_scope_choices(ctx),
        form=form or {"name": "", "scopes": [], "env": "live" if org.livemode else "test"},
        can_write=twins.allows(ctx.principal, "POST /v1/organizations/{org_id}/suspend"),
    )


@router.get(PAGE + "/{org_id}")
def organization_page(org_id: str, ctx: Ctx = Console) -> HTMLResponse:
    return _detail_page(ctx, org_id)


@router.post(PAGE + "/{org_id}/suspend", response_model=None)
def suspend(org_id: str, ctx: Ctx = Post) -> Response:
    admit_console(ctx.principal, "POST /console/organizations/{org_id}/suspend")
    with audit.acting_through(audit.CONSOLE), unit(write=True) as db:
        org = service.suspend(db, ctx.principal, service.get_child(db, ctx.principal, org_id))
        name = org.name
    return redirect(f"{PAGE}/{org_id}", flash=f"{name} is suspended: its keys are refused.")


@router.post(PAGE + "/{org_id}/resume", response_model=None)
def resume(org_id: str, ctx: Ctx = Post) -> Response:
    admit_console(ctx.principal, "POST /console/organizations/{org_id}/resume")
    with audit.acting_through(audit.CONSOLE), unit(write=True) as db:
        org = service.resume(db, ctx.principal, service.get_child(db, ctx.principal, org_id))
        name = org.name
    return redirect(f"{PAGE}/{org_id}", flash=f"{name} is active again.")


@router.post(PAGE + "/{org_id}/archive", response_model=None)
def archive(org_id: str, ctx: Ctx = Post) -> Response:
    admit_console(ctx.principal, "POST /console/organizations/{org_id}/archive")
    with audit.acting_through(audit.CONSOLE), unit(write=True) as db:
        result = service.archive(db, ctx.principal, service.get_child(db, ctx.principal, org_id))
    return redirect(
        f"{PAGE}/{org_id}",
        flash=f"Archived: {result.revoked_api_keys} key(s) revoked, "
        f"{result.reclaimed_credits} credit(s) swept back.",
    )


@router.post(PAGE + "/{org_id}/keys", response_model=None)
def mint_key(org_id: str, ctx: Ctx = Post) -> Response:
    admit_console(ctx.principal, "POST /console/organizations/{org_id}/keys")
    form = form_of(ctx)
    chosen = [s for s in form.getlist("scopes") if isinstance(s, str) and s]
    typed: dict[str, Any] = {"name": text(form, "name").strip(), "scopes": chosen}
    typed["env"] = text(form, "env") or "live"
    try:
        body = api_body(ApiKeyCreate, typed)
        with audit.acting_through(audit.CONSOLE), unit(write=True) as db:
            org = service.get_child(db, ctx.principal, org_id)
            key, token = keys.mint(db, ctx.principal, org, body, child=True)
            minted = {"token": token, "id": key.id, "what": "minted"}
    except LayersError as exc:
        return _detail_page(ctx, org_id, status=422, form={**typed, "error": _error_of(exc)})
    return _detail_page(ctx, org_id, minted=minted)


@router.post(PAGE + "/{org_id}/keys/{key_id}/rotate", response_model=None)
def rotate_key(org_id: str, key_id: str, ctx: Ctx = Post) -> Response:
    admit_console(ctx.principal, "POST /console/organizations/{org_id}/keys/{key_id}/rotate")
    with audit.acting_through(audit.CONSOLE), unit(write=True) as db:
        org = service.get_child(db, ctx.principal, org_id)
        old = keys.get(db, org.id, key_id, livemode=None)
        key, token = keys.rotate(db, ctx.principal, old)
        minted = {"token": token, "id": key.id, "what": "rotated", "previous": old.id}
    return _detail_page(ctx, org_id, minted=minted)


@router.post(PAGE + "/{org_id}/keys/{key_id}/delete", response_model=None)
def delete_key(org_id: str, key_id: str, ctx: Ctx = Post) -> Response:
    admit_console(ctx.principal, "POST /console/organizations/{org_id}/keys/{key_id}/delete")
    with audit.acting_through(audit.CONSOLE), unit(write=True) as db:
        org = service.get_child(db, ctx.principal, org_id)
        keys.delete(db, ctx.principal, keys.get(db, org.id, key_id, livemode=None))
    return redirect(f"{PAGE}/{org_id}", flash=f"Revoked {key_id}.")


@router.get(AUDIT_PAGE)
def audit_page(
    ctx: Ctx = Console,
    event_type: str = Query("", alias="eventType", max_length=64),
    api_key_id: str = Query("", alias="apiKeyId", max_length=40),
    cursor: str = Query("", max_length=256),
) -> HTMLResponse:
    for op in twins.READ_TWINS["GET /console/audit-log"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        rows, next_cursor = audit.page(
            db,
            org_id=ctx.principal.org_id,
            livemode=ctx.principal.livemode,
            cursor=cursor or None,
            limit=50,
            event_type=event_type or None,
            api_key_id=api_key_id or None,
        )
        own_keys, _ = keys.page(
            db, ctx.principal.key_org_id, livemode=ctx.principal.livemode, cursor=None, limit=100
        )
        key_names = {k.id: k.name for k in own_keys}
    return render(
        ctx,
        "audit_log.html",
        nav="audit",
        events=list(rows),
        next_cursor=next_cursor,
        event_types=audit.EVENT_TYPES,
        key_names=key_names,
        chosen={"event_type": event_type, "api_key_id": api_key_id},
        first_page=not cursor,
    )
