"""Which implementation serves a platform in a mode (plain dicts, test mode → sandbox), and
each platform's facts (`SPECS`: one `PlatformSpec` per platform, from ``<name>/spec.py``).

Live implementations read their credentials and base URLs from settings when built, so a
deployment without TikTok credentials fails at the call (``PLATFORM_NOT_CONFIGURED``), never
at start-up.
"""

from __future__ import annotations

from collections.abc import Callable

from layers.kit.errors import Validation
from layers.kit.settings import Settings, get_settings
from layers.social.platforms.base import PLATFORMS, OAuthProvider, PlatformSpec, Publisher
from layers.social.platforms.instagram.oauth import InstagramOAuth
from layers.social.platforms.instagram.publisher import InstagramPublisher
from layers.social.platforms.sandbox.oauth import SandboxOAuth
from layers.social.platforms.sandbox.publisher import SandboxPublisher
from layers.social.platforms.specs import SPECS as SPECS  # re-exported: the facts by name
from layers.social.platforms.specs import spec_of as spec_of
from layers.social.platforms.tiktok.oauth import TikTokOAuth
from layers.social.platforms.tiktok.publisher import TikTokPublisher

LIVE, TEST = "live", "test"

OAUTH_PROVIDERS: dict[str, dict[str, Callable[[Settings], OAuthProvider]]] = {
    LIVE: {"tiktok": TikTokOAuth, "instagram": InstagramOAuth},
    TEST: {
        "tiktok": lambda settings: SandboxOAuth("tiktok", settings),
        "instagram": lambda settings: SandboxOAuth("instagram", settings),
    },
}

PUBLISHERS: dict[str, dict[str, Callable[[Settings], Publisher]]] = {
    LIVE: {"tiktok": TikTokPublisher, "instagram": InstagramPublisher},
    TEST: {
        "tiktok": lambda settings: SandboxPublisher("tiktok", settings),
        "instagram": lambda settings: SandboxPublisher("instagram", settings),
    },
}


def _check(platform: str) -> None:
    if platform not in PLATFORMS:
        raise Validation.field("platform", f"must be one of {', '.join(PLATFORMS)}")


def spec(platform: str) -> PlatformSpec:
    """The facts of `platform` (a 422 naming ``platform`` for one we do not serve)."""
    _check(platform)
    return SPECS[platform]


def oauth_provider(
    platform: str, livemode: bool, settings: Settings | None = None
) -> OAuthProvider:
    _check(platform)
    return OAUTH_PROVIDERS[LIVE if livemode else TEST][platform](settings or get_settings())


def publisher(platform: str, livemode: bool, settings: Settings | None = None) -> Publisher:
    _check(platform)
    return PUBLISHERS[LIVE if livemode else TEST][platform](settings or get_settings())
