"""The metrics API: ``(series, totals)`` per scope, and top performers (§22)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query

from layers.kit.http import LayersRouter
from layers.metrics import analytics, performers
from layers.metrics.schemas import (
    Granularity,
    Metric,
    MetricScope,
    MetricsOut,
    OverrideIn,
    OverrideOut,
    RankMetric,
    SourceType,
    TopPerformersOut,
    Window,
)
from layers.orgs.dependencies import CurrentPrincipal, DbSession, requires
from layers.social.schemas import Platform

router = LayersRouter(prefix="/v1", tags=["metrics"])

Id = Annotated[str, Query(min_length=1, max_length=40, description="The scoped object's id.")]


@router.get("/projects/{project_id}/metrics", dependencies=[requires("metrics:read")])
def get_metrics(
    project_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    scope: MetricScope,
    id: Id,
    metrics: Annotated[list[Metric] | None, Query()] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    granularity: Granularity = Granularity.day,
) -> MetricsOut:
    """Organic metrics of a post, an account, a layer, the project or the organization:
    always ``(series, totals)``; the totals equal the sum of the series."""
    window = analytics.window_of(since, until, granularity)
    return analytics.metrics(
        session,
        principal,
        project_id,
        scope=scope,
        scope_id=id,
        wanted=metrics or [],
        window=window,
    )


@router.get("/projects/{project_id}/top-performers", dependencies=[requires("metrics:read")])
def get_top_performers(
    project_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    metric: RankMetric,
    window: Window = Window.d30,
    source_type: Annotated[SourceType, Query(alias="sourceType")] = SourceType.content_container,
    platform: Platform | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    include_ineligible: Annotated[bool, Query(alias="includeIneligible")] = False,
) -> TopPerformersOut:
    """One row per creative, ranked by `metric`, with its organic score (0–10) and whether
    it is eligible for ads (score ≥ 4.0 or override include; never override exclude)."""
    return performers.top_performers(
        session,
        principal,
        project_id,
        metric=metric,
        window=window,
        source_type=source_type,
        platform=platform.value if platform else None,
        limit=limit,
        include_ineligible=include_ineligible,
    )


@router.put(
    "/projects/{project_id}/top-performers/{container_id}/override",
    dependencies=[requires("content:write")],
)
def set_creative_override(
    project_id: str,
    container_id: str,
    body: OverrideIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> OverrideOut:
    """Include a creative in ads whatever its score, exclude it always, or (null) go back to
    its score."""
    performers.set_override(session, principal, project_id, container_id, body.override)
    return OverrideOut(container_id=container_id, override=body.override)
