"""Request shapes at the edge of HTTP mode: malformed signature headers get 401, malformed
payloads 400 (or a polite answer); never a 5xx, an ERROR log line or a changed row.

The three cases the issue names first, one test each; then every class of malformed
header and payload against a database that holds a registered praktik."""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from storage.db import Database
from tests.raw_http import Header, raw_post, signature, signed_headers
from tests.slack_harness import TEAM, SlackBot, find_element

ANNA = "UANNA"
JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"


async def snapshot(db: Database) -> dict[str, list[str]]:
    """Every row of every table."""
    tables: dict[str, list[str]] = {}
    async with db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            result = await conn.execute(text(f'SELECT * FROM "{table.name}"'))
            tables[table.name] = sorted(repr(tuple(row)) for row in result)
    return tables


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


def command_body(text_: str = "hjælp", **fields: str) -> bytes:
    form = {
        "token": "unused",
        "team_id": TEAM,
        "channel_id": f"D{ANNA}",
        "user_id": ANNA,
        "command": "/praktik",
        "text": text_,
        "response_url": "http://127.0.0.1:1/unused",
        "trigger_id": "1337.42.abcdef",
        **fields,
    }
    return urllib.parse.urlencode(form).encode()


def interaction(payload: Any) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def event_body(event: Any, **fields: Any) -> bytes:
    envelope = {
        "token": "unused",
        "team_id": TEAM,
        "api_app_id": "A0STANDIN",
        "type": "event_callback",
        "event_id": "Ev0EDGE0001",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
        "event": event,
        **fields,
    }
    return json.dumps(envelope).encode()


def dm_event(**fields: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": f"D{ANNA}",
        "channel_type": "im",
        "user": ANNA,
        "text": "hjælp",
        "ts": "1700000000.000100",
        **fields,
    }


async def click_payload(bot: SlackBot) -> dict[str, Any]:
    """A click on the select of the question the bot asks after a case reference, shaped
    as Slack sends it (see `SlackBot.click`), for the cases to break."""
    root = await bot.dm(ANNA, "ny")
    await bot.dm(ANNA, "SAG-9001", thread_ts=root)
    message = bot.last(ANNA, root)
    block_id, element = find_element(message, lambda e: e["type"] == "static_select")
    option = next(o for o in element["options"] if o["value"] == "dagpenge")
    return {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": ANNA, "team_id": TEAM},
        "api_app_id": "A0STANDIN",
        "trigger_id": bot.slack.issue_trigger_id(),
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": message["channel"],
            "is_ephemeral": False,
        },
        "channel": {"id": message["channel"]},
        "message": {k: message[k] for k in ("ts", "text", "blocks", "thread_ts") if k in message},
        "state": {"values": {}},
        "actions": [
            {
                "type": "static_select",
                "action_id": element["action_id"],
                "block_id": block_id,
                "selected_option": option,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


async def refused(
    bot: SlackBot,
    db: Database,
    caplog: pytest.LogCaptureFixture,
    headers: Sequence[Header],
    body: bytes,
) -> tuple[int, list[str], list[str]]:
    """(status, tables that changed, ERROR lines) of one raw request."""
    before = await snapshot(db)
    caplog.clear()
    status, _ = await raw_post(bot, headers, body)
    await bot.wait_idle()
    after = await snapshot(db)
    changed = [t for t in after if after[t] != before[t]]
    return status, changed, errors(caplog)


# --- the three cases the issue names ---------------------------------------------------------


async def test_a_non_numeric_timestamp_gets_401(
    bot: SlackBot, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = command_body()
    headers = [
        ("Content-Type", FORM_TYPE),
        ("X-Slack-Request-Timestamp", "jeg-er-ikke-et-tal"),
        ("X-Slack-Signature", signature(body, "jeg-er-ikke-et-tal")),
    ]
    assert await refused(bot, db, caplog, headers, body) == (401, [], [])


async def test_a_non_ascii_signature_gets_401(
    bot: SlackBot, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = command_body()
    stamp = str(int(time.time()))
    headers = [
        ("Content-Type", FORM_TYPE),
        ("X-Slack-Request-Timestamp", stamp),
        ("X-Slack-Signature", signature(body, stamp)[:-1] + "ø"),
    ]
    assert await refused(bot, db, caplog, headers, body) == (401, [], [])


async def test_a_signed_click_with_an_empty_actions_list_gets_400(
    bot: SlackBot, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    payload = await click_payload(bot)
    caplog.set_level(logging.INFO)
    body = interaction({**payload, "actions": []})
    assert await refused(bot, db, caplog, signed_headers(body, FORM_TYPE), body) == (400, [], [])
    # The same click with its action is served: the gate refused only the empty list.
    body = interaction(payload)
    status, changed, logged = await refused(bot, db, caplog, signed_headers(body, FORM_TYPE), body)
    assert (status, logged) == (200, [])
    assert "answers" in changed


# --- every class of malformed signature header -----------------------------------------------


def header_cases() -> dict[str, tuple[list[Header], bytes]]:
    body = command_body()
    now = int(time.time())
    stamp = str(now)
    good = signature(body, stamp)

    def with_stamp(value: str | bytes) -> list[Header]:
        text_value = value.decode("latin-1") if isinstance(value, bytes) else value
        return [
            ("Content-Type", FORM_TYPE),
            ("X-Slack-Request-Timestamp", value),
            ("X-Slack-Signature", signature(body, text_value)),
        ]

    def with_signature(*values: str | bytes) -> list[Header]:
        headers: list[Header] = [
            ("Content-Type", FORM_TYPE),
            ("X-Slack-Request-Timestamp", stamp),
        ]
        return headers + [("X-Slack-Signature", v) for v in values]

    arabic = stamp.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    full_width = stamp.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    cases: dict[str, list[Header]] = {
        "no timestamp": [("Content-Type", FORM_TYPE), ("X-Slack-Signature", good)],
        "no signature": [("Content-Type", FORM_TYPE), ("X-Slack-Request-Timestamp", stamp)],
        "no headers": [("Content-Type", FORM_TYPE)],
        "timestamp twice": [*with_signature(good), ("X-Slack-Request-Timestamp", stamp)],
        "signature twice": with_signature(good, good),
        "a wrong and a right signature": with_signature("v0=" + "0" * 64, good),
        "empty timestamp": with_stamp(""),
        "non-numeric timestamp": with_stamp("abc"),
        "negative timestamp": with_stamp(f"-{now}"),
        "fractional timestamp": with_stamp(f"{now}.5"),
        "timestamp with underscores": with_stamp(f"{now:_}"),
        "huge timestamp": with_stamp("9" * 5000),
        "Arabic-Indic digits": with_stamp(arabic),
        "full-width digits": with_stamp(full_width),
        "timestamp of six minutes ago": with_stamp(str(now - 360)),
        "timestamp six minutes ahead": with_stamp(str(now + 360)),
        "Latin-1 byte in the timestamp": with_stamp(stamp.encode() + b"\xff"),
        "empty signature": with_signature(""),
        "prefix only": with_signature("v0="),
        "wrong prefix": with_signature("v1=" + good[3:]),
        "no prefix": with_signature(good[3:]),
        "one digit short": with_signature(good[:-1]),
        "one digit more": with_signature(good + "0"),
        "upper-case hex": with_signature(good.upper().replace("V0=", "v0=")),
        "non-ASCII signature": with_signature(good[:-2] + "æø"),
        "invalid UTF-8 in the signature": with_signature(good[:-1].encode() + b"\xc3"),
        "huge signature": with_signature("v0=" + "a" * 8000),
        "signed with another secret": with_signature(signature(body, stamp, "wrong-secret")),
        "signed over another body": with_signature(signature(body + b"&x=1", stamp)),
    }
    return {name: (headers, body) for name, headers in cases.items()}


async def test_malformed_signature_headers_get_401(
    bot: SlackBot, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.register_praktik(ANNA, "SAG-9002")
    caplog.set_level(logging.INFO)
    wrong = {}
    for name, (headers, body) in header_cases().items():
        result = await refused(bot, db, caplog, headers, body)
        if result != (401, [], []):
            wrong[name] = result
    assert wrong == {}
    # The same body, correctly signed, is served.
    body = command_body()
    status, content = await raw_post(bot, signed_headers(body, FORM_TYPE), body)
    assert status == 200 and "Ny praktik" in content.decode()


# --- every class of malformed payload ----------------------------------------------------------


def payload_cases(click: dict[str, Any]) -> dict[str, tuple[str, bytes]]:
    """name -> (content type, body); each correctly signed when sent."""
    deep: Any = "bund"
    for _ in range(60):
        deep = {"a": [deep]}
    message = click.get("message") or {}
    cases: dict[str, tuple[str, bytes]] = {
        # bodies that are no Slack request at all
        "empty JSON body": (JSON_TYPE, b""),
        "JSON array": (JSON_TYPE, b"[]"),
        "JSON null": (JSON_TYPE, b"null"),
        "JSON number": (JSON_TYPE, b"5"),
        "JSON string": (JSON_TYPE, b'"event_callback"'),
        "cut-off JSON": (JSON_TYPE, event_body(dm_event())[:-3]),
        "nested too deep": (JSON_TYPE, event_body(dm_event(), extra=deep)),
        "nested deeper than the parser goes": (JSON_TYPE, b'{"type": ' + b"[" * 100_000),
        "invalid UTF-8": (JSON_TYPE, event_body(dm_event(text="x")).replace(b'"x"', b'"\xff"')),
        "lone surrogate": (JSON_TYPE, event_body(dm_event(text="\ud800"))),
        "NUL in the text": (JSON_TYPE, event_body(dm_event(text="a\x00b"))),
        "NaN": (JSON_TYPE, event_body(dm_event(), score=float("nan"))),
        # wrong content types
        "event as text/plain": ("text/plain", event_body(dm_event())),
        "event as a form": (FORM_TYPE, event_body(dm_event())),
        "event without a content type": ("", event_body(dm_event())),
        "command as JSON": (JSON_TYPE, command_body()),
        "click as JSON": (JSON_TYPE, interaction(click)),
        # events
        "event not an object": (JSON_TYPE, event_body("message")),
        "event an array": (JSON_TYPE, event_body([dm_event()])),
        "event without a type": (JSON_TYPE, event_body({"channel": f"D{ANNA}"})),
        "message without channel": (JSON_TYPE, event_body(dm_event(channel=None))),
        "message with a numeric text": (JSON_TYPE, event_body(dm_event(text=5))),
        "message with an object ts": (JSON_TYPE, event_body(dm_event(ts={"a": 1}))),
        "mention without user": (
            JSON_TYPE,
            event_body({"type": "app_mention", "channel": "C1", "ts": "1.2", "text": "x"}),
        ),
        "edited message not an object": (
            JSON_TYPE,
            event_body(dm_event(subtype="message_changed", message="x")),
        ),
        "authorizations a number": (JSON_TYPE, event_body(dm_event(), authorizations=5)),
        "authorizations of numbers": (JSON_TYPE, event_body(dm_event(), authorizations=[5])),
        "team a number": (JSON_TYPE, event_body(dm_event(), team=5)),
        "event with a command field": (JSON_TYPE, event_body(dm_event(), command="/praktik")),
        "URL check without challenge": (JSON_TYPE, b'{"type": "url_verification"}'),
        "URL check with a numeric challenge": (
            JSON_TYPE,
            b'{"type": "url_verification", "challenge": 5}',
        ),
        # clicks
        "actions empty": (FORM_TYPE, interaction({**click, "actions": []})),
        "actions missing": (
            FORM_TYPE,
            interaction({k: v for k, v in click.items() if k != "actions"}),
        ),
        "actions null": (FORM_TYPE, interaction({**click, "actions": None})),
        "actions an object": (FORM_TYPE, interaction({**click, "actions": {}})),
        "actions a string": (FORM_TYPE, interaction({**click, "actions": "x"})),
        "actions of numbers": (FORM_TYPE, interaction({**click, "actions": [5]})),
        "actions of arrays": (FORM_TYPE, interaction({**click, "actions": [[]]})),
        "action without action_id": (FORM_TYPE, interaction({**click, "actions": [{}]})),
        "action_id a number": (FORM_TYPE, interaction({**click, "actions": [{"action_id": 1}]})),
        "selected option not an object": (
            FORM_TYPE,
            interaction({**click, "actions": [{**click["actions"][0], "selected_option": "x"}]}),
        ),
        "user missing": (FORM_TYPE, interaction({k: v for k, v in click.items() if k != "user"})),
        "user a string": (FORM_TYPE, interaction({**click, "user": ANNA})),
        "user id a number": (FORM_TYPE, interaction({**click, "user": {"id": 5}})),
        "channel a string": (FORM_TYPE, interaction({**click, "channel": f"D{ANNA}"})),
        "container a number": (FORM_TYPE, interaction({**click, "container": 5})),
        "message a string": (FORM_TYPE, interaction({**click, "message": "x"})),
        "message blocks of strings": (
            FORM_TYPE,
            interaction({**click, "message": {**message, "blocks": ["x"]}}),
        ),
        "state values a number": (FORM_TYPE, interaction({**click, "state": {"values": 5}})),
        "state element a number": (
            FORM_TYPE,
            interaction({**click, "state": {"values": {"b": {"a": 5}}}}),
        ),
        "state options of numbers": (
            FORM_TYPE,
            interaction({**click, "state": {"values": {"b": {"a": {"selected_options": [5]}}}}}),
        ),
        "payload an array": (FORM_TYPE, b"payload=%5B%5D"),
        "payload null": (FORM_TYPE, b"payload=null"),
        "payload not JSON": (FORM_TYPE, b"payload=%7B"),
        "payload with bad percent-encoding": (FORM_TYPE, b"payload=%7B%ZZ%22type%22"),
        "payload twice, the last broken": (
            FORM_TYPE,
            interaction(click) + b"&" + interaction({**click, "actions": []}),
        ),
        "click with a command field": (FORM_TYPE, interaction({**click, "command": "/praktik"})),
        "a modal submission": (FORM_TYPE, interaction({**click, "type": "view_submission"})),
        # slash commands
        "command without user": (FORM_TYPE, b"command=%2Fpraktik&text=hj%C3%A6lp"),
        "command with a non-id user": (FORM_TYPE, command_body(user_id="anna")),
        "command with a type": (FORM_TYPE, command_body(type="block_actions", actions="x")),
        "command text too long": (FORM_TYPE, command_body("x" * 5000)),
    }
    return cases


async def test_malformed_payloads_get_400(
    bot: SlackBot, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    click = await click_payload(bot)
    await bot.register_praktik(ANNA, "SAG-9003")
    caplog.set_level(logging.INFO)
    wrong = {}
    for name, (content_type, body) in payload_cases(click).items():
        result = await refused(bot, db, caplog, signed_headers(body, content_type), body)
        if result != (400, [], []):
            wrong[name] = result
    assert wrong == {}


def header_payload_cases() -> dict[str, list[Header]]:
    body = command_body()
    base = signed_headers(body, FORM_TYPE)
    return {
        "retry number not a number": [*base, ("X-Slack-Retry-Num", "drei")],
        "retry number huge": [*base, ("X-Slack-Retry-Num", "9" * 400)],
        "retry number twice": [*base, ("X-Slack-Retry-Num", "1"), ("X-Slack-Retry-Num", "2")],
        "retry reason with spaces": [*base, ("X-Slack-Retry-Reason", "a b; c")],
        "content type twice": [*base, ("Content-Type", JSON_TYPE)],
    }


async def test_malformed_retry_and_content_type_headers_get_400(
    bot: SlackBot, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = command_body()
    wrong = {}
    for name, headers in header_payload_cases().items():
        result = await refused(bot, db, caplog, headers, body)
        if result != (400, [], []):
            wrong[name] = result
    assert wrong == {}


async def test_odd_but_harmless_requests_get_a_polite_answer(
    bot: SlackBot, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack's own variations, and percent-encoding that decodes to replacement
    characters, are served: the command's help answer, no ERROR line, no changed row."""
    caplog.set_level(logging.INFO)
    cases: dict[str, tuple[list[Header], bytes]] = {}
    body = command_body()
    cases["a retry"] = (
        [
            *signed_headers(body, FORM_TYPE),
            ("X-Slack-Retry-Num", "1"),
            ("X-Slack-Retry-Reason", "http_timeout"),
        ],
        body,
    )
    cases["content type with a charset"] = (
        signed_headers(body, FORM_TYPE + "; charset=utf-8"),
        body,
    )
    cases["Bolt-internal headers"] = (
        [*signed_headers(body, FORM_TYPE), ("X-Slack-Bolt-Lazy-Only", "1")],
        body,
    )
    ssl_check = b"ssl_check=1&token=unused"
    cases["Slack's certificate check"] = (signed_headers(ssl_check, FORM_TYPE), ssl_check)
    bad_percent = command_body().replace(b"text=hj%C3%A6lp", b"text=%FF%FE%ZZ")
    cases["bad percent-encoding in the text"] = (
        signed_headers(bad_percent, FORM_TYPE),
        bad_percent,
    )
    wrong = {}
    for name, (headers, raw) in cases.items():
        before = await snapshot(db)
        caplog.clear()
        status, content = await raw_post(bot, headers, raw)
        await bot.wait_idle()
        changed = [t for t, rows in (await snapshot(db)).items() if rows != before[t]]
        answered = "praktik" in content.decode() or name == "Slack's certificate check"
        if status != 200 or not answered or changed or errors(caplog):
            wrong[name] = (status, content[:80], changed, errors(caplog))
    assert wrong == {}


# --- forged or garbled ids in the values the listeners read ---------------------------------

GARBLED_IDS = ("²", "١٢", "1_0", " 7", "9" * 30, "-1", "0", "")


def forged_clicks(click: dict[str, Any], garbled: str) -> dict[str, dict[str, Any]]:
    def action(**fields: Any) -> dict[str, Any]:
        return {**click, "actions": [{"action_ts": f"{time.time():.6f}", **fields}]}

    start_value = json.dumps({"flow": "afslutning", "praktik": garbled})
    return {
        "hand-over": action(
            type="users_select",
            action_id="pb_handover",
            block_id=f"handover|{garbled}",
            selected_user="UBO",
        ),
        "praktik picker": action(
            type="static_select",
            action_id="pb_pick_praktik",
            selected_option={"value": f"afslutning:{garbled}"},
        ),
        "start button": action(type="button", action_id="pb_start:0", value=start_value),
        "start button, huge number": action(
            type="button",
            action_id="pb_start:0",
            value=json.dumps({"flow": "afslutning", "praktik": 10**30}),
        ),
        "Home page": action(type="button", action_id="pb_home_page:next", value=garbled),
        "reminder held": action(type="button", action_id="pb_rem_held", value=garbled),
        "reminder date": action(
            type="datepicker",
            action_id="pb_rem_postpone_date",
            block_id=f"rem|{garbled}",
            selected_date="2027-01-04",
        ),
        "reminder postpone": action(type="button", action_id="pb_rem_postpone:2", value=garbled),
    }


async def test_garbled_ids_in_clicks_are_answered_without_a_crash(
    bot: SlackBot, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Ids the bot writes into values and block ids, garbled: no listener crashes, no
    praktik or conversation changes (refusals may be audited)."""
    click = await click_payload(bot)
    await bot.register_praktik(ANNA, "SAG-9004")
    caplog.set_level(logging.INFO)
    wrong = {}
    for garbled in GARBLED_IDS:
        for name, payload in forged_clicks(click, garbled).items():
            body = interaction(payload)
            status, changed, logged = await refused(
                bot, db, caplog, signed_headers(body, FORM_TYPE), body
            )
            if status != 200 or logged or set(changed) - {"audit_log", "processed_inputs"}:
                wrong[f"{name} {garbled[:8]!r}"] = (status, changed, logged)
    assert wrong == {}


async def test_a_superscript_digit_typed_for_a_choice_is_asked_again(
    bot: SlackBot, caplog: pytest.LogCaptureFixture
) -> None:
    """'²' is a digit to str.isdigit() but not to int(): the consultant is asked again."""
    caplog.set_level(logging.INFO)
    root = await bot.dm(ANNA, "ny")
    await bot.dm(ANNA, "SAG-9005", thread_ts=root)
    question = bot.last_text(ANNA, root)
    for typed in ("²", "9" * 5000):
        await bot.dm(ANNA, typed, thread_ts=root)
        assert errors(caplog) == []
        assert question.split("\n", 1)[0] in bot.last_text(ANNA, root)
