"""Hostile input: thousands of malformed, oversized and forged requests — correctly signed,
so they get past verification — against the real app. None may give a 5xx, crash a
listener or change a row (only refusals may be audited and de-duplication marks kept)."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from bot.config import AppConfig
from bot.slack.intents import intent
from dialogues.model import Flow
from dialogues.structure import load_flows
from storage.db import Database
from tests.raw_http import Header, raw_post, signature, signed_headers
from tests.slack_harness import SlackBot, running_bot
from tests.slack_standin import SlackStandIn

# Tables a refused request may touch: the audit log (refusals are audited) and the
# de-duplication marks. Everything else must stay exactly as it was.
ALLOWED_TO_CHANGE = {"audit_log", "processed_inputs", "alembic_version"}
EXAMPLES = 700  # per request shape; four shapes
SHIPPED_FLOWS = load_flows()
FORM_TYPE = "application/x-www-form-urlencoded"
pytestmark = pytest.mark.slow  # 2,800 requests: `make test` and CI run them, test-fast not

ids = st.one_of(
    st.sampled_from(["UANNA", "UBO", "UBOT", "", "U" + "X" * 300, "W123", "D1"]),
    st.text(max_size=20),
    st.integers(),
    st.none(),
)
stamps = st.one_of(
    st.sampled_from(["1700000000.000100", "0", "-1", "1e309", "nan", "", "9" * 40]),
    st.text(max_size=20),
    st.floats(allow_nan=True),
    st.none(),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
hostile_text = st.one_of(
    st.text(max_size=300),
    st.just("x" * 60_000),
    st.sampled_from(["<@UBOT>", "&lt;script&gt;", "\x00\x01", "🙂" * 500, "ret 999", "gem"]),
).filter(lambda t: intent(t, SHIPPED_FLOWS)[0] not in ("flow", "list"))
action_ids = st.one_of(
    st.sampled_from(
        [
            "pb_answer:0",
            "pb_answer_select",
            "pb_answer_date",
            "pb_multi_submit",
            "pb_command:back",
            "pb_command:cancel",
            "pb_confirm",
            "pb_edit:0",
            "pb_start:0",
            "pb_pick_praktik",
            "pb_home_page:next",
            "pb_handover",
            "pb_rem_held",
            "pb_rem_postpone:2",
            "pb_rem_postpone_date",
            "pb_rem_start:form",
            "pb_rem_more",
            "pb_abs_open",
            "pb_abs_save",
            "pb_abs_end",
            "pb_abs_stand_in",
            "pb_note_open",
            "pb_multi_input",
            "unknown_action",
        ]
    ),
    st.text(max_size=30),
)
forged_values = st.one_of(
    json_values,
    st.sampled_from(
        [
            json.dumps({"flow": "afslutning", "praktik": 1}),
            json.dumps({"flow": "x", "praktik": "1"}),
            json.dumps({"flow": "opfoelgning", "praktik": 10**30, "followup": -1}),
            "afslutning:1",
            "ny_praktik:abc",
            "999999",
            "-1",
            "0101901234",
            "x" * 3000,
        ]
    ),
)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.nothing(), strategy)


events = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            [
                "message",
                "app_mention",
                "app_home_opened",
                "assistant_thread_started",
                "reaction_added",
            ]
        )
    },
    optional={
        "user": ids,
        "channel": ids,
        "channel_type": st.sampled_from(["im", "channel", "", None]),
        "text": st.one_of(hostile_text, json_values),
        "ts": stamps,
        "thread_ts": stamps,
        "subtype": st.sampled_from([None, "bot_message", "message_changed", "file_share"]),
        "tab": st.sampled_from(["home", "messages", None, 3]),
        "bot_id": ids,
        "assistant_thread": st.one_of(
            json_values,
            st.fixed_dictionaries({"channel_id": ids, "thread_ts": stamps, "user_id": ids}),
        ),
    },
)

actions = st.fixed_dictionaries(
    {"action_id": action_ids},
    optional={
        "block_id": st.one_of(
            st.sampled_from(["q|case_ref", "q|nope", "handover|1", "rem|1", "pick|x", "sum|0"]),
            st.text(max_size=30),
        ),
        "value": forged_values,
        "selected_option": st.one_of(json_values, st.fixed_dictionaries({"value": forged_values})),
        "selected_date": st.one_of(
            st.sampled_from(["2026-13-45", "2027-02-01", "0000-00-00"]), st.text(max_size=12)
        ),
        "selected_user": ids,
        "action_ts": stamps,
        "type": st.sampled_from(["button", "static_select", "datepicker", "users_select"]),
    },
)

block_actions = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["block_actions", "view_submission", "shortcut", "message_action", "view_closed"]
        )
    },
    optional={
        "user": st.one_of(json_values, st.fixed_dictionaries({"id": ids})),
        "actions": st.one_of(st.lists(actions, max_size=3), json_values),
        "channel": st.one_of(json_values, st.fixed_dictionaries({"id": ids})),
        "container": st.one_of(
            json_values, st.fixed_dictionaries({"channel_id": ids, "message_ts": stamps})
        ),
        "message": st.one_of(
            json_values,
            st.fixed_dictionaries({"ts": stamps, "thread_ts": stamps, "blocks": json_values}),
        ),
        "state": st.one_of(
            json_values,
            st.just(
                {"values": {"b": {"pb_multi_input": {"selected_options": [{"value": "d1"}] * 50}}}}
            ),
        ),
        "view": json_values,
        "trigger_id": ids,
        "team": json_values,
        "callback_id": st.text(max_size=20),
    },
)

commands = st.fixed_dictionaries(
    {"command": st.sampled_from(["/praktik", "/andet", "", "/praktik" * 10])},
    optional={
        "text": hostile_text,
        "user_id": ids,
        "channel_id": ids,
        "trigger_id": ids,
        "team_id": ids,
        "response_url": st.sampled_from(["", "http://127.0.0.1:1/x", "javascript:x"]),
    },
)

raw_bodies = st.tuples(
    st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain", ""]),
    st.one_of(
        st.binary(max_size=400).map(lambda b: b.decode("latin-1")),
        st.sampled_from(
            ["{", "payload=%7B", "payload=" + "%7B%22type%22%3A" * 30, "[]", "null", '{"type": 5}']
        ),
        json_values.map(json.dumps),
    ),
)


async def table_counts(db: Database) -> dict[str, int]:
    counts = {}
    async with db.engine.connect() as conn:
        names = (
            await conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        ).scalars()
        for name in list(names):
            counts[name] = (await conn.execute(text(f'SELECT count(*) FROM "{name}"'))).scalar_one()
    return counts


class Listeners(logging.Handler):
    """Counts ERROR records from any logger: a listener crash (the app's error handler
    logs it), Bolt's own failures, or aiohttp's "Error handling request" behind a 500."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.crashes = 0
        self.kinds: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        self.crashes += 1
        self.kinds.add(f"{record.name}: {record.getMessage()[:80]}")


@pytest.fixture
def fuzz_target(
    tmp_path: Path, sqlite_template: Path, config: AppConfig, flows: dict[str, Flow]
) -> Iterator[tuple[asyncio.Runner, SlackBot, Database, Listeners]]:
    import shutil

    path = tmp_path / "fuzz.sqlite3"
    shutil.copy(sqlite_template, path)
    crashes = Listeners()
    logging.getLogger().addHandler(crashes)
    with asyncio.Runner() as runner:
        db = Database(f"sqlite+aiosqlite:///{path}")
        slack = SlackStandIn(bot_token="xoxb-test-token")
        runner.run(slack.start())
        manager = running_bot(slack, db, config, flows)
        bot = runner.run(manager.__aenter__())
        try:
            yield runner, bot, db, crashes
        finally:
            runner.run(manager.__aexit__(None, None, None))
            runner.run(slack.stop())
            runner.run(db.dispose())
            logging.getLogger().removeHandler(crashes)


def _check(runner: asyncio.Runner, bot: SlackBot, db: Database, send: Any) -> None:
    before = runner.run(table_counts(db))
    response = runner.run(send())
    runner.run(bot.wait_idle())
    assert response.status < 500, response.status
    after = runner.run(table_counts(db))
    changed = {t for t in after if after[t] != before.get(t)} - ALLOWED_TO_CHANGE
    assert changed == set()


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    derandomize=True,
)


def test_fuzzed_events(fuzz_target: tuple[asyncio.Runner, SlackBot, Database, Listeners]) -> None:
    runner, bot, db, crashes = fuzz_target

    @FUZZ
    @given(event=events, retry=st.sampled_from([None, 1, 3]))
    def check(event: dict[str, Any], retry: int | None) -> None:
        _check(runner, bot, db, lambda: bot.event(event, retry_num=retry))

    check()
    assert crashes.crashes == 0, crashes.kinds


def test_fuzzed_interactions(
    fuzz_target: tuple[asyncio.Runner, SlackBot, Database, Listeners],
) -> None:
    runner, bot, db, crashes = fuzz_target

    @FUZZ
    @given(payload=block_actions)
    def check(payload: dict[str, Any]) -> None:
        _check(runner, bot, db, lambda: bot.interactive(payload))

    check()
    assert crashes.crashes == 0, crashes.kinds


def test_fuzzed_commands(fuzz_target: tuple[asyncio.Runner, SlackBot, Database, Listeners]) -> None:
    runner, bot, db, crashes = fuzz_target

    @FUZZ
    @given(fields=commands)
    def check(fields: dict[str, Any]) -> None:
        body = urllib.parse.urlencode({k: "" if v is None else str(v) for k, v in fields.items()})
        _check(
            runner,
            bot,
            db,
            lambda: bot.post(body, content_type="application/x-www-form-urlencoded"),
        )

    check()
    assert crashes.crashes == 0, crashes.kinds


def test_fuzzed_raw_bodies(
    fuzz_target: tuple[asyncio.Runner, SlackBot, Database, Listeners],
) -> None:
    runner, bot, db, crashes = fuzz_target

    @FUZZ
    @given(body=raw_bodies)
    def check(body: tuple[str, str]) -> None:
        content_type, content = body
        _check(runner, bot, db, lambda: bot.post(content, content_type=content_type))

    check()
    oversized = runner.run(bot.post("x" * 2_000_000, content_type="application/json"))
    assert oversized.status == 413
    assert crashes.crashes == 0, crashes.kinds


# --- headers: timestamps, signatures, retry headers, content types ----------------------------

HEADER_EXAMPLES = 300
NOW = int(time.time())

header_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=80
)
fuzzed_stamps = st.one_of(
    header_text,
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=0, max_value=NOW + 10**6).map(lambda n: f"{n:_}"),
    st.sampled_from(
        [
            "",
            "9" * 5000,
            str(NOW).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
            str(NOW).translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            f"{NOW}.0",
            f"+{NOW}",
            f"{NOW - 301}",
            f"{NOW + 301}",
        ]
    ),
).filter(lambda s: not (s.isascii() and s.isdigit() and abs(int(s[:20]) - time.time()) <= 300))
fuzzed_signatures = st.one_of(
    header_text,
    st.sampled_from(["", "v0=", "v0=" + "0" * 64, "v1=" + "a" * 64, "v0=" + "A" * 64]),
    st.text(alphabet="0123456789abcdefABCDEF", max_size=70).map(lambda h: "v0=" + h),
    st.binary(max_size=40).map(lambda b: "v0=" + b.hex() + "é"),
)
content_types = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "application/json; charset=utf-8",
            "APPLICATION/JSON",
            "text/plain",
            "multipart/form-data; boundary=x",
            "",
            "application/x-www-form-urlencoded; charset=latin-1",
        ]
    ),
    header_text,
)
retry_headers = st.lists(
    st.tuples(
        st.sampled_from(["X-Slack-Retry-Num", "X-Slack-Retry-Reason", "X-Slack-Bolt-Lazy-Only"]),
        st.one_of(
            st.sampled_from(["1", "2", "3", "0", "-1", "99", "http_timeout", "1.5"]), header_text
        ),
    ),
    max_size=3,
)


def _bodies() -> list[tuple[str, bytes]]:
    """Requests Slack sends: (content type, body), all harmless when served."""
    command = urllib.parse.urlencode(
        {"command": "/praktik", "text": "hjælp", "user_id": "UANNA", "channel_id": "DUANNA"}
    )
    event = {
        "type": "event_callback",
        "event_id": "Ev0FUZZ",
        "event": {"type": "reaction_added", "user": "UANNA"},
    }
    challenge = {"type": "url_verification", "challenge": "abc"}
    return [
        ("application/x-www-form-urlencoded", command.encode()),
        ("application/json", json.dumps(event).encode()),
        ("application/json", json.dumps(challenge).encode()),
    ]


@st.composite
def header_sets(draw: st.DrawFn) -> tuple[list[Header], bytes, bool]:
    """(headers, body, authentic): each signature header good, fuzzed, missing or twice."""
    content_type, body = draw(st.sampled_from(_bodies()))
    stamp = str(int(time.time()))
    stamp_kind = draw(st.sampled_from(["good", "fuzzed", "missing", "twice"]))
    signature_kind = draw(st.sampled_from(["good", "fuzzed", "missing", "twice", "stale"]))
    headers: list[Header] = [
        ("Content-Type", draw(content_types) if draw(st.booleans()) else content_type)
    ]
    if stamp_kind == "fuzzed":
        stamp = draw(fuzzed_stamps)
    if stamp_kind != "missing":
        headers.append(("X-Slack-Request-Timestamp", stamp))
    if stamp_kind == "twice":
        headers.append(("X-Slack-Request-Timestamp", str(int(time.time()) - 1)))
    good = signature(body, stamp)
    if signature_kind in ("good", "twice"):
        headers.append(("X-Slack-Signature", good))
    if signature_kind == "twice":
        headers.append(
            ("X-Slack-Signature", draw(st.sampled_from([good, draw(fuzzed_signatures)])))
        )
    if signature_kind == "fuzzed":
        headers.append(("X-Slack-Signature", draw(fuzzed_signatures)))
    if signature_kind == "stale":  # signed for another timestamp
        headers.append(("X-Slack-Signature", signature(body, stamp + "0")))
    headers.extend(draw(retry_headers))
    authentic = stamp_kind == "good" and signature_kind == "good"
    return headers, body, authentic


@pytest.mark.slow
def test_fuzzed_headers(fuzz_target: tuple[asyncio.Runner, SlackBot, Database, Listeners]) -> None:
    """Malformed signature headers get 401; any other header gets an answer below 500."""
    runner, bot, db, crashes = fuzz_target

    @settings(FUZZ, max_examples=HEADER_EXAMPLES)
    @given(request=header_sets())
    def check(request: tuple[list[Header], bytes, bool]) -> None:
        headers, body, authentic = request
        before = runner.run(table_counts(db))
        status, _ = runner.run(raw_post(bot, headers, body))
        runner.run(bot.wait_idle())
        if not authentic:
            assert status == 401, (status, headers)
        assert status < 500, status
        after = runner.run(table_counts(db))
        assert {t for t in after if after[t] != before.get(t)} - ALLOWED_TO_CHANGE == set()

    check()
    assert crashes.crashes == 0, crashes.kinds


# --- empty and odd arrays (and other wrong types) where Slack sends objects and lists -------

ODD_EXAMPLES = 300
odd_values = st.one_of(
    st.sampled_from(
        [[], [[]], [None], [{}], [[[]]], [0, "x"], [{"type": None}], {}, "", 0, -1, None, True]
    ),
    json_values,
)


def _click() -> dict[str, Any]:
    """A well-formed click as Slack sends it (on a message no conversation knows)."""
    return {
        "type": "block_actions",
        "team": {"id": "T0TEST"},
        "user": {"id": "UANNA", "team_id": "T0TEST"},
        "api_app_id": "A0STANDIN",
        "trigger_id": "1337.42.abcdef",
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "DUANNA"},
        "channel": {"id": "DUANNA"},
        "message": {
            "ts": "1700000000.000100",
            "text": "Spørgsmål",
            "blocks": [{"type": "actions", "block_id": "q|case_ref", "elements": []}],
        },
        "state": {
            "values": {"q|goals": {"pb_multi_input": {"selected_options": [{"value": "d1"}]}}}
        },
        "actions": [
            {
                "type": "button",
                "action_id": "pb_answer:0",
                "block_id": "q|case_ref",
                "value": "ja",
                "action_ts": "1700000001.000200",
                "selected_options": [{"value": "d1"}],
            }
        ],
    }


def _event() -> dict[str, Any]:
    return {
        "type": "event_callback",
        "team_id": "T0TEST",
        "event_id": "Ev0ODD",
        "authorizations": [{"team_id": "T0TEST", "user_id": "UBOT", "is_bot": True}],
        "event": {
            "type": "message",
            "channel": "DUANNA",
            "channel_type": "im",
            "user": "UANNA",
            "text": "hjælp",
            "ts": "1700000000.000300",
            "blocks": [{"type": "rich_text", "elements": []}],
            "files": [],
        },
    }


CLICK_PATHS: list[tuple[str | int, ...]] = [
    ("actions",),
    ("actions", 0),
    ("actions", 0, "selected_options"),
    ("actions", 0, "selected_options", 0),
    ("actions", 0, "selected_option"),
    ("actions", 0, "value"),
    ("actions", 0, "action_id"),
    ("state",),
    ("state", "values"),
    ("state", "values", "q|goals"),
    ("state", "values", "q|goals", "pb_multi_input", "selected_options"),
    ("message",),
    ("message", "blocks"),
    ("message", "blocks", 0),
    ("user",),
    ("channel",),
    ("container",),
    ("team",),
    ("authorizations",),
    ("response_urls",),
    ("event",),
]
EVENT_PATHS: list[tuple[str | int, ...]] = [
    ("authorizations",),
    ("authorizations", 0),
    ("authorizations", 0, "team_id"),
    ("event",),
    ("event", "blocks"),
    ("event", "blocks", 0),
    ("event", "files"),
    ("event", "attachments"),
    ("event", "text"),
    ("event", "user"),
    ("event", "channel"),
    ("event", "ts"),
    ("event", "thread_ts"),
    ("event", "message"),
    ("event", "previous_message"),
    ("event", "assistant_thread"),
    ("team",),
    ("enterprise",),
    ("user",),
    ("channel",),
]


def _set(data: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """`data` with the value at `path` replaced (made where missing)."""
    data = copy.deepcopy(data)
    node = data
    for key in path[:-1]:
        if isinstance(key, int):
            if not isinstance(node, list) or len(node) <= key:
                return data
            node = node[key]
        else:
            if not isinstance(node, dict):
                return data
            node = node.setdefault(key, {})
    last = path[-1]
    fits = (isinstance(node, list) and isinstance(last, int) and len(node) > last) or (
        isinstance(node, dict) and isinstance(last, str)
    )
    if fits:
        node[last] = value
    return data


@st.composite
def odd_payloads(draw: st.DrawFn) -> tuple[str, bytes]:
    """A click or an event with one to three of its fields replaced by odd values."""
    is_click = draw(st.booleans())
    data, paths = (_click(), CLICK_PATHS) if is_click else (_event(), EVENT_PATHS)
    for path in draw(st.lists(st.sampled_from(paths), min_size=1, max_size=3)):
        data = _set(data, path, draw(odd_values))
    if is_click:
        return FORM_TYPE, urllib.parse.urlencode({"payload": json.dumps(data)}).encode()
    return "application/json", json.dumps(data).encode()


@pytest.mark.slow
def test_fuzzed_odd_arrays(
    fuzz_target: tuple[asyncio.Runner, SlackBot, Database, Listeners],
) -> None:
    runner, bot, db, crashes = fuzz_target

    @settings(FUZZ, max_examples=ODD_EXAMPLES)
    @given(request=odd_payloads())
    def check(request: tuple[str, bytes]) -> None:
        content_type, body = request
        before = runner.run(table_counts(db))
        status, _ = runner.run(raw_post(bot, signed_headers(body, content_type), body))
        runner.run(bot.wait_idle())
        assert status < 500, status
        after = runner.run(table_counts(db))
        assert {t for t in after if after[t] != before.get(t)} - ALLOWED_TO_CHANGE == set()

    check()
    assert crashes.crashes == 0, crashes.kinds
