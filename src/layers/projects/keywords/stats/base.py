"""Hashtag stats: the `HashtagStats` Protocol and what it measures (`HashtagStat`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class HashtagStat:
    view_count: int  # views of the videos carrying the tag
    use_count: int  # videos carrying the tag


class HashtagStats(Protocol):
    """Lifetime views and post counts of TikTok hashtags.

    The contract every implementation keeps:

    * Every tag asked about is a key of the answer; ``None`` means "not measured" (the source
      knows nothing about it, or cannot measure at all), never zero: ranking then uses
      relevance alone instead of inventing a number.
    * It may go to the network: a keyword-research step calls it outside any database
      transaction, a handful of tags at a time, and retries a batch that raised
      (`PlatformError`).
    """

    def measure(self, hashtags: list[str]) -> dict[str, HashtagStat | None]:
        """Stats per hashtag; ``None`` for a tag the source knows nothing about."""
        ...
