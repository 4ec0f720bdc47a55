"""The shipped flows load, draw and replay; broken flow files are refused with file and step,
and a flow that does not give a named part what it declares to read is refused naming both;
the committed JSON Schema is the generated one."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from dialogues.effect_inputs import EFFECT_INPUTS, RegisterPraktikInput
from dialogues.model import Flow
from dialogues.replay import replay_all
from dialogues.rules import FACTS, PLACEHOLDERS, Env, facts, placeholders
from dialogues.state import FlowContext, PraktikFacts
from dialogues.structure import (
    FLOWS_DIR,
    SCHEMA_FILE,
    FlowError,
    flow_schema,
    load_flows,
    mermaid,
    parse_flow,
    schema_text,
)
from dialogues.yamlio import load_yaml
from tests.cli_support import run_cli, run_process

ROOT = Path(__file__).resolve().parent.parent


def test_all_shipped_flows_load(flows: dict[str, Flow]) -> None:
    assert set(flows) == {
        "ny_praktik",
        "forbered_moede",
        "opfoelgning",
        "ret_periode",
        "ny_opfoelgning",
        "afslutning",
        "status_efter",
    }
    for flow in flows.values():
        assert len(flow.version) == 12
        assert flow.source.endswith(".yaml")


def test_every_example_conversation_replays(flows: dict[str, Flow], ctx: FlowContext) -> None:
    results = list(replay_all(flows, ctx))
    assert len(results) >= 6
    failures = {name: problems for name, problems in results if problems}
    assert failures == {}


def test_every_flow_has_an_example(flows: dict[str, Flow]) -> None:
    examples = {p.name.split(".")[0] for p in (FLOWS_DIR / "examples").glob("*.yaml")}
    assert examples == set(flows)


def test_replay_reports_a_changed_prompt(
    flows: dict[str, Flow], ctx: FlowContext, tmp_path: Path
) -> None:
    example = (FLOWS_DIR / "examples" / "afslutning.job.yaml").read_text(encoding="utf-8")
    (tmp_path / "afslutning.job.yaml").write_text(
        example.replace("Hvad blev resultatet", "Hvad blev udfaldet"), encoding="utf-8"
    )
    [(name, problems)] = list(replay_all(flows, ctx, tmp_path))
    assert name == "afslutning.job.yaml"
    assert "expected 'Hvad blev udfaldet'" in problems[0]


def test_diagram_draws_conditional_edges(flows: dict[str, Flow]) -> None:
    text = mermaid(flows["ny_praktik"])
    assert text.startswith("flowchart TD\n")
    assert '-->|"type_method = advisor"| advisor_job_match' in text
    assert "summary --> done" in text


BASE = """
id: demo
title: Demo
description: A demo flow.
on_complete: [case_note]
steps:
  - id: first
    kind: choice
    text: Vælg
    options:
      - {value: a, label: A}
      - {value: b, label: B}
"""


@pytest.mark.parametrize(
    ("extra_steps", "step", "problem"),
    [
        ("  - {id: first, kind: text, text: Igen}\n", "first", "duplicate step id"),
        (
            "  - {id: second, kind: text, text: Hej, when: {step: nowhere, equals: a}}\n",
            "second",
            "'nowhere', which is not an earlier step",
        ),
        (
            "  - {id: second, kind: text, text: Hej, when: {step: first, equals: c}}\n",
            "second",
            "never offers: the step is unreachable",
        ),
        (
            "  - {id: second, kind: text, text: Hej, when: {step: third, answered: true}}\n"
            "  - {id: third, kind: text, text: Hej}\n",
            "second",
            "unreachable",
        ),
        (
            "  - {id: second, kind: text, text: Hej, validate: [no_such_rule]}\n",
            "second",
            "unknown validator 'no_such_rule'",
        ),
        ("  - {id: second, kind: text}\n", "second", "text: Field required"),
        (
            "  - {id: second, kind: text, text: ''}\n",
            "second",
            "text: String should have at least 1",
        ),
        ("  - {id: second, kind: essay, text: Hej}\n", "second", "kind: Input should be"),
        ("  - {id: second, kind: choice, text: Hej}\n", "second", "either options or options_from"),
        (
            "  - {id: second, kind: text, text: 'Hej {praktik.nope}'}\n",
            "second",
            "unknown placeholder '{praktik.nope}'",
        ),
        (
            "  - {id: second, kind: text, text: Hej, when: {check: sometimes}}\n",
            "second",
            "unknown check 'sometimes'",
        ),
        (
            "  - {id: second, kind: choice, text: Hej, options_from: planets}\n",
            "second",
            "unknown options_from 'planets'",
        ),
    ],
)
def test_broken_flows_are_refused_naming_file_and_step(
    extra_steps: str, step: str, problem: str
) -> None:
    with pytest.raises(FlowError) as caught:
        parse_flow(BASE + extra_steps, "demo.yaml")
    assert caught.value.file == "demo.yaml"
    assert caught.value.step == step
    assert problem in str(caught.value)
    assert str(caught.value).startswith(f"demo.yaml, step '{step}'")


def test_unknown_effect_is_refused() -> None:
    with pytest.raises(FlowError, match="unknown effect 'send_fax'"):
        parse_flow(BASE.replace("[case_note]", "[send_fax]"), "demo.yaml")


def test_duplicate_flow_ids_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(BASE, encoding="utf-8")
    with pytest.raises(FlowError, match=r"b\.yaml: flow id 'demo' is used by another file"):
        load_flows(tmp_path)


_cli = run_cli  # `praktikbot flows …` in this process; as a process in the first test


def test_cli_flows_check_passes_for_shipped_flows() -> None:
    result = run_process("flows", "check")
    assert result.returncode == 0, result.stderr
    assert "ok   ny_praktik.yaml: ny_praktik" in result.stdout


def test_cli_flows_check_fails_naming_file_and_step(tmp_path: Path) -> None:
    for path in FLOWS_DIR.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    broken = (tmp_path / "opfoelgning.yaml").read_text(encoding="utf-8")
    (tmp_path / "opfoelgning.yaml").write_text(
        broken.replace("kind: yesno", "kind: yesnomaybe", 1), encoding="utf-8"
    )
    result = _cli("flows", "check", "--dir", str(tmp_path))
    assert result.returncode == 1
    assert "opfoelgning.yaml, step 'still_wanted_job'" in result.stderr
    assert "yesnomaybe" in result.stderr


def test_cli_flows_check_refuses_a_missing_or_empty_directory(tmp_path: Path) -> None:
    """A typo in the path is no silent success."""
    missing = tmp_path / "nowhere"
    result = _cli("flows", "check", "--dir", str(missing))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"FAIL {missing}: no such directory\n"
    (tmp_path / "README.md").write_text("no flows here", encoding="utf-8")
    result = _cli("flows", "check", "--dir", str(tmp_path))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"FAIL {tmp_path}: no flow files (*.yaml) found\n"
    with pytest.raises(FlowError, match="not a directory"):
        load_flows(tmp_path / "README.md")


def test_cli_flows_test_and_diagram() -> None:
    result = _cli("flows", "test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   ny_praktik.jobpraktik.yaml" in result.stdout
    diagram = _cli("flows", "diagram", "afslutning")
    assert diagram.returncode == 0
    assert diagram.stdout.startswith("flowchart TD")
    assert '-->|"outcome = ny_praktik"| new_praktik_type' in diagram.stdout


def test_flow_text_is_editable_without_code(tmp_path: Path) -> None:
    """A domain owner rewording a question changes the flow's version, nothing else."""
    original = (FLOWS_DIR / "afslutning.yaml").read_text(encoding="utf-8")
    reworded = original.replace("Hvad blev resultatet af praktikken?", "Hvordan endte praktikken?")
    a = parse_flow(original, "afslutning.yaml")
    b = parse_flow(reworded, "afslutning.yaml")
    assert a.version != b.version
    assert b.step("outcome").text == "Hvordan endte praktikken?"
    assert [s.id for s in a.steps] == [s.id for s in b.steps]


# --- the contract: named parts declare what they read ---------------------------------------


def _copy_shipped(tmp_path: Path) -> Path:
    target = tmp_path / "flows"
    target.mkdir()
    for path in FLOWS_DIR.glob("*.yaml"):
        (target / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def _edit(directory: Path, name: str, old: str, new: str) -> None:
    path = directory / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_renamed_start_date_fails_flows_check_naming_validator_effect_and_step(
    tmp_path: Path,
) -> None:
    """The issue's example: the step renamed with every reference to it in the file. The
    duration check would read no start (a 51-week dagpenge praktik passed) and saving
    would fail; now loading and `flows check` name the file, the parts and the step."""
    directory = _copy_shipped(tmp_path)
    _edit(directory, "ny_praktik.yaml", "  - id: start_date\n", "  - id: first_day\n")
    _edit(directory, "ny_praktik.yaml", "depends_on: [start_date", "depends_on: [first_day")
    _edit(directory, "ny_praktik.yaml", "employees, start_date]", "employees, first_day]")
    with pytest.raises(FlowError) as caught:
        load_flows(directory)
    lines = [p.line for p in caught.value.problems]
    assert lines == [
        "ny_praktik.yaml, step 'end_date': validator 'end_date' reads the answer of step "
        "'start_date' (date), which is not an earlier step",
        "ny_praktik.yaml, step 'end_date': counts_from 'period_start' reads the answer of step "
        "'start_date' (date), which is not an earlier step",
        "ny_praktik.yaml, step 'extension_assessed': check 'needs_extension' reads the answer "
        "of step 'start_date' (date), which is not an earlier step",
        "ny_praktik.yaml: effect 'register_praktik' reads the answer of step 'start_date' "
        "(date), which the flow does not have",
    ]
    assert [p.part for p in caught.value.problems] == [
        "validator 'end_date'",
        "counts_from 'period_start'",
        "check 'needs_extension'",
        "effect 'register_praktik'",
    ]
    result = _cli("flows", "check", "--dir", str(directory))
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == f"FAIL {lines[-1]}"
    assert "ok   " not in result.stdout


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (  # a changed kind: the validators and the effect read a date
            "ret_periode.yaml",
            "  - id: start_date\n    kind: date",
            "  - id: start_date\n    kind: text",
            [
                "ret_periode.yaml, step 'start_date': validator 'start_date' takes a date "
                "answer, but this is a text step",
                "ret_periode.yaml, step 'end_date': validator 'end_date' reads step "
                "'start_date' as date, but it is a text step",
                "ret_periode.yaml, step 'end_date': counts_from 'period_start' reads step "
                "'start_date' as date, but it is a text step",
                "ret_periode.yaml, step 'extension_assessed': check 'needs_extension' reads "
                "step 'start_date' as date, but it is a text step",
                "ret_periode.yaml: effect 'change_period' reads step 'start_date' as date, "
                "but it is a text step",
            ],
        ),
        (  # the effect cannot register a praktik without a company
            "ny_praktik.yaml",
            "    text: Hvilken virksomhed skal borgeren i praktik hos?\n",
            "    text: Hvilken virksomhed skal borgeren i praktik hos?\n    optional: true\n",
            [
                "ny_praktik.yaml: effect 'register_praktik' needs an answer of step 'company' "
                "every time, but the step is optional"
            ],
        ),
        (  # an optional answer the effect reads may not disappear either
            "ny_praktik.yaml",
            "  - id: p_number\n",
            "  - id: p_nummer\n",
            [
                # the lookup a validator on the step reads is keyed by the step's answer
                "ny_praktik.yaml, step 'p_nummer': validator 'colleagues_at_p_number' reads "
                "the answer of step 'p_number' (text), which is not an earlier step",
                "ny_praktik.yaml: effect 'register_praktik' reads the answer of step "
                "'p_number' (text), which the flow does not have",
            ],
        ),
        (  # the report needs the meaning of every outcome
            "afslutning.yaml",
            'label: "Andet", category: other}',
            'label: "Andet"}',
            [
                "afslutning.yaml: effect 'record_outcome' reads the category of each option "
                "of step 'outcome': option 'andet' has no category (one of education, "
                "new_praktik, ordinary_job, other, subsidised_job, unemployed)"
            ],
        ),
        (  # a follow-up kind the reminders do not know
            "ny_opfoelgning.yaml",
            '      - {value: status, label: "Status på job/uddannelse"}\n',
            '      - {value: status, label: "Status på job/uddannelse"}\n'
            '      - {value: aflyst, label: "Aflyst"}\n',
            [
                "ny_opfoelgning.yaml: effect 'add_followup' accepts only afslutning, ekstra, "
                "midtvejs, opstart, plantrin, status from step 'kind'; option 'aflyst' is "
                "none of them"
            ],
        ),
        (  # the sub-goals are the chosen type's: the options must come from the source
            "ny_praktik.yaml",
            "    options_from: target_groups\n",
            "    options:\n      - {value: dagpenge, label: Dagpenge}\n",
            [
                "ny_praktik.yaml, step 'end_date': validator 'end_date' reads step "
                "'target_group' with options from 'target_groups': give the step "
                "'options_from: target_groups'",
                "ny_praktik.yaml, step 'extension_assessed': check 'needs_extension' reads "
                "step 'target_group' with options from 'target_groups': give the step "
                "'options_from: target_groups'",
                "ny_praktik.yaml, step 'last_employer': validator 'last_employer' reads step "
                "'target_group' with options from 'target_groups': give the step "
                "'options_from: target_groups'",
                "ny_praktik.yaml: effect 'register_praktik' reads step 'target_group' with "
                "options from 'target_groups': give the step 'options_from: target_groups'",
            ],
        ),
        (  # a flow about no praktik cannot show one
            "ny_opfoelgning.yaml",
            "needs_praktik: true\n",
            "",
            [
                "ny_opfoelgning.yaml: placeholder '{praktik.case_ref}' reads the praktik the "
                "flow is about: the flow needs 'needs_praktik: true'",
                "ny_opfoelgning.yaml: placeholder '{praktik.type_label}' reads the praktik the "
                "flow is about: the flow needs 'needs_praktik: true'",
                "ny_opfoelgning.yaml: placeholder '{praktik.company}' reads the praktik the "
                "flow is about: the flow needs 'needs_praktik: true'",
                "ny_opfoelgning.yaml: placeholder '{praktik.period}' reads the praktik the "
                "flow is about: the flow needs 'needs_praktik: true'",
                "ny_opfoelgning.yaml: effect 'add_followup' reads the praktik the flow is "
                "about: the flow needs 'needs_praktik: true'",
            ],
        ),
    ],
)
def test_a_flow_that_breaks_a_declaration_is_refused(
    tmp_path: Path, file: str, old: str, new: str, expected: list[str]
) -> None:
    directory = _copy_shipped(tmp_path)
    _edit(directory, file, old, new)
    with pytest.raises(FlowError) as caught:
        load_flows(directory)
    assert [p.line for p in caught.value.problems] == expected


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (
            "  - {id: second, kind: text, text: 'Delmål: {item}'}\n",
            "demo.yaml, step 'second': placeholder '{item}' is the item of a for_each step, "
            "and this step has no for_each",
        ),
        (
            "  - {id: praktik_type, kind: choice, text: Type, options_from: praktik_types, "
            "suggest: type_advisor}\n"
            "  - {id: advisor_job_match, kind: yesno, text: Job?}\n"
            "  - {id: advisor_direction, kind: yesno, text: Retning?}\n",
            "demo.yaml, step 'praktik_type': suggestion 'type_advisor' reads the answer of "
            "step 'advisor_job_match' (yesno), which comes after 'praktik_type': move it "
            "earlier",
        ),
        (
            "  - {id: goals, kind: multi, text: Delmål, options_from: type_subgoals}\n",
            "demo.yaml, step 'goals': options_from 'type_subgoals' reads the answer of step "
            "'praktik_type' (choice), which is not an earlier step",
        ),
        (
            "  - {id: progress, kind: choice, text: '{item}', for_each: praktik_subgoals, "
            "options: [{value: a, label: A}]}\n",
            "demo.yaml, step 'progress': for_each 'praktik_subgoals' reads the praktik the "
            "flow is about: the flow needs 'needs_praktik: true'",
        ),
        (
            "  - {id: hours, kind: text, text: Timer, validate: [hours_per_week]}\n",
            "demo.yaml, step 'hours': validator 'hours_per_week' takes a number answer, but "
            "this is a text step",
        ),
    ],
)
def test_parts_of_a_step_are_held_to_their_declarations(steps: str, expected: str) -> None:
    with pytest.raises(FlowError) as caught:
        parse_flow(BASE + steps, "demo.yaml")
    assert caught.value.line == expected


def test_effects_needing_a_praktik_need_a_flow_about_one() -> None:
    with pytest.raises(FlowError) as caught:
        parse_flow(BASE.replace("[case_note]", "[record_followup]"), "demo.yaml")
    assert caught.value.line == (
        "demo.yaml: effect 'record_followup' reads the praktik the flow is about: the flow "
        "needs 'needs_praktik: true'"
    )


def test_declared_facts_and_placeholders_are_the_ones_the_code_fills(
    ctx: FlowContext,
) -> None:
    """The declarations stay honest: every fact and placeholder the code gives a value is
    declared (and nothing else), so the flow check knows what each reads."""
    praktik = PraktikFacts(
        id=1,
        case_ref="SAG-1",
        type="jobpraktik",
        target_group="dagpenge",
        company="Eksempel ApS",
        subgoals=("a",),
        start_date=dt.date(2026, 3, 2),
        end_date=dt.date(2026, 3, 27),
        hours_per_week=30,
    )
    with_praktik = ctx.model_copy(update={"praktik": praktik})
    assert set(facts(with_praktik)) == set(FACTS)
    env = Env(ctx=with_praktik, answers={"ordinary_employees": 20}, today=dt.date(2026, 3, 1))
    assert set(placeholders(env)) == set(PLACEHOLDERS)


def test_effect_inputs_are_built_from_the_answers(flows: dict[str, Flow]) -> None:
    """An input model reads exactly its steps; a skipped answer leaves the default."""
    data = RegisterPraktikInput.from_payload(
        {
            "answers": {
                "case_ref": "SAG-1",
                "target_group": "dagpenge",
                "company": "Eksempel ApS",
                "p_number": None,
                "praktik_type": "jobpraktik",
                "subgoals": ["d1"],
                "own_subgoals": "Truck; Lager\nKørekort",
                "start_date": "2026-03-02",
                "end_date": "2026-03-27",
                "hours_per_week": 30,
                "last_employer": False,
                "ordinary_employees": 12.5,
                "subsidised_now": 0,
                "ratio_statement": True,
                "contact_person": "Kontakt",
                "type_method": "known",
            },
            "option_texts": {"subgoals": ["Hele teksten for delmål 1"]},
        }
    )
    assert data.start_date == dt.date(2026, 3, 2)
    assert data.p_number is None and data.extension_assessed is False
    assert data.ordinary_employees == 12
    assert data.all_subgoals() == ["Hele teksten for delmål 1", "Truck", "Lager", "Kørekort"]
    every_effect = {effect for flow in flows.values() for effect in flow.on_complete}
    assert every_effect <= set(EFFECT_INPUTS)


# --- the flow files' JSON Schema ---------------------------------------------------------------


def test_committed_schema_is_the_generated_one_and_every_flow_validates() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text()
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    paths = sorted(FLOWS_DIR.glob("*.yaml"))
    assert paths
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# yaml-language-server: $schema=flow.schema.json\n"), path.name
        errors = [e.message for e in validator.iter_errors(load_yaml(text))]
        assert errors == [], path.name


def test_the_schema_catches_what_an_editor_should_mark() -> None:
    """A misspelt validator, an unknown effect or category, a missing question text."""
    validator = jsonschema.Draft202012Validator(flow_schema())
    flow = load_yaml((FLOWS_DIR / "afslutning.yaml").read_text(encoding="utf-8"))
    assert list(validator.iter_errors(flow)) == []
    flow["steps"][0]["options"][0]["category"] = "job"
    flow["steps"][1]["validate"] = ["end_dat"]
    flow["on_complete"] = ["record_outcome", "send_fax"]
    del flow["steps"][2]["text"]
    found = {tuple(e.absolute_path) for e in validator.iter_errors(flow)}
    assert found == {
        ("steps", 0, "options", 0, "category"),
        ("steps", 1, "validate", 0),
        ("on_complete", 1),
        ("steps", 2),  # 'text' is a required property
    }


def test_cli_flows_schema_prints_the_committed_schema() -> None:
    result = _cli("flows", "schema")
    assert result.returncode == 0, result.stderr
    assert result.stdout == SCHEMA_FILE.read_text(encoding="utf-8")
