"""An in-process Slack Web API stand-in: a real aiohttp server on 127.0.0.1.

Point ``AsyncWebClient(token=..., base_url=standin.base_url)`` at it. Every call is
recorded in ``calls``; the state it keeps (messages, ephemerals, Home views, assistant
prompts) is plain dicts that tests read directly.

It models the Web API methods the bot calls (slack_sdk sends them as JSON bodies or query
parameters, with the token in the Authorization header) and nothing else: auth.test
(Bolt), chat.postMessage, chat.update, chat.postEphemeral, conversations.open,
views.publish, usergroups.users.list and assistant.threads.setSuggestedPrompts. Any
other method answers ``unknown_method``, so a new call fails a test until it is modelled.
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from .blockkit import (
    BLOCKS_TOO_LONG_PREFIX,
    MESSAGE_TEXT_LIMIT,
    validate_blocks,
    validate_view,
)

SUGGESTED_PROMPTS_LIMIT = 4
POST_INTERVAL_SECONDS = 1.0
Params = dict[str, Any]
Handler = Callable[[Params], dict[str, Any]]


@dataclass
class RecordedCall:
    method: str
    params: dict[str, Any]
    status: int
    response: dict[str, Any]
    at: float


@dataclass
class _Failure:
    status: int
    times: int
    retry_after: int | None
    error: str


class SlackError(Exception):
    """A Slack ``{"ok": false, "error": ...}`` answer, raised inside handlers."""

    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, **self.extra}


def _invalid_arguments(messages: list[str]) -> SlackError:
    return SlackError(
        "invalid_arguments",
        response_metadata={"messages": [f"[ERROR] {m}" for m in messages]},
    )


class SlackStandIn:
    bot_user_id = "UBOT"
    bot_id = "BBOT"
    team_id = "T0TEST"
    app_id = "A0STANDIN"

    def __init__(self, *, bot_token: str = "xoxb-test-token") -> None:  # noqa: S107 - fake
        self.bot_token = bot_token
        self.clock: Callable[[], float] = time.monotonic
        self.rate_limit_enabled = False
        # The workspace has the data_table / data_visualization blocks (a workspace
        # without them refuses both as unsupported block types).
        self.rich_blocks_supported = True
        # Seconds to wait before answering a method: a slow Slack, for ack-timing tests.
        self.delays: dict[str, float] = {}
        self.calls: list[RecordedCall] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.home_views: dict[str, dict[str, Any]] = {}  # user id -> published Home view
        self.assistant_threads: dict[tuple[str, str], dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}  # user group id -> member user ids
        self._failures: dict[str, list[_Failure]] = {}
        self._last_post: dict[str, float] = {}
        self._ts_micros = 1_700_000_000_000_000
        self._ids = 0
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "conversations.open": self._conversations_open,
            "views.publish": self._views_publish,
            "assistant.threads.setSuggestedPrompts": self._assistant_set_prompts,
            "usergroups.users.list": self._usergroups_users_list,
        }

    # ----------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("the stand-in is already running")
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self._base_url = f"http://{host}:{port}/api/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None
        self._base_url = None

    async def __aenter__(self) -> SlackStandIn:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the stand-in is not running: await start() first")
        return self._base_url

    # ------------------------------------------------------------- test helpers
    def calls_to(self, method: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.method == method]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        for message in self.messages.get(channel, []):
            if message["ts"] == ts:
                return message
        raise KeyError(f"no message {ts} in {channel}")

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        return [
            m
            for m in self.messages.get(channel, [])
            if m["ts"] == thread_ts or m["thread_ts"] == thread_ts
        ]

    def add_user_message(
        self,
        channel: str,
        text: str,
        *,
        user: str,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Store a message a human wrote (as if it arrived through an event)."""
        message = self._new_message(channel, text, blocks, thread_ts)
        message["user"] = user
        message.pop("bot_id")
        return message

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
        error: str = "internal_error",
    ) -> None:
        """The next ``times`` calls of ``method`` answer HTTP ``status``.

        A 429 left at the default error answers ``ratelimited``; the Retry-After header
        is sent only when ``retry_after`` is given.
        """
        if status == 429 and error == "internal_error":
            error = "ratelimited"
        self._failures.setdefault(method, []).append(_Failure(status, times, retry_after, error))

    def issue_trigger_id(self) -> str:
        """A trigger_id like the one Slack puts in an interaction or command payload. The
        bot opens no modals, so nothing checks it later."""
        return f"{self._next_id()}.{self.team_id}.{uuid.uuid4().hex}"

    # ------------------------------------------------------------------- server
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if self.delays.get(method):
            await asyncio.sleep(self.delays[method])
        at = self.clock()
        params: Params = {}
        try:
            params, token = await self._read_params(request)
            status, body, headers = self._dispatch(method, params, token)
        except SlackError as exc:
            status, body, headers = exc.status, exc.body(), exc.headers
        self.calls.append(RecordedCall(method, params, status, body, at))
        return web.json_response(body, status=status, headers=headers)

    async def _read_params(self, request: web.Request) -> tuple[Params, str | None]:
        """Query parameters and a JSON body, as slack_sdk sends them; the token from the
        Authorization header."""
        params: Params = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type != "application/json":
                raise SlackError("invalid_form_data")  # slack_sdk sends JSON here
            raw = await request.text()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise SlackError("invalid_json") from None
                if not isinstance(body, dict):
                    raise SlackError("json_not_object")
                params.update(body)
        params = {k: v for k, v in params.items() if v is not None}
        authorization = request.headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ").strip() or None
        return params, token

    def _dispatch(
        self, method: str, params: Params, token: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        handler = self._handlers.get(method)
        if handler is None:
            return 404, {"ok": False, "error": "unknown_method"}, {}
        self._raise_injected_failure(method)
        if not token:
            raise SlackError("not_authed")
        if token != self.bot_token:
            raise SlackError("invalid_auth")
        return 200, handler(params), {}

    def _raise_injected_failure(self, method: str) -> None:
        queue = self._failures.get(method)
        if not queue:
            return
        failure = queue[0]
        failure.times -= 1
        if failure.times <= 0:
            queue.pop(0)
        headers = {}
        if failure.retry_after is not None:
            headers["Retry-After"] = str(failure.retry_after)
        raise SlackError(failure.error, status=failure.status, headers=headers)

    # ------------------------------------------------------------------ helpers
    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def _next_ts(self) -> str:
        self._ts_micros += 100
        seconds, micros = divmod(self._ts_micros, 1_000_000)
        return f"{seconds}.{micros:06d}"

    @staticmethod
    def _decode_json(params: Params, key: str, error: str) -> Any:
        """Slack takes blocks/view/prompts as JSON strings too: decode them in place."""
        value = params.get(key)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise SlackError(error) from None
            params[key] = value
        return value

    @staticmethod
    def _required(params: Params, *names: str) -> None:
        missing = [n for n in names if params.get(n) in (None, "")]
        if missing:
            raise _invalid_arguments([f"missing required field: {n}" for n in missing])

    @staticmethod
    def _dm_channel(channel: str) -> str:
        """Posting to a user id goes to the app's DM with that user."""
        return "D" + channel if channel[:1] in ("U", "W") else channel

    def _message_content(
        self, params: Params, *, required: bool
    ) -> tuple[str | None, list[dict[str, Any]] | None]:
        text = params.get("text")
        blocks = self._decode_json(params, "blocks", "invalid_blocks_format")
        if blocks is not None and not isinstance(blocks, list):
            raise SlackError("invalid_blocks_format")
        if required and not text and not blocks and not params.get("attachments"):
            raise SlackError("no_text")
        if text is not None and len(str(text)) > MESSAGE_TEXT_LIMIT:
            raise SlackError("msg_too_long")
        if blocks:
            errors = validate_blocks(
                blocks, surface="message", rich_blocks=self.rich_blocks_supported
            )
            if errors and all(e.startswith(BLOCKS_TOO_LONG_PREFIX) for e in errors):
                raise SlackError("msg_blocks_too_long")
            if errors:
                raise SlackError(
                    "invalid_blocks",
                    errors=errors,
                    response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
                )
        return (None if text is None else str(text)), blocks

    def _new_message(
        self,
        channel: str,
        text: str | None,
        blocks: list[dict[str, Any]] | None,
        thread_ts: str | None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "ts": self._next_ts(),
            "channel": channel,
            "text": text or "",
            "blocks": copy.deepcopy(blocks) if blocks else [],
            "thread_ts": thread_ts,
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "team": self.team_id,
            "edited": False,
            "update_count": 0,
        }
        self.messages.setdefault(channel, []).append(message)
        return message

    def _find_message(self, params: Params) -> dict[str, Any]:
        channel = self._dm_channel(str(params.get("channel", "")))
        ts = str(params.get("ts", ""))
        try:
            return self.message(channel, ts)
        except KeyError:
            raise SlackError("message_not_found") from None

    def _check_rate_limit(self, channel: str) -> None:
        if not self.rate_limit_enabled:
            return
        last = self._last_post.get(channel)
        if last is None:
            return
        wait = POST_INTERVAL_SECONDS - (self.clock() - last)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise SlackError("ratelimited", status=429, headers={"Retry-After": str(retry_after)})

    # ----------------------------------------------------------------- methods
    def _auth_test(self, params: Params) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://praktikbot-test.slack.com/",
            "team": "Praktikbot Test",
            "user": "praktikbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: Params) -> dict[str, Any]:
        if not params.get("channel"):
            raise SlackError("channel_not_found")
        channel = self._dm_channel(str(params["channel"]))
        self._check_rate_limit(channel)
        text, blocks = self._message_content(params, required=True)
        thread_ts = params.get("thread_ts") or None
        message = self._new_message(channel, text, blocks, thread_ts)
        self._last_post[channel] = self.clock()
        return {
            "ok": True,
            "channel": channel,
            "ts": message["ts"],
            "message": copy.deepcopy(message),
        }

    def _chat_update(self, params: Params) -> dict[str, Any]:
        message = self._find_message(params)
        if message["user"] != self.bot_user_id:
            raise SlackError("cant_update_message")
        text, blocks = self._message_content(params, required=True)
        if text is not None:
            message["text"] = text
        if blocks is not None:
            message["blocks"] = copy.deepcopy(blocks)
        message["edited"] = True
        message["update_count"] += 1
        return {
            "ok": True,
            "channel": message["channel"],
            "ts": message["ts"],
            "text": message["text"],
            "message": copy.deepcopy(message),
        }

    def _chat_post_ephemeral(self, params: Params) -> dict[str, Any]:
        if not params.get("channel"):
            raise SlackError("channel_not_found")
        if not params.get("user"):
            raise SlackError("user_not_in_channel")
        text, blocks = self._message_content(params, required=True)
        ephemeral = {
            "channel": self._dm_channel(str(params["channel"])),
            "user": params["user"],
            "text": text or "",
            "blocks": copy.deepcopy(blocks) if blocks else [],
            "thread_ts": params.get("thread_ts") or None,
            "message_ts": self._next_ts(),
        }
        self.ephemerals.append(ephemeral)
        return {"ok": True, "message_ts": ephemeral["message_ts"]}

    def _conversations_open(self, params: Params) -> dict[str, Any]:
        """The bot opens DMs with one user (slack_sdk sends ``users`` as a query parameter)."""
        users = [u.strip() for u in str(params.get("users", "")).split(",") if u.strip()]
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 1:
            raise _invalid_arguments(["the stand-in models DMs with one user only"])
        return {"ok": True, "channel": {"id": self._dm_channel(users[0]), "is_im": True}}

    # ------------------------------------------------------------------- views
    def _checked_view(self, params: Params) -> dict[str, Any]:
        view = self._decode_json(params, "view", "invalid_arguments")
        if view is None:
            raise _invalid_arguments(["missing required field: view"])
        errors = validate_view(view, rich_blocks=self.rich_blocks_supported)
        if errors:
            raise _invalid_arguments(errors)
        return dict(view)

    def _views_publish(self, params: Params) -> dict[str, Any]:
        self._required(params, "user_id")
        view = self._checked_view(params)
        if view["type"] != "home":
            raise _invalid_arguments(["views.publish takes a view of type home"])
        user_id = str(params["user_id"])
        current = self.home_views.get(user_id)
        stored = {**copy.deepcopy(view), "id": current["id"] if current else self._new_view_id()}
        self.home_views[user_id] = stored
        return {"ok": True, "view": copy.deepcopy(stored)}

    def _new_view_id(self) -> str:
        return f"V{self._next_id():09d}"

    # ------------------------------------------------------------ groups, assistant
    def _usergroups_users_list(self, params: Params) -> dict[str, Any]:
        self._required(params, "usergroup")
        group = str(params["usergroup"])
        if group not in self.usergroups:
            raise SlackError("no_such_subteam")
        return {"ok": True, "users": list(self.usergroups[group])}

    def _assistant_set_prompts(self, params: Params) -> dict[str, Any]:
        self._required(params, "channel_id")
        prompts = self._decode_json(params, "prompts", "invalid_arguments")
        if not isinstance(prompts, list) or not prompts:
            raise _invalid_arguments(["prompts must be a non-empty array"])
        if len(prompts) > SUGGESTED_PROMPTS_LIMIT:
            raise _invalid_arguments(
                [f"no more than {SUGGESTED_PROMPTS_LIMIT} items allowed [json-pointer:/prompts]"]
            )
        for index, prompt in enumerate(prompts):
            if not (
                isinstance(prompt, dict)
                and isinstance(prompt.get("title"), str)
                and isinstance(prompt.get("message"), str)
            ):
                raise _invalid_arguments(
                    [f"a prompt needs a title and a message [json-pointer:/prompts/{index}]"]
                )
        key = (str(params["channel_id"]), str(params.get("thread_ts") or ""))
        thread = self.assistant_threads.setdefault(key, {})
        thread["prompts"] = copy.deepcopy(prompts)
        return {"ok": True}
