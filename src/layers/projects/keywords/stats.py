"""Where hashtag popularity comes from: one Protocol, a sandbox and the live choice."""

from __future__ import annotations

import hashlib
import time
from typing import Protocol

from layers.kit.settings import Settings
from layers.projects.keywords.research import HashtagStat
from layers.sources.catalog import ResearchClient, research_client


class HashtagStats(Protocol):
    """Lifetime views and post counts of TikTok hashtags."""

    def measure(self, hashtags: list[str]) -> dict[str, HashtagStat | None]:
        """Stats per hashtag; ``None`` for a tag the source knows nothing about."""
        ...


class SandboxHashtagStats:
    """Deterministic, plausible numbers: short generic tags are the big ones."""

    def __init__(self, latency_ms: int = 0) -> None:
        self.latency_ms = latency_ms

    def measure(self, hashtags: list[str]) -> dict[str, HashtagStat | None]:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        out: dict[str, HashtagStat | None] = {}
        for tag in hashtags:
            digest = hashlib.sha256(tag.encode()).digest()
            noise = int.from_bytes(digest[:4], "big") / 2**32
            shortness = 1 - min(len(tag), 24) / 24
            exponent = 3.5 + 6.0 * (0.55 * shortness + 0.45 * noise)
            views = int(10**exponent)
            per_post = 800 + int.from_bytes(digest[4:6], "big") % 12000
            out[tag] = HashtagStat(view_count=views, use_count=max(1, views // per_post))
        return out


class UnmeasuredHashtagStats:
    """Live mode with no research credentials: rank by relevance alone, claim no numbers."""

    def measure(self, hashtags: list[str]) -> dict[str, HashtagStat | None]:
        return dict.fromkeys(hashtags)


class ResearchHashtagStats:
    """Live numbers from TikTok's Research API, measured on a sample: the videos carrying the
    tag over the last 30 days (up to 100 per tag); views are their summed view counts, uses
    the number of videos found."""

    def __init__(self, client: ResearchClient) -> None:
        self.client = client

    def measure(self, hashtags: list[str]) -> dict[str, HashtagStat | None]:
        out: dict[str, HashtagStat | None] = {}
        for tag in hashtags:
            query = {
                "and": [{"operation": "IN", "field_name": "hashtag_name", "field_values": [tag]}]
            }
            videos = self.client.query_videos(query, max_count=100)
            views = sum(int(v.get("view_count") or 0) for v in videos)
            out[tag] = HashtagStat(view_count=views, use_count=len(videos)) if videos else None
        return out


def hashtag_stats(settings: Settings, livemode: bool) -> HashtagStats:
    """Sandbox for test mode; in live mode, the best source this deployment has."""
    if not livemode:
        return SandboxHashtagStats(settings.sandbox_latency_ms)
    client = research_client(settings)
    if client is not None:
        return ResearchHashtagStats(client)
    return UnmeasuredHashtagStats()
