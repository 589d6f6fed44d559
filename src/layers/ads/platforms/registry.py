"""Which `AdsPlatform` serves a platform in a mode: the real client live, the sandbox ads
market in test mode (plain dicts, as `layers.metrics.sources.registry`). Keys are the path
names (``meta``, ``tiktok``); `layers.ads.platforms.base.path_name` maps body names
(``meta_ads``) to them."""

from __future__ import annotations

from collections.abc import Callable

from layers.ads.platforms.base import PLATFORMS as PLATFORM_NAMES
from layers.ads.platforms.base import AdsPlatform, AdsPlatformSpec, path_name
from layers.ads.platforms.meta import SPEC as META_SPEC
from layers.ads.platforms.meta import MetaAds
from layers.ads.platforms.sandbox import SandboxAds
from layers.ads.platforms.tiktok import SPEC as TIKTOK_SPEC
from layers.ads.platforms.tiktok import TikTokAds
from layers.kit.settings import Settings, get_settings

LIVE, TEST = "live", "test"

PLATFORMS: dict[str, dict[str, Callable[[Settings], AdsPlatform]]] = {
    LIVE: {"meta": MetaAds, "tiktok": TikTokAds},
    TEST: {
        "meta": lambda settings: SandboxAds("meta", settings),
        "tiktok": lambda settings: SandboxAds("tiktok", settings),
    },
}
SPECS: dict[str, AdsPlatformSpec] = {"meta": META_SPEC, "tiktok": TIKTOK_SPEC}
assert tuple(SPECS) == PLATFORM_NAMES


def platform_for(platform: str, livemode: bool, settings: Settings | None = None) -> AdsPlatform:
    """The implementation of `platform` (``meta`` / ``meta_ads`` / ``tiktok`` / …) for the
    mode; KeyError for an unknown platform."""
    return PLATFORMS[LIVE if livemode else TEST][path_name(platform)](settings or get_settings())


def spec_for(platform: str) -> AdsPlatformSpec:
    return SPECS[path_name(platform)]
