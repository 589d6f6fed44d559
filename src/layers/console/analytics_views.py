"""What the analytics screen shows, read through the metrics API's own service functions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from layers.console import views
from layers.console.charts import Band, Series, line_chart
from layers.content import service as content
from layers.kit import clock
from layers.kit.errors import LayersError
from layers.metrics import analytics, performers
from layers.metrics.schemas import Granularity, Metric, MetricScope, RankMetric, SourceType, Window
from layers.orgs.service import Principal
from layers.social import health

WINDOWS = {"7d": Window.d7, "30d": Window.d30, "90d": Window.d90}
TOTALS = (
    ("views", "Views"),
    ("engagement_rate", "Engagement rate"),
    ("posts_published", "Posts published"),
    ("followers", "Followers"),
)


def analytics_page(
    session: Session, principal: Principal, project_id: str, window_name: str
) -> dict[str, Any]:
    window = WINDOWS.get(window_name, Window.d30)
    days = performers.WINDOW_DAYS[window]
    span = analytics.window_of(clock.now() - timedelta(days=days), None, Granularity.day)
    out = analytics.metrics(
        session,
        principal,
        project_id,
        scope=MetricScope.project,
        scope_id=project_id,
        wanted=[Metric.views, Metric.engagement_rate, Metric.posts_published, Metric.followers],
        window=span,
    )
    points = {s.metric.value: [(p.start, p.value) for p in s.points] for s in out.series}
    totals = [
        {"label": label, "value": _shown(name, out.totals.get(name, 0.0))} for name, label in TOTALS
    ]
    top = performers.top_performers(
        session,
        principal,
        project_id,
        metric=RankMetric.views,
        window=window,
        source_type=SourceType.content_container,
        platform=None,
        limit=10,
        include_ineligible=True,
    )
    rows = [
        {"row": row, "content": _content(session, principal, row.container_id)} for row in top.items
    ]
    return {
        "window": window.value,
        "windows": list(WINDOWS),
        "totals": totals,
        "views_chart": line_chart([Series("Views", points["views"])], title="Views per day"),
        "posts_chart": line_chart(
            [Series("Posts published", points["posts_published"])],
            title="Posts per day",
            height=140,
        ),
        "top": rows,
        "accounts": _temperatures(session, principal, project_id, days),
        "eligible_score": performers.ELIGIBLE_SCORE,
    }


def _shown(name: str, value: float) -> str:
    if name == "engagement_rate":
        return f"{value * 100:.1f} %"
    return f"{int(value):,}"


def _content(session: Session, principal: Principal, container_id: str | None) -> Any:
    if container_id is None:
        return None
    try:
        return content.to_out(session, content.get(session, principal, container_id))
    except LayersError:
        return None


def _temperatures(
    session: Session, principal: Principal, project_id: str, days: int
) -> list[dict[str, Any]]:
    since = clock.now() - timedelta(days=days)
    accounts = []
    for item in views.accounts_view(session, principal, project_id):
        account = item["account"]
        snapshots = health.history(session, account.social_account_id, since)
        chart = line_chart(
            [Series("Score", [(s.taken_at, float(s.score)) for s in snapshots])],
            height=120,
            y_max=100,
            bands=[Band(health.WARM, "warm"), Band(health.HOT, "hot")],
            title=f"Temperature of {account.handle or account.social_account_id}",
        )
        current = (
            snapshots[-1].temperature
            if snapshots
            else health.temperature(session, account.social_account_id)
        )
        changes = [
            {"at": s.taken_at, "temperature": s.temperature}
            for before, s in zip([None, *snapshots], snapshots, strict=False)
            if before is None or before.temperature != s.temperature
        ]
        accounts.append(
            {"account": account, "temperature": current, "chart": chart, "changes": changes[-5:]}
        )
    return accounts
