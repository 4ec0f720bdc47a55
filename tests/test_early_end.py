"""An outcome recorded before the planned end ends the praktik on the day it ended
(FINDINGS: "An outcome recorded before the planned end keeps the planned end"): the flow
asks when, the praktik's end moves there (the planned one kept), the status follow-ups
count from it, the follow-ups after it are cancelled and the journalnotat gives the
actual period; before its start a praktik is called off today. A praktik registered with
a start in the past gets no follow-up planned in the past. Through the conversation
service on SQLite and PostgreSQL, and in Slack through the real app."""

from __future__ import annotations

import datetime as dt
import uuid

from bot.config import AppConfig
from bot.conversations import Actor, ConversationService, Reply
from bot.followups.plan import add_months
from bot.workdays import WorkingDays
from dialogues.dates import format_danish_date
from dialogues.model import Flow
from dialogues.state import UserInput
from storage.db import Database
from storage.models import CaseNote, FollowUp, Praktik
from tests.db_support import rows
from tests.slack_harness import SlackBot, message_text

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)  # Monday 30 November, 10:00 local
TODAY = dt.date(2026, 11, 30)
ANNA = Actor(user_key="terminal:anna", name="anna")
KEY = "terminal:anna"


def register(start: str) -> list[str]:
    """An udviklingspraktik for a sygedagpenge recipient, `start` - 29/1-2027."""
    return [
        "SAG-2026-1501", "sygedagpenge", "Eksempel Café", "spring over", "1", "3", "1, 2",
        "spring over", "Opgaver i køkkenet", start, "ja", "29/1-2027", "ja", "12", "nej",
        "mandag-fredag kl. 8-12", "nej", "spring over", "20", "1",
        "Tina Eksempel, tina@eksempel.dk", "ja", "Kontakt", "ja", "gem",
    ]  # fmt: skip


PLANNED_END = dt.date(2027, 1, 29)


class Driver:
    def __init__(self, service: ConversationService) -> None:
        self.service = service

    async def start(self, flow_id: str, praktik_id: int | None = None) -> Reply:
        return await self.service.start(
            actor=ANNA, key=KEY, flow_id=flow_id, praktik_id=praktik_id,
            source_key=uuid.uuid4().hex, now=NOW,
        )  # fmt: skip

    async def say(self, *texts: str) -> str:
        said: list[str] = []
        for text in texts:
            reply = await self.service.answer(
                actor=ANNA, key=KEY, inp=UserInput(text=text), source_key=uuid.uuid4().hex,
                now=NOW,
            )  # fmt: skip
            said += [*reply.messages, reply.prompt.text if reply.prompt else ""]
        return "\n".join(said)


def status_dates(config: AppConfig, end: dt.date) -> dict[int, dt.date]:
    days = WorkingDays(config.calendar)
    return {m: days.adjust(add_months(end, m)) for m in (1, 3, 6, 12)}


async def test_an_outcome_before_the_planned_end_ends_the_praktik_on_the_day_it_ended(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    driver = Driver(ConversationService(db=db, config=config, flows=flows))
    await driver.start("ny_praktik")
    registered = await driver.say(*register("16/11-2026"))
    [praktik] = await rows(db, Praktik)
    # Opstart (two working days before the start: Thursday 12 November) and the early
    # midway check-in (a week after the start: 23 November) are due today, and it says so.
    moved = [f for f in await rows(db, FollowUp) if f.kind in ("opstart", "midtvejs")][:2]
    assert [(f.kind, f.due_date, f.planned_due) for f in moved] == [
        ("opstart", TODAY, TODAY), ("midtvejs", TODAY, TODAY)
    ]  # fmt: skip
    assert (
        "Praktikken startede før i dag, så opstartsmøde og midtvejsopfølgning er planlagt til "
        "mandag den 30. november 2026 - ikke til en dag, der er gået. Er nogle af dem allerede "
        "holdt, så markér dem som afholdt."
    ) in registered
    assert all(f.due_date >= TODAY for f in await rows(db, FollowUp))

    await driver.start("afslutning", praktik.id)
    asked = await driver.say("6")  # fortsat ledig
    assert "Hvornår sluttede praktikken? Efter planen skulle den slutte fredag den 29. januar" in (
        asked
    )
    assert "Anbefaling: mandag den 30. november 2026, fordi det er i dag." in asked
    assert "kan ikke være sluttet før" in await driver.say("13/11-2026")  # before the start
    assert "ligger i fremtiden" in await driver.say("2/12-2026")
    said = await driver.say("27/11-2026", "ja", "nej", "Borgeren stoppede", "ja", "gem")
    assert (
        "praktikken SAG-2026-1501 er afsluttet fredag den 27. november 2026 - før den planlagte "
        "slutdato fredag den 29. januar 2027" in said
    )
    # The status plan names each due day after a colon, not as the day months count from.
    assert "1 måned efter afslutningen: onsdag den 23. december 2026" in said

    [praktik] = await rows(db, Praktik)
    assert (praktik.status, praktik.outcome) == ("ended", "fortsat_ledig")
    assert (praktik.start_date, praktik.end_date) == (dt.date(2026, 11, 16), dt.date(2026, 11, 27))
    assert praktik.planned_end_date == PLANNED_END
    followups = await rows(db, FollowUp)
    status = {f.months_after_end: f for f in followups if f.kind == "status"}
    assert {m: f.due_date for m, f in status.items()} == status_dates(config, dt.date(2026, 11, 27))
    assert {f.status for f in status.values()} == {"planned"}
    # 27 December is a Sunday, 24-26 December are days off: the working day before.
    assert status[1].due_date == dt.date(2026, 12, 23)
    # Every follow-up of the praktik itself fell after the day it ended: cancelled.
    assert {(f.kind, f.status) for f in followups if f.kind != "status"} == {
        ("opstart", "cancelled"), ("midtvejs", "cancelled"), ("afslutning", "cancelled")
    }  # fmt: skip
    note = next(n for n in await rows(db, CaseNote) if n.flow_id == "afslutning")
    assert (
        "mandag den 16. november 2026 – fredag den 27. november 2026 (planlagt til fredag den "
        "29. januar 2027)" in note.text
    )


async def test_an_outcome_before_the_start_calls_the_praktik_off_today(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    driver = Driver(ConversationService(db=db, config=config, flows=flows))
    await driver.start("ny_praktik")
    await driver.say(*register("7/12-2026"))
    [praktik] = await rows(db, Praktik)
    await driver.start("afslutning", praktik.id)
    said = await driver.say("6")
    assert "Hvornår sluttede praktikken" not in said  # nothing to ask: it never began
    said = await driver.say("nej", "Borgeren fik job inden start", "ja", "gem")
    assert "afsluttet i dag, mandag den 30. november 2026, før den startede" in said

    [praktik] = await rows(db, Praktik)
    assert (praktik.end_date, praktik.planned_end_date) == (TODAY, PLANNED_END)
    status = {
        f.months_after_end: f.due_date for f in await rows(db, FollowUp) if f.kind == "status"
    }
    assert status == status_dates(config, TODAY)  # not a month after 29 January 2027
    note = next(n for n in await rows(db, CaseNote) if n.flow_id == "afslutning")
    assert "afsluttet mandag den 30. november 2026, før praktikken startede" in note.text


async def test_an_outcome_after_the_planned_end_keeps_the_end(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    service = ConversationService(db=db, config=config, flows=flows)
    driver = Driver(service)
    await driver.start("ny_praktik")
    await driver.say(*register("16/11-2026"))
    [praktik] = await rows(db, Praktik)
    later = dt.datetime(2027, 2, 3, 9, 0, tzinfo=dt.UTC)
    reply = await service.start(
        actor=ANNA, key=KEY, flow_id="afslutning", praktik_id=praktik.id,
        source_key=uuid.uuid4().hex, now=later,
    )  # fmt: skip
    for text in ("6", "ja", "ja", "gem"):
        reply = await service.answer(
            actor=ANNA, key=KEY, inp=UserInput(text=text), source_key=uuid.uuid4().hex,
            now=later,
        )  # fmt: skip
        assert reply.prompt is None or "Hvornår sluttede" not in reply.prompt.text
    [praktik] = await rows(db, Praktik)
    assert (praktik.status, praktik.end_date, praktik.planned_end_date) == (
        "ended", PLANNED_END, None
    )  # fmt: skip
    status = {
        f.months_after_end: f.due_date for f in await rows(db, FollowUp) if f.kind == "status"
    }
    assert status == status_dates(config, PLANNED_END)


async def test_in_slack_the_suggested_day_is_a_button_and_the_praktik_ends_on_it(
    bot: SlackBot, db: Database, config: AppConfig
) -> None:
    user = "UANNA"
    today = bot.deps.clock().astimezone(config.tz).date()
    days = WorkingDays(config.calendar)
    start = today - dt.timedelta(days=7)
    root = await bot.register_praktik(user, "SAG-2026-1502", start=start, days=20)
    registered = "\n".join(message_text(m) for m in bot.bot_messages(user, root))
    first_day = today if days.is_working_day(today) else days.add(today, 1)
    assert f"opstartsmøde er planlagt til {format_danish_date(first_day)}" in registered
    assert all(f.due_date >= today for f in await rows(db, FollowUp))

    root = await bot.dm(user, "afslut")
    await bot.click(
        user, bot.last(user, root), lambda e: e["type"] == "static_select", selected="fortsat_ledig"
    )
    question = bot.last(user, root)
    assert "Hvornår sluttede praktikken?" in message_text(question)
    kinds = [e["type"] for b in question["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert kinds[:2] == ["button", "datepicker"]
    await bot.click_button(user, question, format_danish_date(today))
    await bot.click_button(user, bot.last(user, root), "Nej")
    await bot.dm(user, "Borgeren stoppede", thread_ts=root)
    await bot.click_button(user, bot.last(user, root), "Ja")
    summary = bot.last(user, root)
    assert f"*Praktikken sluttede*\n{format_danish_date(today)}" in message_text(summary)
    await bot.click_button(user, summary, "Gem")

    [praktik] = await rows(db, Praktik)
    assert (praktik.status, praktik.end_date) == ("ended", today)
    assert praktik.planned_end_date == start + dt.timedelta(days=20)
    followups = await rows(db, FollowUp)
    status = {f.months_after_end: f.due_date for f in followups if f.kind == "status"}
    assert status == status_dates(config, today)
    assert all(
        f.status == "cancelled" for f in followups if f.kind != "status" and f.due_date > today
    )
