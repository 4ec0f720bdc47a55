"""The outcome reports' SQL: aggregates only, SQLite and PostgreSQL (a statement per view
or per views that count the same rows).

Every function groups in the database and returns one row per group (never a row per
praktik). What an outcome or status means (job, education, …) comes in as a mapping of
option value → category (`categories`), read by the caller from the flow files; what a
report may see comes in as a `Scope`. Dates are compared with bound parameters computed
by the caller (e.g. "ended at least 3 months ago" is `end_date <= :cutoff`), so no date
arithmetic depends on the dialect except the day counts in `_days` and how the period key
(`YearMonth`, `YearQuarter`) reads a date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    extract,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import FollowUp, Praktik, StatusRecord

JOBS = ("ordinary_job", "subsidised_job")
JOB_OR_EDUCATION = (*JOBS, "education")
PERIODS = ("start_month", "start_quarter", "end_month", "end_quarter")
DIMENSIONS = ("type", "target_group", "team", "period", "company")


@dataclass(frozen=True)
class Scope:
    """Which praktikker a report counts: all, some teams', or one consultant's."""

    team_ids: frozenset[str] | None = None  # None: every team
    consultant_id: int | None = None

    def where(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.team_ids is not None:
            clauses.append(col(Praktik.team_id).in_(sorted(self.team_ids)))
        if self.consultant_id is not None:
            clauses.append(col(Praktik.consultant_id) == self.consultant_id)
        return clauses

    def followup_where(self) -> list[ColumnElement[bool]]:
        """The same scope for a query of follow-ups alone: the follow-up's own team (kept
        equal to its praktik's by the database, migration 0012); one consultant's
        through their praktikker."""
        clauses: list[ColumnElement[bool]] = []
        if self.team_ids is not None:
            clauses.append(col(FollowUp.team_id).in_(sorted(self.team_ids)))
        if self.consultant_id is not None:
            theirs = select(col(Praktik.id)).where(col(Praktik.consultant_id) == self.consultant_id)
            clauses.append(col(FollowUp.praktik_id).in_(theirs))
        return clauses


@dataclass(frozen=True)
class Window:
    """The praktikker counted: those whose start or end date (the period's basis) lies in
    [date_from, date_to]; an end-based period counts only ended praktikker."""

    period: str = "end_quarter"
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @property
    def basis(self) -> Any:
        return col(Praktik.start_date) if self.period.startswith("start") else col(Praktik.end_date)

    def where(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.period.startswith("end"):
            clauses.append(col(Praktik.status) == "ended")
        if self.date_from is not None:
            clauses.append(self.basis >= self.date_from)
        if self.date_to is not None:
            clauses.append(self.basis <= self.date_to)
        return clauses


def period_key(period: str) -> ColumnElement[int]:
    """The period as a number: YYYYMM for months, YYYYQ for quarters."""
    basis = col(Praktik.start_date) if period.startswith("start") else col(Praktik.end_date)
    return YearQuarter(basis) if period.endswith("quarter") else YearMonth(basis)


class YearMonth(FunctionElement[int]):
    """A date column's YYYYMM. SQLite reads the digits of its ISO text (`strftime`
    costs twice as much a row and takes a lock per call that two readers side by side
    wait on); PostgreSQL extracts them."""

    type = Integer()
    name = "year_month"
    inherit_cache = True


class YearQuarter(FunctionElement[int]):
    """A date column's YYYYQ (see `YearMonth`)."""

    type = Integer()
    name = "year_quarter"
    inherit_cache = True


@compiles(YearMonth)
@compiles(YearQuarter)
def _period_default(element: FunctionElement[int], compiler: Any, **kw: Any) -> str:
    [basis] = list(element.clauses)
    year = cast(extract("year", basis), Integer)
    month = cast(extract("month", basis), Integer)
    key = (
        year * 10 + (month - 1) // 3 + 1 if isinstance(element, YearQuarter) else year * 100 + month
    )
    # The numbers inline: the key in the GROUP BY must read as the one selected.
    return str(compiler.process(key, **{**kw, "literal_binds": True}))


@compiles(YearMonth, "sqlite")
@compiles(YearQuarter, "sqlite")
def _period_sqlite(element: FunctionElement[int], compiler: Any, **kw: Any) -> str:
    [basis] = list(element.clauses)
    column = compiler.process(basis, **kw)  # a Date column is stored as 'YYYY-MM-DD'
    year = f"CAST(substr({column}, 1, 4) AS INTEGER)"
    month = f"CAST(substr({column}, 6, 2) AS INTEGER)"
    if isinstance(element, YearQuarter):
        return f"({year} * 10 + ({month} - 1) / 3 + 1)"
    return f"({year} * 100 + {month})"


def dimension(name: str, period: str) -> ColumnElement[Any]:
    if name == "type":
        return func.coalesce(col(Praktik.type), "")
    if name == "target_group":
        return func.coalesce(col(Praktik.target_group), "")
    if name == "team":
        return func.coalesce(col(Praktik.team_id), "")
    if name == "company":
        return func.coalesce(col(Praktik.p_number), "")
    if name == "period":
        return period_key(period)
    raise ValueError(f"unknown dimension {name!r}")


def _keys(dims: Sequence[str], window: Window, cohort: bool = False) -> list[Any]:
    keys = [dimension(d, window.period).label(f"d{i}") for i, d in enumerate(dims)]
    if cohort:
        keys.append(period_key("end_quarter").label("cohort"))
    return keys


def _category(column: Any, categories: Mapping[str, str]) -> Any:
    """The category of an outcome/status value (values no flow offers any more: other)."""
    if not categories:
        return literal("other")
    return case(
        *((column == value, category) for value, category in sorted(categories.items())),
        else_="other",
    )


def _count(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _days(session: AsyncSession, later: Any, earlier: Any) -> Any:
    """Whole days from `earlier` to `later` (dates or timestamps)."""
    if session.get_bind().dialect.name == "sqlite":  # ISO text
        return cast(_sqlite_day(later) - _sqlite_day(earlier), Integer)
    return cast(later, Date) - cast(earlier, Date)


def _sqlite_day(column: Any) -> Any:
    """A column's day as SQLite's Julian day number: a Date column's as it is stored, a
    timestamp's at the start of its day. (Cut to its date with substr instead, a
    timestamp cost a third more, and the copy it made took a lock per row that two
    readers side by side waited on.)"""
    if isinstance(column.type, Date):
        return func.julianday(column)
    return func.julianday(column, "start of day")


async def _rows(session: AsyncSession, statement: Any) -> list[tuple[Any, ...]]:
    connection = await session.connection()
    return [tuple(row) for row in (await connection.execute(statement)).all()]


def _host_hire(categories: Mapping[str, str]) -> ColumnElement[bool]:
    """The end outcome is a job at the host company (the JSON is read only for jobs)."""
    jobs = sorted(value for value, category in categories.items() if category in JOBS)
    if not jobs:
        return literal(False)
    return and_(
        col(Praktik.outcome).in_(jobs),
        col(Praktik.outcome_detail)["outcome_at_host"].as_boolean().is_(True),
    )


async def exit_counts(
    session: AsyncSession,
    *,
    dims: Sequence[str],
    window: Window,
    scope: Scope,
    categories: Mapping[str, str],
    cutoffs: Mapping[int, dt.date],
    cohort: bool = False,
) -> list[tuple[Any, ...]]:
    """Per group and outcome value (None: not ended): praktikker, of them hired at the
    host company, and per status mark M those whose M months have passed
    (end_date <= cutoffs[M]). The caller maps outcome values to categories: grouping by
    the value keeps the per-row work to comparisons. `cohort`: the quarter of the end
    (`period_key("end_quarter")`) is one more key after the groups', so that one pass
    serves both the exit view and the cohorts (the caller sums over what it does not
    show)."""
    keys = _keys(dims, window, cohort)
    outcome = col(Praktik.outcome)
    measures = [
        func.count(),
        _count(_host_hire(categories)),
        *(_count(col(Praktik.end_date) <= cutoffs[m]) for m in sorted(cutoffs)),
    ]
    statement = (
        select(*keys, outcome, *measures)
        .where(*scope.where(), *window.where())
        .group_by(*keys, outcome)
    )
    return await _rows(session, statement)


CATEGORY_ORDER = (
    "ordinary_job",
    "subsidised_job",
    "education",
    "new_praktik",
    "unemployed",
    "other",
)


async def status_counts(
    session: AsyncSession,
    *,
    dims: Sequence[str],
    window: Window,
    scope: Scope,
    categories: Mapping[str, str],
    cohort: bool = False,
) -> list[tuple[Any, ...]]:
    """Per group and status mark (months after the end): statuses recorded, of them job
    or education, and of them a job at the host company. `cohort`: as in exit_counts."""
    keys = _keys(dims, window, cohort)
    wanted = sorted(v for v, c in categories.items() if c in JOB_OR_EDUCATION) or [""]
    jobs = sorted(v for v, c in categories.items() if c in JOBS) or [""]
    status = col(StatusRecord.status)
    host = and_(status.in_(jobs), col(StatusRecord.at_host).is_(True))
    months = col(StatusRecord.months_after_end)
    statement = (
        select(
            *keys,
            months,
            func.count(),
            _count(status.in_(wanted)),
            _count(host),
        )
        .join(Praktik, col(Praktik.id) == col(StatusRecord.praktik_id))
        .where(*scope.where(), *window.where())
        .group_by(*keys, months)
    )
    return await _rows(session, statement)


FOLLOWUP_KINDS = ("opstart", "midtvejs", "afslutning")


async def followup_compliance(
    session: AsyncSession,
    *,
    scope: Scope,
    date_from: dt.date | None,
    date_to: dt.date | None,
    late_after: int,
    decided_before: dt.date,
) -> list[tuple[Any, ...]]:
    """Per team, the plan's date and kind (opstart, midtvejs, afslutning; the
    type's plan only, cancelled ones left out) of the follow-ups that count — held, or
    not held although the plan's date is before `decided_before` (its time for being on
    time has run out): held on time (at most `late_after` working days after the plan's
    date), held late, and not held.

    The follow-up's own team and plan date (kept by the database, migration 0012) are
    the grouping keys: the groups come in the order of `ix_followups_compliance`, read
    without joining the praktikker and without a sort; that index holds only the
    follow-ups counted here (migration 0014)."""
    planned = col(FollowUp.planned_due)
    held = col(FollowUp.status) == "held"
    late = func.coalesce(col(FollowUp.held_days_late), 0) > late_after
    team = col(FollowUp.team_id)
    statement = (
        select(
            func.coalesce(team, ""),
            planned,
            col(FollowUp.kind),
            _count(and_(held, ~late)),
            _count(and_(held, late)),
            _count(and_(col(FollowUp.status) == "planned", planned < decided_before)),
        )
        .where(*scope.followup_where())
        .where(*_counted_followups())
        .where(or_(held, planned < decided_before))
    )
    if date_from is not None:
        statement = statement.where(planned >= date_from)
    if date_to is not None:
        statement = statement.where(planned <= date_to)
    statement = statement.group_by(team, planned, col(FollowUp.kind))
    return await _rows(session, statement)


def _counted_followups() -> list[ColumnElement[bool]]:
    """`storage.models.FOLLOWUPS_COUNTED`, with the values in the statement itself rather
    than as parameters, so that SQLite sees the WHERE of the partial index
    `ix_followups_compliance` implied and reads it (with parameters it sorted every
    follow-up instead)."""
    kinds: Any = bindparam(
        "counted_kinds", list(FOLLOWUP_KINDS), expanding=True, literal_execute=True
    )
    return [
        col(FollowUp.source) == literal("plan", literal_execute=True),
        col(FollowUp.kind).in_(kinds),
        col(FollowUp.status) != literal("cancelled", literal_execute=True),
    ]


async def overdue_now(
    session: AsyncSession, *, scope: Scope, today: dt.date
) -> list[tuple[Any, ...]]:
    """Per team and kind: planned follow-ups due before today, of active praktikker (and
    status follow-ups, which fall after the end)."""
    team = func.coalesce(col(Praktik.team_id), "")
    statement = (
        select(team, col(FollowUp.kind), func.count())
        .join(Praktik, col(Praktik.id) == col(FollowUp.praktik_id))
        .where(*scope.where())
        .where(col(FollowUp.status) == "planned")
        .where(col(FollowUp.due_date) < today)
        .where(or_(col(Praktik.status) == "active", col(FollowUp.kind) == "status"))
        .group_by(team, col(FollowUp.kind))
    )
    return await _rows(session, statement)


LEAD_BUCKETS = ((None, -1), (0, 7), (8, 14), (15, 30), (31, None))


DURATION_CLASSES = ("within", "extended", "over")


async def duration_counts(
    session: AsyncSession,
    *,
    dims: Sequence[str],
    window: Window,
    scope: Scope,
    rule_starts: Sequence[dt.date],
    limits: Sequence[Mapping[str, tuple[int, int | None]]],
) -> list[tuple[Any, ...]]:
    """Per group and length class (the index in DURATION_CLASSES: within the target
    group's limit, longer but within the limit after an assessed extension, or over):
    praktikker, one count per LEAD_BUCKETS bucket of days from registration to start
    (registered after the start: negative), and the sum of those days. One pass serves
    the duration and, summed over the class, the lead-time view.

    A praktik's limits are those of its target group in the rule set valid on its start
    date: `limits[i]` maps a target group id to (at most days, at most days after an
    extension or None) in the set that starts on `rule_starts[i]`; a length counts
    first and last day, and a group the set does not know is over. (Grouped by the
    length itself instead, with the limits applied by the caller, SQLite sorted a third
    more keys and the query cost half as much again.)

    The per-row values (the keys, the class and the lead time) are computed first: on
    SQLite in a MATERIALIZED CTE (merged into the grouping, the lead time's day count
    would be repeated in every bucket's condition; kept apart as a subquery with LIMIT -1
    OFFSET 0, a co-routine, two such queries side by side took twice as long each, the
    rows' copies taking a lock), on PostgreSQL in a subquery."""
    keys = [dimension(d, window.period).label(f"d{i}") for i, d in enumerate(dims)]
    length = _days(session, col(Praktik.end_date), col(Praktik.start_date)) + 1
    later = [(col(Praktik.start_date) >= day, index) for index, day in enumerate(rule_starts)]
    rules = case(*reversed(later[1:]), else_=0) if len(later) > 1 else literal(0)
    lead = _days(session, col(Praktik.start_date), col(Praktik.created_at)).label("lead")
    length_class = _length_class(
        length, col(Praktik.extension_assessed), rules, col(Praktik.target_group), limits
    )
    rows = select(*keys, length_class.label("c"), lead).where(*scope.where(), *window.where())
    if session.get_bind().dialect.name == "sqlite":
        classified: Any = rows.cte("per_row").prefix_with("MATERIALIZED")
    else:
        classified = rows.subquery()
    days = classified.c.lead
    buckets = []
    for low, high in LEAD_BUCKETS:
        conditions = []
        if low is not None:
            conditions.append(days >= low)
        if high is not None:
            conditions.append(days <= high)
        buckets.append(_count(and_(*conditions)))
    groups = [classified.c[f"d{i}"] for i in range(len(dims))] + [classified.c.c]
    statement = select(*groups, func.count(), *buckets, func.sum(days)).group_by(*groups)
    return await _rows(session, statement)


def _length_class(
    length: Any,
    assessed: Any,
    rules: Any,
    group: Any,
    limits: Sequence[Mapping[str, tuple[int, int | None]]],
) -> Any:
    """A praktik's index in DURATION_CLASSES, from its length in days, assessed
    extension, rule set (index) and target group: one CASE on the group (a group whose
    limits differ between the rule sets then asks for the set)."""

    def held(days: tuple[int, int | None] | None) -> Any:
        if days is None:  # a group this set does not know
            return literal(2)
        at_most, extended = days
        whens = [(length <= at_most, 0)]
        if extended is not None:
            whens.append((and_(assessed.is_(True), length <= extended), 1))
        return case(*whens, else_=2)

    by_group: dict[str, Any] = {}
    for name in sorted({name for one in limits for name in one}):
        per_set = [one.get(name) for one in limits]
        if all(days == per_set[0] for days in per_set):
            by_group[name] = held(per_set[0])
        else:
            by_group[name] = case(
                {index: held(days) for index, days in enumerate(per_set)},
                value=rules,
                else_=2,
            )
    if not by_group:
        return literal(2)
    return case(by_group, value=group, else_=2)


async def company_signals(
    session: AsyncSession,
    *,
    scope: Scope,
    categories: Mapping[str, str],
    status_categories: Mapping[str, str],
    recent_from: dt.date,
    p_numbers: Sequence[str] | None = None,
) -> list[tuple[Any, ...]]:
    """Per P-nr.: praktikker, active now, ended, ended with a hire at the host company
    after them (at the end, or in a later status), ended since `recent_from` and of them
    with a hire, and the ratio limit of the latest registration there."""
    jobs = sorted(v for v, c in status_categories.items() if c in JOBS) or [""]
    hired_later: Any = (
        select(col(StatusRecord.praktik_id).label("praktik_id"))
        .where(col(StatusRecord.status).in_(jobs), col(StatusRecord.at_host).is_(True))
        .distinct()
    )
    latest = (
        select(func.max(col(Praktik.id)))
        .where(col(Praktik.p_number).is_not(None))
        .group_by(col(Praktik.p_number))
    )
    wanted: list[ColumnElement[bool]] = []
    if p_numbers is not None:  # a few P-numbers (a registration's warning): read only theirs
        wanted.append(col(Praktik.p_number).in_(list(p_numbers)))
        theirs = select(col(Praktik.id)).where(*wanted)
        hired_later = hired_later.where(col(StatusRecord.praktik_id).in_(theirs))
        latest = latest.where(*wanted)
    later = hired_later.subquery()
    ended = col(Praktik.status) == "ended"
    hire = and_(ended, or_(_host_hire(categories), later.c.praktik_id.is_not(None)))
    recent = and_(ended, col(Praktik.end_date) >= recent_from)
    active = col(Praktik.status) == "active"
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        # SQLite's own rule: with one max() the query's bare columns are the row's with
        # that max, here the latest registration's (without the list of the latest ids
        # to look each praktik up in, the query costs a tenth less).
        limit: list[Any] = [func.max(col(Praktik.id)), col(Praktik.ratio_limit)]
    else:
        latest_limit = case((col(Praktik.id).in_(latest), col(Praktik.ratio_limit)), else_=None)
        limit = [func.max(latest_limit)]
    statement = (
        select(
            col(Praktik.p_number),
            func.count(),
            _count(active),
            _count(ended),
            _count(hire),
            _count(recent),
            _count(and_(recent, hire)),
            *limit,
        )
        .outerjoin(later, later.c.praktik_id == col(Praktik.id))
        .where(col(Praktik.p_number).is_not(None), *scope.where(), *wanted)
        .group_by(col(Praktik.p_number))
    )
    rows = await _rows(session, statement)
    return [(*row[:7], row[8]) for row in rows] if sqlite else rows


async def active_at_p_number(
    session: AsyncSession, *, p_number: str, consultant_id: int | None
) -> tuple[int, int]:
    """(active praktikker at the P-nr. of other consultants, how many consultants)."""
    statement = select(func.count(), func.count(func.distinct(col(Praktik.consultant_id)))).where(
        col(Praktik.p_number) == p_number, col(Praktik.status) == "active"
    )
    if consultant_id is not None:
        statement = statement.where(col(Praktik.consultant_id) != consultant_id)
    [(count, consultants)] = await _rows(session, statement)
    return int(count or 0), int(consultants or 0)
