"""Acting in Slack modals as a consultant would, through the stand-in and signed requests.

Slack's client keeps what is typed in a modal; the stand-in models it (`enter`,
`view_payload`, `answer_submission`), and these helpers send the interactions Slack sends:
a change of an input that dispatches (`block_actions` from the view), a submission
(`view_submission`, whose answer changes the modal) and a close (`view_closed`)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import ClientResponse

from tests.slack_harness import TEAM, SlackBot, message_text

Pick = Callable[[dict[str, Any]], bool]


def action_ts() -> str:
    return f"{time.time():.6f}{uuid.uuid4().int % 1000:03d}"


def top_modal(bot: SlackBot) -> dict[str, Any]:
    modals = bot.slack.open_modals()
    assert len(modals) == 1, f"expected one open modal, got {len(modals)}"
    return modals[0]


def view_text(view: dict[str, Any]) -> str:
    return message_text({"blocks": view.get("blocks") or []})


def field_block(view: dict[str, Any], field_id: str) -> str:
    """The block id of a form field (f|{field id}|{options key})."""
    for block in view["blocks"]:
        parts = str(block.get("block_id") or "").split("|")
        if block.get("type") == "input" and len(parts) == 3 and parts[1] == field_id:
            return str(block["block_id"])
    raise AssertionError(f"no field {field_id!r} in the form: {view_text(view)[:500]}")


def fields_of(view: dict[str, Any]) -> list[str]:
    return [
        str(b["block_id"]).split("|")[1]
        for b in view["blocks"]
        if b.get("type") == "input" and str(b.get("block_id", "")).startswith("f|")
    ]


def _base(user: str) -> dict[str, Any]:
    return {
        "team": {"id": TEAM},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A0STANDIN",
    }


async def fill(bot: SlackBot, user: str, field_id: str, value: Any) -> ClientResponse | None:
    """Type or pick `value` in a field of the open form; an input that dispatches sends
    its change, as Slack does (and the form may be redrawn)."""
    view = top_modal(bot)
    block_id = field_block(view, field_id)
    state = bot.slack.enter(view["id"], block_id, value)
    if not bot.slack.input_block(view["id"], block_id).get("dispatch_action"):
        return None
    response = await send_change(bot, user, view, block_id, state)
    assert response.status == 200, await response.text()
    await bot.wait_idle()
    return response


async def send_change(
    bot: SlackBot, user: str, view: dict[str, Any], block_id: str, state: dict[str, Any]
) -> ClientResponse:
    """The block_actions Slack sends for `state` entered in an input of `view` (sent by
    Slack for a dispatching input; for any other, what a forged request can send)."""
    element = bot.slack.input_block(view["id"], block_id)["element"]
    payload = {
        **_base(user),
        "type": "block_actions",
        "trigger_id": bot.slack.issue_trigger_id(view_id=view["id"]),
        "container": {"type": "view", "view_id": view["id"]},
        "view": bot.slack.view_payload(view["id"]),
        "actions": [
            {
                "type": element["type"],
                "action_id": element["action_id"],
                "block_id": block_id,
                "action_ts": action_ts(),
                **{k: v for k, v in state.items() if k != "type"},
            }
        ],
    }
    return await bot.interactive(payload)


async def fill_all(bot: SlackBot, user: str, values: dict[str, Any]) -> None:
    for field_id, value in values.items():
        await fill(bot, user, field_id, value)


async def submit(bot: SlackBot, user: str) -> dict[str, Any] | None:
    """Press the modal's submit button; returns the app's answer (None: it closed it)."""
    view = top_modal(bot)
    missing = bot.slack.missing_required(view["id"])
    assert missing == [], f"Slack's client does not submit with empty required {missing}"
    payload = {
        **_base(user),
        "type": "view_submission",
        "trigger_id": bot.slack.issue_trigger_id(view_id=view["id"]),
        "view": bot.slack.view_payload(view["id"]),
        "response_urls": [],
    }
    response = await bot.interactive(payload)
    assert response.status == 200, await response.text()
    raw = await response.text()
    answer = json.loads(raw) if raw.strip() else None
    bot.slack.answer_submission(view["id"], answer)
    await bot.wait_idle()
    return answer


async def close(bot: SlackBot, user: str) -> None:
    """Close the modal with its close button (Slack then sends view_closed)."""
    view = top_modal(bot)
    payload = {
        **_base(user),
        "type": "view_closed",
        "view": bot.slack.view_payload(view["id"]),
        "is_cleared": False,
    }
    bot.slack.close_view(view["id"])
    response = await bot.interactive(payload)
    assert response.status == 200, await response.text()
    await bot.wait_idle()


async def click_in_modal(bot: SlackBot, user: str, label: str) -> None:
    """Click a button in the open modal (e.g. 'Ret svar')."""
    view = top_modal(bot)
    for block in view["blocks"]:
        for element in block.get("elements") or []:
            if element.get("type") == "button" and element["text"]["text"] == label:
                payload = {
                    **_base(user),
                    "type": "block_actions",
                    "trigger_id": bot.slack.issue_trigger_id(view_id=view["id"]),
                    "container": {"type": "view", "view_id": view["id"]},
                    "view": bot.slack.view_payload(view["id"]),
                    "actions": [
                        {
                            "type": "button",
                            "action_id": element["action_id"],
                            "block_id": block.get("block_id"),
                            "value": element.get("value"),
                            "action_ts": action_ts(),
                        }
                    ],
                }
                response = await bot.interactive(payload)
                assert response.status == 200, await response.text()
                await bot.wait_idle()
                return
    raise AssertionError(f"no button {label!r} in the modal")


async def open_home(bot: SlackBot, user: str) -> dict[str, Any]:
    response = await bot.event({"type": "app_home_opened", "user": user, "tab": "home"})
    assert response.status == 200
    await bot.wait_idle()
    return bot.slack.home_views[user]


async def click_home(bot: SlackBot, user: str, pick: Pick, *, selected: str | None = None) -> None:
    """Click (or choose in) an element of the user's Home tab."""
    home = bot.slack.home_views[user]
    for block in home["blocks"]:
        for element in block.get("elements") or []:
            if "action_id" not in element or not pick(element):
                continue
            action: dict[str, Any] = {
                "type": element["type"],
                "action_id": element["action_id"],
                "block_id": block.get("block_id"),
                "action_ts": action_ts(),
            }
            if element["type"] == "button":
                action["value"] = element.get("value")
                action["text"] = element["text"]
            elif element["type"] == "static_select":
                action["selected_option"] = next(
                    o for o in element["options"] if selected in (o["value"], o["text"]["text"])
                )
            payload = {
                **_base(user),
                "type": "block_actions",
                "trigger_id": bot.slack.issue_trigger_id(),
                "container": {"type": "view", "view_id": home["id"]},
                "view": bot.slack.home_payload(user),
                "actions": [action],
            }
            response = await bot.interactive(payload)
            assert response.status == 200, await response.text()
            await bot.wait_idle()
            return
    raise AssertionError("no such element on Home")


def form_offer(element: dict[str, Any]) -> bool:
    return element.get("type") == "button" and element["text"]["text"] == "Udfyld som formular"


def form_select(element: dict[str, Any]) -> bool:
    placeholder = (element.get("placeholder") or {}).get("text")
    return element.get("type") == "static_select" and placeholder == "Udfyld som formular"
