"""scheduled posts: an index for a distribution layer's slots by status

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 23:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_scheduled_posts_layer_status",
        "scheduled_posts",
        ["layer_id", "status", "scheduled_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_scheduled_posts_layer_status", table_name="scheduled_posts")
