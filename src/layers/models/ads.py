"""The ads domain: ad accounts, mirrors of campaigns / adsets / ads, daily metrics, the links
between our content and ads, authority, optimizer runs with their decisions, pending actions.

Money is integer cents everywhere (``*_cents``). Platform objects are mirrored under our own
ids (``cmp_``, ``adset_``, ``ad_``) with the platform's id beside them; a re-sync updates the
mirror in place (unique on the platform id), so syncing twice never duplicates anything.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from layers.kit.db import Base, JSONType, UTCDateTime
from layers.models.base import Tenant, Timestamps

AD_PLATFORMS = ("meta", "tiktok")
AD_STATUSES = ("active", "paused", "archived", "deleted", "in_review", "rejected")
AXES = ("creative", "tactical", "structural")
AXIS_VALUES = ("off", "draft", "auto")
PENDING_STATUSES = ("pending", "approved", "rejected", "dispatched", "failed")


class AdAccount(Tenant, Timestamps, Base):
    """A connected Meta or TikTok ad account of a project (``aac_…``).

    ``status``: ``connected | restricted | disconnected``. ``healthy`` is false while the token
    is unusable or the account restricted (``health_error`` says why); an unhealthy account
    dispatches nothing. Tokens live in the vault: the row holds only vault ids.
    ``partner_writes_consent`` is the customer's one-time toggle for partner writes.
    """

    __tablename__ = "ad_accounts"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "platform", "platform_account_id"),
        sa.Index("ix_ad_accounts_project", "project_id", "id"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    platform: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    platform_account_id: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    name: Mapped[str | None] = mapped_column(sa.String(256))
    currency: Mapped[str] = mapped_column(sa.String(8), default="USD", nullable=False)
    status: Mapped[str] = mapped_column(sa.String(24), default="connected", nullable=False)
    healthy: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    health_error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    partner_writes_consent: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    access_token_vault_id: Mapped[str | None] = mapped_column(sa.String(40))
    refresh_token_vault_id: Mapped[str | None] = mapped_column(sa.String(40))
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AdCampaign(Tenant, Timestamps, Base):
    """A campaign mirror (``cmp_…``). ``layer_id`` is the ad layer managing it, if any."""

    __tablename__ = "ad_campaigns"
    __table_args__ = (
        sa.UniqueConstraint("ad_account_id", "platform_campaign_id"),
        sa.Index("ix_ad_campaigns_project", "project_id", "id"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    ad_account_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("ad_accounts.id", ondelete="CASCADE"), nullable=False
    )
    layer_id: Mapped[str | None] = mapped_column(sa.String(40))
    platform: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    platform_campaign_id: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(256), nullable=False)
    outcome: Mapped[str | None] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(16), default="active", nullable=False)
    daily_budget_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    lifetime_budget_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    bid_strategy: Mapped[str | None] = mapped_column(sa.String(32))
    start_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_class: Mapped[str | None] = mapped_column(sa.String(24))


class AdSet(Tenant, Timestamps, Base):
    """An adset (TikTok: ad group) mirror (``adset_…``) with its budget in cents and the time
    of its last budget change (the 48 h cooldown reads it)."""

    __tablename__ = "ad_sets"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "platform_adset_id"),
        sa.Index("ix_ad_sets_project", "project_id", "id"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    ad_account_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    campaign_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("ad_campaigns.id", ondelete="CASCADE"), nullable=False
    )
    platform: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    platform_adset_id: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(256), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), default="active", nullable=False)
    daily_budget_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    bid_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    last_budget_change_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_class: Mapped[str | None] = mapped_column(sa.String(24))


class Ad(Tenant, Timestamps, Base):
    """An ad mirror (``ad_…``): its status, whether the platform says it is still learning,
    when it launched, and the class (with the reason) of the last optimizer run."""

    __tablename__ = "ads"
    __table_args__ = (
        sa.UniqueConstraint("adset_id", "platform_ad_id"),
        sa.Index("ix_ads_project", "project_id", "id"),
        sa.Index("ix_ads_adset", "adset_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    ad_account_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    campaign_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    adset_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("ad_sets.id", ondelete="CASCADE"), nullable=False
    )
    platform: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    platform_ad_id: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(256), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), default="active", nullable=False)
    learning: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    container_id: Mapped[str | None] = mapped_column(sa.String(40))
    launched_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_class: Mapped[str | None] = mapped_column(sa.String(24))
    last_reason: Mapped[str | None] = mapped_column(sa.String(512))
    classified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AdDailyMetric(Tenant, Base):
    """One ad's day as the platform reports it. Keyed by (ad, date): a re-sync overwrites the
    day with the platform's latest numbers, so nothing is ever counted twice."""

    __tablename__ = "ad_daily_metrics"
    __table_args__ = (sa.Index("ix_ad_daily_metrics_project", "project_id", "day"),)

    ad_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("ads.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    platform: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    spend_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    impressions: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    clicks: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    installs: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    frequency: Mapped[float] = mapped_column(sa.Float, default=0.0, nullable=False)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class AdsContent(Tenant, Base):
    """Which of our content containers an ad runs (``acl_…``), from which pool, and the
    organic score it had when it was chosen."""

    __tablename__ = "ads_content"
    __table_args__ = (
        sa.UniqueConstraint("ad_id"),
        sa.Index("ix_ads_content_container", "container_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    container_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    ad_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("ads.id", ondelete="CASCADE"), nullable=False
    )
    adset_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    platform: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    pool: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    organic_score: Mapped[float | None] = mapped_column(sa.Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class AdAuthority(Tenant, Base):
    """An authority block (``aut_…``): the layer's defaults (``campaign_id`` NULL, which also
    holds the kill switch) or one campaign's. Axes are ``off | draft | auto``."""

    __tablename__ = "ad_authorities"
    __table_args__ = (sa.UniqueConstraint("layer_id", "scope_key"),)

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    layer_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("project_layers.id", ondelete="CASCADE"), nullable=False
    )
    platform: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    scope_key: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    """``defaults`` or the campaign's id (a unique key without NULLs)."""
    campaign_id: Mapped[str | None] = mapped_column(sa.String(40))
    creative: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    tactical: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    structural: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    kill_switch: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    last_modified_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_modified_by: Mapped[str] = mapped_column(sa.String(64), nullable=False)


class AdOptimizerRun(Tenant, Base):
    """One optimizer pass (ad-optimize, content-refresh, watchdog) keyed by its engine run.

    ``job_id`` is set when the pass was started through the Ads API (202 + poll).
    """

    __tablename__ = "ad_optimizer_runs"
    __table_args__ = (sa.Index("ix_ad_optimizer_runs_layer", "layer_id", "run_id"),)

    run_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    layer_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    platform: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    dry_run: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    job_id: Mapped[str | None] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AdDecision(Tenant, Base):
    """One optimizer decision (``dec_…``): what it looked at (``inputs``), the class, the
    action, why, which guardrails passed or blocked, the replacement creative with its
    ``organic_score``, what authority made of it, and when it was dispatched."""

    __tablename__ = "ad_decisions"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "seq"),
        sa.Index("ix_ad_decisions_ad", "ad_id", "id"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    run_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("ad_optimizer_runs.run_id", ondelete="CASCADE"), nullable=False
    )
    seq: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    project_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    layer_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    platform: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    subject_type: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    subject_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    ad_id: Mapped[str | None] = mapped_column(sa.String(40))
    adset_id: Mapped[str | None] = mapped_column(sa.String(40))
    campaign_id: Mapped[str | None] = mapped_column(sa.String(40))
    action: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    klass: Mapped[str | None] = mapped_column("class", sa.String(24))
    reason: Mapped[str] = mapped_column(sa.String(512), nullable=False)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    axis: Mapped[str | None] = mapped_column(sa.String(16))
    guardrails_passed: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    guardrails_blocked: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    replacement: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    authority: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    pending_action_id: Mapped[str | None] = mapped_column(sa.String(40))
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatch_error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class AdPendingAction(Tenant, Base):
    """A drafted action waiting for a person (``pa_…``): ``pending`` → ``approved`` (dispatched
    on the next tick → ``dispatched``) or ``rejected``. The verdict has its own id
    (``ver_…``) with the comment (approve) or the reason (reject)."""

    __tablename__ = "ad_pending_actions"
    __table_args__ = (sa.Index("ix_ad_pending_actions_layer", "layer_id", "status", "id"),)

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    layer_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    platform: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    decision_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    campaign_id: Mapped[str | None] = mapped_column(sa.String(40))
    subject_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    action: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    axis: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(512), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending", nullable=False)
    verdict_id: Mapped[str | None] = mapped_column(sa.String(40))
    verdict_comment: Mapped[str | None] = mapped_column(sa.String(1000))
    decided_by: Mapped[str | None] = mapped_column(sa.String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatch_error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
