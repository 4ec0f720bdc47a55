"""The question's message ts, written behind the post (bot.prompt_refs): a late write
never overwrites a newer turn's, the next turn closes the question just posted even
before the write, `flush` (what shutdown and a hand-over call) stores everything queued,
a wave's refs take one transaction — on SQLite and PostgreSQL, through the service and
the Slack app."""

from __future__ import annotations

import datetime as dt
import uuid

from bot.config import AppConfig
from bot.conversations import Actor, ConversationService, Reply
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
    begun = [0]

    @event.listens_for(db.engine.sync_engine, "begin")
    def count(_conn: object) -> None:
        begun[0] += 1

    writer = svcs[0]
    for number, reply in enumerate(replies):
        assert reply.conversation_id is not None
        writer.set_prompt_ref(
            conversation_id=reply.conversation_id,
            prompt_ref=f"{400 + number}.000",
            asked_at=reply.asked_at,
        )
    await writer.flush_prompt_refs()
    assert begun[0] == 1
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
