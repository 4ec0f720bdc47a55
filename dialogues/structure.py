"""Loading flow files, checking them, and what depends on what.

Every mistake a flow editor can make is reported with the file and the step: unknown
or later step referenced, duplicate id, unknown validator / check / source / effect,
an option value a condition waits for that the step never offers, missing text.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dialogues.model import Condition, Flow, Step, Transcript
from dialogues.rules import (
    CHECK_DEPENDS,
    CHECKS,
    FACT_NAMES,
    ITEM_SOURCES,
    KNOWN_EFFECTS,
    OPTION_SOURCE_DEPENDS,
    OPTION_SOURCES,
    PLACEHOLDER,
    PLACEHOLDER_NAMES,
    SUGGESTER_DEPENDS,
    SUGGESTERS,
    VALIDATORS,
)
from dialogues.yamlio import load_yaml

FLOWS_DIR = Path(__file__).resolve().parent / "flows"
EXAMPLES_DIR = FLOWS_DIR / "examples"


class FlowError(Exception):
    """A flow file is broken. The message names the file and, where known, the step."""

    def __init__(self, file: str, step: str | None, problem: str) -> None:
        where = f"{file}, step '{step}'" if step else file
        super().__init__(f"{where}: {problem}")
        self.file, self.step, self.problem = file, step, problem


def _pydantic_problem(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        message = err["msg"]
        if err["type"] not in ("missing", "extra_forbidden") and isinstance(
            err.get("input"), str | int | float
        ):
            message += f" (got {err['input']!r})"
        parts.append(f"{key}: {message}" if key else message)
    return "; ".join(parts)


def parse_flow(text: str, file: str) -> Flow:
    """Parse and check one flow file's text."""
    try:
        raw = load_yaml(text)
    except yaml.YAMLError as exc:
        raise FlowError(file, None, f"not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise FlowError(file, None, "a flow file must be a mapping with id, title and steps")
    raw_steps = raw.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise FlowError(file, None, "steps: a flow needs a list of steps")
    steps = []
    for index, raw_step in enumerate(raw_steps, start=1):
        name = raw_step.get("id") if isinstance(raw_step, dict) else None
        try:
            steps.append(Step.model_validate(raw_step))
        except ValidationError as exc:
            raise FlowError(file, str(name or f"#{index}"), _pydantic_problem(exc)) from None
    try:
        flow = Flow.model_validate(
            {**raw, "steps": steps, "source": file, "version": _version(text)}
        )
    except ValidationError as exc:
        raise FlowError(file, None, _pydantic_problem(exc)) from None
    check_flow(flow)
    return flow


def _version(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def load_flow(path: Path) -> Flow:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FlowError(path.name, None, f"cannot be read: {exc.strerror}") from None
    return parse_flow(text, path.name)


def load_flows(directory: Path = FLOWS_DIR) -> dict[str, Flow]:
    """All flows of a directory by id; the first broken file stops the load."""
    flows: dict[str, Flow] = {}
    for path in sorted(directory.glob("*.yaml")):
        flow = load_flow(path)
        if flow.id in flows:
            raise FlowError(path.name, None, f"flow id '{flow.id}' is used by another file too")
        flows[flow.id] = flow
    return flows


def check_flow(flow: Flow) -> None:
    file = flow.source
    seen: dict[str, Step] = {}
    for effect in flow.on_complete:
        if effect not in KNOWN_EFFECTS:
            raise FlowError(file, None, f"unknown effect '{effect}' in on_complete")
    _check_placeholders(file, None, flow.intro or "")
    for step in flow.steps:
        if step.id in seen:
            raise FlowError(file, step.id, "duplicate step id")
        _check_step(file, step, seen)
        seen[step.id] = step


def _check_step(file: str, step: Step, earlier: dict[str, Step]) -> None:
    def fail(problem: str) -> FlowError:
        return FlowError(file, step.id, problem)

    if step.kind in ("choice", "multi"):
        if bool(step.options) == bool(step.options_from):
            raise fail("a choice needs either options or options_from")
        values = [o.value for o in step.options]
        if len(values) != len(set(values)):
            raise fail("two options have the same value")
    elif step.options or step.options_from:
        raise fail(f"a {step.kind} step takes no options")
    if step.options_from and step.options_from not in OPTION_SOURCES:
        raise fail(f"unknown options_from '{step.options_from}'")
    if step.for_each and step.for_each not in ITEM_SOURCES:
        raise fail(f"unknown for_each '{step.for_each}'")
    if step.suggest and step.suggest not in SUGGESTERS:
        raise fail(f"unknown suggestion '{step.suggest}'")
    for name in step.validate_:
        if name not in VALIDATORS:
            raise fail(f"unknown validator '{name}'")
    for ref in step.depends_on:
        if ref not in earlier:
            raise fail(f"depends_on names '{ref}', which is not an earlier step")
    if step.when is not None:
        _check_condition(step.when, earlier, fail)
    for name in source_depends(step):
        if name not in earlier:
            raise fail(f"needs the answer of '{name}', which is not an earlier step")
    _check_placeholders(file, step.id, step.text)
    if step.min is not None and step.max is not None and step.min > step.max:
        raise fail("min is larger than max")


def _check_condition(cond: Condition, earlier: dict[str, Step], fail: Any) -> None:
    for check in cond.referenced_checks():
        if check not in CHECKS:
            raise fail(f"unknown check '{check}' in when")
    for fact in cond.referenced_facts():
        if fact not in FACT_NAMES:
            raise fail(f"unknown fact '{fact}' in when")
    for ref in cond.referenced_steps():
        if ref not in earlier:
            raise fail(
                f"when refers to '{ref}', which is not an earlier step: the step is unreachable"
            )
    for sub in (*(cond.all_ or ()), *(cond.any_ or ()), *((cond.not_,) if cond.not_ else ())):
        _check_condition(sub, earlier, fail)
    if cond.step is None:
        return
    target = earlier[cond.step]
    wanted = [str(cond.equals)] if cond.equals is not None else list(cond.in_ or ())
    offered: list[str] | None = None
    if target.kind == "choice" and target.options:
        offered = [o.value for o in target.options]
    elif target.kind == "yesno":
        offered = ["True", "False", "ja", "nej"]
    if offered is not None and wanted and not set(wanted) & set(offered):
        raise fail(
            f"when waits for {cond.step} = {', '.join(wanted)}, which that step never "
            "offers: the step is unreachable"
        )


def _check_placeholders(file: str, step: str | None, text: str) -> None:
    for name in PLACEHOLDER.findall(text):
        if name not in PLACEHOLDER_NAMES:
            raise FlowError(file, step, f"unknown placeholder '{{{name}}}' in text")


def source_depends(step: Step) -> tuple[str, ...]:
    names: list[str] = []
    if step.options_from:
        names += OPTION_SOURCE_DEPENDS.get(step.options_from, ())
    if step.suggest:
        names += SUGGESTER_DEPENDS.get(step.suggest, ())
    return tuple(names)


def step_depends(step: Step) -> set[str]:
    """The earlier steps whose answers this step's question, options or checks use."""
    deps = set(step.depends_on) | set(source_depends(step))
    if step.when is not None:
        deps |= step.when.referenced_steps()
        for check in step.when.referenced_checks():
            deps |= set(CHECK_DEPENDS.get(check, ()))
    return deps


@cache
def _dependents_cached(flow: Flow, step_id: str) -> tuple[str, ...]:
    found: list[str] = []
    frontier = {step_id}
    for step in flow.steps:
        if step_depends(step) & frontier and step.id not in found:
            found.append(step.id)
            frontier.add(step.id)
    return tuple(found)


def dependents(flow: Flow, step_id: str) -> tuple[str, ...]:
    """Steps to ask again when the answer of `step_id` changes (transitively)."""
    return _dependents_cached(flow, step_id)


# --- examples (transcripts) -----------------------------------------------------------


def load_transcripts(directory: Path = EXAMPLES_DIR) -> list[tuple[str, Transcript]]:
    transcripts = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            raw = load_yaml(path.read_text(encoding="utf-8"))
            transcripts.append((path.name, Transcript.model_validate(raw)))
        except (yaml.YAMLError, ValidationError) as exc:
            raise FlowError(path.name, None, f"example is invalid: {exc}") from None
    return transcripts


# --- diagram -------------------------------------------------------------------------------


def _condition_label(cond: Condition) -> str:
    if cond.all_ is not None:
        return " og ".join(_condition_label(c) for c in cond.all_)
    if cond.any_ is not None:
        return " eller ".join(_condition_label(c) for c in cond.any_)
    if cond.not_ is not None:
        return f"ikke ({_condition_label(cond.not_)})"
    if cond.check is not None:
        return cond.check
    subject = cond.step or cond.fact
    if cond.answered is not None:
        return f"{subject} besvaret" if cond.answered else f"{subject} ubesvaret"
    if cond.equals is not None:
        return f"{subject} = {cond.equals}"
    return f"{subject} i {', '.join(cond.in_ or ())}"


def mermaid(flow: Flow) -> str:
    """A Mermaid flowchart of the flow: steps in order, conditional steps on labelled edges."""
    lines = ["flowchart TD", f'    start(["{flow.title}"])']
    for step in flow.steps:
        label = step.short_label.replace('"', "'")
        lines.append(f'    {step.id}["{step.id}<br/>{step.kind}: {label}"]')
    lines.append('    summary(["Opsummering"])')
    nodes = [step.id for step in flow.steps]
    sources = ["start", *nodes]
    for index, source in enumerate(sources):
        for target_index in range(index, len(flow.steps)):
            target = flow.steps[target_index]
            if target.when is None:
                lines.append(f"    {source} --> {target.id}")
                break
            text = _condition_label(target.when).replace('"', "'")
            lines.append(f'    {source} -->|"{text}"| {target.id}')
        else:
            lines.append(f"    {source} --> summary")
    effects = ", ".join(flow.on_complete) or "ingen"
    lines.append(f'    summary --> done(["Gem: {effects}"])')
    return "\n".join(lines) + "\n"
