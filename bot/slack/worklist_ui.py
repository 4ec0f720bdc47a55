"""The consultant's work list in Slack: in a message (mine) and in App Home."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot import absence
from bot.blocks import ids
from bot.blocks.kit import (
    VIEW_BLOCKS,
    Block,
    action_rows,
    actions,
    button,
    context,
    escape,
    header,
    mrkdwn_sections,
    plain,
    section,
)
from bot.config import AppConfig
from bot.slack.absence_ui import overview_blocks
from bot.slack.deps import SlackDeps
from bot.slack.forms import start_controls
from bot.slack.render import correct_value, start_buttons
from bot.slack.threads import post_blocks
from bot.worklist import (
    ProgressNote,
    WorkItem,
    covered_work_items,
    next_followup_text,
    praktik_label,
    progress_notes,
    status_items,
    team_work_items,
    work_items,
)
from dialogues.dates import format_danish_date
from dialogues.model import Flow
from dialogues.registry import as_form, on_home
from storage import queries

HOME_PAGE_SIZE = 15  # 3 blocks each
COVERED_SHOWN = 5  # praktikker covered as a stand-in, 3 blocks each
NOTES_SHOWN = 5  # recent case notes, 1 block each
ABSENCES_SHOWN = 3  # absences listed, 2 blocks each
TEAM_SECTION_SIZE = 12  # 4 blocks each (with the hand-over picker), as the rest allows


def handover_block(item: WorkItem) -> Block:
    picker = {
        "type": "users_select",
        "action_id": ids.HANDOVER,
        "placeholder": plain("Overdrag til …"),
    }
    return actions(f"{ids.HANDOVER_BLOCK}|{item.praktik_id}", [picker])


def item_blocks(
    config: AppConfig,
    flows: Mapping[str, Flow],
    item: WorkItem,
    today: dt.date,
    n: int,
    *,
    owner: bool = False,
    note: ProgressNote | None = None,
) -> list[Block]:
    """A praktik with its next follow-up, its progression and risk, a button per flow
    about a praktik in its state (an ended praktik: the status flow) and one to correct a
    saved answer."""
    state = item.praktik.status if item.praktik.status == "ended" else "active"
    lines = [f"*{escape(praktik_label(config, item))}*"]
    if state == "ended":
        lines.append("Afsluttet - status efter praktikken skal registreres.")
    if owner and item.owner_slack_user:
        responsible = f"Ansvarlig: <@{item.owner_slack_user}>"
        if item.stand_in_until is not None:
            responsible += (
                f" – fraværende, du er stedfortræder til og med "
                f"{format_danish_date(item.stand_in_until)}"
            )
        lines.append(responsible)
    upcoming = next_followup_text(item, today)
    if upcoming:
        marker = "⚠️ " if "(overskredet)" in upcoming or "(i dag)" in upcoming else ""
        lines.append(f"{marker}Næste opfølgning: {escape(upcoming)}")
    else:
        lines.append("Ingen planlagte opfølgninger.")
    lines += [escape(line) for line in (note.lines() if note else [])]
    correct = button("Ret et svar", ids.CORRECT, correct_value(praktik=item.praktik_id))
    return [
        section("\n".join(lines), block_id=f"praktik|{item.praktik_id}"),
        *action_rows(
            f"praktik_actions|{item.praktik_id}",
            start_buttons(
                on_home(flows, about_praktik=True, praktik_status=state), str(n), item.praktik_id
            )
            + start_controls(as_form(flows, about_praktik=True), str(n), item.praktik_id)
            + [correct],
        ),
    ]


async def post_work_list(
    deps: SlackDeps, client: AsyncWebClient, *, user_id: str, channel: str, thread_ts: str | None
) -> None:
    blocks = await work_list_blocks(deps, user_id)
    await post_blocks(
        client, channel=channel, thread_ts=thread_ts, blocks=blocks, text="Dine praktikker"
    )


async def work_list_blocks(deps: SlackDeps, user_id: str) -> list[Block]:
    """The work list of `mine`: the user's own praktikker, then those they cover as a
    stand-in today."""
    actor = await deps.actor(user_id)
    items = await work_items(deps.db, user_key=actor.user_key)
    today = deps.clock().astimezone(deps.config.tz).date()
    covered = await covered_work_items(
        deps.db, user_key=actor.user_key, roles=actor.roles, today=today
    )
    progress = await progress_notes(deps.db, deps.config, [*items, *covered])
    blocks: list[Block] = []
    if not items:
        blocks += mrkdwn_sections("Du har ingen aktive praktikker. Skriv *ny* for at oprette en.")
    else:
        blocks += mrkdwn_sections(f"*Dine aktive praktikker ({len(items)})*")
    for n, item in enumerate(items):
        blocks += item_blocks(
            deps.config, deps.flows, item, today, n, note=progress.get(item.praktik_id)
        )
    if covered:
        blocks += mrkdwn_sections(f"*Som stedfortræder ({len(covered)})*")
    for n, item in enumerate(covered):
        blocks += item_blocks(
            deps.config,
            deps.flows,
            item,
            today,
            1000 + n,
            owner=True,
            note=progress.get(item.praktik_id),
        )
    return blocks


async def home_view(deps: SlackDeps, user_id: str, page: int = 0) -> dict[str, Any]:
    """The App Home tab, within Slack's 100 blocks: the user's own praktikker (ended ones
    with a status to record first, then the active ones; a page at a time), those they
    cover as a stand-in, a lead's team, their recent case notes and their absences. A lead
    with no praktikker of their own sees the team first."""
    actor = await deps.actor(user_id)
    today = deps.clock().astimezone(deps.config.tz).date()
    items = await status_items(
        deps.db, deps.config, user_key=actor.user_key, now=deps.clock()
    ) + await work_items(deps.db, user_key=actor.user_key)
    team_items = await team_work_items(
        deps.db, user_key=actor.user_key, team_ids=actor.roles.lead_of
    )
    covered = await covered_work_items(
        deps.db, user_key=actor.user_key, roles=actor.roles, today=today
    )
    covering_ids = {i.praktik_id for i in covered}  # a lead may stand in within the team
    team_items = [i for i in team_items if i.praktik_id not in covering_ids]
    notes = await recent_notes(deps, actor.user_key)
    # Progression and risk of the praktikker that can be shown (two queries).
    progress = await progress_notes(
        deps.db, deps.config, [*items, *covered, *team_items[:TEAM_SECTION_SIZE]]
    )
    absences: list[Block] = []
    if actor.roles.teams:
        overview = await absence.overview(
            deps.db, person=absence.Person(user_id, actor.roles), today=today
        )
        absences = [
            header("Fravær og stedfortræder"),
            *overview_blocks(overview, with_open_button=True, limit=ABSENCES_SHOWN),
        ]
    lead_first = not items and bool(team_items)
    results = actor.roles.admin or bool(actor.roles.lead_of)
    own = own_section(
        deps, items, today, page, lead_first=lead_first, results=results, progress=progress
    )
    stand_in = covered_section(deps, covered, today, progress)
    fixed = len(own) + len(stand_in) + len(notes) + len(absences)
    team = team_section(deps, team_items, today, progress, budget=VIEW_BLOCKS - fixed)
    if lead_first:  # what matters to a lead without praktikker of their own: the team
        blocks = team + stand_in + own + notes + absences
    else:
        blocks = own + stand_in + team + notes + absences
    return {"type": "home", "blocks": blocks}


def own_section(
    deps: SlackDeps,
    items: list[WorkItem],
    today: dt.date,
    page: int,
    *,
    lead_first: bool,
    results: bool,
    progress: Mapping[int, ProgressNote],
) -> list[Block]:
    """The user's own praktikker; `results`: the Resultater button (leads, administrators)."""
    pages = max(1, -(-len(items) // HOME_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = items[page * HOME_PAGE_SIZE : (page + 1) * HOME_PAGE_SIZE]
    top = start_buttons(on_home(deps.flows, about_praktik=False), "new", None)
    if results:
        top.append(button("Resultater", ids.RESULTS, "results"))
    blocks: list[Block] = [
        header("Mine praktikker"),
        *action_rows(
            "home_new", top + start_controls(as_form(deps.flows, about_praktik=False), "new", None)
        ),
    ]
    if not items:
        text = (
            "Du har ingen egne aktive praktikker."
            if lead_first
            else "Du har ingen aktive praktikker endnu."
        )
        blocks.append(context(text))
    for n, item in enumerate(shown):
        blocks.append({"type": "divider"})
        blocks += item_blocks(
            deps.config, deps.flows, item, today, n, note=progress.get(item.praktik_id)
        )
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(_page_button("Forrige side", "prev", page - 1))
        if page < pages - 1:
            nav.append(_page_button("Næste side", "next", page + 1))
        blocks.append(context(f"Side {page + 1} af {pages} · {len(items)} praktikker"))
        blocks.append(actions("home_pages", nav))
    return blocks


def covered_section(
    deps: SlackDeps,
    covered: list[WorkItem],
    today: dt.date,
    progress: Mapping[int, ProgressNote],
) -> list[Block]:
    """The praktikker of absent colleagues the user stands in for today."""
    if not covered:
        return []
    shown = covered[:COVERED_SHOWN]
    blocks: list[Block] = [
        header("Du er stedfortræder"),
        context(
            "Praktikker for kolleger, der er fraværende: påmindelserne om dem kommer til dig, "
            "og du kan arbejde på dem, indtil fraværet slutter."
        ),
    ]
    for n, item in enumerate(shown):
        blocks.append({"type": "divider"})
        blocks += item_blocks(
            deps.config,
            deps.flows,
            item,
            today,
            200 + n,
            owner=True,
            note=progress.get(item.praktik_id),
        )
    if len(covered) > len(shown):
        blocks += mrkdwn_sections(f"… og {len(covered) - len(shown)} flere.")
    return blocks


def team_section(
    deps: SlackDeps,
    team_items: list[WorkItem],
    today: dt.date,
    progress: Mapping[int, ProgressNote],
    *,
    budget: int,
) -> list[Block]:
    """A lead's team: a count, then as many praktikker (4 blocks each, with the hand-over
    picker) as `budget` blocks allow, at most TEAM_SECTION_SIZE."""
    if not team_items:
        return []
    overdue = sum(
        1 for i in team_items if i.next_followup is not None and i.next_followup.due_date < today
    )
    head: list[Block] = [
        header("Teamets praktikker"),
        context(
            f"{len(team_items)} aktive praktikker i teamet · {overdue} med en overskreden "
            "opfølgning"
        ),
    ]
    room = max(0, (budget - len(head) - 1) // 4)
    shown = team_items[: min(TEAM_SECTION_SIZE, room)]
    blocks = head
    for n, item in enumerate(shown):
        blocks.append({"type": "divider"})
        blocks += item_blocks(
            deps.config,
            deps.flows,
            item,
            today,
            100 + n,
            owner=True,
            note=progress.get(item.praktik_id),
        )
        blocks.append(handover_block(item))
    if len(team_items) > len(shown):
        blocks += mrkdwn_sections(f"… og {len(team_items) - len(shown)} flere i teamet.")
    return blocks


async def recent_notes(deps: SlackDeps, user_key: str) -> list[Block]:
    """The newest case-note drafts of the user's own praktikker, each to open as
    copyable text."""
    async with deps.db.transaction() as session:
        me = await queries.consultant_by_key(session, user_key=user_key)
        if me is None or me.id is None:
            return []
        found = await queries.recent_case_notes(session, consultant_id=me.id, limit=NOTES_SHOWN)
    if not found:
        return []
    blocks: list[Block] = [header("Seneste journalnotater")]
    for note, praktik in found:
        flow = deps.flows.get(note.flow_id)
        day = format_danish_date(deps.config.local_date(note.created_at))
        text = (
            f"*{escape(flow.title if flow else note.flow_id)}* · "
            f"{escape(praktik.short_ref or '')} · {escape(praktik.case_ref)}\n{day}"
        )
        show = button("Vis notat", ids.NOTE_OPEN, str(note.id))
        blocks.append(section(text, block_id=f"note|{note.id}", accessory=show))
    return blocks


def _page_button(text: str, direction: str, page: int) -> Block:
    return button(text, f"{ids.HOME_PAGE}:{direction}", str(page))
