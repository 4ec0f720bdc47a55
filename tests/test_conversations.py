"""The conversation service on real SQLite and PostgreSQL: what storage holds after turns,
repeated deliveries, resuming, flow files changing, expiry."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import uuid
from pathlib import Path

from sqlmodel import col, select

from bot.config import AppConfig
from bot.conversations import Actor, ConversationService, Outcome, Reply
from dialogues.model import Flow
from dialogues.state import UserInput
from dialogues.structure import FLOWS_DIR, load_flows
from storage.db import Database
from storage.models import (
    Answer,
    AuditEntry,
    CaseNote,
    Conversation,
    FollowUp,
    Praktik,
    ProcessedInput,
    ProgressScore,
)
from tests.db_support import rows

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
ANNA = Actor(user_key="terminal:anna", name="anna")
BO = Actor(user_key="terminal:bo", name="bo")

REGISTER = [
    "SAG-2026-0001",
    "1",
    "Eksempel Byg ApS",
    "spring over",
    "1",
    "1",
    "1, 3",
    "spring over",
    "Opmåling og montering",  # arbejdsopgaver
    "7/12",
    "ja",
    "31/12",
    "ja",
    "30",
    "nej",  # no rise in hours
    "mandag-torsdag kl. 7-15",
    "nej",
    "spring over",  # CVR-nummer
    "20",
    "1",
    "Tina Eksempel, tina@eksempel.dk",  # tillidsrepræsentant
    "ja",
    "Kontakt Eksempel",
    "ja",  # Min Plan
    "gem",
]


class Driver:
    """Feeds inputs to the service like a front end, with unique source keys."""

    def __init__(self, service: ConversationService, actor: Actor = ANNA) -> None:
        self.service, self.actor, self.key, self.count = service, actor, actor.user_key, 0

    def source(self) -> str:
        self.count += 1
        return f"{self.key}:{uuid.uuid4().hex}"

    async def start(self, flow_id: str, praktik_id: int | None = None) -> Reply:
        return await self.service.start(
            actor=self.actor,
            key=self.key,
            flow_id=flow_id,
            praktik_id=praktik_id,
            source_key=self.source(),
            now=NOW,
        )

    async def say(self, *texts: str) -> Reply:
        reply = Reply()
        for text in texts:
            reply = await self.service.answer(
                actor=self.actor,
                key=self.key,
                inp=UserInput(text=text),
                source_key=self.source(),
                now=NOW,
            )
        return reply


def step_of(reply: Reply) -> str:
    assert reply.prompt is not None
    return reply.prompt.step_id


async def test_registering_stores_praktik_answers_plan_and_note(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    driver = Driver(ConversationService(db=db, config=config, flows=flows))
    await driver.start("ny_praktik")
    reply = await driver.say(*REGISTER)
    assert reply.finished
    assert any("Praktikken SAG-2026-0001 er oprettet" in m for m in reply.messages)
    assert reply.note is not None and "Journalnotat – Bevilling af virksomhedspraktik" in reply.note

    [praktik] = await rows(db, Praktik)
    assert (praktik.case_ref, praktik.type, praktik.target_group) == (
        "SAG-2026-0001",
        "jobpraktik",
        "dagpenge",
    )
    assert praktik.start_date == dt.date(2026, 12, 7)
    assert praktik.end_date == dt.date(2026, 12, 31)
    assert praktik.subgoals[1] == "At afstemme kemi mellem borger og arbejdsgiver"
    assert (praktik.ordinary_employees, praktik.ratio_limit, praktik.ratio_exceeded) == (
        20,
        4,
        False,
    )

    answers = await rows(db, Answer)
    by_step = {a.step_id: a for a in answers}
    assert (
        by_step["case_ref"].question
        == "Hvad er sagens reference i sagssystemet (eller et pseudonym)?"
    )
    assert by_step["case_ref"].value == "SAG-2026-0001"
    assert by_step["start_date"].value == "2026-12-07"
    assert by_step["p_number"].value is None
    assert {a.praktik_id for a in answers} == {praktik.id}
    assert {a.flow_version for a in answers} == {flows["ny_praktik"].version}
    assert len(answers) == len({a.source_key for a in answers})

    followups = await rows(db, FollowUp)
    assert [f.kind for f in sorted(followups, key=lambda f: f.due_date)] == [
        "opstart",
        "midtvejs",
        "afslutning",
        "status",
        "status",
        "status",
        "status",
    ]
    notes = await rows(db, CaseNote)
    [note] = [n for n in notes if n.kind == "journalnotat"]
    assert note.praktik_id == praktik.id and "Sagsreference: SAG-2026-0001" in note.text
    [vitas] = [n for n in notes if n.kind == "vitas"]  # the agreement's fields for VITAS
    assert vitas.praktik_id == praktik.id and "Virksomhedens navn: Eksempel Byg ApS" in vitas.text
    [conversation] = await rows(db, Conversation)
    assert (conversation.status, conversation.active_key) == ("done", None)


async def test_a_repeated_delivery_changes_nothing(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    service = ConversationService(db=db, config=config, flows=flows)
    driver = Driver(service)
    await driver.start("ny_praktik")

    async def deliver() -> bool:
        reply = await service.answer(
            actor=ANNA,
            key=ANNA.user_key,
            inp=UserInput(text="SAG-7"),
            source_key="event-1",
            now=NOW,
        )
        return not reply.duplicate

    handled = await asyncio.gather(*(deliver() for _ in range(4)))
    assert handled.count(True) == 1
    answers = await rows(db, Answer)
    assert [a.value for a in answers] == ["SAG-7"]
    assert len([p for p in await rows(db, ProcessedInput) if p.source_key == "event-1"]) == 1


async def test_the_reply_says_what_a_turn_came_to(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """Front ends branch on `Reply.outcome`, not on the Danish text of the reply."""
    service = ConversationService(db=db, config=config, flows=flows)

    async def answer(text: str, source_key: str) -> Reply:
        return await service.answer(
            actor=ANNA, key=ANNA.user_key, inp=UserInput(text=text), source_key=source_key, now=NOW
        )

    assert (await answer("SAG-1", "before")).outcome is Outcome.NO_CONVERSATION
    await Driver(service).start("ny_praktik")
    assert (await answer("SAG-1", "first")).outcome is Outcome.ANSWERED
    assert (await answer("SAG-1", "first")).outcome is Outcome.DUPLICATE
    refused = await Driver(service, BO).start("opfoelgning", praktik_id=10**6)
    assert refused.outcome is Outcome.REFUSED


async def test_the_answered_question_is_the_one_stored_with_the_turn_that_asked_it(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """A turn stores its question's text, and the next turn names that question as the
    one answered (the front end closes it); a conversation stored without the text (from
    before the column) has the question worked out from its state, the same text."""
    service = ConversationService(db=db, config=config, flows=flows)
    driver = Driver(service)
    started = await driver.start("ny_praktik")
    assert started.prompt is not None
    async with db.transaction() as session:
        stored = (await session.exec(select(Conversation))).one()
    assert stored.prompt_text == started.prompt.text
    asked = await driver.say("SAG-9")
    assert asked.previous_question == started.prompt.text
    assert asked.prompt is not None
    async with db.transaction() as session:
        stored = (await session.exec(select(Conversation))).one()
        assert stored.prompt_text == asked.prompt.text
        stored.prompt_text = None  # as a row stored before the column
        session.add(stored)
    again = await driver.say("1")
    assert again.previous_question == asked.prompt.text


async def test_resume_after_restart_at_the_same_step(
    db_url: str, config: AppConfig, flows: dict[str, Flow]
) -> None:
    first = Database(db_url)
    driver = Driver(ConversationService(db=first, config=config, flows=flows))
    await driver.start("ny_praktik")
    await driver.say("SAG-8", "1", "Eksempel ApS")
    await first.dispose()  # the process is gone

    second = Database(db_url)
    service = ConversationService(db=second, config=config, flows=flows)
    resumed = await service.current(actor=ANNA, key=ANNA.user_key, now=NOW)
    assert resumed is not None and resumed.prompt is not None
    assert step_of(resumed) == "p_number"
    reply = await Driver(service).say("spring over")
    assert step_of(reply) == "type_method"
    await second.dispose()


def _copy_flows(tmp_path: Path) -> Path:
    target = tmp_path / "flows"
    shutil.copytree(FLOWS_DIR, target)
    return target


async def test_flow_changed_between_turns_continues_when_step_exists(
    db: Database, config: AppConfig, tmp_path: Path
) -> None:
    directory = _copy_flows(tmp_path)
    driver = Driver(ConversationService(db=db, config=config, flows=load_flows(directory)))
    await driver.start("ny_praktik")
    await driver.say("SAG-9", "1")
    path = directory / "ny_praktik.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "Hvilken virksomhed skal borgeren i praktik hos?", "Hvilken arbejdsplads?"
        ),
        encoding="utf-8",
    )
    driver.service = ConversationService(db=db, config=config, flows=load_flows(directory))
    reply = await driver.say("Eksempel ApS")
    assert any("Spørgsmålene er blevet opdateret" in m for m in reply.messages)
    assert step_of(reply) == "p_number"
    answers = await rows(db, Answer)
    assert [a.flow_version for a in answers][-1] != answers[0].flow_version


async def test_flow_changed_between_turns_restarts_when_step_is_gone(
    db: Database, config: AppConfig, tmp_path: Path
) -> None:
    directory = _copy_flows(tmp_path)
    driver = Driver(ConversationService(db=db, config=config, flows=load_flows(directory)))
    await driver.start("ny_praktik")
    await driver.say("SAG-9", "1", "Eksempel ApS", "spring over")  # now at 'type_method'
    path = directory / "ny_praktik.yaml"
    path.write_text(  # a step no named part reads (renaming one the effect reads fails)
        path.read_text(encoding="utf-8").replace("type_method", "typevalg"),
        encoding="utf-8",
    )
    driver.service = ConversationService(db=db, config=config, flows=load_flows(directory))
    reply = await driver.say("1")
    assert any("Vi starter forfra" in m for m in reply.messages)
    assert step_of(reply) == "case_ref"
    follow = await driver.say("SAG-9")
    assert step_of(follow) == "target_group"


async def test_idle_conversation_expires(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    service = ConversationService(db=db, config=config, flows=flows)
    await Driver(service).start("ny_praktik")
    later = NOW + dt.timedelta(hours=config.conversations.expire_after_hours + 1)
    reply = await service.answer(
        actor=ANNA, key=ANNA.user_key, inp=UserInput(text="SAG-1"), source_key="late", now=later
    )
    assert reply.finished and "udløb" in reply.messages[0]
    [conversation] = await rows(db, Conversation)
    assert conversation.status == "expired"
    assert await rows(db, Answer) == []


async def test_praktik_flows_only_for_own_praktik(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    service = ConversationService(db=db, config=config, flows=flows)
    anna = Driver(service)
    await anna.start("ny_praktik")
    await anna.say(*REGISTER)
    [praktik] = await rows(db, Praktik)
    refused = await Driver(service, BO).start("opfoelgning", praktik_id=praktik.id)
    assert refused.messages == ["Praktikken findes ikke, eller du har ikke adgang til den."]
    [denied] = [e for e in await rows(db, AuditEntry) if e.action == "denied"]
    assert (denied.actor, denied.praktik_id) == ("terminal:bo", praktik.id)
    ok = await anna.start("opfoelgning", praktik_id=praktik.id)
    assert ok.prompt is not None and ok.prompt.step_id == "phase"
    assert ok.prompt.suggested == "opstart"  # the praktik's next follow-up


async def test_followup_form_then_outcome(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    anna = Driver(ConversationService(db=db, config=config, flows=flows))
    await anna.start("ny_praktik")
    await anna.say(*REGISTER)
    [praktik] = await rows(db, Praktik)
    await anna.start("opfoelgning", praktik_id=praktik.id)
    done = await anna.say(
        "1", "4", "i dag", "ja", "2", "3", "4", "spring over", "spring over", "Slutevaluering",
        "gem",
    )  # fmt: skip
    assert any("markeret som afholdt" in m for m in done.messages)
    held = [f for f in await rows(db, FollowUp) if f.status == "held"]
    assert [f.kind for f in held] == ["opstart"]
    await anna.start("afslutning", praktik_id=praktik.id)
    await anna.say("2", "ja", "25", "spring over", "delvist", "Kun deltid", "ja", "gem")
    [ended] = await rows(db, Praktik)
    assert (ended.status, ended.outcome, ended.purpose_met) == (
        "ended",
        "ordinaer_deltid",
        "delvist",
    )
    assert ended.outcome_detail == {
        "outcome_at_host": True,
        "outcome_hours": 25,
        "reason_not_met": "Kun deltid",
    }
    notes = [n for n in await rows(db, CaseNote) if n.kind == "journalnotat"]
    assert len(notes) == 3
    scores = sorted(
        (s.phase, s.side, s.indicator, s.item, s.score) for s in await rows(db, ProgressScore)
    )
    assert scores == [
        ("opstart", "consultant", "job_belief", None, 4),
        ("opstart", "consultant", "subgoal", 0, 2),
        ("opstart", "consultant", "subgoal", 1, 3),
    ]
    belief = [a for a in await rows(db, Answer) if a.step_id == "job_belief"]
    assert [(a.value, a.praktik_id) for a in belief] == [("4", praktik.id)]
    assert belief[0].question.startswith("Hvor stor tror du selv")
    again = await anna.start("opfoelgning", praktik_id=praktik.id)
    assert again.messages == ["Praktikken SAG-2026-0001 er afsluttet."]
    assert len(await rows(db, Conversation)) == 3
    assert all(c.active_key is None for c in await rows(db, Conversation))
    assert col(Conversation.id) is not None


async def test_changing_the_period_moves_the_follow_ups(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    anna = Driver(ConversationService(db=db, config=config, flows=flows))
    await anna.start("ny_praktik")
    await anna.say(*REGISTER)  # dagpenge, 7/12 - 31/12
    [praktik] = await rows(db, Praktik)
    before = {f.kind: f.due_date for f in await rows(db, FollowUp)}
    await anna.start("ret_periode", praktik_id=praktik.id)
    refused = await anna.say("14/12", "ja", "31/1-2027")
    assert any("højst vare 4 uger" in m for m in refused.messages)
    done = await anna.say("8/1-2027", "ja", "Borgeren havde fravær en uge", "gem")
    assert any("Perioden for SAG-2026-0001 er nu" in m for m in done.messages)
    assert any("Opfølgningerne er flyttet" in m for m in done.messages)
    [changed] = await rows(db, Praktik)
    assert (changed.start_date, changed.end_date) == (dt.date(2026, 12, 14), dt.date(2027, 1, 8))
    after = {f.kind: f.due_date for f in await rows(db, FollowUp)}
    assert after["opstart"] > before["opstart"]
    assert after["afslutning"] > before["afslutning"]
    assert after["status"] > before["status"]
    assert [e.action for e in await rows(db, AuditEntry) if e.praktik_id == praktik.id][-1] == (
        "change"
    )


async def test_adding_a_follow_up_of_ones_own(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    anna = Driver(ConversationService(db=db, config=config, flows=flows))
    await anna.start("ny_praktik")
    await anna.say(*REGISTER)
    [praktik] = await rows(db, Praktik)
    await anna.start("ny_opfoelgning", praktik_id=praktik.id)
    past = await anna.say("2", "1/11-2026")
    assert any("fra i dag eller senere" in m for m in past.messages)
    done = await anna.say("19/12-2026", "ja", "Tjek fremmøde", "gem")  # a Saturday
    assert any(
        "Opfølgningen er tilføjet: midtvejsopfølgning mandag den 21." in m for m in done.messages
    )
    [manual] = [f for f in await rows(db, FollowUp) if f.source == "manual"]
    assert (manual.kind, manual.due_date, manual.note) == (
        "midtvejs",
        dt.date(2026, 12, 21),
        "Tjek fremmøde",
    )
