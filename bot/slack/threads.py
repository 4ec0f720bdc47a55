"""Running conversations in Slack threads: start a flow, show a turn's result.

Called only after Slack has been acked. The database work happens in the service (one
transaction); what the consultant sees is posted afterwards, and only by the delivery
that did the work, so a retried event posts nothing twice.

A conversation lives in a thread of its consultant's own DM with the bot, and nowhere
else: `in_own_dm` is the one check every listener that starts or feeds a conversation
from a channel named in the request makes first (the own DM is the channel
`conversations.open` gives for the user, not whatever the payload says). Flows started
by a button or command are opened in the actor's own DM (`start_in_dm`) and never use a
channel from the request.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.blocks.kit import fallback_text, mrkdwn_sections, sections, split_messages
from bot.conversations import Reply
from bot.slack.deps import SlackDeps, conversation_key
from bot.slack.forms import offer_blocks
from bot.slack.render import (
    answered_blocks,
    correct_block,
    guide_blocks,
    menu_blocks,
    note_blocks,
    praktik_picker_blocks,
    prompt_blocks,
    proposal_blocks,
    superseded_blocks,
)
from bot.worklist import covered_work_items, items_for, praktik_label
from dialogues.model import Flow
from dialogues.registry import offered

log = logging.getLogger(__name__)

HELP_INTRO = "Jeg er praktikbot - dialogværktøjet til virksomhedspraktik. Skriv eller vælg:"
HELP_LIST_LINE = "• *mine* - se dine aktive praktikker"
HELP_ABSENCE_LINE = "• *fravær* - registrér fravær og en stedfortræder fra dit team"
HELP_END = (
    "Samtalen foregår i en tråd: svar med knapperne eller ved at skrive i tråden. "
    "Skriv aldrig CPR-numre."
)


def help_text(flows: Mapping[str, Flow]) -> str:
    """What the bot understands: each offered flow by its first keyword, then the list."""
    lines = [f"• *{f.menu.keywords[0]}* - {f.menu.hint}" for f in offered(flows) if f.menu]
    return "\n".join([HELP_INTRO, *lines, HELP_LIST_LINE, HELP_ABSENCE_LINE, HELP_END])


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
    correct = [correct_block(reply.correctable_id)] if reply.correctable_id else []
    for n, note in enumerate(reply.notes):  # each its own message(s): one copy per text
        last = n == len(reply.notes) - 1
        await post_blocks(
            client,
            channel=channel,
            thread_ts=thread_ts,
            blocks=note_blocks(note.title, note.text) + (correct if last else []),
            text=note.title,
        )
    if correct and not reply.notes:
        await post_blocks(
            client, channel=channel, thread_ts=thread_ts, blocks=correct, text="Ret et svar"
        )
    if reply.guide is not None and reply.conversation_id is not None:
        value = json.dumps(
            {"flow": reply.guide.continue_flow, "praktik": reply.praktik_id,
             "from": reply.conversation_id}
        )  # fmt: skip
        await post_blocks(
            client,
            channel=channel,
            thread_ts=thread_ts,
            blocks=guide_blocks(reply.guide.text, label=reply.guide.continue_label, value=value),
            text=fallback_text(reply.guide.text),
        )
    if reply.proposal is not None:
        await post_blocks(
            client,
            channel=channel,
            thread_ts=thread_ts,
            blocks=proposal_blocks(reply.proposal.id, reply.proposal.text),
            text=fallback_text(reply.proposal.text),
        )
    prompt_ts = None
    if reply.prompt is not None:
        # A flow offered as a form says so with each question ('Udfyld som formular').
        offer = offer_blocks(deps.flows.get(reply.flow_id or ""), reply.prompt)
        prompt_ts = await post_blocks(
            client,
            channel=channel,
            thread_ts=thread_ts,
            blocks=prompt_blocks(reply.prompt) + offer,
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
        deps.service.set_prompt_ref(
            conversation_id=reply.conversation_id, prompt_ref=prompt_ts, asked_at=reply.asked_at
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
    resume_open: bool = False,
    say_first: str | None = None,
    carry_from: int | None = None,
) -> Reply | None:
    """Start a flow in a thread of the user's own DM (the caller made sure); a flow about
    a praktik without one asks which first — unless the user has only one, which it
    starts on, saying so. With `resume_open` (a button), an open conversation of the same
    flow and praktik is pointed to instead; `carry_from`: the saved conversation it
    continues (the guide's 'Registrér mødet'). `say_first` is posted in the thread before
    its first question. Returns the service's reply, or None when nothing was started."""
    flow = deps.flows.get(flow_id)
    if flow is None:
        await post_help(deps.flows, client, channel=channel, thread_ts=thread_ts)
        return None
    if flow.needs_praktik and praktik_id is None:
        rows = await praktik_rows(deps, user_id, flow)
        if len(rows) != 1:
            await post_praktik_picker(
                deps, client, channel=channel, thread_ts=thread_ts, flow_id=flow_id, rows=rows
            )
            return None
        # Only one to choose from: no question, but say which it is.
        praktik_id, label = rows[0]
        say_first = messages.ONLY_PRAKTIK.format(title=flow.title, label=label)
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
        resume_open=resume_open,
        carry_from=carry_from,
    )
    if say_first and reply.prompt is not None:  # started: said before its first question
        reply.messages.insert(0, say_first)
    await show_reply(deps, client, channel=channel, thread_ts=thread_ts, reply=reply)
    return reply


async def praktik_rows(deps: SlackDeps, user_id: str, flow: Flow) -> list[tuple[int, str]]:
    """(id, label) of the praktikker the user may pick for `flow` (about a praktik): their
    own (active ones, or for a flow about an ended praktik those with a status due), and
    the active ones of an absent colleague they stand in for today."""
    actor = await deps.actor(user_id)
    now = deps.clock()
    items = await items_for(deps.db, deps.config, flow, user_key=actor.user_key, now=now)
    today = now.astimezone(deps.config.tz).date()
    covered = (
        await covered_work_items(deps.db, user_key=actor.user_key, roles=actor.roles, today=today)
        if flow.praktik_status != "ended"
        else []
    )
    return [(item.praktik_id, praktik_label(deps.config, item)) for item in items] + [
        (item.praktik_id, f"{praktik_label(deps.config, item)} (som stedfortræder)")
        for item in covered
    ]


async def post_praktik_picker(
    deps: SlackDeps,
    client: AsyncWebClient,
    *,
    channel: str,
    thread_ts: str | None,
    flow_id: str,
    rows: list[tuple[int, str]],
) -> None:
    flow = deps.flows[flow_id]
    if not rows:
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
    await post_blocks(
        client,
        channel=channel,
        thread_ts=thread_ts,
        blocks=praktik_picker_blocks(flow.title, flow_id, rows),
        text=f"{flow.title}: vælg praktik",
    )


async def tell_privately(
    deps: SlackDeps,
    client: AsyncWebClient,
    user_id: str,
    lines: list[str],
    *,
    mrkdwn: bool = False,
) -> None:
    """A message only the user sees: at the top of their own DM with the bot. `mrkdwn`:
    the lines are the bot's own mrkdwn (mentions), anything typed in them escaped."""
    channel = await deps.own_dm(client, user_id)
    if channel is None:
        return  # Slack knows no DM for that user: nobody to tell
    text = "\n".join(lines)
    blocks = mrkdwn_sections(text) if mrkdwn else sections(text)
    await client.chat_postMessage(channel=channel, text=text, blocks=blocks)


async def open_dm(deps: SlackDeps, client: AsyncWebClient, user_id: str) -> str:
    """The user's own DM channel with the bot (raises when Slack cannot open one)."""
    channel = await deps.own_dm(client, user_id)
    if channel is None:
        raise LookupError("Slack opened no DM channel for the user")
    return channel


async def in_own_dm(
    deps: SlackDeps,
    client: AsyncWebClient,
    *,
    user_id: str,
    channel: str,
    thread_ts: str | None,
    source_key: str,
) -> bool:
    """True when `channel` is the user's own DM with the bot. Otherwise the input — a
    click, a select or a reply aimed at someone else's thread, or any channel that is not
    theirs — changes nothing: it is refused, audited (ids only) and the user is told in
    their own DM; a repeated delivery of it is silent."""
    own = await deps.own_dm(client, user_id)
    if own is not None and channel == own:
        return True
    reply = await deps.service.refuse(
        actor=await deps.actor(user_id),
        key=conversation_key(channel, thread_ts) if thread_ts else None,
        source_key=source_key,
        reason="not_own_dm",
    )
    if not reply.duplicate:
        await tell_privately(deps, client, user_id, reply.messages)
    return False


async def start_in_dm(
    deps: SlackDeps,
    client: AsyncWebClient,
    *,
    user_id: str,
    flow_id: str,
    praktik_id: int | None,
    source_key: str,
    followup_id: int | None = None,
    resume_open: bool = False,
) -> None:
    """Start a flow in a new thread of the consultant's own DM with the bot. A repeated
    delivery opens no second thread; with `resume_open` (a button: idempotent by state),
    neither does a second click while the same flow about the same praktik is open — the
    consultant is pointed to the open one."""
    channel = await open_dm(deps, client, user_id)
    if not await deps.service.claim(f"{source_key}:thread"):
        return  # a repeated delivery: what it posted is already there
    flow = deps.flows.get(flow_id)
    if flow is None:
        await post_help(deps.flows, client, channel=channel, thread_ts=None)
        return
    only: str | None = None
    if flow.needs_praktik and praktik_id is None:
        rows = await praktik_rows(deps, user_id, flow)
        if len(rows) != 1:
            await post_praktik_picker(
                deps, client, channel=channel, thread_ts=None, flow_id=flow_id, rows=rows
            )
            return
        praktik_id = rows[0][0]  # the only one: said first in the thread
        only = messages.ONLY_PRAKTIK.format(title=flow.title, label=rows[0][1])
    if resume_open:
        already = await deps.service.open_elsewhere(
            actor=await deps.actor(user_id),
            flow_id=flow_id,
            praktik_id=praktik_id,
            now=deps.clock(),
        )
        if already is not None:
            await tell_privately(deps, client, user_id, already.messages)
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
        resume_open=resume_open,
        say_first=only,
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
