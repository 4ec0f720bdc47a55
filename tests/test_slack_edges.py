"""Rough edges of a consultant's day in Slack (issue 14, bullet 4), each through the real
app, signed requests, the Slack stand-in and real storage (SQLite and PostgreSQL):
questions of several lines, cut check-box labels, a flow started with a single praktik,
an outcome before the start, reminders ahead of the due day and the reminder's controls.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from bot.blocks.kit import plain
from bot.config import AppConfig, ReminderConfig, Team
from bot.reminders.scheduler import tick
from bot.reminders.sending import slack_client
from bot.slack.render import bold_lines
from dialogues.model import Flow
from storage.db import Database
from storage.models import AuditEntry, CaseNote, Delivery, FollowUp, Praktik
from tests.db_support import rows
from tests.reminder_support import local
from tests.slack_harness import BOT_TOKEN, SlackBot, message_text, running_bot
from tests.slack_standin import SlackStandIn

ANNA = "UANNA"


def first_text(message: dict[str, Any]) -> str:
    """The mrkdwn of a message's first section: the question as Slack renders it."""
    return str(message["blocks"][0]["text"]["text"])


def today_of(bot: SlackBot) -> dt.date:
    return bot.deps.clock().astimezone(bot.deps.config.tz).date()


async def to_type_question(bot: SlackBot, root: str) -> None:
    await bot.dm(ANNA, "SAG-2026-1401", thread_ts=root)
    await bot.click(
        ANNA, bot.last(ANNA, root), lambda e: e["type"] == "static_select", selected="dagpenge"
    )
    await bot.dm(ANNA, "Eksempel Værksted ApS", thread_ts=root)
    await bot.dm(ANNA, "spring over", thread_ts=root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Ja, jeg vælger selv")


# --- questions of several lines -------------------------------------------------------


def test_each_line_of_a_question_is_bold_on_its_own_and_escaped() -> None:
    text = "Perioden er længere end\nmålgruppens grænse <25 uger> & mere?\n\n• Et punkt & <x>"
    assert bold_lines(text) == (
        "*Perioden er længere end*\n*målgruppens grænse &lt;25 uger&gt; &amp; mere?*\n\n"
        "• Et punkt &amp; &lt;x&gt;"
    )
    assert bold_lines("  Indrykket  ") == "*Indrykket*"  # no space inside the asterisks


async def test_a_question_of_several_lines_is_bold_per_line_and_its_list_plain(
    bot: SlackBot,
) -> None:
    root = await bot.dm(ANNA, "ny")
    await to_type_question(bot, root)
    question = bot.last(ANNA, root)
    shown = first_text(question)
    lines = shown.split("\n")
    assert lines[0] == "*Hvilken type praktik er det?*"
    assert lines[1].startswith("• Jobpraktik: borgeren matcher") and "*" not in lines[1]
    assert all(line.startswith("• ") and "*" not in line for line in lines[1:4])
    # Answered, the question keeps the same rendering above its answer.
    await bot.click_button(ANNA, question, "Jobpraktik")
    answered = first_text(bot.slack.message(f"D{ANNA}", question["ts"]))
    assert answered.split("\n")[0] == "*Hvilken type praktik er det?*"
    assert "*•" not in answered


# --- check boxes with long texts ------------------------------------------------------


async def test_cut_check_box_labels_are_listed_whole_with_the_numbers_to_type(
    bot: SlackBot, db: Database
) -> None:
    root = await bot.dm(ANNA, "ny")
    await to_type_question(bot, root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Udviklingspraktik")
    question = bot.last(ANNA, root)
    goals = bot.deps.config.praktik_type("udviklingspraktik").subgoals
    long_goal = max(goals, key=len)
    assert len(long_goal) > 75
    [boxes] = [
        e
        for b in question["blocks"]
        for e in b.get("elements") or []
        if e.get("type") == "checkboxes"
    ]
    labels = [o["text"]["text"] for o in boxes["options"]]
    assert [label.split(". ", 1)[0] for label in labels] == [str(n) for n in range(1, 6)]
    assert all(len(label) <= 75 for label in labels)
    cut = labels[goals.index(long_goal)]
    assert cut.endswith("…") and long_goal.startswith(cut[3:-1])
    # The whole texts, with the same numbers, above the boxes.
    listing = question["blocks"][1]["text"]["text"]
    for number, goal in enumerate(goals, start=1):
        assert f"{number}. {goal}" in listing
    hint = message_text(question)
    assert "skriv numrene i tråden (fx 1, 3)" in hint
    # The hint is true: typed numbers are the numbered goals.
    await bot.dm(ANNA, f"1, {goals.index(long_goal) + 1}", thread_ts=root)
    assert "Har du egne delmål" in bot.last_text(ANNA, root)
    answered = message_text(bot.slack.message(f"D{ANNA}", question["ts"]))
    assert goals[0] in answered and long_goal[:60] in answered


# --- a flow about a praktik with only one praktik; an outcome before the start ----------


async def test_afslut_with_one_praktik_starts_on_it_and_warns_before_its_start(
    bot: SlackBot, db: Database
) -> None:
    start = today_of(bot) + dt.timedelta(days=3)
    await bot.register_praktik(ANNA, "SAG-2026-1402", start=start)
    root = await bot.dm(ANNA, "afslut")
    said = "\n".join(message_text(m) for m in bot.bot_messages(ANNA, root))
    assert "Du har én aktiv praktik, så 'Afslutning' handler om den: P-1001" in said
    assert "SAG-2026-1402" in said
    assert "hvilken praktik drejer det sig om" not in said
    assert "Hvad blev resultatet af praktikken?" in bot.last_text(ANNA, root)

    await bot.click(
        ANNA,
        bot.last(ANNA, root),
        lambda e: e["type"] == "static_select",
        selected="fortsat_ledig",
    )
    warned = "\n".join(message_text(m) for m in bot.bot_messages(ANNA, root)[-2:])
    starts = f"den starter {_danish(start)}, og i dag er det {_danish(today_of(bot))}"
    assert "Praktikken er ikke startet endnu" in warned and starts in warned
    await bot.click_button(ANNA, bot.last(ANNA, root), "Nej")
    await bot.dm(ANNA, "Borgeren fik job inden start", thread_ts=root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Ja")
    summary = bot.last(ANNA, root)
    assert "Opsummering" in message_text(summary)
    assert "⚠ Praktikken er ikke startet endnu" in message_text(summary)  # before saving
    await bot.click_button(ANNA, summary, "Gem")
    [praktik] = await rows(db, Praktik)
    assert (praktik.status, praktik.outcome) == ("ended", "fortsat_ledig")


async def test_no_warning_from_the_praktiks_first_day_in_copenhagen(
    bot: SlackBot, db: Database
) -> None:
    start = today_of(bot) + dt.timedelta(days=3)
    await bot.register_praktik(ANNA, "SAG-2026-1403", start=start)
    eve = local(start - dt.timedelta(days=1), 23, 30)  # 22:30 UTC in winter
    first_day = local(start, 0, 30)  # still the day before in UTC
    assert first_day.date() == eve.date()
    for now, warned in ((eve, True), (first_day, False)):
        bot.deps.clock = clock_at(now)
        root = await bot.dm(ANNA, "afslut")
        await bot.click(
            ANNA,
            bot.last(ANNA, root),
            lambda e: e["type"] == "static_select",
            selected="fortsat_ledig",
        )
        said = "\n".join(message_text(m) for m in bot.bot_messages(ANNA, root))
        assert ("ikke startet endnu" in said) is warned
        await bot.dm(ANNA, "afbryd", thread_ts=root)


def clock_at(now: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: now


def _danish(day: dt.date) -> str:
    from dialogues.dates import format_danish_date

    return format_danish_date(day)


# --- reminders ahead of the due day, per kind --------------------------------------------


def test_lead_times_per_kind_in_the_configuration(config: AppConfig) -> None:
    shipped = config.reminders
    assert [shipped.days_before(k) for k in ("opstart", "midtvejs", "afslutning", "status")] == [
        3,
        2,
        3,
        0,
    ]
    one_number = ReminderConfig.model_validate({"remind_days_before": 1})
    assert set(one_number.remind_days_before.values()) == {1}
    some = ReminderConfig.model_validate({"remind_days_before": {"opstart": 5}})
    assert (some.days_before("opstart"), some.days_before("midtvejs")) == (5, 2)
    with pytest.raises(ValidationError, match="remind_days_before"):
        ReminderConfig.model_validate({"remind_days_before": {"opstrt": 2}})
    with pytest.raises(ValidationError, match="remind_days_before"):
        ReminderConfig.model_validate({"remind_days_before": {"opstart": -1}})


async def run_tick(bot: SlackBot, now: dt.datetime) -> None:
    async with slack_client(BOT_TOKEN, bot.slack.base_url) as client:
        await tick(
            db=bot.deps.db, client=client, config=bot.deps.config, now=now, instance_id="test"
        )


def reminders(bot: SlackBot) -> list[dict[str, Any]]:
    return [
        m
        for m in bot.slack.messages.get(f"D{ANNA}", [])
        if not m.get("thread_ts") and "Påmindelse" in (m.get("text") or "")
    ]


async def registered_next_monday(bot: SlackBot, db: Database) -> list[FollowUp]:
    today = today_of(bot)
    start = today + dt.timedelta(days=7 - today.weekday() + 7)  # the Monday after next
    await bot.register_praktik(ANNA, "SAG-2026-1404", start=start, days=25)
    return sorted(await rows(db, FollowUp), key=lambda f: f.due_date)


async def test_a_start_meeting_is_reminded_three_working_days_ahead_at_eight(
    bot: SlackBot, db: Database
) -> None:
    opstart = (await registered_next_monday(bot, db))[0]
    assert opstart.kind == "opstart" and opstart.due_date.weekday() == 4  # the Friday before
    ahead = opstart.due_date - dt.timedelta(days=3)  # Tuesday: three working days before
    await run_tick(bot, local(ahead, 7, 59))
    assert reminders(bot) == []
    await run_tick(bot, local(ahead, 8, 0))
    [early] = reminders(bot)
    text = message_text(early)
    assert "Kommende: Opstartsmøde" in text and "(om 3 arbejdsdage)" in text
    assert "Nu er der tid til at aftale mødet med borger og virksomhed" in text
    # On the due day itself it comes again, as before.
    await run_tick(bot, local(opstart.due_date, 8, 0))
    assert len(reminders(bot)) == 2
    keys = sorted(d.key for d in await rows(db, Delivery) if d.followup_id == opstart.id)
    assert keys == [
        f"followup:{opstart.id}:due:{opstart.due_date.isoformat()}",
        f"followup:{opstart.id}:early:{ahead.isoformat()}",
    ]


# --- the reminder's controls ------------------------------------------------------------


async def test_a_reminder_has_its_main_buttons_and_postponing_in_an_overflow_menu(
    bot: SlackBot, db: Database
) -> None:
    opstart = (await registered_next_monday(bot, db))[0]
    await run_tick(bot, local(opstart.due_date, 8, 0))
    reminder = copy.deepcopy(reminders(bot)[-1])
    [actions] = [b for b in reminder["blocks"] if b["type"] == "actions"]
    shown = [e["text"]["text"] if e["type"] == "button" else e["type"] for e in actions["elements"]]
    assert shown == ["Forbered møde", "Udfyld opfølgningsskema", "Markér som afholdt", "overflow"]

    # "Udskyd til en anden dato …": the date picker appears; nothing changes yet.
    await bot.click(ANNA, reminder, lambda e: e["type"] == "overflow", selected="pick_date")
    picking = copy.deepcopy(bot.slack.message(f"D{ANNA}", reminder["ts"]))
    [stored] = [f for f in await rows(db, FollowUp) if f.id == opstart.id]
    assert (stored.due_date, stored.version) == (opstart.due_date, opstart.version)
    [picker_row] = [b for b in picking["blocks"] if b["type"] == "actions"]
    assert picker_row["block_id"] == actions["block_id"]
    assert "datepicker" in [e["type"] for e in picker_row["elements"]]

    later = opstart.due_date + dt.timedelta(days=3)  # a Monday
    await bot.click(ANNA, picking, lambda e: e["type"] == "datepicker", selected=later.isoformat())
    [moved] = [f for f in await rows(db, FollowUp) if f.id == opstart.id]
    assert (moved.due_date, moved.version) == (later, opstart.version + 1)
    assert "Udskudt til" in message_text(bot.slack.message(f"D{ANNA}", reminder["ts"]))
    # The menu of the old copy is stale: it says so and changes nothing.
    await bot.click(ANNA, reminder, lambda e: e["type"] == "overflow", selected="postpone:5")
    [same] = [f for f in await rows(db, FollowUp) if f.id == opstart.id]
    assert (same.due_date, same.version) == (later, moved.version)
    assert bot.slack.ephemerals[-1]["text"].startswith("Opfølgningen er allerede udskudt til")
    assert json.dumps(picking["blocks"]).count("pb_rem_more") == 1


# --- Home: a lead without praktikker of their own; recent case notes -----------------------


async def home_of(bot: SlackBot, user: str) -> dict[str, Any]:
    await bot.event({"type": "app_home_opened", "user": user, "tab": "home", "event_ts": "1.0"})
    await bot.wait_idle()
    return {"ts": "0", "channel": f"D{user}", "blocks": bot.slack.home_views[user]["blocks"]}


async def test_a_lead_without_praktikker_of_their_own_sees_the_team_first(
    slack: SlackStandIn, db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    team = Team(id="team_nord", name="Team Nord", members=(ANNA,), leads=("ULEAD",))
    async with running_bot(slack, db, config.model_copy(update={"teams": (team,)}), flows) as bot:
        await bot.register_praktik(ANNA, "SAG-2026-1420")
        home = await home_of(bot, "ULEAD")
        blocks = home["blocks"]
        assert blocks[0] == {"type": "header", "text": plain("Teamets praktikker", 150)}
        text = message_text(home)
        assert "1 aktive praktikker i teamet · 0 med en overskreden opfølgning" in text
        assert text.index("SAG-2026-1420") < text.index("Mine praktikker")
        assert "Du har ingen aktive praktikker endnu" not in text
        assert "Du har ingen egne aktive praktikker." in text
        # A consultant with praktikker still sees their own first.
        own = message_text(await home_of(bot, ANNA))
        assert own.index("Mine praktikker") < own.index("SAG-2026-1420")


async def test_recent_case_notes_are_on_home_and_open_as_copyable_text(
    bot: SlackBot, db: Database
) -> None:
    await bot.register_praktik(ANNA, "SAG-2026-1421", company="Eksempel Note ApS")
    # Registration writes the grant's journalnotat and the VITAS summary.
    [note] = [n for n in await rows(db, CaseNote) if n.kind == "journalnotat"]
    home = await home_of(bot, ANNA)
    listed = [b for b in home["blocks"] if b.get("block_id") == f"note|{note.id}"]
    assert len(listed) == 1
    assert "Ny praktik* · P-1001 · SAG-2026-1421" in listed[0]["text"]["text"]
    await bot.click_button(ANNA, home, "Vis notat")
    [opened] = [c for c in bot.slack.calls_to("views.open") if c.response.get("ok")]
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    assert "```" in shown and "Eksempel Note ApS" in shown  # a code block: copies as text
    viewed = [e for e in await rows(db, AuditEntry) if e.detail.get("what") == "case_note"]
    assert [(e.action, e.actor) for e in viewed] == [("view", f"slack:{ANNA}")]
    # Someone else's click on it (a forged payload) opens nothing and is refused.
    await bot.click_button("UBO", home, "Vis notat")
    assert len([c for c in bot.slack.calls_to("views.open") if c.response.get("ok")]) == 1
    refused = [e for e in await rows(db, AuditEntry) if e.detail.get("what") == "case_note"]
    assert refused[-1].action == "denied" and refused[-1].actor == "slack:UBO"
    # Only her own praktikker's notes: Bo's Home lists none of them.
    assert "Seneste journalnotater" not in message_text(await home_of(bot, "UBO"))
