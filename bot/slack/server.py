"""HTTP mode: Slack's requests at POST /slack/events, health at GET /healthz."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.health import SchedulerHealth, serving_health
from bot.slack import gate
from storage.db import Database

log = logging.getLogger(__name__)


def web_app(
    bolt: AsyncApp,
    db: Database,
    *,
    signing_secret: str | None = None,
    scheduler_health: SchedulerHealth | None = None,
) -> web.Application:
    """Slack's endpoint behind the gate (signature, then shape), and the health check
    (`scheduler_health`: the loop of this process, if it runs one)."""
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
        health = await serving_health(db, scheduler_health)
        return web.json_response(health.to_json(), status=health.http_status)

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
