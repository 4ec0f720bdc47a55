"""Outcome reports the municipality can act on: one report model for every surface.

`build_report` runs the views' aggregate queries (`bot.report.views`) for an audience
(`Audience`: whose praktikker, and whether small cells are suppressed) and audits the
export or view; `bot.report.export` writes the result as a text table, CSV, JSON or
XLSX; Home's Resultater (`bot.slack.results`) and the monthly overview
(`bot.reminders.render`) show views of the same report.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import AppConfig
from bot.report import views as v
from bot.report.model import View
from bot.report.views import BY_VIEWS, VIEW_NAMES, Request, option_categories
from dialogues.model import Flow
from storage import queries
from storage.db import Database
from storage.report_queries import DIMENSIONS, PERIODS, Scope

__all__ = [
    "BY_VIEWS",
    "DIMENSIONS",
    "PERIODS",
    "VIEW_NAMES",
    "Audience",
    "Report",
    "Request",
    "build_report",
    "option_categories",
]


# The views that count the same praktikker (Afgang, Varighed, Tid til start).
LINKED_VIEWS = ("exit", "duration", "lead_time")


@dataclass(frozen=True)
class Audience:
    """Who sees a report: which praktikker it counts and whether small cells are hidden.
    Only a consultant's own view is exact; everything else (channel posts, exports, the
    administration's and team leads' views) is suppressed."""

    scope: Scope = field(default_factory=Scope)
    own: bool = False
    label: str = "alle"

    @classmethod
    def everyone(cls) -> Audience:
        return cls(Scope(), label="alle")

    @classmethod
    def teams(cls, team_ids: frozenset[str]) -> Audience:
        return cls(Scope(team_ids=team_ids), label="team:" + ",".join(sorted(team_ids)))

    @classmethod
    def consultant(cls, consultant_id: int) -> Audience:
        return cls(Scope(consultant_id=consultant_id), own=True, label="egne")


@dataclass
class Report:
    request: Request
    audience: Audience
    views: list[View]
    min_size: int
    synthetic: bool = False  # the store holds demo data (`praktikbot demo seed`)

    def view(self, name: str) -> View:
        return next(view for view in self.views if view.name == name)


async def build_report(
    db: Database,
    config: AppConfig,
    flows: Mapping[str, Flow],
    *,
    request: Request,
    audience: Audience,
    actor: str,
    views: Sequence[str] = VIEW_NAMES,
    action: str = "export",
    what: str = "report",
) -> Report:
    """The views for the audience, read in one snapshot of the store by `READERS`
    connections side by side (`Database.snapshots`: every view sees the same state, and
    writers are not held up while the report is built), then audited in a transaction of
    its own (ids and counts only: the views, breakdowns, period and number of rows)."""
    unknown = set(views) - set(VIEW_NAMES)
    if unknown:
        raise ValueError(f"unknown views: {', '.join(sorted(unknown))}")
    scope = audience.scope
    jobs = _jobs(config, flows, request, scope, views)
    early = _Suppression(views, audience, config.report.min_cell_size)
    async with db.snapshots(min(READERS, len(jobs) or 1)) as sessions:
        free: asyncio.Queue[AsyncSession] = asyncio.Queue()
        for session in sessions:
            free.put_nowait(session)
        waiting = len(jobs)  # jobs no reader has started

        async def on_a_reader(job: Job) -> dict[str, View]:
            nonlocal waiting
            session = await free.get()
            waiting -= 1
            try:
                made = await job(session)
            finally:
                free.put_nowait(session)
            early.add(made)
            if not waiting:  # no job waits for a reader: suppress while the others read
                early.suppress()
            return made

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(on_a_reader(job)) for job in jobs]
        by_name = {name: view for task in tasks for name, view in task.result().items()}
        built = [by_name[name] for name in views]
        synthetic = await queries.store_mark(sessions[0], name="synthetic") is not None
    async with db.transaction() as session:
        await queries.audit(
            session,
            actor=actor,
            action=action,
            detail={
                "what": what,
                "audience": audience.label,
                "views": list(views),
                "by": list(request.by),
                "period": request.period,
                "from": request.date_from.isoformat() if request.date_from else None,
                "to": request.date_to.isoformat() if request.date_to else None,
                "rows": sum(len(view.data) for view in built),
            },
        )
    return Report(request, audience, built, early.min_size, synthetic)


class _Suppression:
    """The views of a report as its jobs make them: the audience's suppression set on
    each, and the exit, duration and lead-time views linked (their ended praktikker are
    the same: suppressed as one table, a count hidden in one is hidden in all).
    `suppress` works out the hidden cells of the views made so far (the linked ones once
    all of them are there), which `View.shown()` would otherwise do later:
    `build_report` calls it once no job waits for a reader, so that it runs while the
    last reads do."""

    def __init__(self, views: Sequence[str], audience: Audience, min_size: int) -> None:
        self.linked = [name for name in views if name in LINKED_VIEWS]
        self.on = not audience.own
        self.min_size = min_size
        self.made: dict[str, View] = {}
        self.done: set[str] = set()

    def add(self, made: Mapping[str, View]) -> None:
        for view in made.values():
            view.suppressed = self.on
            view.min_size = self.min_size
        self.made.update(made)
        if len(self.linked) > 1 and all(name in self.made for name in self.linked):
            together = [self.made[name] for name in self.linked]
            for view in together:
                view.together = together

    def suppress(self) -> None:
        if not self.on:
            return
        for name, view in self.made.items():
            waits = len(self.linked) > 1 and name in self.linked and not view.together
            if name not in self.done and not waits:
                view.hidden()
                self.done.add(name)


Job = Callable[[AsyncSession], Awaitable[dict[str, View]]]
# Connections reading a report side by side: each view's queries run on one of them.
READERS = min(4, os.cpu_count() or 1)


def _jobs(
    config: AppConfig,
    flows: Mapping[str, Flow],
    request: Request,
    scope: Scope,
    views: Sequence[str],
) -> list[Job]:
    """The views' reads, each a job for one connection. Views that count the same rows
    share one pass over them: the exit view and the cohorts when the period is by end
    date (the same window; the cohort's quarter is one more key, summed away for the
    exit view), and the duration and lead-time views. The exit view's two aggregates
    (outcomes, statuses) are two jobs, so that two readers can read them side by side;
    the one done second builds the views."""
    cohorts = Request(request.today, ("period",), "end_quarter", *_range(request))
    cohort_title = "Kohorter efter slutkvartal: job eller uddannelse over tid"
    wanted = set(views)
    jobs: list[Job] = []

    def exit_reads(
        read_for: Request,
        cohort: bool,
        build: Callable[[AsyncSession, v.ExitRows], Awaitable[dict[str, View]]],
    ) -> list[Job]:
        parts: dict[str, list[tuple[Any, ...]]] = {}

        async def done(session: AsyncSession) -> dict[str, View]:
            if len(parts) < 2:
                return {}
            return await build(session, (parts["outcomes"], parts["statuses"]))

        async def outcomes(session: AsyncSession) -> dict[str, View]:
            parts["outcomes"] = await v.exit_outcome_rows(
                session, config, flows, read_for, scope, cohort=cohort
            )
            return await done(session)

        async def statuses(session: AsyncSession) -> dict[str, View]:
            parts["statuses"] = await v.exit_status_rows(
                session, config, flows, read_for, scope, cohort=cohort
            )
            return await done(session)

        return [statuses, outcomes]

    async def exit_and_cohorts(session: AsyncSession, both: v.ExitRows) -> dict[str, View]:
        own_rows, cohort_rows = v.split_cohort(both, len(request.by))
        own = await v.exit_view(session, config, flows, request, scope, rows=own_rows)
        by_end = await cohort_view(session, cohort_rows)
        return {"exit": own, "cohorts": by_end}

    async def exit_only(session: AsyncSession, rows: v.ExitRows) -> dict[str, View]:
        return {"exit": await v.exit_view(session, config, flows, request, scope, rows=rows)}

    async def cohort_view(session: AsyncSession, rows: v.ExitRows) -> View:
        return await v.exit_view(
            session, config, flows, cohorts, scope, name="Kohorter", title=cohort_title,
            short=True, rows=rows,
        )  # fmt: skip

    async def cohorts_only(session: AsyncSession, rows: v.ExitRows) -> dict[str, View]:
        return {"cohorts": await cohort_view(session, rows)}

    async def lengths(session: AsyncSession) -> dict[str, View]:
        rows = await v.duration_rows(session, config, request, scope)
        made: dict[str, View] = {}
        if "duration" in wanted:
            made["duration"] = await v.duration_view(session, config, request, scope, rows)
        if "lead_time" in wanted:
            made["lead_time"] = await v.lead_time_view(session, config, request, scope, rows)
        return made

    async def followup(session: AsyncSession) -> dict[str, View]:
        return {"followup": await v.followup_view(session, config, request, scope)}

    async def overdue(session: AsyncSession) -> dict[str, View]:
        return {"overdue": await v.overdue_view(session, config, request, scope)}

    async def companies(session: AsyncSession) -> dict[str, View]:
        return {"companies": await v.companies_view(session, config, flows, request, scope)}

    # `build_report` hands the jobs out in this order to whichever reader is free: about
    # longest first, so that the readers finish about together (on the bench's store:
    # the exit view's statuses 150 ms, companies 170, follow-up compliance 130, the exit
    # view's outcomes 125, duration and lead time 120, overdue 65), except that the
    # follow-up view comes before the shorter exit and duration reads, because its
    # suppression is the longest (30 ms) and can run while they do.
    exits: list[Job] = []
    if {"exit", "cohorts"} <= wanted and request.period.startswith("end"):
        exits = exit_reads(request, True, exit_and_cohorts)
    else:
        exits += exit_reads(request, False, exit_only) if "exit" in wanted else []
        exits += exit_reads(cohorts, False, cohorts_only) if "cohorts" in wanted else []
    jobs += exits[:1]
    jobs += [companies] if "companies" in wanted else []
    jobs += [followup] if "followup" in wanted else []
    jobs += exits[1:]
    jobs += [lengths] if wanted & {"duration", "lead_time"} else []
    jobs += [overdue] if "overdue" in wanted else []
    return jobs


def _range(request: Request) -> tuple[dt.date | None, dt.date | None]:
    """A cohort report keeps the range only when it is about end dates."""
    if request.period.startswith("end"):
        return request.date_from, request.date_to
    return None, None
