"""Reading a test's database: every row of a table."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from storage.db import Database


async def rows(db: Database, model: type) -> list[Any]:
    """Every row of `model`'s table, through `db`."""
    async with db.transaction() as session:
        return list((await session.exec(select(model))).all())


async def all_rows(db_url: str, model: type) -> list[Any]:
    """Every row of `model`'s table, through a connection of its own to `db_url` (as a
    process next to the bot would read it)."""
    db = Database(db_url)
    try:
        return await rows(db, model)
    finally:
        await db.dispose()
