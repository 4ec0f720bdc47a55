"""The dialogue tool's buttons: 'Registrér mødet' under a meeting guide, accepting or
declining a proposed extra follow-up, and correcting a saved answer (from the thread of
the saved conversation, or from Home: then in a new thread of the DM).

Every action is acked first and taken only from the actor's own DM with the bot
(`in_own_dm`; a Home click opens a thread there). Each is idempotent: a repeated delivery
answers nothing; a second 'Registrér mødet' points to the recording already open; a
second click on a proposal says it was answered.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.blocks import ids
from bot.blocks.kit import sections
from bot.blocks.payloads import clicked_message, row_id
from bot.slack.deps import SlackDeps, conversation_key
from bot.slack.render import CorrectionChoice, correction_picker_blocks, group_name, without_actions
from bot.slack.threads import in_own_dm, open_dm, post_blocks, show_reply, start_in_thread

STEP_ID = re.compile(r"[a-z][a-z0-9_]{0,59}")
GUIDE_STARTED = "Registreringen er startet nedenfor i tråden."


def _json(value: Any) -> dict[str, Any]:
    try:
        loaded = json.loads(str(value))
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


async def _mark(
    client: AsyncWebClient, body: dict[str, Any], channel: str, ts: str, note: str
) -> None:
    """Replace the clicked message's buttons with what happened (nothing depends on it)."""
    blocks = (body.get("message") or {}).get("blocks") or []
    with contextlib.suppress(SlackApiError):
        await client.chat_update(
            channel=channel, ts=ts, text=note, blocks=without_actions(blocks, note)
        )


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.action(ids.CONTINUE)
    async def on_continue(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        channel, ts, thread_ts = clicked_message(body)
        value = _json(action.get("value"))
        flow_id = str(value.get("flow") or "")
        praktik_id, carry_from = row_id(value.get("praktik")), row_id(value.get("from"))
        if not channel or not ts or not thread_ts or flow_id not in deps.flows:
            return
        if praktik_id is None or carry_from is None:
            return  # a forged or garbled value
        user_id = str(body["user"]["id"])
        source_key = f"slack:continue:{channel}:{ts}:{action.get('action_ts')}"
        if not await in_own_dm(
            deps, client, user_id=user_id, channel=channel, thread_ts=thread_ts,
            source_key=source_key,
        ):  # fmt: skip
            return
        reply = await start_in_thread(
            deps, client, user_id=user_id, channel=channel, thread_ts=thread_ts,
            flow_id=flow_id, praktik_id=praktik_id, source_key=source_key, resume_open=True,
            carry_from=carry_from,
        )  # fmt: skip
        if reply is not None and reply.conversation_id is not None and not reply.already_open:
            await _mark(client, body, channel, ts, GUIDE_STARTED)

    @app.action(re.compile(rf"^{ids.PROPOSAL}:(accept|decline)$"))
    async def on_proposal(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        channel, ts, thread_ts = clicked_message(body)
        proposal_id = row_id(action.get("value"))
        if not channel or not ts or proposal_id is None:
            return
        user_id = str(body["user"]["id"])
        source_key = f"slack:proposal:{channel}:{ts}:{action.get('action_ts')}"
        if not await in_own_dm(
            deps, client, user_id=user_id, channel=channel, thread_ts=thread_ts,
            source_key=source_key,
        ):  # fmt: skip
            return
        reply = await deps.service.decide_proposal(
            actor=await deps.actor(user_id),
            proposal_id=proposal_id,
            accept=str(action.get("action_id")).endswith(":accept"),
            source_key=source_key,
            now=deps.clock(),
        )
        if reply.duplicate:
            return
        text = " ".join(reply.messages)
        if reply.refused or reply.stale:
            await client.chat_postEphemeral(
                channel=channel, user=user_id, thread_ts=thread_ts, text=text
            )
            return
        await _mark(client, body, channel, ts, text)

    @app.action(ids.CORRECT)
    async def on_correct(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        user_id = str(body["user"]["id"])
        value = _json(action.get("value"))
        conversation_id, praktik_id = (
            row_id(value.get("conversation")),
            row_id(value.get("praktik")),
        )
        if conversation_id is None and praktik_id is None:
            return
        from_home = (body.get("container") or {}).get("type") == "view"
        channel, _, thread_ts = (None, None, None) if from_home else clicked_message(body)
        source_key = f"slack:correct:{user_id}:{action.get('action_ts')}"
        # A button in a message: the thread it is in, which must be the actor's own DM.
        if channel is not None and not await in_own_dm(
            deps, client, user_id=user_id, channel=channel, thread_ts=thread_ts,
            source_key=source_key,
        ):  # fmt: skip
            return
        if not await deps.service.claim(f"{source_key}:list"):
            return  # a repeated delivery
        choices = await deps.service.correctable(
            actor=await deps.actor(user_id),
            praktik_id=praktik_id,
            conversation_id=conversation_id,
            now=deps.clock(),
        )
        if channel is None or thread_ts is None:  # Home: a new thread in the DM
            channel = await open_dm(deps, client, user_id)
            parent = await client.chat_postMessage(
                channel=channel,
                text="Ret et svar",
                blocks=sections("*Ret et svar* - vælg i tråden herunder.", escaped=True),
            )
            thread_ts = str(parent["ts"])
        if not choices:
            blocks = sections(messages.NOTHING_TO_CORRECT)
        else:
            blocks = correction_picker_blocks(
                [
                    CorrectionChoice(
                        c.conversation_id,
                        c.step_id,
                        c.label,
                        c.display,
                        group_name(c.flow_title, c.day),
                    )
                    for c in choices
                ]
            )
        await post_blocks(
            client, channel=channel, thread_ts=thread_ts, blocks=blocks, text="Ret et svar"
        )

    @app.action(ids.CORRECT_PICK)
    async def on_correct_pick(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        channel, ts, thread_ts = clicked_message(body)
        picked = str((action.get("selected_option") or {}).get("value") or "")
        number, _, step_id = picked.partition(":")
        conversation_id = row_id(number)
        if not channel or not ts or not thread_ts or conversation_id is None:
            return
        if not STEP_ID.fullmatch(step_id):
            return
        user_id = str(body["user"]["id"])
        source_key = f"slack:correct_pick:{channel}:{ts}:{action.get('action_ts')}"
        if not await in_own_dm(
            deps, client, user_id=user_id, channel=channel, thread_ts=thread_ts,
            source_key=source_key,
        ):  # fmt: skip
            return
        reply = await deps.service.start_correction(
            actor=await deps.actor(user_id),
            key=conversation_key(channel, thread_ts),
            conversation_id=conversation_id,
            step_id=step_id,
            source_key=source_key,
            now=deps.clock(),
            channel=channel,
            thread_ts=thread_ts,
        )
        if reply.duplicate:
            return
        await show_reply(deps, client, channel=channel, thread_ts=thread_ts, reply=reply)
        if reply.conversation_id is not None:
            await _mark(client, body, channel, ts, "Svaret rettes nedenfor i tråden.")
