"""Tests of the Slack stand-in, driven through the real AsyncWebClient over HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.slack_standin import SlackStandIn, validate_blocks, validate_view

pytestmark = pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")

TOKEN = "xoxb-test-token"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def client(slack: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=slack.base_url)


@pytest.fixture
def clock(slack: SlackStandIn) -> FakeClock:
    fake = FakeClock()
    slack.clock = fake
    return fake


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(action_id: str, text: str = "Go", value: str = "v") -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": plain(text), "value": value}


def actions(*elements: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements), **extra}


def static_select(options: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": "pick",
        "placeholder": plain("Pick"),
        "options": options,
    }


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


def modal(blocks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": plain("Praktik"), "blocks": blocks, **extra}


async def api_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value


# --------------------------------------------------------------------------- server


async def test_base_url_points_at_a_running_server(slack: SlackStandIn) -> None:
    assert slack.base_url.startswith("http://127.0.0.1:")
    assert slack.base_url.endswith("/api/")
    assert int(slack.base_url.split(":")[2].split("/")[0]) > 0


def test_base_url_requires_start() -> None:
    standin = SlackStandIn()
    with pytest.raises(RuntimeError):
        _ = standin.base_url


async def test_auth_test_answers_bot_identity(client: AsyncWebClient) -> None:
    response = await client.auth_test()
    assert response["ok"] is True
    assert response["user_id"] == "UBOT"
    assert response["team_id"] == "T0TEST"
    assert response["bot_id"]
    assert response["url"].startswith("https://")


async def test_custom_identity() -> None:
    async with SlackStandIn(bot_token="xoxb-other", bot_user_id="U42", team_id="T42") as s:
        client = AsyncWebClient(token="xoxb-other", base_url=s.base_url)
        response = await client.auth_test()
    assert (response["user_id"], response["team_id"]) == ("U42", "T42")


async def test_wrong_and_missing_token(slack: SlackStandIn) -> None:
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=slack.base_url)
    error = await api_error(wrong.auth_test())
    assert error.response["error"] == "invalid_auth"
    missing = AsyncWebClient(base_url=slack.base_url)
    error = await api_error(missing.chat_postMessage(channel="C1", text="hi"))
    assert error.response["error"] == "not_authed"
    assert slack.messages == {}


async def test_token_as_form_param_and_form_body(slack: SlackStandIn) -> None:
    client = AsyncWebClient(base_url=slack.base_url)
    blocks = [section("*Hej*")]
    response = await client.api_call(
        "chat.postMessage",
        data={"token": TOKEN, "channel": "C1", "text": "Hej", "blocks": json.dumps(blocks)},
    )
    assert response["ok"] is True
    stored = slack.message("C1", response["ts"])
    assert stored["blocks"] == blocks
    assert slack.calls[-1].params["blocks"] == blocks
    assert "token" not in slack.calls[-1].params


async def test_unknown_method_is_404(client: AsyncWebClient, slack: SlackStandIn) -> None:
    error = await api_error(client.api_call("chat.nonsense"))
    assert error.response.status_code == 404
    assert error.response["error"] == "unknown_method"
    assert slack.calls[-1].method == "chat.nonsense"
    assert slack.calls[-1].status == 404


async def test_every_call_is_recorded_in_order(client: AsyncWebClient, slack: SlackStandIn) -> None:
    await client.auth_test()
    await api_error(client.users_info(user="UNOBODY"))
    await client.chat_postMessage(channel="C1", text="hi")
    assert [c.method for c in slack.calls] == ["auth.test", "users.info", "chat.postMessage"]
    failed = slack.calls_to("users.info")[0]
    assert failed.status == 200
    assert failed.response == {"ok": False, "error": "user_not_found"}
    assert slack.calls[2].params == {"channel": "C1", "text": "hi"}
    assert slack.calls[0].at <= slack.calls[1].at <= slack.calls[2].at


# ------------------------------------------------------------------------- messages


async def test_post_update_and_thread(client: AsyncWebClient, slack: SlackStandIn) -> None:
    parent = await client.chat_postMessage(channel="C1", text="parent", blocks=[section("p")])
    reply1 = await client.chat_postMessage(channel="C1", text="one", thread_ts=parent["ts"])
    await client.chat_postMessage(channel="C2", text="elsewhere")
    reply2 = await client.chat_postMessage(channel="C1", text="two", thread_ts=parent["ts"])
    assert parent["channel"] == "C1"
    assert parent["message"]["text"] == "parent"
    assert parent["ts"] < reply1["ts"] < reply2["ts"]
    assert len({parent["ts"], reply1["ts"], reply2["ts"]}) == 3

    thread = slack.thread("C1", parent["ts"])
    assert [m["text"] for m in thread] == ["parent", "one", "two"]
    assert thread[1]["thread_ts"] == parent["ts"]
    assert thread[0]["thread_ts"] is None
    assert thread[0]["user"] == "UBOT"
    assert [m["text"] for m in slack.messages["C2"]] == ["elsewhere"]

    updated = await client.chat_update(channel="C1", ts=reply1["ts"], text="one, edited")
    assert updated["ts"] == reply1["ts"]
    stored = slack.message("C1", reply1["ts"])
    assert stored["text"] == "one, edited"
    assert stored["edited"] is True
    assert stored["update_count"] == 1
    assert slack.message("C1", parent["ts"])["edited"] is False

    await client.chat_update(channel="C1", ts=parent["ts"], text="new", blocks=[section("q")])
    assert slack.message("C1", parent["ts"])["blocks"] == [section("q")]


async def test_update_keeps_blocks_when_only_text_given(
    client: AsyncWebClient, slack: SlackStandIn
) -> None:
    posted = await client.chat_postMessage(channel="C1", text="a", blocks=[section("a")])
    await client.chat_update(channel="C1", ts=posted["ts"], text="b")
    assert slack.message("C1", posted["ts"])["blocks"] == [section("a")]


async def test_update_errors(client: AsyncWebClient, slack: SlackStandIn) -> None:
    error = await api_error(client.chat_update(channel="C1", ts="1.000001", text="x"))
    assert error.response["error"] == "message_not_found"
    human = slack.add_user_message("C1", "I wrote this", user="U1")
    error = await api_error(client.chat_update(channel="C1", ts=human["ts"], text="x"))
    assert error.response["error"] == "cant_update_message"
    assert slack.message("C1", human["ts"])["text"] == "I wrote this"


async def test_post_validation_errors(client: AsyncWebClient, slack: SlackStandIn) -> None:
    error = await api_error(client.chat_postMessage(channel="C1"))
    assert error.response["error"] == "no_text"
    error = await api_error(client.chat_postMessage(channel="C1", text="x" * 40_001))
    assert error.response["error"] == "msg_too_long"
    assert slack.messages == {}
    await client.chat_postMessage(channel="C1", text="x" * 40_000)
    assert len(slack.messages["C1"]) == 1


async def test_fifty_one_blocks_are_invalid(client: AsyncWebClient, slack: SlackStandIn) -> None:
    error = await api_error(
        client.chat_postMessage(channel="C1", text="t", blocks=[{"type": "divider"}] * 51)
    )
    assert error.response["error"] == "invalid_blocks"
    assert any("50" in e for e in error.response["errors"])
    assert slack.messages == {}
    await client.chat_postMessage(channel="C1", text="t", blocks=[{"type": "divider"}] * 50)
    assert len(slack.messages["C1"]) == 1


async def test_long_section_is_invalid(client: AsyncWebClient, slack: SlackStandIn) -> None:
    error = await api_error(client.chat_postMessage(channel="C1", blocks=[section("x" * 3001)]))
    assert error.response["error"] == "invalid_blocks"
    assert "3000" in error.response["errors"][0]
    assert error.response["response_metadata"]["messages"][0].startswith("[ERROR]")
    await client.chat_postMessage(channel="C1", blocks=[section("x" * 3000)])
    assert len(slack.messages["C1"]) == 1


async def test_bad_element_is_invalid(client: AsyncWebClient, slack: SlackStandIn) -> None:
    error = await api_error(
        client.chat_postMessage(channel="C1", text="t", blocks=[actions({"type": "bogus"})])
    )
    assert error.response["error"] == "invalid_blocks"
    assert "/blocks/0/elements/0" in error.response["errors"][0]
    error = await api_error(
        client.chat_postMessage(channel="C1", text="t", blocks=[{"type": "no_such_block"}])
    )
    assert error.response["error"] == "invalid_blocks"
    assert slack.messages == {}


async def test_update_validates_blocks(client: AsyncWebClient, slack: SlackStandIn) -> None:
    posted = await client.chat_postMessage(channel="C1", text="a")
    error = await api_error(
        client.chat_update(channel="C1", ts=posted["ts"], blocks=[section("x" * 3001)])
    )
    assert error.response["error"] == "invalid_blocks"
    assert slack.message("C1", posted["ts"])["update_count"] == 0


async def test_too_much_text_in_blocks(client: AsyncWebClient, slack: SlackStandIn) -> None:
    blocks = [section("x" * 2700) for _ in range(5)]  # 13,500 characters
    error = await api_error(client.chat_postMessage(channel="C1", text="t", blocks=blocks))
    assert error.response["error"] == "msg_blocks_too_long"
    await client.chat_postMessage(channel="C1", text="t", blocks=blocks[:4])
    assert len(slack.messages["C1"]) == 1


async def test_posting_to_a_user_goes_to_the_dm(
    client: AsyncWebClient, slack: SlackStandIn
) -> None:
    opened = await client.conversations_open(users="U1")
    again = await client.conversations_open(users=["U1"])
    assert opened["channel"]["id"] == again["channel"]["id"] == "DU1"
    posted = await client.chat_postMessage(channel="U1", text="hej")
    assert posted["channel"] == "DU1"
    assert [m["text"] for m in slack.messages["DU1"]] == ["hej"]
    error = await api_error(client.api_call("conversations.open", params={}))
    assert error.response["error"] == "users_list_not_supplied"


async def test_ephemeral_and_delete(client: AsyncWebClient, slack: SlackStandIn) -> None:
    response = await client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert response["message_ts"]
    assert slack.ephemerals == [
        {
            "channel": "C1",
            "user": "U1",
            "text": "only you",
            "blocks": [],
            "thread_ts": None,
            "message_ts": response["message_ts"],
        }
    ]
    assert slack.messages == {}
    posted = await client.chat_postMessage(channel="C1", text="bye")
    await client.chat_delete(channel="C1", ts=posted["ts"])
    assert slack.messages["C1"] == []
    error = await api_error(client.chat_delete(channel="C1", ts=posted["ts"]))
    assert error.response["error"] == "message_not_found"


async def test_metadata_is_stored(client: AsyncWebClient, slack: SlackStandIn) -> None:
    metadata = {"event_type": "praktik_case", "event_payload": {"case_id": "42"}}
    posted = await client.chat_postMessage(channel="C1", text="t", metadata=metadata)
    assert slack.message("C1", posted["ts"])["metadata"] == metadata


# ------------------------------------------------------------- rate limits, failures


async def test_rate_limit_per_channel(
    client: AsyncWebClient, slack: SlackStandIn, clock: FakeClock
) -> None:
    slack.rate_limit_enabled = True
    await client.chat_postMessage(channel="C1", text="one")
    clock.now += 0.4
    error = await api_error(client.chat_postMessage(channel="C1", text="two"))
    assert error.response.status_code == 429
    assert error.response["error"] == "ratelimited"
    retry_after = error.response.headers["Retry-After"]
    assert retry_after.isdigit()
    assert int(retry_after) >= 1
    await client.chat_postMessage(channel="C2", text="other channel")
    clock.now += 0.7
    await client.chat_postMessage(channel="C1", text="three")
    assert [m["text"] for m in slack.messages["C1"]] == ["one", "three"]
    assert slack.calls_to("chat.postMessage")[1].status == 429


async def test_rate_limit_off_by_default(client: AsyncWebClient, slack: SlackStandIn) -> None:
    for n in range(3):
        await client.chat_postMessage(channel="C1", text=str(n))
    assert len(slack.messages["C1"]) == 3


async def test_fail_next_500(client: AsyncWebClient, slack: SlackStandIn) -> None:
    slack.fail_next("chat.postMessage", status=500, times=2)
    for _ in range(2):
        error = await api_error(client.chat_postMessage(channel="C1", text="x"))
        assert error.response.status_code == 500
        assert error.response["error"] == "internal_error"
    await client.chat_postMessage(channel="C1", text="x")
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [500, 500, 200]
    assert len(slack.messages["C1"]) == 1


async def test_fail_next_only_hits_that_method(client: AsyncWebClient, slack: SlackStandIn) -> None:
    slack.fail_next("views.publish", status=503, error="service_unavailable")
    await client.chat_postMessage(channel="C1", text="x")
    error = await api_error(client.views_publish(user_id="U1", view={"type": "home"}))
    assert error.response.status_code == 503
    assert error.response["error"] == "service_unavailable"


async def test_fail_next_429_with_retry_after(client: AsyncWebClient, slack: SlackStandIn) -> None:
    slack.fail_next("chat.update", status=429, retry_after=7)
    error = await api_error(client.chat_update(channel="C1", ts="1.1", text="x"))
    assert error.response.status_code == 429
    assert error.response["error"] == "ratelimited"
    assert error.response.headers["Retry-After"] == "7"


async def test_sdk_retry_handler_honours_retry_after(slack: SlackStandIn) -> None:
    client = AsyncWebClient(
        token=TOKEN,
        base_url=slack.base_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    response = await client.chat_postMessage(channel="C1", text="eventually")
    assert response["ok"] is True
    calls = slack.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 1.0


# ---------------------------------------------------------------------------- views


async def test_views_open_push_update(client: AsyncWebClient, slack: SlackStandIn) -> None:
    opened = await client.views_open(
        trigger_id=slack.issue_trigger_id(),
        view=modal([section("one")], callback_id="first", external_id="ext-1"),
    )
    view_id = opened["view"]["id"]
    assert slack.views[view_id]["callback_id"] == "first"
    pushed = await client.views_push(
        trigger_id=slack.issue_trigger_id(view_id=view_id), view=modal([section("two")])
    )
    assert pushed["view"]["root_view_id"] == view_id
    assert pushed["view"]["previous_view_id"] == view_id
    await client.views_update(view_id=view_id, view=modal([section("one, again")]))
    assert slack.views[view_id]["blocks"] == [section("one, again")]
    await client.views_update(external_id="ext-1", view=modal([section("by external id")]))
    assert slack.views[view_id]["blocks"] == [section("by external id")]
    error = await api_error(client.views_update(view_id="VNOPE", view=modal([section("x")])))
    assert error.response["error"] == "not_found"
    slack.close_view(view_id)
    assert slack.views == {}


async def test_view_hash_conflict(client: AsyncWebClient, slack: SlackStandIn) -> None:
    opened = await client.views_open(
        trigger_id=slack.issue_trigger_id(), view=modal([section("a")])
    )
    view = opened["view"]
    await client.views_update(view_id=view["id"], hash=view["hash"], view=modal([section("b")]))
    error = await api_error(
        client.views_update(view_id=view["id"], hash=view["hash"], view=modal([section("c")]))
    )
    assert error.response["error"] == "hash_conflict"


async def test_modal_stack_holds_three(client: AsyncWebClient, slack: SlackStandIn) -> None:
    await client.views_open(trigger_id=slack.issue_trigger_id(), view=modal([section("1")]))
    for n in ("2", "3"):
        await client.views_push(trigger_id=slack.issue_trigger_id(), view=modal([section(n)]))
    error = await api_error(
        client.views_push(trigger_id=slack.issue_trigger_id(), view=modal([section("4")]))
    )
    assert error.response["error"] == "push_limit_reached"
    assert len(slack.views) == 3


async def test_view_with_101_blocks_is_refused(client: AsyncWebClient, slack: SlackStandIn) -> None:
    trigger_id = slack.issue_trigger_id()
    error = await api_error(
        client.views_open(trigger_id=trigger_id, view=modal([{"type": "divider"}] * 101))
    )
    assert error.response["error"] == "invalid_arguments"
    messages = error.response["response_metadata"]["messages"]
    assert any("100" in m for m in messages)
    assert slack.views == {}
    await client.views_open(trigger_id=trigger_id, view=modal([{"type": "divider"}] * 100))
    assert len(slack.views) == 1


async def test_invalid_modal_fields_refused(client: AsyncWebClient, slack: SlackStandIn) -> None:
    long_title = modal([section("x")])
    long_title["title"] = plain("x" * 25)
    error = await api_error(client.views_open(trigger_id=slack.issue_trigger_id(), view=long_title))
    assert error.response["error"] == "invalid_arguments"
    error = await api_error(
        client.views_open(
            trigger_id=slack.issue_trigger_id(),
            view=modal([section("x")], private_metadata="m" * 3001),
        )
    )
    assert error.response["error"] == "invalid_arguments"
    assert slack.views == {}


async def test_trigger_id_unknown_expired_reused(
    client: AsyncWebClient, slack: SlackStandIn, clock: FakeClock
) -> None:
    view = modal([section("x")])
    error = await api_error(client.views_open(trigger_id="123.456.abc", view=view))
    assert error.response["error"] == "invalid_trigger_id"

    expiring = slack.issue_trigger_id()
    clock.now += 3.5
    error = await api_error(client.views_open(trigger_id=expiring, view=view))
    assert error.response["error"] == "expired_trigger_id"

    fresh = slack.issue_trigger_id()
    clock.now += 2.9
    await client.views_open(trigger_id=fresh, view=view)
    error = await api_error(client.views_open(trigger_id=fresh, view=view))
    assert error.response["error"] == "exchanged_trigger_id"
    error = await api_error(client.views_push(trigger_id=fresh, view=view))
    assert error.response["error"] == "exchanged_trigger_id"
    assert len(slack.views) == 1


async def test_views_publish_home(client: AsyncWebClient, slack: SlackStandIn) -> None:
    home = {"type": "home", "blocks": [section("Velkommen")]}
    first = await client.views_publish(user_id="U1", view=home)
    assert slack.home_views["U1"]["blocks"] == [section("Velkommen")]
    assert slack.home_views["U1"]["type"] == "home"
    await client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("Igen")]})
    assert slack.home_views["U1"]["blocks"] == [section("Igen")]
    assert slack.home_views["U1"]["id"] == first["view"]["id"]
    assert slack.views == {}


async def test_views_publish_refusals(client: AsyncWebClient, slack: SlackStandIn) -> None:
    error = await api_error(client.views_publish(user_id="U1", view=modal([section("x")])))
    assert error.response["error"] == "invalid_arguments"
    too_many = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    error = await api_error(client.views_publish(user_id="U1", view=too_many))
    assert error.response["error"] == "invalid_arguments"
    assert slack.home_views == {}


# ---------------------------------------------------------------------------- users


async def test_users_info(client: AsyncWebClient, slack: SlackStandIn) -> None:
    slack.add_user("U1", name="mette", real_name="Mette Hansen", tz="Europe/Copenhagen")
    response = await client.users_info(user="U1")
    user = response["user"]
    assert user["id"] == "U1"
    assert user["real_name"] == "Mette Hansen"
    assert user["tz"] == "Europe/Copenhagen"
    assert user["tz_offset"] in (3600, 7200)
    assert user["is_bot"] is False
    assert "locale" not in user
    with_locale = await client.users_info(user="U1", include_locale=True)
    assert with_locale["user"]["locale"]


async def test_unknown_user(client: AsyncWebClient) -> None:
    error = await api_error(client.users_info(user="UNKNOWN"))
    assert error.response["error"] == "user_not_found"


# ------------------------------------------------------------------------ assistant


async def test_assistant_methods(client: AsyncWebClient, slack: SlackStandIn) -> None:
    await client.assistant_threads_setStatus(channel_id="D1", thread_ts="1.1", status="tænker…")
    await client.assistant_threads_setTitle(channel_id="D1", thread_ts="1.1", title="Praktik")
    prompts = [{"title": f"P{n}", "message": f"Message {n}"} for n in range(4)]
    await client.assistant_threads_setSuggestedPrompts(
        channel_id="D1", thread_ts="1.1", prompts=prompts
    )
    thread = slack.assistant_threads[("D1", "1.1")]
    assert thread["status"] == "tænker…"
    assert thread["title"] == "Praktik"
    assert thread["prompts"] == prompts
    await client.assistant_threads_setStatus(channel_id="D1", thread_ts="1.1", status="")
    assert thread["status"] == ""


async def test_assistant_refusals(client: AsyncWebClient, slack: SlackStandIn) -> None:
    five = [{"title": f"P{n}", "message": "m"} for n in range(5)]
    error = await api_error(
        client.assistant_threads_setSuggestedPrompts(channel_id="D1", thread_ts="1.1", prompts=five)
    )
    assert error.response["error"] == "invalid_arguments"
    error = await api_error(
        client.assistant_threads_setSuggestedPrompts(
            channel_id="D1", thread_ts="1.1", prompts=[{"title": "no message"}]
        )
    )
    assert error.response["error"] == "invalid_arguments"
    error = await api_error(client.api_call("assistant.threads.setTitle", json={"title": "t"}))
    assert error.response["error"] == "invalid_arguments"
    assert slack.assistant_threads == {}


# ----------------------------------------------------------------- blockkit (units)

VALID_BLOCKS: list[dict[str, Any]] = [
    {"type": "header", "text": plain("h" * 150)},
    section("s" * 3000, block_id="b" * 255),
    {"type": "section", "fields": [plain("f")] * 10},
    actions(*[button(f"a{n}", text="t" * 75, value="v" * 2000) for n in range(25)]),
    {"type": "context", "elements": [plain("c")] * 10},
    actions(
        static_select([option("o" * 75, "v" * 150)] + [option("x", str(n)) for n in range(99)])
    ),
    actions(button("x" * 255)),
]


def test_valid_blocks_at_every_limit_pass() -> None:
    for block in VALID_BLOCKS:
        assert validate_blocks([block], surface="message") == [], block


@pytest.mark.parametrize(
    ("blocks", "needle"),
    [
        ([{"type": "divider"}] * 51, "50"),
        ([{"type": "header", "text": plain("h" * 151)}], "150"),
        ([section("s" * 3001)], "3000"),
        ([{"type": "section", "fields": [plain("f")] * 11}], "10"),
        ([actions(*[button(f"a{n}") for n in range(26)])], "25"),
        ([{"type": "context", "elements": [plain("c")] * 11}], "10"),
        ([actions(button("a", text="t" * 76))], "75"),
        ([actions(button("a", value="v" * 2001))], "2000"),
        ([actions(button("a" * 256))], "255"),
        ([{"type": "divider", "block_id": "b" * 256}], "255"),
        ([actions(static_select([option("x", str(n)) for n in range(101)]))], "100"),
        ([actions(static_select([option("o" * 76, "v")]))], "75"),
        ([actions(static_select([option("o", "v" * 151)]))], "150"),
        ([section("a", block_id="same"), section("b", block_id="same")], "duplicate block_id"),
        ([actions(button("same"), button("same"))], "duplicate action_id"),
        ([section("x" * 2600) for _ in range(6)], "msg_blocks_too_long"),
        ([{"type": "no_such_block"}], "unsupported block type"),
        ([actions({"type": "bogus"})], "unsupported element type"),
        ([section("a", accessory={"type": "bogus"})], "unsupported element type"),
        ([section("")], "more than 0 characters"),
        (["not a block"], "object with a type"),
        ([{"type": "actions"}], "elements"),
    ],
)
def test_invalid_blocks_are_reported(blocks: list[dict[str, Any]], needle: str) -> None:
    errors = validate_blocks(blocks, surface="message")
    assert errors
    assert any(needle in error for error in errors), errors


def test_views_allow_100_blocks_messages_50() -> None:
    blocks = [{"type": "divider"}] * 100
    assert validate_blocks(blocks, surface="modal") == []
    assert validate_blocks(blocks, surface="home") == []
    assert validate_blocks(blocks, surface="message") != []
    assert validate_blocks([*blocks, {"type": "divider"}], surface="modal") != []


def test_the_block_text_total_applies_to_messages_only() -> None:
    blocks = [section("x" * 2600) for _ in range(6)]
    assert validate_blocks(blocks, surface="modal") == []


def test_validate_view() -> None:
    assert validate_view(modal([section("x")], submit=plain("Send"), close=plain("Luk"))) == []
    assert validate_view({"type": "home", "blocks": [section("x")]}) == []
    for bad in (
        {"type": "modal", "blocks": [section("x")]},  # no title
        modal([section("x")], submit=plain("s" * 25)),
        modal([section("x")], close=plain("c" * 25)),
        modal([section("x")], private_metadata="m" * 3001),
        modal([section("x")], callback_id="c" * 256),
        modal([]),
        modal([{"type": "divider"}] * 101),
        modal([{"type": "input", "label": plain("L"), "element": {"type": "plain_text_input"}}]),
        {"type": "home", "blocks": [section("x")], "submit": plain("s")},
        {"type": "workflow_step", "blocks": [section("x")]},
        modal([section("s" * 3001)]),
    ):
        assert validate_view(bad), bad
