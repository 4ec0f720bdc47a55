"""A team lead hands a praktik over from App Home (absence, job change)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.handover import hand_over
from bot.slack import ids
from bot.slack.deps import SlackDeps
from bot.slack.threads import open_dm
from bot.slack.worklist_ui import home_view


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.action(ids.HANDOVER)
    async def on_handover(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        user_id = str(body["user"]["id"])
        block_id = str(action.get("block_id") or "")
        target = str(action.get("selected_user") or "")
        praktik = block_id.partition("|")[2]
        if not block_id.startswith("handover|") or not praktik.isdigit() or not target:
            return
        assert deps.roles is not None
        actor = await deps.actor(user_id)
        result = await hand_over(
            deps.db,
            deps.config,
            actor_key=actor.user_key,
            roles=actor.roles,
            to_roles=await deps.roles.roles(target),
            praktik_id=int(praktik),
            to_slack_user=target,
        )
        dm = await open_dm(client, user_id)
        await client.chat_postMessage(channel=dm, text=result.message)
        if result.ok:
            new_dm = await open_dm(client, target)
            await client.chat_postMessage(
                channel=new_dm,
                text=(
                    f"Du er nu ansvarlig for praktik {result.case_ref} (overdraget af "
                    f"<@{user_id}>). Den står i din oversigt under Hjem, og påmindelser "
                    "kommer til dig."
                ),
            )
            if result.previous_slack_user and result.previous_slack_user != target:
                old_dm = await open_dm(client, result.previous_slack_user)
                await client.chat_postMessage(
                    channel=old_dm,
                    text=(
                        f"Praktik {result.case_ref} er overdraget til <@{target}> af <@{user_id}>."
                    ),
                )
        await client.views_publish(user_id=user_id, view=await home_view(deps, user_id))
