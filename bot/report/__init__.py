"""Outcome reports the municipality can act on: one report model for every surface.

`build_report` runs the views' aggregate queries (`bot.report.views`) for an audience
(`Audience`: whose praktikker, and whether small cells are suppressed) and audits the
export or view; `bot.report.export` writes the result as a text table, CSV, JSON or
XLSX; Home's Resultater (`bot.slack.results`) and the monthly overview
(`bot.reminders.render`) show views of the same report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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
    """The views for the audience, read in one snapshot of the store (`Database.snapshot`:
    writers are not held up while the report is built), then audited in a transaction of
    its own (ids and counts only: the views, breakdowns, period and number of rows)."""
    unknown = set(views) - set(VIEW_NAMES)
    if unknown:
        raise ValueError(f"unknown views: {', '.join(sorted(unknown))}")
    scope = audience.scope
    built: list[View] = []
    async with db.snapshot() as session:
        # Views that count the same praktikker share one pass over them: the exit view
        # and the cohorts when the period is by end date (the same window; the cohort's
        # quarter is one more key, summed away for the exit view).
        own_rows = cohort_rows = lengths = None
        if {"exit", "cohorts"} <= set(views) and request.period.startswith("end"):
            both = await v.exit_rows(session, config, flows, request, scope, cohort=True)
            own_rows, cohort_rows = v.split_cohort(both, len(request.by))
        for name in views:
            if name == "exit":
                built.append(
                    await v.exit_view(session, config, flows, request, scope, rows=own_rows)
                )
            elif name == "cohorts":
                cohorts = Request(request.today, ("period",), "end_quarter", *_range(request))
                built.append(
                    await v.exit_view(
                        session,
                        config,
                        flows,
                        cohorts,
                        scope,
                        name="Kohorter",
                        title="Kohorter efter slutkvartal: job eller uddannelse over tid",
                        short=True,
                        rows=cohort_rows,
                    )
                )
            elif name == "followup":
                built.append(await v.followup_view(session, config, request, scope))
            elif name == "overdue":
                built.append(await v.overdue_view(session, config, request, scope))
            elif name in ("duration", "lead_time"):
                if lengths is None:  # one pass for both
                    lengths = await v.duration_rows(session, config, request, scope)
                make = v.duration_view if name == "duration" else v.lead_time_view
                built.append(await make(session, config, request, scope, lengths))
            elif name == "companies":
                built.append(await v.companies_view(session, config, flows, request, scope))
        synthetic = await queries.store_mark(session, name="synthetic") is not None
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
    return Report(request, audience, built, min_size, synthetic)


def _range(request: Request) -> tuple[dt.date | None, dt.date | None]:
    """A cohort report keeps the range only when it is about end dates."""
    if request.period.startswith("end"):
        return request.date_from, request.date_to
    return None, None
