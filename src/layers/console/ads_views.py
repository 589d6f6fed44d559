"""What the Ads screens show, read through the ads domain's own services and repositories.

A project's Ads page lists its ad accounts (connect one, install an ad layer on it); an ad
layer's Ads tab shows its campaign tree (campaign → adsets → ads, spend / installs / CPA over
the last 7 days in integer cents, each ad's class), the decision log of its optimizer runs,
the pending approvals, and the authority defaults with the kill switch.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.ads import ad_layers, authority_service, pending, repository, service
from layers.ads.platforms.base import PLATFORMS, body_name
from layers.kit import clock
from layers.kit.errors import LayersError, NotFound
from layers.models.ads import AdCampaign, AdOptimizerRun
from layers.models.engine import ProjectLayer
from layers.orgs.service import Principal

WINDOW_DAYS = 7
RUNS_SHOWN = 12
CLASS_TONE = {
    "TOO_YOUNG": "young",
    "LEARNING_PHASE": "learning",
    "TOP_PERFORMER": "top",
    "HEALTHY": "healthy",
    "UNDERPERFORMING": "under",
    "FATIGUED": "fatigued",
    "CRITICAL": "critical",
}
"""Each class's badge colour (``.klass.<tone>`` in ads.html)."""
AXES = ("creative", "tactical", "structural")
MODES = ("off", "draft", "auto")


def money(cents: int | None) -> str:
    """Integer cents as money: ``123456`` → ``$1,234.56``; ``None`` → ``—``."""
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}${whole:,}.{part:02d}"


def cpa(spend_cents: int, installs: int) -> int | None:
    """Cost per install in whole cents (rounded half up), ``None`` without an install."""
    return (spend_cents + installs // 2) // installs if installs else None


def platform_of(layer: ProjectLayer) -> str:
    platform = ad_layers.platform_of(layer)
    if platform is None:
        raise NotFound(f"Layer {layer.id} is not an ad layer.", layerId=layer.id)
    return platform


def _campaigns(session: Session, layer: ProjectLayer) -> list[AdCampaign]:
    """The layer's campaigns; before the first sync assigns them, the account's unowned ones."""
    mine = repository.layer_campaigns(session, layer.id)
    if mine:
        return mine
    account_id = (layer.config or {}).get("adAccountId")
    if not isinstance(account_id, str):
        return []
    every = repository.campaigns_of_account(session, account_id).values()
    return sorted((c for c in every if c.layer_id in (None, layer.id)), key=lambda c: c.id)


def campaign_tree(session: Session, layer: ProjectLayer) -> list[dict[str, Any]]:
    """Campaign → adsets → ads, each level with its 7-day spend, installs and CPA."""
    campaigns = _campaigns(session, layer)
    adsets = repository.adsets_of_campaigns(session, [c.id for c in campaigns])
    ads = repository.ads_of_adsets(session, [s.id for s in adsets])
    since = clock.now().date() - timedelta(days=WINDOW_DAYS - 1)
    week = repository.spend_installs_since(session, [a.id for a in ads], since)
    by_adset: dict[str, list[dict[str, Any]]] = {}
    for ad in ads:
        spend, installs = week.get(ad.id, (0, 0))
        by_adset.setdefault(ad.adset_id, []).append(
            {
                "ad": ad,
                "spend": spend,
                "installs": installs,
                "cpa": cpa(spend, installs),
                "tone": CLASS_TONE.get(ad.last_class or "", "none"),
                "age_days": max(0, (clock.now() - ad.launched_at).days),
            }
        )
    by_campaign: dict[str, list[dict[str, Any]]] = {}
    for adset in adsets:
        rows = by_adset.get(adset.id, [])
        by_campaign.setdefault(adset.campaign_id, []).append(_totals({"adset": adset}, rows, "ads"))
    return [
        _totals({"campaign": c}, by_campaign.get(c.id, []), "adsets", nested=True)
        for c in campaigns
    ]


def _totals(
    head: dict[str, Any], rows: list[dict[str, Any]], key: str, *, nested: bool = False
) -> dict[str, Any]:
    spend = sum(int(r["spend"]) for r in rows)
    installs = sum(int(r["installs"]) for r in rows)
    active = sum((int(r["active"]) if nested else int(r["ad"].status == "active")) for r in rows)
    return head | {
        key: rows,
        "spend": spend,
        "installs": installs,
        "cpa": cpa(spend, installs),
        "active": active,
    }


def runs_of(session: Session, layer_id: str) -> list[AdOptimizerRun]:
    """The layer's latest optimizer passes (ad-optimize, content-refresh, watchdog)."""
    return list(
        session.scalars(
            sa.select(AdOptimizerRun)
            .where(AdOptimizerRun.layer_id == layer_id)
            .order_by(AdOptimizerRun.started_at.desc(), AdOptimizerRun.run_id.desc())
            .limit(RUNS_SHOWN)
        )
    )


def ads_tab(
    session: Session, principal: Principal, layer: ProjectLayer, run_id: str | None
) -> dict[str, Any]:
    platform = platform_of(layer)
    project_id = layer.project_id
    runs = runs_of(session, layer.id)
    selected = run_id or (runs[0].run_id if runs else None)
    run = service.get_run(session, principal, project_id, selected) if selected else None
    waiting = pending.page(
        session, principal, project_id, platform, status="pending", layer_id=layer.id,
        cursor=None, limit=50,
    )  # fmt: skip
    decided = pending.page(
        session, principal, project_id, platform, status=None, layer_id=layer.id,
        cursor=None, limit=20,
    )  # fmt: skip
    try:
        defaults = authority_service.get_defaults(
            session, principal, project_id, platform, layer.id
        )
    except LayersError:
        defaults = None  # the layer is still installing: no defaults row yet
    account_id = (layer.config or {}).get("adAccountId")
    accounts = service.list_accounts(
        session, principal, project_id, platform=platform, cursor=None, limit=100
    ).items
    return {
        "platform": platform,
        "body_platform": body_name(platform),
        "tree": campaign_tree(session, layer),
        "runs": runs,
        "run": run,
        "selected": selected,
        "pending": waiting.items,
        "decided": [p for p in decided.items if p.status.value != "pending"],
        "defaults": defaults,
        "account": next((a for a in accounts if a.id == account_id), None),
        "axes": AXES,
        "modes": MODES,
        "window_days": WINDOW_DAYS,
        "subjects": _subject_names(session, layer),
        "live": any(r.status in ("queued", "running") for r in runs),
    }


def _subject_names(session: Session, layer: ProjectLayer) -> dict[str, str]:
    """``{our id: name}`` of the layer's campaigns, adsets and ads (the log names them)."""
    campaigns = _campaigns(session, layer)
    adsets = repository.adsets_of_campaigns(session, [c.id for c in campaigns])
    ads = repository.ads_of_adsets(session, [s.id for s in adsets])
    names = {c.id: c.name for c in campaigns} | {s.id: s.name for s in adsets}
    return names | {a.id: a.name for a in ads}


def project_ads(session: Session, principal: Principal, project_id: str) -> dict[str, Any]:
    """The project's ad accounts, each with the ad layer that manages it (if any)."""
    accounts = service.list_accounts(
        session, principal, project_id, platform=None, cursor=None, limit=100
    ).items
    layers = list(
        session.scalars(
            sa.select(ProjectLayer)
            .where(
                ProjectLayer.org_id == principal.org_id,
                ProjectLayer.livemode == principal.livemode,
                ProjectLayer.project_id == project_id,
                ProjectLayer.template_id.in_(list(ad_layers.TEMPLATE_IDS.values())),
                ProjectLayer.status != "uninstalled",
            )
            .order_by(ProjectLayer.id)
        )
    )
    managed = {str((layer.config or {}).get("adAccountId")): layer for layer in layers}
    return {
        "accounts": [{"account": a, "layer": managed.get(a.id)} for a in accounts],
        "ad_layers": layers,
        "platforms": [(p, body_name(p), ad_layers.TEMPLATE_IDS[p]) for p in PLATFORMS],
        "template_of": {body_name(p): ad_layers.TEMPLATE_IDS[p] for p in PLATFORMS},
    }
