"""Tests of the Slack stand-in, driven through the real AsyncWebClient over HTTP.

The stand-in models only the Web API methods the bot calls (see its module docstring);
these tests pin down how it answers them, so the bot's tests can trust what it records."""

from __future__ import annotations

import json
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


async def test_wrong_and_missing_token(slack: SlackStandIn) -> None:
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=slack.base_url)
    error = await api_error(wrong.auth_test())
    assert error.response["error"] == "invalid_auth"
    missing = AsyncWebClient(base_url=slack.base_url)
    error = await api_error(missing.chat_postMessage(channel="C1", text="hi"))
    assert error.response["error"] == "not_authed"
    assert slack.messages == {}


async def test_json_body_and_query_parameters_but_no_form_body(
    client: AsyncWebClient, slack: SlackStandIn
) -> None:
    blocks = [section("*Hej*")]
    response = await client.api_call(
        "chat.postMessage", json={"channel": "C1", "text": "Hej", "blocks": json.dumps(blocks)}
    )
    assert slack.message("C1", response["ts"])["blocks"] == blocks  # JSON string decoded
    assert slack.calls[-1].params["blocks"] == blocks
    opened = await client.api_call("conversations.open", params={"users": "U1"})
    assert opened["channel"]["id"] == "DU1"
    error = await api_error(
        client.api_call("chat.postMessage", data={"channel": "C1", "text": "form"})
    )
    assert error.response["error"] == "invalid_form_data"  # slack_sdk sends JSON


async def test_unknown_method_is_404(client: AsyncWebClient, slack: SlackStandIn) -> None:
    error = await api_error(client.api_call("chat.nonsense"))
    assert error.response.status_code == 404
    assert error.response["error"] == "unknown_method"
    assert slack.calls[-1].method == "chat.nonsense"
    assert slack.calls[-1].status == 404


async def test_every_call_is_recorded_in_order(client: AsyncWebClient, slack: SlackStandIn) -> None:
    await client.auth_test()
    await api_error(client.api_call("conversations.open", params={}))
    await client.chat_postMessage(channel="C1", text="hi")
    assert [c.method for c in slack.calls] == [
        "auth.test",
        "conversations.open",
        "chat.postMessage",
    ]
    failed = slack.calls_to("conversations.open")[0]
    assert failed.status == 200
    assert failed.response == {"ok": False, "error": "users_list_not_supplied"}
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
    error = await api_error(client.conversations_open(users=["U1", "U2"]))
    assert error.response["error"] == "invalid_arguments"  # the bot opens one-to-one DMs


async def test_ephemeral(client: AsyncWebClient, slack: SlackStandIn) -> None:
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
    error = await api_error(client.chat_postEphemeral(channel="C1", user="", text="x"))
    assert error.response["error"] == "user_not_in_channel"


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


async def test_views_publish_home(client: AsyncWebClient, slack: SlackStandIn) -> None:
    home = {"type": "home", "blocks": [section("Velkommen")]}
    first = await client.views_publish(user_id="U1", view=home)
    assert slack.home_views["U1"]["blocks"] == [section("Velkommen")]
    assert slack.home_views["U1"]["type"] == "home"
    await client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("Igen")]})
    assert slack.home_views["U1"]["blocks"] == [section("Igen")]
    assert slack.home_views["U1"]["id"] == first["view"]["id"]


async def test_views_publish_refusals(client: AsyncWebClient, slack: SlackStandIn) -> None:
    modal = {"type": "modal", "title": plain("Praktik"), "blocks": [section("x")]}
    error = await api_error(client.views_publish(user_id="U1", view=modal))
    assert error.response["error"] == "invalid_arguments"
    too_many = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    error = await api_error(client.views_publish(user_id="U1", view=too_many))
    assert error.response["error"] == "invalid_arguments"
    assert any("100" in m for m in error.response["response_metadata"]["messages"])
    assert slack.home_views == {}
    await client.views_publish(user_id="U1", view={**too_many, "blocks": too_many["blocks"][1:]})
    assert len(slack.home_views["U1"]["blocks"]) == 100


# ------------------------------------------------------------------------ assistant


async def test_suggested_prompts(client: AsyncWebClient, slack: SlackStandIn) -> None:
    prompts = [{"title": f"P{n}", "message": f"Message {n}"} for n in range(4)]
    await client.assistant_threads_setSuggestedPrompts(
        channel_id="D1", thread_ts="1.1", prompts=prompts
    )
    assert slack.assistant_threads[("D1", "1.1")]["prompts"] == prompts


async def test_suggested_prompts_refusals(client: AsyncWebClient, slack: SlackStandIn) -> None:
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
    error = await api_error(
        client.api_call("assistant.threads.setSuggestedPrompts", json={"prompts": five[:1]})
    )
    assert error.response["error"] == "invalid_arguments"  # no channel_id
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


def test_home_allows_100_blocks_messages_50() -> None:
    blocks = [{"type": "divider"}] * 100
    assert validate_blocks(blocks, surface="home") == []
    assert validate_blocks(blocks, surface="message") != []
    assert validate_blocks([*blocks, {"type": "divider"}], surface="home") != []


def test_the_block_text_total_applies_to_messages_only() -> None:
    blocks = [section("x" * 2600) for _ in range(6)]
    assert validate_blocks(blocks, surface="home") == []


def test_validate_view() -> None:
    home = {"type": "home", "blocks": [section("x")]}
    assert validate_view(home) == []
    assert validate_view({**home, "private_metadata": "m" * 3000, "callback_id": "c" * 255}) == []
    for bad in (
        {**home, "private_metadata": "m" * 3001},
        {**home, "callback_id": "c" * 256},
        {**home, "submit": plain("s")},
        {"type": "home", "blocks": []},
        {"type": "home", "blocks": [{"type": "divider"}] * 101},
        {"type": "home", "blocks": [section("s" * 3001)]},
        {"type": "workflow_step", "blocks": [section("x")]},
    ):
        assert validate_view(bad), bad


def test_a_kept_verdict_is_the_verdict_of_a_fresh_validation() -> None:
    """Verdicts are kept by the payload's canonical JSON: asked again, in another key
    order or with the same block at another position, the answer is what validating
    afresh gives."""
    from tests.slack_standin import blockkit

    bad = {"type": "section", "text": plain("s" * 3001), "block_id": "b"}
    reordered = dict(reversed(list(bad.items())))
    for blocks in ([bad], [section("x"), reordered], [reordered, bad], [section("")] * 2):
        fresh = blockkit._validate_blocks(blocks, surface="message")
        assert validate_blocks(blocks, surface="message") == fresh
        assert validate_blocks(blocks, surface="message") == fresh  # from the cache
    assert any("/blocks/1" in e for e in validate_blocks([section("x"), bad], surface="home"))
    view = {"type": "modal", "title": plain("t"), "blocks": [bad]}
    assert validate_view(view) == blockkit._validate_view(view) != []
    assert validate_view(view) == blockkit._validate_view(view)
