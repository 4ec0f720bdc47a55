"""The case-note draft (journalnotat): plain text to paste into the case system."""

from __future__ import annotations

import datetime as dt

from dialogues.dates import format_danish_date
from dialogues.model import Flow
from dialogues.rules import ACTUAL_END, Env
from dialogues.state import PraktikFacts


def case_note(
    flow: Flow,
    env: Env,
    shown: dict[str, str],
    labels: dict[str, str],
    *,
    today: dt.date,
) -> str:
    """A note of the answered steps marked `in_note`, in flow order."""
    title = flow.note_title or flow.title
    lines = [f"Journalnotat – {title}", f"Dato: {format_danish_date(today)}"]
    praktik = env.ctx.praktik
    if praktik is not None:
        praktik_type = env.ctx.type_by_id(praktik.type)
        lines.append(
            f"Sag: {praktik.case_ref} · {praktik_type.label if praktik_type else praktik.type} "
            f"hos {praktik.company}, {_period(praktik, env, flow)}"
        )
    lines.append("")
    for step in flow.steps:
        if step.in_note and step.id in shown and shown[step.id] != "(sprunget over)":
            lines.append(f"{labels[step.id]}: {shown[step.id]}")
    return "\n".join(lines)


def _period(praktik: PraktikFacts, env: Env, flow: Flow) -> str:
    """The praktik's period as it took place: ended on the day the flow answered (or the
    one stored) when that is before the planned end; called off before its start when the
    flow records the outcome before the start (Afslutning)."""
    start, planned = format_danish_date(praktik.start_date), praktik.planned_end
    actual = env.date_answer(ACTUAL_END.step)
    if actual is None and praktik.planned_end_date is not None:
        actual = praktik.end_date
    if actual is None and "record_outcome" in flow.on_complete and env.today < praktik.start_date:
        actual = env.today
    if actual is not None and actual < praktik.start_date:
        return (
            f"planlagt {start} – {format_danish_date(planned)}; afsluttet "
            f"{format_danish_date(actual)}, før praktikken startede"
        )
    if actual is not None and actual != planned:
        return (
            f"{start} – {format_danish_date(actual)} (planlagt til {format_danish_date(planned)})"
        )
    return f"{start} – {format_danish_date(planned)}"
