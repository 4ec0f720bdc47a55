"""The reminder DM's buttons: the functions under the Bolt listeners, with a real reminder
sent through the stand-in, and one signed request through a Bolt app to check wiring."""

from __future__ import annotations

import copy
import datetime as dt
import json
import time
import urllib.parse
import uuid
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import AppConfig
from bot.reminders.scheduler import tick
from bot.slack.listeners.reminders import ActionResult, handle_action, register
from storage.db import Database
from tests.reminder_support import (
    TOKEN,
    Seeded,
    by_status,
    deliveries,
    followup,
    local,
    seed,
)
from tests.slack_harness import sign
from tests.slack_standin import SlackStandIn

MONDAY = dt.date(2026, 11, 30)
AT_8 = local(MONDAY, 8)
CLICK = local(MONDAY, 9)
SECRET = "fedcba9876543210fedcba9876543210"

# Delivery mechanics on the due day only (lead times: tests/test_slack_edges.py).
pytestmark = pytest.mark.due_day_only


async def reminded(
    db: Database, client: AsyncWebClient, slack: SlackStandIn, config: AppConfig
) -> tuple[Seeded, dict[str, Any]]:
    """One follow-up due Monday 30 November; its reminder DM as the stand-in holds it."""
    seeded = await seed(db, consultants=2, per_consultant=1, due=MONDAY)
    await tick(db=db, client=client, config=config, now=AT_8, instance_id="i1")
    [message] = slack.messages[f"D{seeded.slack_users[0]}"]
    return seeded, copy.deepcopy(message)  # as sent (clicks below update the stored one)


def click(
    message: dict[str, Any], action_id: str, user: str, *, selected_date: str | None = None
) -> dict[str, Any]:
    """A block_actions payload as Slack sends it for a click on `action_id`, or for the
    choice of the overflow menu's option "postpone:N" / "pick_date" when `action_id` is
    "pb_rem_postpone:N" / "pick_date" and the message has no such button."""
    wanted = action_id.replace("pb_rem_postpone:", "postpone:")
    for block in message["blocks"]:
        for element in block.get("elements") or []:
            options = {o["value"]: o for o in element.get("options") or []}
            if element.get("action_id") == action_id or (
                element.get("type") == "overflow" and wanted in options
            ):
                action: dict[str, Any] = {
                    "type": element["type"],
                    "action_id": element["action_id"],
                    "block_id": block["block_id"],
                    "action_ts": f"{time.time():.6f}{uuid.uuid4().int % 1000:03d}",
                }
                if element["type"] == "button":
                    action["value"] = element["value"]
                elif element["type"] == "overflow":
                    action["selected_option"] = options[wanted]
                else:
                    action["selected_date"] = selected_date
                return {
                    "type": "block_actions",
                    "team": {"id": "T0TEST"},
                    "user": {"id": user, "team_id": "T0TEST"},
                    "api_app_id": "A0STANDIN",
                    "container": {
                        "type": "message",
                        "message_ts": message["ts"],
                        "channel_id": message["channel"],
                        "is_ephemeral": False,
                    },
                    "channel": {"id": message["channel"]},
                    "message": {k: message[k] for k in ("ts", "text", "blocks")},
                    "actions": [action],
                }
    raise AssertionError(f"no {action_id} in the message")


async def act(
    db: Database, config: AppConfig, client: AsyncWebClient, body: dict[str, Any]
) -> ActionResult:
    return await handle_action(db=db, config=config, client=client, body=body, now=CLICK)


async def with_date_picker(
    db: Database,
    config: AppConfig,
    client: AsyncWebClient,
    slack: SlackStandIn,
    message: dict[str, Any],
    user: str,
) -> dict[str, Any]:
    """The reminder after "Udskyd til en anden dato …" in its overflow menu: the same
    state, now with the date picker (nothing about the follow-up changed)."""
    result = await act(db, config, client, click(message, "pick_date", user))
    assert result.status == "pick_date"
    return copy.deepcopy(slack.message(message["channel"], message["ts"]))


async def test_postpone_two_working_days(
    db: Database, client: AsyncWebClient, slack: SlackStandIn, config: AppConfig
) -> None:
    seeded, message = await reminded(db, client, slack, config)
    anna = seeded.slack_users[0]
    result = await act(db, config, client, click(message, "pb_rem_postpone:2", anna))
    assert (result.status, result.text) == ("done", "Udskudt til onsdag den 2. december 2026")
    stored = await followup(db, seeded.followup_ids[0])
    assert (stored.due_date, stored.postponed_from) == (dt.date(2026, 12, 2), MONDAY)
    updated = slack.message(message["channel"], message["ts"])
    assert updated["edited"]
    assert not [b for b in updated["blocks"] if b["type"] == "actions"]
    assert "Udskudt til onsdag den 2. december 2026" in json.dumps(
        updated["blocks"], ensure_ascii=False
    )
    assert "RS-00000-000" in json.dumps(updated["blocks"])  # what it was about stays
    # The new date gets its own reminder.
    await tick(
        db=db, client=client, config=config, now=local(dt.date(2026, 12, 2), 8), instance_id="i2"
    )
    keys = [r.key for r in await deliveries(db) if r.followup_id == seeded.followup_ids[0]]
    assert keys == [
        f"followup:{seeded.followup_ids[0]}:due:2026-11-30",
        f"followup:{seeded.followup_ids[0]}:due:2026-12-02",
    ]


async def test_postpone_cancels_a_pending_reminder(
    db: Database, client: AsyncWebClient, slack: SlackStandIn, config: AppConfig
) -> None:
    seeded, message = await reminded(db, client, slack, config)
    # Slack is rate limiting: Wednesday's overdue reminder waits, pending.
    slack.fail_next("chat.postMessage", status=429, retry_after=600, times=5)
    wednesday = local(dt.date(2026, 12, 2), 8)
    await tick(db=db, client=client, config=config, now=wednesday, instance_id="i1")
    assert by_status(await deliveries(db)) == {"sent": 2, "pending": 2}
    body = click(message, "pb_rem_postpone:1", seeded.slack_users[0])
    result = await handle_action(db=db, config=config, client=client, body=body, now=wednesday)
    assert result.text == "Udskudt til torsdag den 3. december 2026"
    mine = [r for r in await deliveries(db) if r.followup_id == seeded.followup_ids[0]]
    assert [(r.kind, r.status) for r in mine] == [("due", "sent"), ("overdue", "cancelled")]


async def test_postpone_to_a_chosen_date(
    db: Database, client: AsyncWebClient, slack: SlackStandIn, config: AppConfig
) -> None:
    seeded, message = await reminded(db, client, slack, config)
    anna = seeded.slack_users[0]
    assert "pb_rem_postpone_date" not in json.dumps(message["blocks"])  # in the menu only
    before = await followup(db, seeded.followup_ids[0])
    message = await with_date_picker(db, config, client, slack, message, anna)
    assert (await followup(db, seeded.followup_ids[0])).version == before.version
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    assert actions["block_id"] == f"rem|{before.id}|{before.version}"
    [picker] = [e for e in actions["elements"] if e["type"] == "datepicker"]
    assert picker["initial_date"] == "2026-11-30"
    past = click(message, "pb_rem_postpone_date", anna, selected_date="2026-11-27")
    refused = await act(db, config, client, past)
    assert (refused.status, refused.text) == ("invalid", "Vælg en dato fra i dag eller senere.")
    assert slack.ephemerals[-1]["text"] == "Vælg en dato fra i dag eller senere."
    assert slack.ephemerals[-1]["user"] == anna
    assert (await followup(db, seeded.followup_ids[0])).due_date == MONDAY

    saturday = click(message, "pb_rem_postpone_date", anna, selected_date="2026-12-05")
    result = await act(db, config, client, saturday)
    assert result.text == "Udskudt til mandag den 7. december 2026"
    assert (await followup(db, seeded.followup_ids[0])).due_date == dt.date(2026, 12, 7)


async def test_mark_held(
    db: Database, client: AsyncWebClient, slack: SlackStandIn, config: AppConfig
) -> None:
    seeded, message = await reminded(db, client, slack, config)
    anna = seeded.slack_users[0]
    result = await act(db, config, client, click(message, "pb_rem_held", anna))
    assert (result.status, result.text) == ("done", "Markeret som afholdt")
    stored = await followup(db, seeded.followup_ids[0])
    assert stored.status == "held"
    assert stored.held_at is not None
    updated = slack.message(message["channel"], message["ts"])
    assert "Markeret som afholdt" in json.dumps(updated["blocks"], ensure_ascii=False)
    # Held: no overdue reminders later.
    await tick(
        db=db, client=client, config=config, now=local(dt.date(2026, 12, 2), 8), instance_id="i2"
    )
    assert [r.kind for r in await deliveries(db) if r.followup_id == stored.id] == ["due"]
    # A click on another copy (an older reminder about it) is answered, not applied.
    again = await act(db, config, client, click(message, "pb_rem_postpone:1", anna))
    assert (again.status, again.text) == (
        "stale",
        "Opfølgningen er allerede markeret som afholdt. Intet er ændret.",
    )
    assert (await followup(db, stored.id or 0)).due_date == MONDAY


async def test_only_the_responsible_consultant_may_change_it(
    db: Database, client: AsyncWebClient, slack: SlackStandIn, config: AppConfig
) -> None:
    seeded, message = await reminded(db, client, slack, config)
    bo = seeded.slack_users[1]
    for action in ("pb_rem_held", "pb_rem_postpone:5"):
        result = await act(db, config, client, click(message, action, bo))
        assert result.status == "refused"
    assert [e["text"] for e in slack.ephemerals] == [
        "Det er kun den ansvarlige konsulent for praktikken, der kan ændre denne opfølgning."
    ] * 2
    assert {e["user"] for e in slack.ephemerals} == {bo}
    stored = await followup(db, seeded.followup_ids[0])
    assert (stored.status, stored.due_date) == ("planned", MONDAY)
    assert not slack.message(message["channel"], message["ts"])["edited"]


async def test_a_repeated_delivery_of_one_click_postpones_once(
    db: Database, client: AsyncWebClient, slack: SlackStandIn, config: AppConfig
) -> None:
    seeded, message = await reminded(db, client, slack, config)
    body = click(message, "pb_rem_postpone:1", seeded.slack_users[0])
    first = await act(db, config, client, body)
    second = await act(db, config, client, body)
    assert (first.status, second.status) == ("done", "duplicate")
    assert (await followup(db, seeded.followup_ids[0])).due_date == dt.date(2026, 12, 1)


def signed(payload: dict[str, Any]) -> AsyncBoltRequest:
    body = "payload=" + urllib.parse.quote(json.dumps(payload))
    timestamp = str(int(time.time()))
    signature = sign(body, timestamp, SECRET)
    return AsyncBoltRequest(
        body=body,
        headers={
            "content-type": ["application/x-www-form-urlencoded"],
            "x-slack-request-timestamp": [timestamp],
            "x-slack-signature": [signature],
        },
    )


async def test_register_wires_the_listeners_into_bolt(
    db: Database, client: AsyncWebClient, slack: SlackStandIn, config: AppConfig
) -> None:
    seeded, message = await reminded(db, client, slack, config)
    app = AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=slack.base_url),
        signing_secret=SECRET,
        process_before_response=True,
    )
    register(app, db=db, config=config, clock=lambda: CLICK)
    anna = seeded.slack_users[0]
    response = await app.async_dispatch(signed(click(message, "pick_date", anna)))
    assert response.status == 200
    picking = copy.deepcopy(slack.message(message["channel"], message["ts"]))
    response = await app.async_dispatch(signed(click(message, "pb_rem_postpone:5", anna)))
    assert response.status == 200
    assert (await followup(db, seeded.followup_ids[0])).due_date == dt.date(2026, 12, 7)
    bad = signed(click(message, "pb_rem_held", anna))
    bad.headers["x-slack-signature"] = ["v0=" + "0" * 64]
    assert (await app.async_dispatch(bad)).status == 401
    # The same reminder again: rendered for the follow-up before it was postponed.
    response = await app.async_dispatch(
        signed(click(picking, "pb_rem_postpone_date", anna, selected_date="2026-12-10"))
    )
    assert response.status == 200
    stored = await followup(db, seeded.followup_ids[0])
    assert (stored.status, stored.due_date) == ("planned", dt.date(2026, 12, 7))
    # The reminder for the new date acts.
    await tick(
        db=db, client=client, config=config, now=local(dt.date(2026, 12, 7), 8), instance_id="i2"
    )
    fresh = copy.deepcopy(slack.messages[message["channel"]][-1])
    response = await app.async_dispatch(signed(click(fresh, "pick_date", anna)))
    fresh = copy.deepcopy(slack.message(fresh["channel"], fresh["ts"]))
    response = await app.async_dispatch(
        signed(click(fresh, "pb_rem_postpone_date", anna, selected_date="2026-12-10"))
    )
    assert response.status == 200
    stored = await followup(db, seeded.followup_ids[0])
    assert (stored.status, stored.due_date) == ("planned", dt.date(2026, 12, 10))
    await tick(
        db=db, client=client, config=config, now=local(dt.date(2026, 12, 10), 8), instance_id="i3"
    )
    latest = copy.deepcopy(slack.messages[message["channel"]][-1])
    response = await app.async_dispatch(signed(click(latest, "pb_rem_held", anna)))
    assert response.status == 200
    assert (await followup(db, seeded.followup_ids[0])).status == "held"
