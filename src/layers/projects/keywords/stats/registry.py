"""Which hashtag stats serve a mode: a plain dict, test mode → sandbox; live mode measures
with the Research API when this deployment has its credentials, else measures nothing."""

from __future__ import annotations

from collections.abc import Callable

from layers.kit.settings import Settings, get_settings
from layers.projects.keywords.stats.base import HashtagStats
from layers.projects.keywords.stats.sandbox import SandboxHashtagStats
from layers.projects.keywords.stats.tiktok_research import (
    ResearchHashtagStats,
    UnmeasuredHashtagStats,
)
from layers.sources.tiktok_research import research_client

LIVE, TEST = "live", "test"


def _live(settings: Settings) -> HashtagStats:
    client = research_client(settings)
    return ResearchHashtagStats(client) if client else UnmeasuredHashtagStats()


STATS: dict[str, Callable[[Settings], HashtagStats]] = {
    LIVE: _live,
    TEST: lambda settings: SandboxHashtagStats(settings.sandbox_latency_ms),
}


def hashtag_stats(livemode: bool, settings: Settings | None = None) -> HashtagStats:
    return STATS[LIVE if livemode else TEST](settings or get_settings())
