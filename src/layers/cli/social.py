"""``layers social connect|list|show|health|mode|disconnect``.

``connect`` is the OAuth flow of a terminal: the API gives a consent URL (``POST
/v1/projects/{id}/social/oauth-url``); the CLI prints it (and opens it in a browser when this
machine has a display), then polls ``GET …/social/oauth-status`` under a spinner until the
person has consented, and prints the new ``sa_…``. The consent does not need this machine: the
platform sends the person back to the *server*, which stores the account before redirecting
them to the return URL. By default the return URL is a one-page listener the CLI opens on
``localhost`` (it only says "you can close this tab"); ``--return-url`` names another page.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import webbrowser
from contextlib import contextmanager
from enum import StrEnum
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

import typer

from layers.cli.client import Client, CliError, UsageError, q
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

social_app = typer.Typer(
    help="Social accounts: connect (OAuth), list, health, posting mode, disconnect.",
    no_args_is_help=True,
)

POLL_SECONDS = 1.0
RETURN_PATH = "/layers-cli/connected"


class Platform(StrEnum):
    tiktok = "tiktok"
    instagram = "instagram"


class PostingMode(StrEnum):
    automatic = "automatic"
    manual = "manual"


# ---- the return page ----


class _ReturnHandler(BaseHTTPRequestHandler):
    """The page the person lands on after consenting: it only tells them where to look."""

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        success = query.get("status") == ["success"]
        message = (
            "Account connected. You can close this tab and go back to the terminal."
            if success
            else "The account was not connected. The terminal says why."
        )
        body = (
            "<!doctype html><meta charset=utf-8><title>Layers</title>"
            "<body style='font-family:system-ui,sans-serif;margin:4rem auto;max-width:32rem'>"
            f"<h1>Layers</h1><p>{escape(message)}</p></body>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        served = getattr(self.server, "served", None)
        if isinstance(served, threading.Event):
            served.set()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows the spinner, not an access log."""


RETURN_GRACE = 3.0  # seconds the return page waits for the browser once the account exists


@contextmanager
def _return_page(return_url: str | None) -> Any:
    """The return URL to send: ``return_url`` as given, else a listener on localhost that
    lives as long as the ``with`` block (and, at its end, until the browser has been answered
    or `RETURN_GRACE` has passed: the browser arrives a moment after the server stored the
    account)."""
    if return_url:
        yield return_url
        return
    try:
        server = ThreadingHTTPServer(("localhost", 0), _ReturnHandler)
    except OSError as exc:
        raise CliError(
            f"cannot listen on localhost for the return page ({exc.strerror}); pass --return-url"
        ) from exc
    served = threading.Event()
    server.served = served  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}{RETURN_PATH}"
        served.wait(RETURN_GRACE)
    finally:
        server.shutdown()
        server.server_close()


def _has_display() -> bool:
    """A browser can be opened here: a desktop session (not a bare SSH or CI shell)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# ---- rendering ----


def show_account(account: dict[str, Any]) -> None:
    out.print(
        f"{account['socialAccountId']}  {account.get('platform')}  "
        f"@{account.get('handle') or '?'}  {status(account.get('status'))}",
        markup=False,
    )
    token_error = account.get("tokenError") or {}
    facts = [
        ("project", account.get("projectId")),
        ("name", account.get("displayName")),
        ("healthy", "yes" if account.get("healthy") else "no"),
        ("posting", _posting_text(account.get("postingMode"))),
        ("token error", f"{token_error.get('code')}: {token_error.get('message')}"
         if token_error else None),
        ("token until", short_time(account.get("tokenExpiresAt"))),
        ("connected", short_time(account.get("connectedAt"))),
        ("disconnected", short_time(account.get("disconnectedAt"))),
    ]  # fmt: skip
    for label, value in facts:
        if value:
            out.print(f"{label:<12} {value}", markup=False)


def _posting_text(mode: str | None) -> str | None:
    if mode == "manual":
        return "manual (TikTok: drafts inbox; Instagram: waits for a person)"
    return mode


def show_health(health: dict[str, Any]) -> None:
    out.print(
        f"{health['socialAccountId']}  {health.get('platform')}  {status(health.get('status'))}  "
        f"{'healthy' if health.get('healthy') else '[red]unhealthy[/]'}  "
        f"temperature {health.get('temperature')}"
    )
    token_error = health.get("tokenError")
    if token_error:
        out.print(f"token error  {token_error.get('code')}: {token_error.get('message')}")
    expiries = (("token until", "tokenExpiresAt"), ("refresh until", "refreshTokenExpiresAt"))
    for label, key in expiries:
        if health.get(key):
            out.print(f"{label:<13} {short_time(health[key])}", markup=False)
    snapshot = health.get("snapshot")
    if snapshot:
        out.print(
            f"snapshot      {snapshot.get('snapshotId')} at {short_time(snapshot.get('takenAt'))} "
            f"({snapshot.get('reason')}), score {snapshot.get('score')}",
            markup=False,
        )
    else:
        out.print("snapshot      none yet (temperature defaults to cold)", markup=False)


# ---- commands ----


def _wait_for_consent(api: Client, project_id: str, started: dict[str, Any]) -> dict[str, Any]:
    """Poll the state until it is completed or failed; the final status."""
    path = f"/v1/projects/{q(project_id)}/social/oauth-status"
    with err.status("Waiting for the consent in the browser… (Ctrl-C to stop)"):
        while True:
            state = api.get(path, state=started["state"])
            if state.get("status") != "pending":
                return dict(state)
            time.sleep(POLL_SECONDS)


@social_app.command("connect")
def connect(
    project: Annotated[str, typer.Option("--project", help="The project (prj_…).")],
    platform: Annotated[Platform, typer.Option("--platform", help="tiktok or instagram.")],
    return_url: Annotated[
        str | None,
        typer.Option(
            "--return-url",
            help="Where the browser lands afterwards (on the key's allowed return domains). "
            "Default: a page this command serves on localhost.",
        ),
    ] = None,
    browser: Annotated[
        bool | None,
        typer.Option(
            "--browser/--no-browser",
            help="Open the consent URL in a browser (default: when there is a display).",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Connect a TikTok or Instagram account: consent in a browser, get its sa_… id.

    Prints the consent URL (on stderr), waits until the person has consented, then prints the
    account id (or, with --json, the account). With a test key the URL is the sandbox consent
    page: one Allow button, no platform account needed.
    """
    with client() as api, _return_page(return_url) as landing:
        started = api.post(
            f"/v1/projects/{q(project)}/social/oauth-url",
            {"platform": platform.value, "returnUrl": landing},
        )
        url = started["authorizeUrl"]
        err.print(f"Open this URL to connect a {platform.value} account:", markup=False)
        err.print(url, markup=False, soft_wrap=True)
        if browser if browser is not None else _has_display():
            try:
                opened = webbrowser.open(url)
            except webbrowser.Error:
                opened = False
            if opened:
                err.print("(opened in your browser)")
        try:
            final = _wait_for_consent(api, project, started)
        except KeyboardInterrupt:
            err.print(
                f"\nStopped waiting. The URL stays valid until {short_time(started['expiresAt'])} "
                "UTC; check with `layers social list`.",
                markup=False,
            )
            raise typer.Exit(130) from None
        if final["status"] == "completed":
            account = api.get(f"/v1/social-accounts/{q(final['socialAccountId'])}")
    if final["status"] != "completed":
        error = final.get("error") or {}
        raise CliError(
            f"{error.get('code') or final['status'].upper()}: "
            f"{error.get('message') or 'the account was not connected'}"
        )
    if json_output:
        print_json(account)
        return
    err.print(
        f"Connected @{account.get('handle')} on {account.get('platform')} "
        f"(posting mode {account.get('postingMode')}).",
        markup=False,
    )
    out.print(account["socialAccountId"])


@social_app.command("list")
def list_accounts(
    project: Annotated[str, typer.Option("--project", help="The project (prj_…).")],
    platform: Annotated[Platform | None, typer.Option("--platform")] = None,
    state: Annotated[
        str | None,
        typer.Option("--status", help="connected, reauth_required or disconnected."),
    ] = None,
    limit: LimitOption = 50,
    all_pages: AllOption = False,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """A project's social accounts, newest first."""
    page = fetch_page(
        f"/v1/projects/{q(project)}/social-accounts",
        limit=limit,
        all_pages=all_pages,
        cursor=cursor,
        platform=platform.value if platform else None,
        status=state,
    )
    print_page(
        page,
        json_output,
        ["id", "platform", "handle", "status", "healthy", "posting", "connected"],
        lambda a: (
            a["socialAccountId"],
            a.get("platform"),
            f"@{a.get('handle')}" if a.get("handle") else "",
            status(a.get("status")),
            "yes" if a.get("healthy") else "[red]no[/]",
            a.get("postingMode"),
            short_time(a.get("connectedAt")),
        ),
    )


@social_app.command("show")
def show(account_id: str, json_output: JsonOption = False) -> None:
    """One social account."""
    print_object(fetch(f"/v1/social-accounts/{q(account_id)}"), json_output, show_account)


@social_app.command("health")
def health(account_id: str, json_output: JsonOption = False) -> None:
    """Token state and temperature (cold, warm, hot) from the latest health snapshot."""
    print_object(fetch(f"/v1/social-accounts/{q(account_id)}/health"), json_output, show_health)


@social_app.command("mode")
def mode(
    account_id: str,
    posting_mode: Annotated[
        PostingMode,
        typer.Argument(help="automatic: publish publicly; manual: drafts inbox / a person."),
    ],
    json_output: JsonOption = False,
) -> None:
    """Set an account's posting mode."""
    with client() as api:
        account = api.patch(
            f"/v1/social-accounts/{q(account_id)}", {"postingMode": posting_mode.value}
        )
    if json_output:
        print_json(account)
        return
    err.print(f"{account['socialAccountId']} posts in {account['postingMode']} mode.", markup=False)


@social_app.command("disconnect")
def disconnect(
    account_id: str,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Disconnect an account: its tokens are dropped and its queued posts canceled."""
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("disconnect cancels the account's queued posts; pass --yes to confirm")
        typer.confirm(f"Disconnect {account_id} and cancel its queued posts?", abort=True, err=True)
    with client() as api:
        result = api.delete(f"/v1/social-accounts/{q(account_id)}")
    if json_output:
        print_json(result)
        return
    err.print(
        f"{result['socialAccountId']} disconnected; "
        f"{result['canceledScheduledPosts']} queued post(s) canceled.",
        markup=False,
    )
