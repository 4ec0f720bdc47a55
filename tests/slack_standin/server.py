"""An in-process Slack Web API stand-in: a real aiohttp server on 127.0.0.1.

Point ``AsyncWebClient(token=..., base_url=standin.base_url)`` at it. Every call is
recorded in ``calls``; the state it keeps (messages, views, ...) is plain dicts that
tests read directly.

Two messaging views, as Slack has them (``messaging``):

- ``"agent"`` (``agent_view``, the default for new apps): the conversation is the Messages
  tab; suggested prompts are pinned to the tab (``agent_prompts``, by channel), set
  without a ``thread_ts`` — a call with one answers ok and does nothing (Slack drops it
  silently; it is listed in ``dropped``).
- ``"assistant"`` (``assistant_view``, legacy): prompts belong to an assistant thread
  (``assistant_threads``, by channel and thread); without a ``thread_ts`` they go to the
  channel's latest message, as Slack documents.

Modals are modelled on the client side too: what a user enters in an input
(``enter``), the state Slack sends back with a view (``view_payload``: entered values, else
the initial ones, kept across ``views.update`` while an input's block_id and action_id
stay), which required inputs block a submission (``missing_required``), and how the
answer to a ``view_submission`` changes the modal (``answer_submission``: field errors,
update, push, clear — checked as Slack checks them).
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from .blockkit import (
    BLOCKS_TOO_LONG_PREFIX,
    MESSAGE_TEXT_LIMIT,
    validate_blocks,
    validate_view,
)

Messaging = Literal["agent", "assistant"]
INPUT_VALUE_KEYS = {
    "radio_buttons": "selected_option",
    "static_select": "selected_option",
    "checkboxes": "selected_options",
    "multi_static_select": "selected_options",
    "datepicker": "selected_date",
    "plain_text_input": "value",
    "number_input": "value",
}
INITIAL_KEYS = {
    "selected_option": "initial_option",
    "selected_options": "initial_options",
    "selected_date": "initial_date",
    "value": "initial_value",
}
TRIGGER_TTL_SECONDS = 3.0
MODAL_STACK_LIMIT = 3
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


@dataclass
class _Trigger:
    issued_at: float
    view_id: str | None
    used: bool = False


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


def _opaque(length: int) -> str:
    """A random token of letters only (a view hash, a trigger id's tail). Hex from uuid4
    held a CPR-like run of digits about once in 900 hashes, which the bot then echoed in
    views.update and the tests that search every call for a CPR number failed on."""
    return "".join(secrets.choice(string.ascii_letters) for _ in range(length))


def _invalid_arguments(messages: list[str]) -> SlackError:
    return SlackError(
        "invalid_arguments",
        response_metadata={"messages": [f"[ERROR] {m}" for m in messages]},
    )


class SlackStandIn:
    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",  # noqa: S107 - a fake token for tests
        bot_user_id: str = "UBOT",
        team_id: str = "T0TEST",
        messaging: Messaging = "assistant",
    ) -> None:
        self.messaging: Messaging = messaging
        self.bot_token = bot_token
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self.bot_id = "B" + (bot_user_id[1:] if bot_user_id.startswith("U") else bot_user_id)
        self.app_id = "A0STANDIN"
        self.clock: Callable[[], float] = time.monotonic
        self.rate_limit_enabled = False
        # The workspace has the data_table / data_visualization blocks (a workspace
        # without them refuses both as unsupported block types).
        self.rich_blocks_supported = True
        # Seconds to wait before answering a method: a slow Slack, for ack-timing tests.
        self.delays: dict[str, float] = {}
        self.calls: list[RecordedCall] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.deleted_messages: list[dict[str, Any]] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.home_views: dict[str, dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.assistant_threads: dict[tuple[str, str], dict[str, Any]] = {}
        # Agent view: the prompts pinned to the top of a DM's Messages tab, by channel.
        self.agent_prompts: dict[str, dict[str, Any]] = {}
        self.dropped: list[RecordedCall] = []  # calls Slack accepts and silently ignores
        # What the user entered in a modal's inputs: view id -> block id -> element state.
        self.entered: dict[str, dict[str, dict[str, Any]]] = {}
        self.view_errors: dict[str, dict[str, str]] = {}  # field errors shown in a modal
        self.usergroups: dict[str, list[str]] = {}  # user group id -> member user ids
        self._stacks: list[list[str]] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._triggers: dict[str, _Trigger] = {}
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
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "assistant.threads.setSuggestedPrompts": self._assistant_set_prompts,
            "usergroups.users.list": self._usergroups_users_list,
        }
        self.add_user(bot_user_id, name="praktikbot", is_bot=True)

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

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        tz: str = "Europe/Copenhagen",
        is_bot: bool = False,
        locale: str = "en-US",
        email: str | None = None,
    ) -> dict[str, Any]:
        try:
            now = datetime.now(ZoneInfo(tz))
            utcoffset = now.utcoffset()
            offset = int(utcoffset.total_seconds()) if utcoffset is not None else 0
            label = now.tzname() or tz
        except ZoneInfoNotFoundError:
            offset, label = 0, tz
        name = name or user_id.lower()
        real_name = real_name or name
        profile: dict[str, Any] = {"real_name": real_name, "display_name": name}
        if email:
            profile["email"] = email
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": real_name,
            "deleted": False,
            "is_bot": is_bot,
            "tz": tz,
            "tz_label": label,
            "tz_offset": offset,
            "locale": locale,
            "profile": profile,
        }
        self.users[user_id] = user
        return user

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
        message = self._new_message(channel, text, blocks, thread_ts, None)
        message["user"] = user
        message.pop("bot_id")
        return message

    def dm_opened(self, user: str) -> list[dict[str, Any]]:
        """The events Slack sends when ``user`` opens a chat with the app, in this
        messaging view: the agent view sends ``app_home_opened`` for the Messages tab; the
        assistant view starts an assistant thread (a root message of subtype
        ``assistant_app_thread`` in the DM) and sends ``assistant_thread_started``."""
        channel = self._dm_channel(user)
        if self.messaging == "agent":
            return [
                {
                    "type": "app_home_opened",
                    "user": user,
                    "channel": channel,
                    "tab": "messages",
                    "event_ts": self._next_ts(),
                }
            ]
        root = self._new_message(channel, "Ny chat", None, None, None)
        root.update(user=user, subtype="assistant_app_thread")
        root.pop("bot_id")
        root["thread_ts"] = root["ts"]
        return [
            {
                "type": "assistant_thread_started",
                "assistant_thread": {
                    "user_id": user,
                    "channel_id": channel,
                    "thread_ts": root["ts"],
                    "context": {},
                },
                "event_ts": self._next_ts(),
            }
        ]

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

    def issue_trigger_id(self, *, view_id: str | None = None) -> str:
        """A trigger_id valid for 3 s and one use; ``view_id`` binds it to an open modal
        (as an interaction inside that modal would), for views.push."""
        trigger_id = f"{self._next_id()}.{self.team_id}.{_opaque(32)}"
        self._triggers[trigger_id] = _Trigger(self.clock(), view_id)
        return trigger_id

    def close_view(self, view_id: str) -> None:
        """The user closed ``view_id``: it and the views pushed above it go away."""
        for stack in self._stacks:
            if view_id in stack:
                for closed in stack[stack.index(view_id) :]:
                    self.views.pop(closed, None)
                    self.entered.pop(closed, None)
                    self.view_errors.pop(closed, None)
                del stack[stack.index(view_id) :]
        self._stacks = [stack for stack in self._stacks if stack]

    # ------------------------------------------------- what a user does in a modal
    def open_modals(self) -> list[dict[str, Any]]:
        """The view on top of each open modal stack."""
        return [self.views[stack[-1]] for stack in self._stacks if stack]

    def input_block(self, view_id: str, block_id: str) -> dict[str, Any]:
        for block in self.views[view_id]["blocks"]:
            if block.get("type") == "input" and block.get("block_id") == block_id:
                return dict(block)
        raise KeyError(f"no input block {block_id!r} in view {view_id}")

    def enter(self, view_id: str, block_id: str, value: Any) -> dict[str, Any]:
        """The user types, picks or ticks ``value`` in an input of an open modal (an option's
        value, a list of them, a date, or text); returns the element's new state. A value
        the element does not offer cannot be entered, as in Slack's client."""
        element = self.input_block(view_id, block_id)["element"]
        kind = element["type"]
        key = INPUT_VALUE_KEYS.get(kind)
        if key is None:
            raise ValueError(f"the stand-in cannot enter a value in a {kind}")
        options = {o["value"]: o for o in element.get("options") or []}
        state: dict[str, Any] = {"type": kind}
        if key == "selected_option":
            if value is not None and value not in options:
                raise ValueError(f"{value!r} is not an option of {block_id}")
            state[key] = copy.deepcopy(options[value]) if value is not None else None
        elif key == "selected_options":
            if any(v not in options for v in value):
                raise ValueError(f"{value!r} are not all options of {block_id}")
            state[key] = [copy.deepcopy(options[v]) for v in value]
        else:
            state[key] = value
        self.entered.setdefault(view_id, {})[block_id] = {
            "action_id": element["action_id"],
            **state,
        }
        return state

    def view_state(self, view_id: str) -> dict[str, Any]:
        """``view.state`` as Slack sends it: every input, with what the user entered, else
        the input's initial value, else empty."""
        values: dict[str, Any] = {}
        entered = self.entered.get(view_id, {})
        for block in self.views[view_id]["blocks"]:
            if block.get("type") != "input":
                continue
            element = block["element"]
            kind = element["type"]
            key = INPUT_VALUE_KEYS.get(kind)
            if key is None:
                continue
            mine = entered.get(block["block_id"])
            if mine is not None and mine["action_id"] == element["action_id"]:
                state = {k: v for k, v in mine.items() if k != "action_id"}
            else:
                empty: Any = [] if key == "selected_options" else None
                state = {"type": kind, key: copy.deepcopy(element.get(INITIAL_KEYS[key], empty))}
            values[block["block_id"]] = {element["action_id"]: state}
        return {"values": values}

    def view_payload(self, view_id: str) -> dict[str, Any]:
        """The view as Slack sends it with an interaction: with its current state."""
        view = copy.deepcopy(self.views[view_id])
        view["state"] = self.view_state(view_id)
        return view

    def home_payload(self, user_id: str) -> dict[str, Any]:
        """A user's Home view as Slack sends it with a click on it."""
        view = copy.deepcopy(self.home_views[user_id])
        view["state"] = {"values": {}}
        return view

    def missing_required(self, view_id: str) -> list[str]:
        """Inputs that are not optional and empty: Slack's client will not submit them."""
        missing = []
        for block_id, elements in self.view_state(view_id)["values"].items():
            block = self.input_block(view_id, block_id)
            state = next(iter(elements.values()))
            key = INPUT_VALUE_KEYS[state["type"]]
            if not block.get("optional") and state.get(key) in (None, "", []):
                missing.append(block_id)
        return missing

    def answer_submission(self, view_id: str, response: dict[str, Any] | None) -> None:
        """Apply the app's answer to a ``view_submission`` of ``view_id`` as Slack does.
        An answer Slack refuses is recorded as a refused call (``view_submission``)."""
        action = (response or {}).get("response_action")
        problems: list[str] = []
        stack: list[str] | None = next((s for s in self._stacks if view_id in s), None)
        if response is None or action == "clear":
            self.close_view(stack[0] if stack else view_id)
        elif action == "errors":
            errors: Any = response.get("errors")
            inputs = {
                b.get("block_id") for b in self.views[view_id]["blocks"] if b.get("type") == "input"
            }
            if not isinstance(errors, dict) or not errors:
                problems.append("errors must be a non-empty object [json-pointer:/errors]")
            else:
                for block_id, message in errors.items():
                    if block_id not in inputs:
                        problems.append(f"no input block {block_id!r} [json-pointer:/errors]")
                    if not isinstance(message, str) or not message:
                        problems.append(f"the error of {block_id!r} must be text")
            if not problems:
                self.view_errors[view_id] = dict(errors)
        elif action in ("update", "push"):
            raw = response.get("view") if response is not None else None
            view: dict[str, Any] = raw if isinstance(raw, dict) else {}
            problems = (
                validate_view(view, rich_blocks=self.rich_blocks_supported)
                if view
                else ["view is required"]
            )
            if not problems and view.get("type") != "modal":
                problems.append("a submission can only show a modal")
            if not problems and stack is not None:
                if action == "update":
                    current = self.views[view_id]
                    self.views[view_id] = self._stored_view(
                        view, view_id, current["root_view_id"], current["previous_view_id"]
                    )
                    self._keep_entered(view_id)
                    self.view_errors.pop(view_id, None)
                elif len(stack) >= MODAL_STACK_LIMIT:
                    problems.append("push_limit_reached")
                else:
                    pushed = self._new_view_id()
                    self.views[pushed] = self._stored_view(view, pushed, stack[0], stack[-1])
                    stack.append(pushed)
        else:
            problems.append(f"unknown response_action {action!r}")
        if problems:
            refusal = {"ok": False, "error": "invalid_arguments", "errors": problems}
            self.calls.append(RecordedCall("view_submission", response or {}, 200, refusal, 0.0))

    def _keep_entered(self, view_id: str) -> None:
        """After an update: what was entered stays in inputs whose block_id and action_id
        are unchanged (Slack's rule); the rest starts afresh."""
        kept = {}
        for block_id, state in self.entered.get(view_id, {}).items():
            try:
                element = self.input_block(view_id, block_id)["element"]
            except KeyError:
                continue
            if element.get("action_id") == state["action_id"] and element["type"] == state["type"]:
                kept[block_id] = state
        self.entered[view_id] = kept

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
        """Form bodies carry blocks/view/... as JSON strings: decode them in place."""
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
        metadata: dict[str, Any] | None,
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
            "metadata": metadata,
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
            "user": self.users[self.bot_user_id]["name"],
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
        metadata = self._decode_json(params, "metadata", "invalid_metadata_format")
        if metadata is not None and not (
            isinstance(metadata, dict) and isinstance(metadata.get("event_type"), str)
        ):
            raise SlackError("invalid_metadata_format")
        thread_ts = params.get("thread_ts") or None
        message = self._new_message(channel, text, blocks, thread_ts, metadata)
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
        metadata = self._decode_json(params, "metadata", "invalid_metadata_format")
        if metadata is not None:
            message["metadata"] = metadata
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

    def _stored_view(
        self, view: dict[str, Any], view_id: str, root: str | None, previous: str | None
    ) -> dict[str, Any]:
        stored = copy.deepcopy(view)
        stored.update(
            id=view_id,
            team_id=self.team_id,
            app_id=self.app_id,
            bot_id=self.bot_id,
            root_view_id=root or view_id,
            previous_view_id=previous,
            hash=_opaque(16),
            state={"values": {}},
            callback_id=view.get("callback_id", ""),
            external_id=view.get("external_id", ""),
            private_metadata=view.get("private_metadata", ""),
        )
        return stored

    def _new_view_id(self) -> str:
        return f"V{self._next_id():09d}"

    def _use_trigger(self, params: Params) -> _Trigger:
        self._required(params, "trigger_id")
        trigger = self._triggers.get(str(params["trigger_id"]))
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if self.clock() - trigger.issued_at > TRIGGER_TTL_SECONDS:
            raise SlackError("expired_trigger_id")
        return trigger

    def _check_external_id(self, view: dict[str, Any]) -> None:
        external_id = view.get("external_id")
        if external_id and any(v["external_id"] == external_id for v in self._all_views()):
            raise SlackError("duplicate_external_id")

    def _all_views(self) -> list[dict[str, Any]]:
        return [*self.views.values(), *self.home_views.values()]

    def _views_open(self, params: Params) -> dict[str, Any]:
        trigger = self._use_trigger(params)
        view = self._checked_view(params)
        if view["type"] != "modal":
            raise _invalid_arguments(["views.open takes a modal view"])
        self._check_external_id(view)
        trigger.used = True
        view_id = self._new_view_id()
        self.views[view_id] = self._stored_view(view, view_id, None, None)
        self._stacks.append([view_id])
        return {"ok": True, "view": copy.deepcopy(self.views[view_id])}

    def _views_push(self, params: Params) -> dict[str, Any]:
        trigger = self._use_trigger(params)
        view = self._checked_view(params)
        if view["type"] != "modal":
            raise _invalid_arguments(["views.push takes a modal view"])
        stacks = [s for s in self._stacks if trigger.view_id in s] if trigger.view_id else []
        stack = stacks[0] if stacks else (self._stacks[-1] if self._stacks else None)
        if stack is None:
            raise _invalid_arguments(["there is no open modal to push onto"])
        if len(stack) >= MODAL_STACK_LIMIT:
            raise SlackError("push_limit_reached")
        self._check_external_id(view)
        trigger.used = True
        view_id = self._new_view_id()
        self.views[view_id] = self._stored_view(view, view_id, stack[0], stack[-1])
        stack.append(view_id)
        return {"ok": True, "view": copy.deepcopy(self.views[view_id])}

    def _views_update(self, params: Params) -> dict[str, Any]:
        if not params.get("view_id") and not params.get("external_id"):
            raise _invalid_arguments(["either view_id or external_id is required"])
        current = next(
            (
                v
                for v in self._all_views()
                if v["id"] == params.get("view_id")
                or (params.get("external_id") and v["external_id"] == params.get("external_id"))
            ),
            None,
        )
        if current is None:
            raise SlackError("not_found")
        view = self._checked_view(params)
        if view["type"] != current["type"]:
            raise _invalid_arguments([f"a {current['type']} view cannot become {view['type']}"])
        if params.get("hash") and params["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        view.setdefault("external_id", current["external_id"])
        updated = self._stored_view(
            view, current["id"], current["root_view_id"], current["previous_view_id"]
        )
        if current["type"] == "home":
            user = next(u for u, v in self.home_views.items() if v["id"] == current["id"])
            self.home_views[user] = updated
        else:
            self.views[current["id"]] = updated
            self._keep_entered(current["id"])
            self.view_errors.pop(current["id"], None)
        return {"ok": True, "view": copy.deepcopy(updated)}

    def _views_publish(self, params: Params) -> dict[str, Any]:
        self._required(params, "user_id")
        view = self._checked_view(params)
        if view["type"] != "home":
            raise _invalid_arguments(["views.publish takes a view of type home"])
        user_id = str(params["user_id"])
        current = self.home_views.get(user_id)
        if current and params.get("hash") and params["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        view_id = current["id"] if current else self._new_view_id()
        self.home_views[user_id] = self._stored_view(view, view_id, None, None)
        return {"ok": True, "view": copy.deepcopy(self.home_views[user_id])}

    # --------------------------------------------------------------- assistant
    def _assistant_thread(self, params: Params) -> dict[str, Any]:
        key = (str(params["channel_id"]), str(params.get("thread_ts") or ""))
        fresh: dict[str, Any] = {"status": None, "title": None, "prompts": []}
        return self.assistant_threads.setdefault(key, fresh)

    def _usergroups_users_list(self, params: Params) -> dict[str, Any]:
        self._required(params, "usergroup")
        group = str(params["usergroup"])
        if group not in self.usergroups:
            raise SlackError("no_such_subteam")
        return {"ok": True, "users": list(self.usergroups[group])}

    def _assistant_set_prompts(self, params: Params) -> dict[str, Any]:
        """Agent view: the prompts are pinned to the channel's Messages tab, and a call
        with a thread_ts is silently dropped. Assistant view: they belong to a thread (the
        channel's latest message when no thread_ts is given)."""
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
        channel = str(params["channel_id"])
        if self.messaging == "agent":
            if params.get("thread_ts"):
                self.dropped.append(
                    RecordedCall("assistant.threads.setSuggestedPrompts", params, 200, {}, 0.0)
                )
                return {"ok": True}
            self.agent_prompts[channel] = {
                "title": params.get("title"),
                "prompts": copy.deepcopy(prompts),
            }
            return {"ok": True}
        if not params.get("thread_ts"):
            latest = [m for m in self.messages.get(channel, []) if not m["thread_ts"]]
            params = {**params, "thread_ts": latest[-1]["ts"] if latest else ""}
        thread = self._assistant_thread(params)
        thread["prompts"] = copy.deepcopy(prompts)
        if params.get("title"):
            thread["prompts_title"] = params["title"]
        return {"ok": True}
