"""ads: ad accounts, campaign/adset/ad mirrors, daily metrics, content links, authority,
optimizer runs and decisions, pending actions

Revision ID: 0014_ads
Revises: 0013_metrics
Create Date: 2026-12-03 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import layers.kit.db

revision: str = "0014_ads"
down_revision: str | None = "0013_metrics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "ad_optimizer_runs",
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("layer_id", sa.String(length=40), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("job_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("summary", JSON, nullable=True),
        sa.Column("started_at", layers.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", layers.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_ad_optimizer_runs_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_ad_optimizer_runs")),
    )
    op.create_index(
        "ix_ad_optimizer_runs_layer", "ad_optimizer_runs", ["layer_id", "run_id"], unique=False
    )

    op.create_table(
        "ad_pending_actions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("layer_id", sa.String(length=40), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("decision_id", sa.String(length=40), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=True),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("axis", sa.String(length=16), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("reason", sa.String(length=512), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("verdict_id", sa.String(length=40), nullable=True),
        sa.Column("verdict_comment", sa.String(length=1000), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", layers.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dispatched_at", layers.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dispatch_error", JSON, nullable=True),
        sa.Column("created_at", layers.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_ad_pending_actions_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_pending_actions")),
    )
    op.create_index(
        "ix_ad_pending_actions_layer",
        "ad_pending_actions",
        ["layer_id", "status", "id"],
        unique=False,
    )

    op.create_table(
        "ad_accounts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("platform_account_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("healthy", sa.Boolean(), nullable=False),
        sa.Column("health_error", JSON, nullable=True),
        sa.Column("partner_writes_consent", sa.Boolean(), nullable=False),
        sa.Column("access_token_vault_id", sa.String(length=40), nullable=True),
        sa.Column("refresh_token_vault_id", sa.String(length=40), nullable=True),
        sa.Column("token_expires_at", layers.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("connected_at", layers.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_synced_at", layers.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", layers.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", layers.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_ad_accounts_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_ad_accounts_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_accounts")),
        sa.UniqueConstraint(
            "project_id",
            "platform",
            "platform_account_id",
            name=op.f("uq_ad_accounts_project_id_platform_platform_account_id"),
        ),
    )
    op.create_index("ix_ad_accounts_project", "ad_accounts", ["project_id", "id"], unique=False)

    op.create_table(
        "ad_decisions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("layer_id", sa.String(length=40), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("ad_id", sa.String(length=40), nullable=True),
        sa.Column("adset_id", sa.String(length=40), nullable=True),
        sa.Column("campaign_id", sa.String(length=40), nullable=True),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("class", sa.String(length=24), nullable=True),
        sa.Column("reason", sa.String(length=512), nullable=False),
        sa.Column("inputs", JSON, nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("axis", sa.String(length=16), nullable=True),
        sa.Column("guardrails_passed", JSON, nullable=False),
        sa.Column("guardrails_blocked", JSON, nullable=False),
        sa.Column("replacement", JSON, nullable=True),
        sa.Column("authority", sa.String(length=16), nullable=False),
        sa.Column("pending_action_id", sa.String(length=40), nullable=True),
        sa.Column("dispatched_at", layers.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dispatch_error", JSON, nullable=True),
        sa.Column("created_at", layers.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_ad_decisions_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["ad_optimizer_runs.run_id"],
            name=op.f("fk_ad_decisions_run_id_ad_optimizer_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_decisions")),
        sa.UniqueConstraint("run_id", "seq", name=op.f("uq_ad_decisions_run_id_seq")),
    )
    op.create_index("ix_ad_decisions_ad", "ad_decisions", ["ad_id", "id"], unique=False)

    op.create_table(
        "ad_authorities",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("layer_id", sa.String(length=40), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("scope_key", sa.String(length=40), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=True),
        sa.Column("creative", sa.String(length=8), nullable=False),
        sa.Column("tactical", sa.String(length=8), nullable=False),
        sa.Column("structural", sa.String(length=8), nullable=False),
        sa.Column("kill_switch", sa.Boolean(), nullable=False),
        sa.Column("last_modified_at", layers.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_modified_by", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["layer_id"],
            ["project_layers.id"],
            name=op.f("fk_ad_authorities_layer_id_project_layers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_ad_authorities_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_authorities")),
        sa.UniqueConstraint(
            "layer_id", "scope_key", name=op.f("uq_ad_authorities_layer_id_scope_key")
        ),
    )
    op.create_table(
        "ad_campaigns",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("ad_account_id", sa.String(length=40), nullable=False),
        sa.Column("layer_id", sa.String(length=40), nullable=True),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("platform_campaign_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("daily_budget_cents", sa.BigInteger(), nullable=True),
        sa.Column("lifetime_budget_cents", sa.BigInteger(), nullable=True),
        sa.Column("bid_strategy", sa.String(length=32), nullable=True),
        sa.Column("start_time", layers.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_time", layers.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_class", sa.String(length=24), nullable=True),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", layers.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", layers.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_ad_campaigns_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_ad_campaigns_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_campaigns")),
        sa.UniqueConstraint(
            "ad_account_id",
            "platform_campaign_id",
            name=op.f("uq_ad_campaigns_ad_account_id_platform_campaign_id"),
        ),
    )
    op.create_index("ix_ad_campaigns_project", "ad_campaigns", ["project_id", "id"], unique=False)

    op.create_table(
        "ad_sets",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("ad_account_id", sa.String(length=40), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("platform_adset_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("daily_budget_cents", sa.BigInteger(), nullable=True),
        sa.Column("bid_cents", sa.BigInteger(), nullable=True),
        sa.Column("last_budget_change_at", layers.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_class", sa.String(length=24), nullable=True),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", layers.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", layers.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["ad_campaigns.id"],
            name=op.f("fk_ad_sets_campaign_id_ad_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_ad_sets_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_sets")),
        sa.UniqueConstraint(
            "campaign_id",
            "platform_adset_id",
            name=op.f("uq_ad_sets_campaign_id_platform_adset_id"),
        ),
    )
    op.create_index("ix_ad_sets_project", "ad_sets", ["project_id", "id"], unique=False)

    op.create_table(
        "ads",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("ad_account_id", sa.String(length=40), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=False),
        sa.Column("adset_id", sa.String(length=40), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("platform_ad_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("learning", sa.Boolean(), nullable=False),
        sa.Column("container_id", sa.String(length=40), nullable=True),
        sa.Column("launched_at", layers.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_class", sa.String(length=24), nullable=True),
        sa.Column("last_reason", sa.String(length=512), nullable=True),
        sa.Column("classified_at", layers.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", layers.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", layers.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["adset_id"], ["ad_sets.id"], name=op.f("fk_ads_adset_id_ad_sets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_ads_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ads")),
        sa.UniqueConstraint(
            "adset_id", "platform_ad_id", name=op.f("uq_ads_adset_id_platform_ad_id")
        ),
    )
    op.create_index("ix_ads_adset", "ads", ["adset_id"], unique=False)
    op.create_index("ix_ads_project", "ads", ["project_id", "id"], unique=False)

    op.create_table(
        "ad_daily_metrics",
        sa.Column("ad_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("spend_cents", sa.BigInteger(), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("installs", sa.BigInteger(), nullable=False),
        sa.Column("frequency", sa.Float(), nullable=False),
        sa.Column("synced_at", layers.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_id"], ["ads.id"], name=op.f("fk_ad_daily_metrics_ad_id_ads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_ad_daily_metrics_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ad_id", "day", name=op.f("pk_ad_daily_metrics")),
    )
    op.create_index(
        "ix_ad_daily_metrics_project", "ad_daily_metrics", ["project_id", "day"], unique=False
    )

    op.create_table(
        "ads_content",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("container_id", sa.String(length=40), nullable=False),
        sa.Column("ad_id", sa.String(length=40), nullable=False),
        sa.Column("adset_id", sa.String(length=40), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("pool", sa.String(length=16), nullable=False),
        sa.Column("organic_score", sa.Float(), nullable=True),
        sa.Column("created_at", layers.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_id"], ["ads.id"], name=op.f("fk_ads_content_ad_id_ads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_ads_content_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ads_content")),
        sa.UniqueConstraint("ad_id", name=op.f("uq_ads_content_ad_id")),
    )
    op.create_index("ix_ads_content_container", "ads_content", ["container_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ads_content_container", table_name="ads_content")

    op.drop_table("ads_content")
    op.drop_index("ix_ad_daily_metrics_project", table_name="ad_daily_metrics")

    op.drop_table("ad_daily_metrics")
    op.drop_index("ix_ads_project", table_name="ads")
    op.drop_index("ix_ads_adset", table_name="ads")

    op.drop_table("ads")
    op.drop_index("ix_ad_sets_project", table_name="ad_sets")

    op.drop_table("ad_sets")
    op.drop_index("ix_ad_campaigns_project", table_name="ad_campaigns")

    op.drop_table("ad_campaigns")
    op.drop_table("ad_authorities")
    op.drop_index("ix_ad_decisions_ad", table_name="ad_decisions")

    op.drop_table("ad_decisions")
    op.drop_index("ix_ad_accounts_project", table_name="ad_accounts")

    op.drop_table("ad_accounts")
    op.drop_index("ix_ad_pending_actions_layer", table_name="ad_pending_actions")

    op.drop_table("ad_pending_actions")
    op.drop_index("ix_ad_optimizer_runs_layer", table_name="ad_optimizer_runs")

    op.drop_table("ad_optimizer_runs")
