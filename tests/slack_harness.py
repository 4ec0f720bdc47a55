"""Driving the real Bolt app like Slack does: signed HTTP requests in, Web API calls out to
the in-process stand-in. Fixtures, defined here once for every test file: `slack` (the
stand-in), `client` (the scheduler's Web API client pointed at it) and `bot` (a
`SlackBot`: the real app behind a test HTTP server)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.web.async_client import AsyncWebClient

from bot import prompt_refs
from bot.config import AppConfig
from bot.conversations import ConversationService
from bot.reminders.sending import slack_client
from bot.slack.app import build_app
from bot.slack.deps import SlackDeps
from bot.slack.listeners import cpr_guard
from bot.slack.server import web_app
from dialogues.model import Flow
from storage.db import Database
from tests.slack_standin import SlackStandIn

BLOCK_KIT_ERRORS = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_blocks_too_long",
        "msg_too_long",
        "invalid_arguments",
        "no_text",
    }
)
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"
BOT_TOKEN = "xoxb-test-token"
TEAM = "T0TEST"


def sign(body: str, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def find_element(
    message: dict[str, Any], predicate: Callable[[dict[str, Any]], bool]
) -> tuple[str, dict[str, Any]]:
    """(block_id, element) of the first interactive element in a message matching predicate."""
    for block in message.get("blocks") or []:
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            if "action_id" in element and predicate(element):
                return str(block.get("block_id", "")), element
    raise AssertionError(f"no such element in message {message.get('ts')}: {message.get('blocks')}")


def button_labelled(label: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e.get("type") == "button" and e["text"]["text"] == label


def message_text(message: dict[str, Any]) -> str:
    """All text a person sees in a message."""
    parts = [message.get("text") or ""]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
                parts.append(str(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("blocks") or [])
    return "\n".join(parts)


class SlackBot:
    """The bot behind a test HTTP server, and helpers to act as a consultant in Slack."""

    def __init__(self, client: TestClient, slack: SlackStandIn, deps: SlackDeps) -> None:
        self.client, self.slack, self.deps = client, slack, deps
        self.event_count = 0

    # --- raw requests -----------------------------------------------------------------

    async def post(
        self,
        body: str,
        *,
        content_type: str,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
    ) -> ClientResponse:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": sign(body, stamp, secret),
            **(headers or {}),
        }
        return await self.client.post("/slack/events", data=body.encode(), headers=all_headers)

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
    ) -> ClientResponse:
        self.event_count += 1
        envelope = {
            "token": "unused",
            "team_id": TEAM,
            "api_app_id": "A0STANDIN",
            "type": "event_callback",
            "event_id": event_id or f"Ev{self.event_count:08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
            "event": event,
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(
            json.dumps(envelope), content_type="application/json", headers=headers
        )

    async def interactive(self, payload: dict[str, Any]) -> ClientResponse:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return await self.post(body, content_type="application/x-www-form-urlencoded")

    async def command(self, user: str, text: str) -> ClientResponse:
        body = urllib.parse.urlencode(
            {
                "token": "unused",
                "team_id": TEAM,
                "channel_id": f"D{user}",
                "user_id": user,
                "command": "/praktik",
                "text": text,
                "response_url": "http://127.0.0.1:1/unused",
                "trigger_id": self.slack.issue_trigger_id(),
            }
        )
        return await self.post(body, content_type="application/x-www-form-urlencoded")

    # --- as a consultant -----------------------------------------------------------------

    async def dm(self, user: str, text: str, *, thread_ts: str | None = None) -> str:
        """The consultant writes in the DM with the bot; returns the message ts."""
        channel = f"D{user}"
        message = self.slack.add_user_message(channel, text, user=user, thread_ts=thread_ts)
        event = {
            "type": "message",
            "channel": channel,
            "channel_type": "im",
            "user": user,
            "text": text,
            "ts": message["ts"],
            "event_ts": message["ts"],
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        response = await self.event(event)
        assert response.status == 200, await response.text()
        await self.wait_idle()
        return str(message["ts"])

    async def click(
        self,
        user: str,
        message: dict[str, Any],
        predicate: Callable[[dict[str, Any]], bool],
        *,
        selected: str | list[str] | None = None,
        state: dict[str, Any] | None = None,
        wait: bool = True,
    ) -> ClientResponse:
        """Click/choose an element of a message the bot posted, as Slack would send it."""
        block_id, element = find_element(message, predicate)
        action: dict[str, Any] = {
            "type": element["type"],
            "action_id": element["action_id"],
            "block_id": block_id,
            "action_ts": f"{time.time():.6f}{uuid.uuid4().int % 1000:03d}",
        }
        if element["type"] == "button":
            action["value"] = element.get("value")
            action["text"] = element["text"]
        elif element["type"] in ("static_select", "overflow"):
            options = element.get("options") or [
                o for group in element.get("option_groups") or [] for o in group["options"]
            ]
            option = next(o for o in options if o["value"] == selected)
            action["selected_option"] = option
        elif element["type"] == "datepicker":
            action["selected_date"] = selected
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": "A0STANDIN",
            "trigger_id": self.slack.issue_trigger_id(),
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": message["channel"],
                "is_ephemeral": False,
            },
            "channel": {"id": message["channel"]},
            "message": {
                k: message[k] for k in ("ts", "text", "blocks", "thread_ts") if message.get(k)
            },
            "state": {"values": state or {}},
            "actions": [action],
        }
        response = await self.interactive(payload)
        if wait:
            await self.wait_idle()
        return response

    async def click_button(self, user: str, message: dict[str, Any], label: str) -> ClientResponse:
        return await self.click(user, message, button_labelled(label))

    async def tick_boxes(
        self, user: str, message: dict[str, Any], values: list[str]
    ) -> ClientResponse:
        """Tick options of a checkbox / multi-select question, then click 'Videre'."""
        block_id, element = find_element(message, lambda e: e["action_id"] == "pb_multi_input")
        chosen = [o for o in element["options"] if o["value"] in values]
        state = {
            block_id: {"pb_multi_input": {"type": element["type"], "selected_options": chosen}}
        }
        return await self.click(user, message, button_labelled("Videre"), state=state)

    async def register_praktik(
        self,
        user: str,
        case_ref: str,
        *,
        type_label: str = "Jobpraktik",
        company: str = "Eksempel Rengøring ApS",
        start: dt.date | None = None,
        days: int = 20,
    ) -> str:
        """Register a praktik through the DM as a consultant would; returns the thread ts.
        Dagpenge, one sub-goal, start in three days (or `start`), ending `days` later; no
        rise in hours, not the last employer, no CVR number, a tillidsrepræsentant."""
        today = self.deps.clock().astimezone(self.deps.config.tz).date()
        start = start or today + dt.timedelta(days=3)
        root = await self.dm(user, "ny")
        await self.dm(user, case_ref, thread_ts=root)
        await self.click(
            user, self.last(user, root), lambda e: e["type"] == "static_select", selected="dagpenge"
        )
        await self.dm(user, company, thread_ts=root)
        await self.dm(user, "spring over", thread_ts=root)
        await self.click_button(user, self.last(user, root), "Ja, jeg vælger selv")
        await self.click_button(user, self.last(user, root), type_label)
        await self.tick_boxes(user, self.last(user, root), ["d1"])
        await self.dm(user, "spring over", thread_ts=root)
        await self.dm(user, "Opgaver i praktikken", thread_ts=root)
        for day in (start, start + dt.timedelta(days=days)):
            await self.click(
                user,
                self.last(user, root),
                lambda e: e["type"] == "datepicker",
                selected=day.isoformat(),
            )
        answers = ["20", "nej", "mandag-fredag kl. 8-12", "nej", "spring over", "12", "0"]
        answers += ["Tina Eksempel, tina@eksempel.dk", "ja", "Kontakt", "ja"]
        for answer in answers:
            await self.dm(user, answer, thread_ts=root)
        await self.click_button(user, self.last(user, root), "Gem")
        return root

    async def wait_idle(self, timeout: float = 15) -> None:
        """Wait until every listener Bolt started after its ack has finished (and what the
        CPR guard tells after its ack, and the write of the questions' message ts)."""
        deadline = time.monotonic() + timeout
        while True:
            running = [
                t
                for t in asyncio.all_tasks()
                if not t.done()
                and (
                    t.get_coro().__name__ == "run_ack_function_asynchronously"  # type: ignore[union-attr]
                    or t.get_name() in (cpr_guard.AFTER_ACK, prompt_refs.WRITER)
                )
            ]
            if not running:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(running)} listeners still running after {timeout}s")
            await asyncio.sleep(0.01)

    # --- what the consultant sees ---------------------------------------------------------

    def thread(self, user: str, thread_ts: str) -> list[dict[str, Any]]:
        return self.slack.thread(f"D{user}", thread_ts)

    def bot_messages(self, user: str, thread_ts: str) -> list[dict[str, Any]]:
        return [m for m in self.thread(user, thread_ts) if m.get("user") == self.slack.bot_user_id]

    def last(self, user: str, thread_ts: str) -> dict[str, Any]:
        return self.bot_messages(user, thread_ts)[-1]

    def last_text(self, user: str, thread_ts: str) -> str:
        return message_text(self.last(user, thread_ts))


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn(bot_token=BOT_TOKEN) as standin:
        yield standin


@pytest.fixture
async def client(slack: SlackStandIn) -> AsyncIterator[AsyncWebClient]:
    """The Web API client the reminder scheduler sends with (pooled, no retry handlers)."""
    async with slack_client(BOT_TOKEN, slack.base_url) as web:
        yield web


@contextlib.asynccontextmanager
async def running_bot(
    slack: SlackStandIn, db: Database, config: AppConfig, flows: dict[str, Flow]
) -> AsyncIterator[SlackBot]:
    """The real app behind a test HTTP server; on exit, fails if Slack refused any Block Kit."""
    deps = SlackDeps(
        service=ConversationService(db=db, config=config, flows=flows),
        db=db,
        config=config,
        flows=flows,
    )
    app = build_app(deps, token=BOT_TOKEN, api_url=slack.base_url)
    client = TestClient(TestServer(web_app(app, db, signing_secret=SIGNING_SECRET)))
    await client.start_server()
    harness = SlackBot(client, slack, deps)
    try:
        yield harness
        await harness.wait_idle()
        refused = [
            (c.method, c.response.get("error"), c.response.get("errors"))
            for c in slack.calls
            if c.response.get("error") in BLOCK_KIT_ERRORS
        ]
        assert refused == [], "the bot sent Block Kit that Slack refuses"
    finally:
        await client.close()


@pytest.fixture
async def bot(
    slack: SlackStandIn, db: Database, config: AppConfig, flows: dict[str, Flow]
) -> AsyncIterator[SlackBot]:
    async with running_bot(slack, db, config, flows) as harness:
        yield harness
