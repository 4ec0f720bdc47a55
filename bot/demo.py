"""`praktikbot demo seed`: a realistic synthetic year in a fresh store, clearly marked.

Teams, consultants, praktikker of every type and target group (durations within their
limits, some extended after an assessment), follow-ups held on time, held late and
missed, outcomes at the end, statuses 1-12 months after, companies that hire after a
praktik and some that take one praktikant after another without hiring — so that a
newcomer sees every report, the Home views and the digests without real data.

Marked synthetic everywhere: case references `DEMO-…`, companies "Demo Virksomhed 017
(syntetisk)", P-numbers 199xxxxxxx (no real P-number and, digits 3-4 being 99, never read
as a date), consultants "Demo Konsulent 03", team ids `demo_…`, and a `store_marks` row
`synthetic` that the reports and Home show as "SYNTETISKE DEMODATA". It refuses a store
that holds any praktik, consultant or conversation. The same seed and `today` give the
same store.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, insert, text
from sqlmodel import select

from bot.config import AppConfig
from bot.followups.plan import plan_followups
from bot.reminders.planner import local_to_utc
from bot.workdays import WorkingDays
from storage.db import Database
from storage.models import Consultant, Conversation, FollowUp, Praktik, StatusRecord, StoreMark

TEAMS = (
    ("demo_nord", "Demo Team Nord"),
    ("demo_syd", "Demo Team Syd"),
    ("demo_city", "Demo Team City"),
)
CONSULTANTS_PER_TEAM = 5
COMPANIES = 90
# Outcome at the end by type: (value in afslutning.yaml, weight).
OUTCOMES = {
    "jobpraktik": (
        ("ordinaer_fuldtid", 30), ("ordinaer_deltid", 12), ("loentilskud", 12),
        ("uddannelse", 6), ("ny_praktik", 8), ("fortsat_ledig", 26), ("andet", 6),
    ),
    "kompetencepraktik": (
        ("ordinaer_fuldtid", 14), ("ordinaer_deltid", 10), ("loentilskud", 8),
        ("uddannelse", 14), ("ny_praktik", 14), ("fortsat_ledig", 34), ("andet", 6),
    ),
    "udviklingspraktik": (
        ("ordinaer_fuldtid", 5), ("ordinaer_deltid", 7), ("loentilskud", 6),
        ("uddannelse", 12), ("ny_praktik", 22), ("fortsat_ledig", 38), ("andet", 10),
    ),
}  # fmt: skip
# A status after the end, by the outcome at the end being a job or not.
STATUSES = {
    True: (
        ("ordinaert_job", 70), ("loentilskud", 10), ("uddannelse", 4),
        ("fortsat_ledig", 12), ("andet", 4),
    ),
    False: (
        ("ordinaert_job", 16), ("loentilskud", 6), ("uddannelse", 12), ("ny_praktik", 10),
        ("fortsat_ledig", 48), ("andet", 8),
    ),
}  # fmt: skip
JOBS = frozenset({"ordinaer_fuldtid", "ordinaer_deltid", "loentilskud", "ordinaert_job"})
TYPES = (("jobpraktik", 40), ("kompetencepraktik", 32), ("udviklingspraktik", 28))


class StoreNotEmptyError(Exception):
    """The store holds data: demo data goes only into a fresh store."""


@dataclass
class Seeded:
    teams: list[tuple[str, str]] = field(default_factory=list)
    consultants: list[Consultant] = field(default_factory=list)
    praktikker: int = 0
    followups: int = 0
    statuses: int = 0


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def demo_user(number: int) -> str:
    return f"U0DEMO{number:03d}"


async def seed_demo(
    db: Database, config: AppConfig, *, seed: int = 2026, today: dt.date, per_week: int = 12
) -> Seeded:
    """Fill a fresh store with a synthetic year up to `today` (see the module docstring).
    Everything is computed first and written in a few bulk statements."""
    async with db.transaction() as session:
        for model in (Praktik, Consultant, Conversation):
            count = (await session.exec(select(func.count()).select_from(model))).one()
            if count:
                raise StoreNotEmptyError(
                    "the store already holds data; demo data goes only into a fresh store"
                )
    rng = random.Random(seed)
    days = WorkingDays(config.calendar)
    result = Seeded(teams=list(TEAMS))
    rules = config.rules_on(today)
    groups = [(g, 3 if g.max_weeks == 4 else 1) for g in rules.target_groups]
    companies = [
        (f"199{n:07d}", f"Demo Virksomhed {n:03d} (syntetisk)", rng.choice((8, 14, 25, 60, 140)))
        for n in range(1, COMPANIES + 1)
    ]
    # A few companies hire after a praktik; a few take one praktikant after another.
    hiring = {p for p, _, _ in companies[:20]}
    never_hiring = {p for p, _, _ in companies[20:28]}
    number = 0
    for team_id, team_name in TEAMS:
        for _ in range(CONSULTANTS_PER_TEAM):
            number += 1
            result.consultants.append(
                Consultant(
                    id=number,
                    user_key=f"slack:{demo_user(number)}",
                    slack_user_id=demo_user(number),
                    name=f"Demo Konsulent {number:02d} ({team_name})",
                    team_id=team_id,
                )
            )
    rows = Rows()
    first = today - dt.timedelta(days=365)
    week = first
    while week <= today + dt.timedelta(days=21):
        for _ in range(rng.randint(per_week - 4, per_week + 4)):
            consultant = rng.choice(result.consultants)
            p_number, company, employees = rng.choice(companies[:28] * 2 + companies)
            type_id = _pick(rng, TYPES)
            group = rng.choices([g for g, _ in groups], weights=[w for _, w in groups])[0]
            start = days.adjust(week + dt.timedelta(days=rng.randint(0, 4)))
            weeks = group.max_weeks
            extended = False
            if group.extendable_to_weeks and rng.random() < 0.15:
                weeks, extended = rng.randint(weeks + 1, group.extendable_to_weeks), True
            else:
                weeks = rng.randint(max(2, weeks // 2), weeks)
            end = start + dt.timedelta(days=weeks * 7 - 1)
            registered = start - dt.timedelta(days=rng.choice((1, 3, 5, 8, 12, 20, 35, -2)))
            at = local_to_utc(registered, dt.time(10, 0), config.tz)
            praktik = Praktik(
                id=len(rows.praktikker) + 1,
                case_ref=f"DEMO-{today.year}-{len(rows.praktikker) + 1:04d}",
                target_group=group.id,
                company=company,
                p_number=p_number,
                type=type_id,
                subgoals=["Demo-delmål (syntetisk)"],
                start_date=start,
                end_date=end,
                hours_per_week=rng.choice((15, 20, 25, 30, 37)),
                extension_assessed=extended,
                ordinary_employees=employees,
                subsidised_now=0,
                ratio_limit=rules.ratio_cap.limit(employees),
                ratio_statement=True,
                contact_person="Demo Kontakt (syntetisk)",
                consultant_id=consultant.id or 0,
                team_id=consultant.team_id,
                created_at=at,
                updated_at=at,
            )
            _lifecycle(
                config, rng, days, praktik, today, p_number in hiring,
                p_number in never_hiring, rows,
            )  # fmt: skip
            rows.praktikker.append(praktik.model_dump())
        week += dt.timedelta(days=7)
    async with db.transaction() as session:
        connection = await session.connection()
        consultants = [c.model_dump() for c in result.consultants]
        tables: list[tuple[Any, list[dict[str, Any]]]] = [
            (Consultant.__table__, consultants),  # type: ignore[attr-defined]
            (Praktik.__table__, rows.praktikker),  # type: ignore[attr-defined]
            (FollowUp.__table__, rows.followups),  # type: ignore[attr-defined]
            (StatusRecord.__table__, rows.statuses),  # type: ignore[attr-defined]
        ]
        for table, values in tables:
            if values:
                await connection.execute(insert(table), values)
        session.add(StoreMark(name="synthetic", detail={"seed": seed, "today": today.isoformat()}))
        await _advance_sequences(session)
    result.praktikker = len(rows.praktikker)
    result.followups = len(rows.followups)
    result.statuses = len(rows.statuses)
    return result


@dataclass
class Rows:
    praktikker: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)


async def _advance_sequences(session: Any) -> None:
    """Explicit ids on PostgreSQL: move the id sequences past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("consultants", "praktikker", "followups", "status_records"):
        await session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )
        )


def _lifecycle(
    config: AppConfig,
    rng: random.Random,
    days: WorkingDays,
    praktik: Praktik,
    today: dt.date,
    hires: bool,
    never_hires: bool,
    rows: Rows,
) -> None:
    """Follow-ups, outcome and statuses of one praktik as of `today`."""
    outcome: str | None = None
    if praktik.end_date < today - dt.timedelta(days=rng.choice((0, 2, 5, 9))):
        outcome = _pick(rng, OUTCOMES[praktik.type])
        if never_hires and outcome in JOBS:
            outcome = "fortsat_ledig"
    at_host = False
    if outcome is not None:
        at_host = outcome in JOBS and (hires or rng.random() < 0.35) and not never_hires
        praktik.outcome = outcome
        praktik.outcome_detail = (
            {"outcome_at_host": at_host, "outcome_hours": rng.choice((20, 30, 37))}
            if outcome in JOBS
            else {}
        )
        praktik.purpose_met = rng.choice(("ja", "ja", "delvist", "nej"))
        praktik.min_plan_updated = rng.random() < 0.85
        praktik.status = "ended"
        praktik.ended_at = local_to_utc(min(praktik.end_date, today), dt.time(14, 0), config.tz)
    employed = outcome in JOBS
    for followup in plan_followups(config, praktik):
        row = followup.model_dump(exclude={"id"})
        row.update(id=len(rows.followups) + 1, created_at=praktik.created_at)
        due = followup.due_date
        if followup.kind != "status":
            if outcome is not None and due > praktik.end_date:
                row["status"] = "cancelled"
            elif due < today:
                _held(row, config, rng, days, due, today)
        elif outcome is not None and due < today and rng.random() >= 0.22:
            status = _pick(rng, STATUSES[employed])
            recorded_on = days.add(due, rng.choice((0, 0, 1, 3)))
            if recorded_on <= today:
                row.update(
                    status="held",
                    held_on=recorded_on,
                    held_days_late=days.between(due + dt.timedelta(days=1), recorded_on),
                    held_at=local_to_utc(recorded_on, dt.time(12, 0), config.tz),
                )
                rows.statuses.append(
                    {
                        "praktik_id": praktik.id,
                        "followup_id": row["id"],
                        "months_after_end": followup.months_after_end,
                        "status": status,
                        "at_host": (at_host or (hires and rng.random() < 0.3))
                        if status in JOBS
                        else None,
                        "hours_per_week": rng.choice((20, 30, 37))
                        if status == "ordinaert_job"
                        else None,
                        "consultant_id": praktik.consultant_id,
                        "recorded_at": local_to_utc(recorded_on, dt.time(12, 0), config.tz),
                    }
                )
                employed = status in JOBS
        rows.followups.append(row)


def _held(
    row: dict[str, Any],
    config: AppConfig,
    rng: random.Random,
    days: WorkingDays,
    due: dt.date,
    today: dt.date,
) -> None:
    """Most follow-ups held on time, some late, some missed."""
    chance = rng.random()
    if chance >= 0.88:
        return  # missed: still planned, overdue
    late = 0 if chance < 0.72 else rng.randint(config.report.on_time_working_days + 1, 8)
    held_on = days.add(due, late) if late else due
    if held_on > today:
        return
    row.update(
        status="held",
        held_on=held_on,
        held_days_late=late,
        held_at=local_to_utc(held_on, dt.time(11, 0), config.tz),
    )


def demo_config(config_path: Path, store_url: str, seeded: Seeded, out: Path) -> None:
    """A copy of app.yaml with the demo teams (members, leads, digest, channels), an
    administrator, the monthly overview and the seeded store, to run the bot on it."""
    raw = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    teams = []
    users = [c.slack_user_id for c in seeded.consultants]
    for index, (team_id, name) in enumerate(seeded.teams):
        members = [
            c.slack_user_id for c in seeded.consultants if c.team_id == team_id and c.slack_user_id
        ]
        teams.append(
            {
                "id": team_id,
                "name": name,
                "channel": f"C0DEMO{index + 1:04d}",
                "members": members,
                "leads": members[:1],
                "digest": {"weekdays": ["mon"], "time": "08:30"},
            }
        )
    raw["teams"] = teams
    raw.setdefault("access", {})["administrators"] = [users[-1]] if users else []
    raw.setdefault("report", {})["monthly_overview"] = {"channel": "C0DEMO0100", "time": "08:30"}
    raw["storage"] = {**raw.get("storage", {}), "url": store_url}
    if raw.get("flows_dir") is None:
        raw.pop("flows_dir", None)
    header = (
        "# SYNTHETIC DEMO configuration written by `praktikbot demo seed`: demo teams and\n"
        "# Slack user ids (U0DEMO…), for trying praktikbot without real data.\n"
    )
    out.write_text(header + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "utf-8")
