"""A team lead hands a praktik over from App Home (absence, job change).

Everyone involved is told in their own DM: the lead, the new owner, and the previous
owner — by the praktik's short reference only, since it is no longer theirs — and in each
of the previous owner's conversation threads on it, which the hand-over closed, a polite
note that the conversation is closed (its open question loses its buttons)."""

from __future__ import annotations

import contextlib
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.blocks import ids
from bot.blocks.kit import escape, sections
from bot.blocks.payloads import row_id
from bot.handover import ClosedConversation, hand_over
from bot.slack.deps import SlackDeps
from bot.slack.threads import post_blocks, tell_privately
from bot.slack.worklist_ui import home_view


async def close_threads(
    deps: SlackDeps, client: AsyncWebClient, short_ref: str, closed: list[ClosedConversation]
) -> None:
    """Tell the previous owner in each closed conversation's thread; take away the open
    question's buttons. A thread that is gone is skipped: the hand-over stands."""
    for conversation in closed:
        if not conversation.channel or not conversation.thread_ts:
            continue  # a terminal conversation: its next input is refused there
        flow = deps.flows.get(conversation.flow_id)
        text = messages.HANDED_OVER_CLOSED.format(
            ref=short_ref, title=flow.title if flow else conversation.flow_id
        )
        with contextlib.suppress(SlackApiError):
            await post_blocks(
                client,
                channel=conversation.channel,
                thread_ts=conversation.thread_ts,
                blocks=sections(text),
                text=text,
            )
        if conversation.prompt_ref:
            with contextlib.suppress(SlackApiError):
                await client.chat_update(
                    channel=conversation.channel,
                    ts=conversation.prompt_ref,
                    text="Samtalen er lukket.",
                    blocks=sections("_Samtalen er lukket: praktikken er overdraget._"),
                )


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.action(ids.HANDOVER)
    async def on_handover(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        user_id = str(body["user"]["id"])
        block_id = str(action.get("block_id") or "")
        target = str(action.get("selected_user") or "")
        praktik = row_id(block_id.partition("|")[2])
        if not block_id.startswith(f"{ids.HANDOVER_BLOCK}|") or praktik is None or not target:
            return
        assert deps.roles is not None
        actor = await deps.actor(user_id)
        # The conversations it closes are told so at their open question: its ts first.
        await deps.service.flush_prompt_refs()
        result = await hand_over(
            deps.db,
            deps.config,
            actor_key=actor.user_key,
            roles=actor.roles,
            to_roles=await deps.roles.roles(target),
            praktik_id=praktik,
            to_slack_user=target,
        )
        await tell_privately(deps, client, user_id, [result.message], mrkdwn=True)
        if result.ok:
            new_owner = (
                f"Du er nu ansvarlig for praktik {result.short_ref} (sag "
                f"{escape(result.case_ref or '')}, overdraget af <@{user_id}>). Den står i din "
                "oversigt under Hjem, og påmindelser kommer til dig."
            )
            await tell_privately(deps, client, target, [new_owner], mrkdwn=True)
            if result.previous_slack_user and result.previous_slack_user != target:
                previous = (
                    f"Praktik {result.short_ref} er overdraget til <@{target}> af <@{user_id}>. "
                    "Tak for din indsats med den."
                )
                await tell_privately(
                    deps, client, result.previous_slack_user, [previous], mrkdwn=True
                )
            await close_threads(deps, client, result.short_ref or "", result.closed)
        await client.views_publish(user_id=user_id, view=await home_view(deps, user_id))
