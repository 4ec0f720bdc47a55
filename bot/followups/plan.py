"""A type's follow-up plan (app.yaml `followup_plans`): which follow-ups a praktik gets,
and when each is due."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence

from bot.config import AppConfig, PlannedFollowUp
from bot.workdays import WorkingDays
from storage.models import FollowUp, Praktik


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (the month's last day if it is shorter:
    31 January + 1 month = 28/29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(item: PlannedFollowUp, start: dt.date, end: dt.date, days: WorkingDays) -> dt.date:
    anchor = {
        "start": start,
        "midpoint": start + (end - start) / 2,
        "end": end,
    }[item.anchor]
    if item.offset_months:
        return days.adjust(add_months(anchor, item.offset_months))
    if item.offset_weeks:
        return days.adjust(anchor + dt.timedelta(weeks=item.offset_weeks))
    return days.add(days.adjust(anchor), item.offset_working_days)


def planned_followup(
    item: PlannedFollowUp,
    index: int,
    praktik: Praktik,
    days: WorkingDays,
    scheduled_at: dt.datetime | None = None,
) -> FollowUp:
    """The follow-up of plan item `index` for `praktik`."""
    assert praktik.id is not None
    due = due_date(item, praktik.start_date, praktik.end_date, days)
    return FollowUp(
        praktik_id=praktik.id,
        kind=item.kind,
        due_date=due,
        planned_due=due,
        source="plan",
        plan_index=index,
        months_after_end=item.offset_months or None,
        scheduled_at=scheduled_at,
    )


def plan_followups(config: AppConfig, praktik: Praktik) -> list[FollowUp]:
    """The follow-ups of a newly registered praktik, by its type's plan."""
    days = WorkingDays(config.calendar)
    plan = config.followup_plans.get(praktik.type, ())
    return [planned_followup(item, index, praktik, days) for index, item in enumerate(plan)]


def match_plan(
    plan_length: int, kinds: Sequence[str], followups: Iterable[FollowUp]
) -> tuple[dict[int, FollowUp], list[int]]:
    """Pair plan items (by index) with the praktik's plan follow-ups: by plan_index, else
    (rows from before plan_index existed) the n-th of a kind with the n-th item of it.
    Returns the pairs and the plan items without a follow-up."""
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
