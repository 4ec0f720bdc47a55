"""The report's views, each built from one or two aggregate queries (storage.report_queries).

- `exit`: exit to job or education at the end and 1/3/6/12 months after, by the chosen
  breakdowns (type, target group, team, period of start or end, P-nr.).
- `cohorts`: the same by quarter of the end.
- `followup`: start, midway and final follow-ups held on time, by team, month and kind.
- `overdue`: follow-ups overdue now, by team and kind.
- `duration`: praktikker within the target group's limit, extended after an assessment,
  or longer.
- `lead_time`: days from registration to start.
- `companies`: per P-nr.: praktikker, hires at the host company after them, the flag for
  repeated praktikker without a hire, and the places left under the ratio cap.

Definitions (also in the README): a follow-up is *held on time* when it is held at most
`report.on_time_working_days` working days after the date its plan set (postponing does
not move that date; changing the praktik's period does). A follow-up counts once its
time for being on time has run out, or once it is held; cancelled ones (the praktik
ended before them) do not count. A status after M months counts for the praktikker whose
M months have passed ("Forfaldne"); its share is job or education of the statuses
recorded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import AppConfig
from bot.followups.kinds import KINDS, followup_title
from bot.followups.plan import add_months
from bot.report.model import Column, View, add_total
from bot.workdays import WorkingDays
from dialogues.model import Flow
from storage import report_queries as rq
from storage.report_queries import (
    CATEGORY_ORDER,
    DURATION_CLASSES,
    LEAD_BUCKETS,
    Scope,
    Window,
)

VIEW_NAMES = ("exit", "cohorts", "followup", "overdue", "duration", "lead_time", "companies")
BY_VIEWS = ("exit", "duration", "lead_time")  # the views `Request.by` breaks down
DIMENSION_LABELS = {
    "type": "Type",
    "target_group": "Målgruppe",
    "team": "Team",
    "period": "Periode",
    "company": "P-nr.",
}
PERIOD_LABELS = {
    "start_month": "Startmåned",
    "start_quarter": "Startkvartal",
    "end_month": "Slutmåned",
    "end_quarter": "Slutkvartal",
}
CATEGORY_LABELS = {
    "ordinary_job": "Ordinært job",
    "subsidised_job": "Job med løntilskud",
    "education": "Uddannelse",
    "new_praktik": "Ny praktik",
    "unemployed": "Fortsat ledig",
    "other": "Andet",
}


@dataclass(frozen=True)
class Request:
    """What to report: breakdowns, the period's basis and range, and as of which day."""

    today: dt.date
    by: tuple[str, ...] = ("type",)
    period: str = "end_quarter"
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @property
    def window(self) -> Window:
        return Window(self.period, self.date_from, self.date_to)


def option_categories(flows: Mapping[str, Flow], effect: str, step: str) -> dict[str, str]:
    """Option value → category, from the options of `step` in the flows naming `effect`
    (the flow check makes every such option carry a category)."""
    meaning: dict[str, str] = {}
    for flow in flows.values():
        if effect in flow.on_complete and flow.has_step(step):
            for option in flow.step(step).options:
                meaning.setdefault(option.value, option.category or "other")
    return meaning


class Labels:
    """Danish labels of the breakdowns' values."""

    def __init__(self, config: AppConfig, period: str) -> None:
        self.config, self.period = config, period
        self.types: dict[str, str] = {str(t.id): t.label for t in config.types}
        self.groups: dict[str, str] = {}
        for rules in config.rules:
            self.groups.update({g.id: g.label for g in rules.target_groups})
        self.teams = {t.id: t.name for t in config.teams}

    def of(self, dim: str, value: Any) -> str:
        if dim == "type":
            return self.types.get(str(value), str(value))
        if dim == "target_group":
            return self.groups.get(str(value), str(value))
        if dim == "team":
            return self.teams.get(str(value), str(value)) if value else "Uden team"
        if dim == "company":
            return str(value) if value else "Uden P-nr."
        if dim == "period":
            return period_label(self.period, int(value))
        return str(value)

    def order(self, dim: str, value: Any) -> tuple[int, str]:
        """Sort key: types and target groups in configuration order."""
        if dim == "type":
            ids = list(self.types)
            return (ids.index(value) if value in ids else len(ids), str(value))
        if dim == "target_group":
            ids = list(self.groups)
            return (ids.index(value) if value in ids else len(ids), str(value))
        if dim == "kind":
            kinds = list(KINDS)
            return (kinds.index(value) if value in kinds else len(kinds), str(value))
        return (0, f"{value:>12}" if isinstance(value, int) else str(value))


def period_label(period: str, key: int) -> str:
    if period.endswith("quarter"):
        return f"{key // 10} K{key % 10}"
    return f"{key // 100}-{key % 100:02d}"


def _grouped(
    view: View, dims: Sequence[str], labels: Labels, rows: Sequence[tuple[Any, ...]]
) -> dict[tuple[Hashable, ...], dict[str, float | int | str | None]]:
    """Rows of a query (keys first) merged into the view's groups, in order."""
    groups: dict[tuple[Hashable, ...], dict[str, float | int | str | None]] = {}
    for row in rows:
        key = tuple(row[: len(dims)])
        groups.setdefault(key, {})
    ordered = sorted(
        groups, key=lambda k: tuple(labels.order(d, v) for d, v in zip(dims, k, strict=True))
    )
    for key in ordered:
        view.keys.append(key)
        view.labels.append(tuple(labels.of(d, v) for d, v in zip(dims, key, strict=True)))
        view.data.append(groups[key])
    return groups


# --- exit to job or education ---------------------------------------------------------------


def _exit_columns(
    months: Sequence[int], *, short: bool = False, started: bool = True
) -> tuple[Column, ...]:
    """The exit view's columns; `started`: also those not ended yet (a period by start
    date; one by end date counts ended praktikker only)."""
    columns: list[Column] = []
    if not short and started:
        columns += [
            Column("started", "Startet", quantity="praktikker"),
            Column("not_ended", "Ikke afsluttet"),
        ]
    columns.append(Column("ended", "Afsluttet", quantity="praktikker"))
    if not short:
        columns += [Column(c, CATEGORY_LABELS[c]) for c in CATEGORY_ORDER]
    columns += [
        Column("jobedu", "Job eller uddannelse"),
        Column("rate_end", "Andel job/udd. ved afslutning", "rate", "jobedu", "ended"),
    ]
    if not short:
        columns.append(Column("host", "Ansat i praktikvirksomheden"))
    for m in months:
        columns += [
            Column(f"due_{m}", f"Forfaldne {m} mdr."),
            Column(f"status_{m}", f"Status {m} mdr."),
            Column(f"jobedu_{m}", f"Job/udd. {m} mdr."),
            Column(f"rate_{m}", f"Andel job/udd. {m} mdr.", "rate", f"jobedu_{m}", f"status_{m}"),
        ]
    return tuple(columns)


JOB_OR_EDUCATION = ("ordinary_job", "subsidised_job", "education")
EXIT_SUMS = [
    ("started", ("not_ended", "ended")),
    ("ended", CATEGORY_ORDER),
    ("jobedu", JOB_OR_EDUCATION),
    # ended - jobedu = the rest: listed too, so that it cannot be used either.
    ("ended", ("jobedu", "new_praktik", "unemployed", "other")),
]


def exit_subsets(months: Sequence[int]) -> list[tuple[str, str]]:
    """The exit view's inequalities (part <= whole) a reader can tell from the headers:
    job or education at most ended, a job at the host company at most job or
    education; those whose M months have passed at most ended, and at most those whose
    fewer months have passed; statuses after M months at most those due, job or
    education then at most the statuses. (Applied where they hold: `row_subsets`.)"""
    marks = sorted(months)
    pairs = [("jobedu", "ended"), ("host", "jobedu")]
    for index, m in enumerate(marks):
        pairs += [
            (f"due_{m}", "ended"),
            (f"status_{m}", f"due_{m}"),
            (f"jobedu_{m}", f"status_{m}"),
        ]
        pairs += [(f"due_{m}", f"due_{fewer}") for fewer in marks[:index]]
    return pairs


ExitRows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]


async def exit_rows(
    session: AsyncSession,
    config: AppConfig,
    flows: Mapping[str, Flow],
    request: Request,
    scope: Scope,
    *,
    cohort: bool = False,
) -> ExitRows:
    """The exit view's two aggregates (outcomes; statuses after the end) for the
    request's breakdowns; `cohort`: with the quarter of the end as one more key after
    them (see `split_cohort`)."""
    counts = await exit_outcome_rows(session, config, flows, request, scope, cohort=cohort)
    statuses = await exit_status_rows(session, config, flows, request, scope, cohort=cohort)
    return counts, statuses


async def exit_outcome_rows(
    session: AsyncSession,
    config: AppConfig,
    flows: Mapping[str, Flow],
    request: Request,
    scope: Scope,
    *,
    cohort: bool = False,
) -> list[tuple[Any, ...]]:
    """The first of `exit_rows`: the outcomes at the end."""
    return await rq.exit_counts(
        session,
        dims=request.by,
        window=request.window,
        scope=scope,
        categories=option_categories(flows, "record_outcome", "outcome"),
        cutoffs={m: add_months(request.today, -m) for m in config.status_months},
        cohort=cohort,
    )


async def exit_status_rows(
    session: AsyncSession,
    config: AppConfig,
    flows: Mapping[str, Flow],
    request: Request,
    scope: Scope,
    *,
    cohort: bool = False,
) -> list[tuple[Any, ...]]:
    """The second of `exit_rows`: the statuses after the end."""
    return await rq.status_counts(
        session,
        dims=request.by,
        window=request.window,
        scope=scope,
        categories=option_categories(flows, "record_status", "status"),
        cohort=cohort,
    )


def fold(rows: Sequence[tuple[Any, ...]], keys: Sequence[int], first: int) -> list[tuple[Any, ...]]:
    """Rows of an aggregate summed over the key columns not in `keys` (indices); the
    columns from `first` on are the counts and sums."""
    sums: dict[tuple[Any, ...], list[int]] = {}
    for row in rows:
        key = tuple(row[i] for i in keys)
        found = sums.get(key)
        values = [int(value or 0) for value in row[first:]]
        if found is None:
            sums[key] = values
        else:
            for index, value in enumerate(values):
                found[index] += value
    return [(*key, *values) for key, values in sums.items()]


def split_cohort(rows: ExitRows, dims: int) -> tuple[ExitRows, ExitRows]:
    """`exit_rows(cohort=True)` as the exit view's rows and the cohorts' (by the quarter
    of the end alone). Both aggregates have one more key after the groups' and the cohort
    (outcome; status mark), then their counts."""
    own = [*range(dims), dims + 1]
    quarter = [dims, dims + 1]
    counts, statuses = rows
    return (
        (fold(counts, own, dims + 2), fold(statuses, own, dims + 2)),
        (fold(counts, quarter, dims + 2), fold(statuses, quarter, dims + 2)),
    )


async def exit_view(
    session: AsyncSession,
    config: AppConfig,
    flows: Mapping[str, Flow],
    request: Request,
    scope: Scope,
    *,
    name: str = "Afgang",
    title: str = "Afgang til job eller uddannelse",
    short: bool = False,
    rows: ExitRows | None = None,
) -> View:
    """The exit view; `rows`: its aggregates when already fetched (`exit_rows`)."""
    dims = request.by
    labels = Labels(config, request.period)
    months = config.status_months
    view = View(
        name=name,
        title=title,
        dims=tuple(_dim_label(d, request.period) for d in dims),
        columns=_exit_columns(months, short=short, started=request.period.startswith("start")),
    )
    if rows is None:
        rows = await exit_rows(session, config, flows, request, scope)
    counts, statuses = rows
    categories = option_categories(flows, "record_outcome", "outcome")
    groups = _grouped(view, dims, labels, counts)
    k = len(dims)
    marks = sorted(months)
    for entry in groups.values():
        entry.update(dict.fromkeys(("started", "ended", "not_ended", "host", "jobedu"), 0))
        entry.update(dict.fromkeys(CATEGORY_ORDER, 0))
        entry.update({f"due_{m}": 0 for m in marks})
    for row in counts:
        entry = groups[tuple(row[:k])]
        outcome, number, host, *due = row[k:]
        count = int(number or 0)
        entry["started"] = int(entry["started"] or 0) + count
        if outcome is None:
            entry["not_ended"] = int(entry["not_ended"] or 0) + count
            continue
        category = categories.get(str(outcome), "other")
        entry["ended"] = int(entry["ended"] or 0) + count
        entry[category] = int(entry[category] or 0) + count
        if category in JOB_OR_EDUCATION:
            entry["jobedu"] = int(entry["jobedu"] or 0) + count
        entry["host"] = int(entry["host"] or 0) + int(host or 0)
        for m, n in zip(marks, due, strict=True):
            entry[f"due_{m}"] = int(entry[f"due_{m}"] or 0) + int(n or 0)
    for row in statuses:
        found = groups.get(tuple(row[:k]))
        months_after, recorded, jobedu, _host = row[k:]
        if found is None or months_after not in months:
            continue
        found[f"status_{months_after}"] = int(recorded or 0)
        found[f"jobedu_{months_after}"] = int(jobedu or 0)
    keys = {c.key for c in view.columns}
    if not short:
        view.sums = [(total, parts) for total, parts in EXIT_SUMS if total in keys]
    view.subsets = [pair for pair in exit_subsets(marks) if {*pair} <= keys]
    add_total(view)
    return view


def narrow_exit(view: View, months: tuple[int, ...]) -> View:
    """An exit view with the columns Home shows (hidden cells as in the whole view)."""
    if view.name != "Afgang":
        return view
    wanted = {"ended", "jobedu", "rate_end", *(f"rate_{m}" for m in months)}
    narrowed = dataclasses.replace(view, columns=tuple(c for c in view.columns if c.key in wanted))
    narrowed._hidden = view.hidden()
    return narrowed


def _dim_label(dim: str, period: str) -> str:
    return PERIOD_LABELS[period] if dim == "period" else DIMENSION_LABELS[dim]


# --- follow-up compliance ---------------------------------------------------------------------


async def followup_view(
    session: AsyncSession, config: AppConfig, request: Request, scope: Scope
) -> View:
    grace = config.report.on_time_working_days
    days = WorkingDays(config.calendar)
    decided_before = days.add(request.today, -grace) if grace else request.today
    rows = await rq.followup_compliance(
        session,
        scope=scope,
        date_from=request.date_from,
        date_to=request.date_to,
        late_after=grace,
        decided_before=decided_before,
    )
    labels = Labels(config, "start_month")
    view = View(
        name="Opfølgning",
        title=(f"Opfølgning holdt til tiden (højst {grace} arbejdsdage efter planens dato)"),
        dims=("Team", "Måned", "Opfølgning"),
        columns=(
            Column("due", "Forfaldne"),
            Column("on_time", "Holdt til tiden"),
            Column("late", "Holdt for sent"),
            Column("missed", "Ikke holdt"),
            Column("rate", "Andel til tiden", "rate", "on_time", "due"),
        ),
        sums=[("due", ("on_time", "late", "missed"))],
        # Fixed breakdowns: a run filtered to one team and month (--team, --from, --to)
        # shows their sums over the kinds. (Team and month totals alone, from a run
        # filtered to one of them, are not modelled: they hid most of the view.)
        keep=((0, 1),),
    )
    months: dict[tuple[str, int, str], list[int]] = {}
    for team, planned, kind, on_time, late, missed in rows:
        day = planned if isinstance(planned, dt.date) else dt.date.fromisoformat(str(planned))
        sums = months.setdefault((team, day.year * 100 + day.month, kind), [0, 0, 0])
        for index, value in enumerate((on_time, late, missed)):
            sums[index] += int(value or 0)
    order = sorted(
        months, key=lambda k: (labels.of("team", k[0]), k[1], labels.order("kind", k[2]))
    )
    for team, month, kind in order:
        on, lt, ms = months[(team, month, kind)]
        view.keys.append((team, month, kind))
        view.labels.append(
            (labels.of("team", team), period_label("month", month), followup_title(kind))
        )
        view.data.append({"due": on + lt + ms, "on_time": on, "late": lt, "missed": ms})
    add_total(view)
    return view


async def overdue_view(
    session: AsyncSession, config: AppConfig, request: Request, scope: Scope
) -> View:
    rows = await rq.overdue_now(session, scope=scope, today=request.today)
    labels = Labels(config, "start_month")
    view = View(
        name="Overskredne",
        title="Opfølgninger overskredet nu",
        dims=("Team", "Opfølgning"),
        columns=(Column("overdue", "Overskredne nu"),),
        keep=((0,),),  # a run filtered to a team (--team) shows its sum
    )
    for team, kind, count in sorted(
        rows, key=lambda r: (labels.of("team", r[0]), labels.order("kind", r[1]))
    ):
        view.keys.append((team, kind))
        view.labels.append((labels.of("team", team), followup_title(kind)))
        view.data.append({"overdue": int(count or 0)})
    add_total(view)
    return view


# --- duration and lead time -------------------------------------------------------------------


async def duration_rows(
    session: AsyncSession, config: AppConfig, request: Request, scope: Scope
) -> list[tuple[Any, ...]]:
    """The aggregate both the duration and the lead-time view are built from."""
    return await rq.duration_counts(
        session,
        dims=request.by,
        window=request.window,
        scope=scope,
        rule_starts=[rules.valid_from for rules in config.rules],
        limits=[
            {
                group.id: (
                    group.max_weeks * 7,
                    None if group.extendable_to_weeks is None else group.extendable_to_weeks * 7,
                )
                for group in rules.target_groups
            }
            for rules in config.rules
        ],
    )


async def duration_view(
    session: AsyncSession,
    config: AppConfig,
    request: Request,
    scope: Scope,
    rows: list[tuple[Any, ...]] | None = None,
) -> View:
    """`rows`: `duration_rows` when already fetched."""
    dims = request.by
    labels = Labels(config, request.period)
    view = View(
        name="Varighed",
        title="Varighed inden for målgruppens grænse (LAB § 61)",
        dims=tuple(_dim_label(d, request.period) for d in dims),
        columns=(
            Column("praktikker", "Praktikker"),
            Column("within", "Inden for grænsen"),
            Column("extended", "Forlænget efter konkret vurdering"),
            Column("over", "Over grænsen"),
            Column("rate_within", "Andel inden for grænsen", "rate", "within", "praktikker"),
        ),
        sums=[("praktikker", ("within", "extended", "over"))],
    )
    if rows is None:
        rows = await duration_rows(session, config, request, scope)
    groups = _grouped(view, dims, labels, rows)
    k = len(dims)
    for entry in groups.values():
        entry.update(praktikker=0, within=0, extended=0, over=0)
    for row in rows:
        length_class, number = row[k : k + 2]
        entry = groups[tuple(row[:k])]
        count = int(number or 0)
        key = DURATION_CLASSES[int(length_class)]
        entry["praktikker"] = int(entry["praktikker"] or 0) + count
        entry[key] = int(entry[key] or 0) + count
    add_total(view)
    return view


LEAD_COLUMNS = ("after_start", "d0_7", "d8_14", "d15_30", "d31")
LEAD_LABELS = ("Registreret efter start", "0-7 dage", "8-14 dage", "15-30 dage", "Over 30 dage")
assert len(LEAD_COLUMNS) == len(LEAD_BUCKETS)


async def lead_time_view(
    session: AsyncSession,
    config: AppConfig,
    request: Request,
    scope: Scope,
    rows: list[tuple[Any, ...]] | None = None,
) -> View:
    """From the duration's aggregate (`rows`: `duration_rows` when already fetched),
    summed over its keys beyond the breakdowns."""
    dims = request.by
    labels = Labels(config, request.period)
    view = View(
        name="Tid til start",
        title="Tid fra registrering til start",
        dims=tuple(_dim_label(d, request.period) for d in dims),
        columns=(
            Column("praktikker", "Praktikker"),
            *(Column(k, label) for k, label in zip(LEAD_COLUMNS, LEAD_LABELS, strict=True)),
            Column("days", "Dage i alt", "internal"),
            Column("average", "Gns. dage til start", "average", "days", "praktikker"),
        ),
        sums=[("praktikker", LEAD_COLUMNS)],
    )
    if rows is None:
        rows = await duration_rows(session, config, request, scope)
    k = len(dims)
    # After the breakdowns: the length class; then the counts.
    rows = fold(rows, range(k), k + 1)
    if not rows and not dims:  # no breakdown: one total row, also of no praktikker
        rows = [(0,) * (len(LEAD_BUCKETS) + 2)]
    groups = _grouped(view, dims, labels, rows)
    for row in rows:
        total, *buckets, days = row[k:]
        entry = groups[tuple(row[:k])]
        entry.update(praktikker=int(total or 0), days=int(days or 0))
        entry.update({c: int(v or 0) for c, v in zip(LEAD_COLUMNS, buckets, strict=True)})
    add_total(view)
    return view


# --- companies --------------------------------------------------------------------------------


async def companies_view(
    session: AsyncSession,
    config: AppConfig,
    flows: Mapping[str, Flow],
    request: Request,
    scope: Scope,
) -> View:
    window = config.report.company_window_months
    threshold = config.report.repeat_without_hire
    rows = await rq.company_signals(
        session,
        scope=scope,
        categories=option_categories(flows, "record_outcome", "outcome"),
        status_categories=option_categories(flows, "record_status", "status"),
        recent_from=add_months(request.today, -window),
    )
    view = View(
        name="Virksomheder",
        title=(
            f"Virksomheder (P-nr.): praktikker og ansættelser bagefter; flag: mindst "
            f"{threshold} afsluttede praktikker de seneste {window} måneder uden ansættelse"
        ),
        dims=("P-nr.",),
        columns=(
            Column("praktikker", "Praktikker"),
            Column("active", "I gang"),
            Column("ended", "Afsluttede"),
            Column("hires", "Ansat i virksomheden bagefter"),
            Column("flag", "Gentagne praktikker uden ansættelse", "text"),
            Column(
                "places", "Pladser tilbage under rimelighedskravet", "remaining", None, "active"
            ),
        ),
        sums=[("praktikker", ("active", "ended"))],
        subsets=[("hires", "ended")],
    )
    for p_number, total, active, ended, hires, recent, recent_hires, limit in sorted(rows):
        view.keys.append((p_number,))
        view.labels.append((str(p_number),))
        flagged = int(recent or 0) >= threshold and not int(recent_hires or 0)
        view.data.append(
            {
                "praktikker": int(total or 0),
                "active": int(active or 0),
                "ended": int(ended or 0),
                "hires": int(hires or 0),
                "flag": "Ja" if flagged else "",
                "places": None if limit is None else max(0, int(limit) - int(active or 0)),
            }
        )
    add_total(view)
    if view.total is not None:
        view.total["flag"] = str(sum(1 for r in view.data if r["flag"] == "Ja"))
    return view
