"""Direct messages, thread replies and mentions.

A top-level DM names what to do ("ny", "opfølgning", …) and the flow runs in the thread
under it; a reply in that thread answers the current question. Only the consultant's own
DM with the bot counts (`in_own_dm`); a message anywhere else changes nothing. A repeated
delivery of a message answers nothing — also once its conversation has finished (the
service de-duplicates before it looks for a conversation). A mention in a channel moves
the conversation to a DM: nothing about a praktik is written in a shared channel, and
nothing typed is repeated there.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.conversations import Outcome
from bot.slack.deps import SlackDeps, conversation_key
from bot.slack.intents import intent
from bot.slack.listeners.absence import post_absence_form
from bot.slack.listeners.cpr_guard import refuse_in_thread
from bot.slack.threads import (
    in_own_dm,
    open_dm,
    post_help,
    show_reply,
    start_in_dm,
    start_in_thread,
)
from bot.slack.worklist_ui import post_work_list
from dialogues import texts
from dialogues.cpr import contains_cpr
from dialogues.state import UserInput

IGNORED_SUBTYPES = frozenset(
    {"message_changed", "message_deleted", "bot_message", "channel_join", "message_replied"}
)


async def handle_text(
    deps: SlackDeps,
    client: AsyncWebClient,
    *,
    user_id: str,
    channel: str,
    ts: str,
    thread_ts: str | None,
    text: str,
) -> None:
    """A consultant wrote `text` in the DM (at top level or in a thread)."""
    source_key = f"slack:msg:{channel}:{ts}"
    root = thread_ts or ts
    if not await in_own_dm(
        deps, client, user_id=user_id, channel=channel, thread_ts=thread_ts, source_key=source_key
    ):
        return
    if thread_ts is not None:
        # A reply in a conversation: the engine checks it for CPR numbers (it knows the
        # question, so the P-number field can take P-numbers) before anything is stored.
        reply = await deps.service.answer(
            actor=await deps.actor(user_id),
            key=conversation_key(channel, thread_ts),
            inp=UserInput(text=text),
            source_key=source_key,
            now=deps.clock(),
        )
        if reply.outcome is Outcome.DUPLICATE:
            return  # handled before, whatever has happened to its conversation since
        if reply.outcome is not Outcome.NO_CONVERSATION:
            await show_reply(deps, client, channel=channel, thread_ts=thread_ts, reply=reply)
            return
    if contains_cpr(text):
        if await deps.service.claim(f"{source_key}:cpr"):  # a retry says nothing again
            await refuse_in_thread(client, channel=channel, thread_ts=root)
        return
    kind, flow_id = intent(text, deps.flows)
    flow = deps.flows.get(flow_id or "") if kind == "flow" else None
    # Starting a flow claims the input in the start's own transaction (a repeated
    # delivery starts and posts nothing), so a flow that starts at once (`ny`) needs no
    # claim of its own: one transaction fewer. Everything else posts without a
    # transaction — help, the list, the absence form, the praktik picker of a flow about
    # a praktik — so it is claimed first.
    starts_at_once = flow is not None and not flow.needs_praktik
    if not starts_at_once and not await deps.service.claim(f"{source_key}:top"):
        return  # a repeated delivery of a message we already answered
    if kind == "flow" and flow_id is not None:
        await start_in_thread(
            deps,
            client,
            user_id=user_id,
            channel=channel,
            thread_ts=root,
            flow_id=flow_id,
            praktik_id=None,
            source_key=f"{source_key}:start",
        )
    elif kind == "list":
        await post_work_list(deps, client, user_id=user_id, channel=channel, thread_ts=root)
    elif kind == "absence":
        await post_absence_form(deps, client, user_id=user_id, channel=channel, thread_ts=root)
    else:
        await post_help(deps.flows, client, channel=channel, thread_ts=root)


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.event("message")
    async def on_message(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("subtype") in IGNORED_SUBTYPES or event.get("bot_id"):
            return
        if event.get("channel_type") != "im" or not event.get("user"):
            return
        await handle_text(
            deps,
            client,
            user_id=str(event["user"]),
            channel=str(event["channel"]),
            ts=str(event["ts"]),
            thread_ts=event.get("thread_ts"),
            text=str(event.get("text") or ""),
        )

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], client: AsyncWebClient) -> None:
        user_id = str(event.get("user") or "")
        channel = str(event["channel"])
        if not user_id:
            return
        text = str(event.get("text") or "")
        if not await deps.service.claim(f"slack:mention:{channel}:{event['ts']}"):
            return
        if contains_cpr(text):
            await client.chat_postEphemeral(channel=channel, user=user_id, text=texts.CPR_REFUSED)
            return
        kind, flow_id = intent(text, deps.flows)
        await client.chat_postEphemeral(
            channel=channel,
            user=user_id,
            text="Jeg skriver til dig privat - oplysninger om praktikker hører ikke hjemme i en "
            "fælles kanal.",
        )
        if kind == "flow" and flow_id is not None:
            await start_in_dm(
                deps,
                client,
                user_id=user_id,
                flow_id=flow_id,
                praktik_id=None,
                source_key=f"slack:mention:{channel}:{event['ts']}:start",
            )
        else:
            await post_help(
                deps.flows, client, channel=await open_dm(deps, client, user_id), thread_ts=None
            )
