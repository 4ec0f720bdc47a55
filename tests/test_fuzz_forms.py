"""Hostile modal interactions — correctly signed, well enough formed to reach the form
listeners — against the real app: submissions, closes and changes of forms whose
metadata, state and values are forged. None may give a 5xx, crash a listener or change a
row (refusals may be audited and de-duplication marks kept)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.db import Database
from tests.slack_harness import SlackBot
from tests.test_fuzz import FUZZ, Listeners, _check, forged_values, fuzz_target, ids, json_values

__all__ = ["fuzz_target"]  # the fixture, used by name
# 700 fuzzed requests (20-30 s, the quick loop's longest test): `make test` and CI
# run them, `make test-fast` not.
pytestmark = pytest.mark.slow

FORM_KEYS = st.one_of(
    st.sampled_from(
        [
            "slack:DUANNA:1700000000.000100",
            "slack:DUBO:1700000000.000100",
            "slack:DUANNA:1.2",
            "slack:x",
            "",
            "slack:DUANNA:1700000000.000100" + "\n",
        ]
    ),
    st.text(max_size=60),
)
BLOCK_IDS = st.one_of(
    st.sampled_from(
        [
            "f|case_ref|",
            "f|target_group|a833bdb5",
            "f|subgoals|0abf83fc",
            "f|subgoal_progress.0|6a1b2c3d",
            "f|subgoal_progress.99999|",
            "f|start_date|",
            "f|x|zz",
            "f||",
        ]
    ),
    st.text(max_size=30),
)
STATE_ELEMENTS = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            [
                "plain_text_input",
                "number_input",
                "radio_buttons",
                "static_select",
                "checkboxes",
                "multi_static_select",
                "datepicker",
                "users_select",
            ]
        )
    },
    optional={
        "value": st.one_of(
            st.text(max_size=50),
            st.sampled_from(["1e309", "nan", "-0", "7.5", "010190-1234", "²", "9" * 40]),
        ),
        "selected_option": st.one_of(st.none(), st.fixed_dictionaries({"value": forged_values})),
        "selected_options": st.lists(st.fixed_dictionaries({"value": forged_values}), max_size=4),
        "selected_date": st.sampled_from(["2026-13-45", "2027-02-01", "0000-00-00", "x"]),
    },
)
VIEWS = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["V000000001", "V1", "VX"]),
        "type": st.sampled_from(["modal", "home", "workflow_step"]),
        "callback_id": st.sampled_from(["pb_form", "pb_form_summary", "pb_form_info", "x", ""]),
        "private_metadata": FORM_KEYS,
        "state": st.fixed_dictionaries(
            {
                "values": st.dictionaries(
                    BLOCK_IDS,
                    st.dictionaries(
                        st.sampled_from(["pb_form_field", "pb_form_dispatch", "other"]),
                        STATE_ELEMENTS,
                        max_size=2,
                    ),
                    max_size=5,
                )
            }
        ),
    },
    optional={
        "hash": st.text(max_size=20),
        "title": st.fixed_dictionaries({"text": st.text(max_size=24)}),
        "blocks": json_values,
    },
)
FORM_INTERACTIONS = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["view_submission", "view_closed"]),
            "user": st.fixed_dictionaries({"id": ids}),
            "view": VIEWS,
        },
        optional={"trigger_id": st.text(max_size=30), "is_cleared": st.booleans()},
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("block_actions"),
            "user": st.fixed_dictionaries({"id": ids}),
            "view": VIEWS,
            "actions": st.lists(
                st.fixed_dictionaries(
                    {
                        "action_id": st.sampled_from(
                            [
                                "pb_form_dispatch",
                                "pb_form_field",
                                "pb_form_edit",
                                "pb_form_open",
                                "pb_form_start:new",
                                "pb_form_start:0",
                            ]
                        )
                    },
                    optional={
                        "block_id": BLOCK_IDS,
                        "value": forged_values,
                        "selected_option": st.fixed_dictionaries({"value": forged_values}),
                        "action_ts": st.text(max_size=20),
                    },
                ),
                min_size=1,
                max_size=2,
            ),
        },
        optional={"trigger_id": st.text(max_size=30)},
    ),
)


def test_fuzzed_form_interactions(
    fuzz_target: tuple[asyncio.Runner, SlackBot, Database, Listeners],
) -> None:
    runner, bot, db, crashes = fuzz_target

    @FUZZ
    @given(payload=FORM_INTERACTIONS)
    def check(payload: dict[str, Any]) -> None:
        _check(runner, bot, db, lambda: bot.interactive(payload))

    check()
    assert crashes.crashes == 0, crashes.kinds
