"""The async engine and sessions, chosen by URL: SQLite (aiosqlite) or PostgreSQL (asyncpg).

SQLite: WAL, a busy timeout and every transaction opened with BEGIN IMMEDIATE, so a read
that turns into a write never fails with SQLITE_BUSY and writers queue instead; and
`secure_delete` on every connection, so a deleted or overwritten row's cells and freed
pages are zeroed, not left behind in the file (`Database.remove_deleted_bytes` does the
rest after an erasure). Reads that must not hold up the writers (the reports) open
`Database.snapshots()` instead: deferred BEGINs on SQLite (WAL readers), read-only
REPEATABLE READ transactions on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.prepared import Prepared, write_alone


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL, or None for memory databases and other backends."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return None
    return Path(parsed.database)


def make_engine(url: str, *, busy_timeout_ms: int = 10_000, echo: bool = False) -> AsyncEngine:
    if is_sqlite(url):
        path = sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        from storage import sqlite_driver

        # One thread hand-off per statement (storage.sqlite_driver). The pool keeps its
        # ROLLBACK of a connection coming back: usually empty, but it is what ends a
        # transaction a cancelled task left open before the next user gets the file.
        engine = create_async_engine(
            url,
            echo=echo,
            # check_same_thread: a short transaction's statements run on the loop's
            # thread (storage.sqlite_driver), the rest on the driver's.
            connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
            module=sqlite_driver.dbapi(),
        )
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    engine = create_async_engine(url, echo=echo, pool_size=10, max_overflow=10)
    _ping_after_idle(engine)
    return engine


PING_AFTER_IDLE_S = 2.0


def _ping_after_idle(engine: AsyncEngine) -> None:
    """SQLAlchemy's pre-ping, only for a connection that lay idle in the pool: one that
    was handed back less than `PING_AFTER_IDLE_S` ago is taken as it is.

    A ping is a round trip to the server at every checkout — on PostgreSQL a third of a
    turn's CPU (README, *Toward the floor*). A connection that the server dropped (a
    restart, an idle timeout, a failover) is found out at the ping and replaced, as with
    `pool_pre_ping`; one dropped within seconds of its last use fails its next statement
    instead, as a statement in flight at the drop does in any case, and SQLAlchemy then
    replaces every connection of the pool that is as old."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_CHECKED_IN, None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return  # new, or busy a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError() from error  # the pool replaces it and retries
        if not alive:
            raise exc.DisconnectionError()


_CHECKED_IN = "praktikbot_checked_in_at"


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions, so BEGIN IMMEDIATE is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        dbapi_connection.busy_timeout_ms = busy_timeout_ms  # for its inline BEGINs
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA secure_delete=ON")
        # Reads through a memory map instead of a read() per page: the reports' index
        # lookups (e.g. the overdue follow-ups' praktikker) went 2x faster.
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(READ_ONLY):
            connection.exec_driver_sql("BEGIN DEFERRED")  # a reader: writers go on
            return
        if not options.get(SHORT):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        # Once the write lock is held, statements wait for nobody, so they run on the
        # loop's thread until the commit or rollback (storage.sqlite_driver); so does the
        # BEGIN itself when the lock is free.
        adapted = connection.connection.dbapi_connection
        if not adapted.begin_inline():
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # waits on the driver's thread
            adapted.inline = True


SQLITE_MMAP_BYTES = 256 * 1024 * 1024
# A read transaction on SQLite takes its snapshot at its first read of the file.
SQLITE_START_READ = "SELECT count(*) FROM sqlite_master"
PG_EXPORT = "SELECT pg_export_snapshot()"
PG_SNAPSHOT_ID = re.compile(r"[0-9A-F]+(-[0-9A-F]+)+")
READ_ONLY = "praktikbot_read_only"  # an execution option: see Database.snapshots
SHORT = "praktikbot_short"  # an execution option: see Database.transaction


def insert_for(session: AsyncSession) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_nothing`` (PostgreSQL, SQLite)."""
    return dialect_insert(session.get_bind().dialect.name)


def dialect_insert(name: str) -> Any:
    """The INSERT of the dialect called `name`, with ``on_conflict_do_nothing``."""
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    raise NotImplementedError(f"no upsert for {name}")


class Database:
    """The engine and a session factory; one per process."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 10_000) -> None:
        self.url = url
        self.engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        self._writer = asyncio.Lock() if is_sqlite(url) else None
        self._short = (
            async_sessionmaker(
                self.engine.execution_options(**{SHORT: True}),
                class_=AsyncSession,
                expire_on_commit=False,
            )
            if self._writer is not None
            else self._sessions
        )
        readers = (
            self.engine.execution_options(**{READ_ONLY: True})
            if self._writer is not None
            else self.engine.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        )
        self._snapshots = async_sessionmaker(readers, class_=AsyncSession, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self, *, short: bool = False) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on error.

        SQLite has one writer at a time: within a process, transactions queue on a lock
        instead of busy-waiting on the file (other processes still meet the busy timeout).
        Transactions must not nest. `short`: a turn's few index lookups and one-row
        writes — on SQLite its statements run on the event loop's thread once the write
        lock is held, without a hand-off to the driver's thread each (a long statement
        there would hold up every other request of the process: not for bulk work)."""
        if self._writer is None:
            async with self._sessions() as session, session.begin():
                yield session
            return
        sessions = self._short if short else self._sessions
        async with self._writer, sessions() as session, session.begin():
            yield session

    async def write(self, batches: Sequence[tuple[Prepared, Sequence[Mapping[str, Any]]]]) -> None:
        """Each prepared statement for each of its rows, all in one transaction of their
        own, without a session: for a batch of small writes that need nothing read back
        (the questions' message ts, bot.prompt_refs). On SQLite it takes the process's
        writer lock like `transaction`, and the BEGIN IMMEDIATE waits for other processes
        on the driver's thread (the busy timeout)."""
        lock = self._writer or contextlib.nullcontext()
        async with lock, self.engine.connect() as connection:
            await write_alone(connection, batches)

    @asynccontextmanager
    async def snapshots(self, count: int) -> AsyncIterator[list[AsyncSession]]:
        """`count` sessions, each in a read-only transaction on its own connection, all
        seeing the same state of the store throughout, so that reads can run side by
        side without disagreeing — and without holding up writers: on SQLite each a
        deferred BEGIN, a WAL reader (no writer lock: turns in this process and writes of
        others go on); on PostgreSQL REPEATABLE READ, READ ONLY. A write in one fails
        (PostgreSQL) or is not allowed by convention (SQLite); all are rolled back at the
        end.

        The same state: on SQLite the readers start while this process holds a write
        transaction (BEGIN IMMEDIATE), so no writer anywhere commits between the first
        reader's start and the last's; on PostgreSQL the first exports its snapshot and
        the others adopt it (SET TRANSACTION SNAPSHOT)."""
        async with contextlib.AsyncExitStack() as stack:
            sessions = [await stack.enter_async_context(self._snapshots()) for _ in range(count)]
            try:
                if self._writer is not None:
                    async with self.transaction() as writer:
                        await writer.connection()  # BEGIN IMMEDIATE: no commit meanwhile
                        for session in sessions:
                            connection = await session.connection()
                            await connection.exec_driver_sql(SQLITE_START_READ)
                else:
                    first = await sessions[0].connection()
                    exported = (await first.exec_driver_sql(PG_EXPORT)).scalar_one()
                    if not PG_SNAPSHOT_ID.fullmatch(str(exported)):
                        raise RuntimeError(f"unexpected snapshot id {exported!r}")
                    for session in sessions[1:]:
                        connection = await session.connection()
                        await connection.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{exported}'")
                yield sessions
            finally:
                for session in sessions:
                    await session.rollback()

    async def remove_deleted_bytes(self, *, wait_seconds: float = 60.0) -> bool | None:
        """After rows were deleted for good (erasure): make sure their bytes are gone from
        the SQLite file and its WAL, not only unreachable. True when done; False when other
        connections kept the database busy for `wait_seconds` (the rows are deleted, the
        bytes may remain: call again); None for PostgreSQL (see the README's data
        protection section: VACUUM FULL).

        `secure_delete` zeroes a deleted cell, but not the stale copies of it that earlier
        B-tree rebalancing left in other pages' unused space; VACUUM rebuilds the file
        from the live rows only (its copy in memory, not in a temporary file). The old page
        images stay in the WAL until a TRUNCATE checkpoint has copied every frame back and
        emptied the file, which needs every reader, in any process, to have finished its
        read transaction: other processes' busy timeout applies, and then this retries."""
        if self.dialect != "sqlite":
            return None
        deadline = time.monotonic() + wait_seconds
        lock = self._writer or contextlib.nullcontext()
        async with lock, self.engine.connect() as connection:
            # The driver's connection, outside any transaction: VACUUM and a checkpoint
            # cannot run inside one (SQLAlchemy would open BEGIN IMMEDIATE first).
            driver: Any = (await connection.get_raw_connection()).driver_connection
            await driver.execute("PRAGMA temp_store=MEMORY")
            try:
                return await _vacuum_and_checkpoint(driver, deadline)
            finally:
                await driver.execute("PRAGMA temp_store=DEFAULT")

    async def dispose(self) -> None:
        await self.engine.dispose()


async def _vacuum_and_checkpoint(driver: Any, deadline: float) -> bool:
    """VACUUM once, then checkpoint (TRUNCATE) until no reader holds the WAL; retried
    while another process writes or reads, until `deadline` (time.monotonic())."""
    vacuumed = False
    while True:
        try:
            if not vacuumed:
                await driver.execute("VACUUM")
                vacuumed = True
            cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            row = await cursor.fetchone()
            await cursor.close()
            if row is not None and row[0] == 0:
                return True
        except sqlite3.OperationalError:  # another process writes past the busy timeout
            pass
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.2)
