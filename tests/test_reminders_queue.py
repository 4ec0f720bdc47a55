"""The delivery queue's transitions and leases, on real SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot import delivery_queue as queue
from bot.delivery_queue import Status
from storage.db import Database
from tests.reminder_support import deliveries, local

MONDAY = dt.date(2026, 11, 30)
AT_8 = local(MONDAY, 8)


def row(key: str, **changes: Any) -> dict[str, Any]:
    return {
        "key": key,
        "kind": "due",
        "recipient": "UANNA",
        "occurs_on": MONDAY,
        "due_at": AT_8,
        "next_attempt_at": AT_8,
        "status": "pending",
        "attempts": 0,
        "created_at": AT_8,
        "updated_at": AT_8,
        **changes,
    }


def test_the_transitions_never_leave_a_final_status_and_reach_every_other() -> None:
    sources = {s for t in queue.TRANSITIONS for src in t.sources for s in src.statuses}
    targets = {s for t in queue.TRANSITIONS for s in t.targets}
    assert sources.isdisjoint(queue.FINAL)
    assert targets == set(Status)
    assert set(queue.OPEN) | set(queue.FINAL) == set(Status)


async def test_a_row_moves_only_along_the_table_and_only_by_its_lease_holder(
    db: Database,
) -> None:
    async with db.transaction() as session:
        with pytest.raises(ValueError, match="cannot be 'sent'"):
            await queue.insert_deliveries(session, rows=[row("k:1", status="sent")])
    async with db.transaction() as session:
        inserted = await queue.insert_deliveries(session, rows=[row("k:1"), row("k:1")])
    assert inserted == {"pending": 1}

    lease = AT_8 + dt.timedelta(minutes=2)
    async with db.transaction() as session:
        [claimed] = await queue.claim_deliveries(
            session, owner="a", now=AT_8, lease_until=lease, not_before=AT_8, limit=10
        )
        assert claimed.id is not None
        # Someone else's lease: nothing happens.
        assert not await queue.finish_deliveries_sent(
            session, owner="b", sent={claimed.id: ("D1", "1.0")}, now=AT_8
        )
        assert not await queue.release_delivery(
            session, delivery_id=claimed.id, owner="b", transition=queue.RETRY, now=AT_8
        )
        with pytest.raises(ValueError, match="not a release"):
            await queue.release_delivery(
                session, delivery_id=claimed.id, owner="a", transition=queue.CLAIM, now=AT_8
            )
        # Not tried: back to pending without using the attempt.
        assert await queue.release_delivery(
            session, delivery_id=claimed.id, owner="a", transition=queue.NOT_TRIED, now=AT_8
        )
    [stored] = await deliveries(db)
    assert (stored.status, stored.attempts, stored.lease_owner) == ("pending", 0, None)

    async with db.transaction() as session:
        [again] = await queue.claim_deliveries(
            session, owner="a", now=AT_8, lease_until=lease, not_before=AT_8, limit=10
        )
        assert again.id is not None
        assert await queue.finish_deliveries_sent(
            session, owner="a", sent={again.id: ("D1", "1.0")}, now=AT_8
        ) == {again.id}
        # Sent is final: no later move touches it.
        later = lease + dt.timedelta(hours=1)
        assert await queue.mark_deliveries_missed(session, due_before=later, now=later) == 0
        assert await queue.mark_exhausted_leases_dead(session, now=later, max_attempts=1) == 0
        assert (
            await queue.claim_deliveries(
                session, owner="b", now=later, lease_until=later, not_before=AT_8, limit=10
            )
            == []
        )
    [stored] = await deliveries(db)
    assert (stored.status, stored.attempts, stored.slack_ts) == ("sent", 1, "1.0")
