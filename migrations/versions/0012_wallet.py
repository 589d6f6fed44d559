"""the wallet: credit ledger, credit config, rate-limit tiers

Revision ID: 0012_wallet
Revises: 0011_organizations
Create Date: 2026-12-03 14:00:00

One balance row per organization (never negative), its append-only ledger, the credits each
generation job holds, the transfers between a parent and its children, and the fixed-window
counters API processes share on PostgreSQL (an UNLOGGED table there: a crash only resets the
current windows). The keys' rate-limit tier is the existing ``api_keys.rate_limit_tier``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import layers.kit.db

revision: str = "0012_wallet"
down_revision: str | None = "0011_organizations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time() -> layers.kit.db.UTCDateTime:
    return layers.kit.db.UTCDateTime(timezone=True)


def _org_fk(table: str, column: str = "org_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["organizations.id"],
        name=op.f(f"fk_{table}_{column}_organizations"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "credit_wallets",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("reserved", sa.BigInteger(), nullable=False),
        sa.Column("period_start", _time(), nullable=False),
        sa.Column("used_this_period", sa.BigInteger(), nullable=False),
        sa.Column("monthly_credit_cap", sa.BigInteger(), nullable=True),
        sa.Column("refill_threshold", sa.BigInteger(), nullable=True),
        sa.Column("refill_amount", sa.BigInteger(), nullable=True),
        sa.Column("auto_refill_enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_credit_wallets_balance_not_negative")),
        sa.CheckConstraint("reserved >= 0", name=op.f("ck_credit_wallets_reserved_not_negative")),
        _org_fk("credit_wallets"),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_credit_wallets")),
    )
    op.create_table(
        "credit_events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=16), nullable=False),
        sa.Column("credits", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("usage_after_period", sa.BigInteger(), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=True),
        sa.Column("format", sa.String(length=40), nullable=True),
        sa.Column("container_id", sa.String(length=40), nullable=True),
        sa.Column("workflow_id", sa.String(length=80), nullable=True),
        sa.Column("transfer_id", sa.String(length=40), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("meta", _json(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        _org_fk("credit_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_events")),
    )
    op.create_index("ix_credit_events_org_id_id", "credit_events", ["org_id", "id"])
    op.create_table(
        "credit_reservations",
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("credits", sa.BigInteger(), nullable=False),
        sa.Column("metered", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("ended_at", _time(), nullable=True),
        _org_fk("credit_reservations"),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_credit_reservations")),
    )
    op.create_index(
        op.f("ix_credit_reservations_org_id"), "credit_reservations", ["org_id"], unique=False
    )
    op.create_table(
        "credit_transfers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("from_org_id", sa.String(length=40), nullable=False),
        sa.Column("to_org_id", sa.String(length=40), nullable=False),
        sa.Column("credits", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("meta", _json(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        _org_fk("credit_transfers", "from_org_id"),
        _org_fk("credit_transfers", "to_org_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_transfers")),
        sa.UniqueConstraint(
            "from_org_id",
            "idempotency_key",
            name=op.f("uq_credit_transfers_from_org_id_idempotency_key"),
        ),
    )
    op.create_index(
        op.f("ix_credit_transfers_to_org_id"), "credit_transfers", ["to_org_id"], unique=False
    )
    unlogged = ["UNLOGGED"] if op.get_bind().dialect.name == "postgresql" else []
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_counters")),
        prefixes=unlogged,
    )


def downgrade() -> None:
    op.drop_table("rate_limit_counters")
    op.drop_index(op.f("ix_credit_transfers_to_org_id"), table_name="credit_transfers")
    op.drop_table("credit_transfers")
    op.drop_index(op.f("ix_credit_reservations_org_id"), table_name="credit_reservations")
    op.drop_table("credit_reservations")
    op.drop_index("ix_credit_events_org_id_id", table_name="credit_events")
    op.drop_table("credit_events")
    op.drop_table("credit_wallets")
