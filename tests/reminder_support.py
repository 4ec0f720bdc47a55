"""Shared helpers for the reminder tests: configuration variants and bulk test data.

All data is synthetic: case references "RS-…", companies "Testfirma …".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlmodel import col, select

from bot.config import AppConfig, ReminderConfig, Team
from storage.db import Database
from storage.models import Consultant, Delivery, FollowUp, Praktik

LONG_AGO = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
TOKEN = "xoxb-test-token"


def with_reminders(config: AppConfig, **changes: Any) -> AppConfig:
    """`config` with reminder settings changed (validated as app.yaml would be);
    `delivery={...}` changes delivery ones."""
    delivery = changes.pop("delivery", None)
    reminders = ReminderConfig.model_validate({**config.reminders.model_dump(), **changes})
    if delivery:
        reminders = reminders.model_copy(
            update={"delivery": reminders.delivery.model_copy(update=delivery)}
        )
    return config.model_copy(update={"reminders": reminders})


def due_day_only(config: AppConfig) -> AppConfig:
    """`config` reminding on the due day only (no reminders ahead of it): for the tests of
    delivery mechanics, which count the rows of one occurrence. The lead times per kind
    are tested on their own (tests/test_slack_edges.py)."""
    return with_reminders(config, remind_days_before=0)


def with_teams(config: AppConfig, *teams: Team) -> AppConfig:
    return config.model_copy(update={"teams": tuple(teams)})


def local(day: dt.date, hour: int, minute: int = 0, config: AppConfig | None = None) -> dt.datetime:
    """A Copenhagen wall-clock time as aware UTC."""
    from zoneinfo import ZoneInfo

    tz = config.tz if config else ZoneInfo("Europe/Copenhagen")
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(dt.UTC)


@dataclass
class Seeded:
    consultant_ids: list[int]
    slack_users: list[str]
    praktik_ids: list[int]
    followup_ids: list[int]


async def _insert(db: Database, model: type, rows: list[dict[str, Any]]) -> list[int]:
    ids: list[int] = []
    async with db.transaction() as session:
        conn = await session.connection()
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            result = await conn.execute(
                insert(model).returning(model.id),  # type: ignore[attr-defined]
                chunk,
            )
            ids.extend(int(r[0]) for r in result.all())
    return ids


def _row(obj: Any) -> dict[str, Any]:
    data = obj.model_dump()
    data.pop("id", None)
    return dict(data)


async def seed(
    db: Database,
    *,
    consultants: int,
    per_consultant: int,
    due: dt.date | Sequence[dt.date],
    team_id: str | None = None,
    slack_prefix: str = "URS",
    kind: str = "midtvejs",
    praktik_type: str = "jobpraktik",
    scheduled_at: dt.datetime = LONG_AGO,
    case_prefix: str = "RS",
) -> Seeded:
    """`consultants` Slack consultants with `per_consultant` active praktikker each, every
    praktik with one planned follow-up due on `due` (or the i-th date of a list)."""
    slack_users = [f"{slack_prefix}{n:05d}" for n in range(consultants)]
    consultant_ids = await _insert(
        db,
        Consultant,
        [
            _row(
                Consultant(
                    user_key=f"slack:{user}",
                    slack_user_id=user,
                    name=f"Konsulent {n}",
                    team_id=team_id,
                )
            )
            for n, user in enumerate(slack_users)
        ],
    )
    praktikker = []
    for c_index, consultant_id in enumerate(consultant_ids):
        for p in range(per_consultant):
            praktikker.append(
                _row(
                    Praktik(
                        case_ref=f"{case_prefix}-{c_index:05d}-{p:03d}",
                        target_group="sygedagpenge",
                        company=f"Testfirma {c_index}-{p} ApS",
                        type=praktik_type,
                        subgoals=["Delmål A"],
                        start_date=dt.date(2026, 11, 2),
                        end_date=dt.date(2027, 1, 29),
                        hours_per_week=20,
                        consultant_id=consultant_id,
                        team_id=team_id,
                        contact_person="Kontaktperson Testesen",
                    )
                )
            )
    praktik_ids = await _insert(db, Praktik, praktikker)
    dates = [due] * len(praktik_ids) if isinstance(due, dt.date) else list(due)
    followup_ids = await _insert(
        db,
        FollowUp,
        [
            _row(
                FollowUp(
                    praktik_id=pid,
                    kind=kind,
                    due_date=dates[i % len(dates)],
                    created_at=scheduled_at,
                    scheduled_at=scheduled_at,
                )
            )
            for i, pid in enumerate(praktik_ids)
        ],
    )
    return Seeded(consultant_ids, slack_users, praktik_ids, followup_ids)


async def deliveries(db: Database) -> list[Delivery]:
    async with db.transaction() as session:
        return list((await session.exec(select(Delivery).order_by(col(Delivery.id)))).all())


async def followup(db: Database, followup_id: int) -> FollowUp:
    async with db.transaction() as session:
        found = await session.get(FollowUp, followup_id)
        assert found is not None
        return found


def by_status(rows: Sequence[Delivery]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts
