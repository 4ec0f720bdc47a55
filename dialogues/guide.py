"""The meeting guide (dialogværktøjet): what the consultant reads before a meeting.

For a praktik, a phase (opstart, midtvejs, afslutning) and an audience it shows the
purpose and the chosen sub-goals; each sub-goal's status and progression so far; what
the previous meeting recorded; the agreements and plan steps still open; the facts that
matter now (weeks left of the target group's maximum, the next follow-ups); and the
questions to ask — the steps with a `topic` of the flow that records the meeting, as they
apply to the praktik's type, the phase and the audience, each with what was said last
time. One source: the guide and the recording read the same flow file.

Pure: the praktik's past comes in `ctx.history` (gathered by the bot).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from dialogues.answers import display
from dialogues.dates import format_danish_date
from dialogues.engine import applies, options_for
from dialogues.history import AGREEMENTS_TOPIC, History, MeetingRef, PastAnswer
from dialogues.model import Flow, Step
from dialogues.progression import trend_lines
from dialogues.rules import Env, fill, format_weeks, placeholders, weeks_between
from dialogues.state import FlowContext

# The steps that say which meeting a record is about (read by the guide and by
# record_progress: see dialogues.effect_inputs).
MEETING_STEPS = ("phase", "audience")


def meeting_title(flow: Flow, answers: Mapping[str, Any], ctx: FlowContext, today: dt.date) -> str:
    """'Midtvejsopfølgning · Borgeren' from a record's phase and audience answers."""
    env = Env(ctx=ctx, answers=answers, today=today)
    parts = [
        display(flow.step(s), options_for(flow.step(s), env), answers[s])
        for s in MEETING_STEPS
        if flow.has_step(s) and answers.get(s) is not None
    ]
    return " · ".join(parts) or flow.title


def past_answers(
    flow: Flow,
    answers: Mapping[str, Any],
    ctx: FlowContext,
    *,
    conversation: int,
    day: dt.date,
) -> tuple[MeetingRef | None, list[PastAnswer]]:
    """What a saved conversation recorded on topics: one entry per answered topic step
    (per item for a step asked per item). None and [] when it recorded no topic."""
    env = Env(ctx=ctx, answers=answers, today=day)
    found: list[PastAnswer] = []
    for step in flow.steps:
        value = answers.get(step.id)
        if step.topic is None or value is None:
            continue
        options = options_for(step, env)
        plain = step.model_copy(update={"for_each": None})
        if step.for_each and isinstance(value, list):
            for entry in value:
                if isinstance(entry, dict):
                    found.append(
                        PastAnswer(
                            topic=step.topic,
                            label=step.short_label,
                            display=display(plain, options, entry.get("value")),
                            conversation=conversation,
                            item=str(entry.get("item")),
                        )
                    )
            continue
        found.append(
            PastAnswer(
                topic=step.topic,
                label=step.short_label,
                display=display(step, options, value),
                conversation=conversation,
            )
        )
    if not found:
        return None, []
    title = meeting_title(flow, answers, ctx, day)
    return MeetingRef(conversation=conversation, title=title, day=day), found


def _asked_in_meeting(step: Step) -> bool:
    """A question for the meeting: a step with a topic that is asked only for some
    audiences (its `when` reads the audience). The others are the consultant's own record."""
    return (
        step.topic is not None
        and step.topic != AGREEMENTS_TOPIC
        and step.when is not None
        and "audience" in step.when.referenced_steps()
    )


def _option_label(flow: Flow, step_id: str, value: str) -> str:
    if not flow.has_step(step_id):
        return value
    step = flow.step(step_id)
    return next((o.label for o in step.options if o.value == value), value)


def _facts(ctx: FlowContext, history: History, today: dt.date) -> list[str]:
    praktik = ctx.praktik
    assert praktik is not None
    lines = []
    group = ctx.target_group(praktik.target_group, praktik.start_date)
    if group is not None:
        limit = group.max_weeks
        if praktik.extension_assessed and group.extendable_to_weeks:
            limit = group.extendable_to_weeks
        last_day = praktik.start_date + dt.timedelta(days=limit * 7 - 1)
        left = weeks_between(max(today, praktik.start_date), last_day) if today <= last_day else 0
        lines.append(
            f"• Målgruppe: {group.label} – højst {limit} uger. Tilbage af maksimum: "
            f"{format_weeks(max(left, 0))} (til og med {format_danish_date(last_day)})."
        )
    planned = weeks_between(max(today, praktik.start_date), praktik.end_date)
    lines.append(
        f"• Planlagt slut: {format_danish_date(praktik.end_date)} "
        f"({format_weeks(max(planned, 0))} tilbage)."
    )
    if history.upcoming:
        shown = "; ".join(
            f"{u.label} {format_danish_date(u.due)}{' (overskredet)' if u.due < today else ''}"
            for u in history.upcoming[:3]
        )
        lines.append(f"• Næste opfølgninger: {shown}.")
    else:
        lines.append("• Ingen planlagte opfølgninger.")
    if history.risks:
        lines.append(f"• ⚠ I risiko: {', '.join(history.risks)}.")
    return lines


def meeting_guide(
    record: Flow, ctx: FlowContext, *, phase: str, audience: str, today: dt.date
) -> str:
    """The guide as plain Danish text (copyable). `record` is the flow that records the
    meeting; `ctx` holds the praktik and its history."""
    praktik = ctx.praktik
    assert praktik is not None
    history = ctx.history or History()
    praktik_type = ctx.type_by_id(praktik.type)
    answers = {"phase": phase, "audience": audience}
    env = Env(ctx=ctx, answers=answers, today=today)
    values = placeholders(env)
    title = (
        f"Forberedelse: {_option_label(record, 'phase', phase)} – "
        f"{_option_label(record, 'audience', audience)}"
    )
    lines = [
        title,
        f"{praktik.short_ref or 'Sag'} · {praktik.case_ref}: "
        f"{values.get('praktik.type_label', '')} hos {praktik.company}, "
        f"{values.get('praktik.period', '')}",
        "",
        f"Formål: {praktik_type.purpose if praktik_type else ''}",
        "Valgte delmål:",
        *(f"• {goal}" for goal in praktik.subgoals),
        "",
        "Delmål – status og progression:",
    ]
    progress = trend_lines(history.scores, praktik.subgoals, ctx.progression)
    lines += progress or ["Ingen vurderinger endnu: de første gives ved denne opfølgning."]
    lines.append("")
    if history.meetings:
        last = history.meetings[-1]
        lines.append(f"Sidste møde ({last.described}):")
        # Answers per item (sub-goal scores, plan review) are in the sections above.
        said = [
            a for a in history.answers if a.conversation == last.conversation and a.item is None
        ]
        lines += [f"• {a.label}{f' – {a.item}' if a.item else ''}: {a.display}" for a in said] or [
            "• Intet registreret."
        ]
    else:
        lines.append("Sidste møde: ingen tidligere møder er registreret.")
    lines.append("")
    lines.append("Åbne aftaler og næste skridt:")
    open_items = []
    agreed = history.last(AGREEMENTS_TOPIC)
    if agreed is not None:
        meeting = history.meeting(agreed.conversation)
        where = f" ({meeting.described})" if meeting else ""
        open_items.append(f"• Aftalt sidst{where}: {agreed.display}")
    open_items += [f"• Udviklingsplan: {step.label}" for step in history.plan_steps]
    if praktik.type in ctx.plan_required_for and history.plan_steps_total == 0:
        open_items.append("• Udviklingsplanen mangler: læg trinene (hvem og hvornår) ved mødet.")
    lines += open_items or ["• Ingen åbne aftaler."]
    lines.append("")
    lines.append("Det vigtige nu:")
    lines += _facts(ctx, history, today)
    lines.append("")
    lines.append("Spørgsmål til mødet:")
    number = 0
    rated = []
    for step in record.steps:
        if not _asked_in_meeting(step) or not applies(step, env):
            continue
        if step.for_each:
            rated.append(step.short_label)
            continue
        number += 1
        lines.append(f"{number}. {fill(step.text, values)}")
        last_time = history.last_time(step.topic or "")
        if last_time is not None:
            lines.append(f"   {last_time}")
    if number == 0:
        lines.append("Ingen faste spørgsmål til dette møde.")
    if rated:
        lines.append(f"Vurderes på skalaen: {'; '.join(rated)}.")
    return "\n".join(lines)
