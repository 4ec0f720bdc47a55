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

Changing a follow-up (postponing, marking held, moving it with the praktik's dates) is
`bot.followups.changes`: it cancels the follow-up's pending rows, and the new due date
gets new keys.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import delivery_queue as queue
from bot.config import AppConfig, Team
from bot.workdays import WorkingDays
from storage import queries


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
    first_day = config.local_date(now - dt.timedelta(days=rules.delivery.catch_up_days))
    back = rules.overdue_every_working_days * rules.overdue_max_reminders
    today = config.local_date(now)
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
    delivery = config.reminders.delivery
    earliest = now - dt.timedelta(days=delivery.catch_up_days)
    too_late = now - dt.timedelta(hours=delivery.max_lateness_hours)
    today = config.local_date(now)
    first_day = config.local_date(earliest)
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
    for followup in await queries.remindable_followups(session, due_from=due_from, due_to=due_to):
        since = max(earliest, followup.scheduled_at or followup.created_at)
        for occurrence in followup_occurrences(
            config, days, followup_id=followup.id, kind=followup.kind, due_date=followup.due_date
        ):
            add(
                occurrence,
                since,
                followup_id=followup.id,
                praktik_id=followup.praktik_id,
                recipient=followup.slack_user_id,
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
