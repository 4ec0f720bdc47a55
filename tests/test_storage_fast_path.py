"""The turn's storage path without SQLAlchemy's per-statement machinery (issue 15):

- a *short* transaction on SQLite runs its statements on the event loop's thread once
  BEGIN IMMEDIATE holds the write lock; the BEGIN itself still waits on the driver's
  thread, so a write lock held by another process holds up that transaction only, not
  the process's other requests;
- a task cancelled in the middle of a transaction leaves nothing open for the next user
  of its connection (the pool's reset is skipped only when nothing can be open);
- `storage.prepared` statements store what SQLAlchemy would (UTC timestamps, JSON) and
  raise SQLAlchemy's errors;
- on PostgreSQL, a pooled connection that the server ended while it lay idle is
  replaced at checkout, and the next turn goes through.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import shutil
import sqlite3
import threading
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import exc, text
from sqlmodel import select

from bot.config import AppConfig
from bot.conversations import Actor, ConversationService
from dialogues.model import Flow
from dialogues.state import UserInput
from storage import db as storage_db
from storage import queries
from storage.db import Database
from storage.models import Answer, Consultant, Conversation, ProcessedInput
from tests.db_support import all_rows, rows

ANNA = Actor(user_key="terminal:anna", name="anna")
CPH_SUMMER = dt.timezone(dt.timedelta(hours=2))


def sqlite_copy(tmp_path: Path, template: Path) -> str:
    path = tmp_path / "praktikbot.sqlite3"
    shutil.copy(template, path)
    return f"sqlite+aiosqlite:///{path}"


async def started(db: Database, config: AppConfig, flows: dict[str, Flow]) -> ConversationService:
    svc = ConversationService(db=db, config=config, flows=flows)
    now = dt.datetime.now(dt.UTC)
    await svc.start(actor=ANNA, key=ANNA.user_key, flow_id="ny_praktik", source_key="s:1", now=now)
    return svc


async def say(svc: ConversationService, text_: str, source_key: str) -> object:
    return await svc.answer(
        actor=ANNA,
        key=ANNA.user_key,
        inp=UserInput(text=text_),
        source_key=source_key,
        now=dt.datetime.now(dt.UTC),
    )


async def test_a_short_transactions_statements_run_on_the_loops_thread(
    tmp_path: Path, sqlite_template: Path
) -> None:
    db = Database(sqlite_copy(tmp_path, sqlite_template))
    # The thread is read from inside the statement: a function SQLite calls as it runs.
    try:
        for short in (True, False):
            async with db.transaction(short=short) as session:
                raw = await session.connection()
                driver: Any = (await raw.get_raw_connection()).driver_connection
                await driver.create_function(
                    "on_loop", 0, lambda: int(threading.current_thread() is threading.main_thread())
                )
                on_loop = (await raw.execute(text("SELECT on_loop()"))).scalar_one()
                assert on_loop == (1 if short else 0)
    finally:
        await db.dispose()


async def test_a_short_transaction_leaves_the_busy_timeout_as_it_was(
    tmp_path: Path, sqlite_template: Path
) -> None:
    """Its BEGIN runs on the loop's thread with a busy timeout of 0 (it must not wait
    there); the next transaction on the connection waits for other processes again."""
    db = Database(sqlite_copy(tmp_path, sqlite_template), busy_timeout_ms=4321)
    try:
        async with db.transaction(short=True) as session:
            await queries.claim_input(session, source_key="k:short")
        for short in (False, True):
            async with db.transaction(short=short) as session:
                pragma = await (await session.connection()).execute(text("PRAGMA busy_timeout"))
                assert pragma.scalar_one() == 4321
    finally:
        await db.dispose()


async def test_another_process_holding_the_lock_holds_up_only_the_transaction(
    tmp_path: Path, sqlite_template: Path
) -> None:
    url = sqlite_copy(tmp_path, sqlite_template)
    db = Database(url)
    other = sqlite3.connect(url.removeprefix("sqlite+aiosqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def claim() -> bool:
        async with db.transaction(short=True) as session:
            return await queries.claim_input(session, source_key="k:held")

    ticker = asyncio.create_task(ticking())
    try:
        waiting = asyncio.create_task(claim())
        await asyncio.sleep(0.5)
        assert not waiting.done()  # BEGIN IMMEDIATE waits for the other process …
        assert ticks >= 20  # … on the driver's thread: the loop went on meanwhile
        other.execute("COMMIT")
        assert await asyncio.wait_for(waiting, 10) is True
    finally:
        ticker.cancel()
        other.close()
        await db.dispose()
    assert [p.source_key for p in await all_rows(url, ProcessedInput)] == ["k:held"]


async def test_a_transaction_cancelled_midway_leaves_nothing_open(
    tmp_path: Path, sqlite_template: Path
) -> None:
    url = sqlite_copy(tmp_path, sqlite_template)
    db = Database(url)
    entered = asyncio.Event()

    async def cancelled_midway() -> None:
        async with db.transaction() as session:
            await queries.claim_input(session, source_key="k:cancelled")
            entered.set()
            # A slow statement on the driver's thread, cancelled while it runs.
            await (await session.connection()).execute(
                text(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                    "WHERE i < 3000000) SELECT count(*) FROM n"
                )
            )

    task = asyncio.create_task(cancelled_midway())
    await entered.wait()
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The next transactions, short or not, start clean: the cancelled claim is gone,
    # and theirs are kept.
    for n, short in enumerate((True, False, True)):
        async with db.transaction(short=short) as session:
            assert await queries.claim_input(session, source_key=f"k:after{n}")
    await db.dispose()
    kept = sorted(p.source_key for p in await all_rows(url, ProcessedInput))
    assert kept == ["k:after0", "k:after1", "k:after2"]


async def test_prepared_statements_store_what_sqlalchemy_would(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    svc = await started(db, config, flows)
    await say(svc, "SAG-2026-0901", "k:case")
    [answer] = await rows(db, Answer)
    assert answer.value == "SAG-2026-0901" and answer.display == "SAG-2026-0901"
    assert answer.answered_at.utcoffset() == dt.timedelta(0)
    [conversation] = await rows(db, Conversation)
    assert conversation.state["answers"]["case_ref"] == "SAG-2026-0901"
    assert conversation.last_activity.utcoffset() == dt.timedelta(0)
    assert conversation.step == "target_group"
    # The write of a question's ts matches the turn's time as an instant, in any zone.
    assert conversation.id is not None
    await db.write(queries.prompt_ref_writes([(conversation.id, "1.000", None)]))
    local = dt.datetime(2026, 7, 1, 12, 0, tzinfo=CPH_SUMMER)
    async with db.transaction(short=True) as session:
        await (await session.connection()).execute(
            text("UPDATE conversations SET last_activity = :at WHERE id = :id").bindparams(
                at=local.astimezone(dt.UTC).replace(tzinfo=None), id=conversation.id
            )
        )
    later = local + dt.timedelta(seconds=1)
    await db.write(queries.prompt_ref_writes([(conversation.id, "2.000", later)]))
    [conversation] = await rows(db, Conversation)
    assert conversation.prompt_ref == "1.000"  # another turn's: not written
    await db.write(queries.prompt_ref_writes([(conversation.id, "3.000", local)]))
    [conversation] = await rows(db, Conversation)
    assert conversation.prompt_ref == "3.000"  # matched the stored instant


async def test_a_prepared_statements_error_is_sqlalchemys(db: Database) -> None:
    async with db.transaction(short=True) as session:
        session.add(Consultant(user_key="terminal:anna", name="anna"))
    with pytest.raises(exc.IntegrityError):
        async with db.transaction(short=True) as session:
            # An answer of a conversation that does not exist: a foreign key violation.
            await queries._ANSWER_INSERT.execute(
                session,
                {
                    "conversation_id": 999_999,
                    "praktik_id": None,
                    "consultant_id": 999_999,
                    "flow_id": "ny_praktik",
                    "flow_version": "x",
                    "step_id": "case_ref",
                    "question": "?",
                    "value": "SAG-1",
                    "display": "SAG-1",
                    "source_key": "k:bad",
                    "answered_at": dt.datetime.now(dt.UTC),
                    "version": 1,
                },
            )
    assert await rows(db, Answer) == []
    async with db.transaction(short=True) as session:  # the connection is fine after it
        assert (await session.exec(select(Consultant))).one().name == "anna"


async def test_an_idle_connection_the_server_ended_is_replaced(
    postgres_url: str, config: AppConfig, flows: dict[str, Flow], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage_db, "PING_AFTER_IDLE_S", 0.2)
    db = Database(postgres_url)
    try:
        svc = await answered_then_ended(db, config, flows, postgres_url, "SAG-2026-0902")
        await asyncio.sleep(0.3)  # idle longer than PING_AFTER_IDLE_S: pinged at checkout
        reply = await say(svc, "dagpenge", "k:after")
        assert "virksomhed" in (reply.prompt.text if reply.prompt else "")  # type: ignore[attr-defined]
    finally:
        await db.dispose()
    assert {a.value for a in await all_rows(postgres_url, Answer)} == {"SAG-2026-0902", "dagpenge"}


async def test_a_connection_found_dead_mid_turn_is_not_pooled_again(
    postgres_url: str, config: AppConfig, flows: dict[str, Flow], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ended less than PING_AFTER_IDLE_S after its last use: the turn fails (as one in
    flight at the drop would), the consultant can answer again, and that answer goes
    through on a new connection."""
    monkeypatch.setattr(storage_db, "PING_AFTER_IDLE_S", 100)
    db = Database(postgres_url)
    try:
        svc = await answered_then_ended(db, config, flows, postgres_url, "SAG-2026-0903")
        with pytest.raises(exc.DBAPIError) as failed:
            await say(svc, "dagpenge", "k:dropped")
        assert failed.value.connection_invalidated
        reply = await say(svc, "dagpenge", "k:again")
        assert "virksomhed" in (reply.prompt.text if reply.prompt else "")  # type: ignore[attr-defined]
    finally:
        await db.dispose()
    assert {a.value for a in await all_rows(postgres_url, Answer)} == {"SAG-2026-0903", "dagpenge"}


async def answered_then_ended(
    db: Database, config: AppConfig, flows: dict[str, Flow], postgres_url: str, case: str
) -> ConversationService:
    """A conversation with its first answer, then every server session of the store
    ended (the bot's pooled connections among them), as a restart of PostgreSQL would."""
    svc = await started(db, config, flows)
    await say(svc, case, "k:before")
    await end_other_sessions(postgres_url)
    return svc


async def end_other_sessions(postgres_url: str) -> None:
    admin = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        ended = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    assert ended >= 1


async def test_a_turn_cancelled_after_its_claim_can_be_delivered_again(
    postgres_url: str, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """The claim is the turn's first statement, a prepared one: it is part of the turn's
    transaction on PostgreSQL too (asyncpg begins a transaction only at SQLAlchemy's
    first statement). A turn cancelled while it waits for the conversation's row lock
    leaves its input unclaimed: Slack's repeated delivery is the turn, not a duplicate."""
    db = Database(postgres_url)
    other = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        svc = await started(db, config, flows)
        await say(svc, "SAG-2026-0904", "k:case")
        holder = other.transaction()
        await holder.start()
        await other.execute("SELECT id FROM conversations FOR UPDATE")  # e.g. a hand-over
        turn = asyncio.create_task(say(svc, "dagpenge", "k:held"))
        for _ in range(100):  # until the turn waits for the lock
            waiting = await other.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if waiting:
                break
            await asyncio.sleep(0.05)
        assert waiting == 1 and not turn.done()
        turn.cancel()
        with pytest.raises(asyncio.CancelledError):
            await turn
        await holder.rollback()
        assert (
            await other.fetchval(
                "SELECT count(*) FROM processed_inputs WHERE source_key = 'k:held'"
            )
            == 0
        )
        reply: Any = await say(svc, "dagpenge", "k:held")  # Slack delivers it again
        assert not reply.duplicate
        assert "virksomhed" in (reply.prompt.text if reply.prompt else "")
    finally:
        await other.close()
        await db.dispose()
    assert sorted(a.value for a in await all_rows(postgres_url, Answer)) == [
        "SAG-2026-0904",
        "dagpenge",
    ]


async def test_turns_cancelled_at_any_point_leave_no_transaction_open(
    postgres_url: str, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """Turns cancelled after 0, 1, 2, … trips round the event loop — among them in the
    BEGIN that the claim's prepared statement sends first. None leaves a transaction
    open on the server (a connection pooled with asyncpg's failed BEGIN would have its
    next users' turns run inside it as savepoints, never committed, holding their row
    locks), and the next turn is committed for every other connection to see."""
    db = Database(postgres_url)
    other = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        svc = await started(db, config, flows)
        for n in range(60):
            turn = asyncio.create_task(say(svc, "SAG-2026-0905", f"k:cancelled{n}"))
            for _ in range(n % 30):
                await asyncio.sleep(0)
            turn.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await turn
            left_open = await other.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%'"
            )
            assert left_open == 0, f"cancelled after {n % 30} trips"
        reply: Any = await asyncio.wait_for(say(svc, "SAG-2026-0906", "k:after"), 10)
        assert not reply.duplicate
        assert (
            await other.fetchval(
                "SELECT count(*) FROM processed_inputs WHERE source_key = 'k:after'"
            )
            == 1
        )
    finally:
        await other.close()
        await db.dispose()
