"""Home's "Resultater": outcomes for a team lead (their teams) and an administrator (all).

The same report model as the CLI (`bot.report`), suppressed as everything outside a
consultant's own view: exit to job or education by type (a `data_table` and a bar chart
of the rate at the end and 1/3/6/12 months after), the rate by quarter of the end per
type (a line chart), follow-ups held on time last month and overdue now per team.

Slack's `data_table` and `data_visualization` blocks are not in every workspace. How the
bot knows (`slack.rich_blocks` in app.yaml): "auto" publishes them and, when Slack
refuses the view (invalid_arguments / invalid_blocks), publishes the plain-text version
instead and remembers that for the rest of the process; "never" always sends plain text;
"always" never falls back.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import ids
from bot.blocks.kit import VIEW_BLOCKS, Block, actions, button, chunks, context, header, section
from bot.followups.plan import add_months
from bot.report import Audience, Report, Request, build_report
from bot.report.export import SYNTHETIC, view_table
from bot.report.model import Shown, View
from bot.report.views import narrow_exit
from bot.slack.deps import SlackDeps

log = logging.getLogger(__name__)

REFUSED = frozenset({"invalid_arguments", "invalid_blocks", "invalid_blocks_format"})
TABLE_ROWS = 20
CHART_SERIES = 6
TABLE_CHUNK = 2800  # characters of a text table per section (in a code block)


def may_see_results(roles: Any) -> bool:
    return bool(roles.admin or roles.lead_of)


def audience_of(roles: Any) -> Audience | None:
    if roles.admin:
        return Audience.everyone()
    if roles.lead_of:
        return Audience.teams(frozenset(roles.lead_of))
    return None


async def results_report(deps: SlackDeps, user_id: str, audience: Audience) -> list[Report]:
    today = deps.clock().astimezone(deps.config.tz).date()
    year_ago = add_months(today, -12)
    actor = f"slack:{user_id}"

    async def one(request: Request, views: list[str]) -> Report:
        return await build_report(
            deps.db, deps.config, deps.flows, request=request, audience=audience, actor=actor,
            views=views, action="view", what="results",
        )  # fmt: skip

    by_type = await one(Request(today, ("type",), "end_quarter", year_ago, today), ["exit"])
    quarters = await one(
        Request(today, ("period", "type"), "end_quarter", add_months(today, -24), today),
        ["exit"],
    )
    month_start = today.replace(day=1)
    last_month = add_months(month_start, -1)
    followups = await one(
        Request(today, ("type",), "end_quarter", last_month, month_start - dt.timedelta(days=1)),
        ["followup", "overdue"],
    )
    return [by_type, quarters, followups]


def _cell(value: Shown, kind: str) -> dict[str, Any]:
    if isinstance(value, int) and kind == "count":
        return {"type": "raw_number", "value": value, "text": str(value)}
    if isinstance(value, float) and kind == "rate":
        return {"type": "raw_number", "value": value, "text": f"{value:.0%}"}
    return {"type": "raw_text", "text": str(value) if value not in (None, "") else "–"}


def data_table(view: View, keys: list[str], caption: str, block_id: str) -> Block:
    """The view's rows (at most TABLE_ROWS, then the total) as a data_table block."""
    columns = [c for c in view.visible if c.key in keys]
    header = [{"type": "raw_text", "text": d} for d in view.dims]
    header += [{"type": "raw_text", "text": c.label} for c in columns]
    rows = [header]
    shown = view.shown()
    labels = view.all_labels()
    picks = [*range(min(len(view.data), TABLE_ROWS)), *range(len(view.data), len(shown))]
    for index in picks:
        values = dict(zip((c.key for c in view.visible), shown[index], strict=True))
        rows.append(
            [{"type": "raw_text", "text": label or "–"} for label in labels[index]]
            + [_cell(values[c.key], c.kind) for c in columns]
        )
    return {
        "type": "data_table",
        "block_id": block_id,
        "caption": caption,
        "rows": rows,
        "page_size": 10,
    }


def _rates(view: View, index: int) -> dict[str, Shown]:
    return dict(zip((c.key for c in view.visible), view.shown()[index], strict=True))


def rate_by_type_chart(view: View, months: tuple[int, ...]) -> Block | None:
    """A bar chart: the exit rate by type at the end and after each status mark."""
    marks = [("rate_end", "Ved afslutning"), *((f"rate_{m}", f"{m} mdr.") for m in months)]
    categories = [labels[0] for labels in view.labels]
    series = []
    for key, name in marks[:CHART_SERIES]:
        data = [
            {"label": categories[i], "value": round(float(value) * 100, 1)}
            for i in range(len(view.data))
            if isinstance(value := _rates(view, i).get(key), float)
        ]
        if data:
            series.append({"name": name, "data": data})
    if not series:
        return None
    return {
        "type": "data_visualization",
        "block_id": "results_rate_by_type",
        "title": "Afgang til job/uddannelse pr. type (%)",
        "chart": {
            "type": "bar",
            "series": series,
            "axis_config": {"categories": categories, "x_label": "Type", "y_label": "Andel %"},
        },
    }


def rate_by_quarter_chart(view: View) -> Block | None:
    """A line chart: the exit rate at the end by quarter of the end, one line per type."""
    quarters = sorted({labels[0] for labels in view.labels})
    by_type: dict[str, list[dict[str, Any]]] = {}
    for i, labels in enumerate(view.labels):
        value = _rates(view, i).get("rate_end")
        if isinstance(value, float):
            by_type.setdefault(labels[1], []).append(
                {"label": labels[0], "value": round(value * 100, 1)}
            )
    series = [{"name": name, "data": data} for name, data in by_type.items()][:CHART_SERIES]
    if not series:
        return None
    return {
        "type": "data_visualization",
        "block_id": "results_rate_by_quarter",
        "title": "Job/uddannelse ved afslutning pr. kvartal (%)",
        "chart": {
            "type": "line",
            "series": series,
            "axis_config": {"categories": quarters, "x_label": "Slutkvartal", "y_label": "%"},
        },
    }


def _head(reports: list[Report], audience: Audience) -> list[Block]:
    back = button("Tilbage til mine praktikker", f"{ids.HOME_PAGE}:back", "0")
    blocks: list[Block] = [header("Resultater"), actions("results_nav", [back])]
    scope = "alle teams" if audience.label == "alle" else "dine teams"
    lines = [f"Praktikker afsluttet de seneste 12 måneder, {scope}."]
    if reports[0].synthetic:
        lines.insert(0, f"*{SYNTHETIC}*")
    legend = reports[0].views[0].legend()
    if legend:
        lines.append(legend)
    blocks.append(context("\n".join(lines)))
    return blocks


def rich_blocks(reports: list[Report], months: tuple[int, ...], audience: Audience) -> list[Block]:
    by_type, quarters, followups = (r.views for r in reports)
    exit_view = by_type[0]
    keys = ["ended", "jobedu", "rate_end", *(f"rate_{m}" for m in months)]
    blocks = _head(reports, audience)
    blocks.append(data_table(exit_view, keys, "Afgang til job eller uddannelse", "results_exit"))
    for chart in (rate_by_type_chart(exit_view, months), rate_by_quarter_chart(quarters[0])):
        if chart is not None:
            blocks.append(chart)
    follow, overdue = followups
    blocks.append(
        data_table(
            follow, ["due", "on_time", "rate"], "Opfølgning sidste måned", "results_followup"
        )
    )
    blocks.append(data_table(overdue, ["overdue"], "Overskredne nu", "results_overdue"))
    return blocks


def plain_blocks(reports: list[Report], months: tuple[int, ...], audience: Audience) -> list[Block]:
    """The same content as text tables (for a workspace without the rich blocks)."""
    blocks = _head(reports, audience)
    by_type, quarters, followups = (r.views for r in reports)
    for view in (by_type[0], quarters[0], *followups):
        text = view_table(narrow_exit(view, months))
        for part in chunks(text, TABLE_CHUNK):
            blocks.append(section(f"```{part}```"))
    return blocks[:VIEW_BLOCKS]


async def publish_results(deps: SlackDeps, client: AsyncWebClient, user_id: str) -> None:
    """Publish the Resultater view in the user's Home tab (leads and administrators)."""
    from bot.slack.worklist_ui import home_view

    actor = await deps.actor(user_id)
    audience = audience_of(actor.roles)
    if audience is None:
        await client.views_publish(user_id=user_id, view=await home_view(deps, user_id))
        return
    reports = await results_report(deps, user_id, audience)
    months = deps.config.status_months
    mode = deps.config.slack.rich_blocks
    if mode == "never" or (mode == "auto" and deps.rich_blocks_refused):
        await client.views_publish(
            user_id=user_id,
            view={"type": "home", "blocks": plain_blocks(reports, months, audience)},
        )
        return
    try:
        await client.views_publish(
            user_id=user_id,
            view={"type": "home", "blocks": rich_blocks(reports, months, audience)},
        )
    except SlackApiError as exc:
        if mode == "always" or exc.response.get("error") not in REFUSED:
            raise
        log.warning("results: Slack refused data_table/data_visualization; using plain text")
        deps.rich_blocks_refused = True
        await client.views_publish(
            user_id=user_id,
            view={"type": "home", "blocks": plain_blocks(reports, months, audience)},
        )
