"""TikTok Login Kit (OAuth v2) for web.

* Authorize: ``{auth_base}/v2/auth/authorize/?client_key&scope&response_type=code&redirect_uri
  &state`` (scopes comma-separated).
* Token: ``POST {api_base}/v2/oauth/token/`` (form-encoded) with
  ``grant_type=authorization_code`` (plus ``code``, ``redirect_uri``) or
  ``grant_type=refresh_token``. The answer carries ``access_token``/``expires_in`` (24 h) and
  ``refresh_token``/``refresh_expires_in`` (365 days), ``open_id`` and ``scope``. Refresh tokens
  rotate: the answer's refresh token replaces the one sent, which stops working.
* Who connected: ``GET {api_base}/v2/user/info/?fields=…`` with the bearer token.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import httpx

from layers.kit.errors import PlatformNotConfigured
from layers.kit.settings import Settings
from layers.social.platforms import http
from layers.social.platforms.base import (
    Connection,
    PlatformCallError,
    PlatformProfile,
    Rejected,
    TokenGrant,
)
from layers.social.platforms.tiktok.api import PLATFORM, api_error, data_of, oauth_body_error
from layers.social.platforms.tiktok.spec import SPEC
from layers.social.vault import Secret

DEFAULT_SCOPES = SPEC.default_scopes
PROFILE_FIELDS = "open_id,union_id,avatar_url,display_name,username"
BASIC_FIELDS = "open_id,union_id,avatar_url,display_name"


class TikTokOAuth:
    platform: str = PLATFORM
    default_scopes: tuple[str, ...] = DEFAULT_SCOPES

    def __init__(self, settings: Settings) -> None:
        if not settings.tiktok_client_key or not settings.tiktok_client_secret:
            raise PlatformNotConfigured(
                "TikTok is not configured on this server: set LAYERS_TIKTOK_CLIENT_KEY and "
                "LAYERS_TIKTOK_CLIENT_SECRET.",
                platform=PLATFORM,
            )
        self.client_key = settings.tiktok_client_key
        self.client_secret = Secret(settings.tiktok_client_secret)
        self.api_base = settings.tiktok_api_base.rstrip("/")
        self.auth_base = settings.tiktok_auth_base.rstrip("/")

    def authorize_url(self, *, state: str, redirect_uri: str, scopes: Sequence[str]) -> str:
        query = urlencode(
            {
                "client_key": self.client_key,
                "scope": ",".join(scopes),
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{self.auth_base}/v2/auth/authorize/?{query}"

    def _token(self, form: dict[str, str], *, refreshing: bool) -> TokenGrant:
        response = http.send(
            PLATFORM,
            "POST",
            f"{self.api_base}/v2/oauth/token/",
            data={
                "client_key": self.client_key,
                "client_secret": self.client_secret.reveal(),
                **form,
            },
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            parse_error=lambda r: _oauth_error(r, refreshing=refreshing),
        )
        body = http.json_body(PLATFORM, response)
        if not isinstance(body, dict) or body.get("error") or not body.get("access_token"):
            raise oauth_body_error(
                body if isinstance(body, dict) else {}, response, refreshing=refreshing
            )
        return TokenGrant(
            access_token=Secret(str(body["access_token"])),
            refresh_token=Secret(str(body.get("refresh_token") or "")) or None,
            expires_in=_int(body.get("expires_in")),
            refresh_expires_in=_int(body.get("refresh_expires_in")),
            scopes=tuple(s for s in str(body.get("scope") or "").split(",") if s),
        )

    def connect(self, *, code: str, redirect_uri: str) -> Connection:
        grant = self._token(
            {"code": code, "grant_type": "authorization_code", "redirect_uri": redirect_uri},
            refreshing=False,
        )
        return Connection(grant, self.profile(grant.access_token))

    def refresh(self, *, access_token: Secret, refresh_token: Secret | None) -> TokenGrant:
        if not refresh_token:
            raise Rejected("No TikTok refresh token is stored for this account.")
        return self._token(
            {"grant_type": "refresh_token", "refresh_token": refresh_token.reveal()},
            refreshing=True,
        )

    def profile(self, access_token: Secret) -> PlatformProfile:
        try:
            user = self._user(access_token, PROFILE_FIELDS)
        except Rejected:
            user = self._user(access_token, BASIC_FIELDS)  # user.info.profile not granted
        except PlatformCallError as exc:
            if exc.platform_code not in ("scope_not_authorized", "scope_permission_missed"):
                raise
            user = self._user(access_token, BASIC_FIELDS)
        open_id = str(user.get("open_id") or "")
        if not open_id:
            raise Rejected("TikTok did not say which account connected (no open_id).")
        return PlatformProfile(
            platform_account_id=open_id,
            handle=_str(user.get("username")),
            display_name=_str(user.get("display_name")),
            avatar_url=_str(user.get("avatar_url")),
            details={"unionId": _str(user.get("union_id"))},
        )

    def _user(self, access_token: Secret, fields: str) -> dict[str, Any]:
        response = http.send(
            PLATFORM,
            "GET",
            f"{self.api_base}/v2/user/info/",
            params={"fields": fields},
            headers={"Authorization": f"Bearer {access_token.reveal()}"},
            parse_error=api_error,
        )
        data = data_of(http.json_body(PLATFORM, response), response)
        user = data.get("user")
        return user if isinstance(user, dict) else {}


def _oauth_error(response: httpx.Response, *, refreshing: bool) -> PlatformCallError:
    return oauth_body_error(http.error_json(response), response, refreshing=refreshing)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
