"""Instagram (API with Instagram Login, ``graph.instagram.com``): media insights and the
account's follower count.

* ``GET /{media-id}/insights?metric=views,reach,likes,comments,shares,saved`` → ``{"data":
  [{"name", "period": "lifetime", "values": [{"value"}]} …]}`` (newer answers may carry
  ``total_value.value`` instead): one media a call (``SPEC.metrics_batch`` = 1). A media the
  account deleted answers error 100: it is left out.
* ``GET /{ig-user-id}?fields=followers_count``.

Rate limits answer codes 4 / 17 / 32 / 613 (`RateLimited`); an expired or revoked token 190
(`AuthFailed`) — both classified by `layers.social.platforms.instagram.api.graph_error`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from layers.kit.settings import Settings
from layers.metrics.sources.base import AccountStats, MetricsAccount, PostRef, PostStats
from layers.social.platforms import http
from layers.social.platforms.base import Rejected
from layers.social.platforms.instagram.api import graph_error
from layers.social.platforms.instagram.oauth import GRAPH_VERSION
from layers.social.platforms.instagram.spec import SPEC
from layers.social.vault import Secret

MEDIA_METRICS = ("views", "reach", "likes", "comments", "shares", "saved")
GONE_CODE = "100"  # "Unsupported get request": the media no longer exists (or is not ours)


class InstagramMetrics:
    platform: str = SPEC.name

    def __init__(self, settings: Settings) -> None:
        self.graph_base = settings.instagram_graph_base.rstrip("/")

    def _get(self, token: Secret, path: str, params: dict[str, str]) -> dict[str, Any]:
        response = http.send(
            self.platform,
            "GET",
            f"{self.graph_base}/{GRAPH_VERSION}/{path}",
            params={**params, "access_token": token.reveal()},
            parse_error=graph_error,
        )
        body = http.json_body(self.platform, response)
        return body if isinstance(body, dict) else {}

    def post_stats(
        self, token: Secret, account: MetricsAccount, posts: Sequence[PostRef]
    ) -> list[PostStats]:
        stats: list[PostStats] = []
        for post in posts:
            try:
                body = self._get(
                    token, f"{post.platform_post_id}/insights", {"metric": ",".join(MEDIA_METRICS)}
                )
            except Rejected as exc:
                if (exc.platform_code or "").split("/")[0] == GONE_CODE:
                    continue
                raise
            values = _values(body)
            stats.append(
                PostStats(
                    platform_post_id=post.platform_post_id,
                    views=values.get("views", 0),
                    reach=values.get("reach", 0),
                    likes=values.get("likes", 0),
                    comments=values.get("comments", 0),
                    shares=values.get("shares", 0),
                    saves=values.get("saved", 0),
                )
            )
        return stats

    def account_stats(self, token: Secret, account: MetricsAccount) -> AccountStats:
        body = self._get(token, account.platform_account_id, {"fields": "followers_count"})
        return AccountStats(followers=_int(body.get("followers_count")))


def _values(body: dict[str, Any]) -> dict[str, int]:
    """``{metric name: lifetime value}`` from an insights answer, in either of its shapes."""
    found: dict[str, int] = {}
    data = body.get("data")
    for entry in data if isinstance(data, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        total = entry.get("total_value")
        if isinstance(total, dict):
            found[entry["name"]] = _int(total.get("value"))
            continue
        values = entry.get("values")
        if isinstance(values, list) and values and isinstance(values[-1], dict):
            found[entry["name"]] = _int(values[-1].get("value"))
    return found


def _int(value: Any) -> int:
    return (
        max(0, int(value)) if isinstance(value, int | float) and not isinstance(value, bool) else 0
    )
