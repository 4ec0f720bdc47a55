"""The redaction filter: what must never be in a log line."""

from __future__ import annotations

import io
import json
import logging

from bot.logs import JsonFormatter, RedactionFilter


def emit(
    name: str, level: int, message: str, *args: object, exc: BaseException | None = None
) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactionFilter(secrets=("s3cr3t-signing-value",)))
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.log(
            level, message, *args, exc_info=(type(exc), exc, exc.__traceback__) if exc else None
        )
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_tokens_secrets_and_cpr_are_masked_in_our_own_logs() -> None:
    line = emit(
        "bot.test", logging.INFO, "token %s secret %s cpr %s auth %s",
        "xoxb-1234-abcd", "s3cr3t-signing-value", "010190-1234", "Bearer xapp-1-A",
    )  # fmt: skip
    entry = json.loads(line)
    assert entry["logger"] == "bot.test"
    for leaked in ("xoxb-1234-abcd", "s3cr3t-signing-value", "010190-1234", "xapp-1-A"):
        assert leaked not in line
    assert "[CPR fjernet]" in entry["message"]


def test_library_records_lose_payloads_and_debug_detail() -> None:
    assert emit("aiosqlite", logging.DEBUG, "executing %s", "('Eksempel ApS',)") == ""
    line = emit(
        "slack_bolt.App", logging.WARNING, 'Unhandled request ({"text": "Borger Eksempel"})\nmore'
    )
    assert "Borger Eksempel" not in line
    assert "Unhandled request" in line


def test_exception_messages_are_withheld_but_the_traceback_kept() -> None:
    typed = "Kontakt " + "Eksempelsen, 12345678"  # built at run time: not in the source line
    try:
        raise ValueError(f"input was: {typed}")
    except ValueError as exc:
        line = emit("bot.test", logging.ERROR, "failed", exc=exc)
    assert "Kontakt Eksempelsen" not in line
    entry = json.loads(line)
    assert entry["exception"].startswith("ValueError (details withheld)")
    assert "test_exception_messages_are_withheld" in entry["exception"]
