"""The floor: a bare Bolt app that acks and posts one fixed question.

Run as a process, like `praktikbot serve`: ``python -m tests.benchmarks.floor_app --port P``
with SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_API_URL set. It is what the
platform costs: the same AsyncApp settings and Web API client as `bot.slack.app`
(`build_app`, `web_client`), the same aiohttp route as `bot.slack.server.web_app`
(``to_bolt_request`` → ``async_dispatch`` → ``to_aiohttp_response``), the same signing —
and nothing of ours: no engine, no database, no rendering. It imports only aiohttp,
slack_bolt and slack_sdk, so its start-up is the floor for `serve`'s start-up too.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient


def _button(label: str, action_id: str, value: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": value,
    }


# One fixed question, shaped like the bot's (question text, answer buttons, command row).
QUESTION_TEXT = "Fast spørgsmål"
QUESTION: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Hvilken virksomhed?*"}},
    {
        "type": "actions",
        "block_id": "q|fixed",
        "elements": [_button("Ja", "pb_answer:0", "ja"), _button("Nej", "pb_answer:1", "nej")],
    },
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "Svar i tråden."}]},
    {
        "type": "actions",
        "block_id": "commands",
        "elements": [
            _button("Tilbage", "pb_command:back", "back"),
            _button("Afbryd", "pb_command:cancel", "cancel"),
            _button("Hjælp", "pb_command:help", "help"),
        ],
    },
]


def bare_app(*, token: str, signing_secret: str, api_url: str) -> AsyncApp:
    client = AsyncWebClient(
        token=token,
        base_url=api_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        process_before_response=False,
        request_verification_enabled=True,
    )

    @app.event("message")
    async def on_message(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("subtype") or event.get("bot_id"):
            return
        await client.chat_postMessage(
            channel=str(event["channel"]),
            thread_ts=str(event.get("thread_ts") or event["ts"]),
            text=QUESTION_TEXT,
            blocks=QUESTION,
        )

    @app.action(re.compile(".*"))
    async def on_action(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        message = body.get("message") or {}
        await client.chat_postMessage(
            channel=str(body["channel"]["id"]),
            thread_ts=str(message.get("thread_ts") or message["ts"]),
            text=QUESTION_TEXT,
            blocks=QUESTION,
        )

    return app


def web_app(bolt: AsyncApp) -> web.Application:
    async def slack_events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", healthz)
    return app


async def serve(host: str, port: int) -> None:
    bolt = bare_app(
        token=os.environ["SLACK_BOT_TOKEN"],
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        api_url=os.environ["SLACK_API_URL"],
    )
    runner = web.AppRunner(web_app(bolt))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    try:
        await asyncio.Event().wait()  # until terminated
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description="A bare Bolt app: the benchmark floor.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
