"""The conversation engine: (flow, state, input, context, now) → turn.

Pure: no I/O, no clock reads, no Slack, no database. The engine always asks the first
step that applies and has no answer, so "back", "change an answer" and branching all
come down to removing answers and asking again.

Input is checked here, where the question is known: every text of an input is refused
when it holds a CPR number (except a field's own form, e.g. a P-number in the P-number
field); a typed date is confirmed; a free-text answer that names a special category of
personal data is held until the consultant confirms it or types a new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Collection, Iterator, Mapping
from functools import cache
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
    CPR_EXEMPT_FORMS,
    DATE_ORIGINS,
    ITEM_SOURCES,
    OPTION_SOURCES,
    PLACEHOLDER,
    PLACEHOLDERS,
    SUGGESTERS,
    VALIDATORS,
    Env,
    facts,
    fill,
    placeholders,
)
from dialogues.sensitive import Finding, find_special_categories
from dialogues.state import (
    AuditEvent,
    ConversationState,
    Effect,
    FlowContext,
    Form,
    FormField,
    FormTurn,
    Prompt,
    RecordedAnswer,
    SummaryItem,
    Turn,
    UserInput,
)
from dialogues.structure import dependents, source_depends
from dialogues.together import Piece, splits

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
# The special-category warning's two answers (buttons in Slack, numbers in the terminal).
_KEEP, _REPHRASE = "ja", "nej"
_KEEP_WORDS = _CONFIRM_WORDS | {"1", "gem som skrevet"}
_REPHRASE_WORDS = frozenset({"nej", "2", "skriv om", "skriv svaret om"})
_SENSITIVE_OPTIONS = (
    Option(value=_KEEP, label="Gem som skrevet"),
    Option(value=_REPHRASE, label="Skriv svaret om"),
)
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
    own_form = _own_form_answer(flow, state, env, inp)
    if own_form is not None:
        inp = inp.model_copy(update={"text": own_form})
    elif _holds_cpr(inp):
        return _next(flow, state, env, messages=(texts.CPR_REFUSED,))
    command = inp.command or _text_command(inp.text)
    if command == "cancel":
        state.status = "cancelled"
        state.pending_sensitive = None
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
        state.pending_sensitive = None
        return _accept(flow, state, env, step, None)
    if state.pending_sensitive is not None:
        answered = _answer_warning(flow, state, env, step, inp)
        if answered is not None:
            return answered
    if state.pending_answers is not None or step.together is not None:
        together = _answers_together(flow, state, env, step, inp)
        if together is not None:
            return together
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
    if step.kind == "text" and _special_categories(flow, step, value, env):
        return _warn_special_categories(flow, state, env, step, value)
    return _validate_and_accept(flow, state, env, step, value)


# --- internals ------------------------------------------------------------------------


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    return []


def _holds_cpr(inp: UserInput) -> bool:
    """Whether any text of the input (typed, a button's value, a step id) is CPR-like."""
    return any(contains_cpr(s) for s in _strings([inp.text, inp.value, inp.edit_step]))


def _own_form_answer(flow: Flow, state: ConversationState, env: Env, inp: UserInput) -> str | None:
    """Typed text in the canonical form of a field with its own rule (the P-number field
    takes P-numbers, which may read as dates), or None: then the generic CPR check
    applies. Only input that *is* such a value is exempt."""
    if inp.text is None or inp.value is not None or inp.command is not None:
        return None
    if state.status != "active" or state.pending_date is not None:
        return None
    step = _current_step(flow, state, env)
    return _canonical_own_form(step, inp.text) if step is not None else None


def _canonical_own_form(step: Step, text: str) -> str | None:
    """`text` in the canonical form of the step's own-form rule (see CPR_EXEMPT_FORMS),
    or None when the step has none or the text is not such a value."""
    if step.kind != "text":
        return None
    for name in step.validate_:
        form = CPR_EXEMPT_FORMS.get(name)
        canonical = form(text) if form is not None else None
        if canonical is not None:
            return canonical
    return None


def _special_categories(flow: Flow, step: Step, value: Any, env: Env) -> tuple[Finding, ...]:
    terms = env.ctx.special_categories
    if not isinstance(value, str) or f"{flow.id}.{step.id}" in terms.exempt_steps:
        return ()
    return find_special_categories(value, terms)


def _warn_special_categories(
    flow: Flow, state: ConversationState, env: Env, step: Step, value: str
) -> Turn:
    """Hold the answer and explain the rule; the consultant rephrases or confirms."""
    refusal = _refusal(step, value, env)
    if refusal is not None:
        return _next(flow, state, env, messages=(refusal,))
    state.pending_sensitive = value
    turn = _next(flow, state, env)
    event = AuditEvent(action="special_category_warning", step_id=step.id)
    return turn.model_copy(update={"audit": (event,)})


def _answer_warning(
    flow: Flow, state: ConversationState, env: Env, step: Step, inp: UserInput
) -> Turn | None:
    """The answer to a special-category warning: keep, rephrase, or (None) a new answer."""
    pending = state.pending_sensitive
    assert pending is not None
    said = " ".join((inp.text or "").strip().casefold().rstrip(".!").split())
    if inp.value == _KEEP or (inp.value is None and said in _KEEP_WORDS):
        state.pending_sensitive = None
        turn = _validate_and_accept(flow, state, env, step, pending)
        event = AuditEvent(action="special_category_confirmed", step_id=step.id)
        return turn.model_copy(update={"audit": (*turn.audit, event)})
    state.pending_sensitive = None
    if inp.value == _REPHRASE or (inp.value is None and said in _REPHRASE_WORDS):
        return _next(flow, state, env, messages=(texts.SPECIAL_CATEGORY_REPHRASE,))
    return None  # a new answer: read it as one


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
            if value is not None:
                return parse_date_value(value).isoformat()
            return parse_date_text(text, env.today, _date_origin(step, env)).isoformat()
    raise AnswerError(texts.EMPTY_INPUT)  # pragma: no cover - kinds are closed


def _date_origin(step: Step, env: Env) -> dt.date | None:
    """The day a date step that ends a period reads typed dates from (its start)."""
    return DATE_ORIGINS[step.counts_from](env) if step.counts_from else None


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
            value = parse_date_text(text, env.today, _date_origin(step, env)).isoformat()
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
    return RecordedAnswer(
        step_id=step.id, question=question, value=value, display=shown, label=step.short_label
    )


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
    _set_answer(flow, state, env, step, value, warnings)
    if not recorded:
        recorded = (_record(step, env, value),)
    return _next(flow, state, env, messages=warnings, answers=recorded)


def _set_answer(
    flow: Flow,
    state: ConversationState,
    env: Env,
    step: Step,
    value: Any,
    warnings: tuple[str, ...],
) -> None:
    old = state.previous.pop(step.id, None)
    state.answers[step.id] = value
    state.pending_answers = None  # an answer given ends any confirmation waiting
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
    else:
        # Later answers given before this one (in a form, then closed) are checked
        # against it too; in a thread answered in order there are none.
        _recheck_dependents(flow, state, env, step)


def _recheck_dependents(
    flow: Flow, state: ConversationState, env: Env, changed: Step, keep: Collection[str] = ()
) -> None:
    """After an answer changed, ask again the later steps that it invalidates: those whose
    options or suggestion come from it, and those whose own checks now refuse. Steps in
    `keep` were answered together with the change (a form) and checked then."""
    for step_id in dependents(flow, changed.id):
        step = flow.step(step_id)
        if step_id not in state.answers or step_id in keep:
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
    state.pending_sensitive = None
    if state.pending_answers is not None:  # from the confirmation back to the question
        state.pending_answers = None
        return _next(flow, state, env)
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
        "note_title": flow.note_title or flow.title,
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
        label = next((o.label for o in options if o.value == suggestion.value), None)
        if label is None:
            label = (
                format_danish_date(dt.date.fromisoformat(suggestion.value))
                if step.kind == "date"
                else suggestion.value
            )
        text += "\n" + texts.SUGGESTION.format(label=label, reason=suggestion.reason)
    can_go_back = bool(state.history) or bool(state.partial.get(step.id))
    if state.pending_sensitive is not None:
        findings = find_special_categories(state.pending_sensitive, env.ctx.special_categories)
        return Prompt(
            step_id=step.id,
            kind="confirm_sensitive",
            text=texts.special_category_warning(
                [f.category for f in findings], [f.word for f in findings], question=text
            ),
            options=_SENSITIVE_OPTIONS,
            optional=step.optional,
            can_go_back=can_go_back,
            item=item,
            item_position=position,
        )
    if state.pending_answers is not None:
        return _together_prompt(state, step, can_go_back)
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


# --- several answers in one message (a step's `together`) ------------------------------------


def _answers_together(
    flow: Flow, state: ConversationState, env: Env, step: Step, inp: UserInput
) -> Turn | None:
    """Several answers in one message, for the step's `together`; and the yes or no that
    confirms them. None when the input is one answer to the step after all (read as usual).

    A typed message that is no acceptable answer to `step` is cut at the declared
    separators into answers for `step` and the next steps it names, in order; each part
    is read by its step's parser and checked by its validators, with the earlier parts
    as answers. Exactly one way of reading it is shown back for confirmation; a refused
    answer is explained, and nothing is saved until the consultant says yes.
    """
    if state.pending_answers is not None:
        return _confirm_together(flow, state, env, step, inp)
    together = step.together
    if together is None or inp.text is None or state.editing is not None or step.for_each:
        return None
    try:
        single = _parse(step, state, env, inp)
    except AnswerError:
        pass
    else:
        if _refusal(step, single, env) is None:
            return None
    targets = [step]
    for name in together.with_:
        if name in state.answers:
            break
        targets.append(flow.step(name))
    readings: list[list[tuple[Step, Any]]] = []
    for count in range(2, len(targets) + 1):
        for parts in splits(inp.text, together, count):
            reading = _read_parts(targets[:count], parts, state, env)
            if reading is not None and reading not in readings:
                readings.append(reading)
    if not readings:
        return None  # not several answers: the single answer's own message explains
    refusals = [_together_refusal(reading, state, env) for reading in readings]
    accepted = [r for r, refusal in zip(readings, refusals, strict=True) if refusal is None]
    if len(accepted) == 1:
        state.pending_date = None  # the message replaces a date waiting to be confirmed
        state.pending_answers = _pending_items(accepted[0], state, env)
        return _next(flow, state, env)
    if not accepted:
        refused, refusal = next((r, m) for r, m in zip(readings, refusals, strict=True) if m)
        return _next(flow, state, env, messages=(refusal, _nothing_saved(refused, state, env)))
    shown = "\n".join(
        f"{number}. " + "; ".join(f"{i['label']}: {i['display']}" for i in items)
        for number, items in enumerate((_pending_items(r, state, env) for r in accepted), 1)
    )
    return _next(flow, state, env, messages=(texts.TOGETHER_AMBIGUOUS.format(readings=shown),))


def _pending_items(
    reading: list[tuple[Step, Any]], state: ConversationState, env: Env
) -> list[dict[str, Any]]:
    """A reading as it is shown back (and kept until the consultant says yes)."""
    shown: dict[str, Any] = dict(state.answers)
    items = []
    for target, value in reading:
        items.append(_pending_item(target, value, Env(ctx=env.ctx, answers=shown, today=env.today)))
        shown[target.id] = value
    return items


def _nothing_saved(reading: list[tuple[Step, Any]], state: ConversationState, env: Env) -> str:
    """That nothing was saved, with what was read: a refusal of a part read in a way the
    consultant did not mean (a number taken as a year) then explains itself."""
    lines = [
        f"• {item['label']}: {item['display']}" for item in _pending_items(reading, state, env)
    ]
    return texts.TOGETHER_NOTHING_SAVED.format(answers="\n".join(lines))


def _read_parts(
    targets: list[Step], parts: list[Piece], state: ConversationState, env: Env
) -> list[tuple[Step, Any]] | None:
    """Each part read as its step's answer, each step asked only if it would be; a number
    with a unit after it ('30 timer') is read by a number step only."""
    answers = dict(state.answers)
    reading: list[tuple[Step, Any]] = []
    for target, part in zip(targets, parts, strict=True):
        part_env = Env(ctx=env.ctx, answers=answers, today=env.today)
        if not applies(target, part_env) or (part.unit_after_number and target.kind != "number"):
            return None
        try:
            value = _parse(target, state, part_env, UserInput(text=part.text))
        except AnswerError:
            return None
        answers[target.id] = value
        reading.append((target, value))
    return reading


def _together_refusal(
    reading: list[tuple[Step, Any]], state: ConversationState, env: Env
) -> str | None:
    """The first refusal of the answers' validators, checked in order, labelled."""
    answers = dict(state.answers)
    for target, value in reading:
        refusal = _refusal(target, value, Env(ctx=env.ctx, answers=answers, today=env.today))
        if refusal is not None:
            return f"{target.short_label}: {refusal}"
        answers[target.id] = value
    return None


def _confirm_together(
    flow: Flow, state: ConversationState, env: Env, step: Step, inp: UserInput
) -> Turn | None:
    pending = state.pending_answers or []
    state.pending_answers = None
    names = [str(item.get("step")) for item in pending]
    if not names or names[0] != step.id or not all(flow.has_step(n) for n in names):
        return None  # the flow changed underneath: read the input as usual
    try:
        confirmed = parse_yesno(inp.text, inp.value)
    except AnswerError:
        return None  # something else was typed: a new answer to the question
    if not confirmed:
        return _next(flow, state, env, messages=(texts.TOGETHER_AGAIN,))
    reading = [(flow.step(n), item["value"]) for n, item in zip(names, pending, strict=True)]
    refusal = _together_refusal(reading, state, env)  # as read; only a new day can change it
    if refusal is not None:
        return _next(flow, state, env, messages=(refusal, _nothing_saved(reading, state, env)))
    messages: list[str] = []
    recorded: list[RecordedAnswer] = []
    for target, value in reading:
        issues = (VALIDATORS[name](value, env) for name in target.validate_)
        warnings = tuple(i.message for i in issues if i is not None)
        _set_answer(flow, state, env, target, value, warnings)
        recorded.append(_record(target, env, value))
        messages += warnings
    return _next(flow, state, env, messages=tuple(messages), answers=tuple(recorded))


def _pending_item(target: Step, value: Any, env: Env) -> dict[str, Any]:
    shown = display(target, options_for(target, env), value)
    return {"step": target.id, "value": value, "label": target.short_label, "display": shown}


def _together_prompt(state: ConversationState, step: Step, can_go_back: bool) -> Prompt:
    lines = [f"• {item['label']}: {item['display']}" for item in state.pending_answers or []]
    return Prompt(
        step_id=step.id,
        kind="confirm_answers",
        text=texts.TOGETHER_CONFIRM.format(answers="\n".join(lines)),
        options=YES_NO_OPTIONS,
        can_go_back=can_go_back,
    )


# --- forms: every step that applies, answered at once ------------------------------------
#
# A form (a Slack modal) shows the steps that apply now and takes many answers in one go.
# It reuses the thread's parsing, validators, records and summary, so an answer given in
# a form is stored exactly as the same answer given in the thread, and a conversation can
# move between the two at any point.

ITEM_MARK = "."  # field id of item n of a for_each step: f"{step id}.{n}"


def form(flow: Flow, state: ConversationState, ctx: FlowContext, now: dt.datetime) -> Form:
    """The steps that apply now, in flow order, with their stored answers."""
    state = _form_state(state)
    env = _env(ctx, state, now)
    _prune(flow, state, env)
    fields = [
        f for step in flow.steps if applies(step, env) for f in _fields(flow, state, env, step)
    ]
    complete = _current_step(flow, state, env) is None
    return Form(
        flow_id=flow.id,
        title=flow.title,
        intro=fill(flow.intro, placeholders(env)) if flow.intro else None,
        fields=tuple(fields),
        complete=complete,
        summary=_summary_prompt(flow, state, env) if complete else None,
    )


def apply_form(
    flow: Flow,
    state: ConversationState,
    values: Mapping[str, Any],
    ctx: FlowContext,
    now: dt.datetime,
    *,
    submit: bool,
    options_keys: Mapping[str, str] | None = None,
) -> FormTurn:
    """Take the form's values (by field id; None = left empty), in flow order, each
    checked as the thread checks it against the answers before it. A field that is not
    taken keeps the stored answer and gets the validators' own message. Saving without
    submitting (the form is changed or closed) takes what is valid and forgets answers
    that were emptied; submitting also requires every shown field. `options_keys` are
    the option digests the values were chosen under (see `FormField.options_key`)."""
    state = _form_state(state)
    env = _env(ctx, state, now)
    errors: dict[str, str] = {}
    recorded: list[RecordedAnswer] = []
    changed: list[Step] = []
    keys = options_keys or {}
    for step in flow.steps:
        if not applies(step, env):
            continue
        ids = _field_ids(step, env)
        if not any(i in values for i in ids):
            continue
        options = options_for(step, env)
        stale = {i for i in ids if i in keys and keys[i] != _options_key(options)}
        for field_id in stale:
            if submit:
                errors[field_id] = texts.FORM_OPTIONS_CHANGED
        taken = _take_fields(
            step,
            state,
            env,
            values,
            ids,
            stale,
            submit=submit,
            errors=errors,
            partial_records=recorded,
        )
        if taken is None:
            continue
        value, answers = taken
        if step.id in state.answers and state.answers[step.id] == value:
            state.warnings.pop(step.id, None)
            if value is not None and not step.for_each and (warning := _warnings(step, value, env)):
                state.warnings[step.id] = warning  # (a for_each step's items: checked as taken)
            continue
        _take(state, env, step, value)
        recorded.extend(answers)
        changed.append(step)
    _prune(flow, state, env)
    answered_here = {s.id for s in flow.steps if any(i in values for i in _field_ids(s, env))}
    for step in changed:
        _recheck_dependents(flow, state, env, step, keep=answered_here)
    return FormTurn(turn=_next(flow, state, env, answers=tuple(recorded)), errors=errors)


def _form_state(state: ConversationState) -> ConversationState:
    """A copy without the thread's pending questions: a form asks everything at once."""
    state = state.model_copy(deep=True)
    state.editing = None
    state.pending_date = None
    state.previous.clear()
    if state.status == "summary":
        state.status = "active"
    return state


def _field_ids(step: Step, env: Env) -> list[str]:
    if step.for_each:
        return [f"{step.id}{ITEM_MARK}{n}" for n in range(len(_items(step, env)))]
    return [step.id]


def _options_key(options: tuple[Option, ...]) -> str:
    if not options:
        return ""
    text = "\x1f".join(f"{o.value}\x1e{o.label}" for o in options)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def _empty(raw: Any) -> bool:
    return raw is None or raw == [] or (isinstance(raw, str) and not raw.strip())


def _has_cpr(raw: Any) -> bool:
    texts_ = raw if isinstance(raw, list) else [raw]
    return any(isinstance(t, str) and contains_cpr(t) for t in texts_)


_DECIMAL = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,6})?")


def _form_value(step: Step, state: ConversationState, env: Env, raw: Any) -> Any:
    """A form field's value as an answer, through the same parsing as the thread: typed
    text for text, the element's value for the rest. A number input sends '7.5'."""
    own = _canonical_own_form(step, raw) if isinstance(raw, str) else None
    if own is not None:  # e.g. a P-number that reads as a date: the field's own rule
        return _parse(step, state, env, UserInput(text=own))
    if _has_cpr(raw):
        raise AnswerError(texts.CPR_REFUSED)
    if step.kind == "text":
        return _parse(step, state, env, UserInput(text=str(raw)))
    if step.kind == "number" and isinstance(raw, str) and _DECIMAL.fullmatch(raw.strip()):
        return parse_number(None, float(raw.strip()), step.min, step.max)
    if step.kind == "number":
        return _parse(step, state, env, UserInput(text=str(raw)))
    return _parse(step, state, env, UserInput(value=raw))


def _checked(step: Step, state: ConversationState, env: Env, raw: Any) -> Any:
    value = _form_value(step, state, env, raw)
    refusal = _refusal(step, value, env)
    if refusal is not None:
        raise AnswerError(refusal)
    return value


def _take_fields(
    step: Step,
    state: ConversationState,
    env: Env,
    values: Mapping[str, Any],
    ids: list[str],
    stale: set[str],
    *,
    submit: bool,
    errors: dict[str, str],
    partial_records: list[RecordedAnswer],
) -> tuple[Any, list[RecordedAnswer]] | None:
    """(answer, records) for the step from its fields, or None when nothing is taken (a
    for_each step's first items may still be kept, as the thread keeps them: their
    records go to `partial_records`)."""
    if not step.for_each:
        raw = values.get(step.id)
        if step.id in stale:
            return None
        if _empty(raw):
            if submit and step.optional:
                return None, [_record(step, env, None)]
            if submit:
                errors[step.id] = texts.FORM_REQUIRED
            elif state.answers.get(step.id) is not None:
                _forget(state, step.id)
            return None
        try:
            value = _checked(step, state, env, raw)
        except AnswerError as exc:
            errors[step.id] = exc.message
            return None
        return value, [_record(step, env, value)]
    items = _items(step, env)
    raws = [values.get(i) for i in ids]
    if submit and step.optional and all(_empty(r) for r in raws):
        return None, [_record(step, env, None)]
    before = state.answers.get(step.id)
    if not isinstance(before, list):
        before = state.partial.get(step.id, [])
    done: list[Any] = []
    records: list[RecordedAnswer] = []
    whole = True
    for n, (field_id, raw) in enumerate(zip(ids, raws, strict=True)):
        item_value: Any = None
        if field_id in stale:
            whole = False
        elif _empty(raw):
            whole = False
            if submit:
                errors[field_id] = texts.FORM_REQUIRED
        else:
            try:
                item_value = _checked(step, state, env, raw)
            except AnswerError as exc:
                errors[field_id] = exc.message
                whole = False
        if not whole:
            continue  # only a run from the first item can be kept (as the thread asks)
        entry = {"item": items[n], "value": item_value}
        done.append(entry)
        if n >= len(before) or before[n] != entry:
            records.append(_record(step, env, item_value, item=items[n]))
    if whole:
        state.partial.pop(step.id, None)
        return done, records
    if step.id not in state.answers and done:
        state.partial[step.id] = done  # the items up to the first gap, as in the thread
        partial_records.extend(records)
    elif step.id not in state.answers:
        state.partial.pop(step.id, None)
    return None


def _forget(state: ConversationState, step_id: str) -> None:
    state.answers.pop(step_id, None)
    state.warnings.pop(step_id, None)
    if step_id in state.history:
        state.history.remove(step_id)


def _take(state: ConversationState, env: Env, step: Step, value: Any) -> None:
    """Store an answer as `_accept` does in the thread, warnings and history included."""
    state.answers[step.id] = value
    state.partial.pop(step.id, None)
    warning = _warnings(step, value, env) if value is not None and not step.for_each else ""
    if warning:
        state.warnings[step.id] = warning
    else:
        state.warnings.pop(step.id, None)
    if step.id in state.history:
        state.history.remove(step.id)
    state.history.append(step.id)


def _fields(flow: Flow, state: ConversationState, env: Env, step: Step) -> Iterator[FormField]:
    readers = render_readers(flow)
    if not step.for_each:
        prompt = _prompt(_probe(state, step.id, 0), step, env)
        yield FormField(
            field_id=step.id,
            step_id=step.id,
            prompt=prompt,
            value=state.answers.get(step.id),
            answered=step.id in state.answers,
            dispatch=step.id in readers,
            options_key=_options_key(prompt.options),
            warning=state.warnings.get(step.id) or None,
        )
        return
    stored = state.answers.get(step.id)
    done = stored if isinstance(stored, list) else state.partial.get(step.id, [])
    for n, field_id in enumerate(_field_ids(step, env)):
        prompt = _prompt(_probe(state, step.id, n), step, env)
        entry = done[n] if n < len(done) and isinstance(done[n], dict) else None
        known = entry is not None and entry.get("item") == prompt.item
        yield FormField(
            field_id=field_id,
            step_id=step.id,
            prompt=prompt,
            value=entry.get("value") if known and entry is not None else None,
            answered=known,
            dispatch=step.id in readers,
            options_key=_options_key(prompt.options),
        )


def _probe(state: ConversationState, step_id: str, n: int) -> ConversationState:
    """A state that makes `_prompt` ask item n of a step, as the thread would ask it."""
    return ConversationState(
        flow_id=state.flow_id,
        flow_version=state.flow_version,
        partial={step_id: [None] * n} if n else {},
    )


@cache
def render_readers(flow: Flow) -> frozenset[str]:
    """The steps whose answers other steps' questions read — their presence (`when`),
    options, items, suggestion or placeholders: a change to one must redraw the form."""
    readers: set[str] = set()
    for step in flow.steps:
        if step.when is not None:
            readers |= step.when.referenced_steps()
            for check in step.when.referenced_checks():
                readers |= set(CHECKS[check].needs.steps())
        for name, table in (
            (step.options_from, OPTION_SOURCES),
            (step.for_each, ITEM_SOURCES),
            (step.suggest, SUGGESTERS),
        ):
            if name:
                readers |= set(table[name].needs.steps())
        for text in (step.text, step.help or ""):
            for placeholder in PLACEHOLDER.findall(text):
                readers |= set(PLACEHOLDERS[placeholder].steps())
    return frozenset(readers)
