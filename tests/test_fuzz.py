"""Hostile input: thousands of malformed, oversized and forged requests — correctly signed,
so they get past verification — against the real app. None may give a 5xx, crash a
listener or change a row (only refusals may be audited and de-duplication marks kept)."""

from __future__ import annotations

import asyncio
import json
import logging
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
from storage.db import Database
from tests.slack_harness import SlackBot, running_bot
from tests.slack_standin import SlackStandIn

# Tables a refused request may touch: the audit log (refusals are audited) and the
# de-duplication marks. Everything else must stay exactly as it was.
ALLOWED_TO_CHANGE = {"audit_log", "processed_inputs", "alembic_version"}
EXAMPLES = 700  # per request shape; four shapes
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
).filter(lambda t: intent(t)[0] not in ("flow", "list"))
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
    """Counts listener crashes (the app's error handler logs them)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.crashes = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.name in ("bot.slack.errors", "slack_bolt.AsyncApp"):
            self.crashes += 1


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
    assert crashes.crashes == 0


def test_fuzzed_interactions(
    fuzz_target: tuple[asyncio.Runner, SlackBot, Database, Listeners],
) -> None:
    runner, bot, db, crashes = fuzz_target

    @FUZZ
    @given(payload=block_actions)
    def check(payload: dict[str, Any]) -> None:
        _check(runner, bot, db, lambda: bot.interactive(payload))

    check()
    assert crashes.crashes == 0


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
    assert crashes.crashes == 0


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
    assert crashes.crashes == 0
