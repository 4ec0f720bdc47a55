"""The gate in front of Bolt: a request must be signed by Slack and have the shape of a
Slack request before any listener sees it. Anything else gets 401 or 400 — never a 5xx,
never a listener run on a payload whose fields have the wrong types.

Two steps, both total (they return a verdict for any bytes and any headers; they never
raise):

1. `signed`: exactly one `X-Slack-Request-Timestamp` (ASCII digits, within five minutes)
   and exactly one `X-Slack-Signature` (`v0=` and 64 lowercase hex digits) whose HMAC
   over the raw body bytes matches. Anything else is unauthenticated: 401.
2. `bolt_request`: the body is UTF-8, the retry headers are Slack's, Bolt's own parser
   and context builder accept it, and what Bolt parsed — the very dict the listeners
   receive, not a second parse of ours that could disagree with Bolt's (duplicate form
   keys, a body starting with "{" under a form content type) — has the shape of a request
   this app serves: nesting at most `MAX_DEPTH`, text without NUL or lone surrogates,
   finite numbers, and the fields Bolt and the listeners read, with Slack's types
   (`actions` a non-empty list, `user.id` a Slack id, …). Anything else: 400.

The shapes are the fields Bolt and the listeners read, with Slack's types; other fields
pass. The interactions served are clicks (`block_actions`, in a message or in a modal)
and a modal's submission and closing (`view_submission`, `view_closed`): each with a
`view` whose id, callback id, private metadata, hash, title and input state have Slack's
types and limits. Shortcuts and any other interaction type: 400.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_bolt.request.async_request import AsyncBoltRequest

Str = str
# Slack's ids (U…, W…, D…, C…, G…, T…) and message timestamps ("1700000000.000100").
SlackId = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{1,30}$")]
Ts = Annotated[str, Field(pattern=r"^[0-9]{1,12}(\.[0-9]{1,9})?$")]

MAX_AGE_SECONDS = 300  # Slack's rule: refuse a request signed more than five minutes ago
# Slack's own payloads nest about 12 deep (rich-text blocks in a clicked message).
MAX_DEPTH = 40
TIMESTAMP = re.compile(r"[0-9]{1,12}")
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
RETRY_NUM = re.compile(r"[0-9]{1,2}")
RETRY_REASON = re.compile(r"[a-z_]{1,40}")
UNSAFE_TEXT = re.compile(r"[\x00\ud800-\udfff]")  # NUL (PostgreSQL refuses it), surrogates
JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"

Headers = dict[str, list[str]]


def headers_of(pairs: Iterable[tuple[str, str]]) -> Headers:
    """Every header with all its values, by lower-case name (duplicates kept)."""
    headers: Headers = {}
    for name, value in pairs:
        headers.setdefault(name.lower(), []).append(value)
    return headers


def signed(secret: str, body: bytes, headers: Headers, *, now: float) -> bool:
    """True when Slack signed exactly these bytes within the last five minutes."""
    stamps = headers.get("x-slack-request-timestamp", [])
    signatures = headers.get("x-slack-signature", [])
    if len(stamps) != 1 or len(signatures) != 1:
        return False
    stamp, signature = stamps[0], signatures[0]
    if not TIMESTAMP.fullmatch(stamp) or not SIGNATURE.fullmatch(signature):
        return False
    if abs(now - int(stamp)) > MAX_AGE_SECONDS:
        return False
    base = b"v0:" + stamp.encode("ascii") + b":" + body
    expected = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature[3:])


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


Object = dict[str, Any]


class Event(Loose):
    type: Str
    user: SlackId | None = None
    channel: SlackId | None = None
    channel_type: Str | None = None
    text: Str | None = Field(default=None, max_length=40_000)
    ts: Ts | None = None
    thread_ts: Ts | None = None
    subtype: Str | None = None
    bot_id: Str | None = None
    tab: Str | None = None
    # Bolt's assistant middleware reads these of every message event.
    message: Object | None = None
    previous_message: Object | None = None


class MessageEvent(Event):
    channel: SlackId
    ts: Ts


class UserEvent(Event):
    user: SlackId


class MentionEvent(MessageEvent):
    user: SlackId


class AssistantThread(Loose):
    channel_id: SlackId
    thread_ts: Ts


class AssistantEvent(Event):
    assistant_thread: AssistantThread


EVENT_SHAPES: dict[str, type[Event]] = {
    "message": MessageEvent,
    "app_mention": MentionEvent,
    "app_home_opened": UserEvent,
    "assistant_thread_started": AssistantEvent,
}


class Common(Loose):
    """What Bolt's middleware and the listeners read of every request, whatever its kind:
    objects when present (Bolt reads `body.get("event", {}).get(…)`, so not even null)."""

    event: Object = Field(default_factory=dict)
    user: Object = Field(default_factory=dict)
    channel: Object = Field(default_factory=dict)
    message: Object = Field(default_factory=dict)
    container: Object = Field(default_factory=dict)
    state: Object = Field(default_factory=dict)
    view: Object = Field(default_factory=dict)


class EventEnvelope(Loose):
    type: Literal["event_callback"]
    event_id: Str | None = None
    event: Event


class Challenge(Loose):
    type: Literal["url_verification"]
    challenge: Str


class Id(Loose):
    id: SlackId


class Option(Loose):
    value: Str = Field(max_length=2000)


class Action(Loose):
    # Slack's limits: ids ≤ 255, values ≤ 2,000 characters.
    action_id: Str = Field(max_length=255)
    block_id: Str | None = Field(default=None, max_length=255)
    type: Str | None = None
    value: Str | None = Field(default=None, max_length=2000)
    action_ts: Str | None = Field(default=None, max_length=40)  # "1700000000.123456"
    selected_option: Option | None = None
    selected_options: list[Option] | None = None
    selected_date: Str | None = None
    selected_user: SlackId | None = None


class Container(Loose):
    channel_id: SlackId | None = None
    message_ts: Ts | None = None


class Message(Loose):
    ts: Ts | None = None
    thread_ts: Ts | None = None
    text: Str | None = None
    blocks: list[Object] | None = None


class StateElement(Loose):
    type: Str | None = None
    # Slack's limits: a text input holds at most 3,000 characters, a multi select 100.
    value: Str | None = Field(default=None, max_length=3000)
    selected_option: Option | None = None
    selected_options: list[Option] | None = Field(default=None, max_length=100)
    selected_date: Str | None = Field(default=None, max_length=10)


class StateValues(Loose):
    values: dict[str, dict[str, StateElement]] = {}


class Text(Loose):
    type: Str | None = None
    text: Str = Field(default="", max_length=3000)


class View(Loose):
    """A modal or Home view as Slack sends it back: what the listeners and Bolt read."""

    id: SlackId
    # Bolt treats other types as legacy workflow steps and reads fields they lack.
    type: Literal["modal", "home"]
    # Slack's limits: callback_id 255, private_metadata 3,000.
    callback_id: Str = Field(default="", max_length=255)
    private_metadata: Str = Field(default="", max_length=3000)
    hash: Str | None = Field(default=None, max_length=100)
    title: Text | None = None
    state: StateValues = Field(default_factory=StateValues)
    team_id: Str | None = None
    app_installed_team_id: Str | None = None


class BlockActions(Loose):
    type: Literal["block_actions"]
    user: Id
    # Slack sends exactly the one element that was used; Bolt and the listeners read [0].
    actions: list[Action] = Field(min_length=1, max_length=5)
    channel: Id | None = None
    container: Container | None = None
    message: Message | None = None
    state: StateValues | None = None
    view: View | None = None  # a click in a modal or on Home


class ViewSubmission(Loose):
    type: Literal["view_submission"]
    user: Id
    view: View
    trigger_id: Str | None = Field(default=None, max_length=100)


class ViewClosed(Loose):
    type: Literal["view_closed"]
    user: Id
    view: View
    is_cleared: bool | None = None


INTERACTION_SHAPES: dict[str, type[Loose]] = {
    "block_actions": BlockActions,
    "view_submission": ViewSubmission,
    "view_closed": ViewClosed,
}


class Command(Loose):
    command: Str
    user_id: SlackId
    text: Str = Field(default="", max_length=4000)
    channel_id: SlackId | None = None


def plain(data: Any, *, max_depth: int = MAX_DEPTH) -> bool:
    """True for JSON data Slack could have sent: nested at most `max_depth` deep, text
    without NUL or lone surrogates, finite numbers. Iterative: any depth is safe to ask."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return False
        if isinstance(node, str):
            if UNSAFE_TEXT.search(node):
                return False
        elif isinstance(node, float):
            if not math.isfinite(node):
                return False
        elif isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str) or UNSAFE_TEXT.search(key):
                    return False
                stack.append((value, depth + 1))
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)
    return True


def _event(data: Object) -> None:
    envelope = EventEnvelope.model_validate(data)
    shape = EVENT_SHAPES.get(envelope.event.type)
    if shape is not None:
        shape.model_validate(data["event"])


def check(body: Any, content_type: str) -> bool:
    """True when Bolt's parsed body has the shape of a Slack request this app serves.

    `content_type` is the media type (lower case, no parameters). Slack sends events and
    the URL check as JSON, interactions (a `payload` field), slash commands and its
    certificate check (`ssl_check=1`) as a form.
    Bolt dispatches by the body alone ("command" in it: a slash command; its "type"), so a
    body may look like one kind only."""
    if not isinstance(body, dict) or not plain(body):
        return False
    try:
        Common.model_validate(body)
        if content_type == JSON_TYPE:
            if body.get("type") == "url_verification":
                Challenge.model_validate(body)
            else:
                _event(body)
            return "command" not in body
        if content_type == FORM_TYPE:
            if set(body) <= {"ssl_check", "token"} and body.get("ssl_check") == "1":
                return True  # Slack's certificate check of the command URL: Bolt acks it
            if "type" in body:
                shape = (
                    INTERACTION_SHAPES.get(body["type"]) if isinstance(body["type"], str) else None
                )
                if shape is None:
                    return False  # shortcuts and other interactions: not served
                shape.model_validate(body)
                return "command" not in body
            Command.model_validate(body)
            return True
    except ValidationError:
        return False
    return False


def _retry_headers_ok(headers: Headers) -> bool:
    """Slack's retry headers, when present: once each, a small number and a reason word."""
    for name, pattern in (("x-slack-retry-num", RETRY_NUM), ("x-slack-retry-reason", RETRY_REASON)):
        values = headers.get(name)
        if values is not None and (len(values) != 1 or not pattern.fullmatch(values[0])):
            return False
    return True


def media_type(headers: Headers) -> str | None:
    """The one Content-Type's media type, lower case without parameters; None when absent
    or sent more than once."""
    values = headers.get("content-type", [])
    if len(values) != 1:
        return None
    return values[0].split(";", 1)[0].strip().lower()


def bolt_request(body: bytes, headers: Headers, query: str) -> AsyncBoltRequest | None:
    """The request as Bolt will dispatch it, or None when it is not a Slack request this
    app serves (then: 400)."""
    content_type = media_type(headers)
    if content_type not in (JSON_TYPE, FORM_TYPE) or not _retry_headers_ok(headers):
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # Bolt-internal headers (lazy listeners on FaaS) are never Slack's.
    forwarded = {k: v for k, v in headers.items() if not k.startswith("x-slack-bolt-")}
    try:
        request = AsyncBoltRequest(body=text, query=query, headers=forwarded)  # type: ignore[arg-type]
    except Exception:  # Bolt's parser and context builder on hostile input: not Slack's
        return None
    return request if check(request.body, content_type) else None
