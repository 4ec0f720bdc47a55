"""A CPR number in an interaction, through signed requests to the real app and the
Slack stand-in: Slack gets HTTP 200 (never Bolt's 404 "no next() calls in middleware"),
the refusal is shown where the consultant is (in the modal, or privately in the DM), no
warning is logged, and the number is stored and posted nowhere. All numbers synthetic."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest

from bot import messages
from bot.blocks import ids
from bot.slack.listeners.cpr_guard import NOTICE_BLOCK
from dialogues import texts
from storage.db import Database
from tests.form_support import (
    _base,
    click_home,
    field_block,
    fill,
    fill_all,
    form_offer,
    open_home,
    send_change,
    submit,
    top_modal,
)
from tests.slack_harness import SlackBot, message_text
from tests.test_input_protection import calls_with_cpr, table_rows_with_cpr
from tests.test_slack_forms import registration

ANNA = "UANNA"


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.WARNING]


async def nothing_kept(bot: SlackBot, db: Database) -> None:
    assert await table_rows_with_cpr(db) == []
    assert calls_with_cpr(bot.slack) == []


async def open_registration_form(bot: SlackBot) -> dict[str, Any]:
    await open_home(bot, ANNA)
    await click_home(bot, ANNA, form_offer)
    return top_modal(bot)


@pytest.mark.parametrize("value", ["01 01 90-1234", "01.01.1990-1234", "1.1.90-1234"])
async def test_a_button_whose_value_holds_a_cpr_number_is_answered_200_and_refused_in_the_dm(
    bot: SlackBot, db: Database, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    caplog.set_level(logging.DEBUG)
    await bot.dm(ANNA, "hjælp")
    forged = copy.deepcopy(bot.slack.messages[f"D{ANNA}"][-1])
    for block in forged["blocks"]:
        for element in block.get("elements") or []:
            if "action_id" in element:
                element["value"] = value
    posted = len(bot.slack.messages[f"D{ANNA}"])
    response = await bot.click(ANNA, forged, lambda e: "action_id" in e)
    assert (response.status, await response.text()) == (200, "")
    await bot.wait_idle()
    dm = bot.slack.messages[f"D{ANNA}"]
    assert len(dm) == posted + 1 and texts.CPR_REFUSED in message_text(dm[-1])
    assert warnings(caplog) == []
    await nothing_kept(bot, db)


async def test_a_dispatching_form_field_with_a_cpr_number_is_refused_in_the_modal(
    bot: SlackBot, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    view = await open_registration_form(bot)
    block = field_block(view, "employee_rep")  # a text input other questions read
    assert bot.slack.input_block(view["id"], block).get("dispatch_action")
    # fill() sends the change as Slack does and asserts HTTP 200.
    response = await fill(bot, ANNA, "employee_rep", "Tina, født 01.01.1990-1234")
    assert response is not None and await response.text() == ""
    modal = top_modal(bot)
    assert modal["id"] == view["id"]  # the same modal, with the refusal under the field
    block_ids = [b.get("block_id") for b in modal["blocks"]]
    notice = block_ids.index(NOTICE_BLOCK)
    assert block_ids[notice - 1] == block
    said = message_text({"blocks": [modal["blocks"][notice]]}).strip()
    assert said == messages.CPR_REFUSED_IN_FORM
    # A second refusal moves the note; it is never shown twice.
    await fill(bot, ANNA, "employee_rep", "Tina 0101901234")
    assert [b.get("block_id") for b in top_modal(bot)["blocks"]].count(NOTICE_BLOCK) == 1
    # Nothing was posted in the DM, and the form goes on: a valid date redraws it.
    assert not any("CPR" in message_text(m) for m in bot.slack.messages.get(f"D{ANNA}", []))
    await fill(bot, ANNA, "employee_rep", "Tina Eksempel, tina@eksempel.dk")
    assert NOTICE_BLOCK not in [b.get("block_id") for b in top_modal(bot)["blocks"]]
    assert warnings(caplog) == []
    await nothing_kept(bot, db)


async def test_a_forged_action_in_a_modal_is_answered_200_and_refused_there(
    bot: SlackBot, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """The tester's repro: a block_actions from the form whose action holds the number."""
    caplog.set_level(logging.DEBUG)
    view = await open_registration_form(bot)
    block = field_block(view, "case_ref")
    state = bot.slack.enter(view["id"], block, "0101901234")
    response = await send_change(bot, ANNA, view, block, state)
    assert (response.status, await response.text()) == (200, "")
    await bot.wait_idle()
    blocks = [b.get("block_id") for b in top_modal(bot)["blocks"]]
    assert blocks[blocks.index(NOTICE_BLOCK) - 1] == block
    assert warnings(caplog) == []
    await nothing_kept(bot, db)


@pytest.mark.parametrize("value", ["Eksempel 01.01.1990-1234 ApS", "Eksempel 1.1.90-1234"])
async def test_a_form_submitted_with_a_cpr_number_gets_the_field_error(
    bot: SlackBot, db: Database, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    caplog.set_level(logging.DEBUG)
    view = await open_registration_form(bot)
    await fill_all(bot, ANNA, {**registration(bot, "SAG-7301"), "company": value})
    answer = await submit(bot, ANNA)  # asserts HTTP 200
    assert answer is not None and answer["response_action"] == "errors"
    assert answer["errors"][field_block(top_modal(bot), "company")] == texts.CPR_REFUSED
    assert top_modal(bot)["id"] == view["id"]
    assert warnings(caplog) == []
    await nothing_kept(bot, db)


async def test_any_other_modal_submitted_with_a_cpr_number_gets_the_field_error(
    bot: SlackBot, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A submission the form listener does not read (here the summary's callback, forged
    with an input): the guard answers with Slack's field error itself."""
    caplog.set_level(logging.DEBUG)
    view = await open_registration_form(bot)
    block = field_block(view, "company")
    bot.slack.enter(view["id"], block, "Eksempel 01 01 1990 1234")
    forged = bot.slack.view_payload(view["id"])
    forged["callback_id"] = ids.FORM_SUMMARY
    payload = {
        **_base(ANNA),
        "type": "view_submission",
        "trigger_id": bot.slack.issue_trigger_id(view_id=view["id"]),
        "view": forged,
        "response_urls": [],
    }
    response = await bot.interactive(payload)
    assert response.status == 200
    answer = json.loads(await response.text())
    assert answer == {
        "response_action": "errors",
        "errors": {block: messages.CPR_REFUSED_IN_FORM},
    }
    await bot.wait_idle()
    assert warnings(caplog) == []
    await nothing_kept(bot, db)
