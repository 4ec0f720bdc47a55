"""Loading flow files, checking them, and what depends on what.

Every mistake a flow editor can make is reported with the file and the step: unknown
or later step referenced, duplicate id, unknown validator / check / source / effect,
an option value a condition waits for that the step never offers, missing text — and
a named part (validator, check, source, suggestion, placeholder, fact, effect) whose
declared reads (dialogues.contract) the flow does not meet: the message names the part
and the step it reads. Across files: menu places, keywords and assistant prompts
(dialogues.registry).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dialogues.contract import Needs, Reads
from dialogues.effect_inputs import EFFECT_INPUTS
from dialogues.model import Condition, Flow, Step, Transcript
from dialogues.registry import check_registry
from dialogues.rules import (
    CHECKS,
    DATE_ORIGINS,
    FACTS,
    ITEM_SOURCES,
    LOOKUPS,
    OPTION_SOURCES,
    PLACEHOLDER,
    PLACEHOLDERS,
    SUGGESTERS,
    VALIDATORS,
)
from dialogues.yamlio import load_yaml

FLOWS_DIR = Path(__file__).resolve().parent / "flows"
EXAMPLES_DIR = FLOWS_DIR / "examples"
SCHEMA_FILE = FLOWS_DIR / "flow.schema.json"


class FlowError(Exception):
    """A flow file is broken. The message names the file and, where known, the step and
    the named part; `problems` holds every problem found (this one first)."""

    def __init__(
        self,
        file: str,
        step: str | None,
        problem: str,
        *,
        part: str | None = None,
        more: Sequence[FlowError] = (),
    ) -> None:
        self.file, self.step, self.problem, self.part = file, step, problem, part
        self.problems: tuple[FlowError, ...] = (self, *more)
        super().__init__("\n".join(p.line for p in self.problems))

    @property
    def line(self) -> str:
        where = f"{self.file}, step '{self.step}'" if self.step else self.file
        return f"{where}: {self.problem}"

    @classmethod
    def all_of(cls, problems: Sequence[FlowError]) -> FlowError:
        first = problems[0]
        return cls(first.file, first.step, first.problem, part=first.part, more=problems[1:])


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
    """All flows of a directory by id; the first broken file stops the load. A missing
    directory, or one without a flow file, is refused: an app without flows does nothing."""
    if not directory.is_dir():
        missing = "no such directory" if not directory.exists() else "not a directory"
        raise FlowError(str(directory), None, missing)
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise FlowError(str(directory), None, "no flow files (*.yaml) found")
    flows: dict[str, Flow] = {}
    for path in paths:
        flow = load_flow(path)
        if flow.id in flows:
            raise FlowError(path.name, None, f"flow id '{flow.id}' is used by another file too")
        flows[flow.id] = flow
    problems = check_registry(flows)
    if problems:
        raise FlowError.all_of(
            [FlowError(file, None, text, part="menu") for file, text in problems]
        )
    return flows


def check_flow(flow: Flow) -> None:
    """Structural mistakes stop at the first; then every unmet declaration is reported."""
    file = flow.source
    seen: dict[str, Step] = {}
    for effect in flow.on_complete:
        if effect not in EFFECT_INPUTS:
            raise FlowError(file, None, f"unknown effect '{effect}' in on_complete")
    if flow.praktik_status == "ended" and not flow.needs_praktik:
        raise FlowError(file, None, "praktik_status: ended is for a flow with needs_praktik")
    _check_placeholders(file, None, flow.intro or "")
    problems: list[FlowError] = []
    problems += _check_text_needs(flow, None, flow.intro or "", seen)
    for step in flow.steps:
        if step.id in seen:
            raise FlowError(file, step.id, "duplicate step id")
        _check_step(file, step, seen)
        problems += _check_step_needs(flow, step, seen)
        seen[step.id] = step
    for step in flow.steps:
        _check_together(flow, step)
    all_steps = {step.id: step for step in flow.steps}
    registered = flow.needs_praktik
    for effect in flow.on_complete:
        model = EFFECT_INPUTS[effect]
        problems += _check_needs(flow, None, f"effect '{effect}'", model.needs(), all_steps)
        if model.reads_saved_praktik and not registered:
            problems.append(
                FlowError(
                    file,
                    None,
                    f"effect '{effect}' reads the saved praktik: name an effect that registers "
                    "it (register_praktik) before it, or give the flow 'needs_praktik: true'",
                    part=f"effect '{effect}'",
                )
            )
        registered = registered or model.registers_praktik
    if problems:
        raise FlowError.all_of(problems)


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
    if step.counts_from and step.counts_from not in DATE_ORIGINS:
        raise fail(f"unknown counts_from '{step.counts_from}'")
    for name in step.validate_:
        if name not in VALIDATORS:
            raise fail(f"unknown validator '{name}'")
    for ref in step.depends_on:
        if ref not in earlier:
            raise fail(f"depends_on names '{ref}', which is not an earlier step")
    if step.when is not None:
        _check_condition(step.when, earlier, fail)
    _check_placeholders(file, step.id, step.text)
    _check_placeholders(file, step.id, step.help or "")
    if step.min is not None and step.max is not None and step.min > step.max:
        raise fail("min is larger than max")


# Kinds whose reading is strict enough to tell where one answer ends (a text takes anything).
TOGETHER_KINDS = frozenset({"date", "number", "scale", "yesno", "choice"})


def _check_together(flow: Flow, step: Step) -> None:
    """The steps answered together come later, in flow order, and have strict readings."""
    if step.together is None:
        return
    position = flow.index(step.id)
    for named in (None, *step.together.with_):
        if named is None:
            target = step
        else:
            if not flow.has_step(named) or flow.index(named) <= position:
                raise FlowError(
                    flow.source, step.id, f"together names '{named}', which is not a later step"
                )
            target, position = flow.step(named), flow.index(named)
        if target.kind not in TOGETHER_KINDS or target.for_each:
            per_item = " asked per item" if target.for_each else ""
            raise FlowError(
                flow.source,
                step.id,
                f"together: step '{target.id}' is a {target.kind} step{per_item}; only "
                f"{', '.join(sorted(TOGETHER_KINDS))} answers can be told apart in one message",
            )


def _check_condition(cond: Condition, earlier: dict[str, Step], fail: Any) -> None:
    for check in cond.referenced_checks():
        if check not in CHECKS:
            raise fail(f"unknown check '{check}' in when")
    for fact in cond.referenced_facts():
        if fact not in FACTS:
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
        if name not in PLACEHOLDERS:
            raise FlowError(file, step, f"unknown placeholder '{{{name}}}' in text")


# --- declarations: what each named part reads --------------------------------------------


def _step_parts(step: Step) -> list[tuple[str, Needs]]:
    """The named parts a step uses, as (how the part is named, what it reads)."""
    parts: list[tuple[str, Needs]] = [
        (f"validator '{n}'", VALIDATORS[n].needs) for n in step.validate_
    ]
    if step.when is not None:
        parts += [(f"check '{c}'", CHECKS[c].needs) for c in sorted(step.when.referenced_checks())]
        parts += [(f"fact '{f}'", FACTS[f]) for f in sorted(step.when.referenced_facts())]
    if step.options_from:
        parts.append(
            (f"options_from '{step.options_from}'", OPTION_SOURCES[step.options_from].needs)
        )
    if step.for_each:
        parts.append((f"for_each '{step.for_each}'", ITEM_SOURCES[step.for_each].needs))
    if step.suggest:
        parts.append((f"suggestion '{step.suggest}'", SUGGESTERS[step.suggest].needs))
    if step.counts_from:
        parts.append((f"counts_from '{step.counts_from}'", DATE_ORIGINS[step.counts_from].needs))
    return parts


def _check_step_needs(flow: Flow, step: Step, earlier: dict[str, Step]) -> list[FlowError]:
    problems: list[FlowError] = []
    for part, needs in _step_parts(step):
        problems += _check_needs(flow, step, part, needs, earlier)
    for text in (step.text, step.help or ""):
        problems += _check_text_needs(flow, step, text, earlier)
    return problems


def _check_text_needs(
    flow: Flow, step: Step | None, text: str, earlier: dict[str, Step]
) -> list[FlowError]:
    problems: list[FlowError] = []
    for name in dict.fromkeys(PLACEHOLDER.findall(text)):
        problems += _check_needs(
            flow, step, f"placeholder '{{{name}}}'", PLACEHOLDERS[name], earlier
        )
    return problems


def _kinds(reads: Reads) -> str:
    return " or ".join(reads.kinds)


def _check_needs(
    flow: Flow, step: Step | None, part: str, needs: Needs, available: Mapping[str, Step]
) -> list[FlowError]:
    """What `part` (used by `step`, or by the whole flow) reads, held against the steps
    `available` to it: earlier steps for a step's part, every step for an effect."""
    problems: list[FlowError] = []

    def problem(text: str) -> None:
        problems.append(
            FlowError(flow.source, step.id if step else None, f"{part} {text}", part=part)
        )

    if (needs.praktik or needs.history) and not flow.needs_praktik:
        problem("reads the praktik the flow is about: the flow needs 'needs_praktik: true'")
    if needs.item and (step is None or not step.for_each):
        problem("is the item of a for_each step, and this step has no for_each")
    if step is not None and needs.on_kinds and step.kind not in needs.on_kinds:
        problem(f"takes a {' or '.join(needs.on_kinds)} answer, but this is a {step.kind} step")
    keyed: list[Reads] = []
    for name in needs.lookups:
        key = LOOKUPS.get(name)
        if key is None:
            problem(f"uses lookup '{name}', which is not registered")
        elif step is not None and key.step == step.id:
            if step.kind not in key.kinds:
                problem(
                    f"uses lookup '{name}' keyed by this step's answer as {_kinds(key)}, "
                    f"but this is a {step.kind} step"
                )
        else:
            keyed.append(key)
    for reads in (*needs.reads, *keyed):
        target = available.get(reads.step)
        if target is None:
            what = f"reads the answer of step '{reads.step}' ({_kinds(reads)}), which"
            if not reads.required:
                continue
            if step is not None and flow.has_step(reads.step):
                problem(f"{what} comes after '{step.id}': move it earlier")
            elif not (reads.or_praktik and flow.needs_praktik):
                where = "the flow does not have" if step is None else "is not an earlier step"
                problem(f"{what} {where}")
            continue
        problems_before = len(problems)
        if target.kind not in reads.kinds:
            problem(f"reads step '{reads.step}' as {_kinds(reads)}, but it is a {target.kind} step")
        elif target.for_each and not reads.per_item:
            problem(f"reads step '{reads.step}' as one answer, but it is asked once per item")
        elif reads.per_item and not target.for_each:
            problem(
                f"reads step '{reads.step}' once per item, but it is asked once: give it 'for_each'"
            )
        if len(problems) > problems_before:
            continue
        if reads.always and target.optional:
            problem(f"needs an answer of step '{reads.step}' every time, but the step is optional")
        elif reads.always and target.when is not None:
            problem(
                f"needs an answer of step '{reads.step}' every time, but the step is asked "
                "only when its 'when' holds"
            )
        if reads.options_from and target.options_from != reads.options_from:
            problem(
                f"reads step '{reads.step}' with options from '{reads.options_from}': give "
                f"the step 'options_from: {reads.options_from}'"
            )
        if reads.values is not None or reads.categories is not None:
            _check_options(reads, target, problem)
    return problems


def _check_options(reads: Reads, target: Step, problem: Callable[[str], None]) -> None:
    """A part that accepts only some option values, or reads each option's category."""
    if target.options_from:
        problem(
            f"reads the options of step '{reads.step}' one by one: list them in the flow "
            f"instead of 'options_from: {target.options_from}'"
        )
        return
    for option in target.options:
        if reads.values is not None and option.value not in reads.values:
            problem(
                f"accepts only {', '.join(sorted(reads.values))} from step '{reads.step}'; "
                f"option '{option.value}' is none of them"
            )
        if reads.categories is not None and option.category not in reads.categories:
            has = f"category '{option.category}'" if option.category else "no category"
            problem(
                f"reads the category of each option of step '{reads.step}': option "
                f"'{option.value}' has {has} (one of {', '.join(sorted(reads.categories))})"
            )


# --- what depends on what -----------------------------------------------------------------


def flow_lookups(flow: Flow) -> frozenset[str]:
    """The named lookups the parts of a flow's steps read (worked out once per flow
    object: a flow does not change after loading, and every turn asks)."""
    known = _FLOW_LOOKUPS.get(id(flow))
    if known is not None and known[0] is flow:
        return known[1]
    found = frozenset(
        name for step in flow.steps for _, needs in _step_parts(step) for name in needs.lookups
    )
    _FLOW_LOOKUPS[id(flow)] = (flow, found)
    return found


# By id(flow), holding the flow itself so the id is not reused while it is kept.
_FLOW_LOOKUPS: dict[int, tuple[Flow, frozenset[str]]] = {}


def _declared_reads(step: Step) -> set[str]:
    """The steps the parts of `step` read (its validators, sources, suggestion, checks)."""
    return {name for _, needs in _step_parts(step) for name in needs.steps()}


def reads_history(flow: Flow) -> bool:
    """Whether the flow needs the praktik's past (dialogues.history): a step with a topic
    ('last time'), or a part that reads it."""
    return any(
        step.topic is not None or any(needs.history for _, needs in _step_parts(step))
        for step in flow.steps
    )


def source_depends(step: Step) -> tuple[str, ...]:
    """The answers the step's options, items or suggestion are made from."""
    names: list[str] = []
    if step.options_from:
        names += OPTION_SOURCES[step.options_from].needs.steps()
    if step.for_each:
        names += ITEM_SOURCES[step.for_each].needs.steps()
    if step.suggest:
        names += SUGGESTERS[step.suggest].needs.steps()
    return tuple(names)


def step_depends(step: Step) -> set[str]:
    """The steps whose answers this step's question, options or checks use (some may come
    later in a flow: only earlier ones count, see `dependents`)."""
    deps = set(step.depends_on) | _declared_reads(step)
    if step.when is not None:
        deps |= step.when.referenced_steps()
    return deps


@cache
def _dependents_cached(flow: Flow, step_id: str) -> tuple[str, ...]:
    found: list[str] = []
    frontier = {step_id}
    earlier: set[str] = set()
    for step in flow.steps:
        if step_depends(step) & earlier & frontier and step.id not in found:
            found.append(step.id)
            frontier.add(step.id)
        earlier.add(step.id)
    return tuple(found)


def dependents(flow: Flow, step_id: str) -> tuple[str, ...]:
    """Steps to ask again when the answer of `step_id` changes (transitively)."""
    return _dependents_cached(flow, step_id)


# --- the JSON Schema of a flow file ----------------------------------------------------------


def flow_schema() -> dict[str, Any]:
    """The JSON Schema of a flow file, from the flow model, with the names the code knows
    (validators, sources, checks, facts, effects, option categories) as enums, so an
    editor checks a flow while it is typed."""
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **Flow.model_json_schema(by_alias=True),
        "title": "praktikbot flow",
    }
    defs = schema["$defs"]
    step = defs["Step"]["properties"]
    step["validate"]["items"] = {"enum": sorted(VALIDATORS)}
    _nullable_enum(step["options_from"], OPTION_SOURCES)
    _nullable_enum(step["for_each"], ITEM_SOURCES)
    _nullable_enum(step["suggest"], SUGGESTERS)
    _nullable_enum(step["counts_from"], DATE_ORIGINS)
    condition = defs["Condition"]["properties"]
    _nullable_enum(condition["check"], CHECKS)
    _nullable_enum(condition["fact"], FACTS)
    schema["properties"]["on_complete"]["items"] = {"enum": sorted(EFFECT_INPUTS)}
    categories = sorted(
        {
            category
            for model in EFFECT_INPUTS.values()
            for reads in model.needs().reads
            for category in reads.categories or ()
        }
    )
    _nullable_enum(defs["Option"]["properties"]["category"], categories)
    return schema


def _nullable_enum(prop: dict[str, Any], names: Any) -> None:
    for alternative in prop.get("anyOf", []):
        if alternative.get("type") == "string":
            alternative.clear()
            alternative["enum"] = sorted(names)


def schema_text() -> str:
    """The schema as committed in dialogues/flows/flow.schema.json."""
    return json.dumps(flow_schema(), indent=2, ensure_ascii=False) + "\n"


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
