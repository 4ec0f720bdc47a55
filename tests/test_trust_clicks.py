"""Buttons idempotent by state and retries that say nothing (issue 9, bullet 8), through
the real app: a second click on an already applied reminder action changes nothing and
says so, whatever its action_ts; a start button does not start what is already open; a
late retry of any event after its conversation finished posts nothing."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import time
import uuid
from typing import Any

import pytest

from bot.reminders.scheduler import tick
from bot.reminders.sending import slack_client
from dialogues.dates import format_danish_date
from storage.db import Database
from storage.models import Answer, AuditEntry, Conversation, FollowUp
from tests.db_support import rows
from tests.reminder_support import local
from tests.slack_harness import SlackBot, button_labelled, message_text

ANNA = "UANNA"


@pytest.fixture(autouse=True)
def before_the_reminders(bot: SlackBot) -> None:
    """The bot's clock at 07:00 on a working day: the praktik registered before the
    08:05 run that reminds of its first follow-up, whatever time the tests run."""
    bot.deps.clock = lambda: local(dt.date(2026, 12, 7), 7, 0)


async def first_followup(db: Database) -> FollowUp:
    return sorted(await rows(db, FollowUp), key=lambda f: (f.due_date, f.id))[0]


async def reminder(bot: SlackBot, db: Database, day: dt.date) -> dict[str, Any]:
    """Run the scheduler at 08:05 on `day`; the newest reminder DM, as Slack shows it."""
    async with slack_client("xoxb-test-token", bot.slack.base_url) as client:
        await tick(
            db=db, client=client, config=bot.deps.config, now=local(day, 8, 5), instance_id="t"
        )
    sent = [m for m in bot.slack.messages["DUANNA"] if "Påmindelse" in (m.get("text") or "")]
    return copy.deepcopy(sent[-1])


def ephemerals_to(bot: SlackBot, user: str) -> list[str]:
    return [e["text"] for e in bot.slack.ephemerals if e["user"] == user]


async def test_a_double_click_on_postpone_moves_the_follow_up_once(
    bot: SlackBot, db: Database
) -> None:
    await bot.register_praktik(ANNA, "SAG-2026-8001")
    first = await first_followup(db)
    message = await reminder(bot, db, first.due_date)

    def postpone(e: dict[str, Any]) -> bool:  # "Udskyd 1 arbejdsdag" in the overflow menu
        return e["type"] == "overflow"

    await bot.click(ANNA, message, postpone, selected="postpone:1")  # two block_actions
    await bot.click(ANNA, message, postpone, selected="postpone:1")
    moved = await first_followup(db)
    assert moved.id == first.id
    assert moved.postponed_from == first.due_date
    assert moved.due_date > first.due_date
    assert (moved.version, moved.status) == (first.version + 1, "planned")
    date = format_danish_date(moved.due_date)
    assert ephemerals_to(bot, ANNA) == [
        f"Opfølgningen er allerede udskudt til {date}. Intet er ændret."
    ]
    changes = [e for e in await rows(db, AuditEntry) if e.detail.get("followup") == first.id]
    assert [e.action for e in changes] == ["change"]
    # Another button of the same old reminder: the same answer, nothing changes.
    await bot.click(ANNA, message, button_labelled("Markér som afholdt"))
    await bot.click(ANNA, message, postpone, selected="pick_date")  # no date picker shown
    assert "datepicker" not in json.dumps(bot.slack.message("DUANNA", message["ts"])["blocks"])
    again = await first_followup(db)
    assert (again.status, again.due_date, again.version) == (
        "planned",
        moved.due_date,
        moved.version,
    )
    assert len(ephemerals_to(bot, ANNA)) == 3


async def test_two_simultaneous_clicks_on_held_apply_once(bot: SlackBot, db: Database) -> None:
    await bot.register_praktik(ANNA, "SAG-2026-8002")
    first = await first_followup(db)
    message = await reminder(bot, db, first.due_date)
    held = button_labelled("Markér som afholdt")
    responses = await asyncio.gather(
        bot.click(ANNA, message, held, wait=False), bot.click(ANNA, message, held, wait=False)
    )
    assert [r.status for r in responses] == [200, 200]
    await bot.wait_idle()
    [stored] = [f for f in await rows(db, FollowUp) if f.id == first.id]
    assert (stored.status, stored.version) == ("held", first.version + 1)
    assert ephemerals_to(bot, ANNA) == [
        "Opfølgningen er allerede markeret som afholdt. Intet er ændret."
    ]
    shown = message_text(bot.slack.message("DUANNA", message["ts"]))
    assert "Markeret som afholdt" in shown


async def test_a_second_click_on_a_start_button_points_to_the_open_conversation(
    bot: SlackBot, db: Database
) -> None:
    await bot.register_praktik(ANNA, "SAG-2026-8003")
    first = await first_followup(db)
    message = await reminder(bot, db, first.due_date)
    parents_before = [m for m in bot.slack.messages["DUANNA"] if not m.get("thread_ts")]
    await bot.click(ANNA, message, button_labelled("Forbered møde"))
    await bot.click(ANNA, message, button_labelled("Forbered møde"))
    opened = [c for c in await rows(db, Conversation) if c.flow_id == "forbered_moede"]
    assert [c.status for c in opened] == ["active"]
    parents = [m for m in bot.slack.messages["DUANNA"] if not m.get("thread_ts")]
    new = parents[len(parents_before) :]
    assert len(new) == 2  # the flow's thread, and the note about it
    assert "Du er allerede i gang med 'Forbered møde' for P-1001" in message_text(new[-1])
    # Two simultaneous clicks on a Home button start one conversation too.
    await bot.event({"type": "app_home_opened", "user": ANNA, "tab": "home", "event_ts": "1.0"})
    await bot.wait_idle()
    home = {"ts": "0", "channel": "DUANNA", "blocks": bot.slack.home_views[ANNA]["blocks"]}
    await asyncio.gather(
        bot.click(ANNA, home, button_labelled("Ret periode"), wait=False),
        bot.click(ANNA, home, button_labelled("Ret periode"), wait=False),
    )
    await bot.wait_idle()
    periods = [c for c in await rows(db, Conversation) if c.flow_id == "ret_periode"]
    assert [c.status for c in periods] == ["active"]


def reply_event(bot: SlackBot, user: str, root: str, text: str) -> dict[str, Any]:
    """A thread reply as the Events API delivers it (the message stored in the stand-in)."""
    message = bot.slack.add_user_message(f"D{user}", text, user=user, thread_ts=root)
    return {
        "type": "message",
        "channel": f"D{user}",
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": message["ts"],
        "thread_ts": root,
        "event_ts": message["ts"],
    }


async def test_a_late_retry_after_the_conversation_was_saved_posts_nothing(
    bot: SlackBot, db: Database
) -> None:
    await bot.register_praktik(ANNA, "SAG-2026-8004")
    root = await bot.dm(ANNA, "tilføj opfølgning")  # her only praktik: started on it
    await bot.click_button(ANNA, bot.last(ANNA, root), "Opstartsmøde")
    day = bot.deps.clock().astimezone(bot.deps.config.tz).date() + dt.timedelta(days=10)
    await bot.click(
        ANNA, bot.last(ANNA, root), lambda e: e["type"] == "datepicker", selected=day.isoformat()
    )
    event = reply_event(bot, ANNA, root, "Status på fremmøde")
    assert (await bot.event(event, event_id="EvLATE0001")).status == 200
    await bot.wait_idle()
    summary = copy.deepcopy(bot.last(ANNA, root))
    confirm = await click_payload(bot, ANNA, summary, "Gem")
    assert (await bot.interactive(confirm)).status == 200
    await bot.wait_idle()
    [saved] = [c for c in await rows(db, Conversation) if c.flow_id == "ny_opfoelgning"]
    assert saved.status == "done"
    thread, calls = copy.deepcopy(bot.thread(ANNA, root)), len(bot.slack.calls)
    ephemerals, answers = len(bot.slack.ephemerals), len(await rows(db, Answer))

    # Slack's last retry of the reply (same event_id), and a repeated delivery of the click.
    assert (await bot.event(event, event_id="EvLATE0001", retry_num=3)).status == 200
    assert (await bot.interactive(confirm)).status == 200
    await bot.wait_idle()
    assert bot.thread(ANNA, root) == thread  # no help menu, no apology, nothing
    assert len(bot.slack.calls) == calls
    assert len(bot.slack.ephemerals) == ephemerals
    assert len(await rows(db, Answer)) == answers


async def test_retries_of_refused_and_top_level_messages_post_nothing_twice(
    bot: SlackBot, db: Database
) -> None:
    root = await bot.dm(ANNA, "ny")
    await bot.dm(ANNA, "afbryd", thread_ts=root)  # the conversation is cancelled
    top = bot.slack.messages["DUANNA"][0]
    event = {
        "type": "message",
        "channel": "DUANNA",
        "channel_type": "im",
        "user": ANNA,
        "text": "ny",
        "ts": top["ts"],
        "event_ts": top["ts"],
    }
    cpr = reply_event(bot, ANNA, root, "borgeren har 010190-1234")
    foreign = {**reply_event(bot, ANNA, root, "hej"), "channel": "DUBO"}  # not her DM
    for one in (cpr, foreign):
        assert (await bot.event(one, event_id=f"Ev{one['ts']}")).status == 200
    await bot.wait_idle()
    calls = len(bot.slack.calls_to("chat.postMessage"))
    denied = len([e for e in await rows(db, AuditEntry) if e.action == "denied"])
    for one in (event, cpr, foreign):
        await bot.event(one, event_id=f"Ev{one['ts']}", retry_num=3)
    await bot.wait_idle()
    assert len(bot.slack.calls_to("chat.postMessage")) == calls
    assert len([e for e in await rows(db, AuditEntry) if e.action == "denied"]) == denied == 1


async def click_payload(
    bot: SlackBot, user: str, message: dict[str, Any], label: str
) -> dict[str, Any]:
    """The block_actions payload of one click on a button, to deliver more than once."""
    for block in message["blocks"]:
        for element in block.get("elements") or []:
            if element.get("type") == "button" and element["text"]["text"] == label:
                return {
                    "type": "block_actions",
                    "team": {"id": "T0TEST"},
                    "user": {"id": user, "team_id": "T0TEST"},
                    "api_app_id": "A0STANDIN",
                    "trigger_id": bot.slack.issue_trigger_id(),
                    "container": {
                        "type": "message",
                        "message_ts": message["ts"],
                        "channel_id": message["channel"],
                    },
                    "channel": {"id": message["channel"]},
                    "message": {k: message[k] for k in ("ts", "text", "blocks", "thread_ts")},
                    "actions": [
                        {
                            "type": "button",
                            "action_id": element["action_id"],
                            "block_id": block["block_id"],
                            "value": element.get("value"),
                            "action_ts": f"{time.time():.6f}{uuid.uuid4().int % 1000:03d}",
                        }
                    ],
                }
    raise AssertionError(f"no button {label!r}: {json.dumps(message['blocks'])[:300]}")


async def test_a_double_click_on_skip_or_back_moves_one_step(bot: SlackBot, db: Database) -> None:
    root = await bot.dm(ANNA, "ny")
    await bot.dm(ANNA, "SAG-2026-8005", thread_ts=root)
    await bot.click(
        ANNA, bot.last(ANNA, root), lambda e: e["type"] == "static_select", selected="dagpenge"
    )
    await bot.dm(ANNA, "Eksempel Montage ApS", thread_ts=root)
    optional = copy.deepcopy(bot.last(ANNA, root))  # the P-number: optional
    await bot.click(ANNA, optional, button_labelled("Spring over"))
    await bot.click(ANNA, optional, button_labelled("Spring over"))
    assert "Ved du allerede" in bot.last_text(ANNA, root)  # skipped once, not twice
    question = copy.deepcopy(bot.last(ANNA, root))
    await bot.click(ANNA, question, button_labelled("Tilbage"))
    await bot.click(ANNA, question, button_labelled("Tilbage"))
    [conversation] = [c for c in await rows(db, Conversation) if c.active_key]
    assert conversation.step == "p_number"  # back once, not to the company
    stale = "Det spørgsmål er allerede besvaret"
    assert [t.startswith(stale) for t in ephemerals_to(bot, ANNA)] == [True, True]
