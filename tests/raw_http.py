"""Requests as bytes on a socket: headers no HTTP client would send (duplicated, non-ASCII,
invalid UTF-8) and bodies signed over arbitrary bytes."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Sequence

from tests.slack_harness import SIGNING_SECRET, SlackBot

Header = tuple[str, str | bytes]


def signature(body: bytes, stamp: str, secret: str = SIGNING_SECRET) -> str:
    base = b"v0:" + stamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(body: bytes, content_type: str, *, stamp: str | None = None) -> list[Header]:
    """The headers Slack sends with `body`: content type, timestamp and signature."""
    stamp = stamp if stamp is not None else str(int(time.time()))
    return [
        ("Content-Type", content_type),
        ("X-Slack-Request-Timestamp", stamp),
        ("X-Slack-Signature", signature(body, stamp)),
    ]


def _line(name: str, value: str | bytes) -> bytes:
    raw = value if isinstance(value, bytes) else value.encode("utf-8")
    return name.encode("ascii") + b": " + raw + b"\r\n"


async def raw_post(bot: SlackBot, headers: Sequence[Header], body: bytes) -> tuple[int, bytes]:
    """POST /slack/events with exactly these header lines; (status, response body)."""
    server = bot.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        head = (
            b"POST /slack/events HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n".encode()
            + b"".join(_line(name, value) for name, value in headers)
            + b"\r\n"
        )
        writer.write(head + body)
        await writer.drain()
        response = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    status_line, _, rest = response.partition(b"\r\n")
    _, _, content = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), content
