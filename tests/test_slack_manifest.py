"""The manifest `praktikbot manifest` prints is valid for Slack, and says exactly what the
app handles: every event and command in it has a listener, and every listener is in it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.slack.manifest import BOT_EVENTS
from tests.cli_support import run_cli
from tests.slack_harness import SlackBot

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT.parent / "shared" / "slack-specs"


def printed_manifest(*args: str) -> dict[str, Any]:
    result = run_cli("manifest", *args)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads((SPECS / "manifest.schema.2.0.0.json").read_text(encoding="utf-8"))


def test_printed_manifests_validate_against_slacks_schema(schema: dict[str, Any]) -> None:
    http = printed_manifest("--mode", "http", "--url", "https://praktikbot.example.invalid")
    socket = printed_manifest("--mode", "socket")
    jsonschema.validate(http, schema)
    jsonschema.validate(socket, schema)
    assert http["settings"]["event_subscriptions"]["request_url"] == (
        "https://praktikbot.example.invalid/slack/events"
    )
    assert http["settings"]["socket_mode_enabled"] is False
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in socket["settings"]["interactivity"]
    invalid = json.loads((SPECS / "manifest.invalid.example.json").read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(invalid, schema)


def test_the_manifest_offers_the_agent_view_and_the_assistant_view(schema: dict[str, Any]) -> None:
    """Slack's default for new apps is the agent view; the legacy assistant view stays
    available while Slack supports it. Both validate against Slack's published schema
    (which defines `features.agent_view`: agent_description ≤ 300, ≤ 4 prompts)."""
    agent = printed_manifest("--mode", "socket")
    assert printed_manifest("--mode", "socket", "--view", "agent") == agent
    assistant = printed_manifest("--mode", "socket", "--view", "assistant")
    for printed in (agent, assistant):
        jsonschema.validate(printed, schema)
    features = agent["features"]
    assert "assistant_view" not in features
    assert features["agent_view"]["agent_description"].startswith("Dialogværktøj")
    titles = [p["title"] for p in features["agent_view"]["suggested_prompts"]]
    assert titles == ["Ny praktik", "Forbered møde", "Opfølgning", "Mine praktikker"]
    assert agent["settings"]["event_subscriptions"]["bot_events"] == [
        "app_home_opened",  # the Messages tab opened: the agent view's start of a chat
        "app_mention",
        "message.im",
    ]
    assert "agent_view" not in assistant["features"]
    assert (
        assistant["features"]["assistant_view"]["suggested_prompts"]
        == (features["agent_view"]["suggested_prompts"])
    )
    assert "assistant_thread_started" in assistant["settings"]["event_subscriptions"]["bot_events"]
    # Slack's schema holds the agent view to its limits: the test of the test.
    too_long = json.loads(json.dumps(agent))
    too_long["features"]["agent_view"]["agent_description"] = "x" * 301
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(too_long, schema)


def test_http_manifest_needs_a_url() -> None:
    result = run_cli("manifest", "--mode", "http")
    code, out, err = result.returncode, result.stdout, result.stderr
    assert code == 2
    assert out == ""
    assert "--url is required" in err


def test_scopes_are_least_privilege() -> None:
    scopes = set(printed_manifest("--mode", "socket")["oauth_config"]["scopes"]["bot"])
    assert scopes == {
        "app_mentions:read",
        "assistant:write",
        "chat:write",
        "commands",
        "im:history",
        "im:write",
    }


def _event_for(event_type: str) -> dict[str, Any]:
    """A minimal event of a type, as Slack would wrap it (type name as in the spec)."""
    base: dict[str, Any] = {
        "user": "UANNA",
        "channel": "DUANNA",
        "ts": f"{time.time():.6f}",
        "event_ts": "1.0",
        "tab": "messages",
    }
    if event_type == "message":
        base.update(channel_type="im", text="hjælp", subtype="bot_message")
    if event_type.startswith("assistant_thread"):
        base["assistant_thread"] = {
            "user_id": "UANNA",
            "channel_id": "DUANNA",
            "thread_ts": "1.0",
            "context": {},
        }
    base["type"] = event_type
    return base


def _event_type(topic: str) -> str:
    """The Events API type of a spec topic: 'app.mention' → 'app_mention', 'message.im' →
    'message' (channel types are message subscriptions of one event type)."""
    return "message" if topic.startswith("message") else topic.replace(".", "_")


async def test_every_event_in_the_manifest_and_only_those_have_listeners(bot: SlackBot) -> None:
    spec = json.loads((SPECS / "slack_events_api_async_v1.json").read_text(encoding="utf-8"))
    # The 2020 spec predates App Home and assistant events: add the ones Slack has since.
    types = {_event_type(t) for t in spec["topics"] if t != "url.verification"}
    types |= {"app_home_opened", "assistant_thread_started", "assistant_thread_context_changed"}
    handled = set()
    for event_type in sorted(types):
        response = await bot.event({**_event_for(event_type), "type": event_type})
        if response.status == 200:
            handled.add(event_type)
        else:
            assert response.status == 404, (event_type, response.status)
    await bot.wait_idle()
    assert handled == {_event_type(e) for e in BOT_EVENTS}
    assert [e for e in BOT_EVENTS if e.startswith("message")] == ["message.im"]


async def test_the_slash_command_in_the_manifest_and_only_it_is_handled(bot: SlackBot) -> None:
    commands = [
        c["command"] for c in printed_manifest("--mode", "socket")["features"]["slash_commands"]
    ]
    assert commands == ["/praktik"]
    ok = await bot.command("UANNA", "hjælp")
    assert ok.status == 200
    assert "Jeg er praktikbot" in await ok.text()
    other = await bot.post(
        "command=%2Fandet&text=&user_id=UANNA&team_id=T0TEST&channel_id=DUANNA&trigger_id=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert other.status == 404


def test_roles_by_user_group_add_the_usergroups_scope(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = (ROOT / "app.yaml").read_text(encoding="utf-8")
    (tmp_path / "app.yaml").write_text(
        config.replace("  administrators: []", "  administrators: [S0ADMINS]"), encoding="utf-8"
    )
    assert (
        "usergroups:read"
        not in printed_manifest("--mode", "socket")["oauth_config"]["scopes"]["bot"]
    )
    monkeypatch.setenv("PRAKTIKBOT_CONFIG", str(tmp_path / "app.yaml"))
    assert (
        "usergroups:read" in printed_manifest("--mode", "socket")["oauth_config"]["scopes"]["bot"]
    )
