"""Absence and stand-in in Slack: the form in the DM, saving it, ending an absence.

Every action is acked first. The form is saved only from the user's own DM with the bot;
a refusal is a Danish message only the user sees, and the form stays for another try.
Once saved, the form message says what was set (its controls are gone) and everyone
involved is told in their own DM: the stand-in, and the absent consultant when their
lead set it. Home is published again for each of them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import absence
from bot.blocks import ids
from bot.blocks.kit import Block, mrkdwn_sections
from bot.blocks.payloads import clicked_message, row_id
from bot.slack.absence_ui import FORM_TITLE, form_blocks, overview_blocks, read_form
from bot.slack.deps import SlackDeps
from bot.slack.threads import in_own_dm, open_dm, post_blocks, tell_privately
from bot.slack.worklist_ui import home_view
from storage import queries
from storage.models import Consultant

MISSING = {
    "first": "Vælg første fraværsdag.",
    "last": "Vælg sidste fraværsdag.",
    "stand_in": "Vælg en stedfortræder fra dit team.",
}


def today_of(deps: SlackDeps) -> dt.date:
    return deps.clock().astimezone(deps.config.tz).date()


async def person(deps: SlackDeps, user_id: str) -> absence.Person:
    assert deps.roles is not None
    return absence.Person(user_id, await deps.roles.roles(user_id))


async def absence_blocks(
    deps: SlackDeps, user_id: str, *, editing: int | None = None
) -> list[Block]:
    """What `fravær` shows: the absences that concern the user, then the form (new, or
    prefilled for `editing` when the user may change that one)."""
    me = await person(deps, user_id)
    today = today_of(deps)
    found = await absence.overview(deps.db, person=me, today=today)
    edit = next(
        (v for v in (*found.own, *found.team) if v.absence_id == editing and v.may_change),
        None,
    )
    blocks: list[Block] = [] if edit else overview_blocks(found, with_open_button=False)
    return blocks + form_blocks(today=today, lead=bool(me.roles.lead_of), editing=edit)


async def post_absence_form(
    deps: SlackDeps,
    client: AsyncWebClient,
    *,
    user_id: str,
    channel: str,
    thread_ts: str | None,
    editing: int | None = None,
) -> None:
    blocks = await absence_blocks(deps, user_id, editing=editing)
    await post_blocks(client, channel=channel, thread_ts=thread_ts, blocks=blocks, text=FORM_TITLE)


async def refresh_homes(deps: SlackDeps, client: AsyncWebClient, users: set[str]) -> None:
    for user in sorted(users):
        with contextlib.suppress(SlackApiError):  # Home is shown again when opened
            await client.views_publish(user_id=user, view=await home_view(deps, user))


async def tell(deps: SlackDeps, client: AsyncWebClient, result: absence.AbsenceResult) -> None:
    for user, text in result.notify:
        await tell_privately(deps, client, user, [text], mrkdwn=True)


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.action(ids.ABSENCE_WHO)
    @app.action(ids.ABSENCE_FIRST)
    @app.action(ids.ABSENCE_LAST)
    @app.action(ids.ABSENCE_STAND_IN)
    async def on_pick(ack: AsyncAck) -> None:
        await ack()  # read when the form is saved

    @app.action(ids.ABSENCE_OPEN)
    async def on_open(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        user_id = str(body["user"]["id"])
        if not await deps.service.claim(f"slack:absopen:{user_id}:{action.get('action_ts')}"):
            return
        channel = await open_dm(deps, client, user_id)
        await post_absence_form(
            deps,
            client,
            user_id=user_id,
            channel=channel,
            thread_ts=None,
            editing=row_id(action.get("value")),
        )

    @app.action(ids.ABSENCE_SAVE)
    async def on_save(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        user_id = str(body["user"]["id"])
        channel, ts, _ = clicked_message(body)
        if not channel or not ts:
            return
        source_key = f"slack:absform:{channel}:{ts}"
        if not await in_own_dm(
            deps,
            client,
            user_id=user_id,
            channel=channel,
            thread_ts=None,
            source_key=f"{source_key}:{action.get('action_ts')}",
        ):
            return
        picked = read_form(body)
        missing = [text for key, text in MISSING.items() if key not in picked]
        first, last = _day(picked.get("first")), _day(picked.get("last"))
        if missing or first is None or last is None:
            text = " ".join(missing) or "Vælg datoerne i kalenderen."
            await client.chat_postEphemeral(channel=channel, user=user_id, text=text)
            return
        editing = row_id(action.get("value"))
        actor = await person(deps, user_id)
        absent = actor
        if editing is not None:
            absent = await person(deps, await absent_of(deps, editing) or user_id)
        elif picked.get("who") and picked["who"] != user_id:
            absent = await person(deps, picked["who"])
        stand_in = await person(deps, picked["stand_in"])
        result = await absence.set_absence(
            deps.db,
            deps.config,
            actor=actor,
            absent=absent,
            stand_in=stand_in,
            first_day=first,
            last_day=last,
            today=today_of(deps),
            absence_id=editing,
            source_key=source_key,
        )
        if not result.ok:
            await client.chat_postEphemeral(channel=channel, user=user_id, text=result.message)
            return
        with contextlib.suppress(SlackApiError):
            await client.chat_update(
                channel=channel,
                ts=ts,
                text=FORM_TITLE,
                blocks=mrkdwn_sections(f"*{FORM_TITLE}*\n:white_check_mark: {result.message}"),
            )
        await tell(deps, client, result)
        users = {user_id, absent.slack_user_id, stand_in.slack_user_id}
        users |= {user for user, _ in result.notify}
        await refresh_homes(deps, client, users)

    @app.action(ids.ABSENCE_END)
    async def on_end(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        user_id = str(body["user"]["id"])
        absence_id = row_id(action.get("value"))
        if absence_id is None:
            return
        if not await deps.service.claim(f"slack:absend:{user_id}:{action.get('action_ts')}"):
            return
        result = await absence.end_absence(
            deps.db, actor=await person(deps, user_id), absence_id=absence_id, today=today_of(deps)
        )
        await tell_privately(deps, client, user_id, [result.message], mrkdwn=True)
        await tell(deps, client, result)
        await refresh_homes(deps, client, {user_id} | {user for user, _ in result.notify})


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


async def absent_of(deps: SlackDeps, absence_id: int) -> str | None:
    """The Slack user of the absence's absent consultant (the form to change it keeps it)."""
    async with deps.db.transaction() as session:
        found = await queries.get_absence(session, absence_id=absence_id)
        owner = await session.get(Consultant, found.consultant_id) if found else None
        return owner.slack_user_id if owner else None
