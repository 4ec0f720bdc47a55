"""Running conversations in Slack threads: start a flow, show a turn's result.

Called only after Slack has been acked. The database work happens in the service (one
transaction); what the consultant sees is posted afterwards, and only by the delivery
that did the work, so a retried event posts nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.conversations import Reply
from bot.slack.deps import SlackDeps, conversation_key
from bot.slack.render import (
    answered_blocks,
    fallback_text,
    menu_blocks,
    note_blocks,
    praktik_picker_blocks,
    prompt_blocks,
    sections,
    split_messages,
    superseded_blocks,
)
from bot.worklist import items_for, praktik_label
from dialogues.model import Flow
from dialogues.registry import offered

log = logging.getLogger(__name__)

HELP_INTRO = "Jeg er praktikbot - dialogværktøjet til virksomhedspraktik. Skriv eller vælg:"
HELP_LIST_LINE = "• *mine* - se dine aktive praktikker"
HELP_END = (
    "Samtalen foregår i en tråd: svar med knapperne eller ved at skrive i tråden. "
    "Skriv aldrig CPR-numre."
)


def help_text(flows: Mapping[str, Flow]) -> str:
    """What the bot understands: each offered flow by its first keyword, then the list."""
    lines = [f"• *{f.menu.keywords[0]}* - {f.menu.hint}" for f in offered(flows) if f.menu]
    return "\n".join([HELP_INTRO, *lines, HELP_LIST_LINE, HELP_END])


async def post_blocks(
    client: AsyncWebClient, *, channel: str, thread_ts: str | None, blocks: list[dict], text: str
) -> str | None:
    """Post blocks as one or more messages; returns the ts of the last one."""
    ts: str | None = None
    for part in split_messages(blocks):
        response = await client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, blocks=part, text=text
        )
        ts = str(response["ts"])
    return ts


async def show_reply(
    deps: SlackDeps,
    client: AsyncWebClient,
    *,
    channel: str,
    thread_ts: str,
    reply: Reply,
) -> None:
    """Render one turn in the thread: close the old question, say what happened, ask next."""
    if reply.duplicate:
        return
    # The next question first (the consultant waits for it), then close the old one.
    if reply.messages:
        text = "\n\n".join(reply.messages)
        await post_blocks(
            client,
            channel=channel,
            thread_ts=thread_ts,
            blocks=sections(text),
            text=fallback_text(text),
        )
    if reply.note:
        await post_blocks(
            client,
            channel=channel,
            thread_ts=thread_ts,
            blocks=note_blocks(messages.CASE_NOTE_READY, reply.note),
            text=messages.CASE_NOTE_READY,
        )
    prompt_ts = None
    if reply.prompt is not None:
        prompt_ts = await post_blocks(
            client,
            channel=channel,
            thread_ts=thread_ts,
            blocks=prompt_blocks(reply.prompt),
            text=fallback_text(reply.prompt.text),
        )
    if reply.previous_prompt_ref is not None and reply.previous_question is not None:
        if reply.answered_display is not None and reply.answered_question is not None:
            closed = answered_blocks(reply.answered_question, reply.answered_display)
        else:
            closed = superseded_blocks(reply.previous_question.split("\n", 1)[0])
        await client.chat_update(
            channel=channel,
            ts=reply.previous_prompt_ref,
            blocks=closed,
            text=fallback_text(reply.previous_question),
        )
    if prompt_ts is not None and reply.conversation_id is not None:
        await deps.service.set_prompt_ref(
            conversation_id=reply.conversation_id, prompt_ref=prompt_ts
        )


async def start_in_thread(
    deps: SlackDeps,
    client: AsyncWebClient,
    *,
    user_id: str,
    channel: str,
    thread_ts: str,
    flow_id: str,
    praktik_id: int | None,
    source_key: str,
    followup_id: int | None = None,
) -> Reply | None:
    """Start a flow in a thread; a flow about a praktik without one asks which first.
    Returns the service's reply, or None when nothing was started."""
    flow = deps.flows.get(flow_id)
    if flow is None:
        await post_help(deps.flows, client, channel=channel, thread_ts=thread_ts)
        return None
    if flow.needs_praktik and praktik_id is None:
        await post_praktik_picker(
            deps, client, user_id=user_id, channel=channel, thread_ts=thread_ts, flow_id=flow_id
        )
        return None
    reply = await deps.service.start(
        actor=await deps.actor(user_id),
        key=conversation_key(channel, thread_ts),
        flow_id=flow_id,
        praktik_id=praktik_id,
        followup_id=followup_id,
        source_key=source_key,
        now=deps.clock(),
        channel=channel,
        thread_ts=thread_ts,
    )
    await show_reply(deps, client, channel=channel, thread_ts=thread_ts, reply=reply)
    return reply


async def post_praktik_picker(
    deps: SlackDeps,
    client: AsyncWebClient,
    *,
    user_id: str,
    channel: str,
    thread_ts: str | None,
    flow_id: str,
) -> None:
    actor = await deps.actor(user_id)
    flow = deps.flows[flow_id]
    items = await items_for(deps.db, deps.config, flow, user_key=actor.user_key, now=deps.clock())
    if not items:
        text = (
            messages.NO_STATUS_TO_RECORD
            if flow.praktik_status == "ended"
            else "Du har ingen aktive praktikker. Skriv *ny* for at oprette en."
        )
        await post_blocks(
            client,
            channel=channel,
            thread_ts=thread_ts,
            blocks=sections(text, escaped=True),
            text=text,
        )
        return
    rows = [(item.praktik_id, praktik_label(deps.config, item)) for item in items]
    await post_blocks(
        client,
        channel=channel,
        thread_ts=thread_ts,
        blocks=praktik_picker_blocks(flow.title, flow_id, rows),
        text=f"{flow.title}: vælg praktik",
    )


async def tell_privately(client: AsyncWebClient, user_id: str, lines: list[str]) -> None:
    """A message only the user sees: in their own DM with the bot."""
    channel = await open_dm(client, user_id)
    text = "\n".join(lines)
    await client.chat_postMessage(channel=channel, text=text, blocks=sections(text))


async def open_dm(client: AsyncWebClient, user_id: str) -> str:
    response = await client.conversations_open(users=user_id)
    return str(response["channel"]["id"])


async def start_in_dm(
    deps: SlackDeps,
    client: AsyncWebClient,
    *,
    user_id: str,
    flow_id: str,
    praktik_id: int | None,
    source_key: str,
    followup_id: int | None = None,
) -> None:
    """Start a flow in a new thread of the consultant's DM with the bot."""
    channel = await open_dm(client, user_id)
    flow = deps.flows.get(flow_id)
    if flow is None:
        await post_help(deps.flows, client, channel=channel, thread_ts=None)
        return
    if flow.needs_praktik and praktik_id is None:
        await post_praktik_picker(
            deps, client, user_id=user_id, channel=channel, thread_ts=None, flow_id=flow_id
        )
        return
    parent = await client.chat_postMessage(
        channel=channel,
        text=flow.title,
        blocks=sections(f"*{flow.title}* - svar i tråden herunder.", escaped=True),
    )
    await start_in_thread(
        deps,
        client,
        user_id=user_id,
        channel=channel,
        thread_ts=str(parent["ts"]),
        flow_id=flow_id,
        praktik_id=praktik_id,
        source_key=source_key,
        followup_id=followup_id,
    )


async def post_help(
    flows: Mapping[str, Flow], client: AsyncWebClient, *, channel: str, thread_ts: str | None
) -> None:
    await post_blocks(
        client,
        channel=channel,
        thread_ts=thread_ts,
        blocks=menu_blocks(help_text(flows), flows),
        text="Sådan bruger du praktikbot",
    )
