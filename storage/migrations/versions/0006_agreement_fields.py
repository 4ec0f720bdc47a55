"""The agreement's fields on praktikker (as VITAS holds them), the rule set a praktik was
granted under, and the kind of a copy-ready text (journalnotat or VITAS summary)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _praktik_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("cvr_number", sa.String(length=8), nullable=True),
        sa.Column("tasks", sa.String(length=1000), nullable=True),
        sa.Column("final_hours_per_week", sa.Float(), nullable=True),
        sa.Column("hours_plan", sa.String(length=500), nullable=True),
        sa.Column("working_times", sa.String(length=200), nullable=True),
        sa.Column("last_employer_has_job", sa.Boolean(), nullable=True),
        sa.Column("same_function", sa.Boolean(), nullable=True),
        sa.Column("employee_rep", sa.String(length=200), nullable=True),
        sa.Column("has_employee_rep", sa.Boolean(), nullable=True),
        sa.Column("min_plan_updated_at_grant", sa.Boolean(), nullable=True),
        sa.Column("rule_set", sa.String(length=40), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("praktikker", schema=None) as batch_op:
        for column in _praktik_columns():
            batch_op.add_column(column)
    with op.batch_alter_table("case_notes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), server_default="journalnotat", nullable=False)
        )


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35 has it): recreating the tables, as
    # batch mode would, fails while follow-ups and answers point at their rows.
    with op.batch_alter_table("case_notes", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("praktikker", schema=None, recreate="never") as batch_op:
        for column in reversed(_praktik_columns()):
            batch_op.drop_column(column.name)
