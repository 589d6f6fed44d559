"""Queries of the ads domain (more than a line each). No function here commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit.errors import Validation
from layers.kit.pagination import decode_cursor, fetch_page
from layers.kit.repository import TenantRepository, TenantScope
from layers.models.ads import (
    Ad,
    AdAccount,
    AdAuthority,
    AdCampaign,
    AdDailyMetric,
    AdDecision,
    AdOptimizerRun,
    AdPendingAction,
    AdsContent,
    AdSet,
)

accounts_repo = TenantRepository(AdAccount, "aac", "ad account")
campaigns_repo = TenantRepository(AdCampaign, "cmp", "campaign")
adsets_repo = TenantRepository(AdSet, "adset", "adset")
ads_repo = TenantRepository(Ad, "ad", "ad")
pending_repo = TenantRepository(AdPendingAction, "pa", "pending action")


# ---- ad accounts ----


def accounts_page(
    session: Session,
    tenant: TenantScope,
    project_id: str,
    *,
    platform: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[AdAccount], str | None]:
    stmt = accounts_repo.scoped(tenant).where(AdAccount.project_id == project_id)
    if platform is not None:
        stmt = stmt.where(AdAccount.platform == platform)
    return fetch_page(session, stmt, AdAccount.id, cursor=_cursor(cursor), limit=limit)


def account_by_platform_id(
    session: Session, project_id: str, platform: str, platform_account_id: str
) -> AdAccount | None:
    return session.scalar(
        sa.select(AdAccount).where(
            AdAccount.project_id == project_id,
            AdAccount.platform == platform,
            AdAccount.platform_account_id == platform_account_id,
        )
    )


# ---- mirrors ----


def campaign_by_platform_id(
    session: Session, account_id: str, platform_campaign_id: str
) -> AdCampaign | None:
    return session.scalar(
        sa.select(AdCampaign).where(
            AdCampaign.ad_account_id == account_id,
            AdCampaign.platform_campaign_id == platform_campaign_id,
        )
    )


def adsets_of_account(session: Session, account_id: str) -> dict[str, AdSet]:
    rows = session.scalars(sa.select(AdSet).where(AdSet.ad_account_id == account_id))
    return {row.platform_adset_id: row for row in rows}


def ads_of_account(session: Session, account_id: str) -> dict[tuple[str, str], Ad]:
    rows = session.scalars(sa.select(Ad).where(Ad.ad_account_id == account_id))
    return {(row.adset_id, row.platform_ad_id): row for row in rows}


def campaigns_of_account(session: Session, account_id: str) -> dict[str, AdCampaign]:
    rows = session.scalars(sa.select(AdCampaign).where(AdCampaign.ad_account_id == account_id))
    return {row.platform_campaign_id: row for row in rows}


def layer_campaigns(session: Session, layer_id: str) -> list[AdCampaign]:
    return list(
        session.scalars(
            sa.select(AdCampaign).where(AdCampaign.layer_id == layer_id).order_by(AdCampaign.id)
        )
    )


def adsets_of_campaigns(session: Session, campaign_ids: Iterable[str]) -> list[AdSet]:
    ids = list(campaign_ids)
    if not ids:
        return []
    return list(
        session.scalars(sa.select(AdSet).where(AdSet.campaign_id.in_(ids)).order_by(AdSet.id))
    )


def ads_of_adsets(session: Session, adset_ids: Iterable[str]) -> list[Ad]:
    ids = list(adset_ids)
    if not ids:
        return []
    return list(session.scalars(sa.select(Ad).where(Ad.adset_id.in_(ids)).order_by(Ad.id)))


def upsert_day(
    session: Session,
    *,
    ad: Ad,
    day: date,
    spend_cents: int,
    impressions: int,
    clicks: int,
    installs: int,
    frequency: float | None,
    now: datetime,
    known: dict[tuple[str, date], AdDailyMetric] | None = None,
) -> bool:
    """The platform's numbers for (ad, day), replacing what an earlier sync stored; True when
    something changed. `known` (from `days_of`) spares a lookup per day: with it, new days
    are only added to the session, and the flush inserts them in batches."""
    row = known.get((ad.id, day)) if known is not None else session.get(AdDailyMetric, (ad.id, day))
    values = {
        "spend_cents": spend_cents,
        "impressions": impressions,
        "clicks": clicks,
        "installs": installs,
        "frequency": float(frequency or 0.0),
    }
    if row is None:
        row = AdDailyMetric(
            ad_id=ad.id,
            day=day,
            org_id=ad.org_id,
            livemode=ad.livemode,
            project_id=ad.project_id,
            platform=ad.platform,
            synced_at=now,
            **values,
        )
        session.add(row)
        if known is not None:
            known[(ad.id, day)] = row
        return True
    changed = any(getattr(row, key) != value for key, value in values.items())
    if changed:
        for key, value in values.items():
            setattr(row, key, value)
        row.synced_at = now
    return changed


def days_of(session: Session, ad_ids: Iterable[str], since: date) -> list[AdDailyMetric]:
    ids = list(ad_ids)
    if not ids:
        return []
    return list(
        session.scalars(
            sa.select(AdDailyMetric)
            .where(AdDailyMetric.ad_id.in_(ids), AdDailyMetric.day >= since)
            .order_by(AdDailyMetric.ad_id, AdDailyMetric.day)
        )
    )


def spend_installs_since(
    session: Session, ad_ids: Iterable[str], since: date
) -> dict[str, tuple[int, int]]:
    ids = list(ad_ids)
    if not ids:
        return {}
    rows = session.execute(
        sa.select(
            AdDailyMetric.ad_id,
            sa.func.coalesce(sa.func.sum(AdDailyMetric.spend_cents), 0),
            sa.func.coalesce(sa.func.sum(AdDailyMetric.installs), 0),
        )
        .where(AdDailyMetric.ad_id.in_(ids), AdDailyMetric.day >= since)
        .group_by(AdDailyMetric.ad_id)
    ).all()
    return {str(ad_id): (int(spend), int(installs)) for ad_id, spend, installs in rows}


def content_links(session: Session, ad_ids: Iterable[str]) -> dict[str, AdsContent]:
    ids = list(ad_ids)
    if not ids:
        return {}
    rows = session.scalars(sa.select(AdsContent).where(AdsContent.ad_id.in_(ids)))
    return {row.ad_id: row for row in rows}


def containers_in_adsets(session: Session, adset_ids: Iterable[str]) -> dict[str, set[str]]:
    """Per container, the adsets where one of its ads runs (or ran)."""
    ids = list(adset_ids)
    out: dict[str, set[str]] = {}
    if not ids:
        return out
    rows = session.execute(
        sa.select(AdsContent.container_id, AdsContent.adset_id).where(AdsContent.adset_id.in_(ids))
    ).all()
    for container_id, adset_id in rows:
        out.setdefault(str(container_id), set()).add(str(adset_id))
    return out


# ---- the list-ads endpoint ----


def ads_page(
    session: Session,
    tenant: TenantScope,
    project_id: str,
    *,
    adset_id: str | None,
    campaign_id: str | None,
    ad_account_id: str | None,
    platforms: list[str] | None,
    ads_content_id: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[Ad], str | None]:
    stmt = ads_repo.scoped(tenant).where(Ad.project_id == project_id)
    if adset_id:
        stmt = stmt.where(Ad.adset_id == adset_id)
    if campaign_id:
        stmt = stmt.where(Ad.campaign_id == campaign_id)
    if ad_account_id:
        stmt = stmt.where(Ad.ad_account_id == ad_account_id)
    if platforms:
        stmt = stmt.where(Ad.platform.in_(platforms))
    if status:
        stmt = stmt.where(Ad.status == status)
    if ads_content_id:
        stmt = stmt.where(
            Ad.id.in_(sa.select(AdsContent.ad_id).where(AdsContent.id == ads_content_id))
        )
    return fetch_page(session, stmt, Ad.id, cursor=_cursor(cursor), limit=limit)


def _cursor(cursor: str | None) -> str | None:
    """A cursor we did not write (forged, truncated) starts over at the first page (§19)."""
    if not cursor:
        return None
    try:
        decode_cursor(cursor)
    except Validation:
        return None
    return cursor


# ---- authority ----


def authority_rows(session: Session, layer_id: str) -> list[AdAuthority]:
    return list(session.scalars(sa.select(AdAuthority).where(AdAuthority.layer_id == layer_id)))


def authority_row(session: Session, layer_id: str, scope_key: str) -> AdAuthority | None:
    return session.scalar(
        sa.select(AdAuthority).where(
            AdAuthority.layer_id == layer_id, AdAuthority.scope_key == scope_key
        )
    )


# ---- runs, decisions, pending ----


def decisions_of(session: Session, run_id: str) -> list[AdDecision]:
    return list(
        session.scalars(
            sa.select(AdDecision).where(AdDecision.run_id == run_id).order_by(AdDecision.seq)
        )
    )


def undispatched(session: Session, run_id: str) -> list[AdDecision]:
    """The run's ``auto`` decisions not yet dispatched nor refused (a JSON NULL is stored as
    JSON ``null`` on some databases, so the error is checked here rather than in SQL)."""
    rows = session.scalars(
        sa.select(AdDecision)
        .where(
            AdDecision.run_id == run_id,
            AdDecision.authority == "dispatch",
            AdDecision.dispatched_at.is_(None),
        )
        .order_by(AdDecision.seq)
    )
    return [row for row in rows if not row.dispatch_error]


def active_run(session: Session, layer_id: str, kind: str) -> AdOptimizerRun | None:
    return session.scalar(
        sa.select(AdOptimizerRun)
        .where(
            AdOptimizerRun.layer_id == layer_id,
            AdOptimizerRun.kind == kind,
            AdOptimizerRun.status.in_(("queued", "running")),
        )
        .order_by(AdOptimizerRun.run_id.desc())
        .limit(1)
    )


def pending_page(
    session: Session,
    tenant: TenantScope,
    project_id: str,
    platform: str,
    *,
    status: str | None,
    layer_id: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[AdPendingAction], str | None]:
    stmt = pending_repo.scoped(tenant).where(
        AdPendingAction.project_id == project_id, AdPendingAction.platform == platform
    )
    if status:
        stmt = stmt.where(AdPendingAction.status == status)
    if layer_id:
        stmt = stmt.where(AdPendingAction.layer_id == layer_id)
    return fetch_page(session, stmt, AdPendingAction.id, cursor=_cursor(cursor), limit=limit)


def pending_of_layer(
    session: Session, layer_id: str, statuses: Iterable[str]
) -> list[AdPendingAction]:
    return list(
        session.scalars(
            sa.select(AdPendingAction)
            .where(AdPendingAction.layer_id == layer_id, AdPendingAction.status.in_(list(statuses)))
            .order_by(AdPendingAction.id)
        )
    )


def claim_pending(session: Session, pending_id: str, from_status: str, **values: object) -> bool:
    """Move a pending action out of `from_status` (a conditional UPDATE: one winner)."""
    result = session.execute(
        sa.update(AdPendingAction)
        .where(AdPendingAction.id == pending_id, AdPendingAction.status == from_status)
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
