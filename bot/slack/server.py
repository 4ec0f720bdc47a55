"""HTTP mode: Slack's requests at POST /slack/events, health at GET /healthz."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text

from bot.slack import gate
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
    signing_secret: str | None = None,
    scheduler_health: HealthExtra | None = None,
) -> web.Application:
    """Slack's endpoint behind the gate (signature, then shape), and the health check."""
    verifier = SignatureVerifier(signing_secret) if signing_secret else None

    async def slack_events(request: web.Request) -> web.Response:
        try:
            body = (await request.read()).decode("utf-8")
        except UnicodeDecodeError:
            return web.Response(status=400)
        headers = {k.lower(): v for k, v in request.headers.items()}
        if verifier is not None and not verifier.is_valid_request(body, headers):
            return web.Response(status=401)
        if not gate.check(body, request.headers.get("Content-Type", "")):
            log.info("refused a malformed request (%s bytes)", len(body))
            return web.Response(status=400)
        bolt_request = AsyncBoltRequest(
            body=body,
            query=request.query_string,
            headers=request.headers,  # type: ignore[arg-type]
        )
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

    async def close_client(_: web.Application) -> None:
        session = bolt.client.session
        if session is not None and not session.closed:
            await session.close()

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", healthz)
    app.on_cleanup.append(close_client)
    return app


Startup = Callable[[web.Application], Awaitable[None]]
