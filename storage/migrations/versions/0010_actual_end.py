"""The actual end of a praktik ended before its planned end

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 08:00:00.000000

- `praktikker.planned_end_date`: the planned end, kept when an outcome recorded before
  it sets `end_date` to the day the praktik actually ended (None: ended as planned).

A plain ADD COLUMN (no batch rebuild): the SQLite short-reference trigger on this table
stays as it is (downgrade: a plain DROP COLUMN, SQLite 3.35 or later).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("praktikker", sa.Column("planned_end_date", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("praktikker", "planned_end_date")  # SQLite 3.35+: no rebuild either
