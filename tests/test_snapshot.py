"""`Database.snapshots()`: the reports' read transactions see one state of the store and
do not hold up writers (before them, a report on SQLite held the writer lock for as long
as it took to build, and every turn of the bot waited)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.db import Database
from storage.models import Consultant


async def consultants(session: object) -> int:
    connection = await session.connection()  # type: ignore[attr-defined]
    return int((await connection.execute(text("SELECT count(*) FROM consultants"))).scalar())


async def test_a_write_goes_on_while_a_snapshot_is_open_and_the_snapshot_keeps_its_state(
    db: Database,
) -> None:
    async with db.transaction() as session:
        session.add(Consultant(user_key="terminal:anna", name="anna"))
    async with db.snapshots(1) as [reading]:
        assert await consultants(reading) == 1
        # In the same process (SQLite: the writer lock is not held by the snapshot).
        async with asyncio.timeout(5):
            async with db.transaction() as session:
                session.add(Consultant(user_key="terminal:bo", name="bo"))
        assert await consultants(reading) == 1  # one state throughout
    async with db.snapshots(1) as [reading]:
        assert await consultants(reading) == 2


async def test_a_snapshot_does_not_write(db: Database) -> None:
    async with db.snapshots(1) as [reading]:
        reading.add(Consultant(user_key="terminal:anna", name="anna"))
        if db.dialect == "postgresql":  # READ ONLY: the database refuses
            with pytest.raises(DBAPIError, match="read-only"):
                await reading.flush()
        else:
            await reading.flush()
    async with db.snapshots(1) as [reading]:
        assert await consultants(reading) == 0  # SQLite: rolled back at the end


async def test_readers_side_by_side_see_the_same_state(db: Database) -> None:
    async with db.transaction() as session:
        session.add(Consultant(user_key="terminal:anna", name="anna"))
    async with db.snapshots(3) as readers:
        connections = [await reader.connection() for reader in readers]
        assert len({id(c.sync_connection) for c in connections}) == 3  # three connections
        async with asyncio.timeout(5):
            async with db.transaction() as session:
                session.add(Consultant(user_key="terminal:bo", name="bo"))
        counts = await asyncio.gather(*(consultants(reader) for reader in readers))
        assert counts == [1, 1, 1]
