"""Health: the reminder loop's state and the one rule that says ``ok`` or ``degraded``,
for ``GET /healthz`` and ``praktikbot remind --status`` alike.

The loop that ticks owns a `SchedulerHealth` and reports every tick to it; the HTTP
server reads `snapshot()`, which never touches the database. `Health` combines the
database probe, the scheduler's snapshot (when this process runs one) and the delivery
counts. It is ``degraded`` when

- the database does not answer,
- the scheduler's ticks fail — a tick fails when it raises: the database is unreachable
  from the scheduler or refuses its statements; Slack refusing a message is no failed
  tick (the row is retried with backoff and, its attempts used up, is dead) — or the
  scheduler has not completed a tick for `SchedulerHealth.STALE_TICKS` tick intervals,
- or there are dead rows (reminders or digests that were never sent).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from storage.db import Database

log = logging.getLogger(__name__)


class Status(enum.StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    STARTING = "starting"  # the scheduler has not finished its first tick
    STOPPED = "stopped"  # the scheduler has not started (or stopped before its first tick)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def describe_error(exc: BaseException) -> str:
    """An error for logs and health without SQL parameters or message content."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"database: {type(exc.orig).__name__}"
    if isinstance(exc, SQLAlchemyError):
        return f"database: {type(exc).__name__}"
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc.strerror or exc}"
    return type(exc).__name__


class TickSummary(Protocol):
    def summary(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class SchedulerSnapshot:
    """The scheduler as of one moment."""

    status: Status
    instance: str | None
    running: bool
    last_tick_at: dt.datetime | None
    last_success_at: dt.datetime | None
    last_error: str | None
    consecutive_failures: int
    deliveries: Mapping[str, int]  # rows by status after the last successful tick
    last_tick: Mapping[str, Any]  # what the last successful tick did

    @property
    def dead(self) -> int:
        return self.deliveries.get("dead", 0)

    @property
    def missed(self) -> int:
        return self.deliveries.get("missed", 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "instance": self.instance,
            "running": self.running,
            "last_tick_at": _iso(self.last_tick_at),
            "last_success_at": _iso(self.last_success_at),
            "last_error": self.last_error,
            "consecutive_failures": self.consecutive_failures,
            "dead": self.dead,
            "missed": self.missed,
            "pending": self.deliveries.get("pending", 0),
            "sending": self.deliveries.get("sending", 0),
            "deliveries": dict(self.deliveries),
            "last_tick": dict(self.last_tick),
        }


@dataclass
class SchedulerHealth:
    """What the loop reports about its ticks; `snapshot()` never touches the database."""

    STALE_TICKS = 5

    instance_id: str | None = None
    running: bool = False
    tick_seconds: float = 60.0
    last_tick_at: dt.datetime | None = None
    last_success_at: dt.datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    last_report: dict[str, Any] = field(default_factory=dict)

    def started(self, instance_id: str, tick_seconds: float) -> None:
        self.instance_id, self.running, self.tick_seconds = instance_id, True, tick_seconds

    def stopped(self) -> None:
        self.running = False

    def succeeded(self, at: dt.datetime, report: TickSummary, counts: dict[str, int]) -> None:
        self.last_tick_at = self.last_success_at = at
        self.last_error = None
        self.consecutive_failures = 0
        self.counts = dict(counts)
        self.last_report = report.summary()

    def failed(self, at: dt.datetime, error: str) -> None:
        self.last_tick_at = at
        self.last_error = error
        self.consecutive_failures += 1

    def status(self, now: dt.datetime) -> Status:
        stale = self.last_success_at is None or (
            (now - self.last_success_at).total_seconds() > self.STALE_TICKS * self.tick_seconds
        )
        if not self.running and self.last_tick_at is None:
            return Status.STOPPED
        if self.consecutive_failures or (stale and self.last_tick_at is not None):
            return Status.DEGRADED
        if self.last_success_at is None:
            return Status.STARTING
        return Status.OK

    def snapshot(self, now: dt.datetime | None = None) -> SchedulerSnapshot:
        return SchedulerSnapshot(
            status=self.status(now or utc_now()),
            instance=self.instance_id,
            running=self.running,
            last_tick_at=self.last_tick_at,
            last_success_at=self.last_success_at,
            last_error=self.last_error,
            consecutive_failures=self.consecutive_failures,
            deliveries=dict(self.counts),
            last_tick=dict(self.last_report),
        )


async def probe_database(db: Database) -> str | None:
    """None when the database answers ``SELECT 1``; else what went wrong (no details)."""
    try:
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means: not healthy
        log.warning("health check: database unavailable (%s)", type(exc).__name__)
        return describe_error(exc)
    return None


@dataclass(frozen=True)
class Health:
    """The verdict, from what one process can see."""

    database_error: str | None  # None: the database answered
    scheduler: SchedulerSnapshot | None  # None: no scheduler runs in this process
    deliveries: Mapping[str, int] | None  # rows by status; None: they could not be read
    deliveries_error: str | None = None

    @property
    def database(self) -> str:
        return "ok" if self.database_error is None else "unavailable"

    @property
    def dead(self) -> int:
        return (self.deliveries or {}).get("dead", 0)

    def problems(self) -> list[str]:
        """Why it is degraded (empty: it is not), in words for an operator."""
        found = []
        if self.database_error is not None:
            found.append(f"database unavailable ({self.database_error})")
        elif self.deliveries is None:
            found.append(f"deliveries unreadable ({self.deliveries_error or 'unknown'})")
        if self.scheduler is not None and self.scheduler.status is Status.DEGRADED:
            if self.scheduler.last_error:
                found.append(f"scheduler ticks failing ({self.scheduler.last_error})")
            else:
                found.append("scheduler: no tick completed recently")
        if self.dead:
            found.append(f"{self.dead} dead (never sent)")
        return found

    @property
    def status(self) -> Status:
        return Status.DEGRADED if self.problems() else Status.OK

    @property
    def http_status(self) -> int:
        """503 only when this instance cannot reach the database (it cannot serve Slack's
        requests then); a degraded scheduler or dead rows answer 200."""
        return 503 if self.database_error is not None else 200

    def to_json(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "database": self.database,
            "scheduler": self.scheduler.to_json() if self.scheduler else {"state": "not running"},
        }


async def serving_health(
    db: Database, scheduler: SchedulerHealth | None, now: dt.datetime | None = None
) -> Health:
    """For /healthz: the database probe and this process's scheduler (its counts are
    those of its last successful tick: no query per request)."""
    snapshot = scheduler.snapshot(now) if scheduler is not None else None
    return Health(
        database_error=await probe_database(db),
        scheduler=snapshot,
        deliveries=dict(snapshot.deliveries) if snapshot else {},
    )
