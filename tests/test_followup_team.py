"""A follow-up's team and plan date are kept by the database (migration 0012): the
follow-up compliance report groups by them without reading the praktikker, so they
must follow the praktik whatever writes the rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from bot.config import AppConfig
from bot.report import Audience, Request, build_report
from dialogues.model import Flow
from storage.db import Database
from storage.models import Consultant, FollowUp, Praktik

TODAY = dt.date(2026, 11, 30)
START = dt.date(2026, 9, 7)


async def registered(db: Database, team: str) -> tuple[int, int]:
    """A praktik in `team` with a held start follow-up (through the ORM, which writes
    no team on it) and a planned midway one written without a plan date (as rows from
    before the plan date existed); (consultant id, praktik id)."""
    async with db.transaction() as session:
        consultant = Consultant(user_key="terminal:anna", name="anna", team_id=team)
        session.add(consultant)
        await session.flush()
        assert consultant.id is not None
        praktik = Praktik(
            case_ref="SAG-1", target_group="dagpenge", company="Eksempel ApS",
            type="jobpraktik", subgoals=["x"], start_date=START,
            end_date=dt.date(2026, 10, 30), hours_per_week=30,
            consultant_id=consultant.id, team_id=team,
        )  # fmt: skip
        session.add(praktik)
        await session.flush()
        assert praktik.id is not None
        start = FollowUp(
            praktik_id=praktik.id, kind="opstart", due_date=START, planned_due=START,
            status="held", held_on=START, held_days_late=0,
        )  # fmt: skip
        session.add(start)
        await session.flush()
        await session.execute(
            text(
                "INSERT INTO followups (praktik_id, kind, due_date, status, source, version, "
                "created_at) VALUES (:p, 'midtvejs', :due, 'planned', 'plan', 0, :now)"
            ),
            {"p": praktik.id, "due": dt.date(2026, 10, 5), "now": dt.datetime(2026, 9, 1)},
        )
        return consultant.id, praktik.id


async def stored(db: Database) -> list[tuple[str, str | None, dt.date]]:
    async with db.transaction() as session:
        result = await session.execute(
            text("SELECT kind, team_id, planned_due FROM followups ORDER BY kind DESC")
        )
        return [
            (kind, team, day if isinstance(day, dt.date) else dt.date.fromisoformat(day))
            for kind, team, day in result.all()
        ]


async def compliance(
    db: Database, config: AppConfig, flows: dict[str, Flow], audience: Audience
) -> list[tuple[object, ...]]:
    report = await build_report(
        db, config, flows, request=Request(TODAY), audience=audience, actor="test",
        views=["followup"],
    )  # fmt: skip
    view = report.views[0]
    counts = ("due", "on_time", "late", "missed")
    return [
        (*view.labels[i], *(int(row[key] or 0) for key in counts))
        for i, row in enumerate(view.data)
    ]


async def test_a_follow_up_carries_its_praktiks_team_and_plan_date(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    consultant, _ = await registered(db, "team_nord")
    assert await stored(db) == [
        ("opstart", "team_nord", START),
        ("midtvejs", "team_nord", dt.date(2026, 10, 5)),  # no plan date given: the due date
    ]
    expected = [
        ("team_nord", "2026-09", "Opstartsmøde", 1, 1, 0, 0),
        ("team_nord", "2026-10", "Midtvejsopfølgning", 1, 0, 0, 1),
    ]
    for audience in (Audience.teams(frozenset({"team_nord"})), Audience.consultant(consultant)):
        rows = await compliance(db, config, flows, audience)
        assert [row[1:] for row in rows] == [row[1:] for row in expected]
    assert await compliance(db, config, flows, Audience.teams(frozenset({"team_syd"}))) == []


async def test_a_praktik_moved_to_another_team_moves_its_follow_ups(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    _, praktik = await registered(db, "team_nord")
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE praktikker SET team_id = 'team_syd' WHERE id = :p"), {"p": praktik}
        )
    assert {team for _, team, _ in await stored(db)} == {"team_syd"}
    assert await compliance(db, config, flows, Audience.teams(frozenset({"team_nord"}))) == []
    moved = await compliance(db, config, flows, Audience.teams(frozenset({"team_syd"})))
    assert [row[3:] for row in moved] == [(1, 1, 0, 0), (1, 0, 0, 1)]
    # A follow-up's team cannot be set apart from its praktik's.
    async with db.transaction() as session:
        await session.execute(text("UPDATE followups SET team_id = 'team_vest'"))
    assert {team for _, team, _ in await stored(db)} == {"team_syd"}
