"""Handing a praktik over to another consultant (absence, job change).

A team lead may hand over their team's praktikker to a member of the same team; an
administrator any praktik to anyone. The follow-ups and their reminders follow the
praktik: reminders are addressed to its responsible consultant when they are sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.access import Roles
from bot.config import AppConfig
from storage import queries
from storage.db import Database
from storage.models import Consultant, utcnow


@dataclass(frozen=True)
class Handover:
    ok: bool
    message: str
    case_ref: str | None = None
    previous_slack_user: str | None = None


NOT_ALLOWED = "Du kan kun overdrage praktikker i et team, du er teamleder for."
NOT_IN_TEAM = "Den valgte person er ikke med i praktikkens team."
SAME = "Praktikken er allerede hos den valgte person."
DONE = "Praktikken {case_ref} er overdraget til <@{user}>."


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
                session, actor=actor_key, action="denied", praktik_id=praktik_id,
                detail={"what": "handover"},
            )  # fmt: skip
            return Handover(False, NOT_ALLOWED)
        if not roles.admin and praktik.team_id not in (to_roles.member_of | to_roles.lead_of):
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
        previous = await session.get(Consultant, praktik.consultant_id)
        await queries.audit(
            session,
            actor=actor_key,
            action="handover",
            praktik_id=praktik.id,
            detail={"from_consultant": praktik.consultant_id, "to_consultant": new_owner.id},
        )
        assert new_owner.id is not None
        praktik.consultant_id = new_owner.id
        praktik.updated_at = utcnow()
        session.add(praktik)
        return Handover(
            True,
            DONE.format(case_ref=praktik.case_ref, user=to_slack_user),
            case_ref=praktik.case_ref,
            previous_slack_user=previous.slack_user_id if previous else None,
        )
