"""The short reference the bot gives every praktik (issue 9, bullet 3): the only way a
shared channel names a praktik, assigned by the database on insert, never reused — not
even after an erasure — and shown to the consultant wherever they need to match it."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.config import AppConfig, DigestSchedule, Team
from bot.reminders.scheduler import tick
from bot.reminders.sending import slack_client
from bot.retention import erase_case
from storage import queries
from storage.db import Database
from storage.models import Consultant, FollowUp, Praktik
from tests.conftest import POSTGRES_URL, _pg_admin
from tests.reminder_support import local, with_teams
from tests.slack_harness import SlackBot, message_text
from tests.slack_standin import SlackStandIn
from tests.test_reminders_migration import _migrate

MONDAY = dt.date(2026, 11, 30)
LONG_AGO = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
# Typed case references a digest must never carry: name-like, number-like, company-like.
TYPED = ("Birte Testesen", "4455 6677 8899", "Testfirma Nord ApS 12")


async def add_praktik(db: Database, consultant_id: int, case_ref: str, team: str) -> Praktik:
    async with db.transaction() as session:
        praktik = Praktik(
            case_ref=case_ref,
            target_group="sygedagpenge",
            company="Eksempel Værksted ApS",
            type="jobpraktik",
            subgoals=["Delmål A"],
            start_date=dt.date(2026, 11, 2),
            end_date=dt.date(2027, 1, 29),
            hours_per_week=20,
            consultant_id=consultant_id,
            team_id=team,
        )
        await queries.add_praktik(session, praktik=praktik)
        assert praktik.id is not None
        await queries.add_followups(
            session,
            followups=[
                FollowUp(
                    praktik_id=praktik.id,
                    kind="midtvejs",
                    due_date=MONDAY,
                    created_at=LONG_AGO,
                    scheduled_at=LONG_AGO,
                )
            ],
        )
        return praktik


async def consultant(db: Database, user: str, team: str | None = "team_nord") -> int:
    async with db.transaction() as session:
        found = await queries.get_or_create_consultant(
            session, user_key=f"slack:{user}", name=f"Konsulent {user}", slack_user_id=user,
            team_id=team,
        )  # fmt: skip
        assert found.id is not None
        return found.id


async def test_a_digest_shows_short_references_never_typed_case_references(
    db: Database, slack: SlackStandIn, config: AppConfig
) -> None:
    team = Team(
        id="team_nord",
        name="Team Nord",
        channel="C0NORD",
        digest=DigestSchedule.model_validate({"weekdays": ["mon"], "time": "08:30"}),
    )
    cfg = with_teams(config, team)
    anna = await consultant(db, "UDIGA")
    praktikker = [await add_praktik(db, anna, ref, "team_nord") for ref in TYPED]
    async with slack_client("xoxb-test-token", slack.base_url) as client:
        await tick(db=db, client=client, config=cfg, now=local(MONDAY, 8, 31), instance_id="i")
    [digest] = slack.messages["C0NORD"]
    posted = json.dumps({"text": digest["text"], "blocks": digest["blocks"]}, ensure_ascii=False)
    refs = [str(p.short_ref) for p in praktikker]
    assert refs == ["P-1001", "P-1002", "P-1003"]
    assert all(ref in posted for ref in refs)
    assert "<@UDIGA>" in posted and "*Denne uge: 3*" in posted
    for typed in (*TYPED, "Birte", "4455", "6677", "Testfirma", "Eksempel", "sygedagpenge"):
        assert typed not in posted
    # The reminder DM to the consultant names both, so the two can be matched.
    [dm] = [m for m in slack.messages["DUDIGA"] if "Birte Testesen" in m["text"]]
    assert "P-1001 (Birte Testesen)" in dm["text"]


async def test_short_references_are_never_reused_not_even_after_an_erasure(
    db: Database,
) -> None:
    owner = await consultant(db, "UREUSE", team=None)
    first = await add_praktik(db, owner, "SAG-9-1", "t")
    second = await add_praktik(db, owner, "SAG-9-2", "t")
    assert (first.short_ref, second.short_ref) == ("P-1001", "P-1002")
    # `praktikbot erase --case` takes the short reference too (in any letter case).
    removed = await erase_case(db, case_ref="p-1002", actor="test")
    assert removed.counts.get("praktikker") == 1
    third = await add_praktik(db, owner, "SAG-9-3", "t")
    if db.dialect == "sqlite":
        assert third.id == second.id  # SQLite hands the erased row's id out again …
    assert third.short_ref == "P-1003"  # … its reference is never handed out again
    async with db.transaction() as session:
        stored = {p.case_ref: p.short_ref for p in (await session.exec(select(Praktik))).all()}
    assert stored == {"SAG-9-1": "P-1001", "SAG-9-3": "P-1003"}
    # A typed reference that happens to look like a short one names its own case.
    fourth = await add_praktik(db, owner, "P-1001", "t")
    removed = await erase_case(db, case_ref="P-1001", actor="test")
    async with db.transaction() as session:
        left = [p.case_ref for p in (await session.exec(select(Praktik))).all()]
    assert fourth.short_ref == "P-1004" and sorted(left) == ["SAG-9-1", "SAG-9-3"]


async def test_the_consultant_sees_the_short_reference_on_registration_and_in_the_list(
    bot: SlackBot, db: Database
) -> None:
    root = await bot.register_praktik("UANNA", "SAG-2026-9001")
    shown = "\n".join(message_text(m) for m in bot.bot_messages("UANNA", root))
    assert "Dens korte reference er *P-1001*" in shown
    listing = await bot.dm("UANNA", "mine")
    assert "P-1001 · SAG-2026-9001" in bot.last_text("UANNA", listing)
    async with db.transaction() as session:
        [consultant_row] = (await session.exec(select(Consultant))).all()
    assert consultant_row.slack_user_id == "UANNA"


async def _legacy_rows_then_head(url: str) -> list[tuple[int, str]]:
    db = Database(url)
    try:
        async with db.transaction() as session:
            for statement in (
                "INSERT INTO consultants (user_key, name, created_at) "
                "VALUES ('terminal:x', 'x', CURRENT_TIMESTAMP)",
                *(
                    "INSERT INTO praktikker (case_ref, target_group, company, type, subgoals, "
                    "start_date, end_date, hours_per_week, extension_assessed, last_employer, "
                    "ratio_exceeded, ratio_statement, consultant_id, status, outcome_detail, "
                    f"created_at, updated_at) VALUES ('OLD-{n}', 'dagpenge', 'Testfirma', "
                    "'jobpraktik', '[]', '2026-12-01', '2026-12-20', 20, false, false, false, "
                    "false, 1, 'active', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    for n in (1, 2, 3)
                ),
                "DELETE FROM praktikker WHERE case_ref = 'OLD-2'",
            ):
                await session.exec(text(statement))  # type: ignore[call-overload]
    finally:
        await db.dispose()
    await asyncio.to_thread(_migrate, url, "head")
    db = Database(url)
    try:
        await add_praktik(db, 1, "NEW-1", "t")
        async with db.transaction() as session:
            result = await session.exec(  # type: ignore[call-overload]
                text("SELECT id, short_ref FROM praktikker ORDER BY short_ref")
            )
            return [(int(i), str(r)) for i, r in result.all()]
    finally:
        await db.dispose()


def _check_legacy(url: str) -> None:
    _migrate(url, "0004")
    stored = asyncio.run(_legacy_rows_then_head(url))
    # Existing rows get P-{id + 1000}; the counter continues above the highest of them.
    assert stored == [(1, "P-1001"), (3, "P-1003"), (4, "P-1004")]


def test_existing_praktikker_get_a_short_reference_on_sqlite(tmp_path: Path) -> None:
    _check_legacy(f"sqlite+aiosqlite:///{tmp_path / 'legacy.sqlite3'}")


@pytest.mark.postgres
def test_existing_praktikker_get_a_short_reference_on_postgresql(postgres_database: str) -> None:
    name = f"praktikbot_ref_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        _check_legacy(make_url(POSTGRES_URL).set(database=name).render_as_string(False))
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
