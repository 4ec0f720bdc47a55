"""Direct messages, thread replies and mentions.

A top-level DM names what to do ("ny", "opfølgning", …) and the flow runs in the thread
under it; a reply in that thread answers the current question. A mention in a channel
moves the conversation to a DM: nothing about a praktik is written in a shared channel.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.slack.deps import SlackDeps, conversation_key
from bot.slack.intents import intent
from bot.slack.listeners.cpr_guard import refuse_in_thread
from bot.slack.threads import (
    post_help,
    show_reply,
    start_in_dm,
    start_in_thread,
    tell_privately,
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
        if reply.duplicate:
            return
        if reply.refused:
            await tell_privately(client, user_id, reply.messages)
            return
        if reply.conversation_id is not None or reply.messages != [messages.NO_CONVERSATION]:
            await show_reply(deps, client, channel=channel, thread_ts=thread_ts, reply=reply)
            return
    if contains_cpr(text):
        await refuse_in_thread(client, channel=channel, thread_ts=root)
        return
    if not await deps.service.claim(f"{source_key}:top"):
        return  # a repeated delivery of a message we already answered
    kind, flow_id = intent(text)
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
    else:
        await post_help(client, channel=channel, thread_ts=root)


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
        kind, flow_id = intent(text)
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
            dm = await client.conversations_open(users=user_id)
            await post_help(client, channel=str(dm["channel"]["id"]), thread_ts=None)
