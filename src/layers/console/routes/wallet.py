"""Billing (organization level): the wallet (available, balance, reserved, this period's
usage), its ledger, and allocating credits to a child organization picked from a list."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.responses import HTMLResponse, Response

from layers.console import twins
from layers.console.routes import router
from layers.console.twins import admit, admit_console
from layers.console.web import Console, Ctx, Post, api_body, form_of, redirect, render, text, unit
from layers.kit.errors import LayersError, NotFound, Validation
from layers.models.orgs import Organization
from layers.orgs.wallet import service as wallet
from layers.orgs.wallet import views
from layers.orgs.wallet.schemas import AllocateCredits

PAGE = "/console/billing"
ALLOCATE_TWIN = "POST /v1/organizations/{org_id}/credits/allocate"


def _page(ctx: Ctx, *, status: int = 200, form: dict[str, Any] | None = None) -> HTMLResponse:
    for op in twins.READ_TWINS["GET /console/billing"]:
        admit(ctx.principal, op)
    can_allocate = ctx.principal.livemode and twins.allows(ctx.principal, ALLOCATE_TWIN)
    with unit(write=False) as db:
        org = db.get(Organization, ctx.principal.org_id)
        if org is None:
            raise NotFound.of("organization", ctx.principal.org_id)
        credits = views.credits_out(db, org)
        rows, next_cursor = wallet.events(db, org.id, limit=50)
        events = [views.event_out(event, status) for event, status in rows]
        kids = wallet.children(db, org.id)
        children = [
            {"id": child.id, "name": child.name, "available": wallet.view(db, child.id).available}
            for child in (kids if can_allocate else [])
        ]
        parent = db.get(Organization, org.parent_id) if org.parent_id else None
        org_names = {o.id: o.name for o in [*kids, *([parent] if parent else [])]}
    return render(
        ctx,
        "billing.html",
        status=status,
        nav="billing",
        org_name=org.name,
        credits=credits,
        events=events,
        more_events=next_cursor is not None,
        children=children,
        org_names=org_names,
        can_allocate=can_allocate,
        form=form or {"child": "", "credits": "", "description": "", "key": str(uuid.uuid4())},
    )


@router.get(PAGE)
def billing_page(ctx: Ctx = Console) -> HTMLResponse:
    return _page(ctx)


@router.post(PAGE + "/allocate", response_model=None)
def allocate(ctx: Ctx = Post) -> Response:
    admit_console(ctx.principal, "POST /console/billing/allocate")
    form = form_of(ctx)
    typed = {
        "child": text(form, "child"),
        "credits": text(form, "credits").strip(),
        "description": text(form, "description").strip(),
        "key": text(form, "key") or str(uuid.uuid4()),
    }
    try:
        if not typed["child"]:
            raise Validation("Pick the organization to fund.")
        if not typed["credits"].isdigit():
            raise Validation("Credits must be a whole number above 0.")
        data: dict[str, Any] = {"credits": int(typed["credits"])}
        if typed["description"]:
            data["description"] = typed["description"]
        body = api_body(AllocateCredits, data)
        with unit(write=True) as db:
            result = wallet.allocate(
                db,
                ctx.principal.key_org_id,
                typed["child"],
                body.credits,
                idempotency_key=f"console:{typed['key']}",
                description=body.description,
            )
            moved, replayed = result.transfer.credits, result.replayed
    except LayersError as exc:
        fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
        typed["error"] = (
            "; ".join(f"{f.get('field')}: {f.get('message')}" for f in fields)
            if fields
            else exc.message
        )
        return _page(ctx, status=422, form=typed)
    note = " (already done)" if replayed else ""
    return redirect(PAGE, flash=f"Allocated {moved} credits{note}.")
