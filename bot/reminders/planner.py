"""When follow-up reminders and team digests fire, and the delivery rows that send them.

Occurrences
-----------
A planned follow-up due on working day D reminds its praktik's responsible consultant
(by DM) at `reminders.time`, local time in `timezone` (Europe/Copenhagen):

- ``early``: ``remind_days_before`` working days before D, set per follow-up kind (e.g.
  an opstart three working days ahead, in time to book the meeting; when that is > 0);
- ``due``: on D;
- ``overdue``: every ``overdue_every_working_days`` working days after D, at most
  ``overdue_max_reminders`` times, while it is still planned.

A team with a ``digest`` gets one on each scheduled weekday at its time; a scheduled day
that is a day off follows ``on_day_off`` (next working day, skip, or send anyway).

The monthly overview for the management channel (``report.monthly_overview``) is posted
on the month's N-th working day at its time: one occurrence per month.

Every occurrence has a unique key — ``followup:{id}:{early|due|overdue}:{local date}``,
``digest:{team}:{local date}`` or ``overview:{YYYY-MM}`` — and becomes one `deliveries`
row once its time has
come (`materialise`, INSERT … ON CONFLICT DO NOTHING, so every instance may run it).
Not materialised: occurrences from before the follow-up's current due date was set
(``scheduled_at``; a reminder that could never have fired is not owed), and occurrences
older than ``catch_up_days``. An occurrence older than ``max_lateness_hours`` when it is
materialised (the scheduler was down) is written as ``missed``: counted, never sent.
A team's digests count as missed only once the team has had one (a digest schedule
added today owes nothing for last week).

Daylight saving time (the rule, tested on 2026-03-29 and 2026-10-25)
--------------------------------------------------------------------
Local wall-clock times become UTC with `zoneinfo` and ``fold=0``:

- a time that does not exist (spring gap, 02:00-03:00 on the last Sunday of March) is
  moved forward by the length of the gap: 02:30 fires at 03:30 CEST (01:30 UTC);
- a time that exists twice (autumn, 02:00-03:00 on the last Sunday of October) fires
  once, at its first occurrence: 02:30 CEST (00:30 UTC). The key holds the local date,
  so there is never a second row for the repeated hour.

Times outside those hours are unaffected: 08:00 is always 08:00 local, i.e. 06:00 UTC in
summer and 07:00 UTC in winter.

Changing follow-ups
-------------------
Postponing, marking held, and moving a praktik's follow-ups cancel the follow-up's
pending rows; the new due date gets new keys. Each of them increments the follow-up's
`version`: a reminder's buttons act only on the version they were rendered for.
Postponing by N working days counts from the later of the due date and today. A chosen
date that is a day off moves to the next working day. When a praktik's dates change, the
follow-ups that came from the type's plan and are still planned are recomputed from the
plan (a postponement is relative to the old dates and is replaced); held ones and the
consultant's own (manual) ones stay.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import FOLLOWUP_LABELS, AppConfig, Team
from bot.followup_plan import due_date as plan_due_date
from bot.reminders import queue
from bot.workdays import WorkingDays
from dialogues.cpr import contains_cpr
from storage import queries
from storage.models import FollowUp, Praktik

MAX_POSTPONE_DAYS = 366


class PlanError(ValueError):
    """A change to a follow-up that cannot be made; `message` says why, in Danish."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Occurrence:
    key: str
    kind: str  # early, due, overdue, digest
    day: dt.date  # local date
    due_at: dt.datetime  # UTC


@dataclass(frozen=True)
class Materialised:
    pending: int = 0
    missed: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.missed


# --- time --------------------------------------------------------------------------------


def local_to_utc(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """`time` on `day` in `tz` as UTC, by the module's DST rule (fold=0)."""
    local = dt.datetime.combine(day, time.replace(fold=0), tzinfo=tz)
    return local.astimezone(dt.UTC)


def local_today(config: AppConfig, now: dt.datetime) -> dt.date:
    return as_utc(now).astimezone(config.tz).date()


def as_utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC (SQLite hands back naive UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def reminder_due_at(config: AppConfig, day: dt.date) -> dt.datetime:
    return local_to_utc(day, config.reminders.time, config.tz)


# --- occurrences -------------------------------------------------------------------------


def followup_occurrences(
    config: AppConfig, days: WorkingDays, *, followup_id: int, kind: str, due_date: dt.date
) -> list[Occurrence]:
    """Every reminder occurrence of a follow-up of `kind` due on `due_date`, earliest
    first."""
    rules = config.reminders
    dated: list[tuple[str, dt.date]] = []
    before = rules.days_before(kind)
    if before:
        dated.append(("early", days.add(due_date, -before)))
    dated.append(("due", due_date))
    if rules.overdue_every_working_days:
        for n in range(1, rules.overdue_max_reminders + 1):
            dated.append(("overdue", days.add(due_date, n * rules.overdue_every_working_days)))
    return [
        Occurrence(
            key=f"followup:{followup_id}:{kind}:{day.isoformat()}",
            kind=kind,
            day=day,
            due_at=reminder_due_at(config, day),
        )
        for kind, day in dated
    ]


def digest_days(team: Team, days: WorkingDays, start: dt.date, end: dt.date) -> list[dt.date]:
    """The local dates in [start, end] on which `team`'s digest is posted."""
    schedule = team.digest
    if schedule is None:
        return []
    result: set[dt.date] = set()
    # A day off before `start` may move its digest into the range.
    current = start - dt.timedelta(days=14)
    while current <= end:
        if current.weekday() in schedule.weekday_numbers:
            posted: dt.date | None = current
            if not days.is_working_day(current):
                if schedule.on_day_off == "skip":
                    posted = None
                elif schedule.on_day_off == "next_working_day":
                    posted = days.add(current, 1)
            if posted is not None and start <= posted <= end:
                result.add(posted)
        current += dt.timedelta(days=1)
    return sorted(result)


def digest_occurrences(
    config: AppConfig, days: WorkingDays, team: Team, start: dt.date, end: dt.date
) -> list[Occurrence]:
    if team.digest is None:
        return []
    return [
        Occurrence(
            key=f"digest:{team.id}:{day.isoformat()}",
            kind="digest",
            day=day,
            due_at=local_to_utc(day, team.digest.time, config.tz),
        )
        for day in digest_days(team, days, start, end)
    ]


def overview_day(config: AppConfig, days: WorkingDays, year: int, month: int) -> dt.date | None:
    """The day of the month's overview: its `working_day`-th working day."""
    overview = config.report.monthly_overview
    if overview is None:
        return None
    day = days.add(dt.date(year, month, 1) - dt.timedelta(days=1), overview.working_day)
    return day if day.month == month else None


def overview_occurrences(
    config: AppConfig, days: WorkingDays, start: dt.date, end: dt.date
) -> list[Occurrence]:
    """The monthly overviews (key ``overview:{YYYY-MM}``) posted on local days in range."""
    overview = config.report.monthly_overview
    if overview is None:
        return []
    found = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        day = overview_day(config, days, year, month)
        if day is not None and start <= day <= end:
            found.append(
                Occurrence(
                    key=f"overview:{year:04d}-{month:02d}",
                    kind="overview",
                    day=day,
                    due_at=local_to_utc(day, overview.time, config.tz),
                )
            )
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def occurrence_instants(config: AppConfig, start: dt.date, end: dt.date) -> list[dt.datetime]:
    """Every instant (UTC) at which some occurrence could fall, for local days in range."""
    times = {config.reminders.time}
    times.update(t.digest.time for t in config.teams if t.digest is not None)
    if config.report.monthly_overview is not None:
        times.add(config.report.monthly_overview.time)
    instants: list[dt.datetime] = []
    current = start
    while current <= end:
        instants.extend(local_to_utc(current, t, config.tz) for t in times)
        current += dt.timedelta(days=1)
    return sorted(instants)


def _calendar_days(working_days: int) -> int:
    """A generous number of calendar days that holds `working_days` working days."""
    return math.ceil(working_days * 7 / 5) + 14


# --- materialising -----------------------------------------------------------------------


def due_window(config: AppConfig, now: dt.datetime, days: WorkingDays) -> tuple[dt.date, dt.date]:
    """The due dates whose reminders can fall due by `now`: back as far as overdue
    reminders and catch-up reach, ahead as far as early reminders reach."""
    rules = config.reminders
    first_day = (
        (as_utc(now) - dt.timedelta(days=rules.delivery.catch_up_days)).astimezone(config.tz).date()
    )
    back = rules.overdue_every_working_days * rules.overdue_max_reminders
    today = local_today(config, now)
    # Due dates are working days, so the early reminders reach exactly this far ahead.
    ahead = rules.most_days_before
    due_to = days.add(today, ahead) if ahead else today
    return first_day - dt.timedelta(days=_calendar_days(back)), due_to


async def materialise(
    session: AsyncSession,
    *,
    config: AppConfig,
    now: dt.datetime,
    days: WorkingDays | None = None,
    insert: bool = True,
) -> tuple[Materialised, list[dict[str, Any]]]:
    """Write the delivery rows of every occurrence whose time has come.

    Idempotent and safe to run from several instances at once. Returns the counts of new
    rows by status and the rows considered (with `insert=False` nothing is written: the
    dry run of `praktikbot remind`).
    """
    days = days or WorkingDays(config.calendar)
    now = as_utc(now)
    delivery = config.reminders.delivery
    earliest = now - dt.timedelta(days=delivery.catch_up_days)
    too_late = now - dt.timedelta(hours=delivery.max_lateness_hours)
    today = local_today(config, now)
    first_day = earliest.astimezone(config.tz).date()
    rows: list[dict[str, Any]] = []

    def add(occurrence: Occurrence, since: dt.datetime, **fields: Any) -> None:
        if not (since <= occurrence.due_at <= now):
            return
        missed = occurrence.due_at < too_late
        rows.append(
            {
                "key": occurrence.key,
                "kind": occurrence.kind,
                "occurs_on": occurrence.day,
                "due_at": occurrence.due_at,
                "next_attempt_at": occurrence.due_at,
                "status": "missed" if missed else "pending",
                "last_error": "not sent: too late when the scheduler ran" if missed else None,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
                **fields,
            }
        )

    due_from, due_to = due_window(config, now, days)
    for followup, slack_user in await queries.remindable_followups(
        session, due_from=due_from, due_to=due_to
    ):
        assert followup.id is not None
        since = max(earliest, as_utc(followup.scheduled_at or followup.created_at))
        for occurrence in followup_occurrences(
            config, days, followup_id=followup.id, kind=followup.kind, due_date=followup.due_date
        ):
            add(
                occurrence,
                since,
                followup_id=followup.id,
                praktik_id=followup.praktik_id,
                recipient=slack_user,
                team_id=None,
            )
    for team in config.teams:
        if team.digest is None or not team.channel:
            continue
        # A team's first digest: earlier ones were never owed (not "missed").
        since = earliest if await queue.has_digest_rows(session, team_id=team.id) else too_late
        for occurrence in digest_occurrences(config, days, team, first_day, today):
            add(
                occurrence,
                since,
                followup_id=None,
                praktik_id=None,
                recipient=team.channel,
                team_id=team.id,
            )
    overview = config.report.monthly_overview
    if overview is not None:
        # The first overview: earlier ones were never owed (not "missed").
        since = earliest if await queue.has_overview_rows(session) else too_late
        for occurrence in overview_occurrences(config, days, first_day, today):
            add(
                occurrence,
                since,
                followup_id=None,
                praktik_id=None,
                recipient=overview.channel,
                team_id=None,
            )
    if not insert:
        return Materialised(), rows
    counts = await queue.insert_deliveries(session, rows=rows)
    return Materialised(pending=counts.get("pending", 0), missed=counts.get("missed", 0)), rows


# --- changing follow-ups -----------------------------------------------------------------


async def _open_followup(session: AsyncSession, followup_id: int) -> FollowUp:
    followup = await queries.get_followup(session, followup_id=followup_id, lock=True)
    if followup is None:
        raise PlanError("Opfølgningen findes ikke længere.")
    if followup.status == "held":
        raise PlanError("Opfølgningen er allerede markeret som afholdt.")
    if followup.status != "planned":
        raise PlanError("Opfølgningen er aflyst.")
    return followup


def _next_working_day_from(days: WorkingDays, day: dt.date) -> dt.date:
    return day if days.is_working_day(day) else days.add(day, 1)


async def _reschedule(
    session: AsyncSession, followup: FollowUp, new_date: dt.date, now: dt.datetime, reason: str
) -> FollowUp:
    assert followup.id is not None
    if new_date != followup.due_date:
        followup.postponed_from = followup.due_date
        followup.due_date = new_date
    followup.scheduled_at = as_utc(now)
    followup.version += 1
    session.add(followup)
    await session.flush()
    await queue.cancel_open_deliveries(session, followup_ids=[followup.id], now=now, reason=reason)
    return followup


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
    today) or to `to_date` (today or later; a day off moves to the next working day)."""
    if (working_days is None) == (to_date is None):
        raise ValueError("give working_days or to_date")
    days = WorkingDays(config.calendar)
    today = local_today(config, now)
    followup = await _open_followup(session, followup_id)
    if working_days is not None:
        if not 1 <= working_days <= 60:
            raise PlanError("Der kan udskydes 1 til 60 arbejdsdage.")
        new_date = days.add(max(followup.due_date, today), working_days)
    else:
        assert to_date is not None
        if to_date < today:
            raise PlanError("Vælg en dato fra i dag eller senere.")
        if (to_date - today).days > MAX_POSTPONE_DAYS:
            raise PlanError("Vælg en dato inden for det næste år.")
        new_date = _next_working_day_from(days, to_date)
    return await _reschedule(session, followup, new_date, now, "postponed")


async def mark_followup_held(
    session: AsyncSession, *, config: AppConfig, followup_id: int, now: dt.datetime
) -> FollowUp:
    """Mark a planned follow-up held; its pending reminders are cancelled. Records the
    local day and how many working days after the plan's date it was held (0: on time or
    early), which the follow-up report measures."""
    followup = await _open_followup(session, followup_id)
    assert followup.id is not None
    today = local_today(config, now)
    planned = followup.planned_due or followup.due_date
    followup.status = "held"
    followup.held_at = as_utc(now)
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
    if kind not in FOLLOWUP_LABELS:
        raise ValueError(f"unknown follow-up kind {kind!r}")
    if due_date < local_today(config, now):
        raise PlanError("Vælg en dato fra i dag eller senere.")
    if note is not None:
        note = " ".join(note.split())[:200] or None
        if note and contains_cpr(note):
            raise PlanError("Skriv ikke CPR-numre. Brug sagens reference i stedet.")
    days = WorkingDays(config.calendar)
    due = _next_working_day_from(days, due_date)
    followup = FollowUp(
        praktik_id=praktik_id,
        kind=kind,
        due_date=due,
        planned_due=due,
        source="manual",
        note=note,
        scheduled_at=as_utc(now),
    )
    await queries.add_followups(session, followups=[followup])
    return followup


def _match_plan(
    plan_length: int, kinds: Sequence[str], followups: Iterable[FollowUp]
) -> tuple[dict[int, FollowUp], list[int]]:
    """Pair plan items (by index) with the praktik's plan follow-ups: by plan_index, else
    (rows from before plan_index existed) the n-th of a kind with the n-th item of it."""
    matched: dict[int, FollowUp] = {}
    loose: list[FollowUp] = []
    for followup in followups:
        if followup.source != "plan":
            continue
        index = followup.plan_index
        if (
            index is not None
            and 0 <= index < plan_length
            and kinds[index] == followup.kind
            and index not in matched
        ):
            matched[index] = followup
        else:
            loose.append(followup)
    for followup in sorted(loose, key=lambda f: (f.due_date, f.id or 0)):
        free = [i for i in range(plan_length) if i not in matched and kinds[i] == followup.kind]
        if free:
            matched[free[0]] = followup
    missing = [i for i in range(plan_length) if i not in matched]
    return matched, missing


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
    matched, missing = _match_plan(len(plan), [p.kind for p in plan], existing)
    changed: list[FollowUp] = []
    for index, followup in sorted(matched.items()):
        if followup.status != "planned":
            continue
        new_date = plan_due_date(plan[index], praktik.start_date, praktik.end_date, days)
        if new_date == followup.due_date and followup.postponed_from is None:
            continue
        assert followup.id is not None
        followup.due_date = new_date
        followup.planned_due = new_date
        followup.postponed_from = None
        followup.plan_index = index
        followup.months_after_end = plan[index].offset_months or None
        followup.scheduled_at = as_utc(now)
        followup.version += 1
        session.add(followup)
        await queue.cancel_open_deliveries(
            session, followup_ids=[followup.id], now=now, reason="praktik dates changed"
        )
        changed.append(followup)
    added = []
    for index in missing:
        due = plan_due_date(plan[index], praktik.start_date, praktik.end_date, days)
        added.append(
            FollowUp(
                praktik_id=praktik.id,
                kind=plan[index].kind,
                due_date=due,
                planned_due=due,
                source="plan",
                plan_index=index,
                months_after_end=plan[index].offset_months or None,
                scheduled_at=as_utc(now),
            )
        )
    if added:
        await queries.add_followups(session, followups=added)
    await session.flush()
    return changed + added


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
    limit = _form_limit(config, now)
    near = [f for f in planned if f.due_date <= limit]
    return (near or planned)[0]


def _form_limit(config: AppConfig, now: dt.datetime) -> dt.date:
    days = WorkingDays(config.calendar)
    return days.add(local_today(config, now), config.reminders.form_window_working_days)


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
    limit = _form_limit(config, now)
    due = [f for f in planned if f.due_date <= limit]
    return due[-1] if due else None


async def status_due(
    session: AsyncSession, *, config: AppConfig, praktik_ids: Sequence[int], now: dt.datetime
) -> dict[int, FollowUp]:
    """Per praktik, the status follow-up a status recorded now would answer (those with
    one due by `form_window_working_days` working days from today)."""
    limit = _form_limit(config, now)
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


async def cancel_after_end(
    session: AsyncSession, *, config: AppConfig, praktik_id: int, now: dt.datetime
) -> int:
    """The praktik's outcome is recorded: its planned follow-ups that would fall after
    today (other than the status follow-ups) can no longer take place and are cancelled,
    with their pending reminders. Earlier ones stay as they are (held, or missed)."""
    today = local_today(config, now)
    ids = [
        f.id
        for f in await queries.followups_of_praktik(session, praktik_id=praktik_id)
        if f.status == "planned" and f.kind != "status" and f.due_date > today and f.id
    ]
    if not ids:
        return 0
    await queries.cancel_followups(session, followup_ids=ids)
    await queue.cancel_open_deliveries(session, followup_ids=ids, now=now, reason="praktik ended")
    return len(ids)
