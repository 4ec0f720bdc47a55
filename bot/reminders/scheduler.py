"""The scheduler's tick: every running instance ticks; each occurrence is sent once.

A tick
1. materialises the occurrences whose time has come (`planner.materialise`: INSERT …
   ON CONFLICT DO NOTHING on the unique key), marks rows too late to send as ``missed``
   and rows whose sender died on their last attempt as ``dead``;
2. claims a batch with a lease (`queue.claim_deliveries`: UPDATE … WHERE id IN
   (SELECT … FOR UPDATE SKIP LOCKED) RETURNING on PostgreSQL; the same statement in a
   BEGIN IMMEDIATE transaction on SQLite) — ``attempts`` counts claims;
3. loads what the messages need and closes the transaction (`outgoing.prepare`): no
   transaction is open while Slack is called;
4. sends (`sending.Sender`; DM: ``conversations.open`` + ``chat.postMessage``; digest:
   ``chat.postMessage`` to the team channel), a few recipients at a time and one message
   per recipient at a time;
5. marks rows sent only while the lease is still its own, then claims the next batch,
   until nothing is due.

The statuses and every move between them are `bot.delivery_queue`'s; this module
decides which move an outcome is. Failures. Slack's 429 is honoured through the
database, not by sleeping: the row goes back to ``pending`` with ``next_attempt_at`` =
now + ``Retry-After``, the rest of the batch is released to the same time, and the tick
stops, so no instance calls before Retry-After. A 429 does not use up an attempt (the
message was not refused; a row that stays rate limited ends as ``missed`` after
``max_lateness_hours``). Other failures back off exponentially with jitter; after
``max_attempts`` the row is ``dead`` (in /healthz and ``praktikbot remind --status``).
Errors that retrying cannot fix (``channel_not_found``, ``invalid_blocks``, …) make the
row dead at once.

The one duplicate that can happen: Slack accepted a message and the process died (or
the database was unreachable for longer than the lease) before the row was marked sent;
``chat.postMessage`` has no idempotency key. A message is never lost: an abandoned claim
is taken again when its lease expires.

The loop that runs a tick every minute is `bot.background`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import DBAPIError

from bot import delivery_queue as queue
from bot.config import AppConfig, DeliveryConfig
from bot.reminders import outgoing, planner
from bot.reminders.outgoing import Outgoing
from bot.reminders.sending import (
    SLACK_TIMEOUT_SECONDS,
    Failed,
    Outcome,
    RateLimited,
    Sender,
    Sent,
    backoff,
)
from bot.workdays import WorkingDays
from storage.db import Database
from storage.models import Delivery

log = logging.getLogger(__name__)

MAX_BATCHES_PER_TICK = 10_000
REMATERIALISE_AFTER = dt.timedelta(hours=1)
RECORD_BATCH = 50  # outcomes written per transaction, at most ...
RECORD_EVERY_SECONDS = 0.2  # ... or this often
DB_RETRY_SECONDS = (0.5, 1, 2, 4, 8)

T = TypeVar("T")


# --- reports ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedSend:
    """A row a dry run would send (or create)."""

    key: str
    kind: str
    recipient: str
    due_at: dt.datetime
    existing: bool


@dataclass
class TickReport:
    instance_id: str
    now: dt.datetime
    dry_run: bool = False
    materialised: int = 0
    missed: int = 0
    dead: int = 0
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    rate_limited: int = 0
    cancelled: int = 0
    released: int = 0
    lease_lost: int = 0
    would_send: list[PlannedSend] = field(default_factory=list)
    retry_after_until: dt.datetime | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "materialised": self.materialised,
            "missed": self.missed,
            "claimed": self.claimed,
            "sent": self.sent,
            "retried": self.retried,
            "rate_limited": self.rate_limited,
            "dead": self.dead,
            "cancelled": self.cancelled,
            "released": self.released,
            "lease_lost": self.lease_lost,
        }


@dataclass
class SchedulerState:
    """What one instance remembers between ticks (nothing it needs for correctness)."""

    materialised_at: dt.datetime | None = None
    dm_channels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Release:
    """How a claimed row that was not sent leaves this instance's hands."""

    move: queue.Transition
    counted_as: str  # the TickReport counter
    next_attempt_at: dt.datetime | None = None
    error: str | None = None


# --- the tick ------------------------------------------------------------------------------


class _Tick:
    def __init__(
        self,
        *,
        db: Database,
        client: AsyncWebClient | None,
        config: AppConfig,
        now: dt.datetime,
        instance_id: str,
        state: SchedulerState,
    ) -> None:
        self.db, self.config = db, config
        self.settings: DeliveryConfig = config.reminders.delivery
        self.sender = (
            Sender(client, self.settings, state.dm_channels) if client is not None else None
        )
        self.owner = instance_id
        self.state = state
        self.start = now.astimezone(dt.UTC)
        self.started = time.monotonic()
        self.days = WorkingDays(config.calendar)
        self.report = TickReport(instance_id=instance_id, now=self.start)

    def now(self) -> dt.datetime:
        """The tick's `now`, advancing with real time while the tick runs."""
        return self.start + dt.timedelta(seconds=time.monotonic() - self.started)

    def oldest_sendable(self) -> dt.datetime:
        return self.now() - dt.timedelta(hours=self.settings.max_lateness_hours)

    # -- 1. housekeeping ------------------------------------------------------------------

    def _needs_materialise(self, now: dt.datetime) -> bool:
        last = self.state.materialised_at
        if last is None or now < last or now - last >= REMATERIALISE_AFTER:
            return True
        # Occurrences only fall on these instants, and a change to a follow-up only
        # creates occurrences after it happened: nothing new unless one has passed.
        tz = self.config.tz
        instants = planner.occurrence_instants(
            self.config, last.astimezone(tz).date(), now.astimezone(tz).date()
        )
        return any(last < instant <= now for instant in instants)

    async def housekeeping(self) -> None:
        now = self.now()
        materialise = self._needs_materialise(now)
        async with self.db.transaction() as session:
            if materialise:
                counts, _ = await planner.materialise(
                    session, config=self.config, now=now, days=self.days
                )
                self.report.materialised = counts.total
                self.report.missed += counts.missed
            self.report.missed += await queue.mark_deliveries_missed(
                session, due_before=self.oldest_sendable(), now=now
            )
            self.report.dead += await queue.mark_exhausted_leases_dead(
                session, now=now, max_attempts=self.settings.max_attempts
            )
        if materialise:
            self.state.materialised_at = now

    # -- 2. claiming --------------------------------------------------------------------

    async def claim(self) -> tuple[list[Delivery], dt.datetime]:
        now = self.now()
        lease_until = now + dt.timedelta(seconds=self.settings.lease_seconds)
        async with self.db.transaction() as session:
            claimed = await queue.claim_deliveries(
                session,
                owner=self.owner,
                now=now,
                lease_until=lease_until,
                not_before=self.oldest_sendable(),
                limit=self.settings.batch_size,
            )
        self.report.claimed += len(claimed)
        return claimed, lease_until

    # -- 3. marking -----------------------------------------------------------------------

    async def _db(self, work: Callable[[], Awaitable[T]], deadline: dt.datetime) -> T:
        """Run a marking transaction, retrying while the database is away and the lease
        lasts: a message already sent must be marked, or it would be sent again."""
        for pause in (*DB_RETRY_SECONDS, None):
            try:
                return await work()
            except (DBAPIError, OSError) as exc:
                if pause is None or self.now() + dt.timedelta(seconds=pause) >= deadline:
                    raise
                log.warning(
                    "reminders: database unavailable while marking (%s); retrying",
                    type(exc).__name__,
                )
                await asyncio.sleep(pause)
        raise AssertionError("unreachable")

    async def record(
        self, results: list[tuple[Outgoing, Outcome | None]], deadline: dt.datetime
    ) -> None:
        """Store what happened to a group of claimed rows in one transaction. An outcome
        of None: the row was not tried (released without using an attempt)."""

        async def work() -> tuple[int, int, dict[str, int]]:
            now = self.now()
            lost = 0
            counts: dict[str, int] = {}
            async with self.db.transaction() as session:
                sent = {
                    item.delivery.id: (outcome.channel, outcome.ts)
                    for item, outcome in results
                    if isinstance(outcome, Sent) and item.delivery.id is not None
                }
                marked = await queue.finish_deliveries_sent(
                    session, owner=self.owner, sent=sent, now=now
                )
                lost += len(set(sent) - marked)
                for item, outcome in results:
                    if isinstance(outcome, Sent):
                        continue
                    what, kept = await self._release(session, item, outcome, now)
                    counts[what] = counts.get(what, 0) + 1
                    lost += not kept
            return len(marked), lost, counts

        sent, lost, counts = await self._db(work, deadline)
        self.report.sent += sent
        self.report.lease_lost += lost
        self.report.cancelled += counts.get("cancelled", 0)
        self.report.released += counts.get("released", 0)
        self.report.rate_limited += counts.get("rate_limited", 0)
        self.report.retried += counts.get("retried", 0)
        self.report.dead += counts.get("dead", 0)
        if counts.get("dead"):
            log.error("reminders: %d rows are dead (attempts used up)", counts["dead"])
        if lost:
            log.warning("reminders: %d rows were no longer leased to %s", lost, self.owner)

    def _release_for(self, item: Outgoing, outcome: Outcome | None, now: dt.datetime) -> _Release:
        """Which move a claimed row that was not sent makes (`outcome` None: not tried)."""
        delivery = item.delivery
        if item.cancel is not None:
            return _Release(queue.CANCEL_CLAIMED, "cancelled", error=item.cancel)
        if outcome is None:
            paused_until = self.sender.paused_until if self.sender else None
            return _Release(queue.NOT_TRIED, "released", next_attempt_at=paused_until or now)
        if isinstance(outcome, RateLimited):
            retry_at = now + dt.timedelta(seconds=outcome.retry_after)
            return _Release(
                queue.RATE_LIMITED, "rate_limited", retry_at, "slack: ratelimited (HTTP 429)"
            )
        assert isinstance(outcome, Failed)
        if outcome.permanent or delivery.attempts >= self.settings.max_attempts:
            log.warning(
                "reminders: delivery %s is dead after %d attempts: %s",
                delivery.id,
                delivery.attempts,
                outcome.error,
            )
            return _Release(queue.GIVE_UP, "dead", error=outcome.error)
        retry_at = now + backoff(self.settings, delivery.attempts)
        return _Release(queue.RETRY, "retried", retry_at, outcome.error)

    async def _release(
        self, session: Any, item: Outgoing, outcome: Outcome | None, now: dt.datetime
    ) -> tuple[str, bool]:
        """Close or give back one claimed row that was not sent: (counted as, lease still
        ours)."""
        assert item.delivery.id is not None
        release = self._release_for(item, outcome, now)
        kept = await queue.release_delivery(
            session,
            delivery_id=item.delivery.id,
            owner=self.owner,
            transition=release.move,
            now=now,
            next_attempt_at=release.next_attempt_at,
            error=release.error,
        )
        return release.counted_as, kept

    # -- the batch ------------------------------------------------------------------------

    async def deliver(self, claimed: list[Delivery], lease_until: dt.datetime) -> None:
        """Send a claimed batch: `send_concurrency` workers, each taking one recipient at
        a time and sending its messages in order (a DM channel takes about one message a
        second, so one recipient never gets two at once). Outcomes are written by a
        recorder in small transactions while the sending goes on."""
        sender = self.sender
        assert sender is not None
        items = await outgoing.prepare(self.db, self.config, self.days, claimed)
        results: list[tuple[Outgoing, Outcome | None]] = [
            (item, None) for item in items if item.cancel is not None
        ]
        by_recipient: dict[str, list[Outgoing]] = {}
        for item in items:
            if item.cancel is None:
                by_recipient.setdefault(item.recipient, []).append(item)
        recipients = list(by_recipient.values())
        recipients.reverse()  # pop() takes the earliest due first
        margin = dt.timedelta(
            seconds=min(self.settings.lease_seconds / 2, 2 * SLACK_TIMEOUT_SECONDS)
        )
        wake = asyncio.Event()
        finished = asyncio.Event()

        async def recorder() -> None:
            while True:
                with suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), RECORD_EVERY_SECONDS)
                wake.clear()
                batch = results[:]
                del results[: len(batch)]
                if batch:
                    await self.record(batch, lease_until)
                if finished.is_set() and not results:
                    return

        recording = asyncio.create_task(recorder())

        async def worker() -> None:
            while recipients:
                mine = recipients.pop()
                for position, item in enumerate(mine):
                    if sender.paused or recording.done() or self.now() > lease_until - margin:
                        results.extend((rest, None) for rest in mine[position:])
                        break
                    outcome = await sender.send(item)
                    results.append((item, outcome))
                    if isinstance(outcome, RateLimited):
                        sender.pause(outcome, self.now())
                        self.report.retry_after_until = sender.paused_until
                    if len(results) >= RECORD_BATCH:
                        wake.set()

        try:
            await asyncio.gather(*(worker() for _ in range(self.settings.send_concurrency)))
        finally:
            finished.set()
            wake.set()
            await recording

    async def run(self) -> TickReport:
        await self.housekeeping()
        for _ in range(MAX_BATCHES_PER_TICK):
            if self.sender is not None and self.sender.paused:
                break
            claimed, lease_until = await self.claim()
            if not claimed:
                break
            await self.deliver(claimed, lease_until)
        return self.report

    async def dry_run(self) -> TickReport:
        """What a tick would send now, changing nothing and calling no one."""
        self.report.dry_run = True
        now = self.now()
        async with self.db.transaction() as session:
            _, rows = await planner.materialise(
                session, config=self.config, now=now, days=self.days, insert=False
            )
            due = await queue.due_deliveries(
                session, now=now, not_before=self.oldest_sendable(), limit=10_000
            )
        existing = {d.key for d in due}
        would = [PlannedSend(d.key, d.kind, d.recipient, d.due_at, True) for d in due]
        stored_keys = await self._stored_keys([str(r["key"]) for r in rows])
        would += [
            PlannedSend(r["key"], r["kind"], r["recipient"], r["due_at"], False)
            for r in rows
            if r["status"] == queue.Status.PENDING
            and r["key"] not in existing
            and r["key"] not in stored_keys
        ]
        self.report.would_send = sorted(would, key=lambda p: (p.due_at, p.key))
        self.report.missed = sum(
            1 for r in rows if r["status"] == queue.Status.MISSED and r["key"] not in stored_keys
        )
        return self.report

    async def _stored_keys(self, keys: list[str]) -> set[str]:
        if not keys:
            return set()
        async with self.db.transaction() as session:
            return await queue.existing_delivery_keys(session, keys=keys)


async def tick(
    *,
    db: Database,
    client: AsyncWebClient | None,
    config: AppConfig,
    now: dt.datetime,
    instance_id: str,
    dry_run: bool = False,
    state: SchedulerState | None = None,
) -> TickReport:
    """One scheduler tick as of `now` (see the module docstring). `dry_run`: list what
    would be sent, changing nothing and calling no one. `state` lets an instance skip
    work between ticks (the loop passes one); without it every tick materialises."""
    run = _Tick(
        db=db,
        client=client,
        config=config,
        now=now,
        instance_id=instance_id,
        state=state or SchedulerState(),
    )
    if dry_run:
        return await run.dry_run()
    if client is None:
        raise ValueError("a tick that sends needs a Slack client")
    return await run.run()


async def delivery_counts(db: Database) -> dict[str, int]:
    async with db.transaction() as session:
        return await queue.delivery_counts(session)
