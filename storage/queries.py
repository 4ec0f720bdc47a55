"""Plain keyword-only query functions taking the session. No business rules here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Answer,
    AuditEntry,
    CaseNote,
    Consultant,
    Conversation,
    Delivery,
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
    statement = (
        _insert_for(session)(ProcessedInput)
        .values(source_key=source_key, processed_at=utcnow())
        .on_conflict_do_nothing(index_elements=["source_key"])
        .returning(col(ProcessedInput.source_key))
    )
    return (await session.exec(statement)).first() is not None


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


async def consultant_by_key(session: AsyncSession, *, user_key: str) -> Consultant | None:
    query = select(Consultant).where(Consultant.user_key == user_key)
    return (await session.exec(query)).first()


async def audit(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    praktik_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append an audit entry (ids and counts only, never personal data)."""
    session.add(AuditEntry(actor=actor, action=action, praktik_id=praktik_id, detail=detail or {}))


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
    followup_id: int | None = None,
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
        followup_id=followup_id,
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


async def praktikker_of_teams(
    session: AsyncSession, *, team_ids: Sequence[str], exclude_consultant_id: int | None
) -> Sequence[Praktik]:
    """Active praktikker of the given teams, except those of one consultant."""
    if not team_ids:
        return []
    query = (
        select(Praktik).where(col(Praktik.team_id).in_(team_ids)).where(Praktik.status == "active")
    )
    if exclude_consultant_id is not None:
        query = query.where(Praktik.consultant_id != exclude_consultant_id)
    return (await session.exec(query.order_by(col(Praktik.start_date), col(Praktik.id)))).all()


async def slack_users_of(session: AsyncSession, *, consultant_ids: Sequence[int]) -> dict[int, str]:
    """Slack user ids of consultants (those who have one)."""
    if not consultant_ids:
        return {}
    query = select(Consultant).where(col(Consultant.id).in_(consultant_ids))
    return {
        c.id: c.slack_user_id
        for c in (await session.exec(query)).all()
        if c.id is not None and c.slack_user_id
    }


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
    session: AsyncSession,
    *,
    praktik_id: int | None,
    conversation_id: int,
    flow_id: str,
    text: str,
    kind: str = "journalnotat",
) -> CaseNote:
    note = CaseNote(
        praktik_id=praktik_id,
        conversation_id=conversation_id,
        flow_id=flow_id,
        kind=kind,
        text=text,
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


# --- reminders and digests (deliveries) ------------------------------------------------

DELIVERY_OPEN = ("pending", "sending")


def _utc(value: dt.datetime) -> dt.datetime:
    """UTC for binding: SQLite stores the wall-clock digits, so they must be UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _insert_for(session: AsyncSession) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    raise NotImplementedError(f"no upsert for {name}")


async def insert_deliveries(
    session: AsyncSession, *, rows: Sequence[dict[str, Any]], chunk: int = 500
) -> dict[str, int]:
    """Insert delivery rows, skipping keys that exist (INSERT … ON CONFLICT DO NOTHING).

    Rows are inserted in key order, so concurrent inserters never deadlock. Returns the
    number of new rows by status.
    """
    insert = _insert_for(session)
    ordered = sorted(rows, key=lambda r: str(r["key"]))
    inserted: dict[str, int] = {}
    conn = await session.connection()
    for start in range(0, len(ordered), chunk):
        values = [
            {
                **row,
                "due_at": _utc(row["due_at"]),
                "next_attempt_at": _utc(row["next_attempt_at"]),
            }
            for row in ordered[start : start + chunk]
        ]
        if not values:
            continue
        # executemany: SQLAlchemy batches it into multi-row INSERTs ("insertmanyvalues")
        # with a cached statement, RETURNING only the rows actually inserted.
        statement = (
            insert(Delivery)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(col(Delivery.status))
        )
        for (status,) in (await conn.execute(statement, values)).all():
            inserted[status] = inserted.get(status, 0) + 1
    return inserted


async def cancel_open_deliveries(
    session: AsyncSession, *, followup_ids: Sequence[int], now: dt.datetime, reason: str
) -> int:
    """Cancel the pending rows of these follow-ups (rows being sent right now are left)."""
    if not followup_ids:
        return 0
    result = await session.exec(
        update(Delivery)
        .where(col(Delivery.followup_id).in_(followup_ids))
        .where(col(Delivery.status) == "pending")
        .values(status="cancelled", last_error=reason[:200], updated_at=_utc(now))
    )
    return int(result.rowcount or 0)


async def mark_deliveries_missed(
    session: AsyncSession, *, due_before: dt.datetime, now: dt.datetime
) -> int:
    """Open rows due before `due_before` (too late to send) become missed."""
    now = _utc(now)
    result = await session.exec(
        update(Delivery)
        .where(col(Delivery.due_at) < _utc(due_before))
        .where(
            (col(Delivery.status) == "pending")
            | ((col(Delivery.status) == "sending") & (col(Delivery.next_attempt_at) <= now))
        )
        .values(status="missed", lease_owner=None, lease_until=None, updated_at=now)
    )
    return int(result.rowcount or 0)


async def mark_exhausted_leases_dead(
    session: AsyncSession, *, now: dt.datetime, max_attempts: int
) -> int:
    """Rows whose lease expired (their sender died) with no attempts left become dead."""
    now = _utc(now)
    result = await session.exec(
        update(Delivery)
        .where(col(Delivery.status) == "sending")
        .where(col(Delivery.next_attempt_at) <= now)
        .where(col(Delivery.attempts) >= max_attempts)
        .values(
            status="dead",
            lease_owner=None,
            lease_until=None,
            last_error="lease expired on the last attempt",
            updated_at=now,
        )
    )
    return int(result.rowcount or 0)


def _due_filter(now: dt.datetime, not_before: dt.datetime) -> Any:
    """Claimable: pending or sending with an expired lease (while sending, next_attempt_at
    equals lease_until), due and not too late."""
    return (
        col(Delivery.status).in_(DELIVERY_OPEN)
        & (col(Delivery.next_attempt_at) <= now)
        & (col(Delivery.due_at) >= not_before)
    )


async def claim_deliveries(
    session: AsyncSession,
    *,
    owner: str,
    now: dt.datetime,
    lease_until: dt.datetime,
    not_before: dt.datetime,
    limit: int,
) -> list[Delivery]:
    """Claim up to `limit` due rows for `owner` until `lease_until`, earliest due first.

    One statement: UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING. On
    PostgreSQL concurrent claimers skip each other's rows; on SQLite (where SQLAlchemy
    drops FOR UPDATE) the BEGIN IMMEDIATE transaction makes claimers take turns.
    """
    now, lease_until = _utc(now), _utc(lease_until)
    chosen = (
        select(col(Delivery.id))
        .where(_due_filter(now, _utc(not_before)))
        .order_by(col(Delivery.due_at), col(Delivery.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(Delivery)
        .where(col(Delivery.id).in_(chosen.scalar_subquery()))
        .values(
            status="sending",
            lease_owner=owner,
            lease_until=lease_until,
            next_attempt_at=lease_until,
            attempts=col(Delivery.attempts) + 1,
            updated_at=now,
        )
        .returning(*Delivery.__table__.columns)  # type: ignore[attr-defined]
    )
    conn = await session.connection()
    rows = (await conn.execute(statement)).mappings().all()
    claimed = [Delivery.model_validate(dict(row)) for row in rows]
    return sorted(claimed, key=lambda d: (_utc(d.due_at), d.id or 0))


async def due_deliveries(
    session: AsyncSession, *, now: dt.datetime, not_before: dt.datetime, limit: int
) -> Sequence[Delivery]:
    """The rows a tick would claim now, without claiming them."""
    query = (
        select(Delivery)
        .where(_due_filter(_utc(now), _utc(not_before)))
        .order_by(col(Delivery.due_at), col(Delivery.id))
        .limit(limit)
    )
    return (await session.exec(query)).all()


async def finish_deliveries_sent(
    session: AsyncSession,
    *,
    owner: str,
    sent: dict[int, tuple[str | None, str | None]],
    now: dt.datetime,
) -> set[int]:
    """Mark rows sent, only where the lease is still `owner`'s. `sent` maps a row id to
    the Slack channel and ts of its message. Returns the ids that were marked."""
    if not sent:
        return set()
    ids = list(sent)
    channel_of = case({i: sent[i][0] for i in ids}, value=col(Delivery.id))
    ts_of = case({i: sent[i][1] for i in ids}, value=col(Delivery.id))
    now = _utc(now)
    statement = (
        update(Delivery)
        .where(col(Delivery.id).in_(ids))
        .where(col(Delivery.lease_owner) == owner)
        .where(col(Delivery.status) == "sending")
        .values(
            status="sent",
            sent_at=now,
            slack_channel=channel_of,
            slack_ts=ts_of,
            lease_owner=None,
            lease_until=None,
            last_error=None,
            updated_at=now,
        )
        .returning(col(Delivery.id))
    )
    conn = await session.connection()
    return {int(row[0] or 0) for row in (await conn.execute(statement)).all()}


async def release_delivery(
    session: AsyncSession,
    *,
    delivery_id: int,
    owner: str,
    status: str,
    now: dt.datetime,
    next_attempt_at: dt.datetime | None = None,
    error: str | None = None,
    uncount: bool = False,
) -> bool:
    """Give a claimed row back (pending with `next_attempt_at`) or close it (dead,
    cancelled), only while the lease is `owner`'s. `uncount`: the claim was no attempt
    (not tried, or rate limited), so it does not use up one of the row's attempts."""
    now = _utc(now)
    values: dict[str, Any] = {
        "status": status,
        "lease_owner": None,
        "lease_until": None,
        "updated_at": now,
        "next_attempt_at": _utc(next_attempt_at or now),
    }
    if error is not None:
        values["last_error"] = error[:200]
    if uncount:
        values["attempts"] = col(Delivery.attempts) - 1
    result = await session.exec(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id)
        .where(col(Delivery.lease_owner) == owner)
        .where(col(Delivery.status) == "sending")
        .values(**values)
    )
    return bool(result.rowcount)


async def existing_delivery_keys(session: AsyncSession, *, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = list(keys[start : start + 500])
        query = select(Delivery.key).where(col(Delivery.key).in_(chunk))
        found.update(str(k) for k in (await session.exec(query)).all())
    return found


async def has_digest_rows(session: AsyncSession, *, team_id: str) -> bool:
    query = select(Delivery.id).where(Delivery.team_id == team_id).limit(1)
    return (await session.exec(query)).first() is not None


async def delivery_counts(session: AsyncSession) -> dict[str, int]:
    query = select(Delivery.status, func.count()).group_by(col(Delivery.status))
    return {str(s): int(n) for s, n in (await session.exec(query)).all()}


async def deliveries_with_status(
    session: AsyncSession, *, status: str, limit: int = 100
) -> Sequence[Delivery]:
    query = (
        select(Delivery)
        .where(Delivery.status == status)
        .order_by(col(Delivery.due_at).desc(), col(Delivery.id))
        .limit(limit)
    )
    return (await session.exec(query)).all()


async def remindable_followups(
    session: AsyncSession, *, due_from: dt.date, due_to: dt.date
) -> list[tuple[FollowUp, str]]:
    """Planned follow-ups due in [due_from, due_to] whose consultant has a Slack user id,
    of active praktikker (and status follow-ups, which fall after a praktik ended), with
    that Slack user id."""
    query = (
        select(FollowUp, Consultant.slack_user_id)
        .join(Praktik, col(Praktik.id) == col(FollowUp.praktik_id))
        .join(Consultant, col(Consultant.id) == col(Praktik.consultant_id))
        .where(FollowUp.status == "planned")
        .where(col(FollowUp.due_date) >= due_from)
        .where(col(FollowUp.due_date) <= due_to)
        .where(col(Consultant.slack_user_id).is_not(None))
        .where((Praktik.status == "active") | (FollowUp.kind == "status"))
        .order_by(col(FollowUp.id))
    )
    return [(f, str(user)) for f, user in (await session.exec(query)).all()]


async def followups_with_praktik(
    session: AsyncSession, *, followup_ids: Sequence[int]
) -> dict[int, tuple[FollowUp, Praktik, Consultant]]:
    if not followup_ids:
        return {}
    query = (
        select(FollowUp, Praktik, Consultant)
        .join(Praktik, col(Praktik.id) == col(FollowUp.praktik_id))
        .join(Consultant, col(Consultant.id) == col(Praktik.consultant_id))
        .where(col(FollowUp.id).in_(followup_ids))
    )
    return {f.id: (f, p, c) for f, p, c in (await session.exec(query)).all() if f.id is not None}


async def planned_followups_of_team(
    session: AsyncSession, *, team_id: str, due_to: dt.date
) -> list[tuple[str | None, str, str, dt.date]]:
    """(consultant Slack user id, consultant name, case reference, due date) of planned
    follow-ups due up to `due_to` in the team's praktikker."""
    query = (
        select(
            col(Consultant.slack_user_id),
            col(Consultant.name),
            col(Praktik.case_ref),
            col(FollowUp.due_date),
        )
        .join(Praktik, col(Praktik.id) == col(FollowUp.praktik_id))
        .join(Consultant, col(Consultant.id) == col(Praktik.consultant_id))
        .where(Praktik.team_id == team_id)
        .where(FollowUp.status == "planned")
        .where(col(FollowUp.due_date) <= due_to)
        .where((Praktik.status == "active") | (FollowUp.kind == "status"))
        .order_by(col(FollowUp.due_date), col(Praktik.case_ref))
    )
    return [(u, str(n), str(c), d) for u, n, c, d in (await session.exec(query)).all()]


async def followups_of_praktik(session: AsyncSession, *, praktik_id: int) -> Sequence[FollowUp]:
    query = (
        select(FollowUp)
        .where(FollowUp.praktik_id == praktik_id)
        .order_by(col(FollowUp.due_date), col(FollowUp.id))
    )
    return (await session.exec(query)).all()


async def get_followup(
    session: AsyncSession, *, followup_id: int, lock: bool = False
) -> FollowUp | None:
    query = select(FollowUp).where(FollowUp.id == followup_id)
    if lock:
        query = query.with_for_update()
    return (await session.exec(query)).first()
