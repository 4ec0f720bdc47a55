"""Structured logs without secrets or personal data.

Every record goes through `RedactionFilter`: Slack tokens, the signing secret, bearer
headers and CPR numbers in any spelling (the one detector, `dialogues.cpr`) are masked -
also in the traceback frames that are kept - and records from the Slack libraries lose any
payload (they quote request bodies, which hold what consultants typed). Our own code logs
ids and kinds, never answer text.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from typing import Any, TextIO

from dialogues.cpr import redact_cpr

TOKEN = re.compile(r"\b(xox[abposr]|xapp)-[A-Za-z0-9-]+")
BEARER = re.compile(r"(?i)\bbearer\s+\S+")
PAYLOAD = re.compile(r"[\[{].*[\]}]", re.DOTALL)
SECRET_ENV = ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
OWN_PACKAGES = frozenset({"bot", "dialogues", "storage", "__main__"})
# Quiet by default; the filter also drops anything below WARNING from any library.
LIBRARIES = ("slack_bolt", "slack_sdk", "aiohttp", "aiosqlite", "asyncpg", "sqlalchemy", "asyncio")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[hemmelighed fjernet]")
    text = TOKEN.sub(r"\1-[fjernet]", text)
    text = BEARER.sub("Bearer [fjernet]", text)
    return redact_cpr(text)


class RedactionFilter(logging.Filter):
    def __init__(self, secrets: tuple[str, ...] | None = None) -> None:
        super().__init__()
        self.secrets = (
            secrets
            if secrets is not None
            else tuple(v for k in SECRET_ENV if (v := os.environ.get(k, "")) and len(v) >= 8)
        )

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.name.split(".", 1)[0] not in OWN_PACKAGES:
            # Libraries quote payloads and SQL parameters (what consultants typed): below
            # WARNING they are dropped; above, only the first line, without any body.
            if record.levelno < logging.WARNING:
                return False
            message = PAYLOAD.sub("{…}", message.split("\n", 1)[0])
        record.msg = redact(message, self.secrets)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Keep the traceback's shape, not its message (it may quote input).
            exc_type = record.exc_info[0]
            record.exc_text = redact(
                f"{exc_type.__name__ if exc_type else 'Exception'} "
                f"(details withheld)\n" + "".join(_frames(record.exc_info[2])),
                self.secrets,
            )
            record.exc_info = None
        return True


def _frames(tb: Any) -> list[str]:
    import traceback

    return traceback.format_tb(tb) if tb is not None else []


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(
    level: str | None = None, *, stream: TextIO | None = None, json_lines: bool = True
) -> logging.Handler:
    """Send all logs through the redaction filter to `stream` (stderr), as JSON lines."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactionFilter())
    handler.setFormatter(
        JsonFormatter() if json_lines else logging.Formatter("%(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level or os.environ.get("PRAKTIKBOT_LOG_LEVEL", "INFO"))
    for library in LIBRARIES:
        logging.getLogger(library).setLevel(logging.WARNING)
    return handler
