"""The text of the question a conversation waits on

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 06:00:00.000000

- `conversations.prompt_text`: the question as it was asked (stored with the turn that
  asked it), so the next turn can close that question in the thread without running the
  engine a second time to find it. NULL (rows from before, and conversations waiting on
  no question): the turn works it out from the state as before.

A plain ADD COLUMN (no batch rebuild), as in 0010.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("conversations", sa.Column("prompt_text", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("conversations", "prompt_text")  # SQLite 3.35+: no rebuild either
