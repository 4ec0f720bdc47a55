"""Registration that saves double work, on the rules in force (issue 13).

The agreement's fields as VITAS asks for them, the copy-ready VITAS summary and grant
journalnotat, the dated rule sets (abolished target groups, the last-employer rule per
group), `praktikbot rules check`, and several answers in one message — through the
engine, the conversation service on real SQLite and PostgreSQL, the Slack app (signed
requests to the stand-in) and the terminal as a real process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.config import AppConfig, ConfigError, load_config
from bot.context import flow_context
from bot.conversations import ConversationService
from dialogues import engine
from dialogues.dates import format_danish_date
from dialogues.model import Flow
from dialogues.numbers import danish_number
from dialogues.rules import VALIDATORS, Env
from dialogues.state import FlowContext, Turn, UserInput
from dialogues.structure import FlowError, parse_flow
from storage.db import Database
from storage.models import Answer, CaseNote, Praktik
from tests.cli_support import Chat, run_cli, run_process
from tests.db_support import all_rows, rows
from tests.slack_harness import SlackBot, message_text
from tests.test_conversations import NOW, Driver
from tests.test_dialogue_tool_storage import REGISTER

ROOT = Path(__file__).resolve().parent.parent
TODAY = NOW.date()  # Monday 30 November 2026


def say(flow: Flow, ctx: FlowContext, *inputs: str, now: dt.datetime = NOW) -> Turn:
    turn = engine.start(flow, ctx, now)
    for text in inputs:
        turn = engine.advance(flow, turn.state, UserInput(text=text), ctx, now)
    return turn


# The answers up to the start date (P-nummer skipped, type chosen, one sub-goal, tasks).
def until_start(group: str, company: str = "Eksempel Lager ApS") -> tuple[str, ...]:
    return ("SAG-2026-0601", group, company, "spring over", "1", "1", "1", "spring over", "Lager")


def test_numbers_in_messages_are_written_the_danish_way(
    flows: dict[str, Flow], ctx: FlowContext
) -> None:
    """Not "1e+06": a point between thousands, a comma before decimals (and the answer
    shown back as typed the Danish way)."""
    for typed in ("99999999999999999999999999", "2000000"):
        turn = say(flows["ny_praktik"], ctx, *REGISTER[:18], typed)
        assert turn.messages == ("Tallet skal være mellem 0 og 1.000.000.",)
        assert turn.prompt is not None and turn.prompt.step_id == "ordinary_employees"
    shown = {
        1_000_000: "1.000.000", 1250: "1.250", 7.5: "7,5", -1250.25: "-1.250,25", 0: "0",
        37: "37", 0.1 + 0.2: "0,3", 1e20: "100.000.000.000.000.000.000",
    }  # fmt: skip
    assert {value: danish_number(value) for value in shown} == shown
    turn = say(flows["ny_praktik"], ctx, *REGISTER[:13], "40")  # above the maximum hours
    assert any("højst være 37 timer" in m for m in turn.messages), turn.messages


# --- the agreement's fields -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "refused"),
    [
        ("12345674", None),
        ("1234 5674", None),
        ("12-34-56-74", None),
        ("12345678", "kontrolcifferet passer ikke (modulus 11)"),
        ("1234567", "præcis 8 cifre"),
        ("CVR12345674", "præcis 8 cifre"),
    ],
)
def test_cvr_number_is_checked_with_its_modulus_11_rule(
    ctx: FlowContext, typed: str, refused: str | None
) -> None:
    issue = VALIDATORS["cvr_number"](typed, Env(ctx=ctx, answers={}, today=TODAY))
    if refused is None:
        assert issue is None
    else:
        assert issue is not None and issue.level == "refuse" and refused in issue.message


@pytest.mark.parametrize(
    ("typed", "outcome"),
    [
        ("Tina Eksempel, tina@eksempel.dk", None),
        ("Tina Eksempel 12 34 56 78", None),
        ("Tina Eksempel, +45 12345678", None),
        ("Ingen.", "warn"),
        ("Der er ingen tillidsrepræsentant", "warn"),
        ("Tina Eksempel", "refuse"),  # no way to reach her
        ("tina@eksempel.dk", "refuse"),  # no name
    ],
)
def test_tillidsrepraesentant_needs_name_and_contact_or_ingen(
    ctx: FlowContext, typed: str, outcome: str | None
) -> None:
    issue = VALIDATORS["employee_rep"](typed, Env(ctx=ctx, answers={}, today=TODAY))
    assert (issue.level if issue else None) == outcome
    if outcome == "warn":
        assert issue is not None and "fra virksomheden alene (bek. § 65 stk. 6)" in issue.message


def test_without_a_tillidsrepraesentant_the_statement_is_the_employers_alone(
    flows: dict[str, Flow], ctx: FlowContext
) -> None:
    flow = flows["ny_praktik"]
    start = (*until_start("Kontanthjælp, aktivitetsparat"), "7/12 - 31/12, 20", "ja")
    rest = ("nej", "man-tors 8-13", "nej", "spring over", "14", "0")
    with_rep = say(flow, ctx, *start, *rest, "Tina Eksempel, tina@eksempel.dk")
    assert with_rep.prompt is not None
    assert "udtalelse fra virksomheden og tillidsrepræsentanten" in with_rep.prompt.text
    without = say(flow, ctx, *start, *rest, "ingen")
    assert without.prompt is not None and without.prompt.step_id == "ratio_statement"
    assert "udtalelse fra virksomheden alene (der er ingen tillidsrepræsentant)" in (
        without.prompt.text
    )
    assert any("fra virksomheden alene (bek. § 65 stk. 6)" in m for m in without.messages)
    not_yet = engine.advance(flow, without.state, UserInput(text="nej"), ctx, NOW)
    assert any(
        "skriftlig udtalelse fra virksomheden alene (der er ingen tillidsrepræsentant)" in m
        for m in not_yet.messages
    )


def test_final_hours_rise_above_the_start_and_stay_within_the_maximum(
    flows: dict[str, Flow], ctx: FlowContext
) -> None:
    flow = flows["ny_praktik"]
    turn = say(flow, ctx, *until_start("Dagpenge"), "7/12 - 31/12, 10", "ja", "ja")
    assert turn.prompt is not None and turn.prompt.step_id == "final_hours"
    assert "(højst 37)" in turn.prompt.text
    lower = engine.advance(flow, turn.state, UserInput(text="8"), ctx, NOW)
    assert "højere end timetallet ved start (10)" in lower.messages[0]
    above = engine.advance(flow, turn.state, UserInput(text="40"), ctx, NOW)
    assert "højst være 37 timer om ugen" in above.messages[0]
    ok = engine.advance(flow, turn.state, UserInput(text="30"), ctx, NOW)
    assert ok.prompt is not None and ok.prompt.step_id == "hours_plan"


def test_optional_steps_stay_optional(flows: dict[str, Flow]) -> None:
    steps = {s.id: s for s in flows["ny_praktik"].steps}
    assert [s for s, step in steps.items() if step.optional] == [
        "p_number",
        "own_subgoals",
        "cvr_number",
    ]


# --- rules in force: the last employer ----------------------------------------------------


def last_employer_turn(flow: Flow, ctx: FlowContext, group: str) -> Turn:
    return say(flow, ctx, *until_start(group), "7/12 - 31/12, 20", "ja", "nej", "man-fre 8-12")


@pytest.mark.parametrize(
    ("group", "answers", "expected"),
    [
        # jobparate groups: not at the last employer at all
        ("Dagpenge", ["ja"], "må praktikken ikke være hos borgerens seneste arbejdsgiver"),
        ("Kontanthjælp, jobparat", ["ja"], "må praktikken ikke være"),
        ("Selvforsørgende, jobparat", ["ja"], "må praktikken ikke være"),
        # the others: in a new job function, which the consultant describes
        ("Kontanthjælp, aktivitetsparat", ["ja"], "Hvilken ny jobfunktion"),
        ("Uddannelseshjælp, uddannelsesparat", ["ja"], "Hvilken ny jobfunktion"),
        # sygedagpenge and jobafklaring: asked about a job; without one, the same function
        ("Sygedagpenge", ["ja"], "Har borgeren et job i dag"),
        ("Jobafklaring", ["ja", "nej"], "samme jobfunktion som borgerens tidligere"),
        ("Jobafklaring", ["ja", "ja"], "Hvilken ny jobfunktion"),
        ("Sygedagpenge", ["ja", "nej", "nej"], "Hvilken ny jobfunktion"),
        ("Sygedagpenge", ["ja", "nej", "ja"], "CVR-nummer"),
    ],
)
def test_the_last_employer_rule_of_each_group(
    flows: dict[str, Flow], ctx: FlowContext, group: str, answers: list[str], expected: str
) -> None:
    flow = flows["ny_praktik"]
    turn = last_employer_turn(flow, ctx, group)
    assert turn.prompt is not None and turn.prompt.step_id == "last_employer"
    for text in answers:
        turn = engine.advance(flow, turn.state, UserInput(text=text), ctx, NOW)
    shown = "\n".join([*turn.messages, turn.prompt.text if turn.prompt else ""])
    assert expected in shown


def with_rules(config: AppConfig, **changes: Any) -> FlowContext:
    """The shipped rules, with some groups changed in every set (as app.yaml could)."""
    sets = tuple(
        r.model_copy(
            update={
                "target_groups": tuple(
                    g.model_copy(update=changes[g.id]) if g.id in changes else g
                    for g in r.target_groups
                )
            }
        )
        for r in config.rules
    )
    return flow_context(config.model_copy(update={"rules": sets}))


def test_which_last_employer_rule_applies_is_the_rule_sets_value(
    flows: dict[str, Flow], config: AppConfig
) -> None:
    flow = flows["ny_praktik"]
    ctx = with_rules(config, dagpenge={"last_employer": "same_function_without_job"})
    turn = engine.advance(
        flow, last_employer_turn(flow, ctx, "Dagpenge").state, UserInput(text="ja"), ctx, NOW
    )
    assert turn.prompt is not None and turn.prompt.step_id == "has_job"


# --- rules in force: abolished target groups --------------------------------------------------


def test_an_abolished_group_can_be_chosen_but_a_later_start_is_refused_with_the_reason(
    flows: dict[str, Flow], ctx: FlowContext
) -> None:
    flow = flows["ny_praktik"]
    chosen = say(flow, ctx, "SAG-1", "Revalidering")
    assert chosen.state.answers["target_group"] == "revalidering"
    assert (
        "OBS: Revalidering er afskaffet for nye forløb fra 1. februar 2026" in (chosen.messages[0])
    )
    turn = say(flow, ctx, *until_start("Revalidering"), "7/12")
    assert turn.prompt is not None and turn.prompt.step_id == "start_date"
    assert "start_date" not in turn.state.answers
    refusal = turn.messages[0]
    assert "Revalidering er afskaffet for nye forløb fra 1. februar 2026" in refusal
    assert "(lov nr. 1750 af 29. december 2025)" in refusal
    assert "kan ikke starte mandag den 7. december 2026" in refusal
    ressource = say(flow, ctx, *until_start("Ressourceforløb"), "7/12")
    assert "Ressourceforløb er afskaffet for nye forløb fra 1. juli 2026" in ressource.messages[0]


def test_the_refusal_is_the_rule_sets_text(flows: dict[str, Flow], config: AppConfig) -> None:
    ctx = with_rules(config, fleksjob={"closed": "Fleksjob-praktik er lukket i testen."})
    turn = say(
        flows["ny_praktik"], ctx, *until_start("Visiteret til fleksjob (ledighedsydelse)"), "7/12"
    )
    assert turn.messages[0].startswith("Fleksjob-praktik er lukket i testen.")


async def test_a_praktik_started_before_the_abolition_keeps_its_group(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """Registered in January 2026 (revalidering still open); in March its period can still
    be changed, while a new one in revalidering cannot start."""
    service = ConversationService(db=db, config=config, flows=flows)
    actor = Driver(service).actor

    async def run(
        flow_id: str, now: dt.datetime, *texts: str, praktik_id: int | None = None
    ) -> Any:
        await service.start(
            actor=actor,
            key=actor.user_key,
            flow_id=flow_id,
            praktik_id=praktik_id,
            source_key=f"{flow_id}:0",
            now=now,
        )
        for number, text in enumerate(texts, start=1):
            reply = await service.answer(
                actor=actor,
                key=actor.user_key,
                inp=UserInput(text=text),
                source_key=f"{flow_id}:{number}",
                now=now,
            )
        return reply

    january = dt.datetime(2026, 1, 12, 9, tzinfo=dt.UTC)
    reply = await run(
        "ny_praktik",
        january,
        *until_start("Revalidering", "Eksempel Værksted ApS"),
        *("19/1-2026 - 17/4-2026, 15", "ja", "nej", "man-ons 9-14", "nej", "spring over"),
        *("10", "0", "ingen", "ja", "Kontakt Eksempel", "ja", "gem"),
    )
    assert reply.finished
    [praktik] = await rows(db, Praktik)
    assert (praktik.target_group, praktik.rule_set) == ("revalidering", "bek_2636_2021")

    march = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    reply = await run(
        "ret_periode",
        march,
        *("spring over", "29/5", "ja", "ja", "Mere tid", "gem"),
        praktik_id=praktik.id,
    )
    assert any("Perioden for SAG-2026-0601 er nu" in m for m in reply.messages)
    [changed] = await rows(db, Praktik)
    assert changed.end_date == dt.date(2026, 5, 29) and changed.extension_assessed

    ctx = flow_context(config)
    new = say(flows["ny_praktik"], ctx, *until_start("Revalidering"), "16/3", now=march)
    assert "Revalidering er afskaffet" in new.messages[0]


# --- several answers in one message ----------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "start", "end", "hours"),
    [
        ("1/3 - 28/3", "2027-03-01", "2027-03-28", None),
        ("1/3-28/3", "2027-03-01", "2027-03-28", None),
        ("fra 1. marts til 28. marts, 30 timer", "2027-03-01", "2027-03-28", 30),
        ("7/12-2026 – 31/12-2026; 37 timer om ugen", "2026-12-07", "2026-12-31", 37),
        ("i morgen til om 3 uger, 12,5 t", "2026-12-01", "2026-12-21", 12.5),
    ],
)
def test_start_end_and_hours_in_one_message_are_confirmed_then_saved(
    flows: dict[str, Flow],
    ctx: FlowContext,
    typed: str,
    start: str,
    end: str,
    hours: float | None,
) -> None:
    flow = flows["ny_praktik"]
    group = "Kontanthjælp, aktivitetsparat"
    turn = say(flow, ctx, *until_start(group), typed)
    assert turn.prompt is not None and turn.prompt.kind == "confirm_answers"
    assert turn.prompt.step_id == "start_date" and turn.answers == ()
    assert "start_date" not in turn.state.answers  # nothing saved before the yes
    shown = turn.prompt.text
    assert "Startdato: " + format_danish_date(dt.date.fromisoformat(start)) in shown
    assert "Slutdato: " + format_danish_date(dt.date.fromisoformat(end)) in shown
    assert ("Timer pr. uge" in shown) == (hours is not None)
    # A click on "Ja" in Slack is a value, a typed "ja" is text: both confirm.
    for inp in (UserInput(value="ja", step_id="start_date"), UserInput(text="ja")):
        saved = engine.advance(flow, turn.state, inp, ctx, NOW)
        assert saved.state.answers["start_date"] == start
        assert saved.state.answers["end_date"] == end
        assert saved.state.answers.get("hours_per_week") == hours
        assert [a.step_id for a in saved.answers] == [
            "start_date",
            "end_date",
            *(["hours_per_week"] if hours is not None else []),
        ]
        assert saved.prompt is not None
        assert saved.prompt.step_id == ("hours_rise" if hours is not None else "hours_per_week")


def test_several_answers_no_and_back_and_another_answer(
    flows: dict[str, Flow], ctx: FlowContext
) -> None:
    flow = flows["ny_praktik"]
    turn = say(flow, ctx, *until_start("Dagpenge"), "7/12 - 31/12, 30")
    no = engine.advance(flow, turn.state, UserInput(text="nej"), ctx, NOW)
    assert no.prompt is not None and no.prompt.step_id == "start_date"
    assert no.prompt.kind == "date" and "Skriv svaret igen" in no.messages[0]
    back = engine.advance(flow, turn.state, UserInput(command="back"), ctx, NOW)
    assert back.prompt is not None and back.prompt.kind == "date"
    assert back.state.answers.get("tasks") == "Lager"  # back from the confirmation only
    other = engine.advance(flow, turn.state, UserInput(text="8/12"), ctx, NOW)
    assert other.prompt is not None and other.prompt.kind == "confirm_date"
    assert "tirsdag den 8. december 2026" in other.prompt.text


def test_a_refused_part_is_explained_and_nothing_is_saved(
    flows: dict[str, Flow], ctx: FlowContext
) -> None:
    flow = flows["ny_praktik"]
    turn = say(flow, ctx, *until_start("Dagpenge"), "7/12 - 31/1-2027, 30")
    assert turn.prompt is not None and turn.prompt.step_id == "start_date"
    assert turn.messages[0].startswith("Slutdato: Perioden er 8 uger")
    assert "Ingen af svarene i beskeden er gemt" in turn.messages[1]
    assert "start_date" not in turn.state.answers
    too_many = say(flow, ctx, *until_start("Dagpenge"), "7/12 - 31/12, 40 timer")
    assert too_many.messages[0].startswith("Timer pr. uge: En praktik må højst være 37 timer")


def test_a_message_that_is_no_answer_gets_the_usual_explanation(
    flows: dict[str, Flow], ctx: FlowContext
) -> None:
    flow = flows["ny_praktik"]
    turn = say(flow, ctx, *until_start("Dagpenge"), "engang til foråret")
    assert turn.prompt is not None and turn.prompt.kind == "date"
    assert "som en dato" in turn.messages[0]
    cpr = say(flow, ctx, *until_start("Dagpenge"), "7/12 - 31/12, 0101901234")
    assert "ligner et CPR-nummer" in cpr.messages[0] and cpr.state.pending_answers is None


# A number after a space may be the next answer or part of this one (a date's year); the end
# of a period is read from its start. Dagpenge: at most 4 weeks. Today: Monday 30 November.
@pytest.mark.parametrize(
    ("typed", "start", "end", "hours"),
    [
        # "28/3 30" could be 28 March 2030: a unit after the number makes it the hours
        ("1/3 - 28/3 30 timer", "2027-03-01", "2027-03-28", 30),
        ("1/3 - 28/3 30 t.", "2027-03-01", "2027-03-28", 30),
        ("1/3 - 28/3 30 t", "2027-03-01", "2027-03-28", 30),
        ("1/3 - 28/3 30 timer om ugen", "2027-03-01", "2027-03-28", 30),
        ("1/3 til 28/3 30 timer.", "2027-03-01", "2027-03-28", 30),
        ("fra 1. marts til 28. marts 30 timer", "2027-03-01", "2027-03-28", 30),
        # without a unit: 2030 is refused (160 weeks), so only the hours reading is left
        ("1/3 - 28/3 30", "2027-03-01", "2027-03-28", 30),
        # a four-digit year stays the year; the hours after a comma
        ("1/3-2027 - 28/3 2027, 30 timer", "2027-03-01", "2027-03-28", 30),
        # a range's second date is read from the first
        ("mandag - fredag", "2026-12-07", "2026-12-11", None),
        ("mandag - fredag 20 timer", "2026-12-07", "2026-12-11", 20),
        ("fra onsdag til tirsdag, 20", "2026-12-02", "2026-12-08", 20),
        ("næste mandag til fredag, 20 timer", "2026-12-07", "2026-12-11", 20),
        ("1/3 - 4 uger, 30 timer", "2027-03-01", "2027-03-28", 30),  # exactly the 4 weeks
        ("mandag til om 4 uger", "2026-12-07", "2027-01-03", None),
    ],
)
def test_a_number_or_a_range_read_the_one_way_it_can_be_meant(
    flows: dict[str, Flow],
    ctx: FlowContext,
    typed: str,
    start: str,
    end: str,
    hours: int | None,
) -> None:
    flow = flows["ny_praktik"]
    turn = say(flow, ctx, *until_start("Dagpenge"), typed)
    assert turn.prompt is not None and turn.prompt.kind == "confirm_answers", turn.messages
    shown = turn.prompt.text
    assert "Startdato: " + format_danish_date(dt.date.fromisoformat(start)) in shown
    assert "Slutdato: " + format_danish_date(dt.date.fromisoformat(end)) in shown
    assert (f"Timer pr. uge: {hours}" in shown) == (hours is not None)
    saved = engine.advance(flow, turn.state, UserInput(text="ja"), ctx, NOW)
    answers = saved.state.answers
    assert (answers["start_date"], answers["end_date"], answers.get("hours_per_week")) == (
        start,
        end,
        hours,
    )


def test_a_number_that_is_a_year_or_the_hours_is_asked_about(
    flows: dict[str, Flow], ctx: FlowContext
) -> None:
    """'28/3 27': 28 March 2027 (the next 28 March anyway) or 28 March and 27 hours - both
    pass the checks, so both readings are shown and nothing is saved."""
    flow = flows["ny_praktik"]
    turn = say(flow, ctx, *until_start("Dagpenge"), "1/3 - 28/3 27")
    assert turn.prompt is not None and turn.prompt.step_id == "start_date"
    assert turn.prompt.kind == "date" and turn.state.pending_answers is None
    assert "start_date" not in turn.state.answers
    [message] = turn.messages
    assert message.startswith("Beskeden kan læses på flere måder")
    period = "Startdato: mandag den 1. marts 2027; Slutdato: søndag den 28. marts 2027"
    assert f"\n1. {period}\n" in message
    assert f"\n2. {period}; Timer pr. uge: 27\n" in message
    assert message.endswith("Skriv dem ét ad gangen.")


def test_a_refusal_shows_how_the_message_was_read(flows: dict[str, Flow], ctx: FlowContext) -> None:
    flow = flows["ny_praktik"]
    turn = say(flow, ctx, *until_start("Dagpenge"), "1/3 - 28/3 40 timer")
    assert turn.messages[0].startswith("Timer pr. uge: En praktik må højst være 37 timer")
    assert "• Slutdato: søndag den 28. marts 2027\n• Timer pr. uge: 40\n" in turn.messages[1]
    assert turn.messages[1].endswith(
        "Ingen af svarene i beskeden er gemt. Ret det, og skriv dem igen."
    )
    eight = say(flow, ctx, *until_start("Dagpenge"), "7/12 - 31/1-2027, 30")
    assert eight.messages[0].startswith("Slutdato: Perioden er 8 uger")
    assert "• Slutdato: søndag den 31. januar 2027" in eight.messages[1]


@pytest.mark.parametrize(
    ("start", "typed", "end"),
    [
        ("næste mandag", "fredag", "2026-12-11"),  # the Friday after the start, not before
        ("næste mandag", "om 4 uger", "2027-01-03"),  # from the start, not from today
        ("næste mandag", "4 uger", "2027-01-03"),
        ("næste mandag", "i 3 uger", "2026-12-27"),
        ("1/3", "28/3", "2027-03-28"),
        ("1/3", "fredag", "2027-03-05"),
        ("onsdag", "2 uger", "2026-12-15"),
    ],
)
def test_the_end_date_step_reads_from_the_start(
    flows: dict[str, Flow], ctx: FlowContext, start: str, typed: str, end: str
) -> None:
    flow = flows["ny_praktik"]
    turn = say(flow, ctx, *until_start("Dagpenge"), start, "ja", typed)
    assert turn.prompt is not None and turn.prompt.kind == "confirm_date", turn.messages
    assert format_danish_date(dt.date.fromisoformat(end)) in turn.prompt.text
    saved = engine.advance(flow, turn.state, UserInput(text="ja"), ctx, NOW)
    assert saved.state.answers["end_date"] == end
    assert saved.prompt is not None and saved.prompt.step_id == "hours_per_week"


def test_the_end_date_help_says_lengths_count_from_the_start(flows: dict[str, Flow]) -> None:
    for flow_id in ("ny_praktik", "ret_periode"):
        step = flows[flow_id].step("end_date")
        assert step.counts_from == "period_start"
        assert step.help is not None and "fra startdatoen" in step.help


@pytest.mark.parametrize(
    ("typed", "warned", "friday"),
    [
        ("1/3 - 28/3, 30", "søndag den 28. marts 2027", "fredag den 26. marts 2027"),
        ("1/3 - 27/3, 30", "lørdag den 27. marts 2027", "fredag den 26. marts 2027"),
        ("1/3 - 26/3, 30", None, None),
        ("mandag til 4 uger, 30", "søndag den 3. januar 2027", "fredag den 1. januar 2027"),
    ],
)
def test_an_end_in_a_weekend_is_warned_about_not_refused(
    flows: dict[str, Flow],
    ctx: FlowContext,
    typed: str,
    warned: str | None,
    friday: str | None,
) -> None:
    flow = flows["ny_praktik"]
    turn = say(flow, ctx, *until_start("Dagpenge"), typed, "ja")
    assert turn.prompt is not None and turn.prompt.step_id == "hours_rise"
    warnings = [m for m in turn.messages if "weekend" in m]
    if warned is None:
        assert warnings == [] and not any(turn.state.warnings.values())
        return
    assert warnings == [
        f"OBS: Slutdatoen, {warned}, ligger i en weekend. Slutter praktikken på den sidste "
        f"hverdag, er det {friday} - ret slutdatoen, hvis det er den, der menes."
    ]
    assert warnings[0] in turn.state.warnings.values()  # and in the summary, with a ⚠


def test_an_end_in_a_weekend_beyond_the_limit_is_warned_with_the_extension(
    flows: dict[str, Flow], ctx: FlowContext
) -> None:
    flow = flows["ny_praktik"]
    group = "Kontanthjælp, aktivitetsparat"
    turn = say(flow, ctx, *until_start(group), "7/12", "ja", "14/3-2027", "ja")
    [message] = [m for m in turn.messages if "weekend" in m]
    assert message.startswith("Perioden er 14 uger. For Kontanthjælp, aktivitetsparat er")
    assert "kræver en konkret individuel vurdering" in message
    assert "OBS: Slutdatoen, søndag den 14. marts 2027, ligger i en weekend." in message


async def test_several_answers_read_one_way_are_stored_after_the_yes(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """Through the conversation service on a real database: '28/3 30 timer' is stored
    as the end date 28 March 2027 and 30 hours; a range 'mandag - fredag' as one week."""
    driver = Driver(ConversationService(db=db, config=config, flows=flows))
    await driver.start("ny_praktik")
    shown = await driver.say(*until_start("Dagpenge"), "1/3 - 28/3 30 timer")
    assert shown.prompt is not None and shown.prompt.kind == "confirm_answers"
    assert "Slutdato: søndag den 28. marts 2027" in shown.prompt.text
    assert await rows(db, Answer) and not {a.step_id for a in await rows(db, Answer)} & {
        "start_date",
        "end_date",
        "hours_per_week",
    }
    saved = await driver.say("ja")
    assert any("ligger i en weekend" in m for m in saved.messages)
    logged = {a.step_id: a.value for a in await rows(db, Answer)}
    assert (logged["start_date"], logged["end_date"], logged["hours_per_week"]) == (
        "2027-03-01",
        "2027-03-28",
        30,
    )
    # 'tilbage' to the start date and a range of weekdays instead
    back = await driver.say("tilbage", "tilbage", "tilbage")
    assert back.prompt is not None and back.prompt.step_id == "start_date"
    again = await driver.say("mandag - fredag")
    assert again.prompt is not None and again.prompt.kind == "confirm_answers", again.messages
    assert "Slutdato: fredag den 11. december 2026" in again.prompt.text
    await driver.say("ja")
    logged = {a.step_id: a.value for a in await rows(db, Answer) if a.step_id.endswith("_date")}
    assert (logged["start_date"], logged["end_date"]) == ("2026-12-07", "2026-12-11")


DEMO = """
id: demo
title: Demo
description: Two numbers.
steps:
  - id: first
    kind: number
    text: Første tal?
    together: {with: [second], separators: [","]}
  - id: second
    kind: number
    text: Andet tal?
"""


def test_a_message_read_two_ways_is_not_guessed(ctx: FlowContext) -> None:
    flow = parse_flow(DEMO, "demo.yaml")
    # "1,5,2": 1 and 5,2 - or 1,5 and 2
    turn = say(flow, ctx, "1,5,2")
    assert turn.prompt is not None and turn.prompt.step_id == "first"
    assert "kan læses på flere måder" in turn.messages[0]
    assert turn.state.answers == {}
    one = say(flow, ctx, "1, 2")  # one answer as it stands (1,2): read alone
    assert one.state.answers == {"first": 1.2}
    two = say(flow, ctx, "1 , 2 ,")  # not a number: 1 and 2, one way only
    assert two.prompt is not None and two.prompt.kind == "confirm_answers"


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "    kind: number\n    text: Andet",
            "    kind: text\n    text: Andet",
            "together: step 'second' is a text step; only choice, date, number, scale, yesno",
        ),
        (
            "with: [second]",
            "with: [nowhere]",
            "together names 'nowhere', which is not a later step",
        ),
        ("with: [second]", "with: [first]", "together names 'first', which is not a later step"),
    ],
)
def test_together_declarations_are_checked(old: str, new: str, problem: str) -> None:
    with pytest.raises(FlowError) as caught:
        parse_flow(DEMO.replace(old, new), "demo.yaml")
    assert caught.value.line.startswith(f"demo.yaml, step 'first': {problem}")


def test_the_texts_after_saving_need_a_registered_praktik() -> None:
    flow = DEMO.replace("steps:", "on_complete: [vitas_summary]\nsteps:")
    with pytest.raises(FlowError) as caught:
        parse_flow(flow, "demo.yaml")
    assert caught.value.line == (
        "demo.yaml: effect 'vitas_summary' reads the saved praktik: name an effect that "
        "registers it (register_praktik) before it, or give the flow 'needs_praktik: true'"
    )


# --- registration, stored, with the copy-ready texts --------------------------------------------

AKTIVITETSPARAT = (
    "SAG-2026-0602",
    "Kontanthjælp, aktivitetsparat",
    "Eksempel Lager ApS",
    "1017654321",
    "1",
    "kompetencepraktik",
    "1, 2",
    "spring over",
    "Plukning af ordrer med håndscanner; truckkørsel",
    "fra 7. december til 26. februar, 20 timer",
    "ja",
    "ja",  # hours rise
    "30",
    "uge 1-4: 20 timer, uge 5-8: 25 timer, derefter 30 timer",
    "mandag-torsdag kl. 8-14",
    "ja",  # last employer
    "Lager med plukning i stedet for chaufførjobbet",
    "12345674",
    "14",
    "0",
    "ingen",
    "ja",
    "Kontakt Eksempel, kontakt@eksempel.dk",
    "ja",
    "gem",
)


async def test_registering_stores_every_field_and_both_copy_ready_texts(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    driver = Driver(ConversationService(db=db, config=config, flows=flows))
    await driver.start("ny_praktik")
    reply = await driver.say(*AKTIVITETSPARAT)
    assert reply.finished
    assert [n.kind for n in reply.notes] == ["vitas", "journalnotat"]
    assert reply.notes[0].title.startswith("VITAS-oplysninger")
    [praktik] = await rows(db, Praktik)
    assert praktik.cvr_number == "12345674" and praktik.p_number == "1017654321"
    assert praktik.tasks == "Plukning af ordrer med håndscanner; truckkørsel"
    assert (praktik.start_date, praktik.end_date) == (dt.date(2026, 12, 7), dt.date(2027, 2, 26))
    assert (praktik.hours_per_week, praktik.final_hours_per_week) == (20, 30)
    assert praktik.hours_plan == "uge 1-4: 20 timer, uge 5-8: 25 timer, derefter 30 timer"
    assert praktik.working_times == "mandag-torsdag kl. 8-14"
    assert praktik.last_employer and praktik.same_function is None
    assert praktik.new_function == "Lager med plukning i stedet for chaufførjobbet"
    assert (praktik.employee_rep, praktik.has_employee_rep) == (None, False)
    assert praktik.min_plan_updated_at_grant is True
    assert (praktik.ratio_limit, praktik.ratio_exceeded, praktik.ratio_statement) == (
        2,
        False,
        True,
    )
    assert praktik.rule_set == "lov_1750_2025_trin2"
    by_kind = {n.kind: n for n in await rows(db, CaseNote)}
    assert set(by_kind) == {"vitas", "journalnotat"}
    assert {n.praktik_id for n in by_kind.values()} == {praktik.id}
    vitas = by_kind["vitas"].text
    assert vitas == reply.notes[0].text
    order = [
        "Virksomhedens navn: Eksempel Lager ApS",
        "CVR-nr.: 12345674",
        "P-nr.: 1017654321",
        "Kontaktperson hos virksomheden: Kontakt Eksempel, kontakt@eksempel.dk",
        "Tillidsrepræsentant: Ingen tillidsrepræsentant på arbejdspladsen",
        "Antal fuldtidsansatte på P-nr.: 14",
        "Periode: 07.12.2026 - 26.02.2027",
        "Timer pr. uge: 30",  # VITAS takes the final weekly hours …
        "Arbejdsdage og -tider: mandag-torsdag kl. 8-14",
        "Arbejdsopgaver: Plukning af ordrer med håndscanner; truckkørsel",
        "Formål: Kompetencepraktik - at borgeren oplæres i konkrete faglige kompetencer",
        "Bemærkninger: Optrapning af timer: starter med 20 timer om ugen",  # … the plan here
    ]
    positions = [vitas.index(line) for line in order]
    assert positions == sorted(positions)
    assert "(bek. § 60 stk. 2, nr. 2)" in vitas
    assert "i en ny jobfunktion: Lager med plukning i stedet for chaufførjobbet." in vitas
    note = by_kind["journalnotat"].text
    assert note == reply.note
    for expected in (
        "Journalnotat – Bevilling af virksomhedspraktik",
        "Sagsreference: SAG-2026-0602",
        "Der bevilges Kompetencepraktik (opkvalificeringspraktik).",
        "Formål (bek. § 60 stk. 2, nr. 2): at borgeren oplæres i konkrete faglige",
        "Periode: mandag den 7. december 2026 - fredag den 26. februar 2027 (11,8 uger). For "
        "Kontanthjælp, aktivitetsparat må en virksomhedspraktik højst vare 13 uger (LAB § 61); "
        "perioden er inden for grænsen.",
        "Timer: 20 timer om ugen ved start, trappes op til 30 timer om ugen",
        "Seneste arbejdsgiver (bek. § 61 stk. 2-4): Borgeren har tidligere været ansat i "
        "virksomheden. For Kontanthjælp, aktivitetsparat er praktik hos den seneste "
        "arbejdsgiver tilladt i en ny jobfunktion, som aftalen beskriver: Lager med plukning",
        "Rimelighedskrav (bek. § 65): 14 ordinært ansatte på P-nr. giver plads til højst 2 i "
        "praktik, løntilskud og nytteindsats. Nu 0, med denne borger 1: kravet er opfyldt.",
        "Udtalelse om rimelighedskravet (bek. § 65 stk. 6): Der er ingen tillidsrepræsentant "
        "på arbejdspladsen, så udtalelsen er fra virksomheden alene. Den skriftlige udtalelse "
        "er modtaget.",
        "Min Plan er opdateret med praktikkens formål og arbejdsopgaver.",
        "Regelgrundlag: Lov nr. 1750 af 29. december 2025 (beskæftigelsesreformen, 1. fase), "
        "2. trin (gældende fra onsdag den 1. juli 2026).",
    ):
        assert expected in note, expected
    logged = {a.step_id: a.value for a in await rows(db, Answer)}
    assert (logged["start_date"], logged["end_date"], logged["hours_per_week"]) == (
        "2026-12-07",
        "2027-02-26",
        20,
    )


DAGPENGE_AT_LAST_EMPLOYER = (
    "SAG-2026-0603",
    "Dagpenge",
    "Eksempel Butik ApS",
    "spring over",
    "1",
    "1",
    "1",
    "spring over",
    "Kundeservice",
    "7/12 - 31/12, 37",
    "ja",
    "nej",
    "mandag-fredag kl. 8-15.30",
    "ja",  # refused: dagpenge
    "nej",
    "spring over",
    "60",
    "11",  # the ratio cap is not met: a warning
    "Tina Eksempel, tina@eksempel.dk",
    "nej",
    "Kontakt",
    "nej",
    "gem",
)


async def test_dagpenge_at_the_last_employer_is_refused_and_the_note_says_what_is_missing(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    service = ConversationService(db=db, config=config, flows=flows)
    driver = Driver(service)
    await driver.start("ny_praktik")
    refused = await driver.say(*DAGPENGE_AT_LAST_EMPLOYER[:14])
    assert any("For Dagpenge må praktikken ikke være hos" in m for m in refused.messages)
    assert refused.prompt is not None and refused.prompt.step_id == "last_employer"
    reply = await driver.say(*DAGPENGE_AT_LAST_EMPLOYER[14:])
    assert reply.finished
    [praktik] = await rows(db, Praktik)
    assert (praktik.last_employer, praktik.new_function, praktik.cvr_number) == (False, None, None)
    assert praktik.ratio_exceeded and not praktik.ratio_statement
    assert praktik.employee_rep == "Tina Eksempel, tina@eksempel.dk" and praktik.has_employee_rep
    note = reply.note or ""
    assert "Borgeren har ikke tidligere været ansat i virksomheden." in note
    assert "Nu 11, med denne borger 12: kravet er ikke opfyldt, og praktikken kan ikke " in note
    assert (
        "Udtalelsen er fra virksomheden og tillidsrepræsentanten (Tina Eksempel, "
        "tina@eksempel.dk). Den skriftlige udtalelse er endnu ikke modtaget og skal foreligge "
        "før start." in note
    )
    assert "Min Plan er ikke opdateret endnu" in note
    vitas = reply.notes[0].text
    assert "CVR-nr.: (ikke oplyst)" in vitas and "Bemærkninger: (ingen)" in vitas
    assert "Timer pr. uge: 37" in vitas


# --- the rule sets: a configuration change, checked -----------------------------------------------


def cli(*args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`praktikbot ARGS` in this process (`rules check` as a process: the first test)."""
    return run_cli(*args, env={"PRAKTIKBOT_CONFIG": str(config)} if config else None)


def test_rules_check_passes_on_app_yaml_and_shows_what_applies() -> None:
    result = run_process("rules", "check", "--date", "2026-03-01")  # the installed command
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "3 rule sets fit together" in out
    assert "bek_2636_2021: 2022-01-01 - 2026-01-31" in out
    assert "lov_1750_2025_trin2: 2026-07-01 - (until a new set is added)" in out
    assert "On 2026-03-01 rule set 'lov_1750_2025_trin1' applies" in out
    assert 'dagpenge "Dagpenge": max 4 weeks; not at the last employer' in out
    assert "CLOSED to new praktikker: Revalidering er afskaffet" in out
    assert 'sygedagpenge "Sygedagpenge": max 13 weeks (up to 26' in out
    assert "same function if without a job" in out
    earlier = cli("rules", "check", "--date", "2025-06-01")
    assert "On 2025-06-01 rule set 'bek_2636_2021' applies" in earlier.stdout
    assert "CLOSED" not in earlier.stdout.split("On 2025-06-01")[1]
    assert cli("rules", "check", "--date", "1. marts").returncode == 2


SHIPPED = (ROOT / "app.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        (
            "valid_to: 2026-06-30",
            "valid_to: 2026-07-15",
            "rules.1.valid_to",
            "the sets overlap; end it 2026-06-30",
        ),
        (
            "valid_to: 2026-01-31",
            "valid_to: 2026-01-20",
            "rules.0.valid_to",
            "no rule set applies from 2026-01-21 to 2026-01-31",
        ),
        (
            "{id: dagpenge, continues: lov_1750_2025_trin1}",
            "{id: dagpenge, continues: lov_1750}",
            "rules.2.target_groups.0.continues",
            "names rule set 'lov_1750', which app.yaml does not have",
        ),
        (
            "{id: dagpenge, continues: lov_1750_2025_trin1}",
            "{id: dagpenge, continues: lov_1750_2025_trin2}",
            "rules.2.target_groups.0.continues",
            "which does not start before this one",
        ),
        (
            '{id: fleksjob, label: "Visiteret til fleksjob (ledighedsydelse)", max_weeks: 13, '
            "extendable_to_weeks: 26}",
            '{id: fleksjob, label: "Visiteret til fleksjob (ledighedsydelse)"}',
            "rules.0.target_groups.12.max_weeks",
            "Field required",
        ),
        (
            'label: "Dagpenge, dimittend"',
            'label: "Dagpenge"',
            "rules.0.target_groups.1.label",
            "'Dagpenge' is also the label of 'dagpenge'",
        ),
        (
            "    valid_from: 2026-07-01\n",
            "    valid_from: 2026-07-01\n    valid_to: 2026-12-31\n",
            "rules.2.valid_to",
            "no rule set applies after it",
        ),
    ],
)
def test_rules_check_fails_on_a_broken_copy_naming_the_key(
    tmp_path: Path, old: str, new: str, key: str, problem: str
) -> None:
    assert old in SHIPPED
    broken = tmp_path / "app.yaml"
    broken.write_text(SHIPPED.replace(old, new, 1), encoding="utf-8")
    result = cli("rules", "check", config=broken)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert any(line.startswith(f"FAIL {key}: ") and problem in line for line in lines), lines
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(broken)  # the bot refuses to start on it too


SET_2027 = """
  # The new main law (a test's stand-in for its text).
  - id: hovedlov_2027
    label: "Lov om en aktiv beskæftigelsesindsats (ny hovedlov, testudgave)"
    valid_from: 2027-01-01
    max_hours_per_week: 37
    references: {duration: "ny LAB § 40", last_employer: "ny LAB § 41"}
    target_groups:
      - {id: dagpenge, label: "Dagpenge", max_weeks: 6, last_employer: forbidden}
      - {id: kontanthjaelp_jobparat, continues: lov_1750_2025_trin2, max_weeks: 6}
      - {id: sygedagpenge, continues: lov_1750_2025_trin2}

"""


async def test_a_2027_rule_set_is_a_configuration_change(
    tmp_path: Path,
    db: Database,
    flows: dict[str, Flow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = SHIPPED.replace(
        "    valid_from: 2026-07-01\n", "    valid_from: 2026-07-01\n    valid_to: 2026-12-31\n"
    ).replace(
        "# The three internship types", SET_2027.lstrip("\n") + "# The three internship types"
    )
    copy = tmp_path / "app.yaml"
    copy.write_text(text, encoding="utf-8")
    checked = await asyncio.to_thread(cli, "rules", "check", "--date", "2027-01-04", config=copy)
    assert checked.returncode == 0, checked.stderr
    assert "4 rule sets fit together" in checked.stdout
    assert "lov_1750_2025_trin2: 2026-07-01 - 2026-12-31" in checked.stdout
    assert "On 2027-01-04 rule set 'hovedlov_2027' applies" in checked.stdout
    assert 'dagpenge "Dagpenge": max 6 weeks' in checked.stdout
    assert 'kontanthjaelp_jobparat "Kontanthjælp, jobparat": max 6 weeks' in checked.stdout
    assert "not in this set (from 'lov_1750_2025_trin2'): dagpenge_dimittend" in checked.stdout

    monkeypatch.setenv("PRAKTIKBOT_CONFIG", str(copy))
    config = load_config()  # as `praktikbot serve`/`chat` read it
    # Five and a half weeks of dagpenge: too long under today's rules, fine under 2027's.
    today_rules = say(
        flows["ny_praktik"], flow_context(config), *until_start("Dagpenge"), "4/1 - 10/2"
    )
    assert not today_rules.messages and today_rules.prompt is not None
    assert today_rules.prompt.kind == "confirm_answers"
    shipped = say(
        flows["ny_praktik"],
        flow_context(load_config(ROOT / "app.yaml")),
        *until_start("Dagpenge"),
        "4/1 - 10/2",
    )
    assert "højst vare 4 uger (LAB § 61)" in shipped.messages[0]

    driver = Driver(ConversationService(db=db, config=config, flows=flows))
    await driver.start("ny_praktik")
    reply = await driver.say(
        *until_start("Dagpenge"),
        *("4/1 - 10/2, 30", "ja", "nej", "man-tors 8-15", "ja"),
    )
    assert any("(ny LAB § 41)" in m for m in reply.messages)  # the set's own citation
    reply = await driver.say(
        *("nej", "spring over", "20", "0", "ingen", "ja", "Kontakt", "ja", "gem")
    )
    assert reply.finished
    [praktik] = await rows(db, Praktik)
    assert praktik.rule_set == "hovedlov_2027"
    assert (praktik.start_date, praktik.end_date) == (dt.date(2027, 1, 4), dt.date(2027, 2, 10))
    note = reply.note or ""
    assert "For Dagpenge må en virksomhedspraktik højst vare 6 uger (ny LAB § 40)" in note
    assert "Seneste arbejdsgiver (ny LAB § 41)" in note
    assert (
        "Regelgrundlag: Lov om en aktiv beskæftigelsesindsats (ny hovedlov, testudgave) "
        "(gældende fra fredag den 1. januar 2027)." in note
    )


# --- in Slack ---------------------------------------------------------------------------------

Action = str | tuple[str, Any]


async def act(bot: SlackBot, user: str, root: str, actions: list[Action]) -> None:
    """Answer in the thread: text replies, or (kind, what) for buttons, selects, boxes."""
    for action in actions:
        message = bot.last(user, root)
        if isinstance(action, str):
            await bot.dm(user, action, thread_ts=root)
        elif action[0] == "click":
            await bot.click_button(user, message, action[1])
        elif action[0] == "select":
            await bot.click(
                user, message, lambda e: e["type"] == "static_select", selected=action[1]
            )
        elif action[0] == "boxes":
            await bot.tick_boxes(user, message, action[1])


def danish(day: dt.date) -> str:
    return f"{day.day}/{day.month}-{day.year}"


def code_blocks(message: dict[str, Any]) -> str:
    return "\n".join(
        b["text"]["text"]
        for b in message.get("blocks") or []
        if b.get("type") == "section" and b["text"]["text"].startswith("```")
    )


async def test_registering_in_slack_with_every_field(bot: SlackBot, db: Database) -> None:
    user = "UANNA"
    today = bot.deps.clock().astimezone(bot.deps.config.tz).date()
    start, end = today + dt.timedelta(days=3), today + dt.timedelta(days=60)

    # An aktivitetsparat citizen at the last employer, in a new function described.
    root = await bot.dm(user, "ny")
    await act(
        bot,
        user,
        root,
        [
            "SAG-2026-0610",
            ("select", "kontanthjaelp_aktivitetsparat"),
            "Eksempel Lager ApS",
            "1017654321",
            ("click", "Ja, jeg vælger selv"),
            ("click", "Kompetencepraktik"),
            ("boxes", ["d1", "d2"]),
            ("click", "Spring over"),
            "Plukning og truckkørsel",
            f"{danish(start)} - {danish(end)}, 20 timer",
        ],
    )
    confirm = bot.last(user, root)
    shown = message_text(confirm)
    assert "Jeg har læst svarene sådan" in shown and "Timer pr. uge: 20" in shown
    await act(
        bot,
        user,
        root,
        [
            ("click", "Ja"),
            ("click", "Ja"),  # hours rise
            "30",
            "uge 1-4: 20 timer, derefter 30 timer",
            "mandag-torsdag kl. 8-14",
            ("click", "Ja"),  # last employer
            "Lager med plukning i stedet for chaufførjobbet",
            "12345674",
            "14",
            "0",
            "ingen",
            ("click", "Ja"),
            "Kontakt Eksempel, kontakt@eksempel.dk",
            ("click", "Ja"),
            ("click", "Gem"),
        ],
    )
    closed = bot.slack.message(f"D{user}", confirm["ts"])  # the confirmation, answered
    assert not [b for b in closed["blocks"] if b["type"] == "actions"]
    closed_text = message_text(closed)
    assert "✅ Startdato:" in closed_text and "Timer pr. uge: 20" in closed_text
    texts = [message_text(m) for m in bot.bot_messages(user, root)]
    assert any("Praktikken SAG-2026-0610 er oprettet" in t for t in texts)
    vitas = next(
        m for m in bot.bot_messages(user, root) if "VITAS-oplysninger i" in message_text(m)
    )
    copied = code_blocks(vitas)
    assert "CVR-nr.: 12345674" in copied and "Timer pr. uge: 30" in copied
    assert "Tillidsrepræsentant: Ingen tillidsrepræsentant på arbejdspladsen" in copied
    note = next(
        m for m in bot.bot_messages(user, root) if "Udkast til journalnotat" in message_text(m)
    )
    assert "i en ny jobfunktion, som aftalen beskriver: Lager med plukning" in code_blocks(note)
    assert "fra virksomheden alene" in code_blocks(note)
    [praktik] = await rows(db, Praktik)
    assert (praktik.final_hours_per_week, praktik.has_employee_rep) == (30, False)
    assert {n.kind for n in await rows(db, CaseNote)} == {"vitas", "journalnotat"}

    # A dagpenge citizen: the last employer is refused; another company is fine.
    root2 = await bot.dm(user, "ny")
    await act(
        bot,
        user,
        root2,
        [
            "SAG-2026-0611",
            ("select", "dagpenge"),
            "Eksempel Butik ApS",
            ("click", "Spring over"),
            ("click", "Ja, jeg vælger selv"),
            ("click", "Jobpraktik"),
            ("boxes", ["d1"]),
            ("click", "Spring over"),
            "Kundeservice",
            f"{danish(start)} til {danish(start + dt.timedelta(days=20))}",
            ("click", "Ja"),
            "37",
            ("click", "Nej"),
            "mandag-fredag kl. 8-15",
            ("click", "Ja"),
        ],
    )
    assert "For Dagpenge må praktikken ikke være hos borgerens seneste arbejdsgiver" in "\n".join(
        message_text(m) for m in bot.bot_messages(user, root2)[-2:]
    )
    await act(
        bot,
        user,
        root2,
        [
            ("click", "Nej"),
            ("click", "Spring over"),
            "20",
            "1",
            "Tina Eksempel, tina@eksempel.dk",
            ("click", "Ja"),
            "Kontakt",
            ("click", "Ja"),
            ("click", "Gem"),
        ],
    )
    second = next(p for p in await rows(db, Praktik) if p.case_ref == "SAG-2026-0611")
    assert (second.last_employer, second.hours_per_week, second.employee_rep) == (
        False,
        37,
        "Tina Eksempel, tina@eksempel.dk",
    )

    # A citizen in revalidering starting after the abolition: refused with the reason.
    root3 = await bot.dm(user, "ny")
    await act(
        bot,
        user,
        root3,
        [
            "SAG-2026-0612",
            ("select", "revalidering"),
            "Eksempel Værksted ApS",
            ("click", "Spring over"),
            ("click", "Ja, jeg vælger selv"),
            ("click", "Udviklingspraktik"),
            ("boxes", ["d1"]),
            ("click", "Spring over"),
            "Reparation af cykler",
            danish(start),
        ],
    )
    posted = "\n".join(message_text(m) for m in bot.bot_messages(user, root3))
    assert "OBS: Revalidering er afskaffet for nye forløb fra 1. februar 2026" in posted
    last_two = "\n".join(message_text(m) for m in bot.bot_messages(user, root3)[-2:])
    assert "En ny praktik for Revalidering kan ikke starte" in last_two
    assert "(lov nr. 1750 af 29. december 2025)" in last_two
    assert "Hvornår starter praktikken" in bot.last_text(user, root3)
    await act(bot, user, root3, [("click", "Afbryd")])
    assert {p.case_ref for p in await rows(db, Praktik)} == {"SAG-2026-0610", "SAG-2026-0611"}


# --- in the terminal ------------------------------------------------------------------------------


async def test_registering_in_the_terminal_with_every_field(db_url: str) -> None:
    term = await Chat.start(db_url)
    await term.expect("Afslut praktikbot")
    # An aktivitetsparat citizen at the last employer in a new function; several answers
    # at once; no tillidsrepræsentant.
    await term.send("1", "Hvad er sagens reference")
    for line, expect in (
        ("SAG-2026-0620", "Hvilken målgruppe"),
        ("Kontanthjælp, aktivitetsparat", "Hvilken virksomhed"),
        ("Eksempel Lager ApS", "P-nummer"),
        ("1017654321", "Ved du allerede"),
        ("1", "Hvilken type"),
        ("2", "Hvilke af typens delmål"),
        ("1, 2", "egne delmål"),
        ("spring over", "konkrete arbejdsopgaver"),
        ("Plukning og truckkørsel", "Hvornår starter praktikken"),
        ("i morgen til om 8 uger, 20 timer", "Er det rigtigt?"),
        ("ja", "trappes op"),
        ("ja", "op på?"),
        ("30", "Hvordan trappes timerne op"),
        ("uge 1-4: 20 timer, derefter 30", "Hvilke dage og tidspunkter"),
        ("mandag-torsdag kl. 8-14", "seneste arbejdsgiver"),
        ("ja", "Hvilken ny jobfunktion"),
        ("Lager i stedet for chauffør", "CVR-nummer"),
        ("12345678", "modulus 11"),
        ("12345674", "ordinært ansatte"),
        ("14", "Grænsen er 2"),
        ("0", "tillidsrepræsentant"),
        ("ingen", "fra virksomheden alene"),
        ("ja", "faste kontaktperson"),
        ("Kontakt Eksempel, kontakt@eksempel.dk", "Min Plan"),
        ("ja", "Skriv 'gem'"),
    ):
        await term.send(line, expect)
    out = await term.send("gem", "Hvad vil du gøre?")
    assert "Praktikken SAG-2026-0620 er oprettet" in out
    assert "VITAS-oplysninger i VITAS' rækkefølge" in out
    assert "CVR-nr.: 12345674" in out and "Timer pr. uge: 30" in out
    assert "Journalnotat – Bevilling af virksomhedspraktik" in out
    assert "i en ny jobfunktion, som aftalen beskriver: Lager i stedet for chauffør." in out

    # A dagpenge citizen: the last employer refused.
    await term.send("1", "Hvad er sagens reference")
    for line, expect in (
        ("SAG-2026-0621", "Hvilken målgruppe"),
        ("Dagpenge", "Hvilken virksomhed"),
        ("Eksempel Butik ApS", "P-nummer"),
        ("spring over", "Ved du allerede"),
        ("1", "Hvilken type"),
        ("1", "Hvilke af typens delmål"),
        ("1", "egne delmål"),
        ("spring over", "konkrete arbejdsopgaver"),
        ("Kundeservice", "Hvornår starter praktikken"),
        ("i morgen - om 3 uger, 37", "Er det rigtigt?"),
        ("ja", "trappes op"),
        ("nej", "Hvilke dage og tidspunkter"),
        ("mandag-fredag kl. 8-15", "seneste arbejdsgiver"),
        ("ja", "må praktikken ikke være hos borgerens seneste arbejdsgiver"),
        ("nej", "CVR-nummer"),
        ("spring over", "ordinært ansatte"),
        ("20", "Grænsen er 4"),
        ("1", "tillidsrepræsentant"),
        ("Tina Eksempel, 12 34 56 78", "tillidsrepræsentanten om rimelighedskravet"),
        ("ja", "faste kontaktperson"),
        ("Kontakt", "Min Plan"),
        ("ja", "Skriv 'gem'"),
    ):
        await term.send(line, expect)
    out = await term.send("gem", "Hvad vil du gøre?")
    assert "Borgeren har ikke tidligere været ansat i virksomheden." in out

    # A citizen in revalidering starting after the abolition: refused with the reason.
    await term.send("1", "Hvad er sagens reference")
    await term.send("SAG-2026-0622", "Hvilken målgruppe")
    out = await term.send("Revalidering", "Hvilken virksomhed")
    assert "OBS: Revalidering er afskaffet" in out
    for line, expect in (
        ("Eksempel Værksted ApS", "P-nummer"),
        ("spring over", "Ved du allerede"),
        ("1", "Hvilken type"),
        ("3", "Hvilke af typens delmål"),
        ("1", "egne delmål"),
        ("spring over", "konkrete arbejdsopgaver"),
        ("Reparation", "Hvornår starter praktikken"),
    ):
        await term.send(line, expect)
    out = await term.send("i morgen", "Hvornår starter praktikken")
    assert "En ny praktik for Revalidering kan ikke starte" in out
    assert "lov nr. 1750 af 29. december 2025" in out
    await term.send("afbryd", "Hvad vil du gøre?")
    await term.send("afslut praktikbot", "Farvel")
    assert await term.close() == 0

    praktikker = {p.case_ref: p for p in await all_rows(db_url, Praktik)}
    assert set(praktikker) == {"SAG-2026-0620", "SAG-2026-0621"}
    assert praktikker["SAG-2026-0620"].new_function == "Lager i stedet for chauffør"
    assert praktikker["SAG-2026-0621"].employee_rep == "Tina Eksempel, 12 34 56 78"
    kinds = sorted(n.kind for n in await all_rows(db_url, CaseNote))
    assert kinds == ["journalnotat", "journalnotat", "vitas", "vitas"]


def test_several_answers_replace_a_date_waiting_for_confirmation(
    flows: dict[str, Flow], ctx: FlowContext
) -> None:
    flow = flows["ny_praktik"]
    turn = say(flow, ctx, *until_start("Dagpenge"), "7/12")
    assert turn.prompt is not None and turn.prompt.kind == "confirm_date"
    several = engine.advance(flow, turn.state, UserInput(text="8/12 - 31/12, 30"), ctx, NOW)
    assert several.prompt is not None and several.prompt.kind == "confirm_answers"
    saved = engine.advance(flow, several.state, UserInput(text="ja"), ctx, NOW)
    assert saved.state.answers["start_date"] == "2026-12-08"
    assert saved.prompt is not None and saved.prompt.step_id == "hours_rise"
    assert saved.prompt.kind == "yesno" and saved.state.pending_date is None


async def test_purge_clears_the_agreement_texts_and_keeps_the_row(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    from bot.retention import purge

    driver = Driver(ConversationService(db=db, config=config, flows=flows))
    await driver.start("ny_praktik")
    await driver.say(*DAGPENGE_AT_LAST_EMPLOYER)
    async with db.transaction() as session:
        [praktik] = (await session.exec(select(Praktik))).all()
        praktik.status, praktik.ended_at = "ended", NOW
        session.add(praktik)
    later = NOW + dt.timedelta(days=config.retention.days_after_praktik_end + 1)
    counted = await purge(db, config, now=later, actor="test", dry_run=True)
    assert counted.cleared == 1
    removed = await purge(db, config, now=later, actor="test")
    assert removed.cleared == 1
    [kept] = await rows(db, Praktik)
    assert (kept.employee_rep, kept.tasks, kept.working_times) == (None, None, None)
    assert (kept.type, kept.start_date, kept.has_employee_rep) == (
        "jobpraktik",
        dt.date(2026, 12, 7),
        True,
    )
    assert await rows(db, CaseNote) == []
