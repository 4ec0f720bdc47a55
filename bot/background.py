"""What runs beside the Slack app in `serve` and `socket`: the reminder loop — a
scheduler tick every `tick_seconds`, with jitter, sooner while ticks fail — and the daily
retention purge. `Background` owns the loop's health, which the HTTP server reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import random
import socket
import uuid
from collections.abc import Callable

from slack_sdk.web.async_client import AsyncWebClient

from bot.config import AppConfig
from bot.health import SchedulerHealth, describe_error, utc_now
from bot.reminders.scheduler import SchedulerState, delivery_counts, tick
from bot.reminders.sending import slack_client
from bot.retention import purge
from bot.slack.deps import SlackDeps
from storage.db import Database

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 5.0  # after a failed tick; doubling up to tick_seconds


def default_instance_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def next_tick_delay(config: AppConfig, consecutive_failures: int) -> float:
    """Seconds to the next tick: `tick_seconds`, sooner while ticks fail (5 s, 10 s, …),
    with ± `tick_jitter` so instances do not tick in step."""
    settings = config.reminders.delivery
    delay = settings.tick_seconds
    if consecutive_failures:
        delay = min(delay, FIRST_RETRY_SECONDS * 2 ** (consecutive_failures - 1))
    jitter = settings.tick_jitter
    return delay * random.uniform(1 - jitter, 1 + jitter)


async def run_forever(
    *,
    db: Database,
    client: AsyncWebClient,
    config: AppConfig,
    instance_id: str,
    stop: asyncio.Event,
    health: SchedulerHealth,
    clock: Callable[[], dt.datetime] = utc_now,
) -> None:
    """Tick until `stop` is set, reporting every tick to `health`. A failing tick (the
    database is down, …) is logged and marks the scheduler degraded; it never ends the
    loop."""
    health.started(instance_id, config.reminders.delivery.tick_seconds)
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
                health.succeeded(clock(), report, await delivery_counts(db))
                if report.sent or report.dead or report.missed:
                    log.info("reminders: %s", report.summary())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = describe_error(exc)
                health.failed(clock(), error)
                log.error("reminders: tick failed (%s); degraded, will retry", error)
            delay = next_tick_delay(config, health.consecutive_failures)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
    finally:
        health.stopped()
        log.info("reminders: scheduler %s stopped", instance_id)


def next_purge_at(deps: SlackDeps, now: dt.datetime) -> dt.datetime:
    """The next configured local purge time after `now` (aware UTC)."""
    tz = deps.config.tz
    local = now.astimezone(tz)
    at = dt.datetime.combine(local.date(), deps.config.retention.daily_at, tzinfo=tz)
    if at <= local:
        at = dt.datetime.combine(
            local.date() + dt.timedelta(days=1), deps.config.retention.daily_at, tzinfo=tz
        )
    return at.astimezone(dt.UTC)


async def purge_daily(deps: SlackDeps, stop: asyncio.Event) -> None:
    while not stop.is_set():
        now = deps.clock()
        wait = (next_purge_at(deps, now) - now).total_seconds()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=max(wait, 1))
        if stop.is_set():
            return
        try:
            removed = await purge(deps.db, deps.config, now=deps.clock(), actor="system:purge")
            log.info("retention purge removed %s rows", removed.total)
        except Exception as exc:  # the database may be down; try again tomorrow
            log.error("retention purge failed: %s", type(exc).__name__)


class Background:
    """The reminder loop and the daily purge of one `serve` / `socket` process, and the
    loop's health (read by /healthz)."""

    def __init__(self) -> None:
        self.health = SchedulerHealth()

    async def run(self, deps: SlackDeps, client: AsyncWebClient, stop: asyncio.Event) -> None:
        """Both jobs, until `stop` is set."""
        await asyncio.gather(self.reminders(deps, client, stop), purge_daily(deps, stop))

    async def reminders(self, deps: SlackDeps, client: AsyncWebClient, stop: asyncio.Event) -> None:
        """The reminder loop. `client` (the Bolt app's) gives the token and API URL only:
        the scheduler sends with its own client without retry handlers (see
        `bot.reminders.sending`)."""
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
                health=self.health,
            )
