"""``layers content approve|reject|publish|upload`` and ``layers projects review-policy``:
the review gate, publish-now and uploaded content, from a terminal (remote commands: they
talk to the HTTP API only)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from layers.cli.client import UsageError, q
from layers.cli.content import show_container
from layers.cli.output import JsonOption, client, err, out, print_json, print_object, status


class Policy(StrEnum):
    auto_approve = "auto_approve"
    review_first_n = "review_first_n"
    review_all = "review_all"


class PublishMode(StrEnum):
    publish = "publish"
    draft = "draft"


def approve(
    container_id: str,
    note: Annotated[
        str | None, typer.Option("--note", help="Why (kept with the decision).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Approve content waiting for review; schedule requests made meanwhile become posts."""
    with client() as api:
        result = api.post(f"/v1/content/{q(container_id)}/approve", {"note": note} if note else {})
    if json_output:
        print_json(result)
        return
    out.print(f"{result['id']}  {status(result['approvalStatus'])}  by {result['approvedBy']}")
    promotion = result.get("pendingSchedulePromotion")
    if promotion:
        for post_id in promotion.get("scheduledPostIds") or []:
            out.print(f"scheduled  {post_id}", markup=False)
        for error in promotion.get("errors") or []:
            err.print(f"not scheduled: {error.get('code')}: {error.get('message')}", markup=False)


def reject(
    container_id: str,
    reason: Annotated[str, typer.Option("--reason", help="Why (required, 1–1024 characters).")],
    json_output: JsonOption = False,
) -> None:
    """Reject content waiting for review: it can never be scheduled or published."""
    with client() as api:
        result = api.post(f"/v1/content/{q(container_id)}/reject", {"reason": reason})
    if json_output:
        print_json(result)
        return
    line = f"{result['id']}  {result['approvalStatus']}  {result['reason']}"
    out.print(line, markup=False)
    dropped = result.get("discardedScheduleRequests") or 0
    if dropped:
        err.print(f"{dropped} waiting schedule request(s) dropped.", markup=False)


def publish(
    container_id: str,
    account: Annotated[
        list[str], typer.Option("--account", help="A social account (sa_…); repeatable.")
    ],
    mode: Annotated[PublishMode, typer.Option("--mode", help="publish or draft.")] = (
        PublishMode.publish
    ),
    caption: Annotated[
        str | None, typer.Option("--caption", help="Use this caption instead (every account).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Publish now on each account (all or nothing).

    Goes through the same exactly-once protocol as scheduled posts; follow the posts with
    `layers posts show`."""
    targets: list[dict[str, Any]] = []
    for account_id in account:
        target: dict[str, Any] = {"socialAccountId": account_id, "mode": mode.value}
        if caption is not None:
            target["captionOverride"] = caption
        targets.append(target)
    with client() as api:
        result = api.post(f"/v1/content/{q(container_id)}/publish", {"targets": targets})
    if json_output:
        print_json(result)
        return
    for post in result["posts"]:
        out.print(f"{post['id']}  {post['platform']}  {status(post['status'])}", markup=False)
    for warning in result.get("warnings") or []:
        err.print(f"{warning.get('code')}: {warning.get('message')}", markup=False)


def upload(
    project: Annotated[str, typer.Option("--project", help="The project (prj_…).")],
    url: Annotated[
        list[str],
        typer.Option("--url", help="A public https URL of a finished file; repeat for slides."),
    ],
    caption: Annotated[str, typer.Option("--caption", help="The caption (may be empty).")] = "",
    social_account: Annotated[
        str | None, typer.Option("--social-account", help="Made for this account only.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Upload finished media as content.

    One video, one image, or 2–10 images (a slideshow), fetched from public https URLs: a
    completed container, reviewed, scheduled and published like generated content."""
    body: dict[str, Any] = {"media": [{"url": u} for u in url], "caption": caption}
    if social_account:
        body["socialAccountId"] = social_account
    with client() as api:
        container = api.post(f"/v1/projects/{q(project)}/content/upload", body)
    print_object(container, json_output, show_container)
    if not json_output and container.get("approvalStatus") == "pending":
        err.print(f"Waiting for review: layers content approve {container['id']}", markup=False)


def review_policy(
    project_id: str,
    policy: Annotated[
        Policy | None,
        typer.Option("--set", help="Change it: auto_approve, review_first_n, review_all."),
    ] = None,
    first_n: Annotated[
        int | None, typer.Option("--first-n", min=1, max=50, help="With review_first_n.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Show a project's content-review policy, or change it with --set."""
    if policy is None and first_n is not None:
        raise UsageError("--first-n goes with --set review_first_n")
    with client() as api:
        path = f"/v1/projects/{q(project_id)}/content-review-policy"
        if policy is None:
            result = api.get(path)
        else:
            body: dict[str, Any] = {"policy": policy.value}
            if first_n is not None:
                body["firstN"] = first_n
            result = api.patch(path, body)
    if json_output:
        print_json(result)
        return
    first = f" (first {result['firstN']})" if result.get("firstN") else ""
    out.print(f"{result['projectId']}  {result['policy']}{first}", markup=False)
    out.print(
        f"waiting {result['pendingCount']} · decided {result['decidedCount']} · new content "
        + ("waits for review" if result["requiresReview"] else "needs no review"),
        markup=False,
    )
