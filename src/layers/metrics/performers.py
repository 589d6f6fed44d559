"""Top performers: one row per creative, ranked, with its organic score and eligibility.

**organic_score** (0–10) reads what a creative's posts did on their own, against absolute
anchors (so a project's best post is not a 10 just for being its best):

* reach: ``v = min(1, log10(1 + views per post) / 5)`` (100,000 views a post is full marks);
* engagement: ``e = min(1, engagement_rate / 0.12)`` (likes, comments, shares and saves over
  views; 12 % is full marks);
* ``organic_score = round(10 × (0.6 v + 0.4 e), 1)``; under 50 views a post it is null (noise,
  as the reference says), which is not eligible.

Eligible (the gate the Ad Manager layers use, §19): ``organic_score ≥ 4.0`` or ``override =
include``, and never ``override = exclude``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit import clock
from layers.kit.errors import NotFound
from layers.kit.repository import TenantScope
from layers.metrics import repository
from layers.metrics.schemas import (
    Override,
    RankMetric,
    SourceType,
    TopPerformer,
    TopPerformersOut,
    Window,
)
from layers.models.content import ContentContainer
from layers.models.metrics import CreativeOverride
from layers.models.publishing import ScheduledPost
from layers.models.social import SocialAccount
from layers.projects import service as projects

ELIGIBLE_SCORE = 4.0
NOISE_VIEWS_PER_POST = 50
WINDOW_DAYS = {Window.d7: 7, Window.d30: 30, Window.d90: 90}
ORGANIC = (RankMetric.views, RankMetric.engagement_rate, RankMetric.watch_time_ms)


def organic_score(views: int, engaged: int, posts: int) -> float | None:
    if posts <= 0 or views < NOISE_VIEWS_PER_POST * posts:
        return None
    reach = min(1.0, math.log10(1 + views / posts) / 5)
    engagement = min(1.0, (engaged / views) / 0.12) if views else 0.0
    return round(10 * (0.6 * reach + 0.4 * engagement), 1)


def is_eligible(score: float | None, override: str | None) -> bool:
    if override == Override.exclude:
        return False
    return override == Override.include or (score is not None and score >= ELIGIBLE_SCORE)


@dataclass
class _Creative:
    source_id: str
    container_id: str | None
    platform: str | None
    posts: int = 0
    counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def top_performers(
    session: Session,
    tenant: TenantScope,
    project_id: str,
    *,
    metric: RankMetric,
    window: Window,
    source_type: SourceType,
    platform: str | None,
    limit: int,
    include_ineligible: bool,
) -> TopPerformersOut:
    projects.get(session, tenant, project_id)
    out = TopPerformersOut(metric=metric, window=window, items=[])
    # Paid signals (conversions, ROAS) and manual uploads come with the Ad Manager; until then
    # they rank nothing rather than something made up.
    if metric not in ORGANIC or source_type is SourceType.manual:
        return out
    since = clock.now() - timedelta(days=WINDOW_DAYS[window])
    query = (
        sa.select(ScheduledPost.id, ScheduledPost.container_id, SocialAccount.platform)
        .join(SocialAccount, SocialAccount.id == ScheduledPost.social_account_id)
        .where(
            ScheduledPost.org_id == tenant.org_id,
            ScheduledPost.livemode == tenant.livemode,
            ScheduledPost.project_id == project_id,
            ScheduledPost.status == "posted",
            ScheduledPost.posted_at >= since,
        )
    )
    if platform is not None:
        query = query.where(SocialAccount.platform == platform)
    if source_type is SourceType.content_container:
        query = query.where(ScheduledPost.container_id.is_not(None))
    posts = session.execute(query).all()
    latest = repository.latest_post_counters(session, [str(row[0]) for row in posts])
    creatives: dict[str, _Creative] = {}
    for post_id, container_id, post_platform in posts:
        snapshot = latest.get(post_id)
        if snapshot is None:
            continue
        key = str(container_id if source_type is SourceType.content_container else post_id)
        creative = creatives.setdefault(key, _Creative(key, container_id, post_platform))
        if creative.platform != post_platform:
            creative.platform = None  # a creative posted on several platforms
        creative.posts += 1
        for name in ("views", "likes", "comments", "shares", "saves", "watch_time_ms"):
            creative.counters[name] += getattr(snapshot, name)
    overrides = _overrides(session, tenant, [c.container_id for c in creatives.values()])
    rows: list[TopPerformer] = []
    for creative in creatives.values():
        c = creative.counters
        engaged = c["likes"] + c["comments"] + c["shares"] + c["saves"]
        rate = round(engaged / c["views"], 4) if c["views"] else 0.0
        score = organic_score(c["views"], engaged, creative.posts)
        override = overrides.get(creative.container_id or "")
        eligible = is_eligible(score, override)
        if not eligible and not include_ineligible:
            continue
        value = {
            RankMetric.views: float(c["views"]),
            RankMetric.engagement_rate: rate,
            RankMetric.watch_time_ms: float(c["watch_time_ms"]),
        }[metric]
        rows.append(
            TopPerformer(
                rank=0,
                metric_value=value,
                source_type=source_type,
                source_id=creative.source_id,
                container_id=creative.container_id,
                platform=creative.platform,
                posts=creative.posts,
                views=c["views"],
                likes=c["likes"],
                comments=c["comments"],
                shares=c["shares"],
                saves=c["saves"],
                watch_time_ms=c["watch_time_ms"],
                engagement_rate=rate,
                organic_score=score,
                override=Override(override) if override else None,
                eligible=eligible,
            )
        )
    rows.sort(key=lambda row: (-row.metric_value, row.source_id))
    for rank, row in enumerate(rows[:limit], start=1):
        row.rank = rank
    out.items = rows[:limit]
    return out


def _overrides(
    session: Session, tenant: TenantScope, container_ids: list[str | None]
) -> dict[str, str]:
    ids = [cid for cid in container_ids if cid]
    if not ids:
        return {}
    rows = session.execute(
        sa.select(CreativeOverride.container_id, CreativeOverride.override).where(
            CreativeOverride.org_id == tenant.org_id,
            CreativeOverride.livemode == tenant.livemode,
            CreativeOverride.container_id.in_(ids),
        )
    ).all()
    return {str(cid): str(value) for cid, value in rows}


def set_override(
    session: Session,
    tenant: TenantScope,
    project_id: str,
    container_id: str,
    override: Override | None,
) -> None:
    projects.get(session, tenant, project_id)
    container = session.get(ContentContainer, container_id)
    if (
        container is None
        or container.org_id != tenant.org_id
        or container.livemode != tenant.livemode
        or container.project_id != project_id
    ):
        raise NotFound(f"No content {container_id} in project {project_id}.", id=container_id)
    row = session.get(CreativeOverride, container_id)
    if override is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(
            CreativeOverride(
                container_id=container_id,
                org_id=tenant.org_id,
                livemode=tenant.livemode,
                project_id=project_id,
                override=override.value,
                updated_at=clock.now(),
            )
        )
    else:
        row.override = override.value
        row.updated_at = clock.now()
