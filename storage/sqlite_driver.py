"""SQLAlchemy's aiosqlite adapter with one thread hand-off per statement — or none, in
a short write transaction that holds the write lock.

aiosqlite runs sqlite3 on a thread of its own; every call is a hand-off to it and back (a
future, a queue put, a wake-up of the event loop: about 16 µs of CPU on the machine in the
README). SQLAlchemy's adapter makes three or four per statement: open a cursor, execute,
fetch the rows, close the cursor. This cursor does all of that in one function on the
thread and keeps the description, row count and last row id it read there, so a turn's
eight statements cost eight hand-offs instead of about thirty. Server-side cursors and
everything else are SQLAlchemy's own.

A connection marked `inline` (`storage.db` does it for a *short* transaction once its
BEGIN IMMEDIATE has returned, and the mark goes at its commit or rollback) runs its
statements on the calling thread, the event loop's, with no hand-off at all: holding the
write lock in WAL mode, a statement waits for no other connection, so it takes as long
as its own work (a turn's index lookups and one-row writes: tens of microseconds). The
BEGIN runs there too when the lock is free (`begin_inline`: busy timeout 0 for that one
statement); when another process holds it, the BEGIN waits on the driver's thread (the
busy timeout). The COMMIT, which may run a checkpoint (page writes and fsyncs), stays on
the driver's thread. The connection is opened with
`check_same_thread=False` for this; its calls never overlap (each is finished before
the next, on whichever thread).

Passed to the engine as its DB-API module (`create_async_engine(module=…)`, see
`storage.db.make_engine`).
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

_Result = tuple[Any, list[Any], int, int | None]
_T = TypeVar("_T")


def run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Result:
    """Execute, read every row, close the cursor: on aiosqlite's thread, or on the
    loop's for an `inline` connection (and `storage.prepared`)."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _write_all(conn: sqlite3.Connection, statements: list[tuple[str, list[Any]]]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        for sql, rows in statements:
            conn.executemany(sql, rows)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


async def write_alone(adapted: Any, statements: list[tuple[str, list[Any]]]) -> None:
    """BEGIN IMMEDIATE, each statement for each of its rows, COMMIT (ROLLBACK on an
    error): one trip to aiosqlite's thread, on a `OneTripConnection` outside any
    transaction of SQLAlchemy's (`storage.prepared.write_alone`)."""
    await on_connection(adapted, _write_all, statements)


async def on_connection(adapted: Any, work: Callable[..., _T], *args: Any) -> _T:
    """`work(the sqlite3 connection, *args)` for a `OneTripConnection`: on the calling
    thread when it is `inline` — a coroutine that never suspends then, so awaited from
    SQLAlchemy's greenlet (which requires an await per statement) it finishes in that one
    step, with no trip round the event loop — else one trip to aiosqlite's thread. A trip
    that was interrupted or failed leaves the connection unsettled."""
    driver = adapted._connection  # aiosqlite's Connection
    if adapted.inline:
        return work(driver._conn, *args)
    try:
        result: _T = await driver._execute(work, driver._conn, *args)
    except BaseException:
        adapted.settled = False  # it may still be running on the driver's thread
        raise
    return result


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose execute is one hand-off to the driver's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:  # no driver cursor: nothing to open
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    async def _async_soft_close(self) -> None:
        return None  # the driver's cursor is closed already

    def close(self) -> None:
        self._rows.clear()

    def _trip(self, operation: Any, parameters: Any, *, many: bool) -> None:
        adapted: Any = self._adapt_connection  # a OneTripConnection
        try:
            result = await_(on_connection(adapted, run, operation, parameters, many))
        except Exception as error:
            adapted._handle_exception(error)
        self._description, rows, self._rowcount, self._lastrowid = result
        self._rows = collections.deque(rows)

    def execute(self, operation: Any, parameters: Any = None) -> None:
        self._trip(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        self._trip(operation, seq_of_parameters, many=True)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """`inline`: run statements on the calling thread (see the module's docstring).

    `settled`: every call on this connection has finished — none was interrupted (a
    cancelled task) or failed, so nothing of it can still be running on the driver's
    thread and the driver connection's `in_transaction` is exact. Then a ROLLBACK with
    no transaction open — the pool's reset of every connection handed back — is skipped
    instead of being a trip to the thread and back; otherwise it goes the usual way,
    queued behind whatever may still run there."""

    __slots__ = ("busy_timeout_ms", "inline", "settled")
    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.inline = False
        self.settled = True
        self.busy_timeout_ms = 0  # as `storage.db` sets it on connect

    def begin_inline(self) -> bool:
        """BEGIN IMMEDIATE on the calling thread, without waiting: True (and `inline`)
        when the write lock was free; False, nothing begun, when another connection holds
        it — then the caller begins on the driver's thread, where the busy timeout may
        wait. The timeout is 0 only for this one statement."""
        if not self.settled:
            return False  # something of this connection may still run on the thread
        conn = self._connection._conn
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # SQLITE_BUSY: another process is writing
            return False
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        self.inline = True
        return True

    def _settle(self, call: Any) -> None:
        try:
            call()
        except BaseException:
            self.settled = False
            raise
        self.settled = True  # the thread's queue is in order: all before it is done

    def commit(self) -> None:
        self.inline = False
        self._settle(super().commit)

    def rollback(self) -> None:
        self.inline = False
        driver = self._connection._connection  # None once closed
        if driver is None or (self.settled and not driver.in_transaction):
            return
        self._settle(super().rollback)

    def close(self) -> None:
        self.inline = False
        super().close()


class OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite DB-API adapter, handing out `OneTripConnection`s."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def dbapi() -> OneTripDbapi:
    import aiosqlite

    module: ModuleType = aiosqlite
    return OneTripDbapi(module, sqlite3)
