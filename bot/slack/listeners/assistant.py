"""The Slack AI-app assistant surface: suggested prompts that start the same flows.

Messages in an assistant thread are ordinary DM thread messages and reach the message
listener, which runs the same conversations as everywhere else.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps

SUGGESTED_PROMPTS = [
    {"title": "Ny praktik", "message": "ny praktik"},
    {"title": "Forbered møde", "message": "forbered møde"},
    {"title": "Opfølgning", "message": "opfølgning"},
    {"title": "Mine praktikker", "message": "mine praktikker"},
]
GREETING = (
    "Hej! Jeg er praktikbot. Vælg et af forslagene, eller skriv *ny*, *forbered*, "
    "*opfølgning*, *afslut* eller *mine*. Skriv aldrig CPR-numre."
)


def register(app: AsyncApp, deps: SlackDeps) -> None:
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
            channel_id=channel, thread_ts=thread_ts, prompts=SUGGESTED_PROMPTS
        )
        await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=GREETING)
