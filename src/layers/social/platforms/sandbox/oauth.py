"""Sandbox OAuth: a local consent page instead of TikTok's or Instagram's.

The authorize URL is ``{public_base_url}/sandbox/oauth/{platform}/authorize``: a page a
person can read, with one button (or one GET with ``decision=allow``) that redirects to our
callback with a code, exactly like a platform would. The code is signed with the server's
session secret and names the handle the person chose, so the exchange needs no state of its
own; the account id is derived from platform and handle, so connecting the same handle again
reconnects the same account. Tokens are random (``sbx…``) with the platforms' lifetimes and
scopes (their `PlatformSpec`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Sequence
from urllib.parse import urlencode

from layers.kit.settings import Settings
from layers.social.platforms.base import (
    AuthFailed,
    Connection,
    PlatformProfile,
    Rejected,
    TokenGrant,
)
from layers.social.platforms.specs import SPECS
from layers.social.vault import Secret

HANDLE_RE = re.compile(r"^[A-Za-z0-9._]{2,30}$")


def default_handle(platform: str) -> str:
    return f"sandbox_{platform}"


class SandboxOAuth:
    def __init__(self, platform: str, settings: Settings) -> None:
        self.platform = platform
        self.spec = SPECS[platform]
        self.default_scopes: tuple[str, ...] = self.spec.default_scopes
        self.base = settings.public_base_url.rstrip("/")
        self._secret = settings.resolved_session_secret.encode()
        self.latency = settings.sandbox_latency_ms / 1000

    def authorize_url(self, *, state: str, redirect_uri: str, scopes: Sequence[str]) -> str:
        query = urlencode({"state": state, "scope": ",".join(scopes)})
        return f"{self.base}/sandbox/oauth/{self.platform}/authorize?{query}"

    def _signature(self, handle: str) -> str:
        message = f"sandbox-oauth\x1f{self.platform}\x1f{handle}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def code_for(self, handle: str) -> str:
        """The authorization code the consent page hands to the callback."""
        if not HANDLE_RE.match(handle):
            raise ValueError("a handle is 2–30 letters, digits, dots or underscores")
        encoded = base64.urlsafe_b64encode(handle.encode()).decode().rstrip("=")
        return f"sbx_{encoded}.{self._signature(handle)}"

    def _handle_of(self, code: str) -> str:
        body, _, signature = code.removeprefix("sbx_").partition(".")
        try:
            handle = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            handle = ""
        if (
            not code.startswith("sbx_")
            or not HANDLE_RE.match(handle)
            or not hmac.compare_digest(signature, self._signature(handle))
        ):
            raise Rejected("This sandbox authorization code is not valid.")
        return handle

    def _grant(self) -> TokenGrant:
        access_life = int(self.spec.access_token_lifetime.total_seconds())
        lifetime = self.spec.refresh_token_lifetime
        refresh_life = int(lifetime.total_seconds()) if lifetime is not None else None
        return TokenGrant(
            access_token=Secret(f"sbx.act.{secrets.token_urlsafe(24)}"),
            refresh_token=Secret(f"sbx.rft.{secrets.token_urlsafe(24)}") if refresh_life else None,
            expires_in=access_life,
            refresh_expires_in=refresh_life,
            scopes=self.default_scopes,
        )

    def connect(self, *, code: str, redirect_uri: str) -> Connection:
        if self.latency:
            time.sleep(self.latency)
        handle = self._handle_of(code)
        digest = hashlib.sha256(f"{self.platform}:{handle.lower()}".encode()).hexdigest()
        profile = PlatformProfile(
            platform_account_id=f"sbx{int(digest[:15], 16)}",
            handle=handle,
            display_name=handle.replace("_", " ").replace(".", " ").title(),
            avatar_url=None,
            details={"sandbox": True},
        )
        return Connection(self._grant(), profile)

    def refresh(self, *, access_token: Secret, refresh_token: Secret | None) -> TokenGrant:
        if self.latency:
            time.sleep(self.latency)
        # With a refresh token, that is what a refresh presents; without, the access token.
        presented = refresh_token if self.spec.has_refresh_token else access_token
        if not presented or not presented.reveal().startswith("sbx."):
            raise AuthFailed("The sandbox does not know this token.", platform_code="invalid_grant")
        return self._grant()
