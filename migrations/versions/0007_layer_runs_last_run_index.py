"""layer runs: an index for the last run of each command of a layer

Revision ID: 0007_layer_runs_last_run
Revises: 0006
Create Date: 2026-12-03 09:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_layer_runs_last_run"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_layer_runs_layer_command",
        "layer_runs",
        ["layer_id", "command_id", "created_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_layer_runs_layer_command", table_name="layer_runs")
