"""The dialogue tool's rows in storage (issue 12), on SQLite and PostgreSQL, through the
conversation service: scores, plan steps, risk flags and proposals are written by saving
a follow-up, and purged and erased with their praktik; a correction's dependent checks run
through the engine."""

from __future__ import annotations

import datetime as dt
import uuid

from bot.config import AppConfig
from bot.conversations import Actor, ConversationService, Reply
from bot.retention import erase_case, purge
from dialogues.model import Flow
from dialogues.state import UserInput
from storage.db import Database
from storage.models import (
    AuditEntry,
    FollowUp,
    FollowUpProposal,
    PlanStep,
    Praktik,
    ProgressScore,
    RiskFlag,
)
from tests.db_support import rows

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
ANNA = Actor(user_key="terminal:anna", name="anna")
KEY = "terminal:anna"

REGISTER = [  # an udviklingspraktik for a sygedagpenge recipient, 7/12 - 29/1
    "SAG-2026-1401", "sygedagpenge", "Eksempel Café", "spring over", "1", "3", "1, 2",
    "spring over", "Opgaver i køkkenet", "7/12", "ja", "29/1-2027", "ja", "12", "nej",
    "mandag-fredag kl. 8-12", "nej", "spring over", "20", "1",
    "Tina Eksempel, tina@eksempel.dk", "ja", "Kontakt", "ja", "gem",
]  # fmt: skip


class Driver:
    def __init__(self, service: ConversationService) -> None:
        self.service = service

    async def start(self, flow_id: str, praktik_id: int | None = None) -> Reply:
        return await self.service.start(
            actor=ANNA, key=KEY, flow_id=flow_id, praktik_id=praktik_id,
            source_key=uuid.uuid4().hex, now=NOW,
        )  # fmt: skip

    async def say(self, *texts: str) -> Reply:
        reply = Reply()
        for text in texts:
            reply = await self.service.answer(
                actor=ANNA, key=KEY, inp=UserInput(text=text), source_key=uuid.uuid4().hex,
                now=NOW,
            )  # fmt: skip
        return reply


async def a_followup_with_a_plan_and_risk(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> tuple[Driver, Praktik, Reply]:
    driver = Driver(ConversationService(db=db, config=config, flows=flows))
    await driver.start("ny_praktik")
    await driver.say(*REGISTER)
    [praktik] = await rows(db, Praktik)
    await driver.start("opfoelgning", praktik.id)
    saved = await driver.say(
        "2", "4", "i dag", "ja",  # midway, no meeting, today
        "2", "1",  # own scores: low
        "2",  # job belief
        "50", "2", "delvist",  # attendance below 75 %, pace, availability
        "Møde til tiden; Afklare transport",  # the plan (required)
        "1", "3", "om 1 uge", "ja", "om 2 uger", "ja",  # who, by when
        "spring over", "Tæt opfølgning", "gem",
    )  # fmt: skip
    return driver, praktik, saved


async def test_a_saved_follow_up_writes_scores_plan_flags_and_a_proposal(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    _, praktik, saved = await a_followup_with_a_plan_and_risk(db, config, flows)
    assert saved.proposal is not None
    assert "Lav progression, Lav tro på job, Fremmøde under 75 %" in saved.proposal.text
    scores = sorted(
        (s.side, s.indicator, s.item, s.score, s.scale_max) for s in await rows(db, ProgressScore)
    )
    assert scores == [
        ("consultant", "job_belief", None, 2, 5),
        ("consultant", "subgoal", 0, 2, 5),
        ("consultant", "subgoal", 1, 1, 5),
    ]
    steps = await rows(db, PlanStep)
    assert sorted((s.text, s.who, s.due_date) for s in steps) == [
        ("Afklare transport", "konsulent", dt.date(2026, 12, 14)),
        ("Møde til tiden", "borger", dt.date(2026, 12, 7)),
    ]
    followups = {f.id: f for f in await rows(db, FollowUp)}
    assert {(followups[s.followup_id].kind, followups[s.followup_id].note) for s in steps} == {
        ("plantrin", "Møde til tiden"),
        ("plantrin", "Afklare transport"),
    }
    flags = {f.rule_id for f in await rows(db, RiskFlag) if f.active}
    assert flags == {"low_progression", "low_job_belief", "low_attendance"}
    [proposal] = await rows(db, FollowUpProposal)
    assert (proposal.status, proposal.praktik_id) == ("proposed", praktik.id)


async def test_erasing_the_case_removes_the_tool_rows(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    await a_followup_with_a_plan_and_risk(db, config, flows)
    counted = await erase_case(db, case_ref="SAG-2026-1401", actor="test", dry_run=True)
    assert counted.counts["plan_steps"] == 2 and counted.counts["progress_scores"] == 3
    removed = await erase_case(db, case_ref="SAG-2026-1401", actor="test")
    assert removed.counts["risk_flags"] == 3 and removed.counts["followup_proposals"] == 1
    for model in (ProgressScore, PlanStep, RiskFlag, FollowUpProposal, Praktik, FollowUp):
        assert await rows(db, model) == []


async def test_purging_an_ended_praktik_removes_its_plan_and_typed_notes(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    driver, praktik, _ = await a_followup_with_a_plan_and_risk(db, config, flows)
    await driver.start("afslutning", praktik.id)
    await driver.say("6", "nej", "Fremmødet holdt ikke", "ja", "gem")
    [ended] = await rows(db, Praktik)
    assert ended.status == "ended" and ended.ended_at is not None
    later = NOW + dt.timedelta(days=config.retention.days_after_praktik_end + 30)
    removed = await purge(db, config, now=later, actor="test")
    assert removed.counts["plan_steps"] == 2 and removed.counts["followup_notes"] == 2
    assert await rows(db, PlanStep) == [] and await rows(db, ProgressScore) == []
    assert all(f.note is None for f in await rows(db, FollowUp))
    assert len(await rows(db, Praktik)) == 1  # the praktik row stays for the statistics


async def test_a_correction_runs_the_same_checks_through_the_engine(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    service = ConversationService(db=db, config=config, flows=flows)
    driver = Driver(service)
    await driver.start("ny_praktik")
    await driver.say(*REGISTER)
    [praktik] = await rows(db, Praktik)
    [registration] = [
        c for c in await service.correctable(actor=ANNA, praktik_id=praktik.id, now=NOW)
        if c.step_id == "hours_per_week"
    ]  # fmt: skip
    bo = Actor(user_key="terminal:bo", name="bo")
    assert await service.correctable(actor=bo, praktik_id=praktik.id, now=NOW) == []
    refused = await service.start_correction(
        actor=bo, key="terminal:bo", conversation_id=registration.conversation_id,
        step_id="hours_per_week", source_key=uuid.uuid4().hex, now=NOW,
    )  # fmt: skip
    assert refused.refused and refused.prompt is None
    denied = [e for e in await rows(db, AuditEntry) if e.action == "denied"]
    assert [(e.actor, e.praktik_id) for e in denied] == [("terminal:bo", praktik.id)] * 2
    started = await service.start_correction(
        actor=ANNA, key=KEY, conversation_id=registration.conversation_id,
        step_id="hours_per_week", source_key=uuid.uuid4().hex, now=NOW,
    )  # fmt: skip
    assert started.prompt is not None and started.prompt.step_id == "hours_per_week"
    assert started.prompt.current == "12"
    refused = await driver.say("40")  # the same validator as at registration
    assert any("højst være 37 timer" in m for m in refused.messages)
    assert refused.prompt is not None and refused.prompt.step_id == "hours_per_week"
    summary = await driver.say("15")
    assert summary.prompt is not None and summary.prompt.kind == "summary"
    locked = [i.step_id for i in summary.prompt.summary if not i.editable]
    assert {"start_date", "end_date", "praktik_type", "subgoals"} <= set(locked)
    again = await driver.say("ret 10")  # the end date: refused with the way to do it
    assert any("'Ret periode'" in m for m in again.messages)
    saved = await driver.say("gem")
    assert saved.finished and saved.note is not None and saved.note.startswith("RETTET UDKAST")
    [corrected] = await rows(db, Praktik)
    assert corrected.hours_per_week == 15 and corrected.end_date == praktik.end_date

    # A corrected answer that another question depends on: that one is asked as well.
    await service.start_correction(
        actor=ANNA, key=KEY, conversation_id=registration.conversation_id,
        step_id="last_employer", source_key=uuid.uuid4().hex, now=NOW,
    )  # fmt: skip
    asked = await driver.say("ja")  # sygedagpenge: does the citizen have a job today?
    assert asked.prompt is not None and asked.prompt.step_id == "has_job"
    asked = await driver.say("ja")  # with a job: allowed in a new job function
    assert asked.prompt is not None and asked.prompt.step_id == "new_function"
    await driver.say("Køkkenhjælp i stedet for opvask", "gem")
    [again] = await rows(db, Praktik)
    assert (again.last_employer, again.new_function, again.hours_per_week) == (
        True,
        "Køkkenhjælp i stedet for opvask",
        15,  # the first correction stays
    )


async def test_an_extended_period_proposes_an_extra_follow_up(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    driver = Driver(ConversationService(db=db, config=config, flows=flows))
    await driver.start("ny_praktik")
    await driver.say(*REGISTER)
    [praktik] = await rows(db, Praktik)
    await driver.start("ret_periode", praktik.id)
    shorter = await driver.say("spring over", "22/1-2027", "ja", "Borgeren starter job", "gem")
    assert shorter.proposal is None  # shortened: no rule holds
    await driver.start("ret_periode", praktik.id)
    longer = await driver.say("spring over", "26/2-2027", "ja", "Mere tid til afklaring", "gem")
    assert longer.proposal is not None and "Perioden er forlænget" in longer.proposal.text
    [flag] = [f for f in await rows(db, RiskFlag) if f.active]
    assert flag.rule_id == "extended"
