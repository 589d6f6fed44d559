"""OAuth connect: states, the callback, and the sandbox consent page.

1. ``POST …/social/oauth-url`` creates a state (``st_…``: ten minutes, single use) bound to
   the project, the key and the ``returnUrl``, whose host must be on the key's allowlist
   (case-insensitive exact match; http only for ``localhost``/``127.0.0.1``).
2. The person consents on the platform (in test mode: our sandbox consent page), which
   redirects to ``{public_base_url}/v1/social/oauth/callback/{platform}?code&state``.
3. The callback consumes the state with a conditional UPDATE (so a replayed redirect cannot
   exchange twice), exchanges the code outside any database transaction, stores the tokens in
   the vault, and redirects to ``returnUrl?state=…&status=success`` (or ``status=error&
   error=CODE``).
4. ``oauth-status`` reports ``pending | completed | failed``.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.errors import Conflict, LayersError, NotFound, ReturnUrlNotAllowed, Validation
from layers.kit.ids import has_prefix, new_id
from layers.kit.settings import get_settings
from layers.models.projects import Project
from layers.models.social import OAuthState, SocialAccount
from layers.orgs.service import Principal
from layers.projects import service as projects
from layers.social import service as accounts
from layers.social.platforms import registry
from layers.social.platforms.base import PlatformCallError
from layers.social.platforms.sandbox.oauth import SandboxOAuth, default_handle
from layers.social.schemas import OAuthError, OAuthStatus, OAuthUrl

log = logging.getLogger("layers.social.oauth")

STATE_TTL = timedelta(minutes=10)
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def callback_url(platform: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/v1/social/oauth/callback/{platform}"


def is_console_url(return_url: str) -> bool:
    """A URL of this server's own web console (same scheme, host and port as the public base
    URL, under ``/console/``)."""
    parts, base = urlsplit(return_url), urlsplit(get_settings().public_base_url)
    return (
        not parts.username
        and not parts.password
        and (parts.scheme, parts.netloc.lower()) == (base.scheme, base.netloc.lower())
        and parts.path.startswith("/console/")
    )


def check_return_url(principal: Principal, return_url: str, *, console: bool = False) -> str:
    """The key's allowlist decides; a connect the console itself starts may also come back to
    the console (`console=True` is passed by the console only, never by the Partner API)."""
    invalid = Validation.field("returnUrl", "must be an absolute http(s) URL", "url_invalid")
    try:
        parts = urlsplit(return_url)
    except ValueError:  # e.g. "http://[x" (an IPv6 host left open), which urlsplit refuses
        raise invalid from None
    if console and is_console_url(return_url):
        return return_url
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise invalid
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise Validation.field(
            "returnUrl", "must use https (http only for localhost)", "url_scheme"
        )
    allowed = {domain.lower() for domain in principal.allowed_return_domains}
    if host not in allowed:
        raise ReturnUrlNotAllowed(
            f"The returnUrl host '{host}' is not on this API key's allowed return domains.",
            host=host,
            allowedReturnDomains=sorted(allowed),
        )
    return return_url


def _active_project(session: Session, principal: Principal, project_id: str) -> Project:
    project = projects.get(session, principal, project_id)
    if project.status != "active":
        raise Conflict(f"Project {project_id} is archived.", projectId=project_id)
    return project


def start(
    session: Session,
    principal: Principal,
    project_id: str,
    *,
    platform: str,
    return_url: str,
    scopes: list[str] | None,
    usage_note: str | None = None,
    account_id: str | None = None,
    console: bool = False,
) -> tuple[OAuthState, str]:
    """A new state and the URL where the person consents."""
    project = _active_project(session, principal, project_id)
    check_return_url(principal, return_url, console=console)
    provider = registry.oauth_provider(platform, principal.livemode)
    now = clock.now()
    redirect_uri = callback_url(platform)
    state = OAuthState(
        id=new_id("st", now),
        org_id=principal.org_id,
        livemode=principal.livemode,
        project_id=project.id,
        api_key_id=principal.key_id,
        platform=platform,
        return_url=return_url,
        redirect_uri=redirect_uri,
        scopes=list(scopes or provider.default_scopes),
        usage_note=usage_note,
        status="pending",
        social_account_id=account_id,
        expires_at=now + STATE_TTL,
    )
    session.add(state)
    session.flush()
    url = provider.authorize_url(state=state.id, redirect_uri=redirect_uri, scopes=state.scopes)
    return state, url


def start_reauth(
    session: Session,
    principal: Principal,
    project_id: str,
    *,
    account_id: str,
    return_url: str,
    scopes: list[str] | None,
    console: bool = False,
) -> tuple[OAuthState, str]:
    """Like `start`, but the tokens must bind back to `account_id`."""
    project = _active_project(session, principal, project_id)
    account = accounts.get(session, principal, account_id)
    if account.project_id != project.id:
        raise NotFound.of("social account", account_id)
    return start(
        session,
        principal,
        project_id,
        platform=account.platform,
        return_url=return_url,
        scopes=scopes,
        account_id=account.id,
        console=console,
    )


def get_state(
    session: Session, principal: Principal, state_id: str, *, project_id: str | None = None
) -> OAuthState:
    """The state, within the key's organization and mode (and the project, when given); the
    project-less lookup is further limited to the key that created it."""
    state = session.get(OAuthState, state_id) if has_prefix(state_id, "st") else None
    if (
        state is None
        or state.org_id != principal.org_id
        or state.livemode != principal.livemode
        or (project_id is not None and state.project_id != project_id)
        or (project_id is None and state.api_key_id != principal.key_id)
    ):
        raise NotFound.of("OAuth state", state_id)
    return state


def status_of(state: OAuthState) -> OAuthStatus:
    status, error = state.status, state.error
    if status == "pending" and clock.now() >= state.expires_at:
        status = "failed"
        error = {"code": "STATE_EXPIRED", "message": "The state expired; create a new URL."}
    return OAuthStatus(
        state=state.id,
        status=status,
        platform=state.platform,
        project_id=state.project_id,
        expires_at=state.expires_at,
        social_account_id=state.social_account_id if status == "completed" else None,
        error=OAuthError(code=str(error["code"]), message=str(error["message"]))
        if status == "failed" and error
        else None,
        completed_at=state.completed_at,
    )


def to_url(state: OAuthState, authorize_url: str) -> OAuthUrl:
    return OAuthUrl(
        authorize_url=authorize_url,
        state=state.id,
        expires_at=state.expires_at,
        platform=state.platform,
        project_id=state.project_id,
    )


# ---- the callback ----


@dataclass(frozen=True)
class CallbackResult:
    """Either a redirect to the partner's returnUrl or, when there is no trustworthy state to
    redirect with, an error page."""

    redirect_to: str | None = None
    page_status: int = 400
    page_message: str = ""


def return_target(state: OAuthState | _StateView, *, ok: bool, code: str | None = None) -> str:
    parts = urlsplit(state.return_url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in ("state", "status", "error")
    ]
    query += [("state", state.id), ("status", "success" if ok else "error")]
    if not ok and code:
        query.append(("error", code))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


@dataclass(frozen=True)
class _StateView:
    id: str
    org_id: str
    livemode: bool
    project_id: str
    platform: str
    return_url: str
    redirect_uri: str
    social_account_id: str | None


def _fail(state_id: str, code: str, message: str) -> None:
    with get_database().transaction() as session:
        session.execute(
            sa.update(OAuthState)
            .where(OAuthState.id == state_id, OAuthState.status == "pending")
            .values(
                status="failed",
                error={"code": code, "message": message[:500]},
                consumed_at=sa.func.coalesce(OAuthState.consumed_at, clock.now()),
                updated_at=clock.now(),
            )
        )


def handle_callback(
    platform: str,
    *,
    state_id: str | None,
    code: str | None,
    error: str | None,
    error_description: str | None,
) -> CallbackResult:
    if not state_id or not has_prefix(state_id, "st"):
        return CallbackResult(page_message="This sign-in link is missing its state.")
    now = clock.now()
    with get_database().transaction() as session:
        state = session.get(OAuthState, state_id)
        if state is None or state.platform != platform:
            return CallbackResult(page_status=404, page_message="This sign-in link is unknown.")
        view = _StateView(
            state.id,
            state.org_id,
            state.livemode,
            state.project_id,
            state.platform,
            state.return_url,
            state.redirect_uri,
            state.social_account_id,
        )
        if state.consumed_at is not None or state.status != "pending":
            # A replayed redirect: report what happened, never exchange again.
            ok = state.status == "completed"
            reason = None if ok else (state.error or {}).get("code", "STATE_ALREADY_USED")
            return CallbackResult(redirect_to=return_target(view, ok=ok, code=reason))
        if now >= state.expires_at:
            failure: tuple[str, str] | None = ("STATE_EXPIRED", "The sign-in took too long.")
        elif error:
            failure = (
                "ACCESS_DENIED" if error in ("access_denied", "user_denied") else "OAUTH_ERROR",
                error_description or error,
            )
        elif not code:
            failure = ("OAUTH_ERROR", "The platform sent no authorization code.")
        else:
            failure = None
        if failure is None:
            consumed = session.execute(
                sa.update(OAuthState)
                .where(OAuthState.id == state_id, OAuthState.consumed_at.is_(None))
                .values(consumed_at=now, updated_at=now)
            )
            if not consumed.rowcount:  # type: ignore[attr-defined]
                return CallbackResult(
                    redirect_to=return_target(view, ok=False, code="STATE_ALREADY_USED")
                )
    if failure is not None:
        _fail(view.id, *failure)
        return CallbackResult(redirect_to=return_target(view, ok=False, code=failure[0]))
    assert code is not None
    try:
        provider = registry.oauth_provider(platform, view.livemode)
        connection = provider.connect(code=code, redirect_uri=view.redirect_uri)
    except (PlatformCallError, LayersError) as exc:
        log.warning("OAuth exchange for state %s failed: %s", view.id, exc.message)
        _fail(view.id, "PLATFORM_ERROR", f"{platform} refused the connection: {exc.message}")
        return CallbackResult(redirect_to=return_target(view, ok=False, code="PLATFORM_ERROR"))
    for attempt in range(2):
        try:
            with get_database().transaction() as session:
                account = accounts.connect_account(
                    session,
                    org_id=view.org_id,
                    livemode=view.livemode,
                    project_id=view.project_id,
                    platform=platform,
                    connection=connection,
                    bound_account_id=view.social_account_id,
                )
                session.execute(
                    sa.update(OAuthState)
                    .where(OAuthState.id == view.id)
                    .values(
                        status="completed",
                        social_account_id=account.id,
                        completed_at=clock.now(),
                        updated_at=clock.now(),
                    )
                )
                account_id = account.id
            break
        except accounts.AccountMismatch as exc:
            _fail(view.id, "ACCOUNT_MISMATCH", str(exc))
            return CallbackResult(
                redirect_to=return_target(view, ok=False, code="ACCOUNT_MISMATCH")
            )
        except IntegrityError:
            if attempt:  # a concurrent connect of the same account won twice: give up
                raise
    log.info("connected %s account %s through state %s", platform, account_id, view.id)
    return CallbackResult(redirect_to=return_target(view, ok=True))


# ---- the sandbox consent page (test mode) ----


def consent(
    platform: str,
    *,
    state_id: str | None,
    decision: str | None,
    handle: str | None,
    scripted: bool = False,
) -> CallbackResult | str:
    """The sandbox's stand-in for TikTok's or Instagram's consent screen: an HTML page, or the
    redirect to our callback once the person decided.

    A `scripted` request with no decision (one that does not ask for HTML: a script standing in
    for the person, fetching the authorizeUrl) consents at once, and the callback runs inline:
    the answer is the final redirect to the partner's returnUrl, so that one request completes
    the connection.
    """
    inline = scripted and decision is None
    if inline:
        decision = "allow"
    if not state_id or not has_prefix(state_id, "st"):
        return CallbackResult(page_message="This consent link is missing its state.")
    with get_database().transaction(write=False) as session:
        state = session.get(OAuthState, state_id)
        if state is None or state.platform != platform or state.livemode:
            return CallbackResult(page_status=404, page_message="This consent link is unknown.")
        if state.status != "pending" or state.consumed_at or clock.now() >= state.expires_at:
            return CallbackResult(page_message="This consent link was used or has expired.")
        project = session.get(Project, state.project_id)
        project_name = project.name if project else state.project_id
        bound = (
            session.get(SocialAccount, state.social_account_id) if state.social_account_id else None
        )
        redirect_uri = state.redirect_uri
        scopes = list(state.scopes)
    provider = SandboxOAuth(platform, get_settings())
    chosen = (
        handle or (bound.handle if bound and bound.handle else "") or default_handle(platform)
    ).strip()
    if decision == "deny":
        query = urlencode(
            {
                "error": "access_denied",
                "error_description": "The person declined.",
                "state": state_id,
            }
        )
        return CallbackResult(redirect_to=f"{redirect_uri}?{query}")
    if decision == "allow":
        try:
            code = provider.code_for(chosen)
        except ValueError as exc:
            return CallbackResult(page_message=str(exc))
        if inline:
            return handle_callback(
                platform, state_id=state_id, code=code, error=None, error_description=None
            )
        return CallbackResult(
            redirect_to=f"{redirect_uri}?{urlencode({'code': code, 'state': state_id})}"
        )
    return _consent_page(platform, state_id, project_name, chosen, scopes)


def _consent_page(
    platform: str, state_id: str, project: str, handle: str, scopes: list[str]
) -> str:
    spec = registry.spec_of(platform)
    name = spec.display_name if spec is not None else platform
    e = html.escape
    items = "".join(f"<li><code>{e(scope)}</code></li>" for scope in scopes)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Connect {e(name)} (sandbox)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;
color:#1c1c1e}}.card{{border:1px solid #ddd;border-radius:12px;padding:1.5rem}}
button{{font-size:1rem;padding:.6rem 1.2rem;border-radius:8px;border:0;cursor:pointer}}
.allow{{background:#1c1c1e;color:#fff}}.deny{{background:#eee;margin-left:.5rem}}
.note{{color:#666;font-size:.9rem}}</style></head>
<body><div class="card">
<p class="note">Layers sandbox · test mode · nothing leaves this machine</p>
<h1>Connect a {e(name)} account</h1>
<p><strong>{e(project)}</strong> asks to publish to a {e(name)} account on your behalf.</p>
<p>It will be allowed to:</p><ul>{items}</ul>
<form method="get" action="/sandbox/oauth/{e(platform)}/authorize">
<input type="hidden" name="state" value="{e(state_id)}">
<label>Sandbox handle <input name="handle" value="{e(handle)}" pattern="[A-Za-z0-9._]{{2,30}}"
 required></label>
<p><button class="allow" name="decision" value="allow" type="submit">Allow</button>
<button class="deny" name="decision" value="deny" type="submit" formnovalidate>Deny</button></p>
</form></div></body></html>"""


def error_page(message: str) -> str:
    e = html.escape
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Connection failed</title></head>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto">
<h1>We could not connect the account</h1><p>{e(message)}</p>
<p>Start again from the app that sent you here.</p></body></html>"""
