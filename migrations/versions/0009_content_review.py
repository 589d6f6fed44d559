"""content review: the approval gate, uploaded content, influencer changes

Revision ID: 0009_content_review
Revises: 0008_webhooks
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import layers.kit.db

revision: str = "0009_content_review"
down_revision: str | None = "0008_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "content_review_policies",
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("policy", sa.String(length=16), nullable=False),
        sa.Column("first_n", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", layers.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", layers.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_content_review_policies_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_content_review_policies_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_content_review_policies")),
    )
    with op.batch_alter_table("content_containers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("approved_at", layers.kit.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("approved_by", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("rejected_at", layers.kit.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("rejected_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("review_note", sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column("rejection_reason", sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column("pending_schedules", _json(), nullable=True))
        batch_op.add_column(sa.Column("schedule_promotion", _json(), nullable=True))
        batch_op.create_index(
            "ix_content_containers_review", ["project_id", "approval_status", "id"], unique=False
        )
    with op.batch_alter_table("influencers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deletion_reason", sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column("cloned_from", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("influencers", schema=None) as batch_op:
        batch_op.drop_column("cloned_from")
        batch_op.drop_column("deletion_reason")
    with op.batch_alter_table("content_containers", schema=None) as batch_op:
        batch_op.drop_index("ix_content_containers_review")
        batch_op.drop_column("schedule_promotion")
        batch_op.drop_column("pending_schedules")
        batch_op.drop_column("rejection_reason")
        batch_op.drop_column("review_note")
        batch_op.drop_column("rejected_by")
        batch_op.drop_column("rejected_at")
        batch_op.drop_column("approved_by")
        batch_op.drop_column("approved_at")
    op.drop_table("content_review_policies")
