"""Handing a praktik over to another consultant (absence, job change).

A team lead may hand over their team's praktikker to a member of the same team; an
administrator any praktik to anyone. The follow-ups and their reminders follow the
praktik: reminders are addressed to its responsible consultant when they are sent. The
previous owner's open conversations on the praktik are closed in the same transaction
(status ``handed_over``: whatever they answer there later is refused), and the front end
tells them so in each thread. Every refusal is audited, with ids only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.access import Roles
from bot.config import AppConfig
from storage import queries
from storage.db import Database
from storage.models import Consultant, utcnow


@dataclass(frozen=True)
class ClosedConversation:
    """A conversation of the previous owner, closed by the hand-over."""

    conversation_id: int
    flow_id: str
    channel: str | None
    thread_ts: str | None
    prompt_ref: str | None


@dataclass(frozen=True)
class Handover:
    ok: bool
    message: str
    case_ref: str | None = None
    short_ref: str | None = None
    previous_slack_user: str | None = None
    closed: list[ClosedConversation] = field(default_factory=list)


NOT_ALLOWED = "Du kan kun overdrage praktikker i et team, du er teamleder for."
NOT_IN_TEAM = "Den valgte person er ikke med i praktikkens team."
SAME = "Praktikken er allerede hos den valgte person."
CHANGED = "Praktikken blev overdraget af en anden lige nu. Se Hjem, og prøv igen."
DONE = "Praktikken {short_ref} er overdraget til <@{user}>."  # no typed text: safe mrkdwn


async def hand_over(
    db: Database,
    config: AppConfig,
    *,
    actor_key: str,
    roles: Roles,
    to_roles: Roles,
    praktik_id: int,
    to_slack_user: str,
) -> Handover:
    async with db.transaction() as session:
        praktik = await queries.get_praktik(session, praktik_id=praktik_id)
        allowed = praktik is not None and (
            roles.admin or (praktik.team_id is not None and praktik.team_id in roles.lead_of)
        )
        if praktik is None or not allowed:
            await queries.audit(
                session,
                actor=actor_key,
                action="denied",
                praktik_id=praktik_id,
                detail={"what": "handover", "reason": "not_lead"},
            )
            return Handover(False, NOT_ALLOWED)
        if not roles.admin and praktik.team_id not in (to_roles.member_of | to_roles.lead_of):
            await queries.audit(
                session,
                actor=actor_key,
                action="denied",
                praktik_id=praktik_id,
                detail={
                    "what": "handover",
                    "reason": "not_in_team",
                    "to": f"slack:{to_slack_user}",
                },
            )
            return Handover(False, NOT_IN_TEAM)
        new_owner = await queries.get_or_create_consultant(
            session,
            user_key=f"slack:{to_slack_user}",
            name=to_slack_user,
            slack_user_id=to_slack_user,
            team_id=to_roles.team_id,
        )
        if new_owner.id == praktik.consultant_id:
            return Handover(False, SAME)
        # Lock order as in a turn: the owner's open conversations on it, then the praktik
        # (a turn in progress finishes first; one that starts later finds it closed).
        owner_id = praktik.consultant_id
        conversations = await queries.open_conversations_on(
            session, praktik_id=praktik_id, consultant_id=owner_id
        )
        praktik = await queries.get_praktik(session, praktik_id=praktik_id, lock=True)
        if praktik is None or praktik.consultant_id != owner_id:
            return Handover(False, CHANGED)  # another hand-over of it just now
        previous = await session.get(Consultant, owner_id)
        await queries.audit(
            session,
            actor=actor_key,
            action="handover",
            praktik_id=praktik.id,
            detail={"from_consultant": praktik.consultant_id, "to_consultant": new_owner.id},
        )
        assert new_owner.id is not None and praktik.id is not None
        closed = []
        for conversation in conversations:
            assert conversation.id is not None
            closed.append(
                ClosedConversation(
                    conversation.id,
                    conversation.flow_id,
                    conversation.channel,
                    conversation.thread_ts,
                    conversation.prompt_ref,
                )
            )
            await queries.close_conversation(
                session, conversation=conversation, status="handed_over"
            )
        praktik.consultant_id = new_owner.id
        praktik.updated_at = utcnow()
        session.add(praktik)
        return Handover(
            True,
            DONE.format(short_ref=praktik.short_ref, user=to_slack_user),
            case_ref=praktik.case_ref,
            short_ref=praktik.short_ref,
            previous_slack_user=previous.slack_user_id if previous else None,
            closed=closed,
        )
