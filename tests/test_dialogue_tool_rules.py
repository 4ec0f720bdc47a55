"""The dialogue tool's data and pure parts (issue 12): risk rules as configuration, checked
at load and evaluated by one mechanism; the flow check holding per-item reads; the guide
built from the recording flow's steps for type × phase × audience, with last time; the
progression lines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from bot.config import AppConfig
from dialogues.guide import meeting_guide
from dialogues.history import History, MeetingRef, PastAnswer, PlanStepFacts, Upcoming
from dialogues.model import Flow
from dialogues.progression import ProgressionConfig, ScorePoint, compact_line, trend_lines
from dialogues.risk import RiskRule, Signal, evaluate, unknown_steps
from dialogues.state import FlowContext, PraktikFacts
from dialogues.structure import FLOWS_DIR, FlowError, load_flows
from tests.cli_support import run_cli

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 12, 21)


def praktik(kind: str = "kompetencepraktik", **changes: object) -> PraktikFacts:
    facts = {
        "id": 7,
        "case_ref": "KBH-7",
        "type": kind,
        "target_group": "kontanthjaelp_aktivitetsparat",
        "company": "Eksempel Lager A/S",
        "subgoals": ("Oplæring i specifikke arbejdsfunktioner", "Opdateret CV"),
        "start_date": dt.date(2026, 12, 7),
        "end_date": dt.date(2027, 2, 26),
        "hours_per_week": 30,
        "short_ref": "P-1007",
        **changes,
    }
    return PraktikFacts.model_validate(facts)


# --- risk rules --------------------------------------------------------------------------


def test_the_shipped_rules_evaluate_by_signal_kind_narrowing_and_test(config: AppConfig) -> None:
    rules = config.risk.rules
    low_start = Signal("score", 1, side="consultant", indicator="subgoal", phase="opstart")
    assert evaluate(rules, [low_start]) == []  # a start is low: not a risk
    low_mid = Signal("score", 2, side="consultant", indicator="subgoal", phase="midtvejs")
    assert [(v.rule.id, v.holds) for v in evaluate(rules, [low_mid])] == [("low_progression", True)]
    citizen = Signal("score", 1, side="citizen", indicator="subgoal", phase="midtvejs")
    assert evaluate(rules, [citizen]) == []  # the rule narrows to the consultant's scores
    falling = Signal("score_change", -1, side="company", indicator="subgoal", phase="midtvejs")
    rising = Signal("score_change", 2, side="consultant", indicator="subgoal", phase="afslutning")
    assert [(v.rule.id, v.holds) for v in evaluate(rules, [falling])] == [
        ("falling_progression", True)
    ]
    assert [(v.rule.id, v.holds) for v in evaluate(rules, [rising])] == [
        ("falling_progression", False)  # evaluated, does not hold: clears the flag
    ]
    answers = [
        Signal("answer", 60, flow="opfoelgning", step="attendance_pct"),
        Signal("answer", False, flow="opfoelgning", step="still_wanted_job"),
        Signal("answer", "Noget", flow="opfoelgning", step="agreements"),
    ]
    assert [(v.rule.id, v.holds) for v in evaluate(rules, answers)] == [
        ("low_attendance", True),
        ("not_the_job", True),
    ]
    assert [
        (v.rule.id, v.holds) for v in evaluate(rules, [Signal("end_date_change_days", 14)])
    ] == [("extended", True)]
    assert evaluate(rules, [Signal("end_date_change_days", -7)])[0].holds is False


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ({"id": "x", "label": "X", "signal": "answer", "equals": "nej"}, "names the step"),
        ({"id": "x", "label": "X", "signal": "score"}, "a rule needs a test"),
        (
            {"id": "x", "label": "X", "signal": "score", "equals": 1, "at_most": 2},
            "equals/in or a range",
        ),
        (
            {
                "id": "x",
                "label": "X",
                "signal": "answer",
                "step": "s",
                "side": "citizen",
                "equals": 1,
            },
            "narrow score rules only",
        ),
        ({"id": "x", "label": "X", "signal": "mood", "below": 1}, "signal"),
    ],
)
def test_a_malformed_rule_is_refused(rule: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        RiskRule.model_validate(rule)
    assert problem in str(caught.value)


def test_a_rule_naming_a_step_no_flow_has_stops_the_bot_at_start(tmp_path: Path) -> None:
    raw = yaml.safe_load((ROOT / "app.yaml").read_text(encoding="utf-8"))
    raw["risk"]["rules"].append(
        {"id": "typo", "label": "Stavefejl", "signal": "answer", "step": "atendance", "below": 5}
    )
    raw["storage"]["url"] = f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}"
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = run_cli("flows", "diagram", "ny_praktik", env={"PRAKTIKBOT_CONFIG": str(path)})
    assert result.returncode != 0
    assert "configuration error: risk.rules 'typo': any flow has no step 'atendance'" in (
        result.stderr
    )


def test_unknown_flow_in_a_rule(config: AppConfig, flows: dict[str, Flow]) -> None:
    steps = {f.id: {s.id for s in f.steps} for f in flows.values()}
    assert unknown_steps(config.risk, steps) == []
    broken = config.risk.model_copy(
        update={
            "rules": (
                RiskRule(id="r", label="R", signal="answer", flow="nope", step="x", equals="1"),
            )
        }
    )
    assert unknown_steps(broken, steps) == ["risk.rules 'r': no flow 'nope'"]


# --- the flow contract: per-item answers ---------------------------------------------------


def _copy(tmp_path: Path) -> Path:
    for path in FLOWS_DIR.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def test_a_score_asked_once_instead_of_per_sub_goal_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    path = directory / "opfoelgning.yaml"
    text = path.read_text(encoding="utf-8")
    old = '    text: "Din vurdering af delmålet: {item}"\n    for_each: praktik_subgoals\n'
    assert old in text
    path.write_text(text.replace(old, '    text: "Din vurdering af delmålene"\n'), "utf-8")
    with pytest.raises(FlowError) as caught:
        load_flows(directory)
    assert [p.line for p in caught.value.problems] == [
        "opfoelgning.yaml: effect 'record_progress' reads step 'score_consultant' once per "
        "item, but it is asked once: give it 'for_each'"
    ]


def test_a_plan_review_option_the_effect_does_not_know_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    path = directory / "opfoelgning.yaml"
    text = path.read_text(encoding="utf-8")
    old = "      - {value: open, label: Fortsætter som aftalt}\n"
    path.write_text(text.replace(old, old + "      - {value: paused, label: Sat på pause}\n"))
    with pytest.raises(FlowError) as caught:
        load_flows(directory)
    assert caught.value.problems[0].line.endswith(
        "from step 'plan_review'; option 'paused' is none of them"
    )


def test_a_continuation_naming_no_flow_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    path = directory / "forbered_moede.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{flow: opfoelgning,", "{flow: opfolgning,"), "utf-8")
    with pytest.raises(FlowError) as caught:
        load_flows(directory)
    assert [p.line for p in caught.value.problems] == [
        "forbered_moede.yaml: continue_with: no flow 'opfolgning'"
    ]


# --- the guide -----------------------------------------------------------------------------


def test_the_guide_lists_the_questions_of_type_phase_and_audience_with_last_time(
    ctx: FlowContext, flows: dict[str, Flow]
) -> None:
    history = History(
        meetings=(
            MeetingRef(conversation=3, title="Opstart · Borgeren", day=dt.date(2026, 12, 7)),
        ),
        answers=(
            PastAnswer(topic="skill_gaps", label="Manglende krav", display="Truck", conversation=3),
            PastAnswer(topic="agreements", label="Aftaler", display="Søg 3 job", conversation=3),
            PastAnswer(
                topic="score_consultant",
                label="Din vurdering",
                display="2 – Lidt på vej",
                conversation=3,
                item="Opdateret CV",
            ),
        ),
        scores=(
            ScorePoint(
                phase="opstart",
                side="consultant",
                indicator="subgoal",
                item=1,
                score=2,
                day=dt.date(2026, 12, 7),
            ),
            ScorePoint(
                phase="opstart",
                side="company",
                indicator="subgoal",
                item=1,
                score=4,
                day=dt.date(2026, 12, 7),
            ),
        ),
        plan_steps=(PlanStepFacts(id=1, text="Søg 3 job", who="borger", due=dt.date(2027, 1, 8)),),
        upcoming=(Upcoming(label="slutevaluering", due=dt.date(2027, 2, 24)),),
        risks=("Lav progression",),
    )
    context = ctx.model_copy(
        update={"praktik": praktik(extension_assessed=True), "history": history}
    )
    text = meeting_guide(
        flows["opfoelgning"], context, phase="midtvejs", audience="borger", today=TODAY
    )
    assert text.startswith("Forberedelse: Midtvejsopfølgning – Borgeren\nP-1007 · KBH-7")
    assert "Sidste møde (Opstart · Borgeren · mandag den 7. december 2026):" in text
    assert "• Manglende krav: Truck" in text and "Din vurdering – Opdateret CV" not in text
    assert "• Aftalt sidst (Opstart · Borgeren · mandag den 7. december 2026): Søg 3 job" in text
    assert "• Udviklingsplan: Søg 3 job (borgeren, senest fredag den 8. januar 2027)" in text
    assert "    Konsulent: opstart 2" in text and "⚠ Forskel: konsulent 2 og virksomhed 4" in text
    assert "højst 26 uger" in text  # the extension was assessed: its maximum
    assert "• Næste opfølgninger: slutevaluering onsdag den 24. februar 2027." in text
    assert "• ⚠ I risiko: Lav progression." in text
    questions = text[text.index("Spørgsmål til mødet:") :]
    assert "Spørg borgeren: Hvad kan du allerede skrive på dit CV?\n   Sidst (" in questions
    assert "Spørg virksomheden" not in questions  # not this audience
    assert "Spørg borgeren: Hvilke krav i jobopslagene" not in questions  # not this phase
    assert "Hvor stor tror du selv" not in questions  # the consultant's own record
    assert "Vurderes på skalaen: Borgerens vurdering af delmålene." in questions
    both = meeting_guide(
        flows["opfoelgning"], context, phase="midtvejs", audience="begge", today=TODAY
    )
    assert "Spørg virksomheden: Hvilke opgaver skal ændres" in both
    job = context.model_copy(update={"praktik": praktik("jobpraktik")})
    company = meeting_guide(
        flows["opfoelgning"], job, phase="midtvejs", audience="virksomhed", today=TODAY
    )
    assert "1. Spørg virksomheden: På en skala fra 1 til 10" in company
    assert "Hvad kan du allerede skrive på dit CV" not in company


def test_progression_lines_trend_per_phase_and_side() -> None:
    day = dt.date(2026, 12, 7)
    points = [
        ScorePoint(
            phase="opstart", side="consultant", indicator="subgoal", item=0, score=2, day=day
        ),
        ScorePoint(
            phase="midtvejs",
            side="consultant",
            indicator="subgoal",
            item=0,
            score=3,
            day=day + dt.timedelta(days=14),
        ),
        ScorePoint(
            phase="afslutning",
            side="consultant",
            indicator="subgoal",
            item=0,
            score=5,
            day=day + dt.timedelta(days=28),
        ),
        ScorePoint(
            phase="midtvejs",
            side="citizen",
            indicator="subgoal",
            item=0,
            score=5,
            day=day + dt.timedelta(days=14),
        ),
        ScorePoint(phase="opstart", side="consultant", indicator="job_belief", score=3, day=day),
        ScorePoint(
            phase="afslutning",
            side="consultant",
            indicator="job_belief",
            score=2,
            day=day + dt.timedelta(days=28),
        ),
    ]
    lines = trend_lines(points, ["Mål A", "Mål B"], ProgressionConfig())
    assert "• Mål A – status: Nået" in lines
    assert "    Konsulent: opstart 2 → midtvejs 3 → slut 5 ↑" in lines
    assert "    Borger: midtvejs 5" in lines
    assert "• Mål B" in lines  # not scored yet
    assert lines[-1] == (
        "• Din tro på, at borgeren kommer i job (1-5): opstart 3 → slut 2 ↓ – Lille"
    )
    assert compact_line(points, ["Mål A", "Mål B"]) == "D1 2→3→5 ↑ · Job 3→2 ↓"
