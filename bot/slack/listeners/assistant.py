"""Slack's AI-app surfaces: suggested prompts that start the same flows, in both views.

- The agent view (`agent_view`, the default for new apps): the conversation is the app's
  Messages tab. Slack sends `app_home_opened` with `tab: "messages"` when the consultant
  opens it; the bot pins the suggested prompts to the top of the tab
  (`assistant.threads.setSuggestedPrompts` without a `thread_ts` — with one, Slack drops
  the call silently for agent apps) and greets a consultant once, the first time.
- The assistant view (`assistant_view`, legacy while Slack supports it): Slack sends
  `assistant_thread_started` for each new assistant thread; the bot sets the prompts on
  that thread and greets in it.

Either way a clicked prompt arrives as an ordinary DM message (at top level in the agent
view, in the thread in the assistant view) and reaches the message listener, which runs
the same conversations as everywhere else. The prompts come from the flow registry
(`menu.prompt`, see dialogues.registry).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps
from dialogues.model import Flow
from dialogues.registry import PROMPTS_TITLE, offered, suggested_prompts


def greeting(flows: Mapping[str, Flow]) -> str:
    words = [f"*{f.menu.keywords[0]}*" for f in offered(flows) if f.menu]
    choices = f"{', '.join(words)} eller *mine*" if words else "*mine*"
    return (
        f"Hej! Jeg er praktikbot. Vælg et af forslagene, eller skriv {choices}. "
        "Skriv aldrig CPR-numre."
    )


async def messages_tab(event: dict[str, Any]) -> bool:
    """The Messages tab was opened: in the agent view, the conversation with the bot."""
    return event.get("tab") == "messages"


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.event("app_home_opened", matchers=[messages_tab])
    async def on_messages_tab(event: dict[str, Any], client: AsyncWebClient) -> None:
        user_id = str(event["user"])
        # The user's own DM as Slack opens it for them, not a channel the payload names.
        channel = await deps.own_dm(client, user_id)
        if channel is None:
            return
        await client.assistant_threads_setSuggestedPrompts(
            channel_id=channel, title=PROMPTS_TITLE, prompts=suggested_prompts(deps.flows)
        )
        if await deps.service.claim(f"slack:agent_greeting:{user_id}"):
            await client.chat_postMessage(channel=channel, text=greeting(deps.flows))

    @app.event("assistant_thread_started")
    async def on_thread_started(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        thread = event.get("assistant_thread") or {}
        channel, thread_ts = thread.get("channel_id"), thread.get("thread_ts")
        if not channel or not thread_ts:
            return
        if not await deps.service.claim(f"slack:assistant:{channel}:{thread_ts}"):
            return  # Slack retried the event: the prompts are already there
        await client.assistant_threads_setSuggestedPrompts(
            channel_id=channel,
            thread_ts=thread_ts,
            title=PROMPTS_TITLE,
            prompts=suggested_prompts(deps.flows),
        )
        await client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=greeting(deps.flows)
        )
