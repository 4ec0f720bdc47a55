"""The dialogue tool's effects: the meeting guide, progression scores and the development
plan (see bot.effects for how effects run). Each adds what the consultant is told to
`run.lines` and what risk rules read to `run.signals`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.context import flow_context
from bot.effect_run import EffectRun, GuideView
from bot.followups import changes
from bot.followups.kinds import followup_label
from bot.history import plan_facts, praktik_history
from dialogues.contract import ItemAnswer
from dialogues.effect_inputs import MeetingGuideInput, RecordProgressInput, UpdatePlanInput
from dialogues.guide import meeting_guide as guide_text
from dialogues.risk import Signal
from dialogues.rules import plan_lines
from storage import meetings
from storage.models import PlanStep, ProgressScore, utcnow


def today(run: EffectRun) -> dt.date:
    return run.config.local_date(run.now)


def root_of(run: EffectRun) -> int:
    assert run.conversation.id is not None
    return run.conversation.corrects_id or run.conversation.id


async def meeting_guide(run: EffectRun, payload: dict[str, Any]) -> None:
    """Build the guide for the chosen phase and audience from the flow that records the
    meeting (the flow's `continue_with`) and the praktik's past."""
    praktik = run.praktik
    assert praktik is not None
    data = MeetingGuideInput.from_payload(payload)
    flow = run.flows[run.conversation.flow_id]
    then = flow.continue_with
    record = run.flows[then.flow] if then is not None else flow
    history = await praktik_history(
        run.session,
        config=run.config,
        flows=run.flows,
        praktik=praktik,
        followup_id=run.conversation.followup_id,
    )
    ctx = flow_context(run.config, praktik, history=history)
    text = guide_text(record, ctx, phase=data.phase, audience=data.audience, today=today(run))
    run.guide = GuideView(
        text=text,
        continue_flow=record.id,
        continue_label=then.label if then is not None else record.title,
    )


def _subgoal_index(subgoals: list[str], item: str, used: set[int]) -> int | None:
    for index, goal in enumerate(subgoals):
        if goal == item and index not in used:
            used.add(index)
            return index
    return None


async def record_progress(run: EffectRun, payload: dict[str, Any]) -> None:
    """Store the scores (one row each); a correction's replace its conversation's."""
    praktik = run.praktik
    assert praktik is not None and praktik.id is not None
    praktik_id = praktik.id
    data = RecordProgressInput.from_payload(payload)
    root = root_of(run)
    chain = await meetings.chain_ids(run.session, root_id=root)
    day = data.meeting_date or today(run)
    scale, belief = run.config.progression.subgoal_scale, run.config.progression.job_belief_scale
    rows: list[ProgressScore] = []

    def row(side: str, indicator: str, item: int | None, score: int, low: int, high: int) -> None:
        rows.append(
            ProgressScore(
                praktik_id=praktik_id, conversation_id=root, consultant_id=run.consultant_id,
                phase=data.phase, side=side, indicator=indicator, item=item, score=score,
                scale_min=low, scale_max=high, meeting_date=day,
            )
        )  # fmt: skip

    for field, side in RecordProgressInput.SIDES.items():
        used: set[int] = set()
        entries: list[ItemAnswer] = getattr(data, field) or []
        for entry in entries:
            index = _subgoal_index(list(praktik.subgoals), entry.item, used)
            if index is not None and entry.value is not None:
                row(side, "subgoal", index, int(entry.value), scale.low, scale.high)
    if data.job_belief is not None:
        row("consultant", "job_belief", None, int(data.job_belief), belief.low, belief.high)
    earlier = [
        s
        for s in await meetings.scores_of(run.session, praktik_ids=[praktik.id])
        if s.conversation_id not in chain and (s.meeting_date, s.conversation_id) < (day, root)
    ]
    await meetings.replace_scores(run.session, conversation_ids=chain, scores=rows)
    for new in rows:
        about = {"side": new.side, "indicator": new.indicator, "phase": new.phase}
        run.signals.append(Signal("score", new.score, **about))
        before = [
            s for s in earlier
            if (s.side, s.indicator, s.item) == (new.side, new.indicator, new.item)
        ]  # fmt: skip
        if before:
            run.signals.append(Signal("score_change", new.score - before[-1].score, **about))
    run.progress_recorded = True


def _dates(entries: list[ItemAnswer] | None) -> list[tuple[str, dt.date | None]]:
    found: list[tuple[str, dt.date | None]] = []
    for entry in entries or []:
        try:
            found.append((entry.item, dt.date.fromisoformat(str(entry.value))))
        except ValueError:
            found.append((entry.item, None))
    return found


async def update_plan(run: EffectRun, payload: dict[str, Any]) -> None:
    """Review the open steps (done / moved / dropped / open) and add the new ones; a dated
    step gets a follow-up that reminds the consultant on its date."""
    praktik = run.praktik
    assert praktik is not None and praktik.id is not None
    data = UpdatePlanInput.from_payload(payload)
    steps = [s for s in await meetings.plan_steps_of(run.session, praktik_id=praktik.id)
             if s.status == "open"]  # fmt: skip
    moved_to = dict(_dates(data.plan_moved_to))
    counts = {"done": 0, "moved": 0, "dropped": 0, "new": 0}
    now = run.now
    for entry in data.plan_review or []:
        step = next((s for s in steps if plan_facts(s).label == entry.item), None)
        if step is None:
            continue  # the plan changed while the form was open
        steps.remove(step)
        decision = str(entry.value)
        planned = await _planned_followup(run, step.followup_id)
        if decision == "done":
            step.status = "done"
            if planned is not None:
                await changes.mark_followup_held(
                    run.session, config=run.config, followup_id=planned, now=now
                )
        elif decision == "dropped":
            step.status = "dropped"
            if planned is not None:
                await changes.cancel_followup(
                    run.session, followup_id=planned, now=now, reason="plan step dropped"
                )
        elif decision == "moved" and moved_to.get(entry.item) is not None:
            new_date = moved_to[entry.item]
            assert new_date is not None
            step.moved_from, step.due_date = step.due_date, new_date
            await _remind_on(run, step, new_date, planned)
        else:
            continue
        counts[decision] += 1
        step.updated_at = utcnow()
        run.session.add(step)
    texts = plan_lines(data.plan_first) + plan_lines(data.plan_new)
    who = [str(e.value) for e in data.plan_new_who or []]
    due = [d for _, d in _dates(data.plan_new_due)]
    for index, text in enumerate(texts):
        day = due[index] if index < len(due) else None
        step = PlanStep(
            praktik_id=praktik.id,
            text=text[:200],
            who=who[index] if index < len(who) else "konsulent",
            due_date=day,
            conversation_id=root_of(run),
        )
        if day is not None:
            await _remind_on(run, step, day, None)
        run.session.add(step)
        counts["new"] += 1
    await run.session.flush()
    words = {"new": "nye trin", "done": "udført", "moved": "flyttet", "dropped": "droppet"}
    done = [f"{counts[k]} {word}" for k, word in words.items() if counts[k]]
    if done:
        reminded = (
            f" Du får en påmindelse på hvert trins frist ({followup_label('plantrin')})."
            if counts["new"] or counts["moved"]
            else ""
        )
        run.lines.append(f"Udviklingsplanen er opdateret: {', '.join(done)}.{reminded}")


async def _remind_on(run: EffectRun, step: PlanStep, day: dt.date, planned: int | None) -> None:
    """A dated step's reminder: its planned follow-up moves to `day`, else a new one
    (kind plantrin, the step's text as its note) is added."""
    assert step.praktik_id is not None
    try:
        if planned is not None:
            followup = await changes.postpone_followup(
                run.session, config=run.config, followup_id=planned, now=run.now, to_date=day
            )
        else:
            followup = await changes.add_followup(
                run.session, config=run.config, praktik_id=step.praktik_id, kind="plantrin",
                due_date=day, now=run.now, note=step.text,
            )  # fmt: skip
    except changes.PlanError as exc:  # e.g. the date passed while the form was open
        run.lines.append(f"{step.text}: {exc.message}")
        return
    step.followup_id = followup.id


async def _planned_followup(run: EffectRun, followup_id: int | None) -> int | None:
    from storage import queries

    if followup_id is None:
        return None
    followup = await queries.get_followup(run.session, followup_id=followup_id)
    return followup_id if followup is not None and followup.status == "planned" else None
