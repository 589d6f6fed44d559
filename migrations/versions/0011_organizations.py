"""organizations: lifecycle, child keys, the audit log

Revision ID: 0011_organizations
Revises: 0010_console_cli
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import layers.kit.db

revision: str = "0011_organizations"
down_revision: str | None = "0010_console_cli"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time() -> layers.kit.db.UTCDateTime:
    return layers.kit.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "organizations",
        sa.Column("livemode", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.add_column(
        "organizations", sa.Column("metadata", _json(), server_default="{}", nullable=False)
    )
    op.add_column("organizations", sa.Column("billing_email", sa.String(254), nullable=True))
    op.add_column("organizations", sa.Column("suspended_at", _time(), nullable=True))
    op.add_column("organizations", sa.Column("archived_at", _time(), nullable=True))
    with op.batch_alter_table("api_keys") as batch_op:
        batch_op.alter_column(
            "name", existing_type=sa.String(64), type_=sa.String(120), existing_nullable=False
        )
    op.add_column("api_keys", sa.Column("rotated_at", _time(), nullable=True))
    op.add_column("api_keys", sa.Column("grace_until", _time(), nullable=True))
    op.add_column("api_keys", sa.Column("superseded_by", sa.String(40), nullable=True))
    op.create_table(
        "audit_events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", _time(), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=True),
        sa.Column("project_id", sa.String(length=40), nullable=True),
        sa.Column("api_key_id", sa.String(length=40), nullable=True),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("data", _json(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_audit_events_org_time",
        "audit_events",
        ["org_id", "livemode", "occurred_at", "id"],
    )
    op.create_index("ix_audit_events_occurred_at", "audit_events", ["occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_occurred_at", table_name="audit_events")
    op.drop_index("ix_audit_events_org_time", table_name="audit_events")
    op.drop_table("audit_events")
    with op.batch_alter_table("api_keys") as batch_op:
        batch_op.drop_column("superseded_by")
        batch_op.drop_column("grace_until")
        batch_op.drop_column("rotated_at")
        batch_op.alter_column(
            "name", existing_type=sa.String(120), type_=sa.String(64), existing_nullable=False
        )
    with op.batch_alter_table("organizations") as batch_op:
        batch_op.drop_column("archived_at")
        batch_op.drop_column("suspended_at")
        batch_op.drop_column("billing_email")
        batch_op.drop_column("metadata")
        batch_op.drop_column("livemode")
