"""The /praktik slash command with Danish subcommands: ny, forbered, opfølgning, afslut,
mine, hjælp. Slash commands are acked at once; the flow starts in the consultant's DM."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import ids
from bot.slack.deps import SlackDeps
from bot.slack.intents import intent
from bot.slack.render import menu_blocks
from bot.slack.threads import HELP_TEXT, start_in_dm
from bot.slack.worklist_ui import work_list_blocks
from dialogues import texts
from dialogues.cpr import contains_cpr


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.command(ids.SLASH_COMMAND)
    async def on_praktik(
        ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        text = str(command.get("text") or "")
        if contains_cpr(text):
            await ack(text=texts.CPR_REFUSED)
            return
        kind, flow_id = intent(text)
        user_id = str(command["user_id"])
        if kind == "flow" and flow_id is not None:
            title = deps.flows[flow_id].title
            await ack(text=f"Jeg starter '{title}' i vores private samtale.")
            await start_in_dm(
                deps,
                client,
                user_id=user_id,
                flow_id=flow_id,
                praktik_id=None,
                source_key=f"slack:cmd:{command.get('trigger_id') or command.get('command_ts')}",
            )
        elif kind == "list":
            await ack()
            await respond(blocks=await work_list_blocks(deps, user_id), text="Dine praktikker")
        else:
            prefix = "" if kind == "help" else f"Det kender jeg ikke: '{text.strip()[:40]}'.\n"
            await ack(blocks=menu_blocks(prefix + HELP_TEXT), text=HELP_TEXT)
