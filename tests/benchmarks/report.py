"""The outcome report over a municipality-sized store (`seeding.report_store`: 100,000
praktikker, 400,000 follow-ups, status records after 1 and 3 months).

Measured, on SQLite and PostgreSQL, the median of a few runs of `bot.report.build_report`
(the same call `praktikbot report`, Home's Resultater and the monthly overview make) and
the small-cell suppression of every view built (`View.shown()`, its attack on the table
included); the rendering as text, CSV or XLSX is not included:

- the exit view by type × target group × team (exit counts, statuses 1/3/6/12 months);
- every view (exit, cohorts, follow-up compliance, overdue, duration, lead time,
  companies), i.e. `praktikbot report` without --view.

Floor: the bare aggregate query over the same rows (SELECT type, target_group, team_id,
count(*) … GROUP BY), what any breakdown of 100,000 praktikker costs at the least.
Target: under 1 s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bot import gc_tuning
from bot.config import load_config
from bot.report import Audience, Request, build_report
from dialogues.structure import load_flows
from storage.db import Database
from tests.benchmarks import seeding
from tests.benchmarks.common import Figure, Table, median, migrated_sqlite, postgres_database

TARGET_S = 1.0
REPEAT = 5
FLOOR_SQL = (
    "SELECT type, target_group, team_id, count(*), "
    "sum(CASE WHEN status = 'ended' THEN 1 ELSE 0 END) "
    "FROM praktikker GROUP BY type, target_group, team_id"
)


async def timed(work: Callable[[], Awaitable[Any]]) -> float:
    await work()
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        await work()
        times.append(time.perf_counter() - started)
    return median(times)


async def measure(table: Table, url: str, name: str, store: seeding.Store, *, pg: bool) -> None:
    started = time.perf_counter()
    if pg:
        # VACUUM: the visibility map of a store in use (autovacuum), for index-only scans
        await seeding.copy_to_postgres(url, store.tables, vacuum=True)
    else:
        await asyncio.to_thread(seeding.write_sqlite, url, store.tables)
    counts = store.counts()
    table.add(
        Figure(
            f"Report · {name} · bulk insert of the store",
            None,
            unit="text",
            text=(
                f"{counts['praktikker']:,} praktikker, {counts['followups']:,} follow-ups, "
                f"{counts['status_records']:,} status records: "
                f"{time.perf_counter() - started:.1f} s"
            ),
        )
    )
    config, flows = load_config(), load_flows()
    # The collector as `praktikbot report` and `serve` set it (bot.gc_tuning); the
    # seeded rows, frozen with what start-up left, are then never walked.
    gc_tuning.tune()
    db = Database(url)
    try:

        async def floor() -> None:
            async with db.transaction() as session:
                connection = await session.connection()
                (await connection.execute(text(FLOOR_SQL))).all()

        async def report(views: list[str], by: tuple[str, ...]) -> None:
            request = Request(seeding.TODAY, by, "end_quarter")
            audience = Audience.everyone()
            built = await build_report(
                db, config, flows, request=request, audience=audience, actor="bench", views=views
            )
            for view in built.views:
                view.shown()  # the cells as the administration sees them: suppression included

        bare = await timed(floor)
        exit_by = await timed(lambda: report(["exit"], ("type", "target_group", "team")))
        every = await timed(lambda: report(list(_all_views()), ("type",)))
        built = await build_report(
            db,
            config,
            flows,
            request=Request(seeding.TODAY, ("type",), "end_quarter"),
            audience=Audience.everyone(),
            actor="bench",
        )

        async def suppression() -> None:
            for view in built.views:
                view._hidden = None  # suppressed afresh each time
                view.shown()

        suppressing = await timed(suppression)
        for label, value in (
            ("exit by type × target group × team", exit_by),
            ("every view (praktikbot report)", every),
        ):
            table.add(
                Figure(
                    f"Report · {name} · {label}",
                    value * 1000,
                    floor=bare * 1000,
                    target=f"< {TARGET_S:g} s",
                    ok=value < TARGET_S,
                )
            )
        table.add(
            Figure(
                f"Report · {name} · of which the suppression of every view",
                suppressing * 1000,
            )
        )
    finally:
        await db.dispose()


def _all_views() -> tuple[str, ...]:
    from bot.report import VIEW_NAMES

    return VIEW_NAMES


async def run(table: Table, workdir: Path, *, postgres: bool, quick: bool) -> None:
    size = 10_000 if quick else 100_000
    store = await asyncio.to_thread(seeding.report_store, praktikker=size)
    if postgres:
        async with postgres_database("report") as url:
            await measure(table, url, "PostgreSQL", store, pg=True)
    else:
        table.add(Figure("Report · PostgreSQL", None, note="skipped (not reachable)"))
    url = await migrated_sqlite(workdir / "report.sqlite3")
    await measure(table, url, "SQLite", store, pg=False)
