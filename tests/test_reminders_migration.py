"""Migrations from 0001 up to head (0002: reminders), down and up again, on SQLite and
PostgreSQL with data; the migrated schema matches the models."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlmodel import SQLModel

from storage.db import Database
from storage.migrate import alembic_config
from tests.conftest import POSTGRES_URL, _pg_admin


def _migrate(url: str, revision: str, *, down: bool = False) -> None:
    if down:
        command.downgrade(alembic_config(url), revision)
    else:
        command.upgrade(alembic_config(url), revision)


async def _followup_with_legacy_row(url: str) -> None:
    db = Database(url)
    try:
        async with db.transaction() as session:
            await session.exec(  # type: ignore[call-overload]
                text(
                    "INSERT INTO consultants (user_key, name, created_at) "
                    "VALUES ('terminal:x', 'x', CURRENT_TIMESTAMP)"
                )
            )
            await session.exec(  # type: ignore[call-overload]
                text(
                    "INSERT INTO praktikker (case_ref, target_group, company, type, subgoals, "
                    "start_date, end_date, hours_per_week, extension_assessed, last_employer, "
                    "ratio_exceeded, ratio_statement, consultant_id, status, outcome_detail, "
                    "created_at, updated_at) VALUES ('MIG-1', 'dagpenge', 'Testfirma', "
                    "'jobpraktik', '[]', '2026-12-01', '2026-12-20', 20, false, false, false, "
                    "false, 1, 'active', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            await session.exec(  # type: ignore[call-overload]
                text(
                    "INSERT INTO followups (praktik_id, kind, due_date, status, created_at) "
                    "VALUES (1, 'opstart', '2026-11-30', 'planned', CURRENT_TIMESTAMP)"
                )
            )
    finally:
        await db.dispose()


async def _source_of_legacy_row(url: str) -> str:
    db = Database(url)
    try:
        async with db.transaction() as session:
            result = await session.exec(text("SELECT source FROM followups"))  # type: ignore[call-overload]
            return str(result.one()[0])
    finally:
        await db.dispose()


def _schema_diff(url: str) -> list[object]:
    async def run() -> list[object]:
        db = Database(url)
        try:
            async with db.engine.connect() as conn:

                def compare(sync: Connection) -> list[object]:
                    context = MigrationContext.configure(sync, opts={"compare_type": True})
                    return list(compare_metadata(context, SQLModel.metadata))

                return await conn.run_sync(compare)
        finally:
            await db.dispose()

    return asyncio.run(run())


def _round_trip(url: str) -> None:
    _migrate(url, "0001")
    asyncio.run(_followup_with_legacy_row(url))
    _migrate(url, "0002")
    assert asyncio.run(_source_of_legacy_row(url)) == "plan"  # server default fills old rows
    _migrate(url, "head")
    assert _schema_diff(url) == []
    _migrate(url, "0001", down=True)
    _migrate(url, "head")
    assert _schema_diff(url) == []


def test_migration_round_trip_on_sqlite(tmp_path: Path) -> None:
    _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'mig.sqlite3'}")


@pytest.mark.postgres
def test_migration_round_trip_on_postgresql(postgres_database: str) -> None:
    name = f"praktikbot_mig_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        _round_trip(url)
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
