"""Reading the parts of Slack's interaction payloads that several listeners need."""

from __future__ import annotations

from typing import Any


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
