"""Retention and erasure (rules.md, data protection §4).

`purge` deletes what is past retention: the conversations, answers and case-note drafts
of praktikker that ended more than `retention.days_after_praktik_end` days ago, the
conversations never linked to a praktik after `unfinished_conversation_days`, old
reminder rows and de-duplication marks. The praktik row itself (type, dates, outcome) and
its statuses after the end stay for the outcome statistics.

`erase_case` removes everything about one case reference, leaving one audit entry with
counts only — not the reference.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import AppConfig
from bot.reminders import queue
from storage import queries
from storage.db import Database
from storage.models import (
    Answer,
    CaseNote,
    Conversation,
    Delivery,
    FollowUp,
    Praktik,
    ProcessedInput,
    StatusRecord,
)


@dataclass
class Removed:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, count: int) -> None:
        self.counts[table] = self.counts.get(table, 0) + count

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def _delete(
    session: AsyncSession, removed: Removed, model: type, *conditions: Any, dry_run: bool
) -> None:
    table = str(model.__tablename__)  # type: ignore[attr-defined]
    if dry_run:
        count = select(func.count()).select_from(model).where(*conditions)
        removed.add(table, int((await session.exec(count)).one()))
        return
    result = await session.exec(delete(model).where(*conditions))
    removed.add(table, int(result.rowcount or 0))


async def _remove_conversations(
    session: AsyncSession, removed: Removed, conversation_ids: list[int], *, dry_run: bool
) -> None:
    if not conversation_ids:
        return
    ids = col(Answer.conversation_id).in_(conversation_ids)
    await _delete(session, removed, Answer, ids, dry_run=dry_run)
    await _delete(
        session, removed, CaseNote, col(CaseNote.conversation_id).in_(conversation_ids),
        dry_run=dry_run,
    )  # fmt: skip
    await _delete(
        session, removed, Conversation, col(Conversation.id).in_(conversation_ids),
        dry_run=dry_run,
    )  # fmt: skip


async def purge(
    db: Database, config: AppConfig, *, now: dt.datetime, actor: str, dry_run: bool = False
) -> Removed:
    """Delete exactly what is past retention (see the module docstring)."""
    retention = config.retention
    removed = Removed()
    ended_before = now - dt.timedelta(days=retention.days_after_praktik_end)
    idle_before = now - dt.timedelta(days=retention.unfinished_conversation_days)
    async with db.transaction() as session:
        ended = (
            await session.exec(
                select(Praktik.id)
                .where(Praktik.status == "ended")
                .where(col(Praktik.ended_at) < ended_before)
            )
        ).all()
        ended_ids = [int(i) for i in ended if i is not None]
        by_praktik = (
            await session.exec(
                select(Conversation.id).where(col(Conversation.praktik_id).in_(ended_ids))
            )
        ).all()
        unfinished = (
            await session.exec(
                select(Conversation.id)
                .where(col(Conversation.praktik_id).is_(None))
                .where(col(Conversation.last_activity) < idle_before)
            )
        ).all()
        conversation_ids = sorted({int(i) for i in [*by_praktik, *unfinished] if i is not None})
        await _remove_conversations(session, removed, conversation_ids, dry_run=dry_run)
        await _delete(
            session, removed, CaseNote, col(CaseNote.praktik_id).in_(ended_ids), dry_run=dry_run
        )
        old_deliveries = now - dt.timedelta(days=retention.delivery_days)
        await _delete(
            session,
            removed,
            Delivery,
            col(Delivery.status).in_([str(s) for s in queue.FINAL]),
            col(Delivery.created_at) < old_deliveries,
            dry_run=dry_run,
        )
        old_marks = now - dt.timedelta(days=retention.processed_input_days)
        await _delete(
            session, removed, ProcessedInput, col(ProcessedInput.processed_at) < old_marks,
            dry_run=dry_run,
        )  # fmt: skip
        if not dry_run and removed.total:
            await queries.audit(session, actor=actor, action="purge", detail=removed.counts)
    return removed


async def erase_case(db: Database, *, case_ref: str, actor: str, dry_run: bool = False) -> Removed:
    """Remove every row about the case `case_ref`; one audit entry (counts only) remains."""
    removed = Removed()
    async with db.transaction() as session:
        praktik_ids = [
            int(i)
            for i in (
                await session.exec(select(Praktik.id).where(Praktik.case_ref == case_ref))
            ).all()
            if i is not None
        ]
        # Conversations about the case: linked to its praktikker, or (a registration left
        # unfinished) holding the reference among their answers.
        linked = (
            await session.exec(
                select(Conversation.id).where(col(Conversation.praktik_id).in_(praktik_ids))
            )
        ).all()
        mentioned = (
            await session.exec(
                select(Answer.conversation_id).where(
                    Answer.step_id == "case_ref", Answer.display == case_ref
                )
            )
        ).all()
        conversation_ids = sorted({int(i) for i in [*linked, *mentioned] if i is not None})
        await _remove_conversations(session, removed, conversation_ids, dry_run=dry_run)
        if praktik_ids:
            followups = col(FollowUp.praktik_id).in_(praktik_ids)
            followup_ids = [
                int(i) for i in (await session.exec(select(FollowUp.id).where(followups))).all()
                if i is not None
            ]  # fmt: skip
            about = or_(
                col(Delivery.praktik_id).in_(praktik_ids),
                col(Delivery.followup_id).in_(followup_ids),
            )
            await _delete(session, removed, Delivery, about, dry_run=dry_run)
            await _delete(
                session, removed, CaseNote, col(CaseNote.praktik_id).in_(praktik_ids),
                dry_run=dry_run,
            )  # fmt: skip
            await _delete(
                session, removed, StatusRecord, col(StatusRecord.praktik_id).in_(praktik_ids),
                dry_run=dry_run,
            )  # fmt: skip
            await _delete(session, removed, FollowUp, followups, dry_run=dry_run)
            await _delete(
                session, removed, Praktik, col(Praktik.id).in_(praktik_ids), dry_run=dry_run
            )
        if not dry_run:
            await queries.audit(session, actor=actor, action="erase", detail=removed.counts)
    return removed
