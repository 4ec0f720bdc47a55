"""Running the bot: `praktikbot serve` (HTTP) and `praktikbot socket` (Socket Mode).

Both run the same Bolt app and, alongside it, the reminder scheduler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any, Protocol

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import AppConfig
from bot.conversations import ConversationService
from bot.health import SchedulerHealth
from bot.slack.app import build_app
from bot.slack.deps import SlackDeps
from bot.slack.server import web_app
from bot.slack.settings import SettingsError, SlackSettings
from dialogues.model import Flow
from storage.db import Database
from storage.migrate import ensure_schema

log = logging.getLogger(__name__)


class BackgroundJobs(Protocol):
    """What runs beside the app until `stop` is set (`bot.background.Background`: the
    reminder loop, whose health /healthz shows, and the daily purge)."""

    health: SchedulerHealth

    async def run(self, deps: SlackDeps, client: AsyncWebClient, stop: asyncio.Event) -> None: ...


def _deps(config: AppConfig, flows: dict[str, Flow]) -> SlackDeps:
    db = Database(config.storage.url, busy_timeout_ms=config.storage.sqlite_busy_timeout_ms)
    return SlackDeps(
        service=ConversationService(db=db, config=config, flows=flows),
        db=db,
        config=config,
        flows=flows,
    )


async def _until_stopped(deps: SlackDeps, bolt: Any, background: BackgroundJobs | None) -> None:
    """Run the background jobs (if any) until SIGINT/SIGTERM, then stop them."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    job = asyncio.create_task(background.run(deps, bolt.client, stop)) if background else None
    try:
        await stop.wait()
    finally:
        if job is not None:
            job.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await job


async def serve(
    *,
    config: AppConfig,
    flows: dict[str, Flow],
    settings: SlackSettings,
    host: str,
    port: int,
    background: BackgroundJobs | None = None,
) -> None:
    if not settings.signing_secret:  # slack_settings("http") refuses to start without it
        raise SettingsError("Cannot start: SLACK_SIGNING_SECRET is not set.")
    await ensure_schema(config.storage.url)
    deps = _deps(config, flows)
    bolt = build_app(deps, token=settings.bot_token, api_url=settings.api_url)
    runner = web.AppRunner(
        web_app(
            bolt,
            deps.db,
            signing_secret=settings.signing_secret,
            scheduler_health=background.health if background else None,
        )
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.info("praktikbot listening on http://%s:%s (POST /slack/events, GET /healthz)", host, port)
    print(f"praktikbot listening on http://{host}:{port}", flush=True)
    try:
        await _until_stopped(deps, bolt, background)
    finally:
        await runner.cleanup()
        await deps.service.flush_prompt_refs()  # the questions' ts still being written
        await deps.db.dispose()


async def socket(
    *,
    config: AppConfig,
    flows: dict[str, Flow],
    settings: SlackSettings,
    background: BackgroundJobs | None = None,
) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    await ensure_schema(config.storage.url)
    deps = _deps(config, flows)
    bolt = build_app(deps, token=settings.bot_token, api_url=settings.api_url)
    handler = AsyncSocketModeHandler(bolt, settings.app_token)
    await handler.connect_async()
    print("praktikbot connected in Socket Mode", flush=True)
    try:
        await _until_stopped(deps, bolt, background)
    finally:
        await handler.close_async()
        if bolt.client.session is not None:
            await bolt.client.session.close()
        await deps.service.flush_prompt_refs()
        await deps.db.dispose()
