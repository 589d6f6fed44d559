"""Which `PostMetrics` serves a platform in a mode: the real client live, the simulator in
test mode (plain dicts, as `layers.social.platforms.registry`)."""

from __future__ import annotations

from collections.abc import Callable

from layers.kit.settings import Settings, get_settings
from layers.metrics.sources.base import PostMetrics
from layers.metrics.sources.instagram import InstagramMetrics
from layers.metrics.sources.sandbox import SandboxMetrics
from layers.metrics.sources.tiktok import TikTokMetrics

LIVE, TEST = "live", "test"

SOURCES: dict[str, dict[str, Callable[[Settings], PostMetrics]]] = {
    LIVE: {"tiktok": TikTokMetrics, "instagram": InstagramMetrics},
    TEST: {
        "tiktok": lambda settings: SandboxMetrics("tiktok", settings),
        "instagram": lambda settings: SandboxMetrics("instagram", settings),
    },
}


def source_for(platform: str, livemode: bool, settings: Settings | None = None) -> PostMetrics:
    return SOURCES[LIVE if livemode else TEST][platform](settings or get_settings())
