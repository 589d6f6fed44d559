"""``layers content schedule`` and ``layers posts list|show|reschedule|cancel|retry``.

Times (``--at``) are what the API takes for ``scheduledFor`` — ISO 8601 with ``Z`` or an
offset, or a wall-clock time with neither, read in the project's timezone — or a time from now
(``+90s``, ``+10m``, ``+2h``, ``+1d``), which the CLI turns into UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import typer

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
    out,
    print_json,
    print_object,
    print_page,
    short_time,
    status,
)
from layers.cli.runs import EXIT_FOR_STATUS, Follower, report_end

posts_app = typer.Typer(
    help="Scheduled posts: list, show, reschedule, cancel, retry.", no_args_is_help=True
)

RELATIVE = re.compile(r"^\+(\d{1,6})([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
ATTACH_COMMAND = "attach-to-schedule"

AtOption = Annotated[
    str,
    typer.Option(
        "--at",
        help="When: 2026-05-15T09:00:00 (project timezone), …Z or …-07:00 (exact), or from "
        "now: +90s, +10m, +2h, +1d.",
    ),
]


class Mode(StrEnum):
    publish = "publish"
    draft = "draft"
    managed = "managed"


def scheduled_for(text: str, now: datetime | None = None) -> str:
    """``--at`` as the API's ``scheduledFor``: a relative time becomes UTC (whole seconds,
    rounded up so it stays in the future); anything else is passed on for the API to judge."""
    text = text.strip()
    match = RELATIVE.match(text)
    if not match:
        if text.startswith("+"):
            raise UsageError(f"--at: {text!r} is not a time from now such as +10m, +2h or +1d")
        return text
    amount, unit = int(match.group(1)), UNITS[match.group(2)]
    moment = (now or datetime.now(UTC)) + timedelta(**{unit: amount})
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def warning_lines(warnings: list[dict[str, Any]] | None) -> list[str]:
    return [f"{w.get('code')}: {w.get('message')}" for w in warnings or []]


def _status_text(post: dict[str, Any]) -> str:
    """The API's status, with the internal one when it says more (``queued (pending)``)."""
    shown, internal = post.get("status"), post.get("internalStatus")
    return status(shown) + (f" ({internal})" if internal and internal != shown else "")


# A list row's short words for a warning code (`posts show` gives the whole sentence).
SHORT_WARNINGS = {
    "ACCOUNT_POSTING_MODE_MANUAL": "manual mode",
    "DRAFT_UNSUPPORTED": "no drafts",
}


def _note(post: dict[str, Any]) -> str:
    """``slot`` for a distribution layer's slot, then why it will not publish as asked."""
    words = ["slot"] if post.get("layerId") else []
    for warning in post.get("warnings") or []:
        code = str(warning.get("code") or "")
        words.append(SHORT_WARNINGS.get(code, code))
    return "; ".join(words)


def show_post(post: dict[str, Any]) -> None:
    out.print(f"{post['id']}  {post.get('platform')}  {_status_text(post)}")
    error = post.get("lastError") or {}
    facts = [
        ("when", f"{short_time(post.get('scheduledFor'))} UTC"),
        ("local time", short_time(post.get("localTime"))),
        ("account", post.get("socialAccountId")),
        ("content", post.get("containerId")),
        ("mode", post.get("mode")),
        (
            "origin",
            f"{post.get('origin')}" + (f" ({post['layerId']})" if post.get("layerId") else ""),
        ),
        ("caption", post.get("captionOverride")),
        ("attempts", post.get("attemptCount") or None),
        ("published", short_time(post.get("publishedAt"))),
        ("url", post.get("externalUrl")),
        ("canceled", short_time(post.get("canceledAt"))),
        ("error", f"{error.get('code')}: {error.get('message')}" if error else None),
    ]
    for label, value in facts:
        if value:
            out.print(f"{label:<11} {value}", markup=False)
    for line in warning_lines(post.get("warnings")):
        out.print(f"[yellow]warning[/]     {line}")


# ---- content schedule ----


def _attach(container_id: str, layer_id: str, json_output: bool) -> None:
    """Attach to a distribution layer's earliest empty slot: run its attach command, follow
    it, and report the slot."""
    with client() as api:
        accepted = api.post(
            f"/api/project-layers/{q(layer_id)}/execute",
            {"commandId": ATTACH_COMMAND, "parameters": {"containerId": container_id},
             "trigger": "cli"},
        )  # fmt: skip
        run = Follower(api, accepted["runId"], err, activities=False).follow()
    if run.get("status") != "completed":
        code = report_end(run, err)
        raise typer.Exit(code)
    result = run.get("output") or {}
    if json_output:
        print_json(run)
        raise typer.Exit(EXIT_FOR_STATUS["completed"])
    err.print(
        f"Attached {container_id} to the slot at {short_time(result.get('scheduledFor'))} UTC "
        f"({result.get('status')}); run {run['id']}.",
        markup=False,
    )
    out.print(str(result.get("scheduledPostId")))


def schedule(
    container_id: Annotated[str, typer.Argument(help="The content to post (cnt_…).")],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="When: 2026-05-15T09:00:00 (project timezone), …Z or …-07:00 (exact), or "
            "from now: +90s, +10m, +2h, +1d.",
        ),
    ] = None,
    accounts: Annotated[
        list[str] | None,
        typer.Option("--account", "-a", help="A social account to post to (sa_…). Repeatable."),
    ] = None,
    mode: Annotated[
        Mode,
        typer.Option(
            "--mode",
            help="publish (public), draft (the creator's drafts inbox) or managed.",
        ),
    ] = Mode.publish,
    caption: Annotated[
        str | None, typer.Option("--caption", help="Replace the caption for these posts.")
    ] = None,
    layer: Annotated[
        str | None,
        typer.Option(
            "--layer",
            help="Instead of --at/--account: the earliest empty slot of this Social "
            "Distribution layer (lyr_…).",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Schedule content on social accounts at a time, or in a distribution layer's next slot.

    Prints the scheduled post ids (sp_…), one per account; warnings (e.g. an account in manual
    posting mode) go to stderr. With --json: the API's answer.
    """
    if layer:
        if at or accounts or caption:
            raise UsageError(
                "--layer picks the slot and the account: drop --at, --account and --caption"
            )
        _attach(container_id, layer, json_output)
        return
    if not at or not accounts:
        raise UsageError("give --at and at least one --account (or --layer lyr_…)")
    target: dict[str, Any] = {"mode": mode.value}
    if caption is not None:
        target["captionOverride"] = caption
    body = {
        "scheduledFor": scheduled_for(at),
        "targets": [{"socialAccountId": account, **target} for account in accounts],
    }
    with client() as api:
        result = api.post(f"/v1/content/{q(container_id)}/schedule", body)
    if json_output:
        print_json(result)
        return
    err.print(
        f"Scheduled {container_id} for {short_time(result.get('scheduledFor'))} UTC "
        f"({result.get('gateStatus')}).",
        markup=False,
    )
    for warning in result.get("warnings") or []:
        err.print(
            f"[yellow]warning[/] {warning.get('scheduledPostId')}: {warning.get('code')}: ",
            end="",
        )
        err.print(str(warning.get("message")), markup=False)
    for post_id in result.get("scheduledPostIds") or []:
        out.print(post_id)


# ---- posts ----


@posts_app.command("list")
def list_posts(
    project: Annotated[str, typer.Option("--project", help="The project (prj_…).")],
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--status", help="queued, publishing, published, draft, failed, canceled. Repeatable."
        ),
    ] = None,
    account: Annotated[
        str | None, typer.Option("--account", help="One social account's posts.")
    ] = None,
    layer: Annotated[
        str | None, typer.Option("--layer", help="A distribution layer's slots.")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="Earliest time (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Latest time (ISO 8601).")] = None,
    limit: LimitOption = 50,
    all_pages: AllOption = False,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """A project's scheduled posts, latest time first."""
    if limit > 100:
        raise UsageError("--limit: posts come at most 100 a page (use --all for more)")
    page = fetch_page(
        f"/v1/projects/{q(project)}/scheduled-posts",
        limit=limit,
        all_pages=all_pages,
        cursor=cursor,
        status=state or None,
        socialAccountId=account,
        layerId=layer,
        since=since,
        until=until,
    )
    print_page(
        page,
        json_output,
        ["id", "when (UTC)", "account", "status", "content", "note"],
        lambda p: (
            p["id"],
            short_time(p.get("scheduledFor")),
            p.get("socialAccountId"),
            _status_text(p),
            p.get("containerId") or ("empty slot" if p.get("layerId") else ""),
            _note(p),
        ),
    )


@posts_app.command("show")
def show(post_id: str, json_output: JsonOption = False) -> None:
    """One scheduled post: status, time, warnings, the published URL."""
    print_object(fetch(f"/v1/scheduled-posts/{q(post_id)}"), json_output, show_post)


def _changed(post: dict[str, Any], json_output: bool, what: str) -> None:
    if json_output:
        print_json(post)
        return
    err.print(f"{post['id']} {what}.", markup=False)
    show_post(post)


@posts_app.command("reschedule")
def reschedule(post_id: str, at: AtOption, json_output: JsonOption = False) -> None:
    """Move a post to another time (before it starts publishing)."""
    with client() as api:
        post = api.post(
            f"/v1/scheduled-posts/{q(post_id)}/reschedule", {"scheduledFor": scheduled_for(at)}
        )
    _changed(post, json_output, f"moved to {short_time(post.get('scheduledFor'))} UTC")


@posts_app.command("cancel")
def cancel(post_id: str, json_output: JsonOption = False) -> None:
    """Cancel a post (kept, with status canceled); refused once it is publishing."""
    with client() as api:
        post = api.delete(f"/v1/scheduled-posts/{q(post_id)}")
    _changed(post, json_output, "canceled")


@posts_app.command("retry")
def retry(post_id: str, json_output: JsonOption = False) -> None:
    """Retry a failed post (or one waiting for a person) at its time, or at the next minute."""
    with client() as api:
        post = api.post(f"/v1/scheduled-posts/{q(post_id)}/retry", {})
    _changed(post, json_output, "will be retried")
