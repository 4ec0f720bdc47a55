"""The conversation engine: (flow, state, input, context, now) → turn.

Pure: no I/O, no clock reads, no Slack, no database. The engine always asks the first
step that applies and has no answer, so "back", "change an answer" and branching all
come down to removing answers and asking again.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from dialogues import texts
from dialogues.answers import (
    YES_NO_OPTIONS,
    AnswerError,
    display,
    parse_choice,
    parse_date_text,
    parse_date_value,
    parse_multi,
    parse_number,
    parse_scale,
    parse_text,
    parse_yesno,
)
from dialogues.casenote import case_note
from dialogues.cpr import contains_cpr
from dialogues.dates import format_danish_date
from dialogues.model import Condition, Flow, Option, Step
from dialogues.rules import (
    CHECKS,
    ITEM_SOURCES,
    OPTION_SOURCES,
    SUGGESTERS,
    VALIDATORS,
    Env,
    facts,
    fill,
    placeholders,
)
from dialogues.state import (
    ConversationState,
    Effect,
    FlowContext,
    Prompt,
    RecordedAnswer,
    SummaryItem,
    Turn,
    UserInput,
)
from dialogues.structure import dependents, source_depends

_TEXT_COMMANDS = {
    "tilbage": "back",
    "spring over": "skip",
    "spring": "skip",
    "afbryd": "cancel",
    "annuller": "cancel",
    "hjælp": "help",
    "help": "help",
    "?": "help",
}
_CONFIRM_WORDS = frozenset({"gem", "ok", "bekræft", "ja", "godkend"})
_EDIT = re.compile(r"^ret\s+(\d{1,3})$")


def today_in(ctx: FlowContext, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(ctx.timezone)).date()


def new_state(flow: Flow) -> ConversationState:
    return ConversationState(flow_id=flow.id, flow_version=flow.version)


def start(
    flow: Flow, ctx: FlowContext, now: dt.datetime, preset: Mapping[str, Any] | None = None
) -> Turn:
    """Begin a conversation: the intro and the first question. `preset` answers steps at
    once (a continuation carries the answers of the flow before it): each is checked like
    a clicked answer, in flow order, while its step applies; one that does not fit is
    asked instead."""
    state = new_state(flow)
    env = _env(ctx, state, now)
    intro = (fill(flow.intro, placeholders(env)),) if flow.intro else ()
    recorded: list[RecordedAnswer] = []
    for step in flow.steps:
        if preset is None or step.id not in preset or step.for_each or not applies(step, env):
            continue
        try:
            value = _parse(step, state, env, UserInput(value=preset[step.id]))
        except AnswerError:
            continue
        if _refusal(step, value, env) is not None:
            continue
        state.answers[step.id] = value
        state.history.append(step.id)
        recorded.append(_record(step, env, value))
    return _next(flow, state, env, messages=intro, answers=tuple(recorded))


def current_prompt(
    flow: Flow, state: ConversationState, ctx: FlowContext, now: dt.datetime
) -> Turn:
    """The prompt the conversation is waiting on (used to resume after a restart)."""
    env = _env(ctx, state, now)
    if state.status in ("done", "cancelled"):
        return Turn(state=state, messages=(texts.FINISHED,))
    return _next(flow, state.model_copy(deep=True), env)


def advance(
    flow: Flow, state: ConversationState, inp: UserInput, ctx: FlowContext, now: dt.datetime
) -> Turn:
    """Feed one input to the conversation and return what happens next."""
    state = state.model_copy(deep=True)
    env = _env(ctx, state, now)
    if state.status in ("done", "cancelled"):
        return Turn(state=state, messages=(texts.FINISHED,))
    if inp.text is not None and contains_cpr(inp.text):
        return _next(flow, state, env, messages=(texts.CPR_REFUSED,))
    if isinstance(inp.value, str) and contains_cpr(inp.value):
        return _next(flow, state, env, messages=(texts.CPR_REFUSED,))
    command = inp.command or _text_command(inp.text)
    if command == "cancel":
        state.status = "cancelled"
        return Turn(state=state, messages=(texts.CANCELLED.format(title=flow.title),))
    if command == "help":
        return _next(flow, state, env, messages=(_help(flow, state, env),))
    if state.status == "summary":
        return _summary_input(flow, state, inp, env)
    if command in ("confirm", "edit"):
        return _stale(flow, state, env)  # a summary button, but the summary is not current
    step = _current_step(flow, state, env)
    if step is None:  # nothing left to ask: show the summary
        return _next(flow, state, env)
    if inp.step_id is not None and inp.step_id != step.id:
        return _stale(flow, state, env)
    if command == "back":
        return _back(flow, state, env)
    if command == "skip":
        if not step.optional:
            return _next(flow, state, env, messages=(texts.NOT_OPTIONAL,))
        return _accept(flow, state, env, step, None)
    if state.pending_date is not None:
        if inp.value is None or inp.value in ("ja", "nej"):
            return _confirm_date(flow, state, env, step, inp.text or str(inp.value))
        state.pending_date = None  # a date picked in the calendar replaces the typed one
    try:
        value = _parse(step, state, env, inp)
    except AnswerError as exc:
        return _next(flow, state, env, messages=(exc.message,))
    if step.kind == "date" and inp.value is None:
        return _ask_date_confirmation(flow, state, env, step, value)
    return _validate_and_accept(flow, state, env, step, value)


# --- internals ------------------------------------------------------------------------


def _stale(flow: Flow, state: ConversationState, env: Env) -> Turn:
    """Input for a question that is no longer current (a double click, an old message)."""
    turn = _next(flow, state, env, messages=(texts.STALE_INPUT,))
    return turn.model_copy(update={"stale": True})


def _env(ctx: FlowContext, state: ConversationState, now: dt.datetime) -> Env:
    return Env(ctx=ctx, answers=state.answers, today=today_in(ctx, now))


def _text_command(text: str | None) -> str | None:
    if text is None:
        return None
    return _TEXT_COMMANDS.get(" ".join(text.strip().casefold().rstrip(".!").split()))


def holds(condition: Condition, env: Env) -> bool:
    if condition.all_ is not None:
        return all(holds(c, env) for c in condition.all_)
    if condition.any_ is not None:
        return any(holds(c, env) for c in condition.any_)
    if condition.not_ is not None:
        return not holds(condition.not_, env)
    if condition.check is not None:
        return CHECKS[condition.check](env)
    if condition.step is not None:
        present = condition.step in env.answers
        if condition.answered is not None:
            return present == condition.answered
        actual: Any = env.answers.get(condition.step)
    else:
        actual = facts(env.ctx).get(str(condition.fact))
    if actual is None:
        return False
    if condition.equals is not None:
        expected = condition.equals
        if isinstance(actual, bool) and isinstance(expected, str):
            return actual == (expected == "ja")
        return bool(actual == expected)
    return condition.in_ is not None and str(actual) in condition.in_


def applies(step: Step, env: Env) -> bool:
    return step.when is None or holds(step.when, env)


def _prune(flow: Flow, state: ConversationState, env: Env) -> None:
    """Forget answers of steps that no longer apply (an earlier answer changed)."""
    for step in flow.steps:
        if step.id in state.answers and not applies(step, env):
            del state.answers[step.id]
            state.warnings.pop(step.id, None)
            state.partial.pop(step.id, None)
            if step.id in state.history:
                state.history.remove(step.id)


def _current_step(flow: Flow, state: ConversationState, env: Env) -> Step | None:
    if state.editing is not None:
        return flow.step(state.editing)
    _prune(flow, state, env)
    for step in flow.steps:
        if step.id not in state.answers and applies(step, env):
            if step.for_each and not _items(step, env):
                continue
            return step
    return None


def options_for(step: Step, env: Env) -> tuple[Option, ...]:
    if step.kind == "yesno":
        return YES_NO_OPTIONS
    if step.options_from:
        return OPTION_SOURCES[step.options_from](env)
    return step.options


def _items(step: Step, env: Env) -> tuple[str, ...]:
    return ITEM_SOURCES[step.for_each](env) if step.for_each else ()


def _parse(step: Step, state: ConversationState, env: Env, inp: UserInput) -> Any:
    text, value = inp.text, inp.value
    if text is None and value is None:
        raise AnswerError(texts.EMPTY_INPUT)
    match step.kind:
        case "choice":
            return parse_choice(options_for(step, env), text, value)
        case "multi":
            return parse_multi(options_for(step, env), text, value, step.min, step.max)
        case "yesno":
            return parse_yesno(text, value)
        case "text":
            return parse_text(text, value, step.max_length)
        case "number":
            return parse_number(text, value, step.min, step.max)
        case "scale":
            return parse_scale(text, value, step.min, step.max)
        case "date":
            day = parse_date_value(value) if value is not None else parse_date_text(text, env.today)
            return day.isoformat()
    raise AnswerError(texts.EMPTY_INPUT)  # pragma: no cover - kinds are closed


def _ask_date_confirmation(
    flow: Flow, state: ConversationState, env: Env, step: Step, value: str
) -> Turn:
    refusal = _refusal(step, value, env)
    if refusal is not None:
        return _next(flow, state, env, messages=(refusal,))
    state.pending_date = value
    return _next(flow, state, env)


def _confirm_date(flow: Flow, state: ConversationState, env: Env, step: Step, text: str) -> Turn:
    pending = state.pending_date
    assert pending is not None
    try:
        confirmed = parse_yesno(text, None)
    except AnswerError:
        # Another date typed instead of yes/no: read it as a new date.
        state.pending_date = None
        try:
            value = parse_date_text(text, env.today).isoformat()
        except AnswerError:
            state.pending_date = pending
            return _next(flow, state, env, messages=(texts.CONFIRM_DATE_AGAIN,))
        return _ask_date_confirmation(flow, state, env, step, value)
    state.pending_date = None
    if not confirmed:
        return _next(flow, state, env, messages=(texts.DATE_AGAIN,))
    return _validate_and_accept(flow, state, env, step, pending)


def _refusal(step: Step, value: Any, env: Env) -> str | None:
    """The first validator that refuses `value`, as a message; warnings don't count."""
    for name in step.validate_:
        issue = VALIDATORS[name](value, env)
        if issue is not None and issue.level == "refuse":
            return issue.message
    return None


def _validate_and_accept(
    flow: Flow, state: ConversationState, env: Env, step: Step, value: Any
) -> Turn:
    if step.for_each:
        items = _items(step, env)
        done = state.partial.setdefault(step.id, [])
        done.append({"item": items[len(done)], "value": value})
        recorded = _record(step, env, value, item=items[len(done) - 1])
        if len(done) < len(items):
            return _next(flow, state, env, answers=(recorded,))
        state.partial.pop(step.id)
        return _accept(flow, state, env, step, done, recorded=(recorded,))
    warnings: list[str] = []
    for name in step.validate_:
        issue = VALIDATORS[name](value, env)
        if issue is None:
            continue
        if issue.level == "refuse":
            return _next(flow, state, env, messages=(issue.message,))
        warnings.append(issue.message)
    return _accept(flow, state, env, step, value, warnings=tuple(warnings))


def _record(step: Step, env: Env, value: Any, *, item: str | None = None) -> RecordedAnswer:
    question = fill(step.text, placeholders(env, item))
    options = options_for(step, env)
    shown = display(step.model_copy(update={"for_each": None}), options, value)
    return RecordedAnswer(step_id=step.id, question=question, value=value, display=shown)


def _accept(
    flow: Flow,
    state: ConversationState,
    env: Env,
    step: Step,
    value: Any,
    *,
    warnings: tuple[str, ...] = (),
    recorded: tuple[RecordedAnswer, ...] = (),
) -> Turn:
    old = state.previous.pop(step.id, None)
    state.answers[step.id] = value
    if warnings:
        state.warnings[step.id] = " ".join(warnings)
    else:
        state.warnings.pop(step.id, None)
    if step.id in state.history:
        state.history.remove(step.id)
    state.history.append(step.id)
    if state.editing == step.id:
        state.editing = None
        if old != value:
            _recheck_dependents(flow, state, env, step)
    if not recorded:
        recorded = (_record(step, env, value),)
    return _next(flow, state, env, messages=warnings, answers=recorded)


def _recheck_dependents(flow: Flow, state: ConversationState, env: Env, changed: Step) -> None:
    """After an answer changed, ask again the later steps that it invalidates: those whose
    options or suggestion come from it, and those whose own checks now refuse."""
    for step_id in dependents(flow, changed.id):
        step = flow.step(step_id)
        if step_id not in state.answers:
            continue
        value = state.answers[step_id]
        sourced = bool(source_depends(step))
        if step.for_each:  # its items may be others now: asked again only if made from it
            refused = False
        else:
            refused = value is not None and _refusal(step, value, env) is not None
        if sourced or refused:
            del state.answers[step_id]
            state.warnings.pop(step_id, None)
            if step_id in state.history:
                state.history.remove(step_id)
        elif value is not None and not step.for_each:
            warnings = _warnings(step, value, env)
            if warnings:
                state.warnings[step_id] = warnings
            else:
                state.warnings.pop(step_id, None)


def _warnings(step: Step, value: Any, env: Env) -> str:
    issues = (VALIDATORS[name](value, env) for name in step.validate_)
    return " ".join(i.message for i in issues if i is not None and i.level == "warn")


def _back(flow: Flow, state: ConversationState, env: Env) -> Turn:
    step = _current_step(flow, state, env)
    if step is not None and state.partial.get(step.id):
        state.partial[step.id].pop()
        return _next(flow, state, env)
    if state.editing is not None:
        # Leaving an edit with "tilbage" keeps the old answer.
        state.previous.pop(state.editing, None)
        state.editing = None
        return _next(flow, state, env)
    if not state.history:
        return _next(flow, state, env, messages=(texts.NOTHING_TO_GO_BACK_TO,))
    last = state.history.pop()
    state.previous[last] = state.answers.pop(last, None)
    state.warnings.pop(last, None)
    state.pending_date = None
    return _next(flow, state, env)


def _summary_input(flow: Flow, state: ConversationState, inp: UserInput, env: Env) -> Turn:
    text = " ".join((inp.text or "").strip().casefold().rstrip(".!").split())
    command = inp.command
    edit_step = inp.edit_step
    if command is None and text in _CONFIRM_WORDS:
        command = "confirm"
    match = _EDIT.match(text)
    if command is None and match:
        items = _summary_items(flow, state, env)
        index = int(match.group(1)) - 1
        if not 0 <= index < len(items):
            return _next(flow, state, env, messages=(texts.NO_SUCH_ANSWER.format(n=len(items)),))
        command, edit_step = "edit", items[index].step_id
    if command == "confirm":
        return _complete(flow, state, env)
    if command == "edit" and edit_step is not None:
        if edit_step not in state.answers or not flow.has_step(edit_step):
            return _stale(flow, state, env)
        if edit_step in env.ctx.locked_steps:
            return _next(flow, state, env, messages=(env.ctx.locked_steps[edit_step],))
        state.status = "active"
        state.editing = edit_step
        state.previous[edit_step] = state.answers[edit_step]
        return _next(flow, state, env)
    return _next(flow, state, env, messages=(texts.SUMMARY_HOW,))


def _complete(flow: Flow, state: ConversationState, env: Env, *, announce: bool = True) -> Turn:
    state.status = "done"
    payload = _payload(flow, state, env)
    effects = tuple(Effect(name=name, payload=payload) for name in flow.on_complete)
    said = (texts.COMPLETED.format(title=flow.title),) if announce else ()
    return Turn(state=state, messages=said, effects=effects)


def _payload(flow: Flow, state: ConversationState, env: Env) -> dict[str, Any]:
    """What the effects get: the answers, how they read (with options' whole text: labels
    may be shortened, notes are not) and, per choice, the chosen options' whole text."""
    shown: dict[str, str] = {}
    questions: dict[str, str] = {}
    option_texts: dict[str, list[str]] = {}
    for step in flow.steps:
        if step.id in state.answers:
            value = state.answers[step.id]
            whole = tuple(
                o.model_copy(update={"label": o.detail}) if o.detail else o
                for o in options_for(step, env)
            )
            shown[step.id] = display(step, whole, value)
            questions[step.id] = step.short_label
            if step.kind in ("choice", "multi") and not step.for_each and value is not None:
                chosen = value if isinstance(value, list) else [value]
                texts_of = {o.value: o.label for o in whole}
                option_texts[step.id] = [texts_of.get(v, str(v)) for v in chosen]
    payload: dict[str, Any] = {
        "flow_id": flow.id,
        "answers": dict(state.answers),
        "display": shown,
        "labels": questions,
        "warnings": dict(state.warnings),
        "option_texts": option_texts,
    }
    if "case_note" in flow.on_complete:
        payload["note"] = case_note(flow, env, shown, questions, today=env.today)
    return payload


def _summary_items(flow: Flow, state: ConversationState, env: Env) -> tuple[SummaryItem, ...]:
    return tuple(
        SummaryItem(
            step_id=step.id,
            label=step.short_label,
            display=display(step, options_for(step, env), state.answers[step.id]),
            editable=step.id not in env.ctx.locked_steps,
        )
        for step in flow.steps
        if step.id in state.answers
    )


def _help(flow: Flow, state: ConversationState, env: Env) -> str:
    if state.status == "summary":
        return texts.SUMMARY_HOW
    step = _current_step(flow, state, env)
    parts = [step.help] if step and step.help else []
    parts.append(texts.COMMANDS_HELP)
    return "\n".join(parts)


def _next(
    flow: Flow,
    state: ConversationState,
    env: Env,
    *,
    messages: tuple[str, ...] = (),
    answers: tuple[RecordedAnswer, ...] = (),
) -> Turn:
    """Work out what to ask next and build the prompt for it."""
    if state.status == "summary":
        return Turn(
            state=state,
            messages=messages,
            prompt=_summary_prompt(flow, state, env),
            answers=answers,
        )
    step = _current_step(flow, state, env)
    if step is None and not flow.confirm:  # nothing to confirm: saved at once
        done = _complete(flow, state, env, announce=False)
        return done.model_copy(update={"messages": messages, "answers": answers})
    if step is None:
        state.status = "summary"
        return Turn(
            state=state,
            messages=messages,
            prompt=_summary_prompt(flow, state, env),
            answers=answers,
        )
    return Turn(state=state, messages=messages, prompt=_prompt(state, step, env), answers=answers)


def _prompt(state: ConversationState, step: Step, env: Env) -> Prompt:
    item: str | None = None
    position: tuple[int, int] | None = None
    if step.for_each:
        items = _items(step, env)
        done = len(state.partial.get(step.id, []))
        item, position = items[done], (done + 1, len(items))
    text = fill(step.text, placeholders(env, item))
    suggestion = SUGGESTERS[step.suggest](env) if step.suggest else None
    options = options_for(step, env)
    if suggestion is not None:
        label = next((o.label for o in options if o.value == suggestion.value), suggestion.value)
        text += "\n" + texts.SUGGESTION.format(label=label, reason=suggestion.reason)
    can_go_back = bool(state.history) or bool(state.partial.get(step.id))
    if state.pending_date is not None:
        shown = format_danish_date(dt.date.fromisoformat(state.pending_date))
        return Prompt(
            step_id=step.id,
            kind="confirm_date",
            text=texts.CONFIRM_DATE.format(date=shown),
            options=YES_NO_OPTIONS,
            can_go_back=can_go_back,
        )
    previous = state.previous.get(step.id)
    shown_previous = display(step, options, previous) if previous is not None else None
    history = env.ctx.history
    last_time = history.last_time(step.topic, item) if history and step.topic else None
    return Prompt(
        step_id=step.id,
        kind=step.kind,
        text=text,
        help=step.help,
        options=options,
        optional=step.optional,
        min=step.min,
        max=step.max,
        max_length=step.max_length if step.kind == "text" else None,
        suggested=suggestion.value if suggestion else None,
        current=shown_previous,
        last_time=last_time,
        can_go_back=can_go_back,
        item=item,
        item_position=position,
    )


def _summary_prompt(flow: Flow, state: ConversationState, env: Env) -> Prompt:
    items = _summary_items(flow, state, env)
    lines = [texts.SUMMARY_TITLE.format(title=flow.title)]
    for number, item in enumerate(items, start=1):
        lines.append(f"{number}. {item.label}: {item.display}")
    warnings = [w for w in state.warnings.values() if w]
    if warnings:
        lines.append("")
        lines.extend(f"⚠ {w}" for w in warnings)
    lines.append("")
    lines.append(texts.SUMMARY_HOW)
    return Prompt(step_id="_summary", kind="summary", text="\n".join(lines), summary=items)
