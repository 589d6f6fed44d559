"""console and CLI: projects archive and whatever the console's screens need

Revision ID: 0010_console_cli
Revises: 0009_content_review
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

revision: str = "0010_console_cli"
down_revision: str | None = "0009_content_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
