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


LINKED_VIEWS = ("Afgang", "Varighed", "Tid til start")  # count the same praktikker


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
    async with db.snapshots(min(READERS, len(jobs) or 1)) as sessions:
        free: asyncio.Queue[AsyncSession] = asyncio.Queue()
        for session in sessions:
            free.put_nowait(session)

        async def on_a_reader(job: Job) -> dict[str, View]:
            session = await free.get()
            try:
                return await job(session)
            finally:
                free.put_nowait(session)

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
    min_size = config.report.min_cell_size
    for view in built:
        view.suppressed = not audience.own
        view.min_size = min_size
    # The exit view's ended praktikker are the duration and lead-time views' praktikker
    # by end date: suppressed as one table, a count hidden in one is hidden in all.
    linked = [view for view in built if view.name in LINKED_VIEWS]
    if len(linked) > 1:
        for view in linked:
            view.together = linked
    return Report(request, audience, built, min_size, synthetic)


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

    # Longest first (on the bench's store: the exit view's statuses, companies, the exit
    # view's outcomes, duration and lead time, follow-up compliance, overdue), so that
    # the readers finish about together: `build_report` hands the jobs out in this order
    # to whichever reader is free.
    exits: list[Job] = []
    if {"exit", "cohorts"} <= wanted and request.period.startswith("end"):
        exits = exit_reads(request, True, exit_and_cohorts)
    else:
        exits += exit_reads(request, False, exit_only) if "exit" in wanted else []
        exits += exit_reads(cohorts, False, cohorts_only) if "cohorts" in wanted else []
    jobs += exits[:1]
    jobs += [companies] if "companies" in wanted else []
    jobs += exits[1:]
    jobs += [lengths] if wanted & {"duration", "lead_time"} else []
    for name, job in (("followup", followup), ("overdue", overdue)):
        if name in wanted:
            jobs.append(job)
    return jobs


def _range(request: Request) -> tuple[dt.date | None, dt.date | None]:
    """A cohort report keeps the range only when it is about end dates."""
    if request.period.startswith("end"):
        return request.date_from, request.date_to
    return None, None
