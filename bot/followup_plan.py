"""Follow-up plans per type: which follow-ups a praktik gets, and when they are due."""

from __future__ import annotations

import datetime as dt

from bot.config import AppConfig, PlannedFollowUp
from bot.workdays import WorkingDays
from storage.models import FollowUp, Praktik


def due_date(item: PlannedFollowUp, start: dt.date, end: dt.date, days: WorkingDays) -> dt.date:
    anchor = {
        "start": start,
        "midpoint": start + (end - start) / 2,
        "end": end,
    }[item.anchor]
    if item.offset_weeks:
        return days.adjust(anchor + dt.timedelta(weeks=item.offset_weeks))
    return days.add(days.adjust(anchor), item.offset_working_days)


def plan_followups(config: AppConfig, praktik: Praktik) -> list[FollowUp]:
    """The follow-ups of a newly registered praktik, by its type's plan."""
    assert praktik.id is not None
    days = WorkingDays(config.calendar)
    plan = config.followup_plans.get(praktik.type, ())
    return [
        FollowUp(
            praktik_id=praktik.id,
            kind=item.kind,
            due_date=due_date(item, praktik.start_date, praktik.end_date, days),
            source="plan",
            plan_index=index,
        )
        for index, item in enumerate(plan)
    ]
