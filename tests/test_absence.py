"""Absence and stand-ins (issue 14, bullet 3), through the real app, signed requests, the
Slack stand-in and real storage (SQLite and PostgreSQL): a consultant sets an absence
and a stand-in from the team; two reminders and the team digest's mention go to the
stand-in; the stand-in acts on the praktik during the absence and is refused after; it
ends by itself after its last day (both sides of midnight in Copenhagen); every step is
audited. And the rules: same team only, no absence in the past, no overlaps, no absent
stand-in.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from bot import absence
from bot.access import Roles
from bot.config import AppConfig, DigestSchedule, Team
from bot.reminders.scheduler import tick
from bot.reminders.sending import slack_client
from bot.workdays import WorkingDays
from dialogues.model import Flow
from storage.db import Database
from storage.models import Absence, AuditEntry, Consultant, Conversation, FollowUp, Praktik
from tests.db_support import rows
from tests.reminder_support import local
from tests.slack_harness import BOT_TOKEN, SlackBot, button_labelled, message_text, running_bot
from tests.slack_standin import SlackStandIn

ANNA, BO, LEAD, OUTSIDER, CARL = "UANNA", "UBO", "ULEAD", "UOTHER", "UCARL"
CHANNEL = "CNORD"


def with_teams(config: AppConfig) -> AppConfig:
    nord = Team(
        id="team_nord",
        name="Team Nord",
        channel=CHANNEL,
        members=(ANNA, BO, CARL),
        leads=(LEAD,),
        digest=DigestSchedule(weekdays=("mon", "tue", "wed", "thu", "fri"), time="08:30"),
    )
    syd = Team(id="team_syd", name="Team Syd", members=(OUTSIDER,))
    return config.model_copy(update={"teams": (nord, syd)})


def at(now: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: now


def today_of(bot: SlackBot) -> dt.date:
    return bot.deps.clock().astimezone(bot.deps.config.tz).date()


def form_state(
    form: dict[str, Any],
    *,
    first: dt.date | None,
    last: dt.date | None,
    stand_in: str | None,
    who: str | None = None,
) -> dict[str, Any]:
    """The pickers' state as Slack sends it with a click on the form's save button."""
    picked: dict[str, Any] = {}
    for block in form["blocks"]:
        element = block.get("accessory") or {}
        action = element.get("action_id")
        value: dict[str, Any] | None = None
        if action == "pb_abs_first" and first:
            value = {"type": "datepicker", "selected_date": first.isoformat()}
        elif action == "pb_abs_last" and last:
            value = {"type": "datepicker", "selected_date": last.isoformat()}
        elif action == "pb_abs_stand_in" and stand_in:
            value = {"type": "users_select", "selected_user": stand_in}
        elif action == "pb_abs_who" and who:
            value = {"type": "users_select", "selected_user": who}
        if value is not None:
            picked[block["block_id"]] = {action: value}
    return picked


async def open_form(bot: SlackBot, user: str) -> dict[str, Any]:
    root = await bot.dm(user, "fravær")
    form = copy.deepcopy(bot.last(user, root))  # as the user's client shows it
    assert "Fravær og stedfortræder" in message_text(form)
    return form


async def save_form(bot: SlackBot, user: str, form: dict[str, Any], **picked: Any) -> None:
    await bot.click(user, form, button_labelled("Gem fravær"), state=form_state(form, **picked))


async def run_tick(bot: SlackBot, now: dt.datetime) -> None:
    async with slack_client(BOT_TOKEN, bot.slack.base_url) as client:
        await tick(
            db=bot.deps.db, client=client, config=bot.deps.config, now=now, instance_id="test"
        )


def reminders_to(bot: SlackBot, user: str) -> list[dict[str, Any]]:
    return [
        m
        for m in bot.slack.messages.get(f"D{user}", [])
        if not m.get("thread_ts")
        and ("Påmindelse" in (m.get("text") or "") or "Overskredet" in (m.get("text") or ""))
    ]


async def home_of(bot: SlackBot, user: str) -> dict[str, Any]:
    await bot.event({"type": "app_home_opened", "user": user, "tab": "home", "event_ts": "1.0"})
    await bot.wait_idle()
    return {"ts": "0", "channel": f"D{user}", "blocks": bot.slack.home_views[user]["blocks"]}


def absence_audits(entries: list[AuditEntry]) -> list[tuple[str, str]]:
    return [(e.actor, e.detail["what"]) for e in entries if e.action == "absence"]


@pytest.fixture
async def team_bot(
    slack: SlackStandIn, db: Database, config: AppConfig, flows: dict[str, Flow]
) -> Any:
    for user in (OUTSIDER, CARL):
        slack.add_user(user, name=user.lower())
    async with running_bot(slack, db, with_teams(config), flows) as harness:
        yield harness


async def test_an_absence_routes_two_reminders_and_the_digest_to_the_stand_in_until_its_date(
    team_bot: SlackBot, db: Database
) -> None:
    bot = team_bot
    today = today_of(bot)
    start = today + dt.timedelta(days=7 - today.weekday() + 7)  # the Monday after next
    await bot.register_praktik(ANNA, "SAG-2026-1410", start=start, days=25)
    [praktik] = await rows(db, Praktik)
    opstart = sorted(await rows(db, FollowUp), key=lambda f: f.due_date)[0]
    days = WorkingDays(bot.deps.config.calendar)
    early_day = days.add(opstart.due_date, -3)
    last_day = opstart.due_date  # the absence covers the early and the due reminder

    # Anna sets her absence from the DM word, with Bo as stand-in.
    form = await open_form(bot, ANNA)
    await save_form(bot, ANNA, form, first=today, last=last_day, stand_in=BO)
    [stored] = await rows(db, Absence)
    assert (stored.first_day, stored.last_day, stored.team_id) == (today, last_day, "team_nord")
    saved = message_text(bot.slack.message(f"D{ANNA}", form["ts"]))
    assert "Dit fravær er registreret" in saved and "<@UBO>" in saved
    assert "Gem fravær" not in saved  # the form's controls are gone
    told_bo = message_text(bot.slack.messages[f"D{BO}"][-1])
    assert "<@UANNA> er fraværende" in told_bo and "du er stedfortræder" in told_bo

    # The early reminder and the due-day one go to Bo, saying whose praktik it is.
    await run_tick(bot, local(early_day, 8, 0))
    await run_tick(bot, local(early_day, 8, 30))
    await run_tick(bot, local(opstart.due_date, 8, 0))
    assert reminders_to(bot, ANNA) == []
    to_bo = reminders_to(bot, BO)
    assert len(to_bo) == 2
    for reminder in to_bo:
        text = message_text(reminder)
        assert "Du er stedfortræder for <@UANNA>" in text
        assert "praktikken er <@UANNA>s" in text
        assert "SAG-2026-1410" in text and "P-1001" in text
    assert "Kommende: Opstartsmøde" in message_text(to_bo[0])
    assert "I dag: Opstartsmøde" in message_text(to_bo[1])
    # The team digest that day mentions Bo for Anna's follow-up.
    [digest] = bot.slack.messages[CHANNEL]
    digest_text = message_text(digest)
    assert "<@UBO> (stedfortræder for <@UANNA>)" in digest_text and "P-1001" in digest_text
    assert "SAG-2026-1410" not in digest_text

    # Bo acts on Anna's praktik from the reminder: allowed, audited as a stand-in.
    bot.deps.clock = at(local(last_day, 23, 30))  # the last evening, 22:30 UTC in winter
    await bot.click(BO, to_bo[1], lambda e: e["action_id"] == "pb_rem_start:form")
    root = [m for m in bot.slack.messages[f"D{BO}"] if not m.get("thread_ts")][-1]["ts"]
    started = bot.last_text(BO, root)  # the follow-up form, at the meeting it is for
    assert "Hvilken opfølgning er det?" in started and "Anbefaling: Opstart" in started
    [anna_row] = [c for c in await rows(db, Consultant) if c.slack_user_id == ANNA]
    views = [
        e
        for e in await rows(db, AuditEntry)
        if e.action == "view" and e.actor == f"slack:{BO}" and e.praktik_id == praktik.id
    ]
    assert views and views[-1].detail["stand_in_for"] == anna_row.id
    assert views[-1].detail["absence"] == stored.id
    await bot.click_button(BO, bot.last(BO, root), "Opstart (forventningsafstemning)")
    assert "Hvem var samtalen med?" in bot.last_text(BO, root)
    home = await home_of(bot, BO)
    assert "Du er stedfortræder" in message_text(home) and "SAG-2026-1410" in message_text(home)
    listed = await bot.dm(BO, "mine")
    assert "Som stedfortræder (1)" in bot.last_text(BO, listed)
    assert "Ansvarlig: <@UANNA>" in bot.last_text(BO, listed)

    # Half past midnight in Copenhagen — the same UTC date as half past eleven — it is over.
    after = local(last_day + dt.timedelta(days=1), 0, 30)
    assert after.date() == local(last_day, 23, 30).date()
    bot.deps.clock = at(after)
    await bot.click_button(BO, bot.last(BO, root), "Borgeren")
    assert "Du har ikke længere adgang til praktikken P-1001" in bot.last_text(BO, root)
    [closed] = [c for c in await rows(db, Conversation) if c.thread_ts == root]
    assert closed.status == "revoked"
    home = await home_of(bot, BO)
    assert "SAG-2026-1410" not in message_text(home)
    # A start button on the old reminder is refused now.
    before = len(bot.slack.messages[f"D{BO}"])
    await bot.click(BO, to_bo[1], lambda e: e["action_id"] == "pb_rem_start:prepare")
    assert "ikke adgang" in message_text(bot.slack.messages[f"D{BO}"][-1])
    assert len(bot.slack.messages[f"D{BO}"]) > before
    # The next reminder, after the absence, goes to Anna again.
    await run_tick(bot, local(days.add(opstart.due_date, 2), 8, 0))
    assert len(reminders_to(bot, BO)) == 2
    [overdue] = reminders_to(bot, ANNA)
    assert "Overskredet" in message_text(overdue) and "stedfortræder" not in message_text(overdue)
    assert absence_audits(await rows(db, AuditEntry)) == [(f"slack:{ANNA}", "set")]


async def test_a_reminder_click_by_the_stand_in_is_allowed_during_and_refused_after(
    team_bot: SlackBot, db: Database
) -> None:
    bot = team_bot
    today = today_of(bot)
    start = today + dt.timedelta(days=7 - today.weekday() + 7)
    await bot.register_praktik(ANNA, "SAG-2026-1411", start=start, days=25)
    opstart = sorted(await rows(db, FollowUp), key=lambda f: f.due_date)[0]
    form = await open_form(bot, ANNA)
    await save_form(bot, ANNA, form, first=today, last=opstart.due_date, stand_in=BO)
    await run_tick(bot, local(opstart.due_date, 8, 0))
    [reminder] = reminders_to(bot, BO)
    bot.deps.clock = at(local(opstart.due_date, 9, 0))
    await bot.click(BO, reminder, lambda e: e["type"] == "overflow", selected="postpone:1")
    [moved] = [f for f in await rows(db, FollowUp) if f.id == opstart.id]
    assert moved.due_date > opstart.due_date
    [change] = [
        e
        for e in await rows(db, AuditEntry)
        if e.action == "change" and e.detail.get("followup") == opstart.id
    ]
    assert change.actor == f"slack:{BO}" and "stand_in_for" in change.detail
    # The day after the absence, Bo's click on the new reminder is refused.
    await run_tick(bot, local(moved.due_date, 8, 0))
    [again] = reminders_to(bot, ANNA)  # the new due day is after the absence: Anna's
    bot.deps.clock = at(local(moved.due_date, 9, 0))
    await bot.click(BO, again, lambda e: e["type"] == "overflow", selected="postpone:1")
    [same] = [f for f in await rows(db, FollowUp) if f.id == opstart.id]
    assert same.due_date == moved.due_date
    assert bot.slack.ephemerals[-1]["text"].startswith("Det er kun den ansvarlige konsulent")


async def test_a_lead_sets_a_members_absence_changes_it_and_ends_it(
    team_bot: SlackBot, db: Database
) -> None:
    bot = team_bot
    today = today_of(bot)
    form = await open_form(bot, LEAD)
    assert any((b.get("accessory") or {}).get("action_id") == "pb_abs_who" for b in form["blocks"])
    last = today + dt.timedelta(days=10)
    await save_form(bot, LEAD, form, first=today, last=last, stand_in=BO, who=ANNA)
    [stored] = await rows(db, Absence)
    [anna_row] = [c for c in await rows(db, Consultant) if c.slack_user_id == ANNA]
    assert stored.consultant_id == anna_row.id
    assert "<@ULEAD> har registreret dit fravær" in message_text(bot.slack.messages[f"D{ANNA}"][-1])

    # Anna's Home shows it, with Ret and Afslut; Ret posts the form prefilled.
    home = await home_of(bot, ANNA)
    assert "Du er fraværende" in message_text(home)
    await bot.click_button(ANNA, home, "Ret")
    edit = [m for m in bot.slack.messages[f"D{ANNA}"] if not m.get("thread_ts")][-1]
    [picker] = [
        b["accessory"]
        for b in edit["blocks"]
        if (b.get("accessory") or {}).get("action_id") == "pb_abs_stand_in"
    ]
    assert picker["initial_user"] == BO
    await bot.click(
        ANNA,
        edit,
        button_labelled("Gem ændringer"),
        state=form_state(edit, first=today, last=last, stand_in=CARL),
    )
    [changed] = await rows(db, Absence)
    [carl_row] = [c for c in await rows(db, Consultant) if c.slack_user_id == CARL]
    assert changed.stand_in_id == carl_row.id
    assert "ikke længere stedfortræder" in message_text(bot.slack.messages[f"D{BO}"][-1])
    assert "du er stedfortræder" in message_text(bot.slack.messages[f"D{CARL}"][-1])

    # The lead ends it from Home; a second click changes nothing.
    home = await home_of(bot, LEAD)
    assert "<@UANNA> er fraværende" in message_text(home)
    await bot.click_button(LEAD, home, "Afslut fravær")
    await bot.click_button(LEAD, home, "Afslut fravær")
    [ended] = await rows(db, Absence)
    assert ended.ended_on == today
    told = [message_text(m) for m in bot.slack.messages[f"D{LEAD}"][-2:]]
    assert "er afsluttet i dag" in told[0] and "Intet er ændret" in told[1]
    assert "er afsluttet i dag" in message_text(bot.slack.messages[f"D{CARL}"][-1])
    async with db.transaction() as session:
        assert await absence.covers_of(session, consultant_id=carl_row.id or 0, day=today) == ()
    entries = await rows(db, AuditEntry)
    assert absence_audits(entries) == [
        (f"slack:{LEAD}", "set"),
        (f"slack:{ANNA}", "change"),
        (f"slack:{LEAD}", "end"),
    ]
    [change] = [e for e in entries if e.action == "absence" and e.detail["what"] == "change"]
    assert change.detail["changed"] == ["stand_in"]


async def test_the_form_refuses_with_a_danish_reason_and_keeps_the_form(
    team_bot: SlackBot, db: Database
) -> None:
    bot = team_bot
    today = today_of(bot)
    form = await open_form(bot, ANNA)
    await save_form(bot, ANNA, form, first=today, last=None, stand_in=BO)
    assert bot.slack.ephemerals[-1]["text"] == "Vælg sidste fraværsdag."
    await save_form(bot, ANNA, form, first=today, last=today, stand_in=OUTSIDER)
    assert "er ikke med i <@UANNA>s team (Team Nord)" in bot.slack.ephemerals[-1]["text"]
    yesterday = today - dt.timedelta(days=1)
    await save_form(bot, ANNA, form, first=yesterday - dt.timedelta(days=3), last=yesterday,
                    stand_in=BO)  # fmt: skip
    assert "Fraværet er allerede slut" in bot.slack.ephemerals[-1]["text"]
    assert await rows(db, Absence) == []
    # Still there, it saves once the choice is right.
    await save_form(bot, ANNA, form, first=today, last=today, stand_in=BO)
    assert len(await rows(db, Absence)) == 1
    # A form saved once says so when clicked again (a copy, a double click).
    await save_form(bot, ANNA, form, first=today, last=today, stand_in=BO)
    assert "allerede gemt" in bot.slack.ephemerals[-1]["text"]
    assert len(await rows(db, Absence)) == 1


# --- the rules, on real storage ---------------------------------------------------------


def person(config: AppConfig, user: str) -> absence.Person:
    teams = with_teams(config).teams
    return absence.Person(
        user,
        Roles(
            lead_of=frozenset(t.id for t in teams if user in t.leads),
            member_of=frozenset(t.id for t in teams if user in t.members),
        ),
    )


async def test_overlaps_absent_stand_ins_and_chains_are_refused(
    db: Database, config: AppConfig
) -> None:
    cfg = with_teams(config)
    anna, bo, carl, lead = (person(config, u) for u in (ANNA, BO, CARL, LEAD))
    today = dt.date(2026, 12, 1)

    async def set_(actor: absence.Person, absent: absence.Person, stand_in: absence.Person,
                   first: int, last: int) -> absence.AbsenceResult:  # fmt: skip
        return await absence.set_absence(
            db,
            cfg,
            actor=actor,
            absent=absent,
            stand_in=stand_in,
            first_day=today + dt.timedelta(days=first),
            last_day=today + dt.timedelta(days=last),
            today=today,
        )

    assert (await set_(anna, anna, bo, 0, 9)).ok
    overlap = await set_(anna, anna, carl, 9, 12)
    assert not overlap.ok and "Du har allerede fravær" in overlap.message
    assert "1. december 2026 til og med 10. december 2026" in overlap.message
    assert (await set_(anna, anna, carl, 10, 12)).ok  # the day after: no overlap
    absent_stand_in = await set_(carl, carl, anna, 3, 4)
    assert not absent_stand_in.ok and "<@UANNA> er selv fraværende" in absent_stand_in.message
    chain = await set_(bo, bo, carl, 5, 6)
    assert not chain.ok and "<@UBO> er stedfortræder for <@UANNA>" in chain.message
    assert not (await set_(anna, anna, anna, 20, 21)).ok
    other = await set_(bo, anna, carl, 30, 31)
    assert not other.ok and "som teamleder" in other.message
    assert (await set_(lead, bo, carl, 30, 31)).ok
    too_long = await set_(carl, carl, bo, 40, 40 + cfg.absence.max_days)
    assert not too_long.ok and "overdrager praktikkerne" in too_long.message
    backwards = await set_(carl, carl, bo, 50, 45)
    assert not backwards.ok and "ligger før første fraværsdag" in backwards.message
    # In effect: by local date, first and last day included.
    [first, second, third] = sorted(await rows(db, Absence), key=lambda a: a.first_day)
    assert absence.in_effect(first, today) and absence.in_effect(first, dt.date(2026, 12, 10))
    assert not absence.in_effect(first, dt.date(2026, 12, 11))
    assert absence.in_effect(second, dt.date(2026, 12, 11))
    assert not absence.in_effect(third, dt.date(2026, 12, 11))


async def test_a_stand_in_acts_only_on_praktikker_of_the_arrangements_team(
    db: Database, config: AppConfig
) -> None:
    """A praktik of the absent consultant in another team stays theirs alone."""
    from bot.access import Cover, may_access

    roles = person(config, BO).roles
    cover = (Cover(absence_id=1, owner_id=7, team_id="team_nord"),)
    assert may_access(roles=roles, consultant_id=8, owner_id=7, team_id="team_nord", covers=cover)
    assert may_access(roles=roles, consultant_id=8, owner_id=7, team_id=None, covers=cover)
    assert not may_access(
        roles=roles, consultant_id=8, owner_id=7, team_id="team_syd", covers=cover
    )
    assert not may_access(roles=roles, consultant_id=8, owner_id=9, team_id="team_nord",
                          covers=cover)  # fmt: skip
    left = Roles(member_of=frozenset({"team_syd"}))  # Bo moved to another team since
    assert not may_access(roles=left, consultant_id=8, owner_id=7, team_id="team_nord",
                          covers=cover)  # fmt: skip
