"""The /praktik slash command with Danish subcommands: ny, forbered, opfølgning, afslut,
mine, fravær, hjælp. Slash commands are acked at once; the flow starts in the consultant's own DM.
The command may be typed in a shared channel, so the answer there never repeats what was
typed."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import ids
from bot.slack.deps import SlackDeps
from bot.slack.intents import intent
from bot.slack.listeners.absence import post_absence_form
from bot.slack.render import menu_blocks
from bot.slack.threads import help_text, open_dm, start_in_dm
from bot.slack.worklist_ui import post_work_list
from dialogues import texts
from dialogues.cpr import contains_cpr


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.command(ids.SLASH_COMMAND)
    async def on_praktik(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        text = str(command.get("text") or "")
        if contains_cpr(text):
            await ack(text=texts.CPR_REFUSED)
            return
        kind, flow_id = intent(text, deps.flows)
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
        elif kind == "absence":
            await ack(text="Jeg har sendt fraværsformularen til dig privat.")
            channel = await open_dm(deps, client, user_id)
            await post_absence_form(deps, client, user_id=user_id, channel=channel, thread_ts=None)
        elif kind == "list":
            await ack(text="Jeg har sendt listen over dine praktikker til dig privat.")
            channel = await open_dm(deps, client, user_id)
            await post_work_list(deps, client, user_id=user_id, channel=channel, thread_ts=None)
        else:
            prefix = "" if kind == "help" else "Det kender jeg ikke.\n"
            menu_text = help_text(deps.flows)
            await ack(blocks=menu_blocks(prefix + menu_text, deps.flows), text=menu_text)
