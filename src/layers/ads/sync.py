"""Reading an ad layer's account from its platform into our mirrors and daily metrics.

The platform calls happen outside any transaction; the writes happen in one. Mirrors are
updated in place (unique on the platform's ids) and each (ad, day) is overwritten with the
platform's latest numbers, so a sync that runs twice, late, or after an outage stores the
same thing: nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from layers.ads import accounts, platform_access, repository
from layers.ads.platforms import base
from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.errors import Conflict
from layers.kit.ids import new_id
from layers.models.ads import Ad, AdAccount, AdCampaign, AdSet
from layers.models.engine import ProjectLayer

METRIC_DAYS = 30


class AccountUnusable(Conflict):
    """The layer's ad account is missing, unhealthy, or refused our token."""


@dataclass
class Snapshot:
    campaigns: list[base.Campaign] = field(default_factory=list)
    adsets: list[base.Adset] = field(default_factory=list)
    ads: list[base.Ad] = field(default_factory=list)
    days: list[base.AdDayMetrics] = field(default_factory=list)


def account_of_layer(session: Session, layer: ProjectLayer) -> AdAccount:
    account_id = layer.config.get("adAccountId")
    account = session.get(AdAccount, account_id) if isinstance(account_id, str) else None
    if (
        account is None
        or account.org_id != layer.org_id
        or account.livemode != layer.livemode
        or account.project_id != layer.project_id
    ):
        raise AccountUnusable(f"Layer {layer.id} has no usable ad account.", layerId=layer.id)
    return account


def wants(config: Mapping[str, Any], campaign: base.Campaign, our_id: str | None) -> bool:
    chosen = config.get("campaigns") or []
    if not chosen:
        return True
    return campaign.campaign_id in chosen or (our_id is not None and our_id in chosen)


def fetch(platform: str, livemode: bool, token: Any, account_id: str, today: Any) -> Snapshot:
    """Everything the layer needs from the platform (may raise `base.AdsCallError`)."""
    client = platform_access.platform(platform, livemode)
    return Snapshot(
        campaigns=client.list_campaigns(token, account_id),
        adsets=client.list_adsets(token, account_id),
        ads=client.list_ads(token, account_id),
        days=client.ad_daily_metrics(
            token, account_id, since=today - timedelta(days=METRIC_DAYS - 1), until=today
        ),
    )


def sync_layer(layer_id: str) -> dict[str, Any]:
    """Sync the layer's account: mirrors and 30 days of daily metrics. Owns its transactions.

    A refused token marks the account unhealthy and raises `AccountUnusable`."""
    with get_database().transaction(write=False) as session:
        layer = session.get(ProjectLayer, layer_id)
        assert layer is not None
        account = account_of_layer(session, layer)
        token = accounts.token_of(session, account) if account.access_token_vault_id else None
        account_id, platform, livemode = account.id, account.platform, account.livemode
        platform_account_id = account.platform_account_id
    if token is None:
        accounts.mark_unhealthy(account_id, "AD_ACCOUNT_AUTH_FAILED", "no token")
        raise AccountUnusable("The ad account has no token; reconnect it.", adAccountId=account_id)
    now = clock.now()
    try:
        snapshot = fetch(platform, livemode, token, platform_account_id, now.date())
    except base.AdsAuthFailed as exc:
        accounts.mark_unhealthy(account_id, exc.code, exc.message)
        raise AccountUnusable(
            f"The platform refused the ad account's token: {exc.message}", adAccountId=account_id
        ) from exc
    with get_database().transaction() as session:
        fresh_layer = session.get(ProjectLayer, layer_id)
        fresh = session.get(AdAccount, account_id)
        assert fresh_layer is not None
        assert fresh is not None
        result = store(session, fresh_layer, fresh, snapshot, now)
        fresh.last_synced_at = now
        if not fresh.healthy or fresh.status != "connected":  # the platform answered: healed
            fresh.status, fresh.healthy, fresh.health_error = "connected", True, None
    return result


def store(
    session: Session, layer: ProjectLayer, account: AdAccount, snap: Snapshot, now: datetime
) -> dict[str, Any]:
    campaigns = repository.campaigns_of_account(session, account.id)
    adsets = repository.adsets_of_account(session, account.id)
    ads = repository.ads_of_account(session, account.id)
    counts = {"campaigns": 0, "adsets": 0, "ads": 0, "days": 0, "daysChanged": 0}
    mine: dict[str, AdCampaign] = {}
    for c in snap.campaigns:
        row = campaigns.get(c.campaign_id)
        if row is not None and row.layer_id not in (None, layer.id):
            continue  # another layer manages it
        if not wants(layer.config, c, row.id if row else None):
            continue
        if row is None:
            row = AdCampaign(
                id=new_id("cmp", now),
                org_id=account.org_id,
                livemode=account.livemode,
                project_id=account.project_id,
                ad_account_id=account.id,
                platform=account.platform,
                platform_campaign_id=c.campaign_id,
                name=c.name,
            )
            session.add(row)
            campaigns[c.campaign_id] = row
        row.layer_id = layer.id
        row.name, row.status = c.name, c.status
        row.daily_budget_cents = c.daily_budget_cents
        row.lifetime_budget_cents = c.lifetime_budget_cents
        mine[c.campaign_id] = row
        counts["campaigns"] += 1
    session.flush()
    learning_of: dict[str, bool] = {}
    adset_rows: dict[str, AdSet] = {}
    for s in snap.adsets:
        campaign = mine.get(s.campaign_id)
        if campaign is None:
            continue
        set_row = adsets.get(s.adset_id)
        if set_row is None:
            set_row = AdSet(
                id=new_id("adset", now),
                org_id=account.org_id,
                livemode=account.livemode,
                project_id=account.project_id,
                ad_account_id=account.id,
                campaign_id=campaign.id,
                platform=account.platform,
                platform_adset_id=s.adset_id,
                name=s.name,
            )
            session.add(set_row)
        set_row.name, set_row.status = s.name, s.status
        set_row.daily_budget_cents = s.daily_budget_cents
        set_row.bid_cents = s.bid_amount_cents
        adset_rows[s.adset_id] = set_row
        learning_of[s.adset_id] = bool(s.learning)
        counts["adsets"] += 1
    session.flush()
    ad_rows: dict[str, Ad] = {}
    for a in snap.ads:
        adset = adset_rows.get(a.adset_id)
        if adset is None:
            continue
        ad_row = ads.get((adset.id, a.ad_id))
        if ad_row is None:
            ad_row = Ad(
                id=new_id("ad", now),
                org_id=account.org_id,
                livemode=account.livemode,
                project_id=account.project_id,
                ad_account_id=account.id,
                campaign_id=adset.campaign_id,
                adset_id=adset.id,
                platform=account.platform,
                platform_ad_id=a.ad_id,
                name=a.name,
                launched_at=a.created_at or now,
            )
            session.add(ad_row)
        ad_row.name, ad_row.status = a.name, a.status
        ad_row.learning = bool(
            a.learning if a.learning is not None else learning_of.get(a.adset_id)
        )
        if a.created_at is not None:
            ad_row.launched_at = a.created_at
        ad_rows[a.ad_id] = ad_row
        counts["ads"] += 1
    session.flush()
    first_day = min((d.day for d in snap.days), default=None)
    known = {
        (row.ad_id, row.day): row
        for row in (
            repository.days_of(session, [ad.id for ad in ad_rows.values()], first_day)
            if first_day is not None
            else []
        )
    }
    for d in snap.days:
        ad = ad_rows.get(d.ad_id)
        if ad is None:
            continue
        counts["days"] += 1
        if repository.upsert_day(
            session,
            ad=ad,
            day=d.day,
            spend_cents=d.spend_cents,
            impressions=d.impressions,
            clicks=d.clicks,
            installs=d.installs,
            frequency=d.frequency,
            now=now,
            known=known,
        ):
            counts["daysChanged"] += 1
    session.flush()
    return counts


def platform_facts(platform: str) -> base.AdsPlatformSpec:
    return platform_access.spec(platform)


__all__ = ["AccountUnusable", "account_of_layer", "store", "sync_layer"]
