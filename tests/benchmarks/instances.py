"""Several scheduler instances on one PostgreSQL: how long 10,000 due reminders take.

The test `test_three_instances_on_postgresql_send_10000_reminders_once_each` proves that
three instances send each reminder exactly once; this is its speed. 1,000 consultants
with 10 praktikker each, every praktik with a follow-up due at 08:00; then
`praktikbot remind --now …` as OS processes (each its own engine, connections and Slack
client) against the in-process stand-in, rate limit off. Measured: process start → the
last one exits, with three instances; floor: one instance sending the same 10,000 (the
deliveries are deleted in between, so it materialises and sends them all again).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import time

from sqlalchemy import text

from storage.db import Database
from tests.benchmarks.common import (
    ROOT,
    Figure,
    Table,
    TimedStandIn,
    bot_env,
    postgres_database,
    praktikbot_command,
)
from tests.reminder_support import local, seed

MONDAY = dt.date(2026, 11, 30)
AT_8 = local(MONDAY, 8)
INSTANCES = 3
TARGET_S = 45.0  # the limit the exactly-once test used to assert


async def run_instances(count: int, *, url: str, slack: TimedStandIn) -> float:
    """Seconds from starting `count` `praktikbot remind` processes until the last exits."""
    env = {**os.environ, **bot_env(slack, url)}
    command = [*praktikbot_command(), "remind", "--now", AT_8.isoformat()]
    started = time.perf_counter()
    procs = [
        await asyncio.create_subprocess_exec(
            *command,
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(count)
    ]
    outputs = await asyncio.gather(*(p.communicate() for p in procs))
    elapsed = time.perf_counter() - started
    for proc, (output, _) in zip(procs, outputs, strict=True):
        if proc.returncode != 0:
            raise RuntimeError(f"remind exited {proc.returncode}:\n{output.decode()[-3000:]}")
    return elapsed


def sent_once(slack: TimedStandIn, due: int) -> None:
    posted = [c for c in slack.calls if c.method == "chat.postMessage" and c.status == 200]
    if len(posted) != due:
        raise RuntimeError(f"{len(posted)} reminders posted, not {due}")


async def run(table: Table, *, postgres: bool, quick: bool) -> None:
    name = f"Reminder run · PostgreSQL · {INSTANCES} instances (OS processes)"
    if not postgres:
        table.add(Figure(name, None, note="skipped (not reachable)"))
        return
    consultants = 100 if quick else 1000
    due = consultants * 10
    async with postgres_database("instances") as url, TimedStandIn() as slack:
        db = Database(url)
        try:
            await seed(db, consultants=consultants, per_consultant=10, due=MONDAY)
            one = await run_instances(1, url=url, slack=slack)
            sent_once(slack, due)
            async with db.transaction() as session:
                await session.execute(text("DELETE FROM deliveries"))
            slack.forget()
            several = await run_instances(INSTANCES, url=url, slack=slack)
            sent_once(slack, due)
        finally:
            await db.dispose()
    table.add(
        Figure(
            f"{name} send {due:,} due reminders once each (floor: 1 instance)",
            several,
            unit="s",
            floor=one,
            target=f"< {TARGET_S:g} s",
            ok=several < TARGET_S,
        )
    )
