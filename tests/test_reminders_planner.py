"""Materialising occurrences and changing follow-ups, on real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot import delivery_queue as queue
from bot.config import AppConfig, DigestSchedule, Team
from bot.conversations import ConversationService
from bot.followups import changes
from bot.reminders import planner
from dialogues.model import Flow
from storage import queries
from storage.db import Database
from storage.models import Consultant, FollowUp, Praktik
from tests.reminder_support import (
    by_status,
    deliveries,
    followup,
    local,
    seed,
    with_reminders,
    with_teams,
)
from tests.test_conversations import REGISTER, Driver, rows

D = dt.date
MONDAY = D(2026, 11, 30)
AT_8 = local(MONDAY, 8)

# Delivery mechanics on the due day only (lead times: tests/test_slack_edges.py).
pytestmark = pytest.mark.due_day_only


async def materialise(db: Database, config: AppConfig, now: dt.datetime) -> planner.Materialised:
    async with db.transaction() as session:
        counts, _ = await planner.materialise(session, config=config, now=now)
    return counts


async def test_materialise_is_idempotent_and_safe_concurrently(
    db: Database, config: AppConfig
) -> None:
    seeded = await seed(db, consultants=5, per_consultant=20, due=MONDAY)
    assert (await materialise(db, config, AT_8 - dt.timedelta(seconds=1))).total == 0
    others = [Database(db.url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(materialise(other, config, AT_8) for other in others))
    finally:
        for other in others:
            await other.dispose()
    assert sum(r.pending for r in results) == 100
    assert (await materialise(db, config, AT_8 + dt.timedelta(hours=1))).total == 0
    rows_ = await deliveries(db)
    assert len(rows_) == 100
    assert {r.followup_id for r in rows_} == set(seeded.followup_ids)
    assert {(r.kind, r.status, r.occurs_on) for r in rows_} == {("due", "pending", MONDAY)}
    assert {r.next_attempt_at for r in rows_} == {AT_8}


async def test_digest_occurrences_on_the_autumn_change_day_exist_once(
    db: Database, config: AppConfig
) -> None:
    day = D(2026, 10, 25)
    team = Team(
        id="natteam",
        name="Natteam",
        channel="CNAT",
        digest=DigestSchedule(weekdays=("sun",), time=dt.time(2, 30), on_day_off="send"),
    )
    cfg = with_teams(config, team)
    first = dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)  # 02:30 CEST
    second = dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)  # 02:30 CET, the repeat
    assert (await materialise(db, cfg, first - dt.timedelta(seconds=1))).total == 0
    assert (await materialise(db, cfg, first)).pending == 1
    assert (await materialise(db, cfg, second)).total == 0
    [row] = await deliveries(db)
    assert (row.key, row.due_at) == (f"digest:natteam:{day}", first)


async def test_digest_in_the_spring_gap_fires_at_0330_summer_time(
    db: Database, config: AppConfig
) -> None:
    team = Team(
        id="natteam",
        name="Natteam",
        channel="CNAT",
        digest=DigestSchedule(weekdays=("sun",), time=dt.time(2, 30), on_day_off="send"),
    )
    cfg = with_teams(config, team)
    at = dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)  # 03:30 CEST
    assert (await materialise(db, cfg, at - dt.timedelta(seconds=1))).total == 0
    assert (await materialise(db, cfg, at)).pending == 1
    assert (await materialise(db, cfg, at + dt.timedelta(hours=3))).total == 0


# --- changing follow-ups -------------------------------------------------------------------


async def test_postpone_by_working_days_cancels_pending_rows(
    db: Database, config: AppConfig
) -> None:
    seeded = await seed(db, consultants=1, per_consultant=1, due=D(2026, 12, 23))
    fid = seeded.followup_ids[0]
    cfg = with_reminders(config, remind_days_before=1)
    early = local(D(2026, 12, 22), 8)
    assert (await materialise(db, cfg, early)).pending == 1
    async with db.transaction() as session:
        moved = await changes.postpone_followup(
            session, config=cfg, followup_id=fid, now=early, working_days=2
        )
    # 24, 25, 26 Dec are days off: two working days after the 23rd is the 29th.
    assert (moved.due_date, moved.postponed_from) == (D(2026, 12, 29), D(2026, 12, 23))
    [row] = await deliveries(db)
    assert (row.status, row.last_error) == ("cancelled", "postponed")
    stored = await followup(db, fid)
    assert stored.due_date == D(2026, 12, 29)
    assert stored.scheduled_at or early == AT_8


async def test_postpone_counts_from_today_when_overdue(db: Database, config: AppConfig) -> None:
    seeded = await seed(db, consultants=1, per_consultant=1, due=D(2026, 11, 24))
    async with db.transaction() as session:
        moved = await changes.postpone_followup(
            session, config=config, followup_id=seeded.followup_ids[0], now=AT_8, working_days=1
        )
    assert moved.due_date == D(2026, 12, 1)


async def test_postpone_to_a_date(db: Database, config: AppConfig) -> None:
    seeded = await seed(db, consultants=1, per_consultant=1, due=MONDAY)
    fid = seeded.followup_ids[0]
    async with db.transaction() as session:
        moved = await changes.postpone_followup(
            session, config=config, followup_id=fid, now=AT_8, to_date=D(2026, 12, 5)
        )
    assert moved.due_date == D(2026, 12, 7)  # Saturday: the next working day
    for bad, message in (
        (D(2026, 11, 27), "fra i dag eller senere"),
        (D(2028, 1, 3), "inden for det næste år"),
    ):
        with pytest.raises(changes.PlanError, match=message):
            async with db.transaction() as session:
                await changes.postpone_followup(
                    session, config=config, followup_id=fid, now=AT_8, to_date=bad
                )
    assert (await followup(db, fid)).due_date == D(2026, 12, 7)


async def test_held_cancels_rows_and_cannot_be_repeated(db: Database, config: AppConfig) -> None:
    seeded = await seed(db, consultants=1, per_consultant=1, due=MONDAY)
    fid = seeded.followup_ids[0]
    await materialise(db, config, AT_8)
    async with db.transaction() as session:
        held = await changes.mark_followup_held(session, config=config, followup_id=fid, now=AT_8)
    assert held.status == "held"
    assert by_status(await deliveries(db)) == {"cancelled": 1}
    with pytest.raises(changes.PlanError, match="allerede markeret som afholdt"):
        async with db.transaction() as session:
            await changes.mark_followup_held(session, config=config, followup_id=fid, now=AT_8)
    with pytest.raises(changes.PlanError, match="allerede markeret som afholdt"):
        async with db.transaction() as session:
            await changes.postpone_followup(
                session, config=config, followup_id=fid, now=AT_8, working_days=1
            )
    # And no reminders afterwards, also not overdue ones.
    assert (await materialise(db, config, local(D(2026, 12, 2), 8))).total == 0


async def test_add_followup(db: Database, config: AppConfig) -> None:
    seeded = await seed(db, consultants=1, per_consultant=1, due=MONDAY)
    pid = seeded.praktik_ids[0]
    async with db.transaction() as session:
        added = await changes.add_followup(
            session, config=config, praktik_id=pid, kind="midtvejs",
            due_date=D(2026, 12, 24), now=AT_8, note="  Ekstra   møde med virksomheden ",
        )  # fmt: skip
    assert (added.due_date, added.source, added.note) == (
        D(2026, 12, 28),
        "manual",
        "Ekstra møde med virksomheden",
    )
    with pytest.raises(changes.PlanError, match="CPR"):
        async with db.transaction() as session:
            await changes.add_followup(
                session, config=config, praktik_id=pid, kind="midtvejs",
                due_date=D(2026, 12, 10), now=AT_8, note="Borger 010190-1234",
            )  # fmt: skip
    async with db.transaction() as session:
        stored = await queries.followups_of_praktik(session, praktik_id=pid)
    assert len(stored) == 2
    counts = await materialise(db, config, local(D(2026, 12, 28), 8))
    assert counts.pending == 1  # the added one; the seeded one is past its overdue ones


async def test_dates_changed_recompute_planned_followups(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    driver = Driver(ConversationService(db=db, config=config, flows=flows))
    await driver.start("ny_praktik")
    await driver.say(*REGISTER)  # jobpraktik 7 - 31 December 2026
    [praktik] = await rows(db, Praktik)
    plan = sorted(await rows(db, FollowUp), key=lambda f: f.plan_index)
    assert [(f.kind, f.due_date, f.plan_index) for f in plan] == [
        ("opstart", D(2026, 12, 4), 0),
        ("midtvejs", D(2026, 12, 18), 1),
        ("afslutning", D(2026, 12, 28), 2),  # 31 Dec is a day off here
        ("status", D(2027, 1, 29), 3),  # 1 month after the end: 31 Jan is a Sunday
        ("status", D(2027, 3, 31), 4),
        ("status", D(2027, 6, 30), 5),
        ("status", D(2027, 12, 30), 6),  # 31 Dec 2027 (nytårsaften) is a day off
    ]
    assert [f.months_after_end for f in plan] == [None, None, None, 1, 3, 6, 12]
    assert all(f.planned_due == f.due_date for f in plan)
    opstart, midtvejs, afslutning, status = plan[:4]
    async with db.transaction() as session:
        await changes.mark_followup_held(
            session, config=config, followup_id=opstart.id or 0, now=AT_8
        )
        await changes.postpone_followup(
            session, config=config, followup_id=midtvejs.id or 0, now=AT_8, working_days=1
        )
        manual = await changes.add_followup(
            session, config=config, praktik_id=praktik.id or 0, kind="midtvejs",
            due_date=D(2026, 12, 14), now=AT_8,
        )  # fmt: skip
        await session.exec(  # a legacy row from before plan_index existed
            FollowUp.__table__.update()  # type: ignore[attr-defined]
            .where(FollowUp.__table__.c.id == status.id)  # type: ignore[attr-defined]
            .values(plan_index=None)
        )
    # A pending reminder row for the postponed midway follow-up (now due 21 December).
    async with db.transaction() as session:
        consultant = await session.get(Consultant, praktik.consultant_id)
        assert consultant is not None
        consultant.slack_user_id = "UANNA"
        session.add(consultant)
    await materialise(db, config, local(D(2026, 12, 21), 8))

    async with db.transaction() as session:
        stored = await session.get(Praktik, praktik.id)
        assert stored is not None
        stored.start_date, stored.end_date = D(2027, 1, 4), D(2027, 1, 29)
        session.add(stored)
        changed = await changes.move_praktik_followups(
            session, config=config, praktik=stored, now=local(D(2026, 12, 21), 9)
        )
    assert sorted(f.kind for f in changed) == ["afslutning", "midtvejs", *["status"] * 4]
    after = {f.id: f for f in await rows(db, FollowUp)}
    assert (after[opstart.id].status, after[opstart.id].due_date) == ("held", D(2026, 12, 4))
    assert (after[midtvejs.id].due_date, after[midtvejs.id].postponed_from) == (
        D(2027, 1, 15),
        None,
    )
    assert after[afslutning.id].due_date == D(2027, 1, 27)
    assert (after[status.id].due_date, after[status.id].plan_index) == (D(2027, 2, 26), 3)
    assert after[status.id].planned_due == D(2027, 2, 26)
    assert after[manual.id].due_date == D(2026, 12, 14)  # the consultant's own stays
    assert sorted(f.due_date for f in after.values() if f.kind == "status") == [
        D(2027, 2, 26), D(2027, 4, 29), D(2027, 7, 29), D(2028, 1, 28)
    ]  # fmt: skip
    assert len(after) == 8
    moved_rows = [r for r in await deliveries(db) if r.followup_id == midtvejs.id]
    assert [(r.kind, r.status) for r in moved_rows] == [("due", "cancelled")]


async def test_the_followup_form_marks_the_right_followup_held(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    driver = Driver(ConversationService(db=db, config=config, flows=flows))
    await driver.start("ny_praktik")
    await driver.say(*REGISTER)
    [praktik] = await rows(db, Praktik)
    plan = sorted(await rows(db, FollowUp), key=lambda f: f.due_date)
    # A pending reminder row for the opstart follow-up (due 4 December).
    async with db.transaction() as session:
        await queue.insert_deliveries(
            session,
            rows=[
                {
                    "key": f"followup:{plan[0].id}:early:2026-11-30",
                    "kind": "early",
                    "followup_id": plan[0].id,
                    "praktik_id": praktik.id,
                    "recipient": "UANNA",
                    "occurs_on": MONDAY,
                    "due_at": AT_8,
                    "next_attempt_at": AT_8,
                }
            ],
        )
    await driver.start("opfoelgning", praktik_id=praktik.id)
    done = await driver.say(
        "1", "4", "i dag", "ja", "2", "3", "4", "spring over", "spring over", "Slutevaluering",
        "gem",
    )  # fmt: skip
    held_line = "Opfølgningen (opstartsmøde, fredag den 4. december 2026)"
    assert any(held_line in m for m in done.messages)
    statuses = {f.kind: f.status for f in await rows(db, FollowUp)}
    assert statuses == {
        "opstart": "held",
        "midtvejs": "planned",
        "afslutning": "planned",
        "status": "planned",
    }
    [row] = await deliveries(db)
    assert (row.status, row.last_error) == ("cancelled", "held")


async def test_followup_for_form_prefers_a_near_non_status_one(
    db: Database, config: AppConfig
) -> None:
    seeded = await seed(db, consultants=1, per_consultant=1, due=D(2026, 12, 14), kind="status")
    pid = seeded.praktik_ids[0]
    async with db.transaction() as session:
        far = await changes.add_followup(
            session, config=config, praktik_id=pid, kind="afslutning",
            due_date=D(2026, 12, 18), now=AT_8,
        )  # fmt: skip
        near = await changes.add_followup(
            session, config=config, praktik_id=pid, kind="midtvejs",
            due_date=D(2026, 12, 4), now=AT_8,
        )  # fmt: skip
        chosen = await changes.followup_for_form(session, config=config, praktik_id=pid, now=AT_8)
        assert chosen is not None and chosen.id == near.id
        await changes.mark_followup_held(session, config=config, followup_id=near.id or 0, now=AT_8)
        # Nothing near any more: the earliest planned one - never the status follow-up,
        # which the status flow records.
        chosen = await changes.followup_for_form(session, config=config, praktik_id=pid, now=AT_8)
        assert chosen is not None and chosen.id == far.id != seeded.followup_ids[0]
