"""Plain keyword-only queries of the dialogue tool: saved meetings and their corrections,
progression scores, development plans, risk flags and follow-up proposals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Answer,
    Consultant,
    Conversation,
    FollowUpProposal,
    PlanStep,
    Praktik,
    ProgressScore,
    RiskFlag,
    utcnow,
)

# --- saved conversations and corrections ---------------------------------------------------


async def saved_conversations(session: AsyncSession, *, praktik_id: int) -> list[Conversation]:
    """The praktik's saved conversations, the newest version of each: a correction stands
    in for the conversation it corrects (and for earlier corrections of it). Oldest first,
    by when the first version was saved."""
    query = (
        select(Conversation)
        .where(Conversation.praktik_id == praktik_id)
        .where(Conversation.status == "done")
        .order_by(col(Conversation.id))
    )
    newest: dict[int, Conversation] = {}
    for conversation in (await session.exec(query)).all():
        assert conversation.id is not None
        newest[conversation.corrects_id or conversation.id] = conversation
    return [newest[root] for root in sorted(newest)]


async def conversation(session: AsyncSession, *, conversation_id: int) -> Conversation | None:
    return await session.get(Conversation, conversation_id)


async def chain_ids(session: AsyncSession, *, root_id: int) -> list[int]:
    """The conversation and every correction of it."""
    query = select(Conversation.id).where(
        (col(Conversation.id) == root_id) | (col(Conversation.corrects_id) == root_id)
    )
    return sorted(int(i) for i in (await session.exec(query)).all() if i is not None)


async def current_answer(
    session: AsyncSession, *, conversation_ids: Sequence[int], step_id: str, question: str
) -> Answer | None:
    """The newest logged answer to a question (a step, per item: its question text) in a
    conversation and its corrections."""
    query = (
        select(Answer)
        .where(col(Answer.conversation_id).in_(list(conversation_ids)))
        .where(Answer.step_id == step_id)
        .where(Answer.question == question)
        .order_by(col(Answer.id).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


async def answers_of(session: AsyncSession, *, conversation_id: int) -> list[Answer]:
    """The answers logged in a conversation; of a question answered twice, the newest."""
    query = select(Answer).where(Answer.conversation_id == conversation_id).order_by(col(Answer.id))
    newest: dict[tuple[str, str], Answer] = {}
    for answer in (await session.exec(query)).all():
        newest[(answer.step_id, answer.question)] = answer
    return list(newest.values())


async def mark_version(
    session: AsyncSession, *, answer_id: int, replaces: Answer | None
) -> Answer | None:
    """Make a logged answer the new version of the one it replaces."""
    answer = await session.get(Answer, answer_id)
    if answer is None:
        return None
    answer.replaces_id = replaces.id if replaces is not None else None
    answer.version = (replaces.version + 1) if replaces is not None else 1
    session.add(answer)
    return answer


# --- progression -------------------------------------------------------------------------


async def scores_of(session: AsyncSession, *, praktik_ids: Sequence[int]) -> list[ProgressScore]:
    if not praktik_ids:
        return []
    query = (
        select(ProgressScore)
        .where(col(ProgressScore.praktik_id).in_(list(praktik_ids)))
        .order_by(col(ProgressScore.meeting_date), col(ProgressScore.conversation_id))
    )
    return list((await session.exec(query)).all())


async def replace_scores(
    session: AsyncSession, *, conversation_ids: Sequence[int], scores: Sequence[ProgressScore]
) -> None:
    """The scores of a saved conversation (and its corrections) are now `scores`."""
    await session.exec(
        delete(ProgressScore).where(col(ProgressScore.conversation_id).in_(list(conversation_ids)))
    )
    session.add_all(scores)
    await session.flush()


# --- development plan ------------------------------------------------------------------------


async def plan_steps_of(session: AsyncSession, *, praktik_id: int) -> list[PlanStep]:
    query = (
        select(PlanStep)
        .where(PlanStep.praktik_id == praktik_id)
        .order_by(col(PlanStep.due_date), col(PlanStep.id))
    )
    return list((await session.exec(query)).all())


# --- risk --------------------------------------------------------------------------------


async def risk_flags_of(
    session: AsyncSession, *, praktik_ids: Sequence[int], active_only: bool = True
) -> list[RiskFlag]:
    if not praktik_ids:
        return []
    query = select(RiskFlag).where(col(RiskFlag.praktik_id).in_(list(praktik_ids)))
    if active_only:
        query = query.where(col(RiskFlag.active).is_(True))
    return list((await session.exec(query.order_by(col(RiskFlag.id)))).all())


async def set_risk_flag(
    session: AsyncSession,
    *,
    praktik_id: int,
    rule_id: str,
    holds: bool,
    conversation_id: int,
    now: dt.datetime,
) -> bool:
    """Raise or clear a praktik's flag for a rule; True when it was raised just now."""
    query = (
        select(RiskFlag)
        .where(RiskFlag.praktik_id == praktik_id)
        .where(RiskFlag.rule_id == rule_id)
        .with_for_update()
    )
    flag = (await session.exec(query)).first()
    if flag is None:
        if not holds:
            return False
        session.add(
            RiskFlag(
                praktik_id=praktik_id, rule_id=rule_id, raised_at=now,
                conversation_id=conversation_id,
            )
        )  # fmt: skip
        await session.flush()
        return True
    raised = holds and not flag.active
    if holds and not flag.active:
        flag.raised_at, flag.cleared_at = now, None
    elif not holds and flag.active:
        flag.cleared_at = now
    flag.active = holds
    flag.conversation_id = conversation_id
    session.add(flag)
    return raised


async def at_risk_of_team(
    session: AsyncSession, *, team_id: str
) -> list[tuple[str | None, str, str | None]]:
    """(consultant Slack user id, consultant name, short reference) of the team's active
    praktikker with a risk flag raised. Never the case reference: this feeds a channel."""
    query = (
        select(col(Consultant.slack_user_id), col(Consultant.name), col(Praktik.short_ref))
        .join(Praktik, col(Praktik.consultant_id) == col(Consultant.id))
        .where(Praktik.team_id == team_id)
        .where(Praktik.status == "active")
        .where(
            col(Praktik.id).in_(select(RiskFlag.praktik_id).where(col(RiskFlag.active).is_(True)))
        )
        .order_by(col(Praktik.id))
    )
    return [(u, str(n), r) for u, n, r in (await session.exec(query)).all()]


# --- proposals ---------------------------------------------------------------------------


async def proposal(
    session: AsyncSession, *, proposal_id: int, lock: bool = False
) -> FollowUpProposal | None:
    query = select(FollowUpProposal).where(FollowUpProposal.id == proposal_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.exec(query)).first()


async def proposal_of_conversation(
    session: AsyncSession, *, root_id: int
) -> FollowUpProposal | None:
    query = (
        select(FollowUpProposal)
        .where(FollowUpProposal.conversation_id == root_id)
        .order_by(col(FollowUpProposal.id).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


async def supersede_proposals(session: AsyncSession, *, praktik_id: int) -> None:
    """Undecided proposals on the praktik give way to a newer one."""
    await session.exec(
        update(FollowUpProposal)
        .where(col(FollowUpProposal.praktik_id) == praktik_id)
        .where(col(FollowUpProposal.status) == "proposed")
        .values(status="superseded", decided_at=utcnow())
    )
