"""Outcomes the municipality can act on: status records after the end, follow-up
compliance columns, and store marks (demo data)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "status_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("praktik_id", sa.Integer(), nullable=False),
        sa.Column("followup_id", sa.Integer(), nullable=True),
        sa.Column("months_after_end", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("at_host", sa.Boolean(), nullable=True),
        sa.Column("hours_per_week", sa.Float(), nullable=True),
        sa.Column("consultant_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["consultant_id"], ["consultants.id"]),
        sa.ForeignKeyConstraint(["followup_id"], ["followups.id"]),
        sa.ForeignKeyConstraint(["praktik_id"], ["praktikker.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("praktik_id", "months_after_end", name="uq_status_records_mark"),
    )
    with op.batch_alter_table("status_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_records_praktik_id"), ["praktik_id"], unique=False
        )
    op.create_table(
        "store_marks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planned_due", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("held_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("held_days_late", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("months_after_end", sa.Integer(), nullable=True))
    # Existing rows: the plan's date is the date before the last postponement, else the
    # due date; the one status follow-up of the old plans (4-8 weeks after the end)
    # counts as the 1-month mark.
    op.execute(
        "UPDATE followups SET planned_due = COALESCE(postponed_from, due_date) "
        "WHERE planned_due IS NULL"
    )
    op.execute(
        "UPDATE followups SET months_after_end = 1 "
        "WHERE kind = 'status' AND months_after_end IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("status_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_records_praktik_id"))
    op.drop_table("status_records")
    op.drop_table("store_marks")
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.drop_column("months_after_end")
        batch_op.drop_column("held_days_late")
        batch_op.drop_column("held_on")
        batch_op.drop_column("planned_due")
