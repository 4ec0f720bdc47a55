"""The due-query against years of history (PostgreSQL): `--only history`.

The reminder store (`seeding.reminder_store`: 100,000 praktikker, 400,000 follow-ups,
1,000 due today) plus 1,000,000 ended praktikker with 4 held follow-ups each, written by
`INSERT … SELECT … FROM generate_series` in the database (seconds, not a COPY of 5
million Python rows), then ANALYZE. Measured: `queries.remindable_followups` with the
window `planner.materialise` uses (median of 7 after a warm-up) and PostgreSQL's own
EXPLAIN ANALYZE execution time of the same statement, with the planner's default
settings. The floor is the bare index range scan of the due follow-ups, as in the
reminder run. What is due does not change with the history, so neither should the
query's time: its plan starts from the planned follow-ups in the window and looks each
one's praktik and consultant up by primary key.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg
from sqlalchemy import text

from bot.config import load_config
from storage.db import Database
from tests.benchmarks import seeding
from tests.benchmarks.common import Figure, Table, asyncpg_dsn, postgres_database
from tests.benchmarks.reminders import Captured, explain_ms, rolled_back, time_due_query

TARGET_MS = 10.0
ENDED = 1_000_000
PER_PRAKTIK = 4


async def _columns(conn: asyncpg.Connection, table: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1"
        " ORDER BY ordinal_position",
        table,
    )
    return [r["column_name"] for r in rows]


async def _insert_select(
    conn: asyncpg.Connection, table: str, template: str, series: str, values: dict[str, str]
) -> None:
    """INSERT INTO `table` one row per element of `series` (g): `values` for the columns
    named there, the `template` row's value (t) for the others."""
    columns = await _columns(conn, table)
    exprs = [values.get(c, f't."{c}"') for c in columns]
    names = ", ".join(f'"{c}"' for c in columns)
    await conn.execute(
        f"INSERT INTO {table} ({names}) SELECT {', '.join(exprs)}"
        f" FROM generate_series({series}) AS g CROSS JOIN ({template}) AS t"
    )


async def add_history(url: str, *, first_id: int, ended: int) -> None:
    """`ended` ended praktikker from id `first_id` on, each with PER_PRAKTIK held
    follow-ups (opstart, midtvejs, afslutning, status) in the two years before TODAY."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    today = seeding.TODAY.isoformat()
    try:
        async with conn.transaction():
            if await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
                await conn.execute("SET LOCAL session_replication_role = replica")
            start = f"(DATE '{today}' - 120 - (g % 700))"
            await _insert_select(
                conn,
                "praktikker",
                "SELECT * FROM praktikker WHERE status = 'ended' ORDER BY id LIMIT 1",
                f"{first_id}, {first_id + ended - 1}",
                {
                    "id": "g",
                    "case_ref": "'BH-' || g",
                    "short_ref": "'H-' || g",
                    "consultant_id": "(g % 500) + 1",
                    "start_date": start,
                    "end_date": f"{start} + 56",
                },
            )
            first_followup = await conn.fetchval("SELECT max(id) + 1 FROM followups")
            await _insert_select(
                conn,
                "followups",
                "SELECT * FROM followups WHERE status = 'held' ORDER BY id LIMIT 1",
                f"0, {ended * PER_PRAKTIK - 1}",
                {
                    "id": f"{first_followup} + g",
                    "praktik_id": f"{first_id} + g / {PER_PRAKTIK}",
                    "kind": f"(ARRAY['opstart', 'midtvejs', 'afslutning', 'status'])"
                    f"[g % {PER_PRAKTIK} + 1]",
                    "plan_index": f"g % {PER_PRAKTIK}",
                    "due_date": f"DATE '{today}' - 60 - (g / {PER_PRAKTIK}) % 700 - g % 4 * 20",
                    "status": "'held'",
                },
            )
        await seeding.after_bulk_insert(conn, ["praktikker", "followups"])
    finally:
        await conn.close()


async def run(table: Table, *, postgres: bool, quick: bool) -> None:
    if not postgres:
        table.add(Figure("History · PostgreSQL", None, note="skipped (not reachable)"))
        return
    size, due = (10_000, 100) if quick else (100_000, 1_000)
    ended = ENDED // 10 if quick else ENDED
    store = await asyncio.to_thread(seeding.reminder_store, praktikker=size, due=due)
    config = load_config()
    async with postgres_database("history") as url:
        started = time.perf_counter()
        await seeding.copy_to_postgres(url, store.tables)
        await add_history(url, first_id=size + 1, ended=ended)
        written = time.perf_counter() - started
        db = Database(url)
        try:
            async with rolled_back(db) as session:
                counts = (
                    await session.execute(
                        text(
                            "SELECT (SELECT count(*) FROM praktikker WHERE status = 'ended'),"
                            " (SELECT count(*) FROM followups)"
                        )
                    )
                ).one()
            table.add(
                Figure(
                    "History · PostgreSQL · the store",
                    None,
                    unit="text",
                    text=(
                        f"{counts[0]:,} ended praktikker, {counts[1]:,} follow-ups:"
                        f" {written:.1f} s (COPY, INSERT … SELECT generate_series, ANALYZE)"
                    ),
                )
            )
            captured = Captured(db)
            async with rolled_back(db) as session:
                value, floor_value, found = await time_due_query(session, captured, config)
                table.add(
                    Figure(
                        f"History · PostgreSQL · due-query ({found:,} rows of"
                        f" {counts[1]:,} follow-ups, {counts[0]:,} ended praktikker)",
                        value,
                        floor=floor_value,
                        target=f"< {TARGET_MS:g} ms",
                        ok=value < TARGET_MS,
                    )
                )
                executed = await explain_ms(session, captured)
                table.add(
                    Figure(
                        "History · PostgreSQL · due-query, EXPLAIN ANALYZE execution time",
                        executed,
                        target=f"< {TARGET_MS:g} ms",
                        ok=executed < TARGET_MS,
                    )
                )
        finally:
            await db.dispose()
