"""Retention and erasure (rules.md, data protection §4).

`purge` deletes what is past retention: the conversations, answers and case-note drafts
of praktikker that ended more than `retention.days_after_praktik_end` days ago (with
their progression scores, development plans, risk flags and proposals, and the notes
typed on their follow-ups), the
conversations never linked to a praktik after `unfinished_conversation_days`, old
reminder rows and de-duplication marks. The praktik row itself (type, dates, outcome) and
its statuses after the end stay for the outcome statistics; the agreement's free text
about people and work on it (the tillidsrepræsentant, tasks, working times, the plan for
the hours) is cleared.

`erase_case` removes everything about one case reference (matched case-insensitively,
ignoring surrounding whitespace), leaving one audit entry with counts only — not the
reference — and then removes the deleted rows' bytes from the SQLite file and its WAL
(`Database.remove_deleted_bytes`; PostgreSQL: see the README). The praktik's short
reference (P-1042) names the case as well, unless some praktik has that very text as its
case reference. A reference that was corrected on a praktik (its registration's answers
still hold the old one) is refused, naming the praktik's current reference
(`ReferenceMovedError`): erasing under the old reference would leave half the case, and
erasing the praktik under it could remove another citizen's case, if the old reference
was a mistyped one of theirs. When a praktik has that reference as well, its case is
erased and the other praktik's conversations are kept (and named).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import delivery_queue as queue
from bot.config import AppConfig
from storage import queries
from storage.db import Database
from storage.models import (
    Answer,
    CaseNote,
    Conversation,
    Delivery,
    FollowUp,
    FollowUpProposal,
    PlanStep,
    Praktik,
    ProcessedInput,
    ProgressScore,
    RiskFlag,
    StatusRecord,
)

# The agreement's free text on a praktik row, cleared when its conversations are purged.
AGREEMENT_TEXTS = ("employee_rep", "tasks", "working_times", "hours_plan")

# The dialogue tool's rows about a praktik (they refer to its conversations): removed with
# its conversations. The plan's steps are free text.
TOOL_TABLES: tuple[type, ...] = (ProgressScore, PlanStep, RiskFlag, FollowUpProposal)


@dataclass
class Removed:
    counts: dict[str, int] = field(default_factory=dict)
    # After an erasure: True when the deleted bytes are gone from the SQLite file and its
    # WAL, False when other connections kept it busy too long, None for PostgreSQL.
    bytes_removed: bool | None = None
    cleared: int = 0  # praktik rows whose agreement texts were cleared (kept rows)
    # After an erasure: other praktikker (case_ref, short_ref) whose conversations hold the
    # erased reference as an earlier, corrected answer - kept with their own case.
    kept_with: list[tuple[str, str | None]] = field(default_factory=list)

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


async def _clear_agreement_texts(
    session: AsyncSession, removed: Removed, praktik_ids: list[int], *, dry_run: bool
) -> None:
    if not praktik_ids:
        return
    has_text = or_(*(col(getattr(Praktik, name)).is_not(None) for name in AGREEMENT_TEXTS))
    where = (col(Praktik.id).in_(praktik_ids), has_text)
    if dry_run:
        count = select(func.count()).select_from(Praktik).where(*where)
        removed.cleared += int((await session.exec(count)).one())
        return
    cleared = dict.fromkeys(AGREEMENT_TEXTS)
    result = await session.exec(update(Praktik).where(*where).values(cleared))
    removed.cleared += int(result.rowcount or 0)


async def _remove_tool_rows(
    session: AsyncSession, removed: Removed, praktik_ids: list[int], *, dry_run: bool
) -> None:
    if not praktik_ids:
        return
    for model in TOOL_TABLES:
        praktik = model.praktik_id  # type: ignore[attr-defined]
        await _delete(session, removed, model, col(praktik).in_(praktik_ids), dry_run=dry_run)


async def _clear_followup_notes(
    session: AsyncSession, removed: Removed, praktik_ids: list[int], *, dry_run: bool
) -> None:
    """Follow-ups stay for the statistics; what was typed about them does not."""
    if not praktik_ids:
        return
    noted = (col(FollowUp.praktik_id).in_(praktik_ids), col(FollowUp.note).is_not(None))
    if dry_run:
        count = select(func.count()).select_from(FollowUp).where(*noted)
        removed.add("followup_notes", int((await session.exec(count)).one()))
        return
    result = await session.exec(update(FollowUp).where(*noted).values(note=None))
    removed.add("followup_notes", int(result.rowcount or 0))


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
        await _remove_tool_rows(session, removed, ended_ids, dry_run=dry_run)
        await _clear_followup_notes(session, removed, ended_ids, dry_run=dry_run)
        await _remove_conversations(session, removed, conversation_ids, dry_run=dry_run)
        await _delete(
            session, removed, CaseNote, col(CaseNote.praktik_id).in_(ended_ids), dry_run=dry_run
        )
        await _clear_agreement_texts(session, removed, ended_ids, dry_run=dry_run)
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
        if not dry_run and (removed.total or removed.cleared):
            detail = {**removed.counts, "praktikker_texts_cleared": removed.cleared}
            await queries.audit(session, actor=actor, action="purge", detail=detail)
    return removed


def ref_key(case_ref: str) -> str:
    """A case reference as erasure compares it: Unicode-normalised, without surrounding
    whitespace, case folded — " sag-2026-1003" finds "SAG-2026-1003"."""
    return unicodedata.normalize("NFKC", case_ref).strip().casefold()


async def _praktikker_with_ref(session: AsyncSession, case_ref: str) -> list[int]:
    wanted = ref_key(case_ref)
    if not wanted:
        return []
    rows = (await session.exec(select(Praktik.id, Praktik.case_ref))).all()
    return [int(i) for i, ref in rows if i is not None and ref_key(ref) == wanted]


async def _registrations_with_ref(session: AsyncSession, case_ref: str) -> list[int]:
    """Conversations where the reference was typed (a registration, maybe unfinished)."""
    wanted = ref_key(case_ref)
    if not wanted:
        return []
    rows = (
        await session.exec(
            select(Answer.conversation_id, Answer.display).where(Answer.step_id == "case_ref")
        )
    ).all()
    return [int(i) for i, display in rows if ref_key(display) == wanted]


async def case_of(db: Database, ref: str) -> str:
    """The case reference `ref` names: itself, or — when no praktik has it as its case
    reference — the case of the praktik whose short reference it is."""
    async with db.transaction() as session:
        if await _praktikker_with_ref(session, ref):
            return ref
        short = func.upper(col(Praktik.short_ref)) == ref.strip().upper()
        found = (await session.exec(select(Praktik.case_ref).where(short))).first()
    return found if found is not None else ref


class ReferenceMovedError(Exception):
    """Conversations hold the reference, but the praktikker they belong to have another
    case reference now (it was corrected): `current` lists their (case_ref, short_ref)."""

    def __init__(self, ref: str, current: list[tuple[str, str | None]]) -> None:
        self.ref, self.current = ref, current
        super().__init__(f"{ref} was corrected to {', '.join(c for c, _ in current)}")


async def _moved_to(
    session: AsyncSession, conversation_ids: list[int], praktik_ids: list[int]
) -> list[tuple[str, str | None]]:
    """The (case_ref, short_ref) of the other praktikker these conversations belong to."""
    if not conversation_ids:
        return []
    query = (
        select(Praktik.case_ref, Praktik.short_ref)
        .join(Conversation, col(Conversation.praktik_id) == col(Praktik.id))
        .where(col(Conversation.id).in_(conversation_ids))
        .where(col(Praktik.id).not_in(praktik_ids))
        .distinct()
        .order_by(col(Praktik.case_ref))
    )
    return [(ref, short) for ref, short in (await session.exec(query)).all()]


async def _unlinked_or_in(
    session: AsyncSession, conversation_ids: list[int], praktik_ids: list[int]
) -> list[int]:
    """Those of the conversations that belong to no praktik or to one of `praktik_ids`."""
    praktik = col(Conversation.praktik_id)
    ours = or_(praktik.is_(None), praktik.in_(praktik_ids))
    query = select(Conversation.id).where(col(Conversation.id).in_(conversation_ids)).where(ours)
    return [int(i) for i in (await session.exec(query)).all() if i is not None]


async def erase_case(db: Database, *, case_ref: str, actor: str, dry_run: bool = False) -> Removed:
    """Remove every row about the case `case_ref` (or the praktik's short reference); one
    audit entry (counts only) remains. Then the deleted bytes are removed from the database
    file (see the module docstring). A reference that was corrected on a praktik raises
    ReferenceMovedError, and nothing is removed - unless a praktik has that reference now:
    then its case is erased, and the other praktik's conversations stay (`kept_with`)."""
    case_ref = await case_of(db, case_ref)
    removed = Removed()
    async with db.transaction() as session:
        praktik_ids = await _praktikker_with_ref(session, case_ref)
        # Conversations about the case: linked to its praktikker, or (a registration left
        # unfinished) holding the reference among their answers.
        linked = (
            await session.exec(
                select(Conversation.id).where(col(Conversation.praktik_id).in_(praktik_ids))
            )
        ).all()
        mentioned = await _registrations_with_ref(session, case_ref)
        moved = await _moved_to(session, mentioned, praktik_ids)
        if moved and not praktik_ids:
            raise ReferenceMovedError(case_ref, moved)
        if moved:  # another praktik's registration held this reference before a correction
            removed.kept_with = moved
            mentioned = await _unlinked_or_in(session, mentioned, praktik_ids)
        conversation_ids = sorted({int(i) for i in [*linked, *mentioned] if i is not None})
        await _remove_tool_rows(session, removed, praktik_ids, dry_run=dry_run)
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
    if not dry_run:
        removed.bytes_removed = await db.remove_deleted_bytes()
    return removed
