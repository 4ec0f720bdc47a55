"""Replaying example conversations (flows/examples/*.yaml) through the engine.

Whoever edits a flow runs `praktikbot flows test` and sees at once which example no
longer goes as written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from dialogues import engine
from dialogues.history import History
from dialogues.model import Flow, Transcript
from dialogues.state import FlowContext, PraktikFacts, Turn, UserInput
from dialogues.structure import EXAMPLES_DIR, load_transcripts


def turn_text(turn: Turn) -> str:
    """Everything a user would read after a turn, as one text."""
    parts = list(turn.messages)
    if turn.prompt is not None:
        if turn.prompt.item_position is not None:
            parts.append("({} af {})".format(*turn.prompt.item_position))
        parts.append(turn.prompt.text)
        parts.extend(option.label for option in turn.prompt.options)
        if turn.prompt.current is not None:
            parts.append(f"Tidligere svar: {turn.prompt.current}")
        if turn.prompt.last_time is not None:
            parts.append(turn.prompt.last_time)
    return "\n".join(parts)


def replay(flow: Flow, transcript: Transcript, base: FlowContext) -> list[str]:
    """Problems found replaying one transcript; empty when it goes as written."""
    today = dt.date.fromisoformat(transcript.today)
    now = dt.datetime.combine(today, dt.time(10, 0), tzinfo=dt.UTC)
    praktik = PraktikFacts.model_validate(transcript.praktik) if transcript.praktik else None
    history = History.model_validate(transcript.history) if transcript.history else None
    ctx = base.model_copy(update={"praktik": praktik, "history": history})
    problems: list[str] = []
    turn = engine.start(flow, ctx, now, preset=transcript.preset or None)
    effects: list[str] = []
    for number, item in enumerate(transcript.turns, start=1):
        if number > 1 or item.say is not None or item.pick is not None:
            inp = UserInput(text=item.say) if item.pick is None else UserInput(value=item.pick)
            turn = engine.advance(flow, turn.state, inp, ctx, now)
            effects.extend(e.name for e in turn.effects)
        shown = turn_text(turn)
        said = item.say if item.pick is None else f"[{item.pick}]"
        for expected in item.expect:
            if expected.casefold() not in shown.casefold():
                problems.append(
                    f"turn {number} ({said!r}): expected {expected!r} in:\n{_indent(shown)}"
                )
        for unexpected in item.expect_not:
            if unexpected.casefold() in shown.casefold():
                problems.append(f"turn {number} ({said!r}): did not expect {unexpected!r}")
        if problems:
            break
    if not problems:
        if turn.state.status != transcript.status:
            problems.append(f"ended {turn.state.status!r}, expected {transcript.status!r}")
        if transcript.effects and tuple(effects) != transcript.effects:
            problems.append(f"effects {effects}, expected {list(transcript.effects)}")
        for key, value in transcript.answers.items():
            if turn.state.answers.get(key) != value:
                problems.append(
                    f"answer {key} = {turn.state.answers.get(key)!r}, expected {value!r}"
                )
    return problems


def _indent(text: str) -> str:
    return "\n".join("       | " + line for line in text.splitlines())


def replay_all(
    flows: dict[str, Flow], base: FlowContext, directory: Path = EXAMPLES_DIR
) -> Iterator[tuple[str, list[str]]]:
    for name, transcript in load_transcripts(directory):
        flow = flows.get(transcript.flow)
        if flow is None:
            yield name, [f"unknown flow {transcript.flow!r}"]
            continue
        yield name, replay(flow, transcript, base)
