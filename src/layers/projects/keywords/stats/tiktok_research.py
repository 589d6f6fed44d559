"""Live hashtag stats from TikTok's Research API (the client source catalogs use), and what
a live deployment without its credentials does: measure nothing rather than invent."""

from __future__ import annotations

from layers.projects.keywords.stats.base import HashtagStat
from layers.sources.tiktok_research import ResearchClient


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


class UnmeasuredHashtagStats:
    """Live mode with no research credentials: rank by relevance alone, claim no numbers."""

    def measure(self, hashtags: list[str]) -> dict[str, HashtagStat | None]:
        return dict.fromkeys(hashtags)
