"""The bot in Slack's agent view (the default for new apps): the Messages tab is the
conversation, the suggested prompts are pinned to it, Home and DMs work as everywhere."""

from __future__ import annotations

from typing import Any

from tests.form_support import open_home
from tests.slack_harness import SlackBot, message_text
from tests.slack_standin import SlackStandIn

ANNA = "UANNA"


async def open_chat(bot: SlackBot, user: str) -> list[dict[str, Any]]:
    """The consultant opens a chat with the app; Slack sends what its view sends."""
    events = bot.slack.dm_opened(user)
    for event in events:
        response = await bot.event(event)
        assert response.status == 200
    await bot.wait_idle()
    return events


async def test_the_bot_in_the_agent_view(slack: SlackStandIn, bot: SlackBot) -> None:
    slack.messaging = "agent"
    assert [e["tab"] for e in await open_chat(bot, ANNA)] == ["messages"]
    pinned = slack.agent_prompts["DUANNA"]
    assert [p["title"] for p in pinned["prompts"]] == [
        "Ny praktik",
        "Forbered møde",
        "Opfølgning",
        "Mine praktikker",
    ]
    assert pinned["title"] == "Hvad vil du gøre?"
    # Set the way an agent app must (no thread_ts): nothing was silently dropped.
    assert slack.dropped == []
    greetings = [m for m in slack.messages["DUANNA"] if "Jeg er praktikbot" in m["text"]]
    assert len(greetings) == 1
    # Opened again: the prompts are pinned again, the greeting is not repeated.
    await open_chat(bot, ANNA)
    assert len(slack.calls_to("assistant.threads.setSuggestedPrompts")) == 2
    assert [m for m in slack.messages["DUANNA"] if "Jeg er praktikbot" in m["text"]] == greetings
    # A clicked prompt is the consultant's message at the top of the tab: a flow starts in
    # its thread, the list answers.
    root = await bot.dm(ANNA, pinned["prompts"][0]["message"])
    assert "Hvad er sagens reference" in bot.last_text(ANNA, root)
    listed = await bot.dm(ANNA, pinned["prompts"][-1]["message"])
    assert "ingen aktive praktikker" in bot.last_text(ANNA, listed)
    # Home is the same in the agent view.
    home = await open_home(bot, ANNA)
    assert "Mine praktikker" in message_text({"blocks": home["blocks"]})


async def test_the_assistant_container_keeps_its_thread_prompts(
    slack: SlackStandIn, bot: SlackBot
) -> None:
    """The legacy assistant view (the stand-in's default): a new assistant thread gets the
    same prompts on the thread, and a greeting in it."""
    assert slack.messaging == "assistant"
    (started,) = await open_chat(bot, ANNA)
    thread_ts = started["assistant_thread"]["thread_ts"]
    prompts = slack.assistant_threads[("DUANNA", thread_ts)]["prompts"]
    assert prompts[-1] == {"title": "Mine praktikker", "message": "mine praktikker"}
    assert slack.agent_prompts == {}
    assert "Jeg er praktikbot" in bot.last_text(ANNA, thread_ts)
    # A prompt clicked in the container is the consultant's message in that thread.
    await bot.dm(ANNA, prompts[0]["message"], thread_ts=thread_ts)
    assert "Hvad er sagens reference" in bot.last_text(ANNA, thread_ts)
