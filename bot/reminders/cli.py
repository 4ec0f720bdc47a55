"""`praktikbot remind [--now ISO] [--dry-run] [--status]`: one scheduler tick.

Prints only keys, kinds, Slack ids, times and counts — no praktik or citizen data.
`--status` gives the verdict of /healthz (`bot.health`) from what this process can see:
the database and the delivery queue.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import uuid
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from bot import delivery_queue as queue
from bot.config import AppConfig
from bot.health import Health, describe_error, probe_database
from bot.reminders.scheduler import TickReport, tick
from bot.reminders.sending import SLACK_API_URL, slack_client
from storage.db import Database
from storage.migrate import upgrade_async
from storage.models import Delivery


def parse_now(text: str, config: AppConfig) -> dt.datetime:
    """An ISO time for --now; without an offset it is local time in `timezone`."""
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=config.tz)
    return value.astimezone(dt.UTC)


def _fmt(value: dt.datetime, config: AppConfig) -> str:
    return value.astimezone(config.tz).strftime("%Y-%m-%d %H:%M %Z")


async def _read_status(config: AppConfig) -> tuple[Health, Sequence[Delivery]]:
    """The verdict from the database and the queue, and the newest dead rows."""
    url = config.storage.url
    try:
        db = Database(url, busy_timeout_ms=config.storage.sqlite_busy_timeout_ms)
    except OSError as exc:  # e.g. the SQLite file's directory cannot be created
        return Health(database_error=describe_error(exc), scheduler=None, deliveries=None), []
    try:
        error = await probe_database(db)
        if error is not None:
            return Health(database_error=error, scheduler=None, deliveries=None), []
        try:
            await upgrade_async(url)
            async with db.transaction() as session:
                counts = await queue.delivery_counts(session)
                dead = await queue.deliveries_with_status(
                    session, status=queue.Status.DEAD, limit=100
                )
        except (SQLAlchemyError, OSError) as exc:
            unread = describe_error(exc)
            unreadable = Health(
                database_error=None, scheduler=None, deliveries=None, deliveries_error=unread
            )
            return unreadable, []
        return Health(database_error=None, scheduler=None, deliveries=counts), dead
    finally:
        await db.dispose()


async def _status(config: AppConfig) -> int:
    """The verdict, the counts by status and the dead rows; 1 when the database or the
    queue cannot be read."""
    health, dead = await _read_status(config)
    problems = health.problems()
    print(f"Status: {health.status}" + (f" — {'; '.join(problems)}" if problems else ""))
    if health.deliveries is None:
        return 1
    counts = health.deliveries
    print("Reminders and digests by status:")
    known = [str(s) for s in queue.Status]
    for status in (*known, *sorted(set(counts) - set(known))):
        print(f"  {status:<10} {counts.get(status, 0)}")
    if dead:
        print(f"Dead rows (newest {len(dead)}; not sent, attempts used up):")
        for row in dead:
            print(
                f"  #{row.id} {row.key} to {row.recipient}, due {_fmt(row.due_at, config)}, "
                f"{row.attempts} attempts: {row.last_error or '?'}"
            )
    return 0


def _print_report(report: TickReport, config: AppConfig) -> None:
    when = _fmt(report.now, config)
    if report.dry_run:
        print(f"Dry run as of {when}: {len(report.would_send)} would be sent.")
        for item in report.would_send:
            origin = "queued" if item.existing else "new"
            print(
                f"  {_fmt(item.due_at, config)}  {item.kind:<8} {item.key} "
                f"to {item.recipient} ({origin})"
            )
        if report.missed:
            print(f"  {report.missed} would be recorded as missed (too late to send).")
        return
    summary = ", ".join(f"{k} {v}" for k, v in report.summary().items())
    print(f"Tick as of {when}: {summary}.")


async def remind_command(
    *, config: AppConfig, now: dt.datetime | None, dry_run: bool, status: bool
) -> int:
    """Run one tick as of `now` (default: the current time) and print what it did.
    `dry_run`: list what would be sent; `status`: counts by status and the dead rows.
    Environment: SLACK_BOT_TOKEN, SLACK_API_URL (default Slack's; must end with "/")."""
    if status:
        return await _status(config)
    url = config.storage.url
    await upgrade_async(url)
    db = Database(url, busy_timeout_ms=config.storage.sqlite_busy_timeout_ms)
    try:
        when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        instance = f"cli-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        if dry_run:
            report = await tick(
                db=db, client=None, config=config, now=when, instance_id=instance, dry_run=True
            )
            _print_report(report, config)
            return 0
        token = os.environ.get("SLACK_BOT_TOKEN")
        if not token:
            print("praktikbot remind: SLACK_BOT_TOKEN is not set.", file=sys.stderr)
            return 2
        base_url = os.environ.get("SLACK_API_URL") or SLACK_API_URL
        if not base_url.endswith("/"):
            print("praktikbot remind: SLACK_API_URL must end with '/'.", file=sys.stderr)
            return 2
        async with slack_client(token, base_url) as client:
            report = await tick(db=db, client=client, config=config, now=when, instance_id=instance)
        _print_report(report, config)
        return 1 if report.dead else 0
    finally:
        await db.dispose()
