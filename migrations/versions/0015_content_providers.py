"""content: which provider made each part of a container (``providers``)

Revision ID: 0015_content_providers
Revises: 0014_ads
Create Date: 2026-12-03 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015_content_providers"
down_revision: str | None = "0014_ads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("content_containers") as batch:
        batch.add_column(sa.Column("providers", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("content_containers") as batch:
        batch.drop_column("providers")
