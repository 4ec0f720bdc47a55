"""The reminder scheduler: every running instance ticks; each occurrence is sent once.

A tick
1. materialises the occurrences whose time has come (`planner.materialise`: INSERT …
   ON CONFLICT DO NOTHING on the unique key), marks rows too late to send as ``missed``
   and rows whose sender died on their last attempt as ``dead``;
2. claims a batch with a lease (`queries.claim_deliveries`: UPDATE … WHERE id IN
   (SELECT … FOR UPDATE SKIP LOCKED) RETURNING on PostgreSQL; the same statement in a
   BEGIN IMMEDIATE transaction on SQLite) — ``attempts`` counts claims;
3. loads what the messages need and closes the transaction: no transaction is open
   while Slack is called;
4. sends (DM: ``conversations.open`` + ``chat.postMessage``; digest:
   ``chat.postMessage`` to the team channel), a few recipients at a time and one message
   per recipient at a time;
5. marks rows sent only while the lease is still its own, then claims the next batch,
   until nothing is due.

Failures. Slack's 429 is honoured through the database, not by sleeping: the row goes
back to ``pending`` with ``next_attempt_at`` = now + ``Retry-After``, the rest of the
batch is released to the same time, and the tick stops, so no instance calls before
Retry-After. A 429 does not use up an attempt (the message was not refused; a row that
stays rate limited ends as ``missed`` after ``max_lateness_hours``). Other failures back
off exponentially with jitter; after ``max_attempts`` the row is ``dead`` (counted in
`health()` and ``praktikbot remind --status``). Errors that retrying cannot fix
(``channel_not_found``, ``invalid_blocks``, …) make the row dead at once.

Why the scheduler's Slack client has no retry handlers: slack_sdk's
``AsyncRateLimitErrorRetryHandler`` / ``AsyncServerErrorRetryHandler`` would sleep
inside the call while the row's lease runs out (another instance could then send it
too) and would hide the 429 from the database, so other instances would keep calling.
`slack_client()` builds an ``AsyncWebClient`` with ``retry_handlers=[]``; every retry is
a row going back to the queue with ``next_attempt_at``.

The one duplicate that can happen: Slack accepted a message and the process died (or
the database was unreachable for longer than the lease) before the row was marked sent;
``chat.postMessage`` has no idempotency key. A message is never lost: an abandoned claim
is taken again when its lease expires.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot.config import AppConfig, DeliveryConfig
from bot.reminders import planner, render
from bot.workdays import WorkingDays
from storage import queries
from storage.db import Database
from storage.models import Consultant, Delivery, FollowUp, Praktik

log = logging.getLogger(__name__)

SLACK_API_URL = "https://slack.com/api/"
SLACK_TIMEOUT_SECONDS = 15
MAX_BATCHES_PER_TICK = 10_000
REMATERIALISE_AFTER = dt.timedelta(hours=1)
RECORD_BATCH = 50  # outcomes written per transaction, at most ...
RECORD_EVERY_SECONDS = 0.2  # ... or this often
DB_RETRY_SECONDS = (0.5, 1, 2, 4, 8)
# Errors a retry cannot fix: the row is dead at once.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "users_not_found",
        "is_archived",
        "account_inactive",
        "user_disabled",
        "cannot_dm_bot",
        "not_in_channel",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "msg_blocks_too_long",
        "no_text",
    }
)

T = TypeVar("T")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- Slack client --------------------------------------------------------------------------


@asynccontextmanager
async def slack_client(
    token: str, base_url: str = SLACK_API_URL, *, connections: int = 20
) -> AsyncIterator[AsyncWebClient]:
    """An AsyncWebClient for the scheduler: one pooled HTTP session, no retry handlers
    (see the module docstring)."""
    if not base_url.endswith("/"):
        raise ValueError("the Slack API base URL must end with '/'")
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        yield AsyncWebClient(
            token=token,
            base_url=base_url,
            session=session,
            timeout=SLACK_TIMEOUT_SECONDS,
            retry_handlers=[],
        )


# --- reports and health ----------------------------------------------------------------------


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


class SchedulerHealth:
    """The scheduler's state for /healthz. `snapshot()` never touches the database."""

    STALE_TICKS = 5

    def __init__(self) -> None:
        self.instance_id: str | None = None
        self.running = False
        self.tick_seconds = 60.0
        self.last_tick_at: dt.datetime | None = None
        self.last_success_at: dt.datetime | None = None
        self.last_error: str | None = None
        self.consecutive_failures = 0
        self.counts: dict[str, int] = {}
        self.last_report: dict[str, Any] = {}

    def started(self, instance_id: str, tick_seconds: float) -> None:
        self.instance_id, self.running, self.tick_seconds = instance_id, True, tick_seconds

    def stopped(self) -> None:
        self.running = False

    def succeeded(self, at: dt.datetime, report: TickReport, counts: dict[str, int]) -> None:
        self.last_tick_at = self.last_success_at = at
        self.last_error = None
        self.consecutive_failures = 0
        self.counts = counts
        self.last_report = report.summary()

    def failed(self, at: dt.datetime, error: str) -> None:
        self.last_tick_at = at
        self.last_error = error
        self.consecutive_failures += 1

    def snapshot(self, now: dt.datetime | None = None) -> dict[str, Any]:
        now = now or utc_now()
        stale = self.last_success_at is None or (
            (now - self.last_success_at).total_seconds() > self.STALE_TICKS * self.tick_seconds
        )
        if not self.running and self.last_tick_at is None:
            status = "stopped"
        elif self.consecutive_failures or (stale and self.last_tick_at is not None):
            status = "degraded"
        elif self.last_success_at is None:
            status = "starting"
        else:
            status = "ok"
        return {
            "status": status,
            "instance": self.instance_id,
            "running": self.running,
            "last_tick_at": _iso(self.last_tick_at),
            "last_success_at": _iso(self.last_success_at),
            "last_error": self.last_error,
            "consecutive_failures": self.consecutive_failures,
            "dead": self.counts.get("dead", 0),
            "missed": self.counts.get("missed", 0),
            "pending": self.counts.get("pending", 0),
            "sending": self.counts.get("sending", 0),
            "deliveries": dict(self.counts),
            "last_tick": dict(self.last_report),
        }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


HEALTH = SchedulerHealth()


def health() -> dict[str, Any]:
    """The scheduler of this process (the default `run_forever`), for /healthz."""
    return HEALTH.snapshot()


# --- the tick ------------------------------------------------------------------------------


@dataclass
class _Job:
    delivery: Delivery
    messages: list[tuple[str, render.Blocks]] = field(default_factory=list)
    dm_user: str | None = None  # open a DM with this user; else post to `recipient`
    cancel: str | None = None


@dataclass
class _Sent:
    channel: str | None
    ts: str | None


@dataclass
class _RateLimited:
    retry_after: float


@dataclass
class _Failed:
    error: str
    permanent: bool


_Outcome = _Sent | _RateLimited | _Failed


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
        self.db, self.client, self.config = db, client, config
        self.settings: DeliveryConfig = config.reminders.delivery
        self.owner = instance_id
        self.state = state
        self.start = planner.as_utc(now)
        self.started = time.monotonic()
        self.days = WorkingDays(config.calendar)
        self.report = TickReport(instance_id=instance_id, now=self.start)
        self.stop_sending = False

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
            self.report.missed += await queries.mark_deliveries_missed(
                session, due_before=self.oldest_sendable(), now=now
            )
            self.report.dead += await queries.mark_exhausted_leases_dead(
                session, now=now, max_attempts=self.settings.max_attempts
            )
        if materialise:
            self.state.materialised_at = now

    # -- 2. claiming --------------------------------------------------------------------

    async def claim(self) -> tuple[list[Delivery], dt.datetime]:
        now = self.now()
        lease_until = now + dt.timedelta(seconds=self.settings.lease_seconds)
        async with self.db.transaction() as session:
            claimed = await queries.claim_deliveries(
                session,
                owner=self.owner,
                now=now,
                lease_until=lease_until,
                not_before=self.oldest_sendable(),
                limit=self.settings.batch_size,
            )
        self.report.claimed += len(claimed)
        return claimed, lease_until

    # -- 3. content ---------------------------------------------------------------------

    async def prepare(self, claimed: list[Delivery]) -> list[_Job]:
        followup_ids = [d.followup_id for d in claimed if d.followup_id is not None]
        teams = {d.team_id for d in claimed if d.kind == "digest" and d.team_id}
        async with self.db.transaction() as session:
            details = await queries.followups_with_praktik(session, followup_ids=followup_ids)
            digests: dict[tuple[str, dt.date], list[render.DigestEntry]] = {}
            for delivery in claimed:
                if delivery.kind != "digest" or delivery.team_id not in teams:
                    continue
                day = delivery.occurs_on
                week_end = day + dt.timedelta(days=6 - day.weekday())
                rows = await queries.planned_followups_of_team(
                    session, team_id=delivery.team_id, due_to=week_end
                )
                digests[(delivery.team_id, day)] = [render.DigestEntry(*row) for row in rows]
        return [self._job(d, details, digests) for d in claimed]

    def _job(
        self,
        delivery: Delivery,
        details: dict[int, tuple[FollowUp, Praktik, Consultant]],
        digests: dict[tuple[str, dt.date], list[render.DigestEntry]],
    ) -> _Job:
        if delivery.kind == "digest":
            team = next((t for t in self.config.teams if t.id == delivery.team_id), None)
            if team is None or team.digest is None or not team.channel:
                return _Job(delivery, cancel="team or its digest no longer configured")
            assert delivery.team_id is not None
            entries = digests.get((delivery.team_id, delivery.occurs_on), [])
            messages = render.digest_messages(
                team_name=team.name, day=delivery.occurs_on, entries=entries
            )
            delivery.recipient = team.channel
            return _Job(delivery, messages=messages)
        found = details.get(delivery.followup_id or -1)
        if found is None:
            return _Job(delivery, cancel="follow-up gone")
        followup, praktik, consultant = found
        if followup.status != "planned":
            return _Job(delivery, cancel=f"follow-up {followup.status}")
        if praktik.status != "active" and followup.kind != "status":
            return _Job(delivery, cancel="praktik ended")
        if not consultant.slack_user_id:
            return _Job(delivery, cancel="consultant has no Slack user")
        assert followup.id is not None
        current = planner.followup_occurrences(
            self.config, self.days, followup_id=followup.id, due_date=followup.due_date
        )
        if delivery.key not in {o.key for o in current}:
            return _Job(delivery, cancel="follow-up moved")
        left = None
        if delivery.kind == "early":
            left = self.days.between(delivery.occurs_on + dt.timedelta(days=1), followup.due_date)
        text, blocks = render.reminder_message(
            delivery_kind=delivery.kind,
            followup=followup,
            praktik=praktik,
            type_label=self.config.praktik_type(praktik.type).label,
            working_days_left=left,
        )
        return _Job(delivery, messages=[(text, blocks)], dm_user=consultant.slack_user_id)

    # -- 4. sending -----------------------------------------------------------------------

    async def send(self, job: _Job) -> _Outcome:
        assert self.client is not None
        try:
            channel = job.delivery.recipient
            if job.dm_user:
                channel = await self._dm_channel(job.dm_user)
            ts: str | None = None
            for text, blocks in job.messages:
                response = await self.client.chat_postMessage(
                    channel=channel, text=text, blocks=blocks, unfurl_links=False
                )
                ts = ts or response.get("ts")
                channel = response.get("channel") or channel
            return _Sent(channel, ts)
        except SlackApiError as exc:
            return self._slack_failure(exc)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return _Failed(f"network: {type(exc).__name__}", permanent=False)

    async def _dm_channel(self, user: str) -> str:
        assert self.client is not None
        cached = self.state.dm_channels.get(user)
        if cached:
            return cached
        response = await self.client.conversations_open(users=user)
        channel = str(response["channel"]["id"])
        self.state.dm_channels[user] = channel
        return channel

    def _slack_failure(self, exc: SlackApiError) -> _Outcome:
        response = exc.response
        status = getattr(response, "status_code", None)
        error = str(response.get("error") or "unknown") if response is not None else "unknown"
        if status == 429 or error == "ratelimited":
            headers = getattr(response, "headers", None) or {}
            raw = headers.get("Retry-After") or headers.get("retry-after")
            try:
                retry_after = float(raw) if raw is not None else self.settings.backoff_base_seconds
            except ValueError:
                retry_after = self.settings.backoff_base_seconds
            return _RateLimited(max(retry_after, 1.0))
        return _Failed(f"slack: {error} (HTTP {status})", permanent=error in PERMANENT_ERRORS)

    def backoff(self, attempts: int) -> dt.timedelta:
        base = self.settings.backoff_base_seconds * 2 ** max(attempts - 1, 0)
        delay = min(self.settings.backoff_max_seconds, base)
        jitter = self.settings.backoff_jitter
        delay *= random.uniform(1 - jitter, 1 + jitter)
        return dt.timedelta(seconds=max(1.0, min(delay, self.settings.backoff_max_seconds)))

    # -- 5. marking -----------------------------------------------------------------------

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
        self, results: list[tuple[_Job, _Outcome | None]], deadline: dt.datetime
    ) -> None:
        """Store what happened to a group of claimed rows in one transaction. An outcome
        of None: the row was not tried (released without using an attempt)."""

        async def work() -> tuple[int, int, dict[str, int]]:
            now = self.now()
            lost = 0
            counts: dict[str, int] = {}
            async with self.db.transaction() as session:
                sent = {
                    job.delivery.id: (outcome.channel, outcome.ts)
                    for job, outcome in results
                    if isinstance(outcome, _Sent) and job.delivery.id is not None
                }
                marked = await queries.finish_deliveries_sent(
                    session, owner=self.owner, sent=sent, now=now
                )
                lost += len(set(sent) - marked)
                for job, outcome in results:
                    if isinstance(outcome, _Sent):
                        continue
                    status, kept = await self._release(session, job, outcome, now)
                    counts[status] = counts.get(status, 0) + 1
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

    async def _release(
        self, session: Any, job: _Job, outcome: _Outcome | None, now: dt.datetime
    ) -> tuple[str, bool]:
        """Close or give back one claimed row that was not sent: (what, lease still ours)."""
        delivery = job.delivery
        assert delivery.id is not None
        common: dict[str, Any] = {"delivery_id": delivery.id, "owner": self.owner, "now": now}
        if job.cancel is not None:
            kept = await queries.release_delivery(
                session, status="cancelled", error=job.cancel, **common
            )
            return "cancelled", kept
        if outcome is None:
            until = self.report.retry_after_until or now
            kept = await queries.release_delivery(
                session, status="pending", next_attempt_at=until, uncount=True, **common
            )
            return "released", kept
        if isinstance(outcome, _RateLimited):
            kept = await queries.release_delivery(
                session,
                status="pending",
                next_attempt_at=now + dt.timedelta(seconds=outcome.retry_after),
                error="slack: ratelimited (HTTP 429)",
                uncount=True,
                **common,
            )
            return "rate_limited", kept
        assert isinstance(outcome, _Failed)
        if outcome.permanent or delivery.attempts >= self.settings.max_attempts:
            log.warning(
                "reminders: delivery %s is dead after %d attempts: %s",
                delivery.id,
                delivery.attempts,
                outcome.error,
            )
            kept = await queries.release_delivery(
                session, status="dead", error=outcome.error, **common
            )
            return "dead", kept
        kept = await queries.release_delivery(
            session,
            status="pending",
            next_attempt_at=now + self.backoff(delivery.attempts),
            error=outcome.error,
            **common,
        )
        return "retried", kept

    # -- the batch ------------------------------------------------------------------------

    async def deliver(self, claimed: list[Delivery], lease_until: dt.datetime) -> None:
        """Send a claimed batch: `send_concurrency` workers, each taking one recipient at
        a time and sending its messages in order (a DM channel takes about one message a
        second, so one recipient never gets two at once). Outcomes are written by a
        recorder in small transactions while the sending goes on."""
        jobs = await self.prepare(claimed)
        results: list[tuple[_Job, _Outcome | None]] = [
            (job, None) for job in jobs if job.cancel is not None
        ]
        queues: dict[str, list[_Job]] = {}
        for job in jobs:
            if job.cancel is None:
                queues.setdefault(job.dm_user or job.delivery.recipient, []).append(job)
        recipients = list(queues.values())
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
                queue = recipients.pop()
                for position, job in enumerate(queue):
                    if self.stop_sending or recording.done() or self.now() > lease_until - margin:
                        results.extend((rest, None) for rest in queue[position:])
                        break
                    outcome = await self.send(job)
                    results.append((job, outcome))
                    if isinstance(outcome, _RateLimited):
                        self._rate_limited(outcome)
                    if len(results) >= RECORD_BATCH:
                        wake.set()

        try:
            await asyncio.gather(*(worker() for _ in range(self.settings.send_concurrency)))
        finally:
            finished.set()
            wake.set()
            await recording

    def _rate_limited(self, outcome: _RateLimited) -> None:
        until = self.now() + dt.timedelta(seconds=outcome.retry_after)
        if self.report.retry_after_until is None or until > self.report.retry_after_until:
            self.report.retry_after_until = until
        if not self.stop_sending:
            log.warning("reminders: Slack rate limit; next call in %.0f s", outcome.retry_after)
        self.stop_sending = True

    async def run(self) -> TickReport:
        await self.housekeeping()
        for _ in range(MAX_BATCHES_PER_TICK):
            if self.stop_sending:
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
            due = await queries.due_deliveries(
                session, now=now, not_before=self.oldest_sendable(), limit=10_000
            )
        existing = {d.key for d in due}
        would = [
            PlannedSend(d.key, d.kind, d.recipient, planner.as_utc(d.due_at), True) for d in due
        ]
        stored_keys = await self._stored_keys([str(r["key"]) for r in rows])
        would += [
            PlannedSend(r["key"], r["kind"], r["recipient"], r["due_at"], False)
            for r in rows
            if r["status"] == "pending" and r["key"] not in existing and r["key"] not in stored_keys
        ]
        self.report.would_send = sorted(would, key=lambda p: (p.due_at, p.key))
        self.report.missed = sum(
            1 for r in rows if r["status"] == "missed" and r["key"] not in stored_keys
        )
        return self.report

    async def _stored_keys(self, keys: list[str]) -> set[str]:
        if not keys:
            return set()
        async with self.db.transaction() as session:
            return await queries.existing_delivery_keys(session, keys=keys)


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
    work between ticks (run_forever passes one); without it every tick materialises."""
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
        return await queries.delivery_counts(session)


def describe_error(exc: BaseException) -> str:
    """An error for logs and health without SQL parameters or message content."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"database: {type(exc.orig).__name__}"
    if isinstance(exc, SQLAlchemyError):
        return f"database: {type(exc).__name__}"
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc.strerror or exc}"
    return type(exc).__name__


async def run_forever(
    *,
    db: Database,
    client: AsyncWebClient,
    config: AppConfig,
    instance_id: str,
    stop: asyncio.Event,
    clock: Callable[[], dt.datetime] = utc_now,
    health: SchedulerHealth | None = None,
) -> None:
    """Tick every `tick_seconds` (with jitter) until `stop` is set. A failing tick (the
    database is down, …) is logged and marks the scheduler degraded; it never ends the
    loop. Retries come sooner while failing (5 s, 10 s, … up to tick_seconds)."""
    monitor = health or HEALTH
    settings = config.reminders.delivery
    monitor.started(instance_id, settings.tick_seconds)
    state = SchedulerState()
    log.info("reminders: scheduler %s started", instance_id)
    try:
        while not stop.is_set():
            started = clock()
            try:
                report = await tick(
                    db=db,
                    client=client,
                    config=config,
                    now=started,
                    instance_id=instance_id,
                    state=state,
                )
                monitor.succeeded(clock(), report, await delivery_counts(db))
                if report.sent or report.dead or report.missed:
                    log.info("reminders: %s", report.summary())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = describe_error(exc)
                monitor.failed(clock(), error)
                log.error("reminders: tick failed (%s); degraded, will retry", error)
            delay = settings.tick_seconds
            if monitor.consecutive_failures:
                delay = min(delay, 5.0 * 2 ** (monitor.consecutive_failures - 1))
            jitter = settings.tick_jitter
            delay *= random.uniform(1 - jitter, 1 + jitter)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
    finally:
        monitor.stopped()
        log.info("reminders: scheduler %s stopped", instance_id)


class _HasDbAndConfig(Protocol):
    db: Database
    config: AppConfig


def default_instance_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


async def scheduler_job(deps: _HasDbAndConfig, client: AsyncWebClient, stop: asyncio.Event) -> None:
    """`run_forever` for `serve` / `socket` (their background job): `deps` gives the
    database and configuration; `client` (the Bolt app's) gives the token and API URL
    only — the scheduler sends with its own client without retry handlers (see the
    module docstring), and reports to `health()`."""
    token = client.token
    if not token:
        raise ValueError("the scheduler needs the bot token")
    async with slack_client(token, client.base_url) as own:
        await run_forever(
            db=deps.db,
            client=own,
            config=deps.config,
            instance_id=default_instance_id(),
            stop=stop,
        )
