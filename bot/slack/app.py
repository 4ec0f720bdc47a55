"""The composition root: the Bolt app with every listener module registered."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.access import GroupMembers
from bot.slack.deps import SlackDeps
from bot.slack.listeners import (
    absence,
    actions,
    assistant,
    commands,
    cpr_guard,
    dialogue_tool,
    errors,
    forms,
    handover,
    home,
    messages,
)
from bot.slack.listeners import reminders as reminder_actions

# The assistant module's Messages-tab listener comes before Home's: Bolt runs the first
# listener that matches an event.
LISTENER_MODULES = (
    cpr_guard,
    messages,
    commands,
    actions,
    dialogue_tool,
    forms,
    assistant,
    home,
    handover,
    absence,
    errors,
)

Registration = Callable[[AsyncApp], None]


def web_client(*, token: str, api_url: str) -> AsyncWebClient:
    """A Web API client that retries 429 (honouring Retry-After), 5xx and dropped connections.
    Create it inside the running event loop; close `client.session` at shutdown."""
    return AsyncWebClient(
        token=token,
        base_url=api_url,
        session=aiohttp.ClientSession(),  # one pooled session: closed with the web app
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def group_members_of(client: AsyncWebClient) -> GroupMembers:
    """Members of a Slack user group, asked from Slack (needs usergroups:read)."""

    async def members(group: str) -> frozenset[str]:
        response = await client.usergroups_users_list(usergroup=group)
        return frozenset(str(u) for u in response.get("users") or [])

    return members


def build_app(
    deps: SlackDeps,
    *,
    token: str,
    api_url: str,
    extra: Iterable[Registration] = (),
) -> AsyncApp:
    """The Bolt app with every listener. It does not check Slack's signature itself: in
    HTTP mode every request reaches it through `server.web_app`'s gate, which has
    checked the signature and the timestamp of the raw bytes already (once per request,
    not once there and again here), and in Socket Mode nothing is signed."""
    app = AsyncApp(
        client=web_client(token=token, api_url=api_url),
        process_before_response=False,
        request_verification_enabled=False,
    )
    if deps.roles is not None and deps.roles.group_members is None:
        deps.roles.group_members = group_members_of(app.client)
    for module in LISTENER_MODULES:
        module.register(app, deps)
    reminder_actions.register(
        app,
        db=deps.db,
        config=deps.config,
        clock=deps.clock,
        resolver=deps.roles,
        own_dm=deps.own_dm,
    )
    for registration in extra:
        registration(app)
    return app
