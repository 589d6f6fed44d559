"""metrics: post and account snapshots, the sync schedule, creative overrides

Revision ID: 0013_metrics
Revises: 0012_wallet
Create Date: 2026-12-03 14:10:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import layers.kit.db

revision: str = "0013_metrics"
down_revision: str | None = "0012_wallet"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _tenant(table: str) -> list[Any]:
    return [
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f(f"fk_{table}_org_id_organizations"),
            ondelete="CASCADE",
        ),
    ]


def _when(name: str, nullable: bool = False) -> Any:
    return sa.Column(name, layers.kit.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    counters = ("views", "reach", "likes", "comments", "shares", "saves", "watch_time_ms")
    op.create_table(
        "post_metric_snapshots",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("social_account_id", sa.String(length=40), nullable=False),
        sa.Column("scheduled_post_id", sa.String(length=40), nullable=False),
        sa.Column("container_id", sa.String(length=40), nullable=True),
        sa.Column("layer_id", sa.String(length=40), nullable=True),
        sa.Column("platform", sa.String(length=16), nullable=False),
        _when("captured_at"),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in counters),
        *_tenant("post_metric_snapshots"),
        sa.ForeignKeyConstraint(
            ["scheduled_post_id"],
            ["scheduled_posts.id"],
            name=op.f("fk_post_metric_snapshots_scheduled_post_id_scheduled_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_metric_snapshots")),
    )
    op.create_index(
        "ix_post_metric_snapshots_post",
        "post_metric_snapshots",
        ["scheduled_post_id", "captured_at"],
    )
    op.create_index(
        "ix_post_metric_snapshots_project", "post_metric_snapshots", ["project_id", "captured_at"]
    )
    op.create_table(
        "account_metric_snapshots",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("social_account_id", sa.String(length=40), nullable=False),
        _when("captured_at"),
        sa.Column("followers", sa.BigInteger(), nullable=False),
        *_tenant("account_metric_snapshots"),
        sa.ForeignKeyConstraint(
            ["social_account_id"],
            ["social_accounts.id"],
            name=op.f("fk_account_metric_snapshots_social_account_id_social_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_metric_snapshots")),
    )
    op.create_index(
        "ix_account_metric_snapshots_account",
        "account_metric_snapshots",
        ["social_account_id", "captured_at"],
    )
    op.create_table(
        "post_metric_syncs",
        sa.Column("scheduled_post_id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("social_account_id", sa.String(length=40), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        _when("posted_at"),
        _when("next_sync_at", nullable=True),
        _when("last_synced_at", nullable=True),
        sa.Column("syncs", sa.Integer(), nullable=False),
        sa.Column("last_error", JSON, nullable=True),
        *_tenant("post_metric_syncs"),
        sa.ForeignKeyConstraint(
            ["scheduled_post_id"],
            ["scheduled_posts.id"],
            name=op.f("fk_post_metric_syncs_scheduled_post_id_scheduled_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scheduled_post_id", name=op.f("pk_post_metric_syncs")),
    )
    op.create_index("ix_post_metric_syncs_due", "post_metric_syncs", ["next_sync_at"])
    op.create_table(
        "creative_overrides",
        sa.Column("container_id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("override", sa.String(length=8), nullable=False),
        _when("updated_at"),
        *_tenant("creative_overrides"),
        sa.PrimaryKeyConstraint("container_id", name=op.f("pk_creative_overrides")),
    )


def downgrade() -> None:
    op.drop_table("creative_overrides")
    op.drop_index("ix_post_metric_syncs_due", table_name="post_metric_syncs")
    op.drop_table("post_metric_syncs")
    op.drop_index("ix_account_metric_snapshots_account", table_name="account_metric_snapshots")
    op.drop_table("account_metric_snapshots")
    op.drop_index("ix_post_metric_snapshots_project", table_name="post_metric_snapshots")
    op.drop_index("ix_post_metric_snapshots_post", table_name="post_metric_snapshots")
    op.drop_table("post_metric_snapshots")
