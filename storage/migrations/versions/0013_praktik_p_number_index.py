"""An index on the praktik's P-number

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 13:30:00.000000

- `ix_praktikker_p_number (p_number, status)`: the company warning at registration asks
  for the active praktikker and the signals of one P-number while the consultant waits
  for the next question; without it both read every praktik (on a store of 100,000:
  124 ms on PostgreSQL, 154 ms on SQLite, inside the turn's transaction, growing with
  the history).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_praktikker_p_number", "praktikker", ["p_number", "status"])


def downgrade() -> None:
    op.drop_index("ix_praktikker_p_number", table_name="praktikker")
