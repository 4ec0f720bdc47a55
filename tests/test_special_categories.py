"""The special-category warning (engine state), the term matcher, the P-number and case
reference rules, and the CPR check on every part of an input - through the engine, as
the front ends drive it (state round-tripped through JSON as storage does)."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from pathlib import Path

import pytest

from bot.config import AppConfig, ConfigError, load_config
from bot.context import flow_context
from bot.logs import JsonFormatter, RedactionFilter
from dialogues import engine
from dialogues.cpr import contains_cpr
from dialogues.model import Flow
from dialogues.sensitive import (
    SpecialCategories,
    TermsFileError,
    find_special_categories,
    load_special_categories,
)
from dialogues.state import ConversationState, FlowContext, PraktikFacts, Turn, UserInput
from dialogues.structure import parse_flow

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)

NOTES_FLOW = """
id: notes
title: Noter
description: Free text with and without the warning.
needs_praktik: true
steps:
  - {id: first, kind: text, text: Første note}
  - {id: second, kind: text, text: Anden note, optional: true}
  - id: per_goal
    kind: text
    text: "Status for {item}"
    for_each: praktik_subgoals
  - {id: last, kind: yesno, text: Færdig?}
"""


@pytest.fixture
def notes() -> Flow:
    return parse_flow(NOTES_FLOW, "notes.yaml")


@pytest.fixture
def pctx(ctx: FlowContext) -> FlowContext:
    facts = PraktikFacts(
        id=1,
        case_ref="SAG-1",
        type="jobpraktik",
        target_group="dagpenge",
        company="Eksempel ApS",
        subgoals=("Mål A", "Mål B"),
        start_date=NOW.date(),
        end_date=NOW.date() + dt.timedelta(days=27),
        hours_per_week=30,
    )
    return ctx.model_copy(update={"praktik": facts})


def feed(flow: Flow, turn: Turn, inp: UserInput | str, ctx: FlowContext) -> Turn:
    state = ConversationState.model_validate(
        json.loads(json.dumps(turn.state.model_dump(mode="json")))
    )
    given = UserInput(text=inp) if isinstance(inp, str) else inp
    return engine.advance(flow, state, given, ctx, NOW)


def run(flow: Flow, ctx: FlowContext, *inputs: UserInput | str) -> Turn:
    turn = engine.start(flow, ctx, NOW)
    for inp in inputs:
        turn = feed(flow, turn, inp, ctx)
    return turn


# --- the warning as a state ------------------------------------------------------------------


def test_a_term_holds_the_answer_and_explains_the_rule(notes: Flow, pctx: FlowContext) -> None:
    turn = run(notes, pctx, "Borgeren har diabetes og skal spise til tiden")
    assert turn.prompt is not None and turn.prompt.kind == "confirm_sensitive"
    assert turn.prompt.step_id == "first"
    text = turn.prompt.text
    assert "helbredsoplysninger" in text and "'diabetes'" in text
    assert "konsekvenserne for arbejdet" in text and "aldrig om diagnosen" in text
    assert "Spørgsmålet var: Første note" in text
    assert [o.label for o in turn.prompt.options] == ["Gem som skrevet", "Skriv svaret om"]
    assert turn.answers == () and "first" not in turn.state.answers
    assert [(e.action, e.step_id) for e in turn.audit] == [("special_category_warning", "first")]


@pytest.mark.parametrize("keep", ["ja", "1", "gem", "OK.", UserInput(value="ja", step_id="first")])
def test_confirming_keeps_the_answer(notes: Flow, pctx: FlowContext, keep: UserInput | str) -> None:
    turn = run(notes, pctx, "Han er medlem af en fagforening", keep)
    assert turn.state.answers["first"] == "Han er medlem af en fagforening"
    assert turn.state.pending_sensitive is None
    assert turn.prompt is not None and turn.prompt.step_id == "second"
    assert [e.action for e in turn.audit] == ["special_category_confirmed"]
    assert [a.step_id for a in turn.answers] == ["first"]


def test_rephrasing_replaces_the_held_answer(notes: Flow, pctx: FlowContext) -> None:
    turn = run(notes, pctx, "Hun er gravid", "nej")
    assert "Skriv svaret igen" in turn.messages[0]
    assert turn.prompt is not None and turn.prompt.kind == "text"
    assert turn.state.pending_sensitive is None
    turn = run(notes, pctx, "Hun er gravid", "Kan ikke løfte tungt de næste måneder")
    assert turn.state.answers["first"] == "Kan ikke løfte tungt de næste måneder"
    assert "gravid" not in json.dumps(turn.state.model_dump(mode="json"), ensure_ascii=False)
    assert turn.audit == ()


def test_another_sensitive_answer_is_warned_again(notes: Flow, pctx: FlowContext) -> None:
    turn = run(notes, pctx, "Han er muslim", "Han holder ramadan")
    assert turn.prompt is not None and turn.prompt.kind == "confirm_sensitive"
    assert "'ramadan'" in turn.prompt.text
    assert turn.state.pending_sensitive == "Han holder ramadan"


def test_skip_back_and_cancel_drop_the_held_answer(notes: Flow, pctx: FlowContext) -> None:
    skipped = run(notes, pctx, "Godt", "etnisk minoritet", "spring over")
    assert skipped.state.answers["second"] is None and skipped.state.pending_sensitive is None
    back = run(notes, pctx, "Godt", "etnisk minoritet", "tilbage")
    assert back.prompt is not None and back.prompt.step_id == "first"
    assert back.state.pending_sensitive is None
    cancelled = run(notes, pctx, "Homoseksuel", "afbryd")
    assert cancelled.state.status == "cancelled" and cancelled.state.pending_sensitive is None


def test_the_warning_survives_a_restart(notes: Flow, pctx: FlowContext) -> None:
    turn = run(notes, pctx, "Hun har PTSD")
    stored = json.dumps(turn.state.model_dump(mode="json"))
    state = ConversationState.model_validate(json.loads(stored))
    resumed = engine.current_prompt(notes, state, pctx, NOW)
    assert resumed.prompt is not None and resumed.prompt.kind == "confirm_sensitive"
    assert "'ptsd'" in resumed.prompt.text
    kept = engine.advance(notes, state, UserInput(text="ja"), pctx, NOW)
    assert kept.state.answers["first"] == "Hun har PTSD"


def test_each_item_of_a_repeated_step_is_warned_on_its_own(notes: Flow, pctx: FlowContext) -> None:
    turn = run(notes, pctx, "a", "spring over", "Nået", "Fravær pga. migræne")
    assert turn.prompt is not None and turn.prompt.kind == "confirm_sensitive"
    assert turn.prompt.item == "Mål B" and turn.prompt.item_position == (2, 2)
    turn = feed(notes, turn, "ja", pctx)
    assert turn.state.answers["per_goal"] == [
        {"item": "Mål A", "value": "Nået"},
        {"item": "Mål B", "value": "Fravær pga. migræne"},
    ]


def test_exempt_steps_and_an_empty_list_give_no_warning(
    flows: dict[str, Flow], ctx: FlowContext
) -> None:
    flow = flows["ny_praktik"]
    turn = run(flow, ctx, "SAG-2026-0412", "1", "Psykiatrisk Center Eksempel")
    assert turn.prompt is not None and turn.prompt.step_id == "p_number"
    bare = ctx.model_copy(update={"special_categories": SpecialCategories()})
    notes = parse_flow(NOTES_FLOW, "notes.yaml")
    assert run(notes, bare, "Hun har PTSD").state.answers["first"] == "Hun har PTSD"


def test_a_refusing_validator_comes_before_the_warning(
    flows: dict[str, Flow], ctx: FlowContext
) -> None:
    turn = run(flows["ny_praktik"], ctx, "depression")
    assert turn.prompt is not None and turn.prompt.kind == "text"
    assert any("sagsreference" in m.lower() or "navn" in m for m in turn.messages)


# --- the term matcher ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Borgeren har en depression", "depression"),
        ("depressionen er værre", "depressionen"),
        ("diagnosticeret med ADHD", "diagnosticeret"),
        ("Hun har KRÆFT", "kræft"),
        ("stofmisbrug tidligere", "stofmisbrug"),
        ("de\u00adpres\u200bsion", "depression"),  # invisible characters do not hide it
        ("ＡＤＨＤ", "adhd"),  # full-width letters
        ("er medlem af 3F", "medlem af 3f"),
        ("kristne", "kristne"),
        ("homoseksuelle", "homoseksuelle"),
        ("hendes politiske holdninger", "politiske holdninger"),
        ("indlagt på psykiatrisk afdeling", "indlagt på"),
    ],
)
def test_terms_match_whole_words_and_inflections(ctx: FlowContext, text: str, word: str) -> None:
    found = find_special_categories(text, ctx.special_categories)
    assert word in [f.word for f in found]


@pytest.mark.parametrize(
    "text",
    [
        "Hun har ikke kræfter til fuld tid",  # kræfter (strength) is not kræft
        "Jeg tror, det går godt",
        "Borgeren får sygedagpenge",
        "Godt psykisk arbejdsmiljø på lageret",
        "Pauser er indlagt i skemaet",
        "Lære truck og lager",
        "Transport til og fra arbejde",
        "Faste arbejdstider 8-15",
    ],
)
def test_ordinary_work_words_do_not_match(ctx: FlowContext, text: str) -> None:
    assert find_special_categories(text, ctx.special_categories) == ()


def test_a_malformed_term_list_stops_the_program(tmp_path: Path) -> None:
    bad = tmp_path / "terms.yaml"
    bad.write_text("categories:\n  - {id: x, label: X, terms: ['=*bad']}\n", encoding="utf-8")
    with pytest.raises(TermsFileError, match="term '=\\*bad'"):
        load_special_categories(bad)
    config = (ROOT / "app.yaml").read_text(encoding="utf-8")
    config = config.replace("  # terms_file: special_categories.yaml", "  terms_file: terms.yaml")
    (tmp_path / "app.yaml").write_text(config, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"special_categories\.terms_file"):
        load_config(tmp_path / "app.yaml")


def test_another_term_list_can_be_configured(tmp_path: Path) -> None:
    (tmp_path / "terms.yaml").write_text(
        "endings: [en]\ncategories:\n  - {id: test, label: testord, terms: [tomat]}\n",
        encoding="utf-8",
    )
    config = (ROOT / "app.yaml").read_text(encoding="utf-8")
    config = config.replace("  # terms_file: special_categories.yaml", "  terms_file: terms.yaml")
    (tmp_path / "app.yaml").write_text(config, encoding="utf-8")
    ctx = flow_context(load_config(tmp_path / "app.yaml"))
    assert [f.word for f in find_special_categories("tomaten", ctx.special_categories)] == [
        "tomaten"
    ]
    assert find_special_categories("depression", ctx.special_categories) == ()


# --- P-number and case reference --------------------------------------------------------------


def _at_p_number(flows: dict[str, Flow], ctx: FlowContext) -> Turn:
    return run(flows["ny_praktik"], ctx, "SAG-2026-0412", "1", "Eksempel ApS")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("1012345678", "1012345678"),  # reads as 10/12-34: the CPR rule would refuse it
        ("1001011234", "1001011234"),
        ("P-nr. 1012 345 678", "1012345678"),
        ("１０１２３４５６７８", "1012345678"),
    ],
)
def test_every_p_number_is_accepted(
    flows: dict[str, Flow], ctx: FlowContext, typed: str, stored: str
) -> None:
    turn = feed(flows["ny_praktik"], _at_p_number(flows, ctx), typed, ctx)
    assert turn.state.answers["p_number"] == stored
    assert turn.prompt is not None and turn.prompt.step_id == "type_method"


def test_all_valid_p_numbers_that_read_as_dates_pass_the_field(
    flows: dict[str, Flow], ctx: FlowContext
) -> None:
    """Every date-like P-number shape (1 + day digit, month 01-12): none refused."""
    at = _at_p_number(flows, ctx)
    for second in range(10):
        for month in range(1, 13):
            number = f"1{second}{month:02d}345678"
            assert contains_cpr(number)  # the generic CPR rule would refuse it
            turn = feed(flows["ny_praktik"], at, number, ctx)
            assert turn.state.answers.get("p_number") == number, number


@pytest.mark.parametrize(
    "typed", ["0101901234", "010190-1234", "01 01 90 1234", "Borger 1012345678 x"]
)
def test_a_cpr_number_in_the_p_number_field_is_still_refused(
    flows: dict[str, Flow], ctx: FlowContext, typed: str
) -> None:
    turn = feed(flows["ny_praktik"], _at_p_number(flows, ctx), typed, ctx)
    assert "ligner et CPR-nummer" in turn.messages[0]
    assert "p_number" not in turn.state.answers


def test_a_wrong_p_number_gets_the_p_number_rule(flows: dict[str, Flow], ctx: FlowContext) -> None:
    for typed in ("2015678901", "101567890", "ukendt"):  # not date-like, so no CPR refusal
        turn = feed(flows["ny_praktik"], _at_p_number(flows, ctx), typed, ctx)
        assert "begynder med 1" in turn.messages[0]


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("Anna Eksempelsen", "ligner et navn"),
        ("jens-ole", "ligner et navn"),
        ("3213901234", "ligner et CPR-nummer"),  # not a date: the shape still refuses it
        ("321390 1234", "ligner et CPR-nummer"),
        ("SAG 3213901234", "ligner et CPR-nummer"),
        ("hvad som helst 1", "fx SAG-2026-0412, SAG-1 eller PS-0042"),
        ("SAG-2026-0412\u200b", "fx SAG-2026-0412"),  # invisible characters: not the shape
    ],
)
def test_a_case_reference_outside_the_configured_shapes_is_refused(
    flows: dict[str, Flow], ctx: FlowContext, typed: str, reason: str
) -> None:
    turn = run(flows["ny_praktik"], ctx, typed)
    assert any(reason in m for m in turn.messages), turn.messages
    assert "case_ref" not in turn.state.answers


@pytest.mark.parametrize("typed", ["SAG-2026-0412", "sag-1", "KBH-77", "PS-0042"])
def test_the_default_shapes_are_accepted(
    flows: dict[str, Flow], ctx: FlowContext, typed: str
) -> None:
    assert run(flows["ny_praktik"], ctx, typed).state.answers["case_ref"] == typed


def test_the_case_reference_shapes_come_from_app_yaml(
    tmp_path: Path, flows: dict[str, Flow]
) -> None:
    config = (ROOT / "app.yaml").read_text(encoding="utf-8")
    start = config.index("case_reference:")
    end = config.index("\n\n", start)
    config = (
        config[:start]
        + "case_reference:\n  patterns:\n    - {pattern: 'J\\d{6}', example: J123456}"
        + config[end:]
    )
    (tmp_path / "app.yaml").write_text(config, encoding="utf-8")
    ctx = flow_context(load_config(tmp_path / "app.yaml"))
    assert run(flows["ny_praktik"], ctx, "j123456").state.answers["case_ref"] == "j123456"
    refused = run(flows["ny_praktik"], ctx, "SAG-2026-0412")
    assert any("fx J123456" in m for m in refused.messages)


def test_a_bad_case_reference_pattern_stops_the_program(tmp_path: Path, config: AppConfig) -> None:
    text = (ROOT / "app.yaml").read_text(encoding="utf-8")
    text = text.replace("{pattern: 'PS-\\d{1,8}'", "{pattern: 'PS-(\\d'")
    (tmp_path / "app.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"case_reference\.patterns"):
        load_config(tmp_path / "app.yaml")


# --- the CPR check covers every part of an input ----------------------------------------------


def test_cpr_in_a_value_list_or_an_edit_step_is_refused(notes: Flow, pctx: FlowContext) -> None:
    turn = engine.start(notes, pctx, NOW)
    for inp in (
        UserInput(value=["a", "01 01 90-1234"]),
        UserInput(value={"x": "0101\u00ad901234"}),
        UserInput(command="edit", edit_step="010190 1234"),
        UserInput(text="٠١٠١٩٠-١٢٣٤"),
    ):
        refused = feed(notes, turn, inp, pctx)
        assert "ligner et CPR-nummer" in refused.messages[0]
        assert refused.state == turn.state


# --- logs ----------------------------------------------------------------------------------------


def test_logs_redact_every_spelling_also_in_kept_traceback_frames() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactionFilter(secrets=()))
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("bot.test_redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("typed %s and %s", "01 01 90\u00ad1234", "０１０１９０－１２３４")
        try:
            raise ValueError("x")  # this source line is in the frame: 01 01 90 1234
        except ValueError:
            logger.exception("failed on %s", "01.01.90-1234")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert out.count("[CPR fjernet]") >= 4
    assert not any(contains_cpr(json.loads(line)["message"]) for line in out.splitlines())
    assert not contains_cpr(out)
