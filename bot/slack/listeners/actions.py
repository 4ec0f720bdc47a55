"""Buttons, selects and date pickers in the conversation threads and work lists.

Every action is acked first. Each is idempotent by state: answers carry the step they
answer (block_id), so a double click or a click on an old message is recognised and
explained, never answered twice; a start or pick button while the same flow about the
same praktik is open points to it instead of starting again. A click is only taken from
the actor's own DM with the bot (`in_own_dm`): one aimed at another consultant's thread
changes nothing there, and is refused and audited.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import ids
from bot.blocks.kit import escape, section
from bot.blocks.payloads import clicked_message, row_id
from bot.slack.deps import SlackDeps, conversation_key
from bot.slack.threads import in_own_dm, show_reply, start_in_dm, start_in_thread
from dialogues.state import UserInput

STALE_CLICK = (
    "Det spørgsmål er allerede besvaret eller hører til en afsluttet samtale - "
    "svar på det nyeste spørgsmål i tråden."
)


def _step_of(action: dict[str, Any]) -> str | None:
    block_id = str(action.get("block_id") or "")
    prefix = f"{ids.QUESTION_BLOCK}|"
    return block_id[len(prefix) :] if block_id.startswith(prefix) else None


def _where(body: dict[str, Any]) -> tuple[str, str, str] | None:
    """(channel, thread_ts, message_ts) of the clicked message in a conversation thread."""
    channel, ts, thread_ts = clicked_message(body)
    if not channel or not ts or not thread_ts:
        return None
    return channel, thread_ts, ts


def _checked_values(body: dict[str, Any]) -> list[str]:
    """The options ticked in the message's checkboxes / multi select when 'Videre' was clicked."""
    values = (body.get("state") or {}).get("values") or {}
    for block in values.values():
        element = block.get(ids.MULTI_INPUT)
        if element is not None:
            return [str(o["value"]) for o in element.get("selected_options") or []]
    return []


async def answer(
    deps: SlackDeps, client: AsyncWebClient, body: dict[str, Any], inp: UserInput
) -> None:
    where = _where(body)
    user_id = str(body["user"]["id"])
    if where is None:
        return
    channel, thread_ts, message_ts = where
    action = body["actions"][0]
    source_key = (
        f"slack:act:{channel}:{message_ts}:{action.get('action_id')}:{action.get('action_ts')}"
    )
    if not await in_own_dm(
        deps, client, user_id=user_id, channel=channel, thread_ts=thread_ts, source_key=source_key
    ):
        return
    reply = await deps.service.answer(
        actor=await deps.actor(user_id),
        key=conversation_key(channel, thread_ts),
        inp=inp,
        source_key=source_key,
        now=deps.clock(),
    )
    if reply.duplicate:
        return
    if reply.refused:  # in the actor's own DM: said in the thread
        await show_reply(deps, client, channel=channel, thread_ts=thread_ts, reply=reply)
        return
    if reply.stale or reply.conversation_id is None:
        await client.chat_postEphemeral(
            channel=channel, user=user_id, thread_ts=thread_ts, text=STALE_CLICK
        )
        return
    await show_reply(deps, client, channel=channel, thread_ts=thread_ts, reply=reply)


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.action(re.compile(rf"^{ids.ANSWER}:"))
    async def on_answer_button(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        await answer(
            deps, client, body, UserInput(value=str(action.get("value")), step_id=_step_of(action))
        )

    @app.action(ids.ANSWER_SELECT)
    async def on_answer_select(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        selected = (action.get("selected_option") or {}).get("value")
        await answer(deps, client, body, UserInput(value=selected, step_id=_step_of(action)))

    @app.action(ids.ANSWER_DATE)
    async def on_answer_date(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        await answer(
            deps,
            client,
            body,
            UserInput(value=action.get("selected_date"), step_id=_step_of(action)),
        )

    @app.action(ids.MULTI_INPUT)
    async def on_multi_change(ack: AsyncAck) -> None:
        await ack()  # read when 'Videre' is clicked

    @app.action(ids.MULTI_SUBMIT)
    async def on_multi_submit(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        await answer(
            deps, client, body, UserInput(value=_checked_values(body), step_id=_step_of(action))
        )

    @app.action(re.compile(rf"^{ids.COMMAND}:"))
    async def on_command(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        command, _, step = str(action.get("value")).partition("|")
        if command not in ("back", "skip", "cancel", "help"):
            return
        await answer(deps, client, body, UserInput(command=command, step_id=step or None))

    @app.action(ids.CONFIRM)
    async def on_confirm(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await answer(deps, client, body, UserInput(command="confirm"))

    @app.action(re.compile(rf"^{ids.EDIT}:"))
    async def on_edit(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        await answer(
            deps, client, body, UserInput(command="edit", edit_step=str(action.get("value")))
        )

    @app.action(re.compile(rf"^({ids.START}|{ids.REMINDER_START}):"))
    async def on_start(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        try:
            value = json.loads(str(action.get("value")))
            flow_id = str(value["flow"])
            praktik, followup = value.get("praktik"), value.get("followup")
        except (ValueError, KeyError, TypeError, AttributeError):
            return
        praktik_id, followup_id = row_id(praktik), row_id(followup)
        if (praktik_id is None and praktik is not None) or (
            followup_id is None and followup is not None
        ):
            return  # a forged or garbled id
        await start_in_dm(
            deps,
            client,
            user_id=str(body["user"]["id"]),
            flow_id=flow_id,
            praktik_id=praktik_id,
            followup_id=followup_id,
            source_key=f"slack:start:{body['user']['id']}:{action.get('action_ts')}",
            resume_open=True,
        )

    @app.action(ids.PICK_PRAKTIK)
    async def on_pick(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        value = str((action.get("selected_option") or {}).get("value") or "")
        flow_id, _, praktik_text = value.partition(":")
        praktik = row_id(praktik_text)
        where = _where(body)
        if where is None or praktik is None or flow_id not in deps.flows:
            return
        channel, thread_ts, message_ts = where
        user_id = str(body["user"]["id"])
        source_key = f"slack:pick:{channel}:{message_ts}:{action.get('action_ts')}"
        if not await in_own_dm(
            deps,
            client,
            user_id=user_id,
            channel=channel,
            thread_ts=thread_ts,
            source_key=source_key,
        ):
            return  # e.g. a picker click aimed at another consultant's thread
        reply = await start_in_thread(
            deps,
            client,
            user_id=user_id,
            channel=channel,
            thread_ts=thread_ts,
            flow_id=flow_id,
            praktik_id=praktik,
            source_key=source_key,
            resume_open=True,
        )
        if reply is None or reply.conversation_id is None:
            return  # refused or already open (told in the thread), or a repeated click
        title = deps.flows[flow_id].title
        with contextlib.suppress(SlackApiError):  # the picker may be gone; nothing depends on it
            await client.chat_update(
                channel=channel,
                ts=message_ts,
                text=f"{title}: praktik valgt",
                blocks=[section(f"*{escape(title)}*: praktik valgt.")],
            )
