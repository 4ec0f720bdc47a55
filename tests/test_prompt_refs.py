"""The question's message ts, written behind the post (bot.prompt_refs): a late write
never overwrites a newer turn's, the next turn closes the question just posted even
before the write, `flush` (what shutdown and a hand-over call) stores everything queued,
a wave's refs take one transaction; a failed write is tried again (a lock held by
another process, a deadlock with another instance), a cancelled writer leaves nothing
behind, a local clock's repeated autumn hour still matches — on SQLite and PostgreSQL,
through the service and the Slack app."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import sqlite3
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.config import AppConfig
from bot.conversations import Actor, ConversationService, Reply
from bot.prompt_refs import WRITER
from dialogues.model import Flow
from dialogues.state import UserInput
from storage.db import Database
from storage.models import Conversation
from tests.db_support import rows
from tests.slack_harness import SlackBot, message_text

ANNA = Actor(user_key="terminal:anna", name="anna")


def service(db: Database, config: AppConfig, flows: dict[str, Flow]) -> ConversationService:
    return ConversationService(db=db, config=config, flows=flows)


async def say(svc: ConversationService, text: str, now: dt.datetime) -> Reply:
    return await svc.answer(
        actor=ANNA,
        key=ANNA.user_key,
        inp=UserInput(text=text),
        source_key=f"k:{uuid.uuid4().hex}",
        now=now,
    )


async def at_company_question(svc: ConversationService, now: dt.datetime) -> Reply:
    await svc.start(
        actor=ANNA, key=ANNA.user_key, flow_id="ny_praktik", source_key="k:start", now=now
    )
    await say(svc, "SAG-2026-0901", now)
    reply = await say(svc, "dagpenge", now + dt.timedelta(seconds=1))
    assert reply.prompt is not None and "virksomhed" in reply.prompt.text
    return reply


def queue_wave(svc: ConversationService, replies: list[Reply], *, first: int) -> None:
    """Queue a ts for each reply's question, as a wave of posts does: `first`.000, …"""
    for number, reply in enumerate(replies):
        assert reply.conversation_id is not None
        svc.set_prompt_ref(
            conversation_id=reply.conversation_id,
            prompt_ref=f"{first + number}.000",
            asked_at=reply.asked_at,
        )


async def stored_ref(db: Database) -> str | None:
    [conversation] = await rows(db, Conversation)
    return conversation.prompt_ref


NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


async def test_a_late_ref_never_overwrites_a_newer_turns(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """Two instances: the second answers before the first's write of the question's ts
    arrives; the newer question's ts stays (an unconditional write would replace it)."""
    first, second = service(db, config, flows), service(db, config, flows)
    asked = await at_company_question(first, NOW)
    newer = await say(second, "Eksempel Lager ApS", NOW + dt.timedelta(seconds=5))
    assert newer.prompt is not None and "P-nummer" in newer.prompt.text
    assert newer.conversation_id is not None
    assert newer.conversation_id == asked.conversation_id
    second.set_prompt_ref(
        conversation_id=newer.conversation_id, prompt_ref="200.000", asked_at=newer.asked_at
    )
    await second.flush_prompt_refs()
    first.set_prompt_ref(
        conversation_id=asked.conversation_id, prompt_ref="100.000", asked_at=asked.asked_at
    )
    await first.flush_prompt_refs()
    assert await stored_ref(db) == "200.000"


async def test_the_next_turn_closes_a_question_whose_ts_is_still_queued(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """The ts is queued and the answer arrives at once: the turn takes the ts from the
    queue (the question to close), and the row has it afterwards."""
    svc = service(db, config, flows)
    asked = await at_company_question(svc, NOW)
    assert asked.conversation_id is not None
    svc.set_prompt_ref(
        conversation_id=asked.conversation_id, prompt_ref="300.000", asked_at=asked.asked_at
    )
    reply = await say(svc, "Eksempel Lager ApS", NOW + dt.timedelta(seconds=5))
    assert reply.previous_prompt_ref == "300.000"
    assert reply.previous_question is not None and "virksomhed" in reply.previous_question
    await svc.flush_prompt_refs()
    assert await stored_ref(db) == "300.000"  # until the new question's ts replaces it


async def test_flush_writes_everything_queued_in_one_transaction(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """A wave of questions posted at once costs one transaction for their ts, and
    `flush` (what shutdown calls) returns when they are stored."""
    from sqlalchemy import event

    svcs = [service(db, config, flows) for _ in range(3)]
    replies = []
    for number, svc in enumerate(svcs):
        actor = Actor(user_key=f"terminal:c{number}", name=f"c{number}")
        await svc.start(
            actor=actor, key=actor.user_key, flow_id="ny_praktik", source_key=f"s{number}", now=NOW
        )
        replies.append(
            await svc.answer(
                actor=actor,
                key=actor.user_key,
                inp=UserInput(text="SAG-2026-0902"),
                source_key=f"a{number}",
                now=NOW,
            )
        )
    checkouts = [0]

    # One write (Database.write) is one transaction on one pooled connection, begun and
    # committed on the driver's connection, not through SQLAlchemy: counted at checkout.
    @event.listens_for(db.engine.sync_engine, "checkout")
    def count(*_: object) -> None:
        checkouts[0] += 1

    writer = svcs[0]
    queue_wave(writer, replies, first=400)
    await writer.flush_prompt_refs()
    assert checkouts[0] == 1
    stored = {c.id: c.prompt_ref for c in await rows(db, Conversation)}
    assert stored == {r.conversation_id: f"{400 + n}.000" for n, r in enumerate(replies)}


async def test_in_slack_the_question_answered_at_once_is_closed(
    bot: SlackBot, db: Database
) -> None:
    """Through the app: each question's message is the one the next answer marks
    answered, and the row ends with the last question's ts."""
    root = await bot.dm("UANNA", "ny")
    question = bot.last("UANNA", root)
    await bot.dm("UANNA", "SAG-2026-0903", thread_ts=root)
    shown = message_text(bot.slack.message("DUANNA", question["ts"]))
    assert "SAG-2026-0903" in shown  # the case-reference question, answered
    latest = bot.last("UANNA", root)
    assert "målgruppe" in message_text(latest)
    await bot.wait_idle()
    [conversation] = await rows(db, Conversation)
    assert conversation.prompt_ref == latest["ts"]


# --- what a second pair of eyes tried (4 December) -------------------------------------


async def at_first_question(svc: ConversationService, actor: Actor, now: dt.datetime) -> Reply:
    """`actor` started 'Ny praktik' and gave the case reference: the target-group question."""
    await svc.start(
        actor=actor, key=actor.user_key, flow_id="ny_praktik", source_key=f"s:{actor.name}",
        now=now,
    )  # fmt: skip
    return await svc.answer(
        actor=actor, key=actor.user_key, inp=UserInput(text="SAG-2026-0902"),
        source_key=f"a:{actor.name}", now=now,
    )  # fmt: skip


async def test_a_failed_write_is_tried_again(
    tmp_path: Path, sqlite_template: Path, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """Another process holds the SQLite write lock past the busy timeout while the ts is
    written: it is written once the lock is free, and the next answer closes that
    question, not the one before it."""
    path = tmp_path / "praktikbot.sqlite3"
    shutil.copy(sqlite_template, path)
    db_url = f"sqlite+aiosqlite:///{path}"
    db = Database(db_url, busy_timeout_ms=100)
    svc = service(db, config, flows)
    try:
        first = await at_first_question(svc, ANNA, NOW)
        assert first.conversation_id is not None
        svc.set_prompt_ref(
            conversation_id=first.conversation_id, prompt_ref="100.000", asked_at=first.asked_at
        )
        await svc.flush_prompt_refs()
        second = await say(svc, "dagpenge", NOW + dt.timedelta(seconds=1))
        assert second.previous_prompt_ref == "100.000"
        other = sqlite3.connect(db_url.removeprefix("sqlite+aiosqlite:///"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        svc.set_prompt_ref(
            conversation_id=first.conversation_id, prompt_ref="200.000", asked_at=second.asked_at
        )
        await asyncio.sleep(0.15)  # the first attempt times out meanwhile
        other.execute("COMMIT")
        other.close()
        await svc.flush_prompt_refs()
        assert await stored_ref(db) == "200.000"
        third = await say(svc, "Eksempel Lager ApS", NOW + dt.timedelta(seconds=5))
        assert third.previous_prompt_ref == "200.000"
    finally:
        await db.dispose()


async def test_a_batch_that_meets_a_lock_conflict_is_written_after_it(
    postgres_url: str, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """PostgreSQL (row locks): another instance locks one of a wave's conversations, then
    one the writer already holds — a deadlock PostgreSQL ends by aborting the writer.
    Every ts of the wave is stored all the same (tried again), not only the contested
    ones."""
    db_url = postgres_url
    db = Database(db_url)
    try:
        await _wave_against_a_lock(db, db_url, config, flows)
    finally:
        await db.dispose()


async def _wave_against_a_lock(
    db: Database, db_url: str, config: AppConfig, flows: dict[str, Flow]
) -> None:
    svc = service(db, config, flows)
    replies = [
        await at_first_question(svc, Actor(user_key=f"terminal:c{n}", name=f"c{n}"), NOW)
        for n in range(3)
    ]
    ids = [r.conversation_id for r in replies]
    other = Database(db_url)
    try:
        async with other.engine.connect() as conn:
            await conn.begin()
            await conn.execute(
                text("SELECT 1 FROM conversations WHERE id = :i FOR UPDATE"), {"i": ids[1]}
            )
            queue_wave(svc, replies, first=500)
            flushed = asyncio.ensure_future(svc.flush_prompt_refs())
            await asyncio.sleep(0.3)  # the writer holds the first row and waits for the second
            try:
                await conn.execute(
                    text("UPDATE conversations SET status = status WHERE id = :i"), {"i": ids[0]}
                )
                await conn.commit()
            except Exception:  # this side may be the one PostgreSQL aborts
                await conn.rollback()
        await flushed
    finally:
        await other.dispose()
    stored = {c.id: c.prompt_ref for c in await rows(db, Conversation)}
    assert stored == {r.conversation_id: f"{500 + n}.000" for n, r in enumerate(replies)}


async def test_flush_does_not_wait_for_what_is_queued_after_it(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """A steady stream of new questions does not hold up a hand-over's (or shutdown's)
    flush: it returns while the stream still runs."""
    svc = service(db, config, flows)
    reply = await at_first_question(svc, ANNA, NOW)
    conversation_id = reply.conversation_id
    assert conversation_id is not None
    flushed = asyncio.Event()

    async def stream() -> int:
        n = 0
        while not flushed.is_set() and n < 5000:
            svc.set_prompt_ref(
                conversation_id=conversation_id, prompt_ref=f"{n}.0", asked_at=reply.asked_at
            )
            n += 1
            await asyncio.sleep(0.001)
        return n

    producer = asyncio.ensure_future(stream())
    await asyncio.sleep(0.01)
    await svc.flush_prompt_refs()
    flushed.set()
    assert await producer < 5000  # the flush returned before the stream ran out
    await svc.flush_prompt_refs()


async def test_a_writer_cancelled_midway_leaves_nothing_behind(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """The writer is cancelled while it waits for the store and a second ts is queued:
    `flush` still stores both."""
    svc = service(db, config, flows)
    a, b = [
        await at_first_question(svc, Actor(user_key=f"terminal:c{n}", name=f"c{n}"), NOW)
        for n in range(2)
    ]
    assert a.conversation_id is not None and b.conversation_id is not None
    lock = (
        "SELECT 1 FROM conversations WHERE id = :i FOR UPDATE"
        if db.dialect == "postgresql"
        else "SELECT 1 WHERE :i IS NOT NULL"
    )
    async with db.transaction() as session:  # on SQLite: the process's write lock
        await session.execute(text(lock), {"i": a.conversation_id})
        svc.set_prompt_ref(
            conversation_id=a.conversation_id, prompt_ref="600.000", asked_at=a.asked_at
        )
        await asyncio.sleep(0.2)
        svc.set_prompt_ref(
            conversation_id=b.conversation_id, prompt_ref="601.000", asked_at=b.asked_at
        )
        [writer] = [t for t in asyncio.all_tasks() if t.get_name() == WRITER]
        writer.cancel()
        await asyncio.sleep(0.05)
    await svc.flush_prompt_refs()
    stored = {c.id: c.prompt_ref for c in await rows(db, Conversation)}
    assert stored == {a.conversation_id: "600.000", b.conversation_id: "601.000"}


@pytest.mark.parametrize("in_the_repeated_hour", [True, False])
async def test_a_local_clock_in_the_autumn_hour_it_repeats(
    in_the_repeated_hour: bool, db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """With an aware local clock, a turn in the hour Copenhagen repeats on the last Sunday
    of October still finds the ts queued by the turn before (compared in UTC)."""
    day = 25 if in_the_repeated_hour else 24
    start = dt.datetime(2026, 10, day, 2, 5, tzinfo=ZoneInfo("Europe/Copenhagen"))
    svc = service(db, config, flows)
    first = await at_first_question(svc, ANNA, start)
    assert first.conversation_id is not None
    svc.set_prompt_ref(
        conversation_id=first.conversation_id, prompt_ref="100.000", asked_at=first.asked_at
    )
    second = await say(svc, "dagpenge", start + dt.timedelta(minutes=2))
    assert second.previous_prompt_ref == "100.000"
    await svc.flush_prompt_refs()  # as shutdown does: no write left running at the end
