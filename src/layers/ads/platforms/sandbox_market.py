"""The sandbox ads market: a pure function of (platform, account, seed, epoch, mutations,
as_of) → campaigns, adsets, ads and their daily delivery. No I/O, no clock, no randomness
beyond hashes (``sha256`` of ids; never Python's ``hash()``, which is salted per process).

The market
----------
``epoch`` is when the ad account was first connected. Every account has the same planted
structure (ids, and a ±3 % jitter of the latents, derived from the account id and the seed),
built so that every optimizer class occurs when the market is read ten days after the epoch
(``epoch + 10 d``):

===================  ========  ===============  ==========================================
role                 ad set    created          what it does
===================  ========  ===============  ==========================================
top_performer        evergreen epoch − 25 d     CPA ≈ $1.10, CTR 2.8 %, CVR 26 %
healthy              evergreen epoch − 20 d     CPA ≈ $2.20
underperforming      evergreen epoch − 20 d     CPA ≈ $5 (≈ 1.7× its campaign's average)
fatigued             evergreen epoch − 9 d      CPA $1.50 at launch, CTR decays 7.5 %/day
                                                (CPA ≈ 1.7× a week later); frequency
                                                1.2 + 0.2/day
stale                evergreen epoch − 30 d     never delivers (no metrics, > 30 d old)
critical             scaling   epoch − 15 d     ≈ $15/day, CVR 0: > $50 and 0 installs in 7 d
steady               scaling   epoch − 15 d     CPA ≈ $2.20 (the ad set never runs empty)
young_early          scaling   epoch − 1 d      CPA ≈ $2.20 (too young at the epoch)
young                scaling   epoch + 9 d      CPA ≈ $2.20 (too young at epoch + 10 d)
learning_a/_b        tests     epoch + 6 d      the ad set learns (< 7 d, < 50 installs)
watchdog             burn      epoch + 8.5 d    $42/day, 0 installs: spent ≥ $60 from
                                                epoch + 9 d 22 h 17 min on (a watchdog
                                                tick at epoch + 10 d sees $63.00)
===================  ========  ===============  ==========================================

With the optimizer's rules (`layers.ads.optimizer.classify`: the pool is the campaign), the
roles classify as named from epoch + 10 d to epoch + 12 d on both platforms, with or without
a target CPA near the pool's; later the market keeps moving (the learning ad set graduates at
epoch + 13 d, the fatigued ad turns critical, the young ones grow up).

Campaigns are created at ``epoch − 30 d``; the ``tests`` and ``burn`` ad sets appear later
(``epoch + 6 d``, ``epoch + 8.5 d``): before its creation time an object does not exist.

Delivery is simulated hour by hour from each ad set's creation to ``as_of``: an ad set spends
its daily budget (÷ 24 an hour), split between its active ads by their delivery weights; an
ad's spend buys ``spend / CPM`` thousand impressions, ``impressions × CTR`` clicks and
``clicks × CVR`` installs. CTR decays with age (``exp(−fatigue × age_days)``: fatigue) and
carries a ±10 % daily wobble; counts are rounded with a per-day hashed offset (so a day's
numbers only grow as the day goes on). Today's row covers the part of the day before
``as_of``. An ad set is *learning* while it is younger than 7 days and has fewer than 50
installs.

Mutations (what the platform's writes did) apply from their time on: a paused ad stops
spending and its share goes to its siblings; a budget change changes the ad set's spend; a
created ad starts delivering with latents drawn from its media URL's hash.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from layers.ads.platforms.base import (
    Ad,
    AdDayMetrics,
    Adset,
    AdStatus,
    Campaign,
)

HOUR = timedelta(hours=1)
LEARNING_DAYS = 7
LEARNING_INSTALLS = 50
DEFAULT_SEED = "layers-sandbox-ads"


def uniform(*parts: str) -> float:
    """A number in (0, 1) from a hash of `parts` (deterministic across processes)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return (int.from_bytes(digest[:8], "big") + 0.5) / 2**64


def digits(*parts: str, length: int = 16) -> str:
    """A numeric id (the platforms' ids are digit strings) from a hash of `parts`."""
    value = int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:12], "big")
    return ("1" + str(value))[:length].ljust(length, "0")


# ---- the planted structure ----


@dataclass(frozen=True)
class PlantedCampaign:
    key: str
    name: str
    objective: str


@dataclass(frozen=True)
class PlantedAdset:
    key: str
    campaign: str
    name: str
    created_days: float  # relative to the epoch
    daily_budget_cents: int


@dataclass(frozen=True)
class Latents:
    """What drives an ad's delivery: its share of the ad set (``weight``), price (``cpm``,
    dollars per thousand impressions), click and install rates, CTR decay per day, and its
    daily frequency (``freq_base + freq_growth × age_days``)."""

    weight: float
    cpm: float
    ctr: float
    cvr: float
    fatigue: float = 0.003
    freq_base: float = 1.05
    freq_growth: float = 0.02


@dataclass(frozen=True)
class PlantedAd:
    role: str
    adset: str
    name: str
    created_days: float
    latents: Latents


CAMPAIGNS = (
    PlantedCampaign("installs", "App installs — evergreen", "app_installs"),
    PlantedCampaign("tests", "App installs — creative tests", "app_installs"),
)
ADSETS = (
    PlantedAdset("evergreen", "installs", "Evergreen — broad", -30, 12_000),
    PlantedAdset("scaling", "installs", "Scaling — lookalike", -30, 5_000),
    PlantedAdset("tests", "tests", "Creative tests — week 2", 6, 3_000),
    PlantedAdset("burn", "tests", "Broad test — new geo", 8.5, 4_200),
)
ADS = (
    PlantedAd(
        "top_performer", "evergreen", "Hook: before/after", -25, Latents(0.2, 8.0, 0.028, 0.26)
    ),
    PlantedAd(
        "healthy", "evergreen", "Hook: day in the life", -20, Latents(0.25, 10.0, 0.023, 0.2)
    ),
    PlantedAd(
        "underperforming", "evergreen", "Hook: feature list", -20, Latents(0.2, 12.0, 0.014, 0.17)
    ),
    PlantedAd(
        "fatigued",
        "evergreen",
        "Hook: the original",
        -9,
        Latents(0.2, 9.0, 0.034, 0.176, fatigue=0.075, freq_base=1.2, freq_growth=0.2),
    ),
    PlantedAd("stale", "evergreen", "Hook: old static", -30, Latents(0.0, 10.0, 0.01, 0.1)),
    PlantedAd("critical", "scaling", "Hook: meme remix", -15, Latents(0.4, 11.0, 0.009, 0.0)),
    PlantedAd("steady", "scaling", "Hook: testimonial", -15, Latents(0.6, 10.0, 0.023, 0.2)),
    PlantedAd("young_early", "scaling", "Hook: unboxing", -1, Latents(0.3, 10.0, 0.023, 0.2)),
    PlantedAd("young", "scaling", "Hook: new UGC", 9, Latents(0.3, 10.0, 0.023, 0.2)),
    PlantedAd("learning_a", "tests", "Test: question hook", 6, Latents(0.5, 10.0, 0.016, 0.156)),
    PlantedAd("learning_b", "tests", "Test: list hook", 6, Latents(0.5, 10.0, 0.015, 0.148)),
    PlantedAd("watchdog", "burn", "Test: wrong audience", 8.5, Latents(1.0, 15.0, 0.006, 0.0)),
)
ROLES = tuple(ad.role for ad in ADS)
CAMPAIGN_CREATED_DAYS = -30


def created_latents(media_url: str) -> Latents:
    """A new ad's latents, from its media (the same creative performs the same)."""
    u = [uniform("creative", media_url, str(i)) for i in range(4)]
    return Latents(
        weight=0.3 + 0.4 * u[0],
        cpm=7.0 + 6.0 * u[1],
        ctr=0.008 + 0.022 * u[2],
        cvr=0.08 + 0.14 * u[3],
    )


# ---- the market ----


@dataclass(frozen=True)
class Identity:
    """Ids of one account's planted objects (a function of platform, account and seed)."""

    platform: str
    account_id: str
    seed: str = DEFAULT_SEED

    def object_id(self, kind: str, key: str) -> str:
        prefix = "238" if self.platform == "meta" else "17"
        return prefix + digits(self.seed, self.platform, self.account_id, kind, key, length=15)

    def planted_ads(self) -> dict[str, str]:
        """``{role: ad id}`` of the planted ads."""
        return {ad.role: self.object_id("ad", ad.role) for ad in ADS}

    def jitter(self, role: str, what: str) -> float:
        return 0.97 + 0.06 * uniform(self.seed, self.account_id, role, what)


@dataclass
class _Ad:
    ad_id: str
    adset_id: str
    campaign_id: str
    name: str
    created: datetime
    latents: Latents
    media_url: str | None
    statuses: list[tuple[datetime, str]] = field(default_factory=list)

    def status_at(self, moment: datetime) -> str:
        current = "active"
        for at, status in self.statuses:
            if at <= moment:
                current = status
        return current


@dataclass
class _Adset:
    adset_id: str
    campaign_id: str
    name: str
    created: datetime
    budgets: list[tuple[datetime, int]]

    def budget_at(self, moment: datetime) -> int:
        current = self.budgets[0][1]
        for at, cents in self.budgets:
            if at <= moment:
                current = cents
        return current


@dataclass(frozen=True)
class _Campaign:
    campaign_id: str
    name: str
    objective: str
    created: datetime
    daily_budget_cents: int | None = None
    lifetime_budget_cents: int | None = None
    status: str = "active"


@dataclass
class Snapshot:
    """The market at ``as_of``."""

    campaigns: list[Campaign]
    adsets: list[Adset]
    ads: list[Ad]
    metrics: list[AdDayMetrics]


class Market:
    """One account's market; `snapshot(as_of)` reads it."""

    def __init__(
        self,
        identity: Identity,
        epoch: datetime,
        mutations: Sequence[Mapping[str, Any]] = (),
        *,
        reports_frequency: bool = True,
    ) -> None:
        self.identity = identity
        self.reports_frequency = reports_frequency
        self.epoch = epoch
        self.campaigns: dict[str, _Campaign] = {}
        self.adsets: dict[str, _Adset] = {}
        self.ads: dict[str, _Ad] = {}
        self._plant()
        for mutation in sorted(mutations, key=lambda m: datetime.fromisoformat(str(m["at"]))):
            self._apply(mutation)

    def _at(self, days: float) -> datetime:
        return self.epoch + timedelta(days=days)

    def _plant(self) -> None:
        ident = self.identity
        for campaign in CAMPAIGNS:
            cid = ident.object_id("campaign", campaign.key)
            self.campaigns[cid] = _Campaign(
                cid, campaign.name, campaign.objective, self._at(CAMPAIGN_CREATED_DAYS)
            )
        for adset in ADSETS:
            sid = ident.object_id("adset", adset.key)
            created = self._at(adset.created_days)
            self.adsets[sid] = _Adset(
                sid,
                ident.object_id("campaign", adset.campaign),
                adset.name,
                created,
                [(created, adset.daily_budget_cents)],
            )
        for ad in ADS:
            latents = ad.latents
            jittered = Latents(
                weight=latents.weight,
                cpm=latents.cpm * ident.jitter(ad.role, "cpm"),
                ctr=latents.ctr * ident.jitter(ad.role, "ctr"),
                cvr=latents.cvr * ident.jitter(ad.role, "cvr"),
                fatigue=latents.fatigue,
                freq_base=latents.freq_base,
                freq_growth=latents.freq_growth,
            )
            parent = self.adsets[ident.object_id("adset", ad.adset)]
            ad_id = ident.object_id("ad", ad.role)
            self.ads[ad_id] = _Ad(
                ad_id,
                parent.adset_id,
                parent.campaign_id,
                ad.name,
                self._at(ad.created_days),
                jittered,
                None,
            )

    def _apply(self, mutation: Mapping[str, Any]) -> None:
        at = datetime.fromisoformat(str(mutation["at"]))
        kind = mutation.get("kind")
        if kind == "status" and (ad := self.ads.get(str(mutation.get("ad_id")))):
            ad.statuses.append((at, str(mutation["status"])))
        elif kind == "budget" and (adset := self.adsets.get(str(mutation.get("adset_id")))):
            adset.budgets.append((at, int(mutation["daily_budget_cents"])))
        elif kind == "ad" and (parent := self.adsets.get(str(mutation.get("adset_id")))):
            media = str(mutation.get("media_url") or "")
            ad_id = str(mutation["ad_id"])
            self.ads[ad_id] = _Ad(
                ad_id,
                parent.adset_id,
                parent.campaign_id,
                str(mutation.get("name") or ""),
                at,
                created_latents(media),
                media,
            )
        elif kind == "campaign":
            cid = str(mutation["campaign_id"])
            self.campaigns[cid] = _Campaign(
                cid,
                str(mutation.get("name") or ""),
                str(mutation.get("outcome") or "app_installs"),
                at,
                mutation.get("daily_budget_cents"),
                mutation.get("lifetime_budget_cents"),
                str(mutation.get("status") or "paused"),
            )

    def ads_in(self, adset_id: str, as_of: datetime) -> list[str]:
        """Ids of the ads of `adset_id` that exist at `as_of` and are not deleted."""
        return [
            ad.ad_id
            for ad in self.ads.values()
            if ad.adset_id == adset_id and ad.created <= as_of and ad.status_at(as_of) != "deleted"
        ]

    # ---- delivery ----

    def _deliver(self, as_of: datetime) -> dict[tuple[str, date], list[float]]:
        """``{(ad id, day): [spend $, impressions, clicks, installs, age_days]}`` (unrounded)."""
        days: dict[tuple[str, date], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0, 0.0])
        for adset in self.adsets.values():
            members = [ad for ad in self.ads.values() if ad.adset_id == adset.adset_id]
            slot = adset.created
            while slot < as_of:
                share = min(1.0, (as_of - slot) / HOUR)
                live = [
                    ad for ad in members if ad.created <= slot and ad.status_at(slot) == "active"
                ]
                total = sum(ad.latents.weight for ad in live)
                if total > 0:
                    hourly = adset.budget_at(slot) / 100 / 24 * share
                    for ad in live:
                        if ad.latents.weight <= 0:
                            continue
                        self._accrue(days, ad, slot, hourly * ad.latents.weight / total)
                slot += HOUR
        return days

    def _accrue(
        self, days: dict[tuple[str, date], list[float]], ad: _Ad, slot: datetime, spend: float
    ) -> None:
        age = (slot - ad.created) / timedelta(days=1)
        day = slot.date()
        wobble = 0.95 + 0.1 * uniform("ctr", ad.ad_id, day.isoformat())
        impressions = spend / ad.latents.cpm * 1000
        clicks = impressions * ad.latents.ctr * math.exp(-ad.latents.fatigue * age) * wobble
        row = days[(ad.ad_id, day)]
        row[0] += spend
        row[1] += impressions
        row[2] += clicks
        row[3] += clicks * ad.latents.cvr
        row[4] = age

    def snapshot(self, as_of: datetime) -> Snapshot:
        raw = self._deliver(as_of)
        metrics: list[AdDayMetrics] = []
        installs_by_ad: dict[str, int] = defaultdict(int)
        for (ad_id, day), (spend, impressions, clicks, installs, age) in sorted(raw.items()):
            if spend <= 0:
                continue
            ad = self.ads[ad_id]
            key = (ad_id, day.isoformat())
            count_impressions = math.floor(impressions + uniform("imp", *key))
            frequency = ad.latents.freq_base + ad.latents.freq_growth * age
            row = AdDayMetrics(
                ad_id=ad_id,
                day=day,
                spend_cents=round(spend * 100),
                impressions=count_impressions,
                clicks=math.floor(clicks + uniform("clk", *key)),
                installs=math.floor(installs + uniform("ins", *key)),
                frequency=round(frequency, 2) if self.reports_frequency else None,
                reach=math.floor(count_impressions / frequency) if self.reports_frequency else None,
            )
            installs_by_ad[ad_id] += row.installs
            metrics.append(row)
        return Snapshot(
            campaigns=self._campaigns(as_of),
            adsets=self._adsets(as_of, installs_by_ad),
            ads=self._ads(as_of, installs_by_ad),
            metrics=metrics,
        )

    def _campaigns(self, as_of: datetime) -> list[Campaign]:
        return [
            Campaign(
                campaign_id=c.campaign_id,
                account_id=self.identity.account_id,
                name=c.name,
                status=_status(c.status),
                objective=c.objective,
                daily_budget_cents=c.daily_budget_cents,
                lifetime_budget_cents=c.lifetime_budget_cents,
                created_at=c.created,
            )
            for c in self.campaigns.values()
            if c.created <= as_of
        ]

    def learning(self, adset: _Adset, as_of: datetime, installs_by_ad: Mapping[str, int]) -> bool:
        if as_of - adset.created >= timedelta(days=LEARNING_DAYS):
            return False
        installs = sum(
            n for ad_id, n in installs_by_ad.items() if self.ads[ad_id].adset_id == adset.adset_id
        )
        return installs < LEARNING_INSTALLS

    def _adsets(self, as_of: datetime, installs_by_ad: Mapping[str, int]) -> list[Adset]:
        return [
            Adset(
                adset_id=s.adset_id,
                campaign_id=s.campaign_id,
                account_id=self.identity.account_id,
                name=s.name,
                status="active",
                daily_budget_cents=s.budget_at(as_of),
                lifetime_budget_cents=None,
                created_at=s.created,
                learning=self.learning(s, as_of, installs_by_ad),
            )
            for s in self.adsets.values()
            if s.created <= as_of
        ]

    def _ads(self, as_of: datetime, installs_by_ad: Mapping[str, int]) -> list[Ad]:
        learning = {
            s.adset_id: self.learning(s, as_of, installs_by_ad)
            for s in self.adsets.values()
            if s.created <= as_of
        }
        return [
            Ad(
                ad_id=ad.ad_id,
                adset_id=ad.adset_id,
                campaign_id=ad.campaign_id,
                account_id=self.identity.account_id,
                name=ad.name,
                status=_status(ad.status_at(as_of)),
                created_at=ad.created,
                effective_status=ad.status_at(as_of).upper(),
                learning=learning.get(ad.adset_id),
                creative_id=f"c{ad.ad_id}",
                media_url=ad.media_url,
            )
            for ad in self.ads.values()
            if ad.created <= as_of and ad.status_at(as_of) != "deleted"
        ]


def _status(value: str) -> AdStatus:
    return "active" if value == "active" else "paused" if value == "paused" else "archived"
