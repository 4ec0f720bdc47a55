"""Modal interactions at the edge of HTTP mode, with the rigour of the other requests: a
submission, a close or a click in a modal of the wrong shape gets 400 — never a 5xx, an
ERROR log line or a changed row — and a well-formed one with forged contents (another
consultant's form, values no input offers, a CPR number) changes nothing it may not and is
answered in Danish."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest

from storage.db import Database
from tests.form_support import field_block, form_offer, top_modal
from tests.raw_http import raw_post, signed_headers
from tests.slack_harness import TEAM, SlackBot
from tests.test_request_edges import errors, interaction, refused, snapshot

ANNA, BO = "UANNA", "UBO"
FORM_TYPE = "application/x-www-form-urlencoded"


async def anna_form(bot: SlackBot) -> dict[str, Any]:
    """Anna's registration, two answers in, open as a form; the view as Slack sends it."""
    root = await bot.dm(ANNA, "ny")
    await bot.dm(ANNA, "SAG-EDGE-F1", thread_ts=root)
    await bot.click(ANNA, bot.last(ANNA, root), form_offer)
    return bot.slack.view_payload(top_modal(bot)["id"])


def submission(view: dict[str, Any], user: str = ANNA, **fields: Any) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A0STANDIN",
        "trigger_id": "1337.42.formedge",
        "view": view,
        **fields,
    }


def with_value(view: dict[str, Any], block_id: str, state: dict[str, Any]) -> dict[str, Any]:
    forged = copy.deepcopy(view)
    elements = forged["state"]["values"][block_id]
    action_id = next(iter(elements))
    elements[action_id] = {**elements[action_id], **state}
    return forged


def malformed(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    state = view["state"]["values"]
    block = next(iter(state))

    def changed(**fields: Any) -> dict[str, Any]:
        return submission({**view, **fields})

    return {
        "no view": {k: v for k, v in submission(view).items() if k != "view"},
        "view null": submission(view) | {"view": None},
        "view a string": submission(view) | {"view": "V1"},
        "view without an id": submission({k: v for k, v in view.items() if k != "id"}),
        "view id lower case": changed(id="v0001"),
        "a workflow step's view": changed(type="workflow_step"),
        "callback id a number": changed(callback_id=5),
        "callback id too long": changed(callback_id="x" * 256),
        "metadata too long": changed(private_metadata="x" * 3001),
        "metadata a number": changed(private_metadata=5),
        "hash too long": changed(hash="h" * 101),
        "title a string": changed(title="Ny praktik"),
        "state values a number": changed(state={"values": 5}),
        "state element a number": changed(state={"values": {block: {"a": 5}}}),
        "state value a number": submission(with_value(view, block, {"value": 5})),
        "state value too long": submission(with_value(view, block, {"value": "x" * 3001})),
        "state options not a list": submission(with_value(view, block, {"selected_options": 5})),
        "state options too many": submission(
            with_value(view, block, {"selected_options": [{"value": "d1"}] * 101})
        ),
        "state date too long": submission(with_value(view, block, {"selected_date": "2" * 11})),
        "user missing": {k: v for k, v in submission(view).items() if k != "user"},
        "user id a number": submission(view, user=5),  # type: ignore[arg-type]
        "trigger id too long": submission(view) | {"trigger_id": "t" * 101},
        "closed without a view": {"type": "view_closed", "user": {"id": ANNA}},
        "closed with a bad view": {"type": "view_closed", "user": {"id": ANNA}, "view": {"id": 5}},
        "closed, cleared a string": {
            "type": "view_closed",
            "user": {"id": ANNA},
            "view": view,
            "is_cleared": "ja",
        },
        "click in a view of the wrong shape": {
            "type": "block_actions",
            "user": {"id": ANNA},
            "view": {**view, "id": 5},
            "actions": [{"action_id": "pb_form_dispatch", "block_id": block}],
        },
        "action ts too long": {
            "type": "block_actions",
            "user": {"id": ANNA},
            "view": view,
            "actions": [{"action_id": "pb_form_dispatch", "action_ts": "1" * 41}],
        },
        "a shortcut": {"type": "shortcut", "user": {"id": ANNA}, "callback_id": "x"},
        "a message action": {"type": "message_action", "user": {"id": ANNA}},
        "type a number": {"type": 5, "user": {"id": ANNA}},
    }


async def test_malformed_modal_interactions_get_400(
    bot: SlackBot, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    view = await anna_form(bot)
    caplog.set_level(logging.INFO)
    wrong = {}
    for name, payload in malformed(view).items():
        body = interaction(payload)
        result = await refused(bot, db, caplog, signed_headers(body, FORM_TYPE), body)
        if result != (400, [], []):
            wrong[name] = result
    assert wrong == {}
    # The well-formed submission is served.
    body = interaction(submission(view))
    status, content = await raw_post(bot, signed_headers(body, FORM_TYPE), body)
    assert status == 200 and json.loads(content)["response_action"] in ("errors", "update")


async def test_another_consultants_form_changes_nothing(
    bot: SlackBot, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Bo submits, changes and closes Anna's form (its private_metadata names her thread):
    refused and audited, told privately; Anna's conversation and answers stay."""
    view = await anna_form(bot)
    block = field_block(view, "company")
    forged = with_value(view, block, {"value": "Bo's firma"})
    caplog.set_level(logging.INFO)
    before = await snapshot(db)
    payloads = {
        "submitted": submission(forged, user=BO),
        "closed": {"type": "view_closed", "user": {"id": BO}, "view": forged},
        "changed": {
            "type": "block_actions",
            "user": {"id": BO},
            "container": {"type": "view", "view_id": view["id"]},
            "view": forged,
            "actions": [{"action_id": "pb_form_dispatch", "block_id": block, "action_ts": "1.2"}],
        },
        "metadata not a key": submission({**forged, "private_metadata": "slack:x"}, user=ANNA),
    }
    for name, payload in payloads.items():
        response = await bot.interactive(payload)
        await bot.wait_idle()
        assert response.status == 200, name
        if payload["type"] == "view_submission":
            answer = json.loads(await response.text())
            assert answer["response_action"] == "update", name
            assert "samtale" in json.dumps(answer["view"], ensure_ascii=False), name
    after = await snapshot(db)
    assert [t for t in after if after[t] != before[t]] == ["audit_log", "processed_inputs"]
    assert errors(caplog) == []
    told = list(bot.slack.messages.get("DUBO", []))
    assert told and all("Bo's firma" not in (m["text"] or "") for m in told)


async def test_forged_values_in_a_form_are_answered_not_stored(
    bot: SlackBot, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Values no input offers or Slack would send, in Anna's own form: field errors in
    Danish, nothing of them stored, no ERROR line."""
    view = await anna_form(bot)
    forged = copy.deepcopy(view)
    states: dict[str, dict[str, Any]] = {
        "target_group": {"selected_option": {"value": "no_such_group"}},
        "start_date": {"selected_date": "2026-13-45"},
        "hours_per_week": {"value": "1e309"},
        "ordinary_employees": {"value": "nan"},
        "company": {"value": "Firma 010190-1234"},
        "contact_person": {"value": "\u200b" * 3},
    }
    for field_id, state in states.items():
        forged = with_value(forged, field_block(forged, field_id), state)
    # A field the form does not show (no type chosen yet: no sub-goals to offer).
    forged["state"]["values"]["f|subgoals|"] = {
        "pb_form_field": {"type": "checkboxes", "selected_options": [{"value": "d1"}]}
    }
    caplog.set_level(logging.INFO)
    response = await bot.interactive(submission(forged))
    await bot.wait_idle()
    answer = json.loads(await response.text())
    assert answer["response_action"] == "errors"
    shown = {block.split("|")[1]: text for block, text in answer["errors"].items()}
    assert set(shown) >= {"target_group", "start_date", "hours_per_week", "company"}
    assert "subgoals" not in shown  # an error names only an input of the view
    assert "CPR-nummer" in shown["company"]
    assert all(text and "Traceback" not in text for text in shown.values())
    stored = json.dumps(await snapshot(db), ensure_ascii=False)
    for never in ("no_such_group", "2026-13-45", "010190", "1e309"):
        assert never not in stored
    assert errors(caplog) == []
