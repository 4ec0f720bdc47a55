"""What Slack's delivery rules demand: retries change nothing, double clicks answer once,
slow work never delays the ack, forged or stale requests are refused, errors apologise."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from typing import Any

from sqlalchemy import event

from storage.db import Database
from storage.models import Answer, Conversation, ProcessedInput
from tests.db_support import rows
from tests.slack_harness import SIGNING_SECRET, SlackBot, button_labelled, message_text

ANNA = "UANNA"


async def test_an_event_delivered_four_times_concurrently_is_handled_once(
    bot: SlackBot, db: Database
) -> None:
    root = await bot.dm(ANNA, "ny")
    posts_before = len(bot.slack.calls_to("chat.postMessage"))
    message = bot.slack.add_user_message("DUANNA", "SAG-4444", user=ANNA, thread_ts=root)
    event = {
        "type": "message",
        "channel": "DUANNA",
        "channel_type": "im",
        "user": ANNA,
        "text": "SAG-4444",
        "ts": message["ts"],
        "thread_ts": root,
        "event_ts": message["ts"],
    }
    responses = await asyncio.gather(
        bot.event(event, event_id="EvRETRY1"),
        *(bot.event(event, event_id="EvRETRY1", retry_num=n) for n in (1, 2, 3)),
    )
    assert [r.status for r in responses] == [200, 200, 200, 200]
    await bot.wait_idle()
    answers = [a for a in await rows(db, Answer) if a.step_id == "case_ref"]
    assert [a.value for a in answers] == ["SAG-4444"]
    new_posts = bot.slack.calls_to("chat.postMessage")[posts_before:]
    assert len(new_posts) == 1  # one reply: the next question
    assert "Hvilken målgruppe" in message_text(bot.last(ANNA, root))


async def test_a_top_level_start_delivered_four_times_concurrently_starts_once(
    bot: SlackBot, db: Database
) -> None:
    """`ny` claims its input only in the start's own transaction: a retry of it, or of a
    flow about a praktik that shows the picker (claimed before it), still posts once."""
    for text, expected in (("ny", "Hvad er sagens reference"), ("afslut", "ingen aktive")):
        message = bot.slack.add_user_message("DUANNA", text, user=ANNA)
        event = {
            "type": "message",
            "channel": "DUANNA",
            "channel_type": "im",
            "user": ANNA,
            "text": text,
            "ts": message["ts"],
            "event_ts": message["ts"],
        }
        posts_before = len(bot.slack.calls_to("chat.postMessage"))
        responses = await asyncio.gather(
            bot.event(event, event_id=f"EvTOP{text}"),
            *(bot.event(event, event_id=f"EvTOP{text}", retry_num=n) for n in (1, 2, 3)),
        )
        assert [r.status for r in responses] == [200, 200, 200, 200]
        await bot.wait_idle()
        posted = [c.params["text"] for c in bot.slack.calls_to("chat.postMessage")[posts_before:]]
        assert posted and len(posted) == len(set(posted)), posted  # each message once
        assert expected in message_text(bot.last(ANNA, message["ts"]))
    conversations = await rows(db, Conversation)
    assert [c.flow_id for c in conversations] == ["ny_praktik"]


async def test_a_top_level_ny_and_an_answer_cost_two_transactions_each(
    bot: SlackBot, db: Database
) -> None:
    """`ny`: the start (the input claimed in it) and the new question's message ts; an
    answer: the turn and the ts. No transaction of their own for claims. Each
    transaction is one checkout of a pooled connection (`Database.transaction` through a
    session, `Database.write` of the ts on the driver's connection): counted there."""
    begun = [0]

    @event.listens_for(bot.deps.db.engine.sync_engine, "checkout")
    def count(*_: Any) -> None:
        begun[0] += 1

    await bot.dm(ANNA, "hjælp")  # the consultant's first input: the row is created
    begun[0] = 0
    root = await bot.dm(ANNA, "ny")
    assert begun[0] == 2
    begun[0] = 0
    await bot.dm(ANNA, "SAG-4445", thread_ts=root)
    assert begun[0] == 2
    assert "Hvilken målgruppe" in message_text(bot.last(ANNA, root))


async def test_a_double_click_answers_once(bot: SlackBot, db: Database) -> None:
    root = await bot.dm(ANNA, "afslut")
    texts = message_text(bot.last(ANNA, root))
    assert "ingen aktive praktikker" in texts
    root = await bot.dm(ANNA, "ny")
    await bot.dm(ANNA, "SAG-5", thread_ts=root)
    await bot.click(
        ANNA, bot.last(ANNA, root), lambda e: e["type"] == "static_select", selected="dagpenge"
    )
    await bot.dm(ANNA, "Eksempel ApS", thread_ts=root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Spring over")
    question = copy.deepcopy(bot.last(ANNA, root))  # as the consultant's client shows it
    assert "Ved du allerede" in message_text(question)
    first, second = await asyncio.gather(
        bot.click(ANNA, question, button_labelled("Ja, jeg vælger selv"), wait=False),
        bot.click(ANNA, question, button_labelled("Ja, jeg vælger selv"), wait=False),
    )
    assert (first.status, second.status) == (200, 200)
    await bot.wait_idle()
    answers = [a for a in await rows(db, Answer) if a.step_id == "type_method"]
    assert [a.value for a in answers] == ["known"]
    assert bot.slack.ephemerals[-1]["text"].startswith("Det spørgsmål er allerede besvaret")
    assert "Hvilken type praktik" in message_text(bot.last(ANNA, root))
    shown = message_text(bot.slack.message("DUANNA", question["ts"]))
    assert "✅ Ja, jeg vælger selv" in shown
    # A later click on the old message (a stale client) is explained, not answered.
    ephemerals = len(bot.slack.ephemerals)
    await bot.click(ANNA, question, button_labelled("Hjælp mig med at vælge"))
    assert len(bot.slack.ephemerals) == ephemerals + 1
    assert len([a for a in await rows(db, Answer) if a.step_id == "type_method"]) == 1
    assert "Hvilken type praktik" in message_text(bot.last(ANNA, root))


async def test_slow_work_never_delays_the_ack(bot: SlackBot, db: Database) -> None:
    bot.slack.delays["conversations.open"] = 5.0  # Slack is slow: the work takes > 5 s
    started = time.monotonic()
    response = await bot.command(ANNA, "ny")
    acked = time.monotonic() - started
    assert response.status == 200
    assert acked < 1.0, f"ack took {acked:.2f}s"
    assert "Jeg starter 'Ny praktik'" in await response.text()
    await bot.wait_idle(timeout=20)
    assert any("Hvad er sagens reference" in message_text(m) for m in bot.slack.messages["DUANNA"])


async def test_forged_or_stale_requests_get_401_and_change_nothing(
    bot: SlackBot, db: Database
) -> None:
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": "EvBAD",
            "team_id": "T0TEST",
            "event": {
                "type": "message",
                "channel": "DUANNA",
                "channel_type": "im",
                "user": ANNA,
                "text": "ny",
                "ts": "1.1",
            },
        }
    )
    forged = await bot.post(body, content_type="application/json", secret="f" * 32)
    stale = await bot.post(body, content_type="application/json", timestamp=int(time.time()) - 301)
    unsigned = await bot.client.post(
        "/slack/events", data=body, headers={"Content-Type": "application/json"}
    )
    assert (forged.status, stale.status, unsigned.status) == (401, 401, 401)
    await bot.wait_idle()
    assert await rows(db, ProcessedInput) == []
    assert await rows(db, Conversation) == []
    assert bot.slack.calls_to("chat.postMessage") == []
    fresh = await bot.post(body, content_type="application/json", secret=SIGNING_SECRET)
    assert fresh.status == 200


async def test_a_failing_listener_apologises_in_danish(bot: SlackBot, db: Database) -> None:
    bot.slack.fail_next("chat.postMessage", status=200, error="channel_not_found")
    await bot.dm(ANNA, "ny")
    texts = [m["text"] for m in bot.slack.messages["DUANNA"] if m.get("user") == "UBOT"]
    assert any(t.startswith("Beklager, der gik noget galt") for t in texts)


async def test_url_verification_and_healthz(bot: SlackBot) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"})
    response = await bot.post(body, content_type="application/json")
    assert response.status == 200
    assert "abc123" in await response.text()
    health = await bot.client.get("/healthz")
    assert health.status == 200
    assert (await health.json())["database"] == "ok"


async def test_cpr_in_a_slack_message_is_refused_and_stored_nowhere(
    bot: SlackBot, db: Database
) -> None:
    root = await bot.dm(ANNA, "ny")
    await bot.dm(ANNA, "Borger 010190-1234", thread_ts=root)
    assert "ligner et CPR-nummer" in bot.last_text(ANNA, root) or any(
        "ligner et CPR-nummer" in message_text(m) for m in bot.bot_messages(ANNA, root)
    )
    await bot.dm(ANNA, "0101901234")
    response = await bot.command(ANNA, "ny 0101901234")
    assert "CPR" in await response.text()
    for model in (Answer, Conversation, ProcessedInput):
        assert "0101901234" not in repr(await rows(db, model))
        assert "010190-1234" not in repr(await rows(db, model))
    sent = json.dumps([c.params for c in bot.slack.calls], ensure_ascii=False)
    assert "0101901234" not in sent
    assert "010190-1234" not in sent
