"""The metrics API's models (§22 of the reference: ``(series, totals)``, top performers)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from layers.kit.schemas import ApiModel, RequestModel, UtcDateTime


class MetricScope(StrEnum):
    platform_post = "platform_post"
    social_account = "social_account"
    project = "project"
    project_layer = "project_layer"
    organization = "organization"


class Metric(StrEnum):
    views = "views"
    reach = "reach"
    impressions = "impressions"
    likes = "likes"
    comments = "comments"
    shares = "shares"
    saves = "saves"
    watch_time_ms = "watch_time_ms"
    engagement_rate = "engagement_rate"
    followers = "followers"
    follower_delta = "follower_delta"
    posts_published = "posts_published"


class Granularity(StrEnum):
    hour = "hour"
    day = "day"
    week = "week"


class MetricPoint(ApiModel):
    start: UtcDateTime
    value: float


class MetricSeries(ApiModel):
    metric: Metric
    points: list[MetricPoint]


class MetricsOut(ApiModel):
    scope: MetricScope
    id: str
    granularity: Granularity
    since: UtcDateTime
    until: UtcDateTime
    series: list[MetricSeries]
    totals: dict[str, float] = Field(
        description="Per metric: the sum of its series (counters, posts_published, "
        "follower_delta), the rate over the whole window (engagement_rate), or the latest "
        "level (followers)."
    )


class RankMetric(StrEnum):
    views = "views"
    engagement_rate = "engagement_rate"
    watch_time_ms = "watch_time_ms"
    conversions = "conversions"
    roas = "roas"


class Window(StrEnum):
    d7 = "7d"
    d30 = "30d"
    d90 = "90d"


class SourceType(StrEnum):
    content_container = "content_container"
    platform_post = "platform_post"
    manual = "manual"


class Override(StrEnum):
    include = "include"
    exclude = "exclude"


class TopPerformer(ApiModel):
    rank: int
    metric_value: float
    source_type: SourceType
    source_id: str
    container_id: str | None
    platform: str | None
    posts: int
    views: int
    likes: int
    comments: int
    shares: int
    saves: int
    watch_time_ms: int
    engagement_rate: float
    organic_score: float | None = Field(
        description="0–10 from views and engagement (docs/metrics.md); null under 50 views "
        "a post (noise)."
    )
    override: Override | None
    eligible: bool = Field(
        description="organicScore ≥ 4.0 or override include, and not override exclude."
    )


class TopPerformersOut(ApiModel):
    metric: RankMetric
    window: Window
    items: list[TopPerformer]


class OverrideIn(RequestModel):
    override: Override | None = Field(
        description="include: eligible whatever the score; exclude: never; null: by score."
    )


class OverrideOut(ApiModel):
    container_id: str
    override: Override | None
