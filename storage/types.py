"""Column types of our own."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC that always comes back aware, in UTC.

    The column is ``DateTime(timezone=True)``: ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL,
    where asyncpg hands back aware values, and ``DATETIME`` on SQLite, which keeps only the
    wall-clock digits: they must be UTC going in, and come back naive. So every value is
    turned into UTC when bound (a naive one is taken to be UTC already), in an INSERT or
    UPDATE and in a comparison with the column alike, and every value read is made aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else _as_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else _as_utc(value)


def _as_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)
