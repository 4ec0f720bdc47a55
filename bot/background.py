"""What runs beside the Slack app in `serve` and `socket`: the reminder scheduler and the
daily retention purge."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.reminders.scheduler import scheduler_job
from bot.retention import purge
from bot.slack.deps import SlackDeps

log = logging.getLogger(__name__)


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


async def background_jobs(deps: SlackDeps, client: AsyncWebClient, stop: asyncio.Event) -> None:
    await asyncio.gather(scheduler_job(deps, client, stop), purge_daily(deps, stop))
