"""What each claimed delivery row sends — its messages and to whom — or why it is
cancelled instead: the follow-up is gone, no longer planned, moved, or its praktik ended;
the consultant has no Slack user; the team or its digest is no longer configured.

While the responsible consultant is absent (bot/absence.py: an absence in effect on the
row's local day), a reminder about a praktik the arrangement covers goes to the stand-in
and says whose praktik it is; in a digest the stand-in is mentioned for the absent
consultant's follow-ups.

Everything is loaded in one short transaction before any Slack call, and decided again
at sending time rather than trusted from when the row was made: a follow-up held or
moved after its row was enqueued is not reminded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot import absence
from bot.config import AppConfig
from bot.followups.plan import add_months
from bot.reminders import planner, render
from bot.report import Audience, Report, Request, build_report
from bot.workdays import WorkingDays
from dialogues.structure import FLOWS_DIR, load_flows
from storage import meetings, queries
from storage.db import Database
from storage.models import Absence, Consultant, Delivery, FollowUp, Praktik


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
    overviews = {
        d.key: await overview_report(db, config, d.occurs_on)
        for d in claimed
        if d.kind == "overview" and config.report.monthly_overview is not None
    }
    async with db.transaction() as session:
        details = await queries.followups_with_praktik(session, followup_ids=followup_ids)
        covered: StandIns = {}
        for day in sorted({d.occurs_on for d in claimed if d.followup_id in details}):
            owners = sorted(
                {
                    details[d.followup_id][1].consultant_id
                    for d in claimed
                    if d.occurs_on == day and d.followup_id in details
                }
            )
            for owner, found in (
                await absence.stand_ins_on(session, consultant_ids=owners, day=day)
            ).items():
                covered[(owner, day)] = found
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
            stand_ins = {
                owner.slack_user_id: stand_in.slack_user_id
                for _, owner, stand_in in await queries.absences_in_effect(
                    session, day=day, team_id=delivery.team_id
                )
                if owner.slack_user_id
            }
            digests[(delivery.team_id, day)] = [
                render.DigestEntry(*row, stand_in=stand_ins.get(row[0]) if row[0] else None)
                for row in rows
            ]
            risky = await meetings.at_risk_of_team(session, team_id=delivery.team_id)
            at_risk[delivery.team_id] = [render.RiskEntry(*row) for row in risky]
    return [
        _outgoing(config, days, d, details, digests, overviews, covered, at_risk) for d in claimed
    ]


async def overview_report(db: Database, config: AppConfig, day: dt.date) -> list[Report]:
    """The monthly overview's views, for everyone and suppressed: exit to job or education
    by type of the praktikker ended in the last 12 months, follow-ups last month and
    overdue now by team. Aggregates only (no company, P-nr., case or person)."""
    flows = load_flows(config.flows_dir or FLOWS_DIR)
    month_start = day.replace(day=1)
    last_month = add_months(month_start, -1)
    actor = "system:monthly_overview"
    exit_request = Request(day, ("type",), "end_quarter", add_months(day, -12), day)
    follow_request = Request(
        day, ("type",), "end_quarter", last_month, month_start - dt.timedelta(days=1)
    )
    return [
        await build_report(
            db, config, flows, request=exit_request, audience=Audience.everyone(), actor=actor,
            views=["exit"], what="monthly_overview",
        ),
        await build_report(
            db, config, flows, request=follow_request, audience=Audience.everyone(),
            actor=actor, views=["followup", "overdue"], what="monthly_overview",
        ),
    ]  # fmt: skip


# (absent consultant id, local day) → (absence, absent consultant, stand-in)
StandIns = dict[tuple[int, dt.date], tuple[Absence, Consultant, Consultant]]


def _outgoing(
    config: AppConfig,
    days: WorkingDays,
    delivery: Delivery,
    details: dict[int, tuple[FollowUp, Praktik, Consultant]],
    digests: dict[tuple[str, dt.date], list[render.DigestEntry]],
    overviews: dict[str, list[Report]],
    covered: StandIns,
    at_risk: dict[str, list[render.RiskEntry]],
) -> Outgoing:
    if delivery.kind == "overview":
        overview = config.report.monthly_overview
        if overview is None or delivery.key not in overviews:
            return Outgoing(delivery, cancel="monthly overview no longer configured")
        delivery.recipient = overview.channel
        messages = render.overview_messages(
            day=delivery.occurs_on, reports=overviews[delivery.key], months=config.status_months
        )
        return Outgoing(delivery, messages=messages)
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
        config, days, followup_id=followup.id, kind=followup.kind, due_date=followup.due_date
    )
    if delivery.key not in {o.key for o in current}:
        return Outgoing(delivery, cancel="follow-up moved")
    left = None
    if delivery.kind == "early":
        left = days.between(delivery.occurs_on + dt.timedelta(days=1), followup.due_date)
    recipient = consultant.slack_user_id
    stand_in_for: render.StandIn | None = None
    cover = covered.get((praktik.consultant_id, delivery.occurs_on))
    if cover is not None:
        arrangement, _, stand_in = cover
        last = absence.effective_last_day(arrangement)
        if (
            stand_in.slack_user_id
            and last is not None
            and absence.routes_to_stand_in(arrangement, praktik.team_id)
        ):
            recipient = stand_in.slack_user_id
            stand_in_for = render.StandIn(owner=consultant.slack_user_id, last_day=last)
    text, blocks = render.reminder_message(
        delivery_kind=delivery.kind,
        followup=followup,
        praktik=praktik,
        type_label=config.praktik_type(praktik.type).label,
        working_days_left=left,
        stand_in_for=stand_in_for,
    )
    return Outgoing(delivery, messages=[(text, blocks)], dm_user=recipient)
