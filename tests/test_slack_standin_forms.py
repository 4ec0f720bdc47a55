"""The stand-in's model of what Slack sends and accepts for forms and in both messaging
views: rules Slack applies to inputs, what a user enters and keeps across an update, the
answer to a submission, and where suggested prompts go in the agent and assistant views.
The `slack` and `client` fixtures are tests/slack_harness.py's."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from tests.slack_standin import SlackStandIn, validate_view


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def opt(value: str, text: str | None = None) -> dict[str, Any]:
    return {"text": plain(text or value), "value": value}


def field(block_id: str, element: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain("Spørgsmål"),
        "element": element,
        **extra,
    }


def form(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": plain("Formular"),
        "submit": plain("Videre"),
        "blocks": list(blocks),
    }


def test_inputs_are_held_to_slacks_rules() -> None:
    radio = {"type": "radio_buttons", "action_id": "a", "options": [opt("1"), opt("2")]}
    assert validate_view(form(field("r", radio))) == []
    wrong: dict[str, dict[str, Any]] = {
        "eleven radio buttons": {**radio, "options": [opt(str(n)) for n in range(11)]},
        "an initial option not offered": {**radio, "initial_option": opt("3")},
        "an initial option with another text": {**radio, "initial_option": opt("1", "én")},
        "initial check boxes not offered": {
            "type": "checkboxes",
            "action_id": "a",
            "options": [opt("1")],
            "initial_options": [opt("1"), opt("2")],
        },
        "a text input of 3,001": {"type": "plain_text_input", "action_id": "a", "max_length": 3001},
        "an initial text longer than allowed": {
            "type": "plain_text_input",
            "action_id": "a",
            "max_length": 3,
            "initial_value": "abcd",
        },
        "a number input without is_decimal_allowed": {"type": "number_input", "action_id": "a"},
        "a decimal where whole numbers are asked": {
            "type": "number_input",
            "action_id": "a",
            "is_decimal_allowed": False,
            "initial_value": "7.5",
        },
        "limits in the wrong order": {
            "type": "number_input",
            "action_id": "a",
            "is_decimal_allowed": True,
            "min_value": "10",
            "max_value": "1",
        },
        "an initial number out of range": {
            "type": "number_input",
            "action_id": "a",
            "is_decimal_allowed": True,
            "max_value": "60",
            "initial_value": "61",
        },
        "a number as a number": {
            "type": "number_input",
            "action_id": "a",
            "is_decimal_allowed": True,
            "min_value": 1,
        },
        "a date that is no date": {
            "type": "datepicker",
            "action_id": "a",
            "initial_date": "2026-02-30",
        },
    }
    accepted = [
        name for name, element in wrong.items() if validate_view(form(field("x", element))) == []
    ]
    assert accepted == []
    assert validate_view(form({"type": "input", "block_id": "x", "label": plain("l")})) != []
    assert validate_view(form(field("x", radio, dispatch_action="yes"))) != []


async def test_what_a_user_enters_is_kept_across_an_update(
    client: AsyncWebClient, slack: SlackStandIn
) -> None:
    text = {"type": "plain_text_input", "action_id": "t"}
    radio = {"type": "radio_buttons", "action_id": "r", "options": [opt("ja"), opt("nej")]}
    opened = await client.views_open(
        trigger_id=slack.issue_trigger_id(),
        view=form(field("a", text), field("b", {**radio, "initial_option": opt("nej")})),
    )
    view_id = opened["view"]["id"]
    assert slack.view_state(view_id)["values"] == {
        "a": {"t": {"type": "plain_text_input", "value": None}},
        "b": {"r": {"type": "radio_buttons", "selected_option": opt("nej")}},
    }
    assert slack.missing_required(view_id) == ["a"]
    slack.enter(view_id, "a", "skrevet")
    slack.enter(view_id, "b", "ja")
    with pytest.raises(ValueError, match="not an option"):
        slack.enter(view_id, "b", "måske")  # not an option: the client cannot pick it
    # Same block_id and action_id: kept. A new block_id: starts afresh.
    await client.views_update(
        view_id=view_id, view=form(field("a", text), field("b2", radio), field("c", text))
    )
    values = slack.view_state(view_id)["values"]
    assert values["a"]["t"]["value"] == "skrevet"
    assert values["b2"]["r"]["selected_option"] is None
    assert slack.missing_required(view_id) == ["b2", "c"]


async def test_the_answer_to_a_submission(client: AsyncWebClient, slack: SlackStandIn) -> None:
    text = {"type": "plain_text_input", "action_id": "t"}
    opened = await client.views_open(
        trigger_id=slack.issue_trigger_id(), view=form(field("a", text))
    )
    view_id = opened["view"]["id"]
    slack.answer_submission(view_id, {"response_action": "errors", "errors": {"a": "Forkert."}})
    assert slack.view_errors[view_id] == {"a": "Forkert."}
    slack.answer_submission(view_id, {"response_action": "errors", "errors": {"nope": "x"}})
    refused = slack.calls_to("view_submission")
    assert len(refused) == 1 and refused[0].response["error"] == "invalid_arguments"
    too_long = {**form(field("a", text)), "title": plain("x" * 25)}
    slack.answer_submission(view_id, {"response_action": "update", "view": too_long})
    assert len(slack.calls_to("view_submission")) == 2
    slack.answer_submission(
        view_id, {"response_action": "update", "view": form({"type": "divider"})}
    )
    assert slack.views[view_id]["blocks"] == [{"type": "divider"}]
    slack.answer_submission(view_id, None)  # an empty answer closes the modal
    assert slack.views == {}


async def test_suggested_prompts_in_the_agent_and_the_assistant_view(
    client: AsyncWebClient, slack: SlackStandIn
) -> None:
    prompts = [{"title": "Ny praktik", "message": "ny praktik"}]
    slack.messaging = "agent"
    await client.assistant_threads_setSuggestedPrompts(
        channel_id="D1", thread_ts="1.1", prompts=prompts
    )
    assert slack.agent_prompts == {} and slack.assistant_threads == {}
    assert [c.method for c in slack.dropped] == ["assistant.threads.setSuggestedPrompts"]
    await client.assistant_threads_setSuggestedPrompts(
        channel_id="D1", prompts=prompts, title="Hej"
    )
    assert slack.agent_prompts["D1"] == {"title": "Hej", "prompts": prompts}
    slack.messaging = "assistant"
    posted = await client.chat_postMessage(channel="D1", text="seneste")
    await client.assistant_threads_setSuggestedPrompts(channel_id="D1", prompts=prompts)
    assert slack.assistant_threads[("D1", posted["ts"])]["prompts"] == prompts
