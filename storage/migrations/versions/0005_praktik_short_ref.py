"""Praktikker get a short reference of the bot's own (P-1042); follow-ups a version

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:00:00.000000

`praktikker.short_ref` is what a shared channel may show of a praktik. The database
assigns it on every insert, so no code path and no bulk load can leave it empty, and it
never hands out a number twice — not even after an erasure, when SQLite would reuse the
deleted row's id:

- PostgreSQL: the trigger `praktikker_short_ref` (BEFORE INSERT) takes the next value of
  the sequence `praktik_short_ref_seq`;
- SQLite: the trigger `praktikker_short_ref` (AFTER INSERT) counts in `ref_counters`.

Both overwrite whatever the insert carried: the bot assigns the reference itself. A
trigger cannot be declared on the model; a later batch rebuild of `praktikker` on SQLite
must recreate it (the tests that register a praktik fail without it).

Existing rows get `P-{id + 1000}`; the counter continues above the highest of them.
`followups.version` is incremented by every change of a follow-up; a reminder's buttons
carry the version they were rendered for.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The first praktik is P-1001 (the counter starts at 1000). Literal SQL: no input here.
SQLITE_TRIGGER = """
CREATE TRIGGER praktikker_short_ref AFTER INSERT ON praktikker
BEGIN
    INSERT INTO ref_counters (name, value)
    SELECT 'praktik_short_ref',
        (SELECT COALESCE(MAX(CAST(SUBSTR(short_ref, 3) AS INTEGER)), 1000) FROM praktikker)
    WHERE NOT EXISTS (SELECT 1 FROM ref_counters WHERE name = 'praktik_short_ref');
    UPDATE ref_counters SET value = value + 1 WHERE name = 'praktik_short_ref';
    UPDATE praktikker
    SET short_ref = 'P-' || (SELECT value FROM ref_counters WHERE name = 'praktik_short_ref')
    WHERE id = NEW.id;
END
"""

POSTGRES_FUNCTION = """
CREATE FUNCTION praktikker_short_ref() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.short_ref := 'P-' || nextval('praktik_short_ref_seq');
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "ref_counters",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("praktikker", schema=None) as batch_op:
        batch_op.add_column(sa.Column("short_ref", sa.String(length=20), nullable=True))
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="0", nullable=False))
    op.execute("UPDATE praktikker SET short_ref = 'P-' || CAST(id + 1000 AS VARCHAR)")
    with op.batch_alter_table("praktikker", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_praktikker_short_ref"), ["short_ref"], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE praktik_short_ref_seq START WITH 1001")
        op.execute(
            "SELECT setval('praktik_short_ref_seq', COALESCE(MAX(id), 0) + 1000) FROM praktikker"
        )
        op.execute("ALTER SEQUENCE praktik_short_ref_seq OWNED BY praktikker.short_ref")
        op.execute(POSTGRES_FUNCTION)
        op.execute(
            "CREATE TRIGGER praktikker_short_ref BEFORE INSERT ON praktikker "
            "FOR EACH ROW EXECUTE FUNCTION praktikker_short_ref()"
        )
    else:
        op.execute(
            "INSERT INTO ref_counters (name, value) "
            "SELECT 'praktik_short_ref', COALESCE(MAX(id), 0) + 1000 FROM praktikker"
        )
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER praktikker_short_ref ON praktikker")
        op.execute("DROP FUNCTION praktikker_short_ref()")
        op.execute("DROP SEQUENCE praktik_short_ref_seq")
    else:
        op.execute("DROP TRIGGER IF EXISTS praktikker_short_ref")
    with op.batch_alter_table("praktikker", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_praktikker_short_ref"))
    # Plain ALTER TABLE (SQLite ≥ 3.35): a batch rebuild of praktikker would fail on the
    # foreign keys that point at it.
    op.execute("ALTER TABLE followups DROP COLUMN version")
    op.execute("ALTER TABLE praktikker DROP COLUMN short_ref")
    op.drop_table("ref_counters")
