"""Reminders as a consultant meets them in Slack: the DM on the due day, and what its
buttons do — postpone, mark as held, start the follow-up form — through signed actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.reminders.scheduler import tick
from bot.reminders.sending import slack_client
from storage.db import Database
from storage.models import Delivery, FollowUp, Praktik
from tests.db_support import rows
from tests.reminder_support import local
from tests.slack_harness import BOT_TOKEN, SlackBot, button_labelled, message_text

ANNA, BO = "UANNA", "UBO"


async def register(bot: SlackBot) -> Praktik:
    """A jobpraktik starting the Monday after next, registered by Anna in Slack: its
    opstart follow-up (due the Friday before) lies ahead whatever day the tests run —
    from next Monday, it was due the same day on a Friday and had passed at a weekend."""
    today = bot.deps.clock().astimezone(bot.deps.config.tz).date()
    start = today + dt.timedelta(days=7 - today.weekday() + 7)
    await bot.register_praktik(
        ANNA, "SAG-2026-0700", company="Eksempel Lager ApS", start=start, days=25
    )
    [praktik] = await rows(db_of(bot), Praktik)
    return praktik


def db_of(bot: SlackBot) -> Database:
    return bot.deps.db


async def run_tick(bot: SlackBot, now: dt.datetime) -> None:
    async with slack_client(BOT_TOKEN, bot.slack.base_url) as client:
        await tick(
            db=bot.deps.db, client=client, config=bot.deps.config, now=now, instance_id="test"
        )


def reminders_to(bot: SlackBot, user: str) -> list[dict[str, Any]]:
    return [
        m
        for m in bot.slack.messages.get(f"D{user}", [])
        if m.get("user") == "UBOT"
        and not m.get("thread_ts")
        and "Påmindelse" in (m.get("text") or "")
    ]


async def first_followup(db: Database) -> FollowUp:
    return sorted(await rows(db, FollowUp), key=lambda f: f.due_date)[0]


async def test_postpone_then_mark_held_from_the_reminder(bot: SlackBot, db: Database) -> None:
    await register(bot)
    opstart = await first_followup(db)
    await run_tick(bot, local(opstart.due_date, 8, 1))
    [reminder] = reminders_to(bot, ANNA)
    text = message_text(reminder)
    assert "SAG-2026-0700" in text
    assert "Eksempel Lager ApS" in text  # a DM to the responsible consultant may name it

    # Someone else's hand-made click on Anna's reminder changes nothing.
    await bot.click(BO, reminder, lambda e: e["type"] == "overflow", selected="postpone:2")
    assert (await first_followup(db)).due_date == opstart.due_date

    await bot.click(ANNA, reminder, lambda e: e["type"] == "overflow", selected="postpone:2")
    moved = next(f for f in await rows(db, FollowUp) if f.id == opstart.id)
    assert moved.due_date > opstart.due_date
    assert "Udskudt til" in message_text(bot.slack.message("DUANNA", reminder["ts"]))
    pending = [
        d for d in await rows(db, Delivery) if d.followup_id == opstart.id and d.status == "pending"
    ]
    assert all(d.due_at > local(opstart.due_date, 8, 1) for d in pending)

    # On the new day the reminder comes again; "Markér som afholdt" closes it.
    await run_tick(bot, local(moved.due_date, 8, 1))
    again = reminders_to(bot, ANNA)[-1]
    assert again["ts"] != reminder["ts"]
    await bot.click(ANNA, again, button_labelled("Markér som afholdt"))
    held = next(f for f in await rows(db, FollowUp) if f.id == opstart.id)
    assert held.status == "held"
    assert "afholdt" in message_text(bot.slack.message("DUANNA", again["ts"])).lower()
    await run_tick(bot, local(moved.due_date, 8, 1) + dt.timedelta(days=3))
    posted = [
        c
        for c in bot.slack.calls_to("chat.postMessage")
        if str(c.params.get("text", "")).startswith(("Påmindelse", "Overskredet"))
    ]
    assert len(posted) == 2  # no more reminders about it


async def test_the_follow_up_form_started_from_a_reminder_marks_it_held(
    bot: SlackBot, db: Database
) -> None:
    await register(bot)
    followups = sorted(await rows(db, FollowUp), key=lambda f: f.due_date)
    midway = next(f for f in followups if f.kind == "midtvejs")
    await run_tick(bot, local(midway.due_date, 8, 1))
    reminder = next(m for m in reminders_to(bot, ANNA) if "idtvejs" in message_text(m))
    bot.deps.clock = lambda: local(midway.due_date, 9, 0)
    await bot.click(ANNA, reminder, lambda e: e["action_id"] == "pb_rem_start:form")
    parents = [
        m
        for m in bot.slack.messages["DUANNA"]
        if m.get("user") == "UBOT" and not m.get("thread_ts")
    ]
    root = parents[-1]["ts"]
    assert "Opfølgning" in message_text(parents[-1])
    # The reminder's follow-up is the one suggested.
    phase = bot.last(ANNA, root)
    assert "Anbefaling: Midtvejsopfølgning" in message_text(phase)
    await bot.click_button(ANNA, phase, "Midtvejsopfølgning")
    await bot.click_button(ANNA, bot.last(ANNA, root), "Ingen samtale - kun min vurdering")
    await bot.dm(ANNA, "i dag", thread_ts=root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Ja")
    await bot.click_button(ANNA, bot.last(ANNA, root), "4 – Næsten nået")  # the one sub-goal
    await bot.click_button(ANNA, bot.last(ANNA, root), "4 – Stor")  # job belief
    await bot.click_button(ANNA, bot.last(ANNA, root), "Nej")  # paid hours
    await bot.dm(ANNA, "spring over", thread_ts=root)  # plan
    await bot.dm(ANNA, "spring over", thread_ts=root)  # adjustments
    await bot.dm(ANNA, "Slutevaluering", thread_ts=root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Gem")
    after = {f.id: f for f in await rows(db, FollowUp)}
    assert after[midway.id].status == "held"
    cancelled = [
        d for d in await rows(db, Delivery) if d.followup_id == midway.id and d.status == "pending"
    ]
    assert cancelled == []
