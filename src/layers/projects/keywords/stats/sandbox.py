"""Test-mode hashtag stats: deterministic, plausible numbers."""

from __future__ import annotations

import hashlib
import time

from layers.projects.keywords.stats.base import HashtagStat


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
