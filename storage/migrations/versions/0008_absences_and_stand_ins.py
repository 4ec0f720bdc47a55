"""Absences: a consultant away from a day to a day, and the stand-in from the same team

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "absences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultant_id", sa.Integer(), nullable=False),
        sa.Column("stand_in_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=40), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["consultant_id"], ["consultants.id"]),
        sa.ForeignKeyConstraint(["stand_in_id"], ["consultants.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("absences", schema=None) as batch_op:
        batch_op.create_index(
            "ix_absences_consultant_last_day", ["consultant_id", "last_day"], unique=False
        )
        batch_op.create_index(
            "ix_absences_stand_in_last_day", ["stand_in_id", "last_day"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("absences", schema=None) as batch_op:
        batch_op.drop_index("ix_absences_stand_in_last_day")
        batch_op.drop_index("ix_absences_consultant_last_day")
    op.drop_table("absences")
