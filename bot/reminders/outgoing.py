"""What each claimed delivery row sends — its messages and to whom — or why it is
cancelled instead: the follow-up is gone, no longer planned, moved, or its praktik ended;
the consultant has no Slack user; the team or its digest is no longer configured.

Everything is loaded in one short transaction before any Slack call, and decided again
at sending time rather than trusted from when the row was made: a follow-up held or
moved after its row was enqueued is not reminded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.config import AppConfig
from bot.reminders import planner, render
from bot.workdays import WorkingDays
from storage import meetings, queries
from storage.db import Database
from storage.models import Consultant, Delivery, FollowUp, Praktik


@dataclass
class Outgoing:
    delivery: Delivery
    messages: list[tuple[str, render.Blocks]] = field(default_factory=list)
    dm_user: str | None = None  # open a DM with this user; else post to delivery.recipient
    cancel: str | None = None  # why the row is cancelled instead of sent

    @property
    def recipient(self) -> str:
        """Who gets it: one recipient is sent one message at a time."""
        return self.dm_user or self.delivery.recipient


async def prepare(
    db: Database, config: AppConfig, days: WorkingDays, claimed: Sequence[Delivery]
) -> list[Outgoing]:
    followup_ids = [d.followup_id for d in claimed if d.followup_id is not None]
    teams = {d.team_id for d in claimed if d.kind == "digest" and d.team_id}
    async with db.transaction() as session:
        details = await queries.followups_with_praktik(session, followup_ids=followup_ids)
        digests: dict[tuple[str, dt.date], list[render.DigestEntry]] = {}
        at_risk: dict[str, list[render.RiskEntry]] = {}
        for delivery in claimed:
            if delivery.kind != "digest" or delivery.team_id not in teams:
                continue
            day = delivery.occurs_on
            week_end = day + dt.timedelta(days=6 - day.weekday())
            rows = await queries.planned_followups_of_team(
                session, team_id=delivery.team_id, due_to=week_end
            )
            digests[(delivery.team_id, day)] = [render.DigestEntry(*row) for row in rows]
            risky = await meetings.at_risk_of_team(session, team_id=delivery.team_id)
            at_risk[delivery.team_id] = [render.RiskEntry(*row) for row in risky]
    return [_outgoing(config, days, d, details, digests, at_risk) for d in claimed]


def _outgoing(
    config: AppConfig,
    days: WorkingDays,
    delivery: Delivery,
    details: dict[int, tuple[FollowUp, Praktik, Consultant]],
    digests: dict[tuple[str, dt.date], list[render.DigestEntry]],
    at_risk: dict[str, list[render.RiskEntry]],
) -> Outgoing:
    if delivery.kind == "digest":
        team = next((t for t in config.teams if t.id == delivery.team_id), None)
        if team is None or team.digest is None or not team.channel:
            return Outgoing(delivery, cancel="team or its digest no longer configured")
        assert delivery.team_id is not None
        entries = digests.get((delivery.team_id, delivery.occurs_on), [])
        messages = render.digest_messages(
            team_name=team.name,
            day=delivery.occurs_on,
            entries=entries,
            at_risk=at_risk.get(delivery.team_id, []),
        )
        delivery.recipient = team.channel
        return Outgoing(delivery, messages=messages)
    found = details.get(delivery.followup_id or -1)
    if found is None:
        return Outgoing(delivery, cancel="follow-up gone")
    followup, praktik, consultant = found
    if followup.status != "planned":
        return Outgoing(delivery, cancel=f"follow-up {followup.status}")
    if praktik.status != "active" and followup.kind != "status":
        return Outgoing(delivery, cancel="praktik ended")
    if not consultant.slack_user_id:
        return Outgoing(delivery, cancel="consultant has no Slack user")
    assert followup.id is not None
    current = planner.followup_occurrences(
        config, days, followup_id=followup.id, due_date=followup.due_date
    )
    if delivery.key not in {o.key for o in current}:
        return Outgoing(delivery, cancel="follow-up moved")
    left = None
    if delivery.kind == "early":
        left = days.between(delivery.occurs_on + dt.timedelta(days=1), followup.due_date)
    text, blocks = render.reminder_message(
        delivery_kind=delivery.kind,
        followup=followup,
        praktik=praktik,
        type_label=config.praktik_type(praktik.type).label,
        working_days_left=left,
    )
    return Outgoing(delivery, messages=[(text, blocks)], dm_user=consultant.slack_user_id)
