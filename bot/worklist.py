"""A consultant's work list: active praktikker with their next follow-up.

Shared by the terminal chat, Slack's pickers and App Home, so they all say the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.config import FOLLOWUP_LABELS, AppConfig
from bot.history import score_points
from dialogues.dates import format_danish_date
from dialogues.progression import compact_line, gap_line
from storage import meetings, queries
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
    return (
        f"{FOLLOWUP_LABELS[followup.kind]} {format_danish_date(followup.due_date)}"
        f"{due_marker(followup, today)}"
    )


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
