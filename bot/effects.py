"""What completing a flow does, run in the same transaction as the last answer.

Each effect named in a flow's `on_complete` has one function here; the engine only names
them. An effect reads the answers through its typed input (dialogues.effect_inputs),
which the flow check holds every flow to, and adds the Danish lines to show the
consultant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot import messages
from bot.agreement import grant_note as grant_note_text
from bot.agreement import vitas_summary as vitas_summary_text
from bot.effect_run import CopyText, EffectRun
from bot.followups import changes
from bot.followups.kinds import followup_label, followup_on
from bot.followups.plan import plan_followups
from bot.history import meeting_day, records_meeting, score_points
from bot.meeting_effects import meeting_guide, record_progress, update_plan
from bot.workdays import WorkingDays
from dialogues.dates import format_danish_date
from dialogues.effect_inputs import (
    EFFECT_INPUTS,
    AddFollowupInput,
    ChangePeriodInput,
    RecordFollowupInput,
    RecordOutcomeInput,
    RecordStatusInput,
    RegisterPraktikInput,
)
from dialogues.model import Flow
from dialogues.progression import trend_lines
from dialogues.risk import Signal
from dialogues.rules import no_employee_rep
from storage import meetings, queries
from storage.models import Conversation, FollowUp, Praktik, StatusRecord, utcnow

Effect = Callable[[EffectRun, dict[str, Any]], Awaitable[None]]


def _period(praktik: Praktik) -> str:
    return f"{format_danish_date(praktik.start_date)} – {format_danish_date(praktik.end_date)}"


async def register_praktik(run: EffectRun, payload: dict[str, Any]) -> None:
    data = RegisterPraktikInput.from_payload(payload)
    rules = run.config.rules_on(data.start_date)
    limit = rules.ratio_cap.limit(data.ordinary_employees)
    no_rep = data.employee_rep is not None and no_employee_rep(data.employee_rep)
    praktik = Praktik(
        case_ref=data.case_ref,
        target_group=data.target_group,
        company=data.company,
        p_number=data.p_number,
        cvr_number=data.cvr_number,
        type=data.praktik_type,
        subgoals=data.all_subgoals(),
        tasks=data.tasks,
        start_date=data.start_date,
        end_date=data.end_date,
        hours_per_week=data.hours_per_week,
        final_hours_per_week=data.final_hours if data.hours_rise else None,
        hours_plan=data.hours_plan if data.hours_rise else None,
        working_times=data.working_times,
        extension_assessed=data.extension_assessed,
        last_employer=data.last_employer,
        last_employer_has_job=data.has_job if data.last_employer else None,
        same_function=data.same_function if data.last_employer else None,
        new_function=data.new_function if data.last_employer else None,
        ordinary_employees=data.ordinary_employees,
        subsidised_now=data.subsidised_now,
        ratio_limit=limit,
        ratio_exceeded=data.subsidised_now + 1 > limit,
        ratio_statement=data.ratio_statement,
        employee_rep=None if no_rep else data.employee_rep,
        has_employee_rep=None if data.employee_rep is None else not no_rep,
        contact_person=data.contact_person,
        min_plan_updated_at_grant=data.min_plan_updated,
        rule_set=rules.id,
        consultant_id=run.consultant_id,
        team_id=run.team_id,
    )
    await queries.add_praktik(run.session, praktik=praktik)  # the database assigns short_ref
    assert praktik.id is not None and praktik.short_ref is not None
    await queries.attach_answers_to_praktik(
        run.session, conversation=run.conversation, praktik_id=praktik.id
    )
    run.praktik = praktik
    type_label = run.config.praktik_type(praktik.type).label
    run.lines.append(
        messages.PRAKTIK_REGISTERED.format(
            case_ref=praktik.case_ref,
            short_ref=praktik.short_ref,
            type_label=type_label,
            company=praktik.company,
            period=_period(praktik),
        )
    )
    followups = plan_followups(run.config, praktik)
    today = run.config.local_date(run.now)
    moved = changes.not_before_today(followups, today, WorkingDays(run.config.calendar))
    await queries.add_followups(run.session, followups=followups)
    if followups:
        plan = ", ".join(followup_on(f.kind, f.months_after_end, f.due_date) for f in followups)
        run.lines.append(messages.FOLLOWUPS_PLANNED.format(plan=plan))
    if moved:
        run.lines.append(
            messages.FOLLOWUPS_FROM_TODAY.format(
                what=" og ".join(followup_label(f.kind, f.months_after_end) for f in moved),
                due=format_danish_date(moved[0].due_date),
            )
            + " "
            + (
                messages.FOLLOWUP_FROM_TODAY_HELD
                if len(moved) == 1
                else messages.FOLLOWUPS_FROM_TODAY_HELD
            )
        )


async def change_period(run: EffectRun, payload: dict[str, Any]) -> None:
    """New start and/or end date; the planned follow-ups move with them."""
    praktik = run.praktik
    assert praktik is not None
    data = ChangePeriodInput.from_payload(payload)
    if data.start_date is not None:
        praktik.start_date = data.start_date
    if data.end_date != praktik.end_date:
        run.signals.append(Signal("end_date_change_days", (data.end_date - praktik.end_date).days))
    praktik.end_date = data.end_date
    if data.extension_assessed:
        praktik.extension_assessed = True
    praktik.updated_at = utcnow()
    run.session.add(praktik)
    moved = await changes.move_praktik_followups(
        run.session, config=run.config, praktik=praktik, now=run.now
    )
    run.lines.append(
        messages.PERIOD_CHANGED.format(case_ref=praktik.case_ref, period=_period(praktik))
    )
    if moved:
        plan = ", ".join(
            followup_on(f.kind, f.months_after_end, f.due_date)
            for f in sorted(moved, key=lambda f: f.due_date)
        )
        run.lines.append(messages.FOLLOWUPS_MOVED.format(plan=plan))


async def add_followup(run: EffectRun, payload: dict[str, Any]) -> None:
    """A follow-up the consultant adds to the plan; reminded like the planned ones."""
    praktik = run.praktik
    assert praktik is not None
    assert praktik.id is not None
    data = AddFollowupInput.from_payload(payload)
    followup = await changes.add_followup(
        run.session,
        config=run.config,
        praktik_id=praktik.id,
        kind=data.kind,
        due_date=data.due_date,
        now=run.now,
        note=data.note,
    )
    run.lines.append(
        messages.FOLLOWUP_ADDED.format(
            kind=followup_label(followup.kind, followup.months_after_end),
            due=format_danish_date(followup.due_date),
        )
    )


async def record_followup(run: EffectRun, payload: dict[str, Any]) -> None:
    """The completed follow-up form marks its follow-up held (see
    `changes.followup_for_form`) and cancels that follow-up's pending reminders."""
    praktik = run.praktik
    assert praktik is not None
    assert praktik.id is not None
    chosen = None
    if run.conversation.followup_id is not None:  # started from that follow-up's reminder
        chosen = await run.session.get(FollowUp, run.conversation.followup_id)
        if chosen is not None and (chosen.status != "planned" or chosen.kind == "status"):
            chosen = None
    if chosen is None:
        chosen = await changes.followup_for_form(
            run.session,
            config=run.config,
            praktik_id=praktik.id,
            now=run.now,
            kind=RecordFollowupInput.from_payload(payload).phase,
        )
    if chosen is None or chosen.id is None:
        return
    followup = await changes.mark_followup_held(
        run.session, config=run.config, followup_id=chosen.id, now=run.now
    )
    run.lines.append(
        messages.FOLLOWUP_HELD.format(
            kind=followup_label(followup.kind, followup.months_after_end),
            due=format_danish_date(followup.due_date),
        )
    )


async def record_outcome(run: EffectRun, payload: dict[str, Any]) -> None:
    praktik = run.praktik
    assert praktik is not None
    data = RecordOutcomeInput.from_payload(payload)
    praktik.outcome = data.outcome
    praktik.outcome_detail = data.model_dump(
        mode="json", include=set(RecordOutcomeInput.DETAIL), exclude_none=True
    )
    praktik.purpose_met = data.purpose_met
    praktik.min_plan_updated = data.min_plan_updated
    praktik.status = "ended"
    praktik.ended_at = praktik.ended_at or run.now  # a corrected outcome keeps the end
    planned_end = praktik.planned_end_date or praktik.end_date
    end = _actual_end(run, praktik, data.actual_end, planned_end)
    moved_end = end != praktik.end_date
    praktik.end_date = end
    praktik.planned_end_date = planned_end if end != planned_end else None
    praktik.updated_at = utcnow()
    run.session.add(praktik)
    run.lines.append(_outcome_line(praktik, planned_end))
    assert praktik.id is not None
    await changes.cancel_after_end(
        run.session,
        config=run.config,
        praktik_id=praktik.id,
        now=run.now,
        ended_early_on=end if end < planned_end else None,
    )
    if moved_end:
        await changes.move_status_to_end(
            run.session, config=run.config, praktik=praktik, now=run.now
        )
    upcoming = [
        f
        for f in await queries.followups_of_praktik(run.session, praktik_id=praktik.id)
        if f.kind == "status" and f.status == "planned"
    ]
    if upcoming:
        plan = ", ".join(followup_on(f.kind, f.months_after_end, f.due_date) for f in upcoming)
        run.lines.append(messages.STATUS_PLANNED.format(plan=plan))


def _actual_end(
    run: EffectRun, praktik: Praktik, answered: dt.date | None, planned_end: dt.date
) -> dt.date:
    """The praktik's last day: the day the flow answered (the outcome was recorded before
    the planned end), else today when the outcome comes before the planned end (a praktik
    called off before its start), else the planned end. A correction that does not ask
    again keeps the end recorded first."""
    if answered is not None:
        return answered
    if run.correction:
        return praktik.end_date
    return min(planned_end, run.config.local_date(run.now))


def _outcome_line(praktik: Praktik, planned_end: dt.date) -> str:
    if praktik.end_date >= planned_end:
        return messages.OUTCOME_RECORDED.format(case_ref=praktik.case_ref)
    end, planned = format_danish_date(praktik.end_date), format_danish_date(planned_end)
    if praktik.end_date < praktik.start_date:
        return messages.OUTCOME_BEFORE_START.format(
            case_ref=praktik.case_ref,
            end=end,
            planned_period=f"{format_danish_date(praktik.start_date)} – {planned}",
        )
    return messages.OUTCOME_ENDED_EARLY.format(
        case_ref=praktik.case_ref, end=end, planned=planned, period=_period(praktik)
    )


async def record_status(run: EffectRun, payload: dict[str, Any]) -> None:
    """The status after the end: stored for its status follow-up (the one whose reminder
    started the flow, else the one `changes.status_followup_for` picks), which is marked
    held."""
    praktik = run.praktik
    assert praktik is not None and praktik.id is not None
    data = RecordStatusInput.from_payload(payload)
    followup = await changes.status_followup_for(
        run.session,
        config=run.config,
        praktik_id=praktik.id,
        now=run.now,
        preferred=run.conversation.followup_id,
    )
    if followup is None or followup.id is None or followup.months_after_end is None:
        run.lines.append(messages.NO_STATUS_DUE.format(case_ref=praktik.case_ref))
        return
    await queries.add_status_record(
        run.session,
        record=StatusRecord(
            praktik_id=praktik.id,
            followup_id=followup.id,
            months_after_end=followup.months_after_end,
            status=data.status,
            at_host=data.status_at_host,
            hours_per_week=data.status_hours,
            consultant_id=run.consultant_id,
            recorded_at=run.now,
        ),
    )
    await changes.mark_followup_held(
        run.session, config=run.config, followup_id=followup.id, now=run.now
    )
    await changes.skip_earlier_status(run.session, followup=followup, now=run.now)
    run.lines.append(
        messages.STATUS_RECORDED.format(
            case_ref=praktik.case_ref,
            mark=followup_label(followup.kind, followup.months_after_end),
        )
    )


async def correct_status(run: EffectRun, payload: dict[str, Any]) -> None:
    """A corrected status after the end: the status record of the same status follow-up
    takes the corrected answers (the follow-up stays held)."""
    praktik = run.praktik
    assert praktik is not None and praktik.id is not None
    data = RecordStatusInput.from_payload(payload)
    record = await queries.status_record_of(
        run.session, praktik_id=praktik.id, followup_id=run.conversation.followup_id
    )
    if record is None:  # nothing was stored (no status follow-up was due): record it now
        await record_status(run, payload)
        return
    record.status = data.status
    record.at_host = data.status_at_host
    record.hours_per_week = data.status_hours
    record.consultant_id = run.consultant_id
    record.recorded_at = run.now
    run.session.add(record)
    run.lines.append(messages.STATUS_CORRECTED.format(case_ref=praktik.case_ref))


async def correct_registration(run: EffectRun, payload: dict[str, Any]) -> None:
    """A corrected registration: the praktik's own fields take the corrected answers
    (the period, type, target group and sub-goals are locked: see CORRECTIONS)."""
    praktik = run.praktik
    assert praktik is not None
    data = RegisterPraktikInput.from_payload(payload)
    limit = run.config.rules_on(praktik.start_date).ratio_cap.limit(data.ordinary_employees)
    for name in (
        "case_ref", "company", "p_number", "hours_per_week", "last_employer", "new_function",
        "ordinary_employees", "subsidised_now", "ratio_statement", "contact_person",
    ):  # fmt: skip
        setattr(praktik, name, getattr(data, name))
    praktik.ratio_limit = limit
    praktik.ratio_exceeded = data.subsidised_now + 1 > limit
    praktik.updated_at = utcnow()
    run.session.add(praktik)
    run.lines.append(messages.REGISTRATION_CORRECTED.format(case_ref=praktik.case_ref))


async def _save_copy_text(run: EffectRun, payload: dict[str, Any], copy: CopyText) -> None:
    """Store and show a copy-ready text; a correction's says which draft it replaces."""
    assert run.conversation.id is not None
    if run.correction:
        assert run.conversation.corrects_id is not None
        first = await run.session.get(Conversation, run.conversation.corrects_id)
        when = format_danish_date(meeting_day(run.config, first)) if first is not None else "før"
        flow = run.flows.get(payload["flow_id"])
        head = (
            messages.CORRECTED_DRAFT_HEAD.format(title=flow.title, date=when)
            if flow is not None and not records_meeting(flow)
            else messages.CORRECTED_NOTE_HEAD.format(date=when)
        )
        copy = CopyText(copy.kind, copy.title, head + "\n" + copy.text)
    await queries.add_case_note(
        run.session,
        praktik_id=run.praktik.id if run.praktik else None,
        conversation_id=run.conversation.id,
        flow_id=payload["flow_id"],
        kind=copy.kind,
        text=copy.text,
    )
    run.notes.append(copy)


async def case_note(run: EffectRun, payload: dict[str, Any]) -> None:
    """The engine's draft of the answers, as a journalnotat; after recorded scores, with
    the progression so far."""
    note = str(payload["note"])
    praktik = run.praktik
    if run.progress_recorded and praktik is not None and praktik.id is not None:
        rows = await meetings.scores_of(run.session, praktik_ids=[praktik.id])
        lines = trend_lines(score_points(rows), praktik.subgoals, run.config.progression)
        if lines:
            note += "\n\nProgression:\n" + "\n".join(lines)
    await _save_copy_text(run, payload, CopyText("journalnotat", messages.CASE_NOTE_READY, note))


def _saved_praktik(run: EffectRun) -> Praktik:
    if run.praktik is None:  # the flow check makes the flow register one first
        raise RuntimeError("no praktik saved before this effect")
    return run.praktik


async def vitas_summary(run: EffectRun, payload: dict[str, Any]) -> None:
    """The agreement's fields in VITAS's order, to copy into VITAS."""
    text = vitas_summary_text(run.config, _saved_praktik(run))
    await _save_copy_text(run, payload, CopyText("vitas", messages.VITAS_READY, text))


async def grant_note(run: EffectRun, payload: dict[str, Any]) -> None:
    """The journalnotat for the grant, with the legal assessments."""
    today = run.config.local_date(run.now)
    title = str(payload.get("note_title") or "Bevilling af virksomhedspraktik")
    text = grant_note_text(run.config, _saved_praktik(run), today=today, title=title)
    await _save_copy_text(run, payload, CopyText("journalnotat", messages.CASE_NOTE_READY, text))


EFFECTS: dict[str, Effect] = {
    "register_praktik": register_praktik,
    "change_period": change_period,
    "add_followup": add_followup,
    "record_followup": record_followup,
    "record_outcome": record_outcome,
    "record_status": record_status,
    "case_note": case_note,
    "vitas_summary": vitas_summary,
    "grant_note": grant_note,
    "meeting_guide": meeting_guide,
    "record_progress": record_progress,
    "update_plan": update_plan,
}
if EFFECTS.keys() != EFFECT_INPUTS.keys():  # a flow may name exactly the effects run here
    raise RuntimeError(
        f"effects without an input model or function: {EFFECTS.keys() ^ EFFECT_INPUTS.keys()}"
    )


@dataclass(frozen=True)
class OnCorrection:
    """What happens to an effect when a saved conversation is corrected. The effect ran
    when the conversation was saved; a correction runs `redo` (if any) with the corrected
    answers, and the steps in `locked` (None: every step the effect reads) cannot be
    corrected — `hint` says why and what to do instead (Danish)."""

    redo: Effect | None = None
    locked: frozenset[str] | None = frozenset()
    hint: str = ""


CORRECTIONS: dict[str, OnCorrection] = {
    # The period moves follow-ups and has its own legal checks: Ret periode does that.
    "register_praktik": OnCorrection(
        correct_registration,
        frozenset(
            {
                "start_date",
                "end_date",
                "extension_assessed",
                "target_group",
                "praktik_type",
                "type_method",
                "advisor_job_match",
                "advisor_direction",
                "subgoals",
                "own_subgoals",
            }
        ),
        messages.LOCKED_REGISTRATION,
    ),
    "change_period": OnCorrection(
        None, frozenset({"start_date", "end_date", "extension_assessed"}), messages.LOCKED_PERIOD
    ),
    "add_followup": OnCorrection(None, None, messages.LOCKED_FOLLOWUP),
    "record_followup": OnCorrection(),  # it was held; nothing to redo
    "record_outcome": OnCorrection(record_outcome),
    "case_note": OnCorrection(case_note),  # drafted anew
    "meeting_guide": OnCorrection(None, None, messages.LOCKED_GUIDE),
    "record_progress": OnCorrection(
        record_progress, frozenset({"phase", "audience"}), messages.LOCKED_MEETING
    ),
    "record_status": OnCorrection(correct_status),
    # The summaries are drafted anew from the corrected praktik.
    "vitas_summary": OnCorrection(vitas_summary),
    "grant_note": OnCorrection(grant_note),
    # New steps already have reminders: the plan is reviewed at the next follow-up.
    "update_plan": OnCorrection(None, None, messages.LOCKED_PLAN),
}
if CORRECTIONS.keys() != EFFECTS.keys():
    raise RuntimeError(f"effects without a correction rule: {CORRECTIONS.keys() ^ EFFECTS.keys()}")


def locked_steps(flow: Flow) -> dict[str, str]:
    """The steps of `flow` a correction may not change, each with why (Danish)."""
    locked: dict[str, str] = {}
    for name in flow.on_complete:
        rule = CORRECTIONS[name]
        steps = rule.locked if rule.locked is not None else EFFECT_INPUTS[name].needs().steps()
        for step in steps:
            if flow.has_step(step):
                locked.setdefault(step, rule.hint)
    return locked
