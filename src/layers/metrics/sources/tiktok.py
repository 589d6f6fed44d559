"""TikTok: the Display API's video query (counters of our creator's videos) and user info.

* ``POST /v2/video/query/?fields=id,view_count,like_count,comment_count,share_count`` with
  ``{"filters": {"video_ids": [...]}}``, at most 20 ids a call (``SPEC.metrics_batch``);
  the answer's ``data.videos`` holds the videos the creator still has (a deleted one is absent).
* ``GET /v2/user/info/?fields=follower_count`` → ``data.user.follower_count``.

Both need the ``video.list`` / ``user.info.stats`` scopes; errors come in TikTok's
``{"error": {"code", "message"}}`` shape (`layers.social.platforms.tiktok.api`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from layers.kit.settings import Settings
from layers.metrics.sources.base import AccountStats, MetricsAccount, PostRef, PostStats
from layers.social.platforms import http
from layers.social.platforms.tiktok.api import api_error, data_of
from layers.social.platforms.tiktok.spec import SPEC
from layers.social.vault import Secret

VIDEO_FIELDS = "id,view_count,like_count,comment_count,share_count"


class TikTokMetrics:
    platform: str = SPEC.name

    def __init__(self, settings: Settings) -> None:
        self.api_base = settings.tiktok_api_base.rstrip("/")

    def _call(
        self, token: Secret, method: str, path: str, fields: str, body: Any = None
    ) -> dict[str, Any]:
        response = http.send(
            self.platform,
            method,
            f"{self.api_base}{path}",
            params={"fields": fields},
            json=body,
            headers={"Authorization": f"Bearer {token.reveal()}"},
            parse_error=api_error,
        )
        return data_of(http.json_body(self.platform, response), response)

    def post_stats(
        self, token: Secret, account: MetricsAccount, posts: Sequence[PostRef]
    ) -> list[PostStats]:
        stats: list[PostStats] = []
        for start in range(0, len(posts), SPEC.metrics_batch):
            ids = [post.platform_post_id for post in posts[start : start + SPEC.metrics_batch]]
            data = self._call(
                token, "POST", "/v2/video/query/", VIDEO_FIELDS, {"filters": {"video_ids": ids}}
            )
            videos = data.get("videos")
            for video in videos if isinstance(videos, list) else []:
                if not isinstance(video, dict) or str(video.get("id")) not in ids:
                    continue
                stats.append(
                    PostStats(
                        platform_post_id=str(video["id"]),
                        views=_count(video, "view_count"),
                        likes=_count(video, "like_count"),
                        comments=_count(video, "comment_count"),
                        shares=_count(video, "share_count"),
                    )
                )
        return stats

    def account_stats(self, token: Secret, account: MetricsAccount) -> AccountStats:
        data = self._call(token, "GET", "/v2/user/info/", "follower_count")
        user = data.get("user")
        return AccountStats(
            followers=_count(user if isinstance(user, dict) else {}, "follower_count")
        )


def _count(body: dict[str, Any], key: str) -> int:
    value = body.get(key)
    return (
        max(0, int(value)) if isinstance(value, int | float) and not isinstance(value, bool) else 0
    )
