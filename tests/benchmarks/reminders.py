"""The reminder run: one scheduler tick over a municipality-sized store.

The store (`seeding.reminder_store`): 100,000 praktikker, 400,000 follow-ups, 340,000
reminders sent in the past, and 1,000 reminders due at 08:00 today. Measured:

- the due-query: the SQL that finds the due follow-ups (`queries.remindable_followups`,
  which `planner.materialise` runs every tick, with the same date window), timed through
  the query function, and on PostgreSQL also by EXPLAIN ANALYZE. Floor: the index range
  scan alone (`SELECT id FROM followups WHERE status = 'planned' AND due_date BETWEEN …`);
- the claim query: the SELECT inside `queue.claim_deliveries` (via
  `queue.due_deliveries`, the same filter and order without FOR UPDATE) with the 1,000
  rows materialised among the 340,000 sent ones;
- one `tick` that materialises, claims and sends the 1,000 to the stand-in (rate limit
  off). Our own work = tick time − time the stand-in spent handling requests (it shares
  this event loop). Floor: the same Slack calls (the tick's conversations.open and
  chat.postMessage, same content, same client settings, same concurrency) without the
  scheduler.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import datetime as dt
import gc
import pstats
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import delivery_queue as queue
from bot import gc_tuning
from bot.config import AppConfig, load_config
from bot.reminders import planner
from bot.reminders.scheduler import SchedulerState, tick
from bot.reminders.sending import slack_client
from bot.workdays import WorkingDays
from storage import queries
from storage.db import Database
from tests.benchmarks import seeding
from tests.benchmarks.common import (
    BOT_TOKEN,
    Figure,
    Table,
    TimedStandIn,
    median,
    migrated_sqlite,
    postgres_database,
    profile_summary,
)

# The stand-in shares the event loop: its frames (and slack_sdk's Block Kit models and
# deepcopy, which only its validation uses here) are left out of the profile.
STAND_IN_FILES = ("tests/slack_standin/", "slack_sdk/models/", "/copy.py")

NOW = seeding.reminder_due_at(seeding.TODAY) + dt.timedelta(seconds=30)
TARGET_QUERY_MS = 50.0
TARGET_OWN_MS = 2.0
TARGET_OWN_RATIO = 1.5  # issue 15: our own work per reminder, against the Slack calls alone
REPEAT = 7


def window(config: AppConfig, now: dt.datetime) -> tuple[dt.date, dt.date]:
    """The due-date window `planner.materialise` asks `remindable_followups` for."""
    return planner.due_window(config, now, WorkingDays(config.calendar))


@asynccontextmanager
async def rolled_back(db: Database) -> AsyncIterator[AsyncSession]:
    """A session whose transaction is always rolled back."""
    async with AsyncSession(db.engine, expire_on_commit=False) as session:
        transaction = await session.begin()
        try:
            yield session
        finally:
            await transaction.rollback()


class Captured:
    """The last SQL statement (and parameters) the engine sent to the driver."""

    def __init__(self, db: Database) -> None:
        self.statement = ""
        self.parameters: Any = None
        self.on = False

        @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
        def _capture(
            conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
        ) -> None:
            if self.on:
                self.statement, self.parameters = statement, parameters


async def timed(work: Callable[[], Awaitable[Any]]) -> float:
    """Median milliseconds of `work` over REPEAT runs (after one warm-up run)."""
    await work()
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        await work()
        times.append((time.perf_counter() - started) * 1000)
    return median(times)


async def explain_ms(session: AsyncSession, captured: Captured) -> float:
    """PostgreSQL's own execution time of the captured statement (EXPLAIN ANALYZE)."""
    conn = await session.connection()
    result = await conn.exec_driver_sql(
        "EXPLAIN (ANALYZE, FORMAT JSON) " + captured.statement, captured.parameters
    )
    plan = result.scalar_one()
    if isinstance(plan, str):
        import json

        plan = json.loads(plan)
    return float(plan[0]["Execution Time"])


async def time_due_query(
    session: AsyncSession, captured: Captured, config: AppConfig
) -> tuple[float, float, int]:
    """The due-query for the window `planner.materialise` uses (captured for EXPLAIN)
    and its floor, the bare index range scan of the due follow-ups: (median ms, floor
    median ms, rows found)."""
    due_from, due_to = window(config, NOW)
    found: list[Any] = []

    async def query() -> None:
        captured.on = True
        found[:] = await queries.remindable_followups(session, due_from=due_from, due_to=due_to)
        captured.on = False

    async def floor() -> None:
        await session.execute(
            text(
                "SELECT id FROM followups WHERE status = 'planned' AND due_date BETWEEN :a AND :b"
            ),
            {"a": due_from, "b": due_to},
        )

    value = await timed(query)
    return value, await timed(floor), len(found)


async def due_query(
    table: Table,
    db: Database,
    config: AppConfig,
    store: str,
    counts: dict[str, int],
    *,
    postgres: bool,
) -> None:
    captured = Captured(db)
    async with rolled_back(db) as session:
        value, floor_value, found = await time_due_query(session, captured, config)
        table.add(
            Figure(
                f"Reminder run · {store} · due-query (remindable_followups: {found:,} rows"
                f" of {counts['followups']:,} follow-ups)",
                value,
                floor=floor_value,
                target=f"< {TARGET_QUERY_MS:g} ms",
                ok=value < TARGET_QUERY_MS,
            )
        )
        if postgres:
            executed = await explain_ms(session, captured)
            table.add(
                Figure(
                    f"Reminder run · {store} · due-query, EXPLAIN ANALYZE execution time",
                    executed,
                    target=f"< {TARGET_QUERY_MS:g} ms",
                    ok=executed < TARGET_QUERY_MS,
                )
            )

    # The claim query, with today's rows materialised among the history (rolled back).
    async with rolled_back(db) as session:
        await planner.materialise(session, config=config, now=NOW)
        not_before = NOW - dt.timedelta(hours=config.reminders.delivery.max_lateness_hours)
        due: list[Any] = []

        async def claim_query() -> None:
            captured.on = True
            due[:] = await queue.due_deliveries(
                session,
                now=NOW,
                not_before=not_before,
                limit=config.reminders.delivery.batch_size,
            )
            captured.on = False

        value = await timed(claim_query)
        rows = counts["deliveries"] + len(due)
        name = f"Reminder run · {store} · claim query (first {len(due)} due of {rows:,} rows)"
        if postgres:
            name += f", EXPLAIN ANALYZE {await explain_ms(session, captured):.1f} ms"
        table.add(
            Figure(name, value, target=f"< {TARGET_QUERY_MS:g} ms", ok=value < TARGET_QUERY_MS)
        )


async def replay_calls(
    slack: TimedStandIn, calls: list[tuple[str, dict[str, Any]]], concurrency: int
) -> float:
    """The floor: the tick's Slack calls again, per recipient in order, `concurrency`
    recipients at a time, through a client built like the scheduler's. Seconds."""
    by_recipient: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for method, params in calls:
        recipient = str(params.get("users") or params.get("channel") or "")
        by_recipient.setdefault(recipient.removeprefix("D"), []).append((method, params))
    queues = list(by_recipient.values())
    async with slack_client(BOT_TOKEN, slack.base_url) as client:

        async def worker() -> None:
            while queues:
                for method, params in queues.pop():
                    if method == "conversations.open":
                        await client.conversations_open(users=params["users"])
                    else:
                        await client.chat_postMessage(**params)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


async def one_tick(
    table: Table, db: Database, config: AppConfig, slack: TimedStandIn, store: str, due: int
) -> None:
    slack.forget()
    async with slack_client(BOT_TOKEN, slack.base_url) as client:
        busy = slack.busy
        started = time.perf_counter()
        report = await tick(db=db, client=client, config=config, now=NOW, instance_id="bench")
        elapsed = time.perf_counter() - started
        busy = slack.busy - busy
    if report.sent != due:
        raise RuntimeError(f"the tick sent {report.sent}, not {due}: {report.summary()}")
    calls = [(c.method, dict(c.params)) for c in slack.calls if c.status == 200]
    slack.forget()
    floor_busy = slack.busy
    floor = await replay_calls(slack, calls, config.reminders.delivery.send_concurrency)
    floor_busy = slack.busy - floor_busy
    opened = sum(1 for method, _ in calls if method == "conversations.open")
    table.add(
        Figure(
            f"Reminder run · {store} · one tick: {report.sent:,} sent ({opened} DMs opened),"
            f" stand-in {busy * 1000:.0f} ms of it",
            elapsed * 1000,
            floor=floor * 1000,
            target="(floor: the same Slack calls alone)",
        )
    )
    own = (elapsed - busy) / report.sent * 1000
    floor_own = (floor - floor_busy) / report.sent * 1000
    table.add(
        Figure(
            f"Reminder run · {store} · our own work per reminder sent (tick − stand-in time)",
            own,
            floor=floor_own,
            target=f"< {TARGET_OWN_MS:g} ms and ≤ {TARGET_OWN_RATIO:g}× floor",
            ok=own < TARGET_OWN_MS and own <= TARGET_OWN_RATIO * floor_own,
        )
    )


async def profile_tick(
    table: Table, db: Database, config: AppConfig, slack: TimedStandIn, store: str
) -> None:
    """Today's deliveries deleted, the tick again under cProfile (stand-in included)."""
    async with db.transaction() as session:
        await session.execute(
            text("DELETE FROM deliveries WHERE occurs_on = :day"), {"day": seeding.TODAY}
        )
    slack.forget()
    profiler = cProfile.Profile()
    async with slack_client(BOT_TOKEN, slack.base_url) as client:
        profiler.enable()
        await tick(
            db=db,
            client=client,
            config=config,
            now=NOW,
            instance_id="bench-profile",
            state=SchedulerState(),
        )
        profiler.disable()
    summary = profile_summary(pstats.Stats(profiler), STAND_IN_FILES)
    table.appendix.append(f"## cProfile of one tick on {store}\n\n{summary}")


async def write_store(
    table: Table, url: str, store_name: str, store: seeding.Store, *, postgres: bool
) -> None:
    started = time.perf_counter()
    if postgres:
        await seeding.copy_to_postgres(url, store.tables)
    else:
        await asyncio.to_thread(seeding.write_sqlite, url, store.tables)
    written = time.perf_counter() - started
    counts = store.counts()
    table.add(
        Figure(
            f"Reminder run · {store_name} · bulk insert of the store",
            None,
            unit="text",
            text=(
                f"{counts['praktikker']:,} praktikker, {counts['followups']:,} follow-ups,"
                f" {counts['deliveries']:,} past deliveries: {written:.1f} s"
                f" ({'COPY + ANALYZE' if postgres else 'executemany'})"
            ),
        )
    )


async def measure_store(
    table: Table,
    url: str,
    store_name: str,
    counts: dict[str, int],
    due: int,
    slack: TimedStandIn,
    *,
    postgres: bool,
    profile: bool,
) -> None:
    config = load_config()
    db = Database(url)
    thresholds = gc.get_threshold()
    gc_tuning.tune()  # the tick runs in `serve` or `remind`, which set the collector so
    try:
        await due_query(table, db, config, store_name, counts, postgres=postgres)
        await one_tick(table, db, config, slack, store_name, due)
        if profile:
            await profile_tick(table, db, config, slack, store_name)
    finally:
        await db.dispose()
        gc.unfreeze()  # the other sections measure with the collector's defaults
        gc.set_threshold(*thresholds)


async def run(table: Table, workdir: Path, *, postgres: bool, quick: bool, profile: bool) -> None:
    size, due = (10_000, 100) if quick else (100_000, 1_000)
    store = await asyncio.to_thread(seeding.reminder_store, praktikker=size, due=due)
    counts, due_count = store.counts(), len(store.due_followup_ids)
    async with TimedStandIn() as slack, contextlib.AsyncExitStack() as stack:
        stores: list[tuple[str, str, bool]] = []
        if postgres:
            url = await stack.enter_async_context(postgres_database("reminders"))
            await write_store(table, url, "PostgreSQL", store, postgres=True)
            stores.append(("PostgreSQL", url, True))
        else:
            table.add(Figure("Reminder run · PostgreSQL", None, note="skipped (not reachable)"))
        url = await migrated_sqlite(workdir / "reminders.sqlite3")
        await write_store(table, url, "SQLite", store, postgres=False)
        stores.append(("SQLite", url, False))
        # The seeded rows (about 850,000 Python objects) are the bench's, not the bot's:
        # kept alive, every full garbage collection during the tick walked them (in
        # cProfile 0.9 s of a 3.9 s tick, charged to whatever allocated just then).
        del store
        gc.collect()
        for store_name, url, on_postgres in stores:
            await measure_store(
                table, url, store_name, counts, due_count, slack,
                postgres=on_postgres, profile=profile,
            )  # fmt: skip
