"""The shipped flows load, draw and replay; broken flow files are refused with file and step."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dialogues.model import Flow
from dialogues.replay import replay_all
from dialogues.state import FlowContext
from dialogues.structure import FLOWS_DIR, FlowError, load_flows, mermaid, parse_flow

ROOT = Path(__file__).resolve().parent.parent


def test_all_shipped_flows_load(flows: dict[str, Flow]) -> None:
    assert set(flows) == {
        "ny_praktik",
        "forbered_moede",
        "opfoelgning",
        "ret_periode",
        "ny_opfoelgning",
        "afslutning",
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


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_cli_flows_check_passes_for_shipped_flows() -> None:
    result = _cli("flows", "check")
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
    assert "opfoelgning.yaml, step 'paid_hours'" in result.stderr
    assert "yesnomaybe" in result.stderr


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
