"""The Slack AI-app assistant surface: suggested prompts that start the same flows.

Messages in an assistant thread are ordinary DM thread messages and reach the message
listener, which runs the same conversations as everywhere else. The prompts are the
flows whose flow file sets `menu.prompt` (at most three, in menu order; the flow check
enforces it), then the work list: Slack shows at most four.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps
from dialogues.model import Flow
from dialogues.registry import PROMPT_PLACES, offered, prompted

WORK_LIST_PROMPT = {"title": "Mine praktikker", "message": "mine praktikker"}


def suggested_prompts(flows: Mapping[str, Flow]) -> list[dict[str, str]]:
    """Each prompt's message is the flow's title, which starts it like a keyword."""
    chosen = prompted(flows)[:PROMPT_PLACES]
    return [{"title": f.title, "message": f.title.casefold()} for f in chosen] + [WORK_LIST_PROMPT]


def greeting(flows: Mapping[str, Flow]) -> str:
    words = [f"*{f.menu.keywords[0]}*" for f in offered(flows) if f.menu]
    choices = f"{', '.join(words)} eller *mine*" if words else "*mine*"
    return (
        f"Hej! Jeg er praktikbot. Vælg et af forslagene, eller skriv {choices}. "
        "Skriv aldrig CPR-numre."
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
            channel_id=channel, thread_ts=thread_ts, prompts=suggested_prompts(deps.flows)
        )
        await client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=greeting(deps.flows)
        )
