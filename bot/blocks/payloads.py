"""Reading the parts of Slack's interaction payloads that several listeners need."""

from __future__ import annotations

import re
from typing import Any

ROW_ID = re.compile(r"[0-9]{1,18}")  # below 2**63: every database's BIGINT holds it


def row_id(value: Any) -> int | None:
    """A database id the bot wrote into a button value or block id, or None for anything
    else (a forged or garbled value: "²", "1_0", " 7", 10**30), so no listener hands the
    database a number it cannot hold or crashes converting one."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    text = str(value)
    number = int(text) if ROW_ID.fullmatch(text) else 0
    return number or None


def clicked_message(body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(channel, message ts, thread ts) of the message whose element was clicked.

    The thread ts is the message's own ts for a message that is not in a thread."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    ts = message.get("ts") or container.get("message_ts")
    thread_ts = message.get("thread_ts") or ts
    return (
        str(channel) if channel else None,
        str(ts) if ts else None,
        str(thread_ts) if thread_ts else None,
    )
