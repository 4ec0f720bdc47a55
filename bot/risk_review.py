"""After a flow about a praktik is saved: the risk rules (app.yaml `risk.rules`, see
dialogues.risk) are evaluated on what it recorded, the praktik's flags are raised or
cleared, and when a rule holds an extra follow-up is proposed — for the consultant to
accept or decline with one click (`decide`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import messages
from bot.config import AppConfig
from bot.followups import changes
from bot.workdays import WorkingDays
from dialogues.dates import format_danish_date
from dialogues.risk import Signal, evaluate
from storage import meetings, queries
from storage.models import FollowUpProposal, Praktik

EXTRA_KIND = "ekstra"


@dataclass(frozen=True)
class ProposalView:
    """A proposal to show, with its buttons (Slack) or question (terminal)."""

    id: int
    text: str
    due: dt.date


def answer_signals(flow_id: str, answers: Mapping[str, Any]) -> list[Signal]:
    """One signal per answer of the saved flow (per item for a step asked per item)."""
    signals = []
    for step, value in answers.items():
        if isinstance(value, list) and all(isinstance(v, dict) for v in value):
            signals += [Signal("answer", v.get("value"), flow=flow_id, step=step) for v in value]
        elif value is not None:
            signals.append(Signal("answer", value, flow=flow_id, step=step))
    return signals


def proposal_view(config: AppConfig, proposal: FollowUpProposal) -> ProposalView:
    assert proposal.id is not None
    labels = [rule.label for r in proposal.rules if (rule := config.risk.rule(r)) is not None]
    text = messages.PROPOSAL.format(
        reasons=", ".join(labels) or "risiko", due=format_danish_date(proposal.due_date)
    )
    return ProposalView(id=proposal.id, text=text, due=proposal.due_date)


async def review(
    session: AsyncSession,
    *,
    config: AppConfig,
    praktik: Praktik,
    root_id: int,
    correction: bool,
    signals: list[Signal],
    now: dt.datetime,
) -> ProposalView | None:
    """Evaluate the rules on `signals`; set the flags; propose an extra follow-up when a
    rule holds (a correction updates its conversation's undecided proposal instead of
    proposing again)."""
    assert praktik.id is not None
    if praktik.status != "active":
        return None
    verdicts = evaluate(config.risk.rules, signals)
    for verdict in verdicts:
        await meetings.set_risk_flag(
            session, praktik_id=praktik.id, rule_id=verdict.rule.id, holds=verdict.holds,
            conversation_id=root_id, now=now,
        )  # fmt: skip
    holding = [v.rule.id for v in verdicts if v.holds]
    existing = await meetings.proposal_of_conversation(session, root_id=root_id)
    if correction and existing is not None:
        if existing.status != "proposed":
            return None  # decided already: the consultant has answered it
        if not holding:
            existing.status, existing.decided_at = "withdrawn", now
            session.add(existing)
            return None
        existing.rules = holding
        session.add(existing)
        return proposal_view(config, existing)
    if not holding:
        return None
    await meetings.supersede_proposals(session, praktik_id=praktik.id)
    due = WorkingDays(config.calendar).add(
        config.local_date(now), config.risk.extra_followup.working_days
    )
    proposal = FollowUpProposal(
        praktik_id=praktik.id, conversation_id=root_id, rules=holding, due_date=due
    )
    session.add(proposal)
    await session.flush()
    return proposal_view(config, proposal)


@dataclass(frozen=True)
class Decision:
    status: str  # accepted, declined, stale (decided before), invalid
    text: str


async def decide(
    session: AsyncSession,
    *,
    config: AppConfig,
    proposal: FollowUpProposal,
    accept: bool,
    actor_key: str,
    now: dt.datetime,
) -> Decision:
    """Accept (a follow-up is added and reminded) or decline a proposal, once; audited."""
    if proposal.status != "proposed":
        status = {"accepted": "accepteret", "declined": "afvist"}.get(proposal.status, "erstattet")
        return Decision("stale", messages.PROPOSAL_DONE_BEFORE.format(status=status))
    labels = ", ".join(
        rule.label for r in proposal.rules if (rule := config.risk.rule(r)) is not None
    )
    if accept:
        due = changes.today_or_later(proposal.due_date, config.local_date(now))
        followup = await changes.add_followup(
            session, config=config, praktik_id=proposal.praktik_id, kind=EXTRA_KIND,
            due_date=due, now=now, note=f"Ekstra opfølgning: {labels}"[:200],
        )  # fmt: skip
        proposal.followup_id = followup.id
        proposal.status = "accepted"
        text = messages.PROPOSAL_ACCEPTED.format(due=format_danish_date(followup.due_date))
    else:
        proposal.status = "declined"
        text = messages.PROPOSAL_DECLINED
    proposal.decided_by, proposal.decided_at = actor_key, now
    session.add(proposal)
    await queries.audit(
        session,
        actor=actor_key,
        action="change",
        praktik_id=proposal.praktik_id,
        detail={"proposal": proposal.id, "decision": proposal.status,
                "followup": proposal.followup_id},
    )  # fmt: skip
    return Decision(proposal.status, text)
