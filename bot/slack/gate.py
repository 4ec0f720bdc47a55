"""The gate in front of Bolt: a request must be signed by Slack and have the shape of a
Slack request before any listener sees it. Anything else gets 401 or 400 — never a 5xx,
never a listener run on a payload whose fields have the wrong types.

The shapes are the fields the listeners read, with Slack's types; other fields pass.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_sdk.signature import SignatureVerifier

Str = str
# Slack's ids (U…, W…, D…, C…, G…, T…) and message timestamps ("1700000000.000100").
SlackId = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{1,30}$")]
Ts = Annotated[str, Field(pattern=r"^\d{1,12}(\.\d{1,9})?$")]


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


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
    value: Str


class Action(Loose):
    action_id: Str
    block_id: Str | None = None
    value: Str | None = None
    action_ts: Str | None = None
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
    blocks: list[dict[str, Any]] | None = None


class StateValues(Loose):
    values: dict[str, dict[str, dict[str, Any]]] = {}


class BlockActions(Loose):
    type: Literal["block_actions"]
    user: Id
    actions: list[Action]
    channel: Id | None = None
    container: Container | None = None
    message: Message | None = None
    state: StateValues | None = None


class Command(Loose):
    command: Str
    user_id: SlackId
    text: Str = Field(default="", max_length=4000)
    channel_id: SlackId | None = None


def _event(data: dict[str, Any]) -> None:
    envelope = EventEnvelope.model_validate(data)
    shape = EVENT_SHAPES.get(envelope.event.type)
    if shape is not None:
        shape.model_validate(data["event"])


def _interaction(payload: Any) -> None:
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        raise ValueError("not an interaction this app serves")  # no modals or shortcuts
    actions = BlockActions.model_validate(payload)
    for action in actions.actions:
        # Slack's limits: ids ≤ 255, values ≤ 2,000 characters.
        if len(action.action_id) > 255 or len(action.value or "") > 2000:
            raise ValueError("action too long")
    selected = (payload.get("state") or {}).get("values") or {}
    for block in selected.values():
        for element in block.values():
            if not isinstance(element, dict):
                raise ValueError("bad state")
            for option in element.get("selected_options") or []:
                Option.model_validate(option)


def check(body: str, content_type: str) -> bool:
    """True when the (already verified) body has the shape of a Slack request we serve."""
    try:
        if content_type.startswith("application/json"):
            data = json.loads(body)
            if not isinstance(data, dict):
                return False
            if data.get("type") == "url_verification":
                Challenge.model_validate(data)
            else:
                _event(data)
            return True
        if content_type.startswith("application/x-www-form-urlencoded"):
            form = urllib.parse.parse_qs(body, keep_blank_values=True, strict_parsing=False)
            if "payload" in form:
                _interaction(json.loads(form["payload"][0]))
                return True
            Command.model_validate({k: v[0] for k, v in form.items()})
            return True
    except (ValueError, ValidationError, TypeError, KeyError, RecursionError):
        return False
    return False


def verified(verifier: SignatureVerifier, body: str, headers: dict[str, str]) -> bool:
    return verifier.is_valid_request(body, headers)
