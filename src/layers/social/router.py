"""Social accounts and OAuth connect (Partner API)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from layers.kit.http import LayersRouter
from layers.orgs.dependencies import CurrentPrincipal, DbSession, requires
from layers.projects import service as projects
from layers.social import oauth, service
from layers.social.schemas import (
    AccountHealth,
    AccountStatus,
    OAuthStatus,
    OAuthUrl,
    OAuthUrlRequest,
    Platform,
    ReauthUrlRequest,
    SocialAccountDisconnected,
    SocialAccountList,
    SocialAccountOut,
    SocialAccountUpdate,
)

router = LayersRouter(prefix="/v1", tags=["social accounts"])

StateParam = Annotated[str, Query(min_length=1, max_length=64, description="The st_… state.")]


@router.post("/projects/{project_id}/social/oauth-url", dependencies=[requires("social:write")])
def create_oauth_url(
    project_id: str, body: OAuthUrlRequest, principal: CurrentPrincipal, session: DbSession
) -> OAuthUrl:
    """Start connecting a TikTok or Instagram account: open ``authorizeUrl`` in a top-level
    tab; the person lands on ``returnUrl?state=…&status=success|error``. The state lives ten
    minutes and is single use. With a test key the URL is a local sandbox consent page."""
    state, url = oauth.start(
        session,
        principal,
        project_id,
        platform=body.platform.value,
        return_url=body.return_url,
        scopes=body.scopes,
        usage_note=body.usage_note,
    )
    return oauth.to_url(state, url)


@router.post("/projects/{project_id}/social/reauth-url", dependencies=[requires("social:write")])
def create_reauth_url(
    project_id: str, body: ReauthUrlRequest, principal: CurrentPrincipal, session: DbSession
) -> OAuthUrl:
    """Reconnect an account (``reauth_required``): same flow as oauth-url, and the tokens bind
    back to the same ``socialAccountId`` (consenting with another account fails)."""
    state, url = oauth.start_reauth(
        session,
        principal,
        project_id,
        account_id=body.social_account_id,
        return_url=body.return_url,
        scopes=body.scopes,
    )
    return oauth.to_url(state, url)


@router.get("/projects/{project_id}/social/oauth-status", dependencies=[requires("social:read")])
def get_oauth_status(
    project_id: str, state: StateParam, principal: CurrentPrincipal, session: DbSession
) -> OAuthStatus:
    """``pending`` (with ``expiresAt``), ``completed`` (with ``socialAccountId``) or ``failed``
    (with ``error``)."""
    project = projects.get(session, principal, project_id)
    return oauth.status_of(oauth.get_state(session, principal, state, project_id=project.id))


@router.get("/social/oauth-status/{state}", dependencies=[requires("social:read")])
def get_oauth_status_by_state(
    state: str, principal: CurrentPrincipal, session: DbSession
) -> OAuthStatus:
    """The same status, looked up by state alone: only the key that created it sees it."""
    return oauth.status_of(oauth.get_state(session, principal, state))


@router.get("/projects/{project_id}/social-accounts", dependencies=[requires("social:read")])
def list_social_accounts(
    project_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    platform: Platform | None = None,
    status: AccountStatus | None = None,
    leased: bool | None = None,
    cursor: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> SocialAccountList:
    """The project's accounts, newest first. Use ``socialAccountId`` as a scheduling target."""
    project = projects.get(session, principal, project_id)
    rows, next_cursor = service.page(
        session,
        project,
        platform=platform.value if platform else None,
        status=status.value if status else None,
        leased=leased,
        cursor=cursor,
        limit=limit,
    )
    return SocialAccountList(items=[service.to_out(a) for a in rows], next_cursor=next_cursor)


@router.get("/social-accounts/{social_account_id}", dependencies=[requires("social:read")])
def get_social_account(
    social_account_id: str, principal: CurrentPrincipal, session: DbSession
) -> SocialAccountOut:
    return service.to_out(service.get(session, principal, social_account_id))


@router.patch("/social-accounts/{social_account_id}", dependencies=[requires("social:write")])
def update_social_account(
    social_account_id: str,
    body: SocialAccountUpdate,
    principal: CurrentPrincipal,
    session: DbSession,
) -> SocialAccountOut:
    """Set ``postingMode``: ``automatic`` publishes publicly; ``manual`` (the default) sends
    TikTok posts to the creator's drafts and leaves Instagram posts for a person."""
    return service.to_out(service.update(session, principal, social_account_id, body))


@router.delete("/social-accounts/{social_account_id}", dependencies=[requires("social:write")])
def disconnect_social_account(
    social_account_id: str, principal: CurrentPrincipal, session: DbSession
) -> SocialAccountDisconnected:
    """Drop the tokens, mark the account ``disconnected`` and cancel its queued posts, in one
    transaction. Published posts stay up. A disconnected account is a 404 here."""
    account, canceled = service.disconnect(session, principal, social_account_id)
    return service.disconnected_out(account, canceled)


@router.get("/social-accounts/{social_account_id}/health", dependencies=[requires("social:read")])
def get_social_account_health(
    social_account_id: str, principal: CurrentPrincipal, session: DbSession
) -> AccountHealth:
    """Token state and temperature (``cold | warm | hot``) with the snapshot it came from."""
    account = service.get(session, principal, social_account_id)
    return service.health_of(session, account)
