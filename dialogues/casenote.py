"""The case-note draft (journalnotat): plain text to paste into the case system."""

from __future__ import annotations

import datetime as dt

from dialogues.dates import format_danish_date
from dialogues.model import Flow
from dialogues.rules import Env


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
            f"hos {praktik.company}, {format_danish_date(praktik.start_date)} – "
            f"{format_danish_date(praktik.end_date)}"
        )
    lines.append("")
    for step in flow.steps:
        if step.in_note and step.id in shown and shown[step.id] != "(sprunget over)":
            lines.append(f"{labels[step.id]}: {shown[step.id]}")
    return "\n".join(lines)
