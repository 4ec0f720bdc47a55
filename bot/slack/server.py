"""HTTP mode: Slack's requests at POST /slack/events, health at GET /healthz."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from sqlalchemy import text

from storage.db import Database

log = logging.getLogger(__name__)

HealthExtra = Callable[[], dict[str, Any]]


async def database_health(db: Database) -> str:
    try:
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means: not healthy
        log.warning("health check: database unavailable (%s)", type(exc).__name__)
        return "unavailable"
    return "ok"


def web_app(
    bolt: AsyncApp,
    db: Database,
    *,
    scheduler_health: HealthExtra | None = None,
) -> web.Application:
    async def slack_events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    async def healthz(request: web.Request) -> web.Response:
        database = await database_health(db)
        scheduler = scheduler_health() if scheduler_health else {"state": "not running"}
        degraded = (
            database != "ok" or bool(scheduler.get("degraded")) or bool(scheduler.get("dead"))
        )
        body = {
            "status": "degraded" if degraded else "ok",
            "database": database,
            "scheduler": scheduler,
        }
        return web.json_response(body, status=503 if database != "ok" else 200)

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", healthz)
    return app


Startup = Callable[[web.Application], Awaitable[None]]
