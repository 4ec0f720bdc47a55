"""A consultant's work list: active praktikker with their next follow-up.

Shared by the terminal chat, Slack's pickers and App Home, so they all say the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.config import AppConfig, followup_label
from bot.reminders import planner
from bot.workdays import WorkingDays
from dialogues.dates import format_danish_date
from dialogues.model import Flow
from storage import queries
from storage.db import Database
from storage.models import FollowUp, Praktik


@dataclass(frozen=True)
class WorkItem:
    praktik: Praktik
    next_followup: FollowUp | None
    owner_slack_user: str | None = None

    @property
    def praktik_id(self) -> int:
        assert self.praktik.id is not None
        return self.praktik.id


async def work_items(db: Database, *, user_key: str) -> list[WorkItem]:
    """The active praktikker of the consultant known by `user_key`, oldest start first."""
    async with db.transaction() as session:
        consultant = await queries.consultant_by_key(session, user_key=user_key)
        if consultant is None or consultant.id is None:
            return []
        praktikker = await queries.praktikker_of(session, consultant_id=consultant.id)
        upcoming = await queries.next_followups(
            session, praktik_ids=[p.id for p in praktikker if p.id is not None]
        )
    return [WorkItem(p, upcoming.get(p.id or 0)) for p in praktikker]


async def status_items(
    db: Database, config: AppConfig, *, user_key: str, now: dt.datetime
) -> list[WorkItem]:
    """The consultant's ended praktikker with a status after the end to record now (a
    status follow-up due by `form_window_working_days` working days from today), with
    that follow-up; earliest end first."""
    async with db.transaction() as session:
        consultant = await queries.consultant_by_key(session, user_key=user_key)
        if consultant is None or consultant.id is None:
            return []
        limit = WorkingDays(config.calendar).add(
            now.astimezone(config.tz).date(), config.reminders.form_window_working_days
        )
        praktikker = await queries.ended_praktikker_with_status_due(
            session, consultant_id=consultant.id, due_to=limit
        )
        due = await planner.status_due(
            session, config=config, praktik_ids=[p.id for p in praktikker if p.id], now=now
        )
    return [WorkItem(p, due.get(p.id or 0)) for p in praktikker]


async def items_for(
    db: Database, config: AppConfig, flow: Flow, *, user_key: str, now: dt.datetime
) -> list[WorkItem]:
    """The praktikker a flow about a praktik may be started on: the active ones, or for a
    flow about an ended praktik those with a status due."""
    if flow.praktik_status == "ended":
        return await status_items(db, config, user_key=user_key, now=now)
    return await work_items(db, user_key=user_key)


async def team_work_items(
    db: Database, *, user_key: str, team_ids: frozenset[str]
) -> list[WorkItem]:
    """A team lead's view: the active praktikker of their teams, other than their own."""
    if not team_ids:
        return []
    async with db.transaction() as session:
        own = await queries.consultant_by_key(session, user_key=user_key)
        praktikker = await queries.praktikker_of_teams(
            session, team_ids=sorted(team_ids), exclude_consultant_id=own.id if own else None
        )
        upcoming = await queries.next_followups(
            session, praktik_ids=[p.id for p in praktikker if p.id is not None]
        )
        owners = await queries.slack_users_of(
            session, consultant_ids=sorted({p.consultant_id for p in praktikker})
        )
        if praktikker:
            await queries.audit(
                session,
                actor=user_key,
                action="view",
                detail={"what": "team_worklist", "praktikker": [p.id for p in praktikker]},
            )
    return [WorkItem(p, upcoming.get(p.id or 0), owners.get(p.consultant_id)) for p in praktikker]


def due_marker(followup: FollowUp, today: dt.date) -> str:
    if followup.due_date < today:
        return " (overskredet)"
    if followup.due_date == today:
        return " (i dag)"
    return ""


def praktik_label(config: AppConfig, item: WorkItem) -> str:
    """One line: short reference (as in digests and reminders), case reference, type,
    company and period."""
    praktik = item.praktik
    return (
        f"{praktik.short_ref} · {praktik.case_ref} - {config.praktik_type(praktik.type).label} "
        f"hos {praktik.company}, "
        f"{format_danish_date(praktik.start_date)} – {format_danish_date(praktik.end_date)}"
    )


def next_followup_text(item: WorkItem, today: dt.date) -> str | None:
    followup = item.next_followup
    if followup is None:
        return None
    label = followup_label(followup.kind, followup.months_after_end)
    return f"{label} {format_danish_date(followup.due_date)}{due_marker(followup, today)}"
