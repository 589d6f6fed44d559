"""Our rows → the optimizer's facts (`OptimizerInputs`): a thin, read-only mapping.

* Ads, adsets and 30 days of daily metrics come from the mirrors the sync keeps.
* Creatives are the project's content containers with their ``organic_score`` and override
  from the metrics domain (`layers.metrics.performers`, over 90 days of posts), plus every
  container a person marked ``include`` (eligible whatever its score, posted or not). Pools:
  uploads are ``manual``, UGC remixes ``ugc``, everything else ``generated``. A rejected
  container (the approval gate said no) is ``safety_failed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.ads import ad_layers, authority_service, platform_access, repository
from layers.ads.optimizer.types import (
    AdFacts,
    AdMetrics,
    AdsetFacts,
    Creative,
    DayMetrics,
    OptimizerInputs,
    Override,
    Pool,
)
from layers.metrics import performers
from layers.metrics.schemas import RankMetric, SourceType, Window
from layers.models.ads import AdAccount, AdPendingAction
from layers.models.content import ContentContainer
from layers.models.engine import ProjectLayer
from layers.models.metrics import CreativeOverride

CREATIVE_LIMIT = 100


@dataclass(frozen=True)
class _Tenant:
    org_id: str
    livemode: bool


def pool_of(container: ContentContainer) -> Pool:
    if container.creative_type == "uploaded":
        return Pool.MANUAL
    if container.format.startswith("ugc"):
        return Pool.UGC
    return Pool.GENERATED


def creatives(session: Session, layer: ProjectLayer, adset_ids: list[str]) -> list[Creative]:
    tenant = _Tenant(layer.org_id, layer.livemode)
    ranked = performers.top_performers(
        session,
        tenant,
        layer.project_id,
        metric=RankMetric.views,
        window=Window.d90,
        source_type=SourceType.content_container,
        platform=None,
        limit=CREATIVE_LIMIT,
        include_ineligible=True,
    )
    found: dict[str, tuple[float | None, str | None]] = {
        row.container_id: (row.organic_score, row.override.value if row.override else None)
        for row in ranked.items
        if row.container_id
    }
    included = session.scalars(
        sa.select(CreativeOverride.container_id).where(
            CreativeOverride.org_id == layer.org_id,
            CreativeOverride.livemode == layer.livemode,
            CreativeOverride.project_id == layer.project_id,
            CreativeOverride.override == "include",
        )
    )
    for container_id in included:
        found.setdefault(str(container_id), (None, "include"))
    if not found:
        return []
    containers = {
        c.id: c
        for c in session.scalars(
            sa.select(ContentContainer).where(ContentContainer.id.in_(list(found)))
        )
    }
    in_adsets = repository.containers_in_adsets(session, adset_ids)
    out: list[Creative] = []
    for container_id, (score, override) in sorted(found.items()):
        container = containers.get(container_id)
        if container is None or container.status != "completed":
            continue
        out.append(
            Creative(
                content_id=container_id,
                pool=pool_of(container),
                organic_score=score,
                override=Override(override) if override else None,
                safety_failed=container.approval_status == "rejected",
                already_in_adsets=frozenset(in_adsets.get(container_id, set())),
            )
        )
    return out


def inputs_of(
    session: Session, layer: ProjectLayer, now: datetime, *, max_new: int | None = None
) -> OptimizerInputs:
    """The optimizer's view of `layer` at `now`."""
    campaigns = repository.layer_campaigns(session, layer.id)
    adsets = repository.adsets_of_campaigns(session, [c.id for c in campaigns])
    ads = repository.ads_of_adsets(session, [s.id for s in adsets])
    today = now.date()
    rows = repository.days_of(session, [a.id for a in ads], today - timedelta(days=29))
    days: dict[str, list[DayMetrics]] = {}
    for r in rows:
        days.setdefault(r.ad_id, []).append(
            DayMetrics(
                day=r.day,
                spend_cents=r.spend_cents,
                impressions=r.impressions,
                clicks=r.clicks,
                installs=r.installs,
                frequency=r.frequency or None,
            )
        )
    platform = ad_layers.platform_of(layer) or "meta"
    spec = platform_access.spec(platform)
    account = session.get(AdAccount, layer.config.get("adAccountId"))
    currency = account.currency if account is not None else "USD"
    pending = session.scalars(
        sa.select(AdPendingAction.subject_id).where(
            AdPendingAction.layer_id == layer.id,
            AdPendingAction.status.in_(("pending", "approved")),
            AdPendingAction.action == "pause",
        )
    )
    return OptimizerInputs(
        now=now,
        ads=[
            AdFacts(
                ad_id=a.id,
                adset_id=a.adset_id,
                campaign_id=a.campaign_id,
                status=a.status,
                created_at=a.launched_at,
                metrics=AdMetrics.from_days(days.get(a.id, []), today),
                learning=a.learning,
                content_id=a.container_id,
            )
            for a in ads
        ],
        adsets=[
            AdsetFacts(
                adset_id=s.id,
                campaign_id=s.campaign_id,
                daily_budget_cents=s.daily_budget_cents,
                last_budget_change_at=s.last_budget_change_at,
                max_ads=spec.max_ads_per_adset,
                status=s.status,
            )
            for s in adsets
        ],
        creatives=creatives(session, layer, [s.id for s in adsets]),
        settings=ad_layers.settings_of(
            layer.config,
            currency=currency,
            platform_max_ads=spec.max_ads_per_adset,
            max_new=max_new,
        ),
        authority=authority_service.policy_of(session, layer),
        pending_ad_ids=frozenset(str(ad_id) for ad_id in pending),
    )
