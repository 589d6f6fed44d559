"""Instagram API with Instagram Login (Business Login for Instagram).

* Authorize: ``{auth_base}/oauth/authorize?client_id&redirect_uri&response_type=code&scope
  &state`` with ``instagram_business_basic,instagram_business_content_publish``.
* Code → short-lived token (1 hour): ``POST {api_base}/oauth/access_token`` (form:
  ``client_id, client_secret, grant_type=authorization_code, redirect_uri, code``).
* Short → long-lived token (60 days): ``GET {graph_base}/access_token?grant_type=
  ig_exchange_token&client_secret&access_token``.
* Refresh (a long-lived token at least 24 hours old, not expired; another 60 days):
  ``GET {graph_base}/refresh_access_token?grant_type=ig_refresh_token&access_token``.
  Instagram has no refresh token: the long-lived token refreshes itself.
* Who connected: ``GET {graph_base}/{version}/me?fields=user_id,username,…``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from layers.kit.errors import PlatformNotConfigured
from layers.kit.settings import Settings
from layers.social.platforms import http
from layers.social.platforms.base import (
    Connection,
    PlatformProfile,
    Rejected,
    TokenGrant,
)
from layers.social.platforms.instagram.api import PLATFORM, graph_error, oauth_error
from layers.social.platforms.instagram.spec import SPEC
from layers.social.vault import Secret

GRAPH_VERSION = "v22.0"
DEFAULT_SCOPES = SPEC.default_scopes
PROFILE_FIELDS = "user_id,username,name,profile_picture_url,account_type"


class InstagramOAuth:
    platform: str = PLATFORM
    default_scopes: tuple[str, ...] = DEFAULT_SCOPES

    def __init__(self, settings: Settings) -> None:
        if not settings.instagram_app_id or not settings.instagram_app_secret:
            raise PlatformNotConfigured(
                "Instagram is not configured on this server: set LAYERS_INSTAGRAM_APP_ID and "
                "LAYERS_INSTAGRAM_APP_SECRET.",
                platform=PLATFORM,
            )
        self.app_id = settings.instagram_app_id
        self.app_secret = Secret(settings.instagram_app_secret)
        self.auth_base = settings.instagram_auth_base.rstrip("/")
        self.api_base = settings.instagram_api_base.rstrip("/")
        self.graph_base = settings.instagram_graph_base.rstrip("/")

    def authorize_url(self, *, state: str, redirect_uri: str, scopes: Sequence[str]) -> str:
        query = urlencode(
            {
                "client_id": self.app_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": ",".join(scopes),
                "state": state,
            }
        )
        return f"{self.auth_base}/oauth/authorize?{query}"

    def connect(self, *, code: str, redirect_uri: str) -> Connection:
        response = http.send(
            PLATFORM,
            "POST",
            f"{self.api_base}/oauth/access_token",
            data={
                "client_id": self.app_id,
                "client_secret": self.app_secret.reveal(),
                "grant_type": "authorization_code",
                "redirect_uri": redirect_uri,
                # Instagram appends "#_" to the code in the redirect; it is not part of it.
                "code": code.removesuffix("#_"),
            },
            parse_error=oauth_error,
        )
        body = http.json_body(PLATFORM, response)
        if isinstance(body, dict) and isinstance(body.get("data"), list) and body["data"]:
            body = body["data"][0]
        if not isinstance(body, dict) or not body.get("access_token"):
            raise Rejected("Instagram did not return an access token for this code.")
        short = Secret(str(body["access_token"]))
        scopes = body.get("permissions") or []
        if isinstance(scopes, str):
            scopes = scopes.split(",")
        long_lived = self._long_lived(short)
        grant = TokenGrant(
            access_token=long_lived.access_token,
            refresh_token=None,
            expires_in=long_lived.expires_in,
            refresh_expires_in=None,
            scopes=tuple(str(s) for s in scopes),
        )
        return Connection(grant, self.profile(grant.access_token))

    def _long_lived(self, short: Secret) -> TokenGrant:
        response = http.send(
            PLATFORM,
            "GET",
            f"{self.graph_base}/access_token",
            params={
                "grant_type": "ig_exchange_token",
                "client_secret": self.app_secret.reveal(),
                "access_token": short.reveal(),
            },
            parse_error=graph_error,
        )
        return _grant(http.json_body(PLATFORM, response))

    def refresh(self, *, access_token: Secret, refresh_token: Secret | None) -> TokenGrant:
        response = http.send(
            PLATFORM,
            "GET",
            f"{self.graph_base}/refresh_access_token",
            params={"grant_type": "ig_refresh_token", "access_token": access_token.reveal()},
            parse_error=graph_error,
        )
        return _grant(http.json_body(PLATFORM, response))

    def profile(self, access_token: Secret) -> PlatformProfile:
        response = http.send(
            PLATFORM,
            "GET",
            f"{self.graph_base}/{GRAPH_VERSION}/me",
            params={"fields": PROFILE_FIELDS, "access_token": access_token.reveal()},
            parse_error=graph_error,
        )
        me = http.json_body(PLATFORM, response)
        me = me if isinstance(me, dict) else {}
        user_id = str(me.get("user_id") or me.get("id") or "")
        if not user_id:
            raise Rejected("Instagram did not say which account connected (no user_id).")
        return PlatformProfile(
            platform_account_id=user_id,
            handle=_str(me.get("username")),
            display_name=_str(me.get("name")),
            avatar_url=_str(me.get("profile_picture_url")),
            details={"accountType": _str(me.get("account_type"))},
        )


def _grant(body: Any) -> TokenGrant:
    if not isinstance(body, dict) or not body.get("access_token"):
        raise Rejected("Instagram did not return a long-lived token.")
    try:
        expires_in: int | None = int(body.get("expires_in") or 0) or None
    except (TypeError, ValueError):
        expires_in = None
    return TokenGrant(
        access_token=Secret(str(body["access_token"])),
        refresh_token=None,
        expires_in=expires_in,
        refresh_expires_in=None,
    )


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
