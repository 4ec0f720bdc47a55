"""The consultant's work list in Slack: in a message (mine) and in App Home."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.config import AppConfig
from bot.slack import ids
from bot.slack.deps import SlackDeps
from bot.slack.render import (
    Block,
    action_rows,
    correct_value,
    escape,
    mrkdwn_sections,
    plain,
    start_buttons,
)
from bot.slack.threads import post_blocks
from bot.worklist import (
    ProgressNote,
    WorkItem,
    next_followup_text,
    praktik_label,
    progress_notes,
    team_work_items,
    work_items,
)
from dialogues.model import Flow
from dialogues.registry import on_home

HOME_PAGE_SIZE = 15  # 3 blocks each; with a lead's team section the view stays ≤ 100 blocks
TEAM_SECTION_SIZE = 12  # 4 blocks each (with the hand-over picker)


def handover_block(item: WorkItem) -> Block:
    return {
        "type": "actions",
        "block_id": f"handover|{item.praktik_id}",
        "elements": [
            {
                "type": "users_select",
                "action_id": ids.HANDOVER,
                "placeholder": plain("Overdrag til …"),
            }
        ],
    }


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
    about a praktik and one to correct a saved answer."""
    lines = [f"*{escape(praktik_label(config, item))}*"]
    if owner and item.owner_slack_user:
        lines.append(f"Ansvarlig: <@{item.owner_slack_user}>")
    upcoming = next_followup_text(item, today)
    if upcoming:
        marker = "⚠️ " if "(overskredet)" in upcoming or "(i dag)" in upcoming else ""
        lines.append(f"{marker}Næste opfølgning: {escape(upcoming)}")
    else:
        lines.append("Ingen planlagte opfølgninger.")
    lines += [escape(line) for line in (note.lines() if note else [])]
    correct = {
        "type": "button",
        "text": plain("Ret et svar"),
        "action_id": ids.CORRECT,
        "value": correct_value(praktik=item.praktik_id),
    }
    return [
        {
            "type": "section",
            "block_id": f"praktik|{item.praktik_id}",
            "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]},
        },
        *action_rows(
            f"praktik_actions|{item.praktik_id}",
            [*start_buttons(on_home(flows, about_praktik=True), str(n), item.praktik_id), correct],
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
    actor = await deps.actor(user_id)
    items = await work_items(deps.db, user_key=actor.user_key)
    today = deps.clock().astimezone(deps.config.tz).date()
    if not items:
        return mrkdwn_sections("Du har ingen aktive praktikker. Skriv *ny* for at oprette en.")
    blocks: list[Block] = mrkdwn_sections(f"*Dine aktive praktikker ({len(items)})*")
    notes = await progress_notes(deps.db, deps.config, items)
    for n, item in enumerate(items):
        blocks += item_blocks(
            deps.config, deps.flows, item, today, n, note=notes.get(item.praktik_id)
        )
    return blocks


async def home_view(deps: SlackDeps, user_id: str, page: int = 0) -> dict[str, Any]:
    """The App Home tab: the work list, a page at a time."""
    actor = await deps.actor(user_id)
    items = await work_items(deps.db, user_key=actor.user_key)
    today = deps.clock().astimezone(deps.config.tz).date()
    pages = max(1, -(-len(items) // HOME_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = items[page * HOME_PAGE_SIZE : (page + 1) * HOME_PAGE_SIZE]
    blocks: list[Block] = [
        {"type": "header", "text": plain("Mine praktikker", 150)},
        *action_rows(
            "home_new", start_buttons(on_home(deps.flows, about_praktik=False), "new", None)
        ),
    ]
    if not items:
        blocks += mrkdwn_sections("Du har ingen aktive praktikker endnu.")
    team_items = await team_work_items(
        deps.db, user_key=actor.user_key, team_ids=actor.roles.lead_of
    )
    shown_team = team_items[:TEAM_SECTION_SIZE]
    notes = await progress_notes(deps.db, deps.config, [*shown, *shown_team])
    for n, item in enumerate(shown):
        blocks.append({"type": "divider"})
        blocks += item_blocks(
            deps.config, deps.flows, item, today, n, note=notes.get(item.praktik_id)
        )
    if team_items:
        blocks.append({"type": "header", "text": plain("Teamets praktikker", 150)})
        for n, item in enumerate(shown_team):
            blocks.append({"type": "divider"})
            blocks += item_blocks(
                deps.config, deps.flows, item, today, 100 + n, owner=True,
                note=notes.get(item.praktik_id),
            )  # fmt: skip
            blocks.append(handover_block(item))
        if len(team_items) > len(shown_team):
            blocks += mrkdwn_sections(f"… og {len(team_items) - len(shown_team)} flere i teamet.")
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(
                {
                    "type": "button",
                    "text": plain("Forrige side"),
                    "action_id": f"{ids.HOME_PAGE}:prev",
                    "value": str(page - 1),
                }
            )
        if page < pages - 1:
            nav.append(
                {
                    "type": "button",
                    "text": plain("Næste side"),
                    "action_id": f"{ids.HOME_PAGE}:next",
                    "value": str(page + 1),
                }
            )
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"Side {page + 1} af {pages} · {len(items)} praktikker",
                    }
                ],
            }
        )
        blocks.append({"type": "actions", "block_id": "home_pages", "elements": nav})
    return {"type": "home", "blocks": blocks}
