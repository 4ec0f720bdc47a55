"""A consultant's work list: active praktikker with their next follow-up.

Shared by the terminal chat, Slack's pickers and App Home, so they all say the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot import absence
from bot.access import Roles, covering
from bot.config import AppConfig
from bot.followups import changes
from bot.followups.kinds import followup_on
from bot.history import score_points
from dialogues.dates import format_danish_date
from dialogues.model import Flow
from dialogues.progression import compact_line, gap_line
from storage import meetings, queries
from storage.db import Database
from storage.models import FollowUp, Praktik


@dataclass(frozen=True)
class WorkItem:
    praktik: Praktik
    next_followup: FollowUp | None
    owner_slack_user: str | None = None
    # When the user stands in for its absent owner: the arrangement's last day.
    stand_in_until: dt.date | None = None

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
        limit = changes.form_window_end(config, now)
        praktikker = await queries.ended_praktikker_with_status_due(
            session, consultant_id=consultant.id, due_to=limit
        )
        due = await changes.status_due(
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


async def covered_work_items(
    db: Database, *, user_key: str, roles: Roles, today: dt.date
) -> list[WorkItem]:
    """The active praktikker the user may act on today as a stand-in for an absent
    colleague (bot/access.py decides which), oldest start first. Audited as viewed."""
    async with db.transaction() as session:
        me = await queries.consultant_by_key(session, user_key=user_key)
        if me is None or me.id is None:
            return []
        covers = await absence.covers_of(session, consultant_id=me.id, day=today)
        if not covers:
            return []
        lasts = {
            a.id: absence.effective_last_day(a)
            for a, _, _ in await queries.absences_in_effect(session, day=today, stand_in_id=me.id)
        }
        found: list[tuple[Praktik, dt.date | None]] = []
        for owner_id in sorted({c.owner_id for c in covers}):
            for praktik in await queries.praktikker_of(session, consultant_id=owner_id):
                cover = covering(covers, roles=roles, owner_id=owner_id, team_id=praktik.team_id)
                if cover is not None:
                    found.append((praktik, lasts.get(cover.absence_id)))
        found.sort(key=lambda p: (p[0].start_date, p[0].id or 0))
        upcoming = await queries.next_followups(
            session, praktik_ids=[p.id for p, _ in found if p.id is not None]
        )
        owners = await queries.slack_users_of(
            session, consultant_ids=sorted({p.consultant_id for p, _ in found})
        )
        if found:
            await queries.audit(
                session,
                actor=user_key,
                action="view",
                detail={
                    "what": "stand_in_worklist",
                    "praktikker": [p.id for p, _ in found],
                    "stand_in_for": sorted({p.consultant_id for p, _ in found}),
                },
            )
    return [
        WorkItem(p, upcoming.get(p.id or 0), owners.get(p.consultant_id), last) for p, last in found
    ]


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
    shown = followup_on(followup.kind, followup.months_after_end, followup.due_date)
    return f"{shown}{due_marker(followup, today)}"


@dataclass(frozen=True)
class ProgressNote:
    """A praktik's progression and risk, one line each, for a work list."""

    trend: str | None = None  # "D1 2→4 ↑ · Job 3→2 ↓" (the consultant's scores)
    gaps: str | None = None  # gaps between the sides' latest scores
    risks: tuple[str, ...] = ()  # labels of the risk rules that hold

    def lines(self) -> list[str]:
        shown = []
        if self.trend:
            shown.append(f"Progression: {self.trend}")
        if self.gaps:
            shown.append(f"Forskel mellem borger, virksomhed og dig: {self.gaps}")
        if self.risks:
            shown.append(f"⚠ I risiko: {', '.join(self.risks)}")
        return shown


async def progress_notes(
    db: Database, config: AppConfig, items: Sequence[WorkItem]
) -> dict[int, ProgressNote]:
    """The progression and risk of each listed praktik (two queries for the whole list)."""
    ids = [item.praktik_id for item in items]
    async with db.transaction() as session:
        scores = await meetings.scores_of(session, praktik_ids=ids)
        flags = await meetings.risk_flags_of(session, praktik_ids=ids)
    notes: dict[int, ProgressNote] = {}
    for item in items:
        points = score_points([s for s in scores if s.praktik_id == item.praktik_id])
        goals = item.praktik.subgoals
        risks = tuple(
            rule.label
            for flag in flags
            if flag.praktik_id == item.praktik_id and (rule := config.risk.rule(flag.rule_id))
        )
        notes[item.praktik_id] = ProgressNote(
            compact_line(points, goals), gap_line(points, goals, config.progression), risks
        )
    return notes
