"""Plain keyword-only query functions taking the session. No business rules here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, update
from sqlalchemy import insert as sa_insert
from sqlalchemy import select as sa_select
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import dialect_insert
from storage.models import (
    Absence,
    Answer,
    AuditEntry,
    CaseNote,
    Consultant,
    Conversation,
    FollowUp,
    Praktik,
    ProcessedInput,
    StatusRecord,
    StoreMark,
    utcnow,
)
from storage.prepared import Prepared


async def claim_input(session: AsyncSession, *, source_key: str) -> bool:
    """Mark an input as handled. False when it was handled before (a repeated delivery).

    Runs in the caller's transaction: if that transaction rolls back, the input counts
    as not handled, so a retry can do the work.
    """
    # Every turn starts here: one statement per dialect, compiled once, run on the
    # session's driver connection (storage.prepared).
    found = await _CLAIM.execute(session, {"source_key": source_key, "processed_at": utcnow()})
    return bool(found)


_PROCESSED = ProcessedInput.__table__  # type: ignore[attr-defined]
_CLAIM = Prepared(
    lambda dialect: (
        dialect_insert(dialect)(_PROCESSED)
        .values(source_key=bindparam("source_key"), processed_at=bindparam("processed_at"))
        .on_conflict_do_nothing(index_elements=["source_key"])
        .returning(_PROCESSED.c.source_key)
    )
)


async def input_claimed(session: AsyncSession, *, source_key: str) -> bool:
    """Whether an input was marked handled (without marking it)."""
    found = await session.get(ProcessedInput, source_key)
    return found is not None


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


async def consultant_by_key(
    session: AsyncSession, *, user_key: str, lock: bool = False
) -> Consultant | None:
    """The consultant; with `lock`, their row stays locked until the transaction ends
    (serialises one consultant's concurrent starts on PostgreSQL)."""
    query = _CONSULTANT_LOCKED if lock else _CONSULTANT
    return (await session.exec(query, params={"b_user_key": user_key})).first()


# Every turn reads its consultant and its conversation: statements built once (no
# expression building or cache-key work per call), loaded as ORM objects as before.
_CONSULTANT = select(Consultant).where(Consultant.user_key == bindparam("b_user_key"))
_CONSULTANT_LOCKED = _CONSULTANT.with_for_update()


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
    query = _ACTIVE_CONVERSATION_LOCKED if lock else _ACTIVE_CONVERSATION
    return (await session.exec(query, params={"b_key": key})).first()


_ACTIVE_CONVERSATION = select(Conversation).where(Conversation.active_key == bindparam("b_key"))
_ACTIVE_CONVERSATION_LOCKED = _ACTIVE_CONVERSATION.with_for_update()


async def active_conversation_and_consultant(
    session: AsyncSession, *, key: str, user_key: str
) -> tuple[Conversation, Consultant | None] | None:
    """The conversation active under `key`, locked, and the consultant `user_key` (None
    when unknown; not necessarily the conversation's): one statement, one row."""
    found = (
        await session.exec(_ACTIVE_WITH_CONSULTANT, params={"b_key": key, "b_user_key": user_key})
    ).first()
    return None if found is None else (found[0], found[1])


# A turn's two reads in one: the consultant joined on the actor's key, not on the
# conversation's owner (whether they are the same is the service's check); only the
# conversation's row is locked (PostgreSQL: FOR UPDATE OF conversations).
_ACTIVE_WITH_CONSULTANT = (
    select(Conversation, Consultant)
    .outerjoin(Consultant, col(Consultant.user_key) == bindparam("b_user_key"))
    .where(Conversation.active_key == bindparam("b_key"))
    .with_for_update(of=Conversation)
)


async def last_conversation(session: AsyncSession, *, key: str) -> Conversation | None:
    """The newest conversation ever held under `key` (active or closed)."""
    query = (
        select(Conversation)
        .where(Conversation.key == key)
        .order_by(col(Conversation.id).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


async def open_conversations_on(
    session: AsyncSession, *, praktik_id: int, consultant_id: int
) -> Sequence[Conversation]:
    """A consultant's active conversations about one praktik, locked."""
    query = (
        select(Conversation)
        .where(Conversation.praktik_id == praktik_id)
        .where(Conversation.consultant_id == consultant_id)
        .where(col(Conversation.active_key).is_not(None))
        .order_by(col(Conversation.id))
        .with_for_update()
    )
    return (await session.exec(query)).all()


async def open_conversation_of(
    session: AsyncSession, *, consultant_id: int, flow_id: str, praktik_id: int | None
) -> Conversation | None:
    """The consultant's newest active conversation of `flow_id` about `praktik_id`."""
    query = (
        select(Conversation)
        .where(Conversation.consultant_id == consultant_id)
        .where(Conversation.flow_id == flow_id)
        .where(col(Conversation.active_key).is_not(None))
        .where(
            col(Conversation.praktik_id).is_(None)
            if praktik_id is None
            else Conversation.praktik_id == praktik_id
        )
        .order_by(col(Conversation.id).desc())
        .limit(1)
    )
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


async def store_turn(
    session: AsyncSession,
    *,
    conversation: Conversation,
    flow_version: str,
    state: dict[str, Any],
    step: str | None,
    prompt_text: str | None,
    status: str,
    last_activity: dt.datetime,
) -> None:
    """Write a turn's result to its conversation: one prepared Core UPDATE in the
    caller's transaction; the loaded object gets the same values as committed state, so
    the unit of work has nothing left to write for it (no flush on the turn's path)."""
    assert conversation.id is not None
    values = {
        "flow_version": flow_version,
        "state": state,
        "step": step,
        "prompt_text": prompt_text,
        "status": status,
        "last_activity": last_activity,
        # as loaded, or newer from the turn before's write-behind (bot.prompt_refs)
        "prompt_ref": conversation.prompt_ref,
    }
    await _TURN_UPDATE.execute(
        session, {"b_id": conversation.id, **{f"b_{k}": v for k, v in values.items()}}
    )
    for name, value in values.items():
        set_committed_value(conversation, name, value)


_CONVERSATIONS = Conversation.__table__  # type: ignore[attr-defined]
_TURN_UPDATE = Prepared(
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("b_id"))
    .values(
        {
            name: bindparam(f"b_{name}")
            for name in (
                "flow_version",
                "state",
                "step",
                "prompt_text",
                "status",
                "last_activity",
                "prompt_ref",
            )
        }
    )
)


def prompt_ref_writes(
    refs: Sequence[tuple[int, str, dt.datetime | None]],
) -> list[tuple[Prepared, list[dict[str, Any]]]]:
    """(conversation id, message ts, last_activity of the turn that posted it): each ts
    is written only while that turn is still the conversation's last (None: always).
    The statements and their rows, for `Database.write`."""
    checked = [{"b_id": i, "b_ref": ref, "b_at": at} for i, ref, at in refs if at is not None]
    always = [{"b_id": i, "b_ref": ref} for i, ref, at in refs if at is None]
    return [(_PROMPT_REF_CHECKED, checked), (_PROMPT_REF_ALWAYS, always)]


_PROMPT_REF_UPDATE = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("b_id"))
    .values(prompt_ref=bindparam("b_ref"))
)
_PROMPT_REF_ALWAYS = Prepared(_PROMPT_REF_UPDATE)
_PROMPT_REF_CHECKED = Prepared(
    _PROMPT_REF_UPDATE.where(_CONVERSATIONS.c.last_activity == bindparam("b_at"))
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
    # A Core INSERT on the turn's path: no Answer object, no unit of work at the flush.
    # Python-side defaults (answered_at, version) are given here.
    await _ANSWER_INSERT.execute(
        session,
        {
            "conversation_id": conversation.id,
            "praktik_id": conversation.praktik_id,
            "consultant_id": consultant_id,
            "flow_id": conversation.flow_id,
            "flow_version": conversation.flow_version,
            "step_id": step_id,
            "question": question,
            "value": value,
            "display": display,
            "source_key": source_key,
            "answered_at": utcnow(),
            "version": 1,
        },
    )


_ANSWER_INSERT = Prepared(
    sa_insert(Answer.__table__).values(  # type: ignore[attr-defined]
        {
            name: bindparam(name)
            for name in (
                "conversation_id",
                "praktik_id",
                "consultant_id",
                "flow_id",
                "flow_version",
                "step_id",
                "question",
                "value",
                "display",
                "source_key",
                "answered_at",
                "version",
            )
        }
    )
)


async def add_praktik(session: AsyncSession, *, praktik: Praktik) -> Praktik:
    """Insert a praktik; the database assigns its short reference, read back here."""
    session.add(praktik)
    await session.flush()
    await session.refresh(praktik, attribute_names=["short_ref"])
    return praktik


async def get_praktik(
    session: AsyncSession, *, praktik_id: int, lock: bool = False
) -> Praktik | None:
    """The praktik; with `lock`, its row is locked until the transaction ends (PostgreSQL;
    SQLite has one writer at a time anyway) and read afresh, so an ownership check holds
    at commit. Lock order: a conversation before its praktik."""
    query = select(Praktik).where(Praktik.id == praktik_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.exec(query)).first()


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


class RemindableFollowUp(NamedTuple):
    """What the planner needs of a due follow-up (Core columns, no ORM object)."""

    id: int
    praktik_id: int
    kind: str
    due_date: dt.date
    scheduled_at: dt.datetime | None
    created_at: dt.datetime
    slack_user_id: str


async def remindable_followups(
    session: AsyncSession, *, due_from: dt.date, due_to: dt.date
) -> list[RemindableFollowUp]:
    """Planned follow-ups due in [due_from, due_to] whose consultant has a Slack user id,
    of active praktikker (and status follow-ups, which fall after a praktik ended), with
    that Slack user id, in id order.

    The plan must not grow with the history of ended praktikker and held follow-ups: it
    starts from `ix_followups_status_due` (the planned rows in the window, nothing else)
    and looks each one's praktik and consultant up by primary key in a correlated
    subquery, which no planner can turn into a scan of every praktik (PostgreSQL
    hash-joined a sequential scan of them while the table was small enough)."""
    owner = (
        select(Consultant.slack_user_id)
        .select_from(Praktik)
        .join(Consultant, col(Consultant.id) == col(Praktik.consultant_id))
        .where(col(Praktik.id) == col(FollowUp.praktik_id))
        .where((Praktik.status == "active") | (FollowUp.kind == "status"))
        .correlate(FollowUp)
        .scalar_subquery()
    )
    query = (
        sa_select(
            col(FollowUp.id),
            col(FollowUp.praktik_id),
            col(FollowUp.kind),
            col(FollowUp.due_date),
            col(FollowUp.scheduled_at),
            col(FollowUp.created_at),
            owner,
        )
        .where(col(FollowUp.status) == "planned")
        .where(col(FollowUp.due_date) >= due_from)
        .where(col(FollowUp.due_date) <= due_to)
        .order_by(col(FollowUp.id))
    )
    rows = (await (await session.connection()).execute(query)).all()
    return [RemindableFollowUp(*row) for row in rows if row[-1] is not None]


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
) -> list[tuple[str | None, str, str | None, dt.date]]:
    """(consultant Slack user id, consultant name, the praktik's short reference, due
    date) of planned follow-ups due up to `due_to` in the team's praktikker. Never the
    case reference: this feeds a shared channel."""
    query = (
        select(
            col(Consultant.slack_user_id),
            col(Consultant.name),
            col(Praktik.short_ref),
            col(FollowUp.due_date),
        )
        .join(Praktik, col(Praktik.id) == col(FollowUp.praktik_id))
        .join(Consultant, col(Consultant.id) == col(Praktik.consultant_id))
        .where(Praktik.team_id == team_id)
        .where(FollowUp.status == "planned")
        .where(col(FollowUp.due_date) <= due_to)
        .where((Praktik.status == "active") | (FollowUp.kind == "status"))
        .order_by(col(FollowUp.due_date), col(Praktik.id))
    )
    return [(u, str(n), r, d) for u, n, r, d in (await session.exec(query)).all()]


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


async def cancel_followups(session: AsyncSession, *, followup_ids: Sequence[int]) -> None:
    if followup_ids:
        await session.exec(
            update(FollowUp)
            .where(col(FollowUp.id).in_(followup_ids))
            .where(col(FollowUp.status) == "planned")
            .values(status="cancelled")
        )


async def planned_status_followups(
    session: AsyncSession, *, praktik_ids: Sequence[int], due_to: dt.date
) -> Sequence[FollowUp]:
    """Planned status follow-ups of these praktikker due up to `due_to`, earliest first."""
    if not praktik_ids:
        return []
    query = (
        select(FollowUp)
        .where(col(FollowUp.praktik_id).in_(praktik_ids))
        .where(FollowUp.kind == "status")
        .where(FollowUp.status == "planned")
        .where(col(FollowUp.due_date) <= due_to)
        .order_by(col(FollowUp.due_date), col(FollowUp.id))
    )
    return (await session.exec(query)).all()


async def add_status_record(session: AsyncSession, *, record: StatusRecord) -> StatusRecord:
    session.add(record)
    await session.flush()
    return record


async def status_record_of(
    session: AsyncSession, *, praktik_id: int, followup_id: int | None
) -> StatusRecord | None:
    """The praktik's status record for `followup_id`, else its newest one."""
    query = select(StatusRecord).where(col(StatusRecord.praktik_id) == praktik_id)
    if followup_id is not None:
        query = query.where(col(StatusRecord.followup_id) == followup_id)
    query = query.order_by(col(StatusRecord.recorded_at).desc()).limit(1)
    return (await session.exec(query)).first()


async def ended_praktikker_with_status_due(
    session: AsyncSession, *, consultant_id: int, due_to: dt.date
) -> Sequence[Praktik]:
    """The consultant's ended praktikker with a planned status follow-up due by `due_to`."""
    due = (
        select(FollowUp.praktik_id)
        .where(FollowUp.kind == "status")
        .where(FollowUp.status == "planned")
        .where(col(FollowUp.due_date) <= due_to)
    )
    query = (
        select(Praktik)
        .where(Praktik.consultant_id == consultant_id)
        .where(Praktik.status == "ended")
        .where(col(Praktik.id).in_(due))
        .order_by(col(Praktik.end_date), col(Praktik.id))
    )
    return (await session.exec(query)).all()


async def store_mark(session: AsyncSession, *, name: str) -> StoreMark | None:
    return await session.get(StoreMark, name)


# --- absences ------------------------------------------------------------------------------


def _in_effect_on(day: dt.date) -> Any:
    """The SQL condition: an absence in effect on `day` (see models.Absence)."""
    return (
        (col(Absence.first_day) <= day)
        & (col(Absence.last_day) >= day)
        & (col(Absence.ended_on).is_(None) | (col(Absence.ended_on) > day))
    )


async def absences_in_effect(
    session: AsyncSession,
    *,
    day: dt.date,
    consultant_ids: Sequence[int] | None = None,
    stand_in_id: int | None = None,
    team_id: str | None = None,
) -> list[tuple[Absence, Consultant, Consultant]]:
    """(absence, absent consultant, stand-in) of the absences in effect on `day`: of
    these absent consultants, with this stand-in, or of this team."""
    query = (
        select(Absence, Consultant)
        .join(Consultant, col(Consultant.id) == col(Absence.stand_in_id))
        .where(_in_effect_on(day))
    )
    if consultant_ids is not None:
        if not consultant_ids:
            return []
        query = query.where(col(Absence.consultant_id).in_(consultant_ids))
    if stand_in_id is not None:
        query = query.where(Absence.stand_in_id == stand_in_id)
    if team_id is not None:
        query = query.where(Absence.team_id == team_id)
    found = (await session.exec(query.order_by(col(Absence.id)))).all()
    owners = await _consultants(session, {a.consultant_id for a, _ in found})
    return [(a, owners[a.consultant_id], s) for a, s in found if a.consultant_id in owners]


async def _consultants(session: AsyncSession, ids: set[int]) -> dict[int, Consultant]:
    if not ids:
        return {}
    query = select(Consultant).where(col(Consultant.id).in_(sorted(ids)))
    return {c.id: c for c in (await session.exec(query)).all() if c.id is not None}


async def absences_not_over(
    session: AsyncSession,
    *,
    today: dt.date,
    consultant_ids: Sequence[int] = (),
    team_ids: Sequence[str] = (),
) -> list[tuple[Absence, Consultant, Consultant]]:
    """(absence, absent consultant, stand-in) of the absences of these consultants or
    with them as stand-in, or of these teams, that are in effect today or later (not
    ended), earliest first."""
    if not consultant_ids and not team_ids:
        return []
    query = (
        select(Absence)
        .where(
            col(Absence.consultant_id).in_(consultant_ids)
            | col(Absence.stand_in_id).in_(consultant_ids)
            | col(Absence.team_id).in_(team_ids)
        )
        .where(col(Absence.last_day) >= today)
        .where(col(Absence.ended_on).is_(None) | (col(Absence.ended_on) > today))
        .order_by(col(Absence.first_day), col(Absence.id))
    )
    found = list((await session.exec(query)).all())
    people = await _consultants(
        session, {a.consultant_id for a in found} | {a.stand_in_id for a in found}
    )
    return [
        (a, people[a.consultant_id], people[a.stand_in_id])
        for a in found
        if a.consultant_id in people and a.stand_in_id in people
    ]


async def get_absence(
    session: AsyncSession, *, absence_id: int, lock: bool = False
) -> Absence | None:
    query = select(Absence).where(Absence.id == absence_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.exec(query)).first()


async def add_absence(session: AsyncSession, *, absence: Absence) -> Absence:
    session.add(absence)
    await session.flush()
    return absence


async def recent_case_notes(
    session: AsyncSession, *, consultant_id: int, limit: int
) -> list[tuple[CaseNote, Praktik]]:
    """The newest case-note drafts of the praktikker the consultant is responsible for."""
    query = (
        select(CaseNote, Praktik)
        .join(Praktik, col(Praktik.id) == col(CaseNote.praktik_id))
        .where(Praktik.consultant_id == consultant_id)
        .order_by(col(CaseNote.created_at).desc(), col(CaseNote.id).desc())
        .limit(limit)
    )
    return [(n, p) for n, p in (await session.exec(query)).all()]


async def case_note_with_praktik(
    session: AsyncSession, *, note_id: int
) -> tuple[CaseNote, Praktik] | None:
    query = (
        select(CaseNote, Praktik)
        .join(Praktik, col(Praktik.id) == col(CaseNote.praktik_id))
        .where(CaseNote.id == note_id)
    )
    found = (await session.exec(query)).first()
    return (found[0], found[1]) if found is not None else None
