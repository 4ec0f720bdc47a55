"""The engine, driven as a user drives it: every step kind refuses bad input in Danish and
asks again; commands; the legal checks; changing an answer in the summary."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dialogues import engine
from dialogues.model import Flow
from dialogues.state import ConversationState, FlowContext, PraktikFacts, Turn, UserInput
from dialogues.structure import parse_flow

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)

KINDS_FLOW = """
id: kinds
title: Alle trintyper
description: One step of each kind.
steps:
  - id: pick
    kind: choice
    text: Vælg en
    options: [{value: a, label: Æble}, {value: b, label: Banan}]
  - id: many
    kind: multi
    text: Vælg flere
    min: 1
    max: 2
    options: [{value: x, label: X}, {value: y, label: Y}, {value: z, label: Z}]
  - {id: note, kind: text, text: Skriv noget, max_length: 20}
  - {id: count, kind: number, text: Et tal, min: 0, max: 37}
  - {id: grade, kind: scale, text: Karakter, min: 1, max: 5}
  - {id: ok, kind: yesno, text: Ja eller nej}
  - {id: day, kind: date, text: En dato}
  - {id: extra, kind: text, text: Valgfrit, optional: true}
"""


@pytest.fixture
def kinds() -> Flow:
    return parse_flow(KINDS_FLOW, "kinds.yaml")


def say(flow: Flow, turn: Turn, text: str, ctx: FlowContext) -> Turn:
    # Round-trip the state through JSON like storage does, so nothing unserialisable hides.
    state = ConversationState.model_validate(
        json.loads(json.dumps(turn.state.model_dump(mode="json")))
    )
    return engine.advance(flow, state, UserInput(text=text), ctx, NOW)


def run(flow: Flow, ctx: FlowContext, *inputs: str) -> Turn:
    turn = engine.start(flow, ctx, NOW)
    for text in inputs:
        turn = say(flow, turn, text, ctx)
    return turn


@pytest.mark.parametrize(
    ("before", "bad", "message"),
    [
        ((), "3", "Vælg en af mulighederne med et tal fra 1 til 2"),
        ((), "kiwi", "Vælg en af mulighederne"),
        (("1",), "", "Vælg mindst én"),
        (("1",), "1, 2, 3", "Vælg højst 2"),
        (("1",), "4", "'4' er ikke en af mulighederne"),
        (("1", "1"), "   ", "Svaret er tomt"),
        (("1", "1"), "x" * 21, "der er plads til 20"),
        (("1", "1", "hej"), "mange", "Skriv et tal"),
        (("1", "1", "hej"), "38", "mellem 0 og 37"),
        (("1", "1", "hej"), "-1", "mellem 0 og 37"),
        (("1", "1", "hej", "3"), "6", "mellem 1 og 5"),
        (("1", "1", "hej", "3"), "3,5", "helt tal fra 1 til 5"),
        (("1", "1", "hej", "3", "4"), "måske", "Svar ja eller nej"),
        (("1", "1", "hej", "3", "4", "ja"), "30/2", "Februar har"),
        (("1", "1", "hej", "3", "4", "ja"), "blå mandag", "Jeg kan ikke læse"),
    ],
)
def test_each_kind_refuses_bad_input_and_asks_again(
    kinds: Flow, ctx: FlowContext, before: tuple[str, ...], bad: str, message: str
) -> None:
    asked = run(kinds, ctx, *before)
    again = say(kinds, asked, bad, ctx)
    assert any(message in m for m in again.messages), again.messages
    assert again.prompt is not None and asked.prompt is not None
    assert again.prompt.step_id == asked.prompt.step_id
    assert again.state.answers == asked.state.answers
    assert again.answers == ()


def test_all_kinds_accept_good_input(kinds: Flow, ctx: FlowContext) -> None:
    turn = run(kinds, ctx, "banan", "1, 3", "hej", "7,5", "4", "nej", "15/3", "ja", "spring over")
    assert turn.prompt is not None and turn.prompt.kind == "summary"
    assert turn.state.answers == {
        "pick": "b",
        "many": ["x", "z"],
        "note": "hej",
        "count": 7.5,
        "grade": 4,
        "ok": False,
        "day": "2027-03-15",
        "extra": None,
    }
    assert "7. En dato: mandag den 15. marts 2027" in turn.prompt.text


def test_structured_values_are_checked_like_typed_ones(kinds: Flow, ctx: FlowContext) -> None:
    turn = engine.start(kinds, ctx, NOW)
    forged = engine.advance(kinds, turn.state, UserInput(value="c"), ctx, NOW)
    assert forged.state.answers == {}
    clicked = engine.advance(kinds, turn.state, UserInput(value="a"), ctx, NOW)
    assert clicked.state.answers == {"pick": "a"}
    stale = engine.advance(kinds, clicked.state, UserInput(value=["x"], step_id="pick"), ctx, NOW)
    assert "allerede er besvaret" in stale.messages[0]


def test_date_picker_value_needs_no_confirmation(kinds: Flow, ctx: FlowContext) -> None:
    turn = run(kinds, ctx, "1", "1", "hej", "3", "4", "ja")
    picked = engine.advance(kinds, turn.state, UserInput(value="2027-01-04"), ctx, NOW)
    assert picked.state.answers["day"] == "2027-01-04"
    typed = say(kinds, turn, "næste fredag", ctx)
    assert typed.prompt is not None and typed.prompt.kind == "confirm_date"
    assert "fredag den 11. december 2026" in typed.prompt.text
    assert "day" not in typed.state.answers
    other = say(kinds, typed, "i morgen", ctx)  # a new date instead of ja/nej
    assert other.prompt is not None and "tirsdag den 1. december 2026" in other.prompt.text


def test_commands_back_skip_help_cancel(kinds: Flow, ctx: FlowContext) -> None:
    turn = run(kinds, ctx, "1")
    back = say(kinds, turn, "tilbage", ctx)
    assert back.prompt is not None and back.prompt.step_id == "pick"
    assert back.prompt.current == "Æble"
    first = say(kinds, engine.start(kinds, ctx, NOW), "tilbage", ctx)
    assert "første spørgsmål" in first.messages[0]
    no_skip = say(kinds, turn, "spring over", ctx)
    assert "kan ikke springes over" in no_skip.messages[0]
    helped = say(kinds, turn, "hjælp", ctx)
    assert "'tilbage'" in helped.messages[0]
    assert helped.prompt is not None and helped.prompt.step_id == "many"
    cancelled = say(kinds, turn, "Afbryd", ctx)
    assert cancelled.state.status == "cancelled"
    assert cancelled.prompt is None
    assert cancelled.effects == ()


def test_cpr_in_any_text_is_refused_and_not_kept(kinds: Flow, ctx: FlowContext) -> None:
    turn = run(kinds, ctx, "1", "1")
    refused = say(kinds, turn, "borgeren har cpr 0101901234", ctx)
    assert "ligner et CPR-nummer" in refused.messages[0]
    assert "0101901234" not in json.dumps(refused.state.model_dump(mode="json"))
    assert refused.answers == ()
    dashed = say(kinds, turn, "211185-4321 er med", ctx)
    assert "ligner et CPR-nummer" in dashed.messages[0]
    assert "211185" not in json.dumps(dashed.state.model_dump(mode="json"))


def register_until_end_date(flow: Flow, ctx: FlowContext, group: str) -> Turn:
    return run(
        flow,
        ctx,
        "SAG-1",
        group,
        "Eksempel ApS",
        "spring over",  # P-nummer
        "1",
        "1",
        "1",
        "spring over",
        "Lager og kundeservice",  # arbejdsopgaver
        "7/12",
        "ja",
    )


def test_four_week_group_stopped_at_eight_weeks(flows: dict[str, Flow], ctx: FlowContext) -> None:
    flow = flows["ny_praktik"]
    turn = register_until_end_date(flow, ctx, "Dagpenge")
    assert turn.prompt is not None and turn.prompt.step_id == "end_date"
    refused = say(flow, turn, "31/1-2027", ctx)  # refused before asking for confirmation
    assert refused.prompt is not None and refused.prompt.step_id == "end_date"
    text = " ".join(refused.messages)
    assert "Perioden er 8 uger" in text
    assert "Dagpenge må en virksomhedspraktik højst vare 4 uger (LAB § 61)" in text
    assert "senest søndag den 3. januar 2027" in text
    assert "end_date" not in refused.state.answers


def test_thirteen_week_group_may_extend_with_assessment(
    flows: dict[str, Flow], ctx: FlowContext
) -> None:
    flow = flows["ny_praktik"]
    turn = register_until_end_date(flow, ctx, "Sygedagpenge")
    confirmed = say(flow, say(flow, turn, "2027-05-28", ctx), "ja", ctx)
    assert confirmed.prompt is not None
    assert confirmed.prompt.step_id == "extension_assessed"
    too_long = say(flow, turn, "2027-07-30", ctx)
    assert too_long.prompt is not None and too_long.prompt.step_id == "end_date"
    assert "op til 26 uger" in too_long.messages[0]


def test_ratio_cap_warns_with_the_computed_limit(flows: dict[str, Flow], ctx: FlowContext) -> None:
    flow = flows["ny_praktik"]
    turn = register_until_end_date(flow, ctx, "Dagpenge")
    turn = run_more(
        flow, ctx, turn, "om 3 uger", "ja", "30", "nej", "man-fre 8-14", "nej", "spring over", "60"
    )
    assert turn.prompt is not None and "Grænsen er 11" in turn.prompt.text
    warned = say(flow, turn, "11", ctx)
    assert "højst være 11" in warned.messages[0]
    assert warned.state.answers["subsidised_now"] == 11  # a warning, not a refusal


def run_more(flow: Flow, ctx: FlowContext, turn: Turn, *inputs: str) -> Turn:
    for text in inputs:
        turn = say(flow, turn, text, ctx)
    return turn


def test_summary_edit_asks_again_what_depends_on_it(
    flows: dict[str, Flow], ctx: FlowContext
) -> None:
    flow = flows["ny_praktik"]
    turn = register_until_end_date(flow, ctx, "Dagpenge")
    turn = run_more(
        flow,
        ctx,
        turn,
        *("om 3 uger", "ja", "30", "nej", "man-fre 8-14", "nej", "spring over", "10", "0"),
        *("Tina Eksempel, tina@eksempel.dk", "ja", "Kontakt", "ja"),
    )
    assert turn.prompt is not None and turn.prompt.kind == "summary"
    # Changing the type asks the sub-goals again (their options come from the type)…
    items = [i.step_id for i in turn.prompt.summary]
    edit_type = say(flow, turn, f"ret {items.index('praktik_type') + 1}", ctx)
    assert edit_type.prompt is not None and edit_type.prompt.step_id == "praktik_type"
    changed = say(flow, edit_type, "3", ctx)
    assert changed.prompt is not None and changed.prompt.step_id == "subgoals"
    assert "indblik i arbejdsmarkedet" in " ".join(o.label for o in changed.prompt.options)
    back_to_summary = say(flow, changed, "1", ctx)
    assert back_to_summary.prompt is not None and back_to_summary.prompt.kind == "summary"
    assert back_to_summary.state.answers["own_subgoals"] is None  # kept, not asked again
    # …and a target group with a shorter limit asks the end date again.
    edit_group = say(flow, turn, f"ret {items.index('target_group') + 1}", ctx)
    longer = say(flow, say(flow, turn, f"ret {items.index('end_date') + 1}", ctx), "om 8 uger", ctx)
    assert any("højst vare 4 uger" in m for m in longer.messages)
    same = say(flow, edit_group, "Dagpenge", ctx)
    assert same.prompt is not None and same.prompt.kind == "summary"


def test_for_each_asks_once_per_subgoal(flows: dict[str, Flow], ctx: FlowContext) -> None:
    praktik = PraktikFacts(
        id=1,
        case_ref="SAG-9",
        type="udviklingspraktik",
        target_group="sygedagpenge",
        company="Eksempel I/S",
        subgoals=("Mål A", "Mål B"),
        start_date=dt.date(2026, 11, 2),
        end_date=dt.date(2027, 1, 29),
        hours_per_week=10,
    )
    pctx = ctx.model_copy(update={"praktik": praktik})
    flow = flows["opfoelgning"]
    turn = run(flow, pctx, "2", "4", "i dag", "ja", "5", "3", "4", "95", "4", "afklaret")
    assert turn.prompt is not None and "Udviklingsplan - hvilke trin" in turn.prompt.text
    turn = run(
        flow, pctx, "2", "4", "i dag", "ja", "5", "3", "4", "95", "4", "afklaret",
        "Møde til tiden", "1", "om 2 uger", "ja", "spring over", "Ny praktik",
    )  # fmt: skip
    assert turn.prompt is not None and turn.prompt.kind == "summary"
    assert turn.state.answers["score_consultant"] == [
        {"item": "Mål A", "value": "5"},
        {"item": "Mål B", "value": "3"},
    ]
    assert turn.state.answers["plan_new_due"] == [{"item": "Møde til tiden", "value": "2026-12-14"}]
    assert "job_prospect" not in turn.state.answers
    done = say(flow, turn, "gem", pctx)
    names = [e.name for e in done.effects]
    assert names == ["record_followup", "record_progress", "update_plan", "case_note"]
    note = done.effects[3].payload["note"]
    assert "Sag: SAG-9 · Udviklingspraktik hos Eksempel I/S" in note
    assert "Fremmøde i procent: 95" in note
    assert "Din vurdering af delmålene: Mål A: 5 – Nået; Mål B: 3 – Delvist nået" in note
