"""Follow-up plans per type: which follow-ups a praktik gets, and when they are due."""

from __future__ import annotations

import calendar
import datetime as dt

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


def plan_followups(config: AppConfig, praktik: Praktik) -> list[FollowUp]:
    """The follow-ups of a newly registered praktik, by its type's plan."""
    assert praktik.id is not None
    days = WorkingDays(config.calendar)
    plan = config.followup_plans.get(praktik.type, ())
    followups = []
    for index, item in enumerate(plan):
        due = due_date(item, praktik.start_date, praktik.end_date, days)
        followups.append(
            FollowUp(
                praktik_id=praktik.id,
                kind=item.kind,
                due_date=due,
                planned_due=due,
                source="plan",
                plan_index=index,
                months_after_end=item.offset_months or None,
            )
        )
    return followups
