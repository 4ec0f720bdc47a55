"""The Slack app manifest: least-privilege scopes and exactly the events, the command and
the interactivity the bot handles (a test holds the app to this).

Two messaging views (the bot serves both): `agent` (`features.agent_view`, Slack's default
for new apps: the conversation is the Messages tab, opened with `app_home_opened`) and
`assistant` (`features.assistant_view`, the legacy assistant container, which Slack will
deprecate: new threads arrive as `assistant_thread_started`). A manifest names one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from bot.blocks import ids
from dialogues.model import Flow
from dialogues.registry import offered, suggested_prompts

View = Literal["agent", "assistant"]
VIEWS: tuple[View, ...] = ("agent", "assistant")
COMMON_EVENTS = ("app_home_opened", "app_mention", "message.im")
VIEW_EVENTS: dict[View, tuple[str, ...]] = {"agent": (), "assistant": ("assistant_thread_started",)}
# Every event the bot has a listener for (in one view or the other).
BOT_EVENTS = (*COMMON_EVENTS, *(e for view in VIEWS for e in VIEW_EVENTS[view]))

BOT_SCOPES = (
    "app_mentions:read",  # app_mention
    "assistant:write",  # suggested prompts (agent and assistant views)
    "chat:write",  # questions, answers, reminders, digests
    "commands",  # /praktik
    "im:history",  # message.im: replies in the DM threads
    "im:write",  # conversations.open: starting a DM from Home, commands and reminders
)

DESCRIPTION = (
    "Dialogværktøj til virksomhedspraktik: opret praktikker, forbered møder, udfyld "
    "opfølgningsskemaet og få påmindelser om opfølgning."
)


LONG_DESCRIPTION = (
    "praktikbot gør Københavns Kommunes fælles koncept for virksomhedspraktik til en del af "
    "hverdagen: vælg praktiktype (jobpraktik, kompetencepraktik eller udviklingspraktik) med "
    "formål og delmål, forbered opstart, midtvejs og afslutning med borger og virksomhed, "
    "udfyld opfølgningsskemaet og registrér, om praktikken førte til job eller uddannelse. "
    "Skriv aldrig CPR-numre til botten."
)


def manifest(
    mode: Literal["http", "socket"],
    url: str | None = None,
    *,
    flows: Mapping[str, Flow],
    user_groups: bool = False,
    view: View = "agent",
) -> dict[str, Any]:
    """The manifest for HTTP mode (with the public base URL) or Socket Mode, in the agent
    view (default) or the legacy assistant view. With `user_groups` (roles in app.yaml
    name Slack user groups) it asks for usergroups:read. The command's words and the
    suggested prompts come from the flow files."""
    endpoint = f"{url.rstrip('/')}/slack/events" if mode == "http" and url else None
    words = [f.menu.keywords[0] for f in offered(flows) if f.menu] + ["mine"]
    command: dict[str, Any] = {
        "command": ids.SLASH_COMMAND,
        "description": f"Virksomhedspraktik: {', '.join(words)}"[:100],
        "usage_hint": " | ".join([*words, "hjælp"])[:1000],
        "should_escape": False,
    }
    events: dict[str, Any] = {"bot_events": [*COMMON_EVENTS, *VIEW_EVENTS[view]]}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if endpoint:
        command["url"] = endpoint
        events["request_url"] = endpoint
        interactivity["request_url"] = endpoint
    return {
        "_metadata": {"major_version": 2, "minor_version": 1},
        "display_information": {
            "name": "praktikbot",
            "description": "Dialogværktøj til virksomhedspraktik",
            "long_description": LONG_DESCRIPTION,
            "background_color": "#1d4f91",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": "praktikbot", "always_online": True},
            "slash_commands": [command],
            **_view_feature(view, flows),
        },
        "oauth_config": {
            "scopes": {"bot": [*BOT_SCOPES, *(("usergroups:read",) if user_groups else ())]}
        },
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": mode == "socket",
            "token_rotation_enabled": False,
        },
    }


def _view_feature(view: View, flows: Mapping[str, Flow]) -> dict[str, Any]:
    prompts = suggested_prompts(flows)
    if view == "agent":
        return {"agent_view": {"agent_description": DESCRIPTION, "suggested_prompts": prompts}}
    return {"assistant_view": {"assistant_description": DESCRIPTION, "suggested_prompts": prompts}}
