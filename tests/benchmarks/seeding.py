"""Bulk test data for the benchmarks: a municipality-sized store, fast.

Rows are built from the SQLModel tables' own defaults (one model instance per table as a
template), then written with COPY on PostgreSQL (asyncpg ``copy_records_to_table``) and
with ``executemany`` on SQLite (the stdlib driver, one transaction). All data is
synthetic: case references "BM-…", companies "Testfirma …".

The reminder store (`reminder_store`), on the Monday `TODAY`:
- `consultants` consultants with Slack user ids;
- 100,000 praktikker, 20 % active (started in the last 60 days) and 80 % ended;
- 4 follow-ups each (opstart, midtvejs, afslutning, status) = 400,000: those of ended
  praktikker and the active ones' opstart are held (each with its sent reminder in
  `deliveries`, the history a year of reminders leaves); `due` active praktikker have
  their midtvejs due today; the other active ones' are planned 7 to 126 days ahead
  (beyond the reach of every early reminder).
So exactly `due` reminders are due at 08:00 today.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import JSON
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from storage.models import Consultant, Conversation, Delivery, FollowUp, Praktik, StatusRecord
from tests.benchmarks.common import asyncpg_dsn

TODAY = dt.date(2026, 11, 30)  # a Monday, a working day
TZ = ZoneInfo("Europe/Copenhagen")
LONG_AGO = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
Row = list[Any]


class Rows:
    """Rows of one table: columns from a model instance's dump, values as lists."""

    def __init__(self, model: type[SQLModel], **required: Any) -> None:
        template = model(**required).model_dump()
        self.table = str(model.__tablename__)
        self.columns = list(template)
        self.base = [template[c] for c in self.columns]
        self.index = {c: i for i, c in enumerate(self.columns)}
        table = model.__table__  # type: ignore[attr-defined]
        self.json = {c.name for c in table.columns if isinstance(c.type, JSON)}
        for name in self.json:  # JSON columns are written as their text
            self.base[self.index[name]] = json.dumps(template[name])
        self.rows: list[Row] = []

    def add(self, **values: Any) -> None:
        """A row: the template's values with `values` instead (JSON columns as text)."""
        row = self.base.copy()
        for name, value in values.items():
            row[self.index[name]] = value
        self.rows.append(row)

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class Store:
    tables: list[Rows]
    due_followup_ids: list[int]

    def counts(self) -> dict[str, int]:
        return {t.table: len(t) for t in self.tables}


def reminder_due_at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(8, 0), tzinfo=TZ).astimezone(dt.UTC)


def reminder_store(*, consultants: int = 500, praktikker: int = 100_000, due: int = 1_000) -> Store:
    people = Rows(Consultant, user_key="x", name="x")
    for n in range(1, consultants + 1):
        user = f"UREM{n:05d}"
        people.add(id=n, user_key=f"slack:{user}", slack_user_id=user, name=f"Konsulent {n}")
    places = Rows(
        Praktik,
        case_ref="x",
        target_group="sygedagpenge",
        company="x",
        type="jobpraktik",
        start_date=TODAY,
        end_date=TODAY,
        hours_per_week=20,
        consultant_id=1,
    )
    followups = Rows(FollowUp, praktik_id=1, kind="opstart", due_date=TODAY)
    sent = Rows(
        Delivery,
        key="x",
        kind="due",
        recipient="x",
        occurs_on=TODAY,
        due_at=LONG_AGO,
        next_attempt_at=LONG_AGO,
    )
    active = praktikker // 5
    due_ids: list[int] = []
    followup_id = 0

    def followup(pid: int, kind: str, day: dt.date, *, held: bool, owner: int) -> int:
        nonlocal followup_id
        followup_id += 1
        followups.add(
            id=followup_id,
            praktik_id=pid,
            kind=kind,
            due_date=day,
            planned_due=day,
            status="held" if held else "planned",
            held_at=reminder_due_at(day) if held else None,
            created_at=LONG_AGO,
            scheduled_at=LONG_AGO,
            plan_index=("opstart", "midtvejs", "afslutning", "status").index(kind),
        )
        if held:
            at = reminder_due_at(day)
            user = f"UREM{owner:05d}"
            sent.add(
                id=len(sent) + 1,
                key=f"followup:{followup_id}:due:{day.isoformat()}",
                kind="due",
                followup_id=followup_id,
                praktik_id=pid,
                recipient=user,
                occurs_on=day,
                due_at=at,
                next_attempt_at=at,
                status="sent",
                attempts=1,
                sent_at=at,
                slack_channel=f"D{user}",
                slack_ts=f"{int(at.timestamp())}.{followup_id:06d}",
                created_at=at,
                updated_at=at,
            )
        return followup_id

    for pid in range(1, praktikker + 1):
        owner = (pid - 1) % consultants + 1
        is_active = pid <= active
        if is_active:
            start = TODAY - dt.timedelta(days=pid % 60)
            end = start + dt.timedelta(weeks=13)
        else:
            start = TODAY - dt.timedelta(days=90 + pid % 1000)
            end = start + dt.timedelta(weeks=8)
        places.add(
            id=pid,
            case_ref=f"BM-{pid:06d}",
            company=f"Testfirma {pid % 5000} ApS",
            type=("jobpraktik", "kompetencepraktik", "udviklingspraktik")[pid % 3],
            subgoals=json.dumps(["Delmål A", "Delmål B"]),
            outcome_detail=json.dumps({}),
            start_date=start,
            end_date=end,
            consultant_id=owner,
            status="active" if is_active else "ended",
            outcome=None if is_active else ("job", "uddannelse", "ledig")[pid % 3],
            ended_at=None if is_active else reminder_due_at(end),
            contact_person="Kontaktperson Testesen",
            created_at=reminder_due_at(start),
            updated_at=reminder_due_at(start),
        )
        followup(pid, "opstart", start - dt.timedelta(days=1), held=True, owner=owner)
        if is_active:
            if pid <= due:
                due_ids.append(followup(pid, "midtvejs", TODAY, held=False, owner=owner))
            else:
                # A week on at least: beyond every early reminder's reach today.
                later = TODAY + dt.timedelta(days=7 + pid % 120)
                followup(pid, "midtvejs", later, held=False, owner=owner)
            closing = TODAY + dt.timedelta(days=130 + pid % 30)
            followup(pid, "afslutning", closing, held=False, owner=owner)
            followup(pid, "status", closing + dt.timedelta(weeks=4), held=False, owner=owner)
        else:
            middle = start + (end - start) / 2
            followup(pid, "midtvejs", middle, held=True, owner=owner)
            followup(pid, "afslutning", end - dt.timedelta(days=2), held=True, owner=owner)
            followup(pid, "status", end + dt.timedelta(weeks=4), held=True, owner=owner)
    return Store([people, places, followups, sent], due_ids)


def conversation_store(
    *, conversations: int, state: dict[str, Any], consultants: int = 500
) -> Store:
    """`conversations` stored conversations (5 % still active, the rest done) of
    `consultants` consultants, each with a copy of `state` (a finished 'Ny praktik')."""
    people = Rows(Consultant, user_key="x", name="x")
    for n in range(1, consultants + 1):
        user = f"UCONV{n:05d}"
        people.add(id=n, user_key=f"slack:{user}", slack_user_id=user, name=f"Konsulent {n}")
    talks = Rows(Conversation, key="x", consultant_id=1, flow_id="ny_praktik", flow_version="x")
    text = json.dumps(state)
    for n in range(1, conversations + 1):
        owner = (n - 1) % consultants + 1
        key = f"slack:DUCONV{owner:05d}:{1_700_000_000 + n}.000100"
        active = n % 20 == 0
        at = LONG_AGO + dt.timedelta(minutes=n)
        talks.add(
            id=n,
            key=key,
            active_key=key if active else None,
            consultant_id=owner,
            channel=f"DUCONV{owner:05d}",
            thread_ts=f"{1_700_000_000 + n}.000100",
            flow_version=str(state.get("flow_version", "x")),
            step=None if not active else "company",
            prompt_ref=f"{1_700_000_000 + n}.000200",
            state=text,
            status="active" if active else "done",
            started_at=at,
            last_activity=at,
        )
    return Store([people, talks], [])


# --- writing -------------------------------------------------------------------------------


async def copy_to_postgres(url: str, tables: Sequence[Rows], *, vacuum: bool = False) -> None:
    """The rows written with COPY, then `after_bulk_insert` (`vacuum`: VACUUM ANALYZE)."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with conn.transaction():
            # The rows are consistent by construction: skip the per-row foreign-key
            # triggers when allowed (a superuser, as in the test setup). That skips the
            # triggers that derive a follow-up's team and plan date too (migration 0012):
            # the stores' rows carry both themselves.
            if await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
                await conn.execute("SET LOCAL session_replication_role = replica")
            for rows in tables:
                await conn.copy_records_to_table(
                    rows.table, records=rows.rows, columns=rows.columns
                )
        await after_bulk_insert(
            conn, [rows.table for rows in tables if "id" in rows.index], vacuum=vacuum
        )
    finally:
        await conn.close()


async def after_bulk_insert(conn: Any, tables: Sequence[str], *, vacuum: bool = False) -> None:
    """Rows written with their own ids: each table's id sequence moved past them, and
    the planner's statistics refreshed (ANALYZE). `vacuum`: VACUUM ANALYZE, which also
    sets the visibility map as autovacuum has on a store in use, so that index-only
    scans read no heap pages. `conn`: an asyncpg connection."""
    for table in tables:
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )
    await conn.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")


def _sqlite_value(value: Any) -> Any:
    """As SQLAlchemy stores it on SQLite: UTC wall-clock digits, ISO dates, 0/1."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(" ", "microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _sqlite_rows(rows: Rows) -> list[tuple[Any, ...]]:
    """The rows with dates, times and booleans converted (memoised: they repeat)."""
    memo: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if value is None or type(value) in (int, str, float):
            return value
        found = memo.get(value)
        if found is None:
            found = memo[value] = _sqlite_value(value)
        return found

    return [tuple(map(convert, row)) for row in rows.rows]


def write_sqlite(url: str, tables: Sequence[Rows]) -> None:
    """Blocking: run it in a thread. The tables' indexes are dropped while inserting and
    created again afterwards (from their own DDL in sqlite_master), in one transaction."""
    database = make_url(url).database
    assert database is not None
    conn = sqlite3.connect(Path(database), isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        names = [rows.table for rows in tables]
        marks = ", ".join("?" for _ in names)
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            f" AND tbl_name IN ({marks})",
            names,
        ).fetchall()
        conn.execute("BEGIN")
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        for rows in tables:
            columns = ", ".join(f'"{c}"' for c in rows.columns)
            values = ", ".join("?" for _ in rows.columns)
            conn.executemany(
                f'INSERT INTO "{rows.table}" ({columns}) VALUES ({values})', _sqlite_rows(rows)
            )
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
    finally:
        conn.close()


def report_store(*, consultants: int = 500, praktikker: int = 100_000) -> Store:
    """The report's store: `praktikker` praktikker of every type, 14 target groups, 10
    teams and 5,000 P-numbers; 4 follow-ups each (400,000: start, midway and final held
    on time, late or missed; a status), 80 % ended with an outcome, and a status record
    after 1 and 3 months for most ended ones."""
    teams = [f"team_{n}" for n in range(10)]
    groups = [
        "dagpenge", "dagpenge_dimittend", "kontanthjaelp_jobparat",
        "uddannelseshjaelp_uddannelsesparat", "selvforsoergende_jobparat",
        "jobparat_uden_erfaring", "kontanthjaelp_aktivitetsparat",
        "uddannelseshjaelp_aktivitetsparat", "sygedagpenge", "jobafklaring",
        "ressourceforloeb", "revalidering", "fleksjob", "foertidspension",
    ]  # fmt: skip
    outcomes = ("ordinaer_fuldtid", "ordinaer_deltid", "loentilskud", "uddannelse",
                "ny_praktik", "fortsat_ledig", "fortsat_ledig", "andet")  # fmt: skip
    statuses = ("ordinaert_job", "loentilskud", "uddannelse", "fortsat_ledig", "andet")
    people = Rows(Consultant, user_key="x", name="x")
    for n in range(1, consultants + 1):
        people.add(id=n, user_key=f"slack:URPT{n:05d}", name=f"Konsulent {n}",
                   team_id=teams[n % len(teams)])  # fmt: skip
    places = Rows(
        Praktik, case_ref="x", target_group="dagpenge", company="x", type="jobpraktik",
        start_date=TODAY, end_date=TODAY, hours_per_week=20, consultant_id=1,
    )  # fmt: skip
    followups = Rows(FollowUp, praktik_id=1, kind="opstart", due_date=TODAY)
    records = Rows(StatusRecord, praktik_id=1, months_after_end=1, status="x", consultant_id=1)
    followup_id = 0
    for pid in range(1, praktikker + 1):
        owner = (pid - 1) % consultants + 1
        ended = pid % 5 != 0
        start = TODAY - dt.timedelta(days=30 + pid % 700)
        end = start + dt.timedelta(weeks=(4, 8, 13)[pid % 3]) - dt.timedelta(days=1)
        outcome = outcomes[pid % len(outcomes)] if ended else None
        places.add(
            id=pid, case_ref=f"RP-{pid:06d}", company=f"Testfirma {pid % 5000} ApS",
            p_number=f"1{pid % 5000:09d}", type=("jobpraktik", "kompetencepraktik",
            "udviklingspraktik")[pid % 3], target_group=groups[pid % len(groups)],
            subgoals=json.dumps(["Delmål A"]),
            outcome_detail=json.dumps({"outcome_at_host": pid % 4 == 0} if ended else {}),
            start_date=start, end_date=end, consultant_id=owner, team_id=teams[owner % 10],
            status="ended" if ended else "active", outcome=outcome,
            ended_at=reminder_due_at(end) if ended else None, ratio_limit=2 + pid % 7,
            created_at=reminder_due_at(start - dt.timedelta(days=pid % 21)),
            updated_at=reminder_due_at(start),
        )  # fmt: skip
        for index, (kind, day) in enumerate(
            (
                ("opstart", start - dt.timedelta(days=1)),
                ("midtvejs", start + (end - start) / 2),
                ("afslutning", end - dt.timedelta(days=2)),
                ("status", end + dt.timedelta(days=30)),
            )
        ):
            followup_id += 1
            held = day < TODAY and pid % 9 != 0
            late = (0, 0, 0, 1, 4)[pid % 5] if held else None
            followups.add(
                id=followup_id, praktik_id=pid, kind=kind, due_date=day, planned_due=day,
                status="held" if held else "planned", plan_index=index,
                held_at=reminder_due_at(day) if held else None,
                held_on=day if held else None, held_days_late=late,
                months_after_end=1 if kind == "status" else None,
                created_at=LONG_AGO, scheduled_at=LONG_AGO, team_id=teams[owner % 10],
            )  # fmt: skip
        if ended and end + dt.timedelta(days=31) < TODAY:
            for months in (1, 3):
                if (pid + months) % 4:
                    records.add(
                        id=len(records) + 1, praktik_id=pid, months_after_end=months,
                        status=statuses[(pid + months) % len(statuses)],
                        at_host=pid % 6 == 0, consultant_id=owner,
                        recorded_at=reminder_due_at(end + dt.timedelta(days=31 * months)),
                    )  # fmt: skip
    return Store([people, places, followups, records], [])
