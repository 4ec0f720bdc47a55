"""The CPR check at the Slack edge, for input that never reaches the engine.

Thread replies in a conversation are checked by the engine (it knows the question, so
the P-number field can take P-numbers). Everything else a user can type or forge is
checked with the one detector before any listener stores, logs or repeats it: top-level
DMs, mentions and `/praktik` text by their listeners (`refuse_in_thread`), and every
interaction - a button's or select's value, a block id, the state of a message's inputs
- by one middleware in front of all action listeners.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.kit import sections
from bot.slack.deps import SlackDeps
from bot.slack.threads import post_blocks, tell_privately
from dialogues import texts
from dialogues.cpr import contains_cpr

# The parts of an action and of a message's input state that carry what a user chose
# (or what a forged payload puts there). Not action_ts: Slack's own timestamp.
_VALUE_KEYS = frozenset(
    {
        "value",
        "selected_option",
        "selected_options",
        "selected_date",
        "selected_time",
        "selected_date_time",
        "selected_user",
        "selected_users",
        "selected_conversation",
        "selected_conversations",
        "selected_channel",
        "selected_channels",
        "block_id",
        "text",
    }
)


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in (*_strings(key), *_strings(value))]
    return [] if node is None else [str(node)]


def action_strings(body: dict[str, Any]) -> list[str]:
    """Every user-supplied string of an interaction: the actions' values and block ids,
    and the values in the message's input state."""
    found: list[str] = []
    actions = body.get("actions")
    for action in actions if isinstance(actions, list) else []:
        if isinstance(action, dict):
            for key, value in action.items():
                if key in _VALUE_KEYS and not (key == "text" and isinstance(value, dict)):
                    found.extend(_strings(value))
    state = body.get("state")
    if isinstance(state, dict):
        found.extend(_strings(state.get("values")))
    return found


def action_has_cpr(body: dict[str, Any]) -> bool:
    return any(contains_cpr(s) for s in action_strings(body))


async def refuse_in_thread(client: AsyncWebClient, *, channel: str, thread_ts: str | None) -> None:
    await post_blocks(
        client,
        channel=channel,
        thread_ts=thread_ts,
        blocks=sections(texts.CPR_REFUSED),
        text="CPR-nummer afvist",
    )


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def refuse_cpr_in_interactions(
        body: dict[str, Any],
        ack: AsyncAck,
        client: AsyncWebClient,
        next_: Callable[[], Awaitable[None]],
    ) -> None:
        """Before any action listener (conversation buttons, pickers, Home, hand-over,
        reminders): an interaction that carries a CPR number is acknowledged, refused
        privately, and goes no further."""
        if body.get("type") != "block_actions" or not action_has_cpr(body):
            await next_()
            return
        await ack()
        user = body.get("user")
        user_id = str(user.get("id") or "") if isinstance(user, dict) else ""
        if user_id:
            await tell_privately(deps, client, user_id, [texts.CPR_REFUSED])

    app.middleware(refuse_cpr_in_interactions)
