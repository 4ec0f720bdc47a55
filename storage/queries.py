"""Plain keyword-only query functions taking the session. No business rules here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Answer,
    CaseNote,
    Consultant,
    Conversation,
    FollowUp,
    Praktik,
    ProcessedInput,
    utcnow,
)


async def claim_input(session: AsyncSession, *, source_key: str) -> bool:
    """Mark an input as handled. False when it was handled before (a repeated delivery).

    Runs in the caller's transaction: if that transaction rolls back, the input counts
    as not handled, so a retry can do the work.
    """
    if await session.get(ProcessedInput, source_key) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(ProcessedInput(source_key=source_key))
            await session.flush()
    except IntegrityError:
        return False
    return True


async def get_or_create_consultant(
    session: AsyncSession,
    *,
    user_key: str,
    name: str,
    slack_user_id: str | None = None,
    team_id: str | None = None,
) -> Consultant:
    found = (await session.exec(select(Consultant).where(Consultant.user_key == user_key))).first()
    if found is not None:
        if team_id is not None and found.team_id != team_id:
            found.team_id = team_id
            session.add(found)
        return found
    consultant = Consultant(
        user_key=user_key, name=name, slack_user_id=slack_user_id, team_id=team_id
    )
    session.add(consultant)
    await session.flush()
    return consultant


async def active_conversation(
    session: AsyncSession, *, key: str, lock: bool = True
) -> Conversation | None:
    query = select(Conversation).where(Conversation.active_key == key)
    if lock:
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def close_conversation(
    session: AsyncSession, *, conversation: Conversation, status: str
) -> None:
    conversation.status = status
    conversation.active_key = None
    conversation.last_activity = utcnow()
    session.add(conversation)
    await session.flush()


async def create_conversation(
    session: AsyncSession,
    *,
    key: str,
    consultant_id: int,
    flow_id: str,
    flow_version: str,
    praktik_id: int | None,
    channel: str | None = None,
    thread_ts: str | None = None,
) -> Conversation:
    conversation = Conversation(
        key=key,
        active_key=key,
        consultant_id=consultant_id,
        flow_id=flow_id,
        flow_version=flow_version,
        praktik_id=praktik_id,
        channel=channel,
        thread_ts=thread_ts,
    )
    session.add(conversation)
    await session.flush()
    return conversation


async def set_prompt_ref(session: AsyncSession, *, conversation_id: int, prompt_ref: str) -> None:
    await session.exec(
        update(Conversation)
        .where(col(Conversation.id) == conversation_id)
        .values(prompt_ref=prompt_ref)
    )


async def expire_conversations(session: AsyncSession, *, idle_since: dt.datetime) -> int:
    """Close active conversations nobody has touched since `idle_since`."""
    result = await session.exec(
        update(Conversation)
        .where(col(Conversation.active_key).is_not(None))
        .where(col(Conversation.last_activity) < idle_since)
        .values(status="expired", active_key=None)
    )
    return int(result.rowcount or 0)


async def log_answer(
    session: AsyncSession,
    *,
    conversation: Conversation,
    consultant_id: int,
    step_id: str,
    question: str,
    value: Any,
    display: str,
    source_key: str,
) -> None:
    assert conversation.id is not None
    session.add(
        Answer(
            conversation_id=conversation.id,
            praktik_id=conversation.praktik_id,
            consultant_id=consultant_id,
            flow_id=conversation.flow_id,
            flow_version=conversation.flow_version,
            step_id=step_id,
            question=question,
            value=value,
            display=display,
            source_key=source_key,
        )
    )


async def answers_of(session: AsyncSession, *, conversation_id: int) -> Sequence[Answer]:
    query = select(Answer).where(Answer.conversation_id == conversation_id).order_by(col(Answer.id))
    return (await session.exec(query)).all()


async def add_praktik(session: AsyncSession, *, praktik: Praktik) -> Praktik:
    session.add(praktik)
    await session.flush()
    return praktik


async def get_praktik(session: AsyncSession, *, praktik_id: int) -> Praktik | None:
    return await session.get(Praktik, praktik_id)


async def praktikker_of(
    session: AsyncSession, *, consultant_id: int, active_only: bool = True
) -> Sequence[Praktik]:
    query = select(Praktik).where(Praktik.consultant_id == consultant_id)
    if active_only:
        query = query.where(Praktik.status == "active")
    return (await session.exec(query.order_by(col(Praktik.start_date), col(Praktik.id)))).all()


async def attach_answers_to_praktik(
    session: AsyncSession, *, conversation: Conversation, praktik_id: int
) -> None:
    """Answers logged before the praktik existed (its registration) now point at it."""
    conversation.praktik_id = praktik_id
    session.add(conversation)
    await session.exec(
        update(Answer)
        .where(col(Answer.conversation_id) == conversation.id)
        .values(praktik_id=praktik_id)
    )


async def add_case_note(
    session: AsyncSession, *, praktik_id: int | None, conversation_id: int, flow_id: str, text: str
) -> CaseNote:
    note = CaseNote(
        praktik_id=praktik_id, conversation_id=conversation_id, flow_id=flow_id, text=text
    )
    session.add(note)
    await session.flush()
    return note


async def add_followups(session: AsyncSession, *, followups: Sequence[FollowUp]) -> None:
    session.add_all(followups)
    await session.flush()


async def next_followups(
    session: AsyncSession, *, praktik_ids: Sequence[int]
) -> dict[int, FollowUp]:
    """The earliest planned follow-up of each praktik."""
    if not praktik_ids:
        return {}
    query = (
        select(FollowUp)
        .where(col(FollowUp.praktik_id).in_(praktik_ids))
        .where(FollowUp.status == "planned")
        .order_by(col(FollowUp.due_date), col(FollowUp.id))
    )
    result: dict[int, FollowUp] = {}
    for followup in (await session.exec(query)).all():
        result.setdefault(followup.praktik_id, followup)
    return result


async def outcomes_by_type(session: AsyncSession) -> list[tuple[str, str | None, int]]:
    """(type, outcome, count) over all praktikker; outcome None = not ended yet."""
    query = (
        select(Praktik.type, Praktik.outcome, func.count())
        .group_by(col(Praktik.type), col(Praktik.outcome))
        .order_by(col(Praktik.type))
    )
    return [(t, o, int(n)) for t, o, n in (await session.exec(query)).all()]
