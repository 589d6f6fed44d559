"""Carrying a decision (or an approved pending action) out on the platform.

Operations are keyed by what they do, so a retry after a crash does no harm:

* ``pause``: pausing a paused ad is a no-op on every platform.
* a **swap** (a pause with a replacement) launches the replacement first and pauses only once
  it exists, so a swap never lowers an adset's active ads.
* ``create_ad``: the new ad's name carries the decision id; before creating, the adset's ads
  are read back and an ad with that name is taken as already made (a retry never doubles it).
* ``adjust_budget``: sets an absolute amount; the adset's ``last_budget_change_at`` starts the
  48 h cooldown.

Platform calls happen outside any transaction; each outcome is written in its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from layers.ads import accounts, platform_access
from layers.ads.platforms import base
from layers.content import containers as content_containers
from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.ids import new_id
from layers.kit.settings import get_settings
from layers.models.ads import Ad, AdAccount, AdsContent, AdSet
from layers.models.content import ContentContainer

NAME_LIMIT = 120


@dataclass(frozen=True)
class Operation:
    """One write: ``action`` on ``subject_id`` (an ``ad_`` or ``adset_`` id) with ``params``;
    ``key`` names it (the decision id) so a retry recognizes its own work."""

    key: str
    action: str
    subject_id: str
    adset_id: str | None
    params: dict[str, Any]
    replacement: dict[str, Any] | None


class DispatchRefused(Exception):
    """The operation cannot be carried out (unhealthy account, missing object)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _creative(session: Session, container_id: str, key: str) -> base.AdCreativeInput:
    container = session.get(ContentContainer, container_id)
    if container is None:
        raise DispatchRefused("CREATIVE_MISSING", f"content {container_id} is gone")
    assets = content_containers.current_assets(session, container)
    preview, _ = content_containers.preview_of(container, assets, ttl=7 * 86400)
    if preview is not None:
        kind = "video" if preview.kind == "video" else "image"
        url, thumb = preview.primary_url, preview.thumbnail_url
    else:  # a container without rendered media: its API address stands for it
        kind, thumb = "image", None
        url = f"{get_settings().public_base_url.rstrip('/')}/v1/content/{container.id}"
    caption = (container.caption or container.hook or "").strip()[:2000]
    return base.AdCreativeInput(
        kind=kind,  # type: ignore[arg-type]
        media_url=url,
        caption=caption,
        name=f"{container.id} · {key}"[:NAME_LIMIT],
        thumbnail_url=thumb,
    )


@dataclass(frozen=True)
class _Target:
    account_id: str
    platform: str
    livemode: bool
    platform_account_id: str
    token: Any
    ad: Ad | None
    adset: AdSet | None
    creative: base.AdCreativeInput | None


def _target(op: Operation) -> _Target:
    with get_database().transaction(write=False) as session:
        ad = session.get(Ad, op.subject_id) if op.subject_id.startswith("ad_") else None
        adset_id = op.adset_id or (ad.adset_id if ad else op.subject_id)
        adset = session.get(AdSet, adset_id)
        if adset is None:
            raise DispatchRefused("NOT_FOUND", f"adset {adset_id} is gone")
        account = session.get(AdAccount, adset.ad_account_id)
        if account is None or not account.healthy or account.status != "connected":
            raise DispatchRefused(
                "AD_ACCOUNT_UNHEALTHY", "the ad account is unhealthy: nothing is dispatched"
            )
        creative = None
        if op.replacement and op.replacement.get("containerId"):
            creative = _creative(session, str(op.replacement["containerId"]), op.key)
        token = accounts.token_of(session, account)
        for row in (ad, adset):
            if row is not None:
                session.expunge(row)
        return _Target(
            account.id,
            account.platform,
            account.livemode,
            account.platform_account_id,
            token,
            ad,
            adset,
            creative,
        )


def execute(op: Operation) -> dict[str, Any]:
    """Carry `op` out; returns what was done. Raises `DispatchRefused` or `base.AdsCallError`
    (an `AdsAuthFailed` marks the account unhealthy first)."""
    target = _target(op)
    client = platform_access.platform(target.platform, target.livemode)
    try:
        return _run(op, target, client)
    except base.AdsAuthFailed as exc:
        accounts.mark_unhealthy(target.account_id, exc.code, exc.message)
        raise


def _run(op: Operation, t: _Target, client: base.AdsPlatform) -> dict[str, Any]:
    done: dict[str, Any] = {}
    assert t.adset is not None
    if t.creative is not None:
        made = _launch(op, t, client)
        done["launchedAdId"] = made
    if op.action == "pause":
        if t.ad is None:
            raise DispatchRefused("NOT_FOUND", f"ad {op.subject_id} is gone")
        client.set_ad_status(t.token, t.platform_account_id, t.ad.platform_ad_id, "paused")
        with get_database().transaction() as session:
            row = session.get(Ad, t.ad.id)
            if row is not None:
                row.status = "paused"
        done["paused"] = t.ad.id
    elif op.action == "adjust_budget":
        amount = int(op.params["amountCents"])
        client.set_adset_budget(t.token, t.platform_account_id, t.adset.platform_adset_id, amount)
        with get_database().transaction() as session:
            adset_row = session.get(AdSet, t.adset.id)
            if adset_row is not None:
                adset_row.daily_budget_cents = amount
                adset_row.last_budget_change_at = clock.now()
        done["budgetCents"] = amount
    elif op.action == "create_ad":
        if t.creative is None:
            raise DispatchRefused("CREATIVE_MISSING", "a launch needs a creative")
    else:
        raise DispatchRefused("UNSUPPORTED", f"{op.action} is not dispatched by this platform")
    return done


def _launch(op: Operation, t: _Target, client: base.AdsPlatform) -> str:
    """Create the replacement ad (once) and link it to its content; returns our ad id."""
    assert t.adset is not None
    assert t.creative is not None
    existing = client.list_ads(t.token, t.platform_account_id, adset_id=t.adset.platform_adset_id)
    made = next((a for a in existing if a.name == t.creative.name), None)
    if made is None:
        made = client.create_ad(
            t.token, t.platform_account_id, t.adset.platform_adset_id, t.creative
        )
    container_id = str((op.replacement or {})["containerId"])
    now = clock.now()
    with get_database().transaction() as session:
        adset = session.get(AdSet, t.adset.id)
        assert adset is not None
        ad = session.query(Ad).filter_by(adset_id=adset.id, platform_ad_id=made.ad_id).one_or_none()
        if ad is None:
            ad = Ad(
                id=new_id("ad", now),
                org_id=adset.org_id,
                livemode=adset.livemode,
                project_id=adset.project_id,
                ad_account_id=adset.ad_account_id,
                campaign_id=adset.campaign_id,
                adset_id=adset.id,
                platform=adset.platform,
                platform_ad_id=made.ad_id,
                name=made.name,
                status=made.status,
                learning=bool(made.learning),
                container_id=container_id,
                launched_at=made.created_at or now,
            )
            session.add(ad)
            session.flush()
        if session.query(AdsContent).filter_by(ad_id=ad.id).one_or_none() is None:
            session.add(
                AdsContent(
                    id=new_id("acl", now),
                    org_id=adset.org_id,
                    livemode=adset.livemode,
                    project_id=adset.project_id,
                    container_id=container_id,
                    ad_id=ad.id,
                    adset_id=adset.id,
                    platform=adset.platform,
                    pool=str((op.replacement or {}).get("pool") or "generated"),
                    organic_score=(op.replacement or {}).get("organicScore"),
                    created_at=now,
                )
            )
        return ad.id
