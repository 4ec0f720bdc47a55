"""Changing a praktik's follow-ups, and which follow-up a completed form answers.

Postponing, marking held, cancelling, and moving a praktik's follow-ups cancel the
follow-up's pending reminder rows; the new due date gets new keys. Each of them
increments the follow-up's `version`: a reminder's buttons act only on the version they
were rendered for.

A due date is never in the past (`today_or_later`, `chosen_due_date`): postponing by N
working days counts from the later of the due date and today; a date the consultant
chooses must be today or later, and a day off moves to the next working day. When a
praktik's dates change, the follow-ups that came from the type's plan and are still
planned are recomputed from the plan (a postponement is relative to the old dates and is
replaced); held ones and the consultant's own (manual) ones stay. An outcome recorded
before the planned end moves the praktik's end to the day it ended: the status follow-ups
count from that day (`move_status_to_end`), and the follow-ups after it are cancelled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import delivery_queue as queue
from bot.config import AppConfig
from bot.followups.kinds import KINDS
from bot.followups.plan import due_date as plan_due_date
from bot.followups.plan import match_plan, planned_followup
from bot.workdays import WorkingDays
from dialogues.cpr import contains_cpr
from storage import queries
from storage.models import FollowUp, Praktik

MAX_POSTPONE_DAYS = 366
PAST_DATE = "Vælg en dato fra i dag eller senere."


class PlanError(ValueError):
    """A change to a follow-up that cannot be made; `message` says why, in Danish."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- a due date is never in the past -----------------------------------------------------


def today_or_later(day: dt.date, today: dt.date) -> dt.date:
    """`day`, or `today` once it has passed: where a follow-up counts from when the bot
    sets its date (postponing by working days, accepting a proposed date)."""
    return max(day, today)


def not_before_today(
    followups: Sequence[FollowUp], today: dt.date, days: WorkingDays
) -> list[FollowUp]:
    """New follow-ups whose plan date has passed (a praktik registered with a start in the
    past) are due today instead — the next working day when today is a day off — so none
    is overdue when it is made. Returns the ones moved."""
    moved = []
    for followup in followups:
        due = today_or_later(followup.due_date, today)
        if due != followup.due_date:
            followup.due_date = followup.planned_due = days.on_or_after(due)
            moved.append(followup)
    return moved


def chosen_due_date(day: dt.date, today: dt.date, days: WorkingDays) -> dt.date:
    """The due date a date the consultant chose gives: refused before today; a day off
    moves to the next working day."""
    if day < today:
        raise PlanError(PAST_DATE)
    return days.on_or_after(day)


# --- changing one follow-up --------------------------------------------------------------


async def _open_followup(session: AsyncSession, followup_id: int) -> FollowUp:
    followup = await queries.get_followup(session, followup_id=followup_id, lock=True)
    if followup is None:
        raise PlanError("Opfølgningen findes ikke længere.")
    if followup.status == "held":
        raise PlanError("Opfølgningen er allerede markeret som afholdt.")
    if followup.status != "planned":
        raise PlanError("Opfølgningen er aflyst.")
    return followup


async def _reschedule(
    session: AsyncSession, followup: FollowUp, new_date: dt.date, now: dt.datetime, reason: str
) -> FollowUp:
    assert followup.id is not None
    if new_date != followup.due_date:
        followup.postponed_from = followup.due_date
        followup.due_date = new_date
    followup.scheduled_at = now
    followup.version += 1
    session.add(followup)
    await session.flush()
    await queue.cancel_open_deliveries(session, followup_ids=[followup.id], now=now, reason=reason)
    return followup


async def _redate(
    session: AsyncSession,
    followup: FollowUp,
    *,
    due: dt.date,
    planned: dt.date,
    now: dt.datetime,
    reason: str,
) -> None:
    """A planned follow-up due again by its plan (not postponed): a new version with new
    reminders."""
    assert followup.id is not None
    followup.due_date = due
    followup.planned_due = planned
    followup.postponed_from = None
    followup.scheduled_at = now
    followup.version += 1
    session.add(followup)
    await queue.cancel_open_deliveries(session, followup_ids=[followup.id], now=now, reason=reason)


async def postpone_followup(
    session: AsyncSession,
    *,
    config: AppConfig,
    followup_id: int,
    now: dt.datetime,
    working_days: int | None = None,
    to_date: dt.date | None = None,
) -> FollowUp:
    """Move a planned follow-up by `working_days` (from the later of its due date and
    today) or to `to_date` (today or later, within a year; a day off moves to the next
    working day)."""
    if (working_days is None) == (to_date is None):
        raise ValueError("give working_days or to_date")
    days = WorkingDays(config.calendar)
    today = config.local_date(now)
    followup = await _open_followup(session, followup_id)
    if working_days is not None:
        if not 1 <= working_days <= 60:
            raise PlanError("Der kan udskydes 1 til 60 arbejdsdage.")
        new_date = days.add(today_or_later(followup.due_date, today), working_days)
    else:
        assert to_date is not None
        new_date = chosen_due_date(to_date, today, days)
        if (to_date - today).days > MAX_POSTPONE_DAYS:
            raise PlanError("Vælg en dato inden for det næste år.")
    return await _reschedule(session, followup, new_date, now, "postponed")


async def mark_followup_held(
    session: AsyncSession, *, config: AppConfig, followup_id: int, now: dt.datetime
) -> FollowUp:
    """Mark a planned follow-up held; its pending reminders are cancelled. Records the
    local day and how many working days after the plan's date it was held (0: on time or
    early), which the follow-up report measures."""
    followup = await _open_followup(session, followup_id)
    assert followup.id is not None
    today = config.local_date(now)
    planned = followup.planned_due or followup.due_date
    followup.status = "held"
    followup.held_at = now
    followup.version += 1
    followup.held_on = today
    followup.held_days_late = (
        WorkingDays(config.calendar).between(planned + dt.timedelta(days=1), today)
        if today > planned
        else 0
    )
    session.add(followup)
    await session.flush()
    await queue.cancel_open_deliveries(session, followup_ids=[followup.id], now=now, reason="held")
    return followup


async def cancel_followup(
    session: AsyncSession, *, followup_id: int, now: dt.datetime, reason: str
) -> FollowUp:
    """Cancel a planned follow-up (e.g. its plan step was dropped); its reminders stop."""
    followup = await _open_followup(session, followup_id)
    assert followup.id is not None
    followup.status = "cancelled"
    followup.version += 1
    session.add(followup)
    await session.flush()
    await queue.cancel_open_deliveries(session, followup_ids=[followup.id], now=now, reason=reason)
    return followup


async def add_followup(
    session: AsyncSession,
    *,
    config: AppConfig,
    praktik_id: int,
    kind: str,
    due_date: dt.date,
    now: dt.datetime,
    note: str | None = None,
) -> FollowUp:
    """A follow-up the consultant adds by hand (kept when the praktik's dates change)."""
    if kind not in KINDS:
        raise ValueError(f"unknown follow-up kind {kind!r}")
    days = WorkingDays(config.calendar)
    due = chosen_due_date(due_date, config.local_date(now), days)
    if note is not None:
        note = " ".join(note.split())[:200] or None
        if note and contains_cpr(note):
            raise PlanError("Skriv ikke CPR-numre. Brug sagens reference i stedet.")
    followup = FollowUp(
        praktik_id=praktik_id,
        kind=kind,
        due_date=due,
        planned_due=due,
        source="manual",
        note=note,
        scheduled_at=now,
    )
    await queries.add_followups(session, followups=[followup])
    return followup


# --- a praktik's follow-ups --------------------------------------------------------------


async def move_praktik_followups(
    session: AsyncSession, *, config: AppConfig, praktik: Praktik, now: dt.datetime
) -> list[FollowUp]:
    """After a praktik's start or end date changed: recompute its planned follow-ups from
    the type's plan. Held, cancelled and manual follow-ups stay; plan items the praktik
    has no follow-up for are added. Returns the follow-ups that changed or were added."""
    assert praktik.id is not None
    days = WorkingDays(config.calendar)
    plan = config.followup_plans.get(praktik.type, ())
    existing = await queries.followups_of_praktik(session, praktik_id=praktik.id)
    matched, missing = match_plan(len(plan), [p.kind for p in plan], existing)
    changed: list[FollowUp] = []
    for index, followup in sorted(matched.items()):
        if followup.status != "planned":
            continue
        new_date = plan_due_date(plan[index], praktik.start_date, praktik.end_date, days)
        if new_date == followup.due_date and followup.postponed_from is None:
            continue
        followup.plan_index = index
        followup.months_after_end = plan[index].offset_months or None
        await _redate(
            session, followup, due=new_date, planned=new_date, now=now,
            reason="praktik dates changed",
        )  # fmt: skip
        changed.append(followup)
    added = [planned_followup(plan[index], index, praktik, days, now) for index in missing]
    if added:
        await queries.add_followups(session, followups=added)
    await session.flush()
    return changed + added


async def cancel_after_end(
    session: AsyncSession,
    *,
    config: AppConfig,
    praktik_id: int,
    now: dt.datetime,
    ended_early_on: dt.date | None = None,
) -> int:
    """The praktik's outcome is recorded: its planned follow-ups that would fall after
    today (other than the status follow-ups) can no longer take place and are cancelled,
    with their pending reminders. Earlier ones stay as they are (held, or missed) — but
    for a praktik that ended before its planned end (`ended_early_on`, its last day) those
    due after that day are cancelled too: they fell in days the praktik did not have."""
    cut = config.local_date(now)
    if ended_early_on is not None:
        cut = min(cut, ended_early_on)
    ids = [
        f.id
        for f in await queries.followups_of_praktik(session, praktik_id=praktik_id)
        if f.status == "planned" and f.kind != "status" and f.due_date > cut and f.id
    ]
    if not ids:
        return 0
    await queries.cancel_followups(session, followup_ids=ids)
    await queue.cancel_open_deliveries(session, followup_ids=ids, now=now, reason="praktik ended")
    return len(ids)


async def move_status_to_end(
    session: AsyncSession, *, config: AppConfig, praktik: Praktik, now: dt.datetime
) -> list[FollowUp]:
    """After the praktik's end moved (an outcome recorded before the planned end): its
    planned status follow-ups are due again by the plan from the new end — never before
    today — with new reminders. Held ones stay. Returns the ones that moved."""
    assert praktik.id is not None
    days = WorkingDays(config.calendar)
    today = config.local_date(now)
    plan = config.followup_plans.get(praktik.type, ())
    existing = await queries.followups_of_praktik(session, praktik_id=praktik.id)
    matched, _ = match_plan(len(plan), [p.kind for p in plan], existing)
    moved: list[FollowUp] = []
    for index, followup in sorted(matched.items()):
        if followup.status != "planned" or followup.kind != "status":
            continue
        planned = plan_due_date(plan[index], praktik.start_date, praktik.end_date, days)
        due = days.on_or_after(today_or_later(planned, today))
        if due == followup.due_date and followup.postponed_from is None:
            continue
        await _redate(
            session, followup, due=due, planned=planned, now=now, reason="praktik ended early"
        )
        moved.append(followup)
    await session.flush()
    return moved


# --- which follow-up a form answers ------------------------------------------------------


def form_window_end(config: AppConfig, now: dt.datetime) -> dt.date:
    """The last due date a form completed now may answer: `form_window_working_days`
    working days from today."""
    days = WorkingDays(config.calendar)
    return days.add(config.local_date(now), config.reminders.form_window_working_days)


async def followup_for_form(
    session: AsyncSession,
    *,
    config: AppConfig,
    praktik_id: int,
    now: dt.datetime,
    kind: str | None = None,
) -> FollowUp | None:
    """The follow-up a completed follow-up form is about: the earliest planned one of
    `kind` (the meeting the form records), if any; else the earliest planned one due up
    to `form_window_working_days` working days from today; else the earliest planned one.
    A development plan step's follow-up (plantrin) is never it: the plan's review closes
    those; nor is a status follow-up: the status flow records them."""
    planned = [
        f
        for f in await queries.followups_of_praktik(session, praktik_id=praktik_id)
        if f.status == "planned" and f.kind not in ("plantrin", "status")
    ]
    if not planned:
        return None
    same = [f for f in planned if kind is not None and f.kind == kind]
    if same:
        return same[0]
    limit = form_window_end(config, now)
    near = [f for f in planned if f.due_date <= limit]
    return (near or planned)[0]


async def status_followup_for(
    session: AsyncSession,
    *,
    config: AppConfig,
    praktik_id: int,
    now: dt.datetime,
    preferred: int | None = None,
) -> FollowUp | None:
    """The status follow-up a recorded status answers: `preferred` (the one whose
    reminder started the flow) while it is planned; else the latest planned one that is
    due by `form_window_working_days` working days from today (a status answers the
    newest mark that has come: a 3-month status recorded late is the 3-month one). None
    when no status is due (see `status_due`)."""
    planned = [
        f
        for f in await queries.followups_of_praktik(session, praktik_id=praktik_id)
        if f.status == "planned" and f.kind == "status"
    ]
    chosen = next((f for f in planned if preferred is not None and f.id == preferred), None)
    if chosen is not None:
        return chosen
    limit = form_window_end(config, now)
    due = [f for f in planned if f.due_date <= limit]
    return due[-1] if due else None


async def status_due(
    session: AsyncSession, *, config: AppConfig, praktik_ids: Sequence[int], now: dt.datetime
) -> dict[int, FollowUp]:
    """Per praktik, the status follow-up a status recorded now would answer (those with
    one due by `form_window_working_days` working days from today)."""
    limit = form_window_end(config, now)
    found: dict[int, FollowUp] = {}
    for followup in await queries.planned_status_followups(
        session, praktik_ids=praktik_ids, due_to=limit
    ):
        found[followup.praktik_id] = followup  # ordered by due date: the latest wins
    return found


async def skip_earlier_status(
    session: AsyncSession, *, followup: FollowUp, now: dt.datetime
) -> None:
    """A status recorded for a later mark: the praktik's earlier planned status
    follow-ups can no longer be measured and are cancelled (with their reminders)."""
    ids = [
        f.id
        for f in await queries.followups_of_praktik(session, praktik_id=followup.praktik_id)
        if f.kind == "status"
        and f.status == "planned"
        and f.id
        and f.id != followup.id
        and f.due_date < followup.due_date
    ]
    if ids:
        await queries.cancel_followups(session, followup_ids=ids)
        await queue.cancel_open_deliveries(
            session, followup_ids=ids, now=now, reason="a later status was recorded"
        )
