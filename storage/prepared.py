"""Statements compiled once per dialect and run on the driver's connection of a session.

On a turn's path SQLAlchemy's execution of a statement costs more than the statement: a
greenlet, the compiled-cache lookup, parameter processing, events, a result object —
about 0.25 ms of Python per statement on the machine in the README, where SQLite runs a
one-row write in 20 µs. A `Prepared` statement is compiled once per dialect into its SQL
string, the order of its parameters and their type processors (the conversions
SQLAlchemy itself applies: `UTCDateTime`, JSON), and each call binds its values and
hands the string to the driver connection under the session's, inside the session's
transaction like any statement of it:

- SQLite: `sqlite3` on the event loop's thread when the transaction is *short* and holds
  the write lock (`storage.sqlite_driver`), else one trip to aiosqlite's thread;
- PostgreSQL: asyncpg, whose statement cache prepares it once per connection (the
  session's transaction begun first if this is its first statement, as SQLAlchemy's
  adapter begins it lazily).

Only what the caller needs comes back: the rows as tuples, no type processing (used for
a RETURNING of a plain key, or nothing). A driver error is raised as SQLAlchemy raises
it (`sqlalchemy.exc.DBAPIError` and its kinds), so callers see one set of errors, and
a connection that turns out dead is invalidated, as SQLAlchemy does, not pooled again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import sqlite_driver


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the parameters, in the order the SQL takes them
    processors: tuple[Callable[[Any], Any] | None, ...]

    def bind(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            value if process is None else process(value)
            for value, process in zip((params[n] for n in self.names), self.processors, strict=True)
        )


class Prepared:
    """A Core statement (bind parameters by name, no literal values to render per call),
    or a function giving it for a dialect's name (an upsert is written per dialect)."""

    def __init__(self, statement: ClauseElement | Callable[[str], ClauseElement]) -> None:
        self._statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            statement = self._statement
            if not isinstance(statement, ClauseElement):
                statement = statement(dialect.name)
            compiled: Any = statement.compile(dialect=dialect)
            names = tuple(compiled.positiontup or ())
            processors = compiled._bind_processors  # what SQLAlchemy applies when it binds
            found = _Compiled(
                sql=compiled.string,
                names=names,
                processors=tuple(processors.get(n) for n in names),
            )
            self._compiled[dialect.name] = found
        return found

    def bound(self, dialect: Dialect, rows: Sequence[Mapping[str, Any]]) -> tuple[str, list[Any]]:
        """The SQL for `dialect` and each row's values bound in its order."""
        compiled = self._for(dialect)
        return compiled.sql, [compiled.bind(row) for row in rows]

    async def execute(
        self, session: AsyncSession, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    ) -> list[tuple[Any, ...]]:
        """Run it once (`params` a mapping) or for each mapping of a sequence (no rows
        back then) in the session's transaction; the rows it returns."""
        connection = await session.connection()
        dialect = connection.dialect
        compiled = self._for(dialect)
        many = not isinstance(params, Mapping)
        args: Any = (
            compiled.bind(params)
            if isinstance(params, Mapping)
            else [compiled.bind(p) for p in params]
        )
        raw: Any = connection.sync_connection
        adapted: Any = raw.connection.dbapi_connection
        try:
            if dialect.name == "sqlite":
                return await _sqlite(adapted, compiled.sql, args, many)
            return await _asyncpg(adapted, compiled.sql, args, many)
        except Exception as error:
            wrapped = _as_sqlalchemy_error(adapted, dialect, compiled.sql, args, error)
            orig: Any = wrapped.orig if isinstance(wrapped, exc.DBAPIError) else None
            if orig is not None and dialect.is_disconnect(orig, adapted, None):
                # As SQLAlchemy does: a dead connection is not handed out again.
                wrapped.connection_invalidated = True  # type: ignore[attr-defined]
                await connection.invalidate(orig)
            raise wrapped from error
        except BaseException:
            if dialect.name != "sqlite":
                # A cancellation mid-statement, as SQLAlchemy treats it: the connection
                # is not pooled again. The BEGIN or the statement may have reached the
                # server with nothing here left to end it (asyncpg's transaction is
                # marked failed, SQLAlchemy's adapter holds none): pooled, it would
                # stay open, and the next user's statements would run in it. (SQLite:
                # the pool's ROLLBACK waits for what is still running on the thread.)
                await connection.invalidate()
            raise


async def _sqlite(adapted: Any, sql: str, args: Any, many: bool) -> list[tuple[Any, ...]]:
    return (await sqlite_driver.on_connection(adapted, sqlite_driver.run, sql, args, many))[1]


async def _asyncpg(adapted: Any, sql: str, args: Any, many: bool) -> list[tuple[Any, ...]]:
    driver = adapted._connection  # asyncpg's Connection
    async with adapted._execute_mutex:
        # SQLAlchemy's adapter begins the session's transaction at its first statement,
        # not at session.begin(): a prepared statement that comes first begins it, as
        # the adapter's cursor would, or it would run (and commit) on its own.
        if adapted._transaction is None:
            await adapted._start_transaction()
        if many:
            await driver.executemany(sql, args)
            return []
        return [tuple(row) for row in await driver.fetch(sql, *args)]


def _as_sqlalchemy_error(
    adapted: Any, dialect: Dialect, sql: str, args: Any, error: Exception
) -> Exception:
    """The error as SQLAlchemy would raise it: the adapter's DB-API error, wrapped."""
    try:
        adapted._handle_exception(error)  # raises the DB-API adapter's kind of error
    except Exception as dbapi_error:
        error = dbapi_error
    if isinstance(error, dialect.loaded_dbapi.Error):
        return exc.DBAPIError.instance(sql, args, error, dialect.loaded_dbapi.Error)
    return error


async def write_alone(
    connection: AsyncConnection, batches: Sequence[tuple[Prepared, Sequence[Mapping[str, Any]]]]
) -> None:
    """Each statement for each of its rows, in one transaction of their own on
    `connection` (checked out, no transaction begun): BEGIN, the statements and COMMIT
    are one trip to aiosqlite's thread, or an asyncpg transaction — no session, no
    SQLAlchemy transaction. For small writes that read nothing back (`Database.write`).
    A connection whose transaction was interrupted or failed is invalidated, not pooled
    again."""
    dialect = connection.dialect
    statements = [p.bound(dialect, rows) for p, rows in batches if rows]
    if not statements:
        return
    adapted: Any = (await connection.get_raw_connection()).dbapi_connection
    try:
        if dialect.name == "sqlite":
            await sqlite_driver.write_alone(adapted, statements)
        else:
            driver = adapted._connection  # asyncpg's Connection
            async with driver.transaction():
                for sql, args in statements:
                    await driver.executemany(sql, args)
    except BaseException as error:
        if dialect.name != "sqlite":
            await connection.invalidate()
        if isinstance(error, Exception):
            raise _as_sqlalchemy_error(adapted, dialect, statements[0][0], [], error) from error
        raise
