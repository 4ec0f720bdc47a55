"""The CPR check at the Slack edge, for input that never reaches the engine.

Thread replies in a conversation, and the fields of a form (the modal's submission and
close), are checked by the engine (it knows the question, so the P-number field can take
P-numbers; a form's refused field gets Slack's field error). Everything else a user can
type or forge is checked with the one detector before any listener stores, logs or
repeats it: top-level DMs, mentions and `/praktik` text by their listeners
(`refuse_in_thread`), and every interaction - a button's or select's value, a block id,
the state of a message's inputs, the inputs of any other modal's submission - by one
global middleware in front of all listeners.

The middleware answers a refused interaction itself: it returns the ack's response (HTTP
200; a Bolt middleware that neither calls `next()` nor returns a response makes Bolt
answer 404 and log a warning), and says why where the user is: in the modal (a note
under the block that held the number, drawn with `views.update`; a submission gets
`response_action: errors` on the input), else privately in the user's DM. That Slack
call runs after the response is returned (a task named `AFTER_ACK`), so a slow or
rate-limited Slack never delays the ack.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.blocks import ids
from bot.blocks.kit import Block, context, sections
from bot.slack.deps import SlackDeps
from bot.slack.forms import info_view
from bot.slack.threads import post_blocks, tell_privately
from dialogues import texts
from dialogues.cpr import contains_cpr

log = logging.getLogger(__name__)

# The name of the task that tells the user after the ack (the tests wait for it too).
AFTER_ACK = "pb-after-ack"
_telling: set[asyncio.Task[None]] = set()  # held until done (the loop keeps weak refs)

# The note a refused interaction leaves in its modal (replaced, not added, when repeated).
NOTICE_BLOCK = "pb_cpr_refused"
# What views.update takes of a view as Slack sends it (not its id, hash, state ...).
_VIEW_KEYS: tuple[str, ...] = ("type", "title", "submit", "close", "callback_id")
_VIEW_KEYS += ("private_metadata", "clear_on_close", "notify_on_close", "submit_disabled")

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


def _holds_cpr(node: Any) -> bool:
    return any(contains_cpr(s) for s in _strings(node))


def submitted_blocks_with_cpr(view: dict[str, Any]) -> list[str]:
    """The input blocks of a submitted view whose values (or ids) hold a CPR number."""
    values = (view.get("state") or {}).get("values")
    if not isinstance(values, dict):
        return []
    return [str(block) for block, state in values.items() if _holds_cpr([block, state])]


def _input_blocks(view: dict[str, Any]) -> set[str]:
    blocks = view.get("blocks")
    return {
        str(b.get("block_id"))
        for b in (blocks if isinstance(blocks, list) else [])
        if isinstance(b, dict) and b.get("type") == "input"
    }


def with_notice(view: dict[str, Any], after_block: str | None) -> dict[str, Any]:
    """`view` as views.update takes it, with the refusal under `after_block` (at the top
    when the view has no such block); an earlier refusal note moves there."""
    raw = view.get("blocks")
    blocks: list[Block] = [
        b
        for b in (raw if isinstance(raw, list) else [])
        if isinstance(b, dict) and b.get("block_id") != NOTICE_BLOCK
    ]
    notice = {**context(messages.CPR_REFUSED_IN_FORM), "block_id": NOTICE_BLOCK}
    at = next((n + 1 for n, b in enumerate(blocks) if b.get("block_id") == after_block), 0)
    blocks.insert(at, notice)
    updated = {key: view[key] for key in _VIEW_KEYS if key in view}
    updated["blocks"] = blocks
    return updated


async def _notice_in_modal(client: AsyncWebClient, body: dict[str, Any]) -> None:
    view = body["view"]
    actions = body.get("actions")
    action = actions[0] if isinstance(actions, list) and actions else {}
    block = action.get("block_id") if isinstance(action, dict) else None
    try:
        await client.views_update(
            view_id=str(view.get("id") or ""),
            hash=str(view.get("hash") or "") or None,
            view=with_notice(view, str(block) if block else None),
        )
    except SlackApiError as exc:  # closed or changed meanwhile: nothing to show it in
        log.info("CPR refusal not shown in the modal: %s", exc.response.get("error"))


def _from_modal(body: dict[str, Any]) -> bool:
    view = body.get("view")
    return isinstance(view, dict) and view.get("type") == "modal" and bool(view.get("id"))


async def _tell_refused(deps: SlackDeps, client: AsyncWebClient, body: dict[str, Any]) -> None:
    """Why the interaction was refused, where the user is: the modal, else their DM."""
    if _from_modal(body):
        await _notice_in_modal(client, body)
        return
    user = body.get("user")
    user_id = str(user.get("id") or "") if isinstance(user, dict) else ""
    if user_id:
        await tell_privately(deps, client, user_id, [texts.CPR_REFUSED])


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def refuse_cpr_in_interactions(
        body: dict[str, Any],
        ack: AsyncAck,
        client: AsyncWebClient,
        next_: Callable[[], Awaitable[None]],
    ) -> BoltResponse | None:
        """Before any listener (conversation buttons, pickers, Home, hand-over, reminders,
        forms): an interaction that carries a CPR number is answered here, refused where
        the user is, and goes no further."""
        kind = body.get("type")
        if kind == "view_submission":
            return await _refuse_submission(body, ack, next_)
        if kind != "block_actions" or not action_has_cpr(body):
            await next_()
            return None
        response = await ack()
        task = asyncio.create_task(_tell_refused(deps, client, body), name=AFTER_ACK)
        _telling.add(task)
        task.add_done_callback(_telling.discard)
        return response

    app.middleware(refuse_cpr_in_interactions)


async def _refuse_submission(
    body: dict[str, Any], ack: AsyncAck, next_: Callable[[], Awaitable[None]]
) -> BoltResponse | None:
    """A modal's submission: the form's fields are the engine's (each with its own rule);
    any other modal's input that holds a CPR number gets Slack's field error, and a
    forged one outside its inputs a refusal in place of the modal."""
    view = body.get("view")
    if not isinstance(view, dict) or view.get("callback_id") == ids.FORM_VIEW:
        await next_()
        return None
    held = submitted_blocks_with_cpr(view)
    if not held and not _holds_cpr([view.get("private_metadata"), view.get("external_id")]):
        await next_()
        return None
    inputs = _input_blocks(view)
    errors = {block: messages.CPR_REFUSED_IN_FORM for block in held if block in inputs}
    if errors and len(errors) == len(held):
        return await ack(response_action="errors", errors=errors)
    return await ack(response_action="update", view=info_view("praktikbot", [texts.CPR_REFUSED]))
