"""HTTP mode: Slack's requests at POST /slack/events, health at GET /healthz."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp

from bot.health import SchedulerHealth, serving_health
from bot.slack import gate
from storage.db import Database

log = logging.getLogger(__name__)


class ClientErrors(logging.Filter):
    """aiohttp answers a request it cannot parse as HTTP (a bad header line, a duplicated
    Content-Type, …) with 400 itself, and logs it as an ERROR with a traceback. It is the
    client's error, not ours: a WARNING line with the error's kind."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = (
                "refused a malformed HTTP request (%s)",
                (type(error).__name__,),
            )
            record.exc_info, record.exc_text = None, None
        return True


def _log_client_errors_as_warnings() -> None:
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, ClientErrors) for f in server_log.filters):
        server_log.addFilter(ClientErrors())


def web_app(
    bolt: AsyncApp,
    db: Database,
    *,
    signing_secret: str,
    scheduler_health: SchedulerHealth | None = None,
) -> web.Application:
    """Slack's endpoint behind the gate (signature, then shape), and the health check
    (`scheduler_health`: the loop of this process, if it runs one). The gate is the only
    signature check (the Bolt app has its own turned off), so there is no endpoint
    without a signing secret."""
    if not signing_secret:
        raise ValueError("the Slack endpoint needs the signing secret")
    _log_client_errors_as_warnings()

    async def slack_events(request: web.Request) -> web.Response:
        raw = await request.read()
        headers = gate.headers_of(request.headers.items())
        if not gate.signed(signing_secret, raw, headers, now=time.time()):
            return web.Response(status=401)
        bolt_request = gate.bolt_request(raw, headers, request.query_string)
        if bolt_request is None:
            log.info("refused a malformed request (%s bytes)", len(raw))
            return web.Response(status=400)
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
