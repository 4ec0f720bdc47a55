"""The reminder DM's controls: held (a button); postpone by 1, 2 or 5 working days or to
a chosen date (the overflow menu; choosing a date first shows the date picker).

Each listener acks first, then checks that the click comes from the user's own DM with
the bot and that the user is the responsible consultant of the follow-up's praktik (or
its team lead, or an administrator); others get a polite ephemeral refusal, audited.

Every button is idempotent by state: the actions block carries the follow-up's id and
version as rendered (`render.state_block_id`), and a click applies only while the
follow-up is still planned in that version. A second click on an already postponed or
held reminder — a double click, an older copy — changes nothing and says so. The change
is one transaction together with a de-duplication mark for the click (a repeated
delivery of the same click answers nothing), and after the commit the reminder message
is updated to say what was done. The buttons that start a flow (``pb_rem_start:*``) are
registered by the Slack front end, not here.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import absence
from bot.access import Access, RoleResolver, Roles, access
from bot.blocks import ids
from bot.blocks.payloads import clicked_message
from bot.config import AppConfig
from bot.followups import changes
from bot.reminders import render
from dialogues.dates import format_danish_date
from storage import queries
from storage.db import Database
from storage.models import FollowUp

log = logging.getLogger(__name__)

NOT_YOURS = "Det er kun den ansvarlige konsulent for praktikken, der kan ændre denne opfølgning."
UNREADABLE = "Jeg kunne ikke læse, hvilken opfølgning knappen hører til."
POSTPONED = "Udskudt til {date}"
HELD = "Markeret som afholdt"
UNCHANGED = " Intet er ændret."
ALREADY_HELD = "Opfølgningen er allerede markeret som afholdt." + UNCHANGED
ALREADY_CANCELLED = "Opfølgningen er aflyst." + UNCHANGED
ALREADY_POSTPONED = "Opfølgningen er allerede udskudt til {date}." + UNCHANGED
ALREADY_MOVED = "Opfølgningen er allerede flyttet til {date}." + UNCHANGED

OwnDm = Callable[[AsyncWebClient, str], Awaitable[str | None]]


@dataclass(frozen=True)
class ActionResult:
    """What a click did: done (message updated), refused / invalid / stale (ephemeral
    answer; stale: the follow-up changed since the reminder was rendered), or duplicate
    (a repeated delivery of the same click: nothing)."""

    status: str  # done, refused, invalid, stale, duplicate, pick_date
    text: str = ""
    followup: FollowUp | None = None
    # pick_date: the reminder's controls with the date picker shown (nothing changed).
    actions: dict[str, Any] | None = None


def already_changed(followup: FollowUp) -> str:
    """What a click on a reminder rendered for an earlier state of `followup` is told."""
    if followup.status == "held":
        return ALREADY_HELD
    if followup.status != "planned":
        return ALREADY_CANCELLED
    date = format_danish_date(followup.due_date)
    return (ALREADY_POSTPONED if followup.postponed_from else ALREADY_MOVED).format(date=date)


def _where(body: dict[str, Any]) -> tuple[str | None, str | None]:
    channel, ts, _ = clicked_message(body)
    return channel, ts


def _source_key(body: dict[str, Any], action: dict[str, Any]) -> str:
    channel, ts = _where(body)
    return (
        f"slack:rem:{channel}:{ts}:{action.get('action_id')}:{action.get('action_ts')}:"
        f"{(body.get('user') or {}).get('id')}"
    )[:200]


async def apply_action(
    *,
    db: Database,
    config: AppConfig,
    body: dict[str, Any],
    now: dt.datetime,
    roles: Roles | None = None,
    from_own_dm: bool = True,
) -> ActionResult:
    """Apply one reminder button click from a block_actions payload (no Slack calls).

    The responsible consultant may act, and so may the praktik's team lead, an
    administrator (`roles` of the clicking user) and the stand-in while its consultant
    is absent (audited as such), from their own DM with the bot
    (`from_own_dm`, checked by the listener); anyone else is refused and audited. The
    click applies only to the follow-up in the version the reminder was rendered for."""
    action = (body.get("actions") or [{}])[0]
    action_id = str(action.get("action_id") or "")
    if action_id == ids.REMINDER_MORE:  # the overflow menu: its option says what to do
        action_id = str((action.get("selected_option") or {}).get("value") or "")
    user_id = str((body.get("user") or {}).get("id") or "")
    state = render.rendered_state(str(action.get("block_id") or ""))
    if state is None or not user_id:
        return ActionResult("invalid", UNREADABLE)
    followup_id, version = state
    async with db.transaction() as session:
        if not await queries.claim_input(session, source_key=_source_key(body, action)):
            return ActionResult("duplicate")
        # Locked first: a concurrent click waits here and then sees the new version.
        current = await queries.get_followup(session, followup_id=followup_id, lock=True)
        found = await queries.followups_with_praktik(session, followup_ids=[followup_id])
        if current is None or followup_id not in found:
            return ActionResult("invalid", "Opfølgningen findes ikke længere.")
        _, praktik, consultant = found[followup_id]
        basis: Access | None = None
        if from_own_dm and consultant.slack_user_id == user_id:
            basis = Access("owner")
        elif from_own_dm:
            clicker = await queries.consultant_by_key(session, user_key=f"slack:{user_id}")
            covers = (
                await absence.covers_of(
                    session, consultant_id=clicker.id, day=config.local_date(now)
                )
                if clicker is not None and clicker.id is not None
                else ()
            )
            basis = access(
                roles=roles or Roles(),
                consultant_id=clicker.id if clicker else None,
                owner_id=praktik.consultant_id,
                team_id=praktik.team_id,
                covers=covers,
            )
        if basis is None:
            await queries.audit(
                session,
                actor=f"slack:{user_id}",
                action="denied",
                praktik_id=praktik.id,
                detail={
                    "followup": followup_id,
                    "action": action_id[:40],
                    "reason": "not_responsible" if from_own_dm else "not_own_dm",
                },
            )
            return ActionResult("refused", NOT_YOURS)
        if current.version != version or current.status != "planned":
            return ActionResult("stale", already_changed(current), current)
        if action_id == ids.MORE_PICK_DATE:  # shows the date picker; changes nothing
            actions = render.reminder_actions(current, praktik, pick_date=True)
            return ActionResult("pick_date", followup=current, actions=actions)
        stand_in = (
            {"stand_in_for": basis.cover.owner_id, "absence": basis.cover.absence_id}
            if basis.cover is not None
            else {}
        )
        await queries.audit(
            session,
            actor=f"slack:{user_id}",
            action="change",
            praktik_id=praktik.id,
            detail={"followup": followup_id, "action": action_id[:40], **stand_in},
        )
        try:
            if action_id == ids.REMINDER_HELD:
                followup = await changes.mark_followup_held(
                    session, config=config, followup_id=followup_id, now=now
                )
                return ActionResult("done", HELD, followup)
            if action_id == ids.REMINDER_POSTPONE_DATE:
                try:
                    chosen = dt.date.fromisoformat(str(action.get("selected_date")))
                except ValueError:
                    return ActionResult("invalid", "Vælg en dato i kalenderen.")
                followup = await changes.postpone_followup(
                    session, config=config, followup_id=followup_id, now=now, to_date=chosen
                )
            else:
                match = re.fullmatch(
                    rf"(?:{ids.REMINDER_POSTPONE}|{ids.MORE_POSTPONE}):(\d+)", action_id
                )
                if match is None:
                    return ActionResult("invalid", UNREADABLE)
                followup = await changes.postpone_followup(
                    session,
                    config=config,
                    followup_id=followup_id,
                    now=now,
                    working_days=int(match.group(1)),
                )
        except changes.PlanError as exc:
            return ActionResult("invalid", exc.message)
        text = POSTPONED.format(date=format_danish_date(followup.due_date))
        return ActionResult("done", text, followup)


async def handle_action(
    *,
    db: Database,
    config: AppConfig,
    client: AsyncWebClient,
    body: dict[str, Any],
    now: dt.datetime,
    roles: Roles | None = None,
    own_channel: str | None = None,
) -> ActionResult:
    """Apply a click, then tell the user: update the reminder message, or answer
    ephemerally. `own_channel` is the user's own DM with the bot, when known: a click
    from any other channel is refused and answered there. Slack errors are logged, never
    raised."""
    channel, ts = _where(body)
    from_own_dm = own_channel is None or channel == own_channel
    result = await apply_action(
        db=db, config=config, body=body, now=now, roles=roles, from_own_dm=from_own_dm
    )
    if not from_own_dm:
        channel, ts = own_channel, None
    user_id = str((body.get("user") or {}).get("id") or "")
    try:
        if result.status == "pick_date" and result.actions is not None and channel and ts:
            blocks = (body.get("message") or {}).get("blocks") or []
            text = (body.get("message") or {}).get("text") or "Påmindelse"
            await client.chat_update(
                channel=channel,
                ts=ts,
                text=text,
                blocks=render.with_actions(blocks, result.actions),
            )
        elif result.status == "done" and channel and ts:
            blocks = (body.get("message") or {}).get("blocks") or []
            await client.chat_update(
                channel=channel,
                ts=ts,
                text=f"{result.text}.",
                blocks=render.resolved_blocks(blocks, result.text),
            )
        elif result.status in ("refused", "invalid", "stale") and channel and user_id:
            await client.chat_postEphemeral(channel=channel, user=user_id, text=result.text)
    except SlackApiError as exc:
        log.warning("reminders: could not answer a reminder click: %s", exc.response.get("error"))
    return result


def register(
    app: AsyncApp,
    *,
    db: Database,
    config: AppConfig,
    clock: Callable[[], dt.datetime],
    resolver: RoleResolver | None = None,
    own_dm: OwnDm | None = None,
) -> None:
    """Register the reminder listeners: pb_rem_more (the overflow menu),
    pb_rem_postpone_date, pb_rem_held, and pb_rem_postpone:N of older reminders. `own_dm`
    finds a user's own DM channel with the bot (without it, the clicked message's channel
    is trusted)."""

    async def listener(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user_id = str((body.get("user") or {}).get("id") or "")
        roles = await resolver.roles(user_id) if resolver and user_id else None
        own = None
        if own_dm is not None:  # "" when Slack cannot say: then no channel is theirs
            own = (await own_dm(client, user_id) if user_id else None) or ""
        await handle_action(
            db=db, config=config, client=client, body=body, now=clock(), roles=roles,
            own_channel=own,
        )  # fmt: skip

    app.action(re.compile(rf"^{ids.REMINDER_POSTPONE}:\d+$"))(listener)
    app.action(ids.REMINDER_POSTPONE_DATE)(listener)
    app.action(ids.REMINDER_HELD)(listener)
    app.action(ids.REMINDER_MORE)(listener)
