"""Errors in one place: log first (without payload text), then apologise in Danish."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.slack.deps import SlackDeps

log = logging.getLogger("bot.slack.errors")


def _where(body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(user, channel, thread_ts) of the request that failed, where the body tells."""
    event = body.get("event") or {}
    user = (body.get("user") or {}).get("id") or body.get("user_id") or event.get("user")
    channel = (
        (body.get("channel") or {}).get("id") or body.get("channel_id") or event.get("channel")
    )
    message = body.get("message") or {}
    thread_ts = message.get("thread_ts") or event.get("thread_ts") or event.get("ts")
    return user, channel, thread_ts


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.error
    async def on_error(error: Exception, body: dict[str, Any], client: AsyncWebClient) -> None:
        kind = body.get("type") or (body.get("event") or {}).get("type") or body.get("command")
        log.error("listener failed for %s: %s", kind, type(error).__name__, exc_info=error)
        user, channel, thread_ts = _where(body)
        if not user:
            return
        try:
            if channel and not str(channel).startswith("D"):
                await client.chat_postEphemeral(
                    channel=channel, user=user, text=messages.ERROR_APOLOGY
                )
            else:  # in the user's own DM: in the thread only if it is theirs
                dm = await deps.own_dm(client, str(user))
                if dm is None:
                    return
                await client.chat_postMessage(
                    channel=dm,
                    thread_ts=thread_ts if channel == dm else None,
                    text=messages.ERROR_APOLOGY,
                )
        except Exception:  # the apology itself failed (Slack down): the log has it
            log.exception("could not send the apology")
