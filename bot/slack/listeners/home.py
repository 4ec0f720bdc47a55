"""App Home: the consultant's work list, published when the Home tab opens, its pages,
and a recent case note opened as copyable text (a modal)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import ids
from bot.blocks.kit import plain
from bot.blocks.payloads import row_id
from bot.slack.deps import SlackDeps
from bot.slack.render import note_blocks
from bot.slack.results import publish_results
from bot.slack.threads import post_blocks
from bot.slack.worklist_ui import home_view
from storage import queries

NOTE_NOT_YOURS = "Det notat hører til en praktik, du ikke længere er ansvarlig for."


async def case_note_of(deps: SlackDeps, *, user_key: str, note_id: int) -> tuple[str, str] | None:
    """(title, text) of a case note of a praktik the user is responsible for (audited
    as viewed), or None (audited as refused)."""
    async with deps.db.transaction() as session:
        me = await queries.consultant_by_key(session, user_key=user_key)
        found = await queries.case_note_with_praktik(session, note_id=note_id)
        if found is None or me is None or found[1].consultant_id != me.id:
            await queries.audit(
                session,
                actor=user_key,
                action="denied",
                praktik_id=found[1].id if found else None,
                detail={"what": "case_note", "note": note_id, "reason": "not_owner"},
            )
            return None
        note, praktik = found
        await queries.audit(
            session,
            actor=user_key,
            action="view",
            praktik_id=praktik.id,
            detail={"what": "case_note", "note": note.id},
        )
    flow = deps.flows.get(note.flow_id)
    title = f"{flow.title if flow else note.flow_id} · {praktik.short_ref or ''}"
    return title, note.text


def note_view(title: str, text: str) -> dict[str, Any]:
    """A modal with the note in code blocks: select it and copy it to the case system."""
    return {
        "type": "modal",
        "title": plain("Journalnotat", 24),
        "close": plain("Luk", 24),
        "blocks": note_blocks(f"{title}: marker teksten og kopiér den til sagssystemet.", text)[
            :100
        ],
    }


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.event("app_home_opened")
    async def on_home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = str(event["user"])
        await client.views_publish(user_id=user_id, view=await home_view(deps, user_id))

    @app.action(ids.NOTE_OPEN)
    async def on_note(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        user_id = str(body["user"]["id"])
        note_id = row_id(action.get("value"))
        if note_id is None:
            return
        found = await case_note_of(deps, user_key=f"slack:{user_id}", note_id=note_id)
        if found is None:
            channel = await deps.own_dm(client, user_id)
            if channel:
                await client.chat_postEphemeral(channel=channel, user=user_id, text=NOTE_NOT_YOURS)
            return
        title, text = found
        view = note_view(title, text)
        try:
            await client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)
        except SlackApiError:  # the trigger expired (3 s): the note in the DM instead
            channel = await deps.own_dm(client, user_id)
            if channel:
                await post_blocks(
                    client,
                    channel=channel,
                    thread_ts=None,
                    blocks=note_blocks(title, text),
                    text=title,
                )

    @app.action(re.compile(rf"^{ids.HOME_PAGE}:"))
    async def on_page(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        user_id = str(body["user"]["id"])
        page = row_id(action.get("value")) or 0
        await client.views_publish(user_id=user_id, view=await home_view(deps, user_id, page))

    @app.action(ids.RESULTS)
    async def on_results(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await publish_results(deps, client, str(body["user"]["id"]))
