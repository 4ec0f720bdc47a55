"""The delivery queue: the statuses of a `deliveries` row, every move between them, and
the leases that make each reminder and digest go out once across instances.

```
transition       moves rows that are …                      to                 attempts
enqueue          (new)                                      pending or missed
claim            pending and due; sending, lease expired    sending            + 1
sent             sending, own lease                         sent
retry            sending, own lease                         pending
rate_limited     sending, own lease                         pending            - 1
not_tried        sending, own lease                         pending            - 1
give_up          sending, own lease                         dead
cancel_claimed   sending, own lease                         cancelled
cancel_open      pending                                    cancelled
miss             pending; sending, lease expired            missed
abandoned        sending, lease expired, no attempts left   dead
```

`TRANSITIONS` is that table as data, and every statement below builds its WHERE
clause from it, so a row can only move along an edge that is listed there.

Leases. `claim` sets ``lease_owner`` and ``lease_until`` and makes ``next_attempt_at``
equal to ``lease_until``: while a row is ``sending``, "its lease has expired" and "it is
due" are the same test, ``next_attempt_at <= now``. A row leased to an owner is moved on
only by that owner (``lease_owner = :owner`` in the statement), so an instance whose
lease ran out and was taken over can no longer mark the row (the tick counts that as
``lease_lost``). A row with an expired lease is claimed again by whoever comes first —
its sender is taken to have died — or, when it was on its last attempt, is abandoned
(dead).

Time values are bound as UTC: SQLite stores the wall-clock digits.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import insert_for
from storage.models import Delivery


class Status(enum.StrEnum):
    PENDING = "pending"  # waiting for next_attempt_at
    SENDING = "sending"  # claimed: leased to lease_owner until lease_until
    SENT = "sent"
    DEAD = "dead"  # attempts used up, or an error no retry can fix
    MISSED = "missed"  # too late to send (after downtime)
    CANCELLED = "cancelled"  # its follow-up moved, was held or is gone


OPEN = (Status.PENDING, Status.SENDING)
FINAL = (Status.SENT, Status.DEAD, Status.MISSED, Status.CANCELLED)


class Lease(enum.Enum):
    """Which rows of a status a transition may take."""

    ANY = "any"
    EXPIRED = "expired"  # next_attempt_at <= now: due (pending) or lease run out (sending)
    OWNED = "owned"  # lease_owner is the instance making the move


@dataclass(frozen=True)
class Source:
    statuses: tuple[Status, ...]
    lease: Lease = Lease.ANY


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[Source, ...]  # empty: a new row
    targets: tuple[Status, ...]
    attempts: int = 0  # added to `attempts`: a claim counts one, a claim that was no try -1


_OWNED = (Source((Status.SENDING,), Lease.OWNED),)

ENQUEUE = Transition("enqueue", (), (Status.PENDING, Status.MISSED))
CLAIM = Transition(
    "claim", (Source((Status.PENDING, Status.SENDING), Lease.EXPIRED),), (Status.SENDING,), 1
)
SENT = Transition("sent", _OWNED, (Status.SENT,))
RETRY = Transition("retry", _OWNED, (Status.PENDING,))
RATE_LIMITED = Transition("rate_limited", _OWNED, (Status.PENDING,), -1)
NOT_TRIED = Transition("not_tried", _OWNED, (Status.PENDING,), -1)
GIVE_UP = Transition("give_up", _OWNED, (Status.DEAD,))
CANCEL_CLAIMED = Transition("cancel_claimed", _OWNED, (Status.CANCELLED,))
CANCEL_OPEN = Transition("cancel_open", (Source((Status.PENDING,)),), (Status.CANCELLED,))
MISS = Transition(
    "miss",
    (Source((Status.PENDING,)), Source((Status.SENDING,), Lease.EXPIRED)),
    (Status.MISSED,),
)
ABANDONED = Transition("abandoned", (Source((Status.SENDING,), Lease.EXPIRED),), (Status.DEAD,))

TRANSITIONS: tuple[Transition, ...] = (
    ENQUEUE,
    CLAIM,
    SENT,
    RETRY,
    RATE_LIMITED,
    NOT_TRIED,
    GIVE_UP,
    CANCEL_CLAIMED,
    CANCEL_OPEN,
    MISS,
    ABANDONED,
)
# What the instance holding a lease may do with a row it did not send.
RELEASES = (RETRY, RATE_LIMITED, NOT_TRIED, GIVE_UP, CANCEL_CLAIMED)


def _where(
    transition: Transition, *, now: dt.datetime, owner: str | None = None
) -> ColumnElement[bool]:
    """The rows `transition` may move: its sources as SQL. Sources with the same lease
    rule are one ``status IN (…)``, so the (status, next_attempt_at) index serves them."""
    clauses: list[ColumnElement[bool]] = []
    for source in transition.sources:
        statuses = [str(s) for s in source.statuses]
        conditions: list[ColumnElement[bool]] = [
            col(Delivery.status) == statuses[0]
            if len(statuses) == 1
            else col(Delivery.status).in_(statuses)
        ]
        if source.lease is Lease.EXPIRED:
            conditions.append(col(Delivery.next_attempt_at) <= now)
        elif source.lease is Lease.OWNED:
            if owner is None:
                raise ValueError(f"{transition.name} moves leased rows: name the owner")
            conditions.append(col(Delivery.lease_owner) == owner)
        clauses.append(and_(*conditions))
    if not clauses:
        raise ValueError(f"{transition.name} creates rows; it moves none")
    return or_(*clauses)


def _values(transition: Transition, status: Status, now: dt.datetime) -> dict[str, Any]:
    """What every move into `status` writes besides its own columns: leases end (a claim
    sets its own), and attempts change by the transition's count."""
    if status not in transition.targets:
        raise ValueError(f"{transition.name} does not lead to {status}")
    values: dict[str, Any] = {"status": str(status), "updated_at": now}
    if transition is not CLAIM:
        values |= {"lease_owner": None, "lease_until": None}
    if transition.attempts:
        values["attempts"] = col(Delivery.attempts) + transition.attempts
    return values


# --- moves ---------------------------------------------------------------------------


async def insert_deliveries(
    session: AsyncSession, *, rows: Sequence[dict[str, Any]], chunk: int = 500
) -> dict[str, int]:
    """Enqueue delivery rows, skipping keys that exist (INSERT … ON CONFLICT DO NOTHING).

    A new row is pending, or missed when it is already too late to send. Rows are
    inserted in key order, so concurrent inserters never deadlock. Returns the number
    of new rows by status.
    """
    for row in rows:
        if row.get("status", Status.PENDING) not in ENQUEUE.targets:
            raise ValueError(f"a new delivery cannot be {row['status']!r}")
    insert = insert_for(session)
    ordered = sorted(rows, key=lambda r: str(r["key"]))
    inserted: dict[str, int] = {}
    conn = await session.connection()
    for start in range(0, len(ordered), chunk):
        values = [
            {
                **row,
                "status": str(row.get("status", Status.PENDING)),
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
        .where(_where(CANCEL_OPEN, now=now))
        .values(**_values(CANCEL_OPEN, Status.CANCELLED, now), last_error=reason[:200])
    )
    return int(result.rowcount or 0)


async def mark_deliveries_missed(
    session: AsyncSession, *, due_before: dt.datetime, now: dt.datetime
) -> int:
    """Open rows due before `due_before` (too late to send) become missed."""
    result = await session.exec(
        update(Delivery)
        .where(col(Delivery.due_at) < due_before)
        .where(_where(MISS, now=now))
        .values(**_values(MISS, Status.MISSED, now))
    )
    return int(result.rowcount or 0)


async def mark_exhausted_leases_dead(
    session: AsyncSession, *, now: dt.datetime, max_attempts: int
) -> int:
    """Rows whose lease expired (their sender died) with no attempts left become dead."""
    result = await session.exec(
        update(Delivery)
        .where(_where(ABANDONED, now=now))
        .where(col(Delivery.attempts) >= max_attempts)
        .values(
            **_values(ABANDONED, Status.DEAD, now),
            last_error="lease expired on the last attempt",
        )
    )
    return int(result.rowcount or 0)


def _claimable(now: dt.datetime, not_before: dt.datetime) -> Any:
    """Rows a claim may take: its sources, and not too late to send."""
    return _where(CLAIM, now=now) & (col(Delivery.due_at) >= not_before)


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
    chosen = (
        select(col(Delivery.id))
        .where(_claimable(now, not_before))
        .order_by(col(Delivery.due_at), col(Delivery.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(Delivery)
        .where(col(Delivery.id).in_(chosen.scalar_subquery()))
        .values(
            **_values(CLAIM, Status.SENDING, now),
            lease_owner=owner,
            lease_until=lease_until,
            next_attempt_at=lease_until,
        )
        .returning(*Delivery.__table__.columns)  # type: ignore[attr-defined]
    )
    conn = await session.connection()
    rows = (await conn.execute(statement)).mappings().all()
    claimed = [Delivery.model_validate(dict(row)) for row in rows]
    return sorted(claimed, key=lambda d: (d.due_at, d.id or 0))


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
    statement = (
        update(Delivery)
        .where(col(Delivery.id).in_(ids))
        .where(_where(SENT, now=now, owner=owner))
        .values(
            **_values(SENT, Status.SENT, now),
            sent_at=now,
            slack_channel=channel_of,
            slack_ts=ts_of,
            last_error=None,
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
    transition: Transition,
    now: dt.datetime,
    next_attempt_at: dt.datetime | None = None,
    error: str | None = None,
) -> bool:
    """Move a claimed row that was not sent by one of `RELEASES`: back to pending (to be
    tried at `next_attempt_at`), or closed (dead, cancelled) — only while the lease is
    `owner`'s. False when it no longer was."""
    if transition not in RELEASES:
        raise ValueError(f"{transition.name} is not a release of a claimed row")
    [status] = transition.targets
    values = _values(transition, status, now)
    values["next_attempt_at"] = next_attempt_at or now
    if error is not None:
        values["last_error"] = error[:200]
    result = await session.exec(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id)
        .where(_where(transition, now=now, owner=owner))
        .values(**values)
    )
    return bool(result.rowcount)


# --- reading -------------------------------------------------------------------------


async def due_deliveries(
    session: AsyncSession, *, now: dt.datetime, not_before: dt.datetime, limit: int
) -> Sequence[Delivery]:
    """The rows a tick would claim now, without claiming them."""
    query = (
        select(Delivery)
        .where(_claimable(now, not_before))
        .order_by(col(Delivery.due_at), col(Delivery.id))
        .limit(limit)
    )
    return (await session.exec(query)).all()


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


async def has_overview_rows(session: AsyncSession) -> bool:
    query = select(Delivery.id).where(Delivery.kind == "overview").limit(1)
    return (await session.exec(query)).first() is not None


async def delivery_counts(session: AsyncSession) -> dict[str, int]:
    query = select(Delivery.status, func.count()).group_by(col(Delivery.status))
    return {str(s): int(n) for s, n in (await session.exec(query)).all()}


async def deliveries_with_status(
    session: AsyncSession, *, status: Status, limit: int = 100
) -> Sequence[Delivery]:
    query = (
        select(Delivery)
        .where(Delivery.status == str(status))
        .order_by(col(Delivery.due_at).desc(), col(Delivery.id))
        .limit(limit)
    )
    return (await session.exec(query)).all()
