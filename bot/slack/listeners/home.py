"""App Home: the consultant's work list, published when the Home tab opens."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import ids
from bot.slack.deps import SlackDeps
from bot.slack.payloads import row_id
from bot.slack.results import publish_results
from bot.slack.worklist_ui import home_view


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.event("app_home_opened")
    async def on_home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = str(event["user"])
        await client.views_publish(user_id=user_id, view=await home_view(deps, user_id))

    @app.action(re.compile(rf"^{ids.HOME_PAGE}:"))
    async def on_page(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        user_id = str(body["user"]["id"])
        page = row_id(action.get("value")) or 0
        await client.views_publish(user_id=user_id, view=await home_view(deps, user_id, page))

    @app.action(ids.RESULTS)
    async def on_results(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await publish_results(deps, client, str(body["user"]["id"]))
