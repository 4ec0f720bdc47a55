"""The report's queries read SQLite the way their docstrings say (EXPLAIN QUERY PLAN on an
empty, migrated store): a change that loses a plan would cost the report a sort of every
row, which no result shows."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bot.config import AppConfig
from bot.report import Audience, Request
from bot.report import views as v
from storage.db import Database

TODAY = dt.date(2026, 11, 30)


async def plan_of(db: Database, read: Any, marker: str) -> list[str]:
    """The plan of the statement `read` (a coroutine function of a session) sends whose
    SQL contains `marker`."""
    sent: list[tuple[str, Any]] = []

    def keep(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if marker in statement:
            sent.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", keep)
    try:
        async with db.snapshots(1) as [session]:
            await read(session)
            [(statement, parameters)] = sent
            connection = await session.connection()
            plan = await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            return [str(tuple(row)[3]) for row in plan.all()]
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", keep)


async def test_follow_up_compliance_reads_its_partial_index_alone(
    tmp_path: Path, sqlite_template: Path, config: AppConfig
) -> None:
    """The compliance query names the counted follow-ups' values in the statement, so
    SQLite sees the WHERE of the partial `ix_followups_compliance` implied (migration
    0014); as parameters it would scan every follow-up and sort them."""
    path = tmp_path / "plans.sqlite3"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        request = Request(TODAY, ("type",), "end_quarter", dt.date(2026, 1, 1), TODAY)
        for audience in (Audience.everyone(), Audience.teams(frozenset({"team_vest"}))):

            async def read(session: Any, audience: Audience = audience) -> None:
                await v.followup_view(session, config, request, audience.scope)

            plan = await plan_of(db, read, "GROUP BY followups.team_id")
            assert len(plan) == 1 and "COVERING INDEX ix_followups_compliance" in plan[0], plan
    finally:
        await db.dispose()
