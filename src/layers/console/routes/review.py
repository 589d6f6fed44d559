"""The review queue (approve / reject content waiting for review), the review policy (shown in
project settings), and publish-now on a content's page."""

from __future__ import annotations

from fastapi.responses import HTMLResponse, RedirectResponse

from layers.console import views
from layers.console.routes import router
from layers.console.twins import admit, admit_console
from layers.console.web import (
    Console,
    Ctx,
    Post,
    api_body,
    back_from,
    form_of,
    partial,
    redirect,
    render,
    text,
    unit,
)
from layers.content import containers
from layers.content import service as content
from layers.content.review import service as review
from layers.content.review.schemas import ApproveBody, RejectBody, ReviewPolicyPatch
from layers.kit.errors import Validation
from layers.publishing.now import service as publish_now
from layers.publishing.now.schemas import PublishBody

POLICY_LABELS = {
    "auto_approve": "Publish without review",
    "review_first_n": "Review the first N, then publish without review",
    "review_all": "Review everything",
}


@router.get("/console/projects/{project_id}/review")
def review_page(project_id: str, ctx: Ctx = Console) -> HTMLResponse:
    admit(ctx.principal, "GET /v1/projects/{project_id}/content/review-queue")
    admit(ctx.principal, "GET /v1/projects/{project_id}/content-review-policy")
    with unit(write=False) as db:
        project = views.project(db, ctx.principal, project_id)
        rows, _ = review.queue(db, ctx.principal, project_id, cursor=None, limit=100)
        items = containers.to_outs(db, rows)
        policy = review.get_policy(db, ctx.principal, project_id)
    return render(
        ctx,
        "review.html",
        nav="projects",
        sub="review",
        project=project,
        items=items,
        policy=policy,
        policy_label=POLICY_LABELS[policy.policy.value],
    )


@router.get("/console/projects/{project_id}/review-policy")
def review_policy_fragment(project_id: str, ctx: Ctx = Console) -> HTMLResponse:
    """The policy card of the project's settings (loaded into the page by htmx)."""
    admit(ctx.principal, "GET /v1/projects/{project_id}/content-review-policy")
    with unit(write=False) as db:
        policy = review.get_policy(db, ctx.principal, project_id)
    return partial(
        ctx,
        "_review_policy.html",
        policy=policy,
        labels=POLICY_LABELS,
        back=f"/console/projects/{project_id}/settings",
    )


@router.post("/console/projects/{project_id}/review-policy")
def update_review_policy(project_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/projects/{project_id}/review-policy")
    form = form_of(ctx)
    policy = text(form, "policy")
    data: dict[str, object] = {"policy": policy}
    if policy == "review_first_n":
        raw = text(form, "firstN").strip()
        if not raw.isdigit():
            raise Validation.field("firstN", "a whole number from 1 to 50", "int_parsing")
        data["firstN"] = int(raw)
    body = api_body(ReviewPolicyPatch, data)
    with unit(write=True) as db:
        review.set_policy(db, ctx.principal, project_id, body)
    return redirect(
        back_from(ctx, f"/console/projects/{project_id}/settings"),
        flash=f"Review policy: {POLICY_LABELS[body.policy.value]}"
        + (f" (first {body.first_n})." if body.first_n else "."),
    )


@router.post("/console/content/{container_id}/approve")
def approve(container_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/content/{container_id}/approve")
    note = text(form_of(ctx), "note").strip()
    body = api_body(ApproveBody, {"note": note} if note else {})
    with unit(write=True) as db:
        result = review.approve(db, ctx.principal, container_id, body.note)
    message = f"Approved {container_id}."
    promotion = result.pending_schedule_promotion
    if promotion is not None and promotion.scheduled_post_ids:
        count = len(promotion.scheduled_post_ids)
        message += f" Its waiting schedule is on: {count} post{'s' if count != 1 else ''}."
    if promotion is not None and promotion.errors:
        message += " Some waiting schedules could not be made: " + "; ".join(
            str(e.get("message")) for e in promotion.errors
        )
    return redirect(back_from(ctx), flash=message)


@router.post("/console/content/{container_id}/reject")
def reject(container_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/content/{container_id}/reject")
    body = api_body(RejectBody, {"reason": text(form_of(ctx), "reason").strip()})
    with unit(write=True) as db:
        review.reject(db, ctx.principal, container_id, body.reason)
    return redirect(back_from(ctx), flash=f"Rejected {container_id}: {body.reason}")


@router.post("/console/content/{container_id}/publish")
def publish(container_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/content/{container_id}/publish")
    form = form_of(ctx)
    accounts = [a for a in form.getlist("socialAccountId") if isinstance(a, str) and a]
    if not accounts:
        raise Validation.field("targets", "tick at least one account", "missing")
    mode = text(form, "mode") or "publish"
    body = api_body(
        PublishBody, {"targets": [{"socialAccountId": a, "mode": mode} for a in accounts]}
    )
    with unit(write=True) as db:
        result = publish_now.publish_now(db, ctx.principal, container_id, body)
        project_id = content.get(db, ctx.principal, container_id).project_id
    count = len(result.scheduled_post_ids)
    message = f"Publishing now on {count} account{'s' if count != 1 else ''}."
    for warning in result.warnings:
        message += f" {warning.message}"
    return redirect(back_from(ctx, f"/console/projects/{project_id}/schedule"), flash=message)
