"""Gathering a praktik's past for the flows and the meeting guide (dialogues.history):
its saved meetings' answers by topic, its progression scores, the open steps of its
development plan, its next follow-ups, the phase the next follow-up is about, and the
risk rules that hold. The engine stays pure: this is the only place that reads them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import AppConfig
from bot.context import flow_context
from bot.followups.kinds import followup_labels
from dialogues.guide import past_answers
from dialogues.history import History, MeetingRef, PastAnswer, PlanStepFacts, Upcoming
from dialogues.model import Flow
from dialogues.progression import PHASES, Phase, ScorePoint
from storage import meetings, queries
from storage.models import Conversation, FollowUp, PlanStep, Praktik, ProgressScore


def plan_facts(step: PlanStep) -> PlanStepFacts:
    assert step.id is not None
    return PlanStepFacts(id=step.id, text=step.text, who=step.who, due=step.due_date)


def score_points(rows: Sequence[ProgressScore]) -> list[ScorePoint]:
    return [
        ScorePoint(
            phase=row.phase,
            side=row.side,
            indicator=row.indicator,
            item=row.item,
            score=row.score,
            day=row.meeting_date,
            order=row.conversation_id,
        )
        for row in rows
        if row.phase in PHASES
    ]


def phase_of(followup: FollowUp, praktik: Praktik) -> Phase:
    """The meeting a follow-up is about: its kind when that is a phase, else by its date."""
    if followup.kind in PHASES:
        return followup.kind
    if followup.due_date <= praktik.start_date:
        return "opstart"
    if followup.due_date >= praktik.end_date - dt.timedelta(days=7):
        return "afslutning"
    return "midtvejs"


MEETING_DATE = "meeting_date"  # the step of a flow that records a meeting


def records_meeting(flow: Flow | None) -> bool:
    """The flow records a meeting (it asks when the meeting was), unlike a registration,
    an outcome, a status or a changed period."""
    return flow is not None and any(step.id == MEETING_DATE for step in flow.steps)


def meeting_day(config: AppConfig, conversation: Conversation) -> dt.date:
    answer = (conversation.state.get("answers") or {}).get(MEETING_DATE)
    if isinstance(answer, str):
        try:
            return dt.date.fromisoformat(answer)
        except ValueError:
            pass
    return config.local_date(conversation.last_activity)


async def praktik_history(
    session: AsyncSession,
    *,
    config: AppConfig,
    flows: Mapping[str, Flow],
    praktik: Praktik,
    followup_id: int | None = None,
    exclude_root: int | None = None,
) -> History:
    """The praktik's past. `followup_id`: the follow-up the conversation is about (its
    phase is suggested); `exclude_root`: a saved conversation being corrected, left out."""
    assert praktik.id is not None
    ctx = flow_context(config, praktik)
    found: list[tuple[MeetingRef, list[PastAnswer]]] = []
    for saved in await meetings.saved_conversations(session, praktik_id=praktik.id):
        assert saved.id is not None
        root = saved.corrects_id or saved.id
        flow = flows.get(saved.flow_id)
        if flow is None or root == exclude_root:
            continue
        meeting, answers = past_answers(
            flow,
            saved.state.get("answers") or {},
            ctx,
            conversation=root,
            day=meeting_day(config, saved),
        )
        if meeting is not None:
            found.append((meeting, answers))
    found.sort(key=lambda m: (m[0].day, m[0].conversation))
    rows = await meetings.scores_of(session, praktik_ids=[praktik.id])
    excluded = (
        set(await meetings.chain_ids(session, root_id=exclude_root)) if exclude_root else set()
    )
    steps = await meetings.plan_steps_of(session, praktik_id=praktik.id)
    followups = [
        f
        for f in await queries.followups_of_praktik(session, praktik_id=praktik.id)
        if f.status == "planned"
    ]
    chosen = next((f for f in followups if f.id == followup_id), None) if followup_id else None
    if chosen is None:
        chosen = next((f for f in followups if f.kind != "status"), None)
    flags = await meetings.risk_flags_of(session, praktik_ids=[praktik.id])
    return History(
        meetings=tuple(m for m, _ in found),
        answers=tuple(a for _, answers in found for a in answers),
        scores=tuple(score_points([r for r in rows if r.conversation_id not in excluded])),
        plan_steps=tuple(plan_facts(s) for s in steps if s.status == "open"),
        plan_steps_total=len(steps),
        upcoming=tuple(
            Upcoming(label=followup_labels().get(f.kind, f.kind), due=f.due_date) for f in followups
        ),
        suggested_phase=phase_of(chosen, praktik) if chosen is not None else None,
        risks=tuple(
            rule.label for flag in flags if (rule := config.risk.rule(flag.rule_id)) is not None
        ),
    )
