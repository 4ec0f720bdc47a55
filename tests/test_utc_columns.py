"""Every timestamp column stores UTC and reads back aware UTC, on SQLite and PostgreSQL
(`storage.types.UTCDateTime`): whatever the offset of the value written, and also where
a value is compared with a column in a query."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from storage.db import Database
from storage.models import Consultant

CPH = ZoneInfo("Europe/Copenhagen")
AT_10_UTC = dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)  # 12:00 in Copenhagen (CEST)


async def _store(db: Database, key: str, created_at: dt.datetime) -> None:
    async with db.transaction() as session:
        session.add(Consultant(user_key=key, name="Testkonsulent", created_at=created_at))


async def _read(db: Database, key: str) -> dt.datetime:
    async with db.transaction() as session:
        found = (await session.exec(select(Consultant).where(Consultant.user_key == key))).one()
        return found.created_at


async def test_a_time_written_in_any_zone_reads_back_as_aware_utc(db: Database) -> None:
    await _store(db, "terminal:lokal", AT_10_UTC.astimezone(CPH))
    await _store(db, "terminal:naiv", AT_10_UTC.replace(tzinfo=None))  # taken to be UTC
    for key in ("terminal:lokal", "terminal:naiv"):
        read = await _read(db, key)
        assert read == AT_10_UTC
        assert read.utcoffset() == dt.timedelta(0)


async def test_a_compared_time_is_bound_in_utc(db: Database) -> None:
    await _store(db, "terminal:anna", AT_10_UTC)
    # 11:30 in Copenhagen is 09:30 UTC: before the stored 10:00 UTC, though its
    # wall-clock digits are later.
    before = dt.datetime(2026, 7, 1, 11, 30, tzinfo=CPH)
    after = dt.datetime(2026, 7, 1, 12, 30, tzinfo=CPH)
    async with db.transaction() as session:

        async def created_before(when: dt.datetime) -> list[str]:
            query = select(Consultant.user_key).where(col(Consultant.created_at) < when)
            return list((await session.exec(query)).all())

        assert await created_before(before) == []
        assert await created_before(after) == ["terminal:anna"]
