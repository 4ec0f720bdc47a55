"""Sending reminders and digests to Slack: the scheduler's Web API client, one message
set per claimed row, what a failure means (rate limited, retry later, never), the
backoff between attempts, and the pause after a 429.

Why the scheduler's Slack client has no retry handlers: slack_sdk's
``AsyncRateLimitErrorRetryHandler`` / ``AsyncServerErrorRetryHandler`` would sleep
inside the call while the row's lease runs out (another instance could then send it
too) and would hide the 429 from the database, so other instances would keep calling.
`slack_client()` builds an ``AsyncWebClient`` with ``retry_handlers=[]``; every retry is
a row going back to the queue with ``next_attempt_at``.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import DeliveryConfig
from bot.reminders.outgoing import Outgoing

log = logging.getLogger(__name__)

SLACK_API_URL = "https://slack.com/api/"
SLACK_TIMEOUT_SECONDS = 15
# Errors a retry cannot fix: the row is dead at once.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "users_not_found",
        "is_archived",
        "account_inactive",
        "user_disabled",
        "cannot_dm_bot",
        "not_in_channel",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "msg_blocks_too_long",
        "no_text",
    }
)


@asynccontextmanager
async def slack_client(
    token: str, base_url: str = SLACK_API_URL, *, connections: int = 20
) -> AsyncIterator[AsyncWebClient]:
    """An AsyncWebClient for the scheduler: one pooled HTTP session, no retry handlers
    (see the module docstring)."""
    if not base_url.endswith("/"):
        raise ValueError("the Slack API base URL must end with '/'")
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        yield AsyncWebClient(
            token=token,
            base_url=base_url,
            session=session,
            timeout=SLACK_TIMEOUT_SECONDS,
            retry_handlers=[],
        )


# --- outcomes ------------------------------------------------------------------------


@dataclass
class Sent:
    channel: str | None
    ts: str | None


@dataclass
class RateLimited:
    retry_after: float


@dataclass
class Failed:
    error: str
    permanent: bool


Outcome = Sent | RateLimited | Failed


def backoff(settings: DeliveryConfig, attempts: int) -> dt.timedelta:
    """The pause before the next attempt after `attempts` failed ones: exponential, with
    jitter, at least 1 s and at most ``backoff_max_seconds``."""
    base = settings.backoff_base_seconds * 2 ** max(attempts - 1, 0)
    delay = min(settings.backoff_max_seconds, base)
    jitter = settings.backoff_jitter
    delay *= random.uniform(1 - jitter, 1 + jitter)
    return dt.timedelta(seconds=max(1.0, min(delay, settings.backoff_max_seconds)))


class Sender:
    """Sends the messages of claimed rows with one client. DM channels are remembered in
    `dm_channels` (the caller keeps them between ticks). After a 429 it is paused: the
    caller stops sending and gives the rest back until `paused_until`."""

    def __init__(
        self, client: AsyncWebClient, settings: DeliveryConfig, dm_channels: dict[str, str]
    ) -> None:
        self.client, self.settings, self.dm_channels = client, settings, dm_channels
        self.paused_until: dt.datetime | None = None

    @property
    def paused(self) -> bool:
        return self.paused_until is not None

    async def send(self, outgoing: Outgoing) -> Outcome:
        try:
            channel = outgoing.delivery.recipient
            if outgoing.dm_user:
                channel = await self._dm_channel(outgoing.dm_user)
            ts: str | None = None
            for text, blocks in outgoing.messages:
                response = await self.client.chat_postMessage(
                    channel=channel, text=text, blocks=blocks, unfurl_links=False
                )
                ts = ts or response.get("ts")
                channel = response.get("channel") or channel
            return Sent(channel, ts)
        except SlackApiError as exc:
            return self._slack_failure(exc)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return Failed(f"network: {type(exc).__name__}", permanent=False)

    def pause(self, outcome: RateLimited, now: dt.datetime) -> None:
        """Stop calling Slack until Retry-After has passed (the latest one seen)."""
        until = now + dt.timedelta(seconds=outcome.retry_after)
        if not self.paused:
            log.warning("reminders: Slack rate limit; next call in %.0f s", outcome.retry_after)
        if self.paused_until is None or until > self.paused_until:
            self.paused_until = until

    async def _dm_channel(self, user: str) -> str:
        cached = self.dm_channels.get(user)
        if cached:
            return cached
        response = await self.client.conversations_open(users=user)
        channel = str(response["channel"]["id"])
        self.dm_channels[user] = channel
        return channel

    def _slack_failure(self, exc: SlackApiError) -> Outcome:
        response = exc.response
        status = getattr(response, "status_code", None)
        error = str(response.get("error") or "unknown") if response is not None else "unknown"
        if status == 429 or error == "ratelimited":
            headers = getattr(response, "headers", None) or {}
            raw = headers.get("Retry-After") or headers.get("retry-after")
            try:
                retry_after = float(raw) if raw is not None else self.settings.backoff_base_seconds
            except ValueError:
                retry_after = self.settings.backoff_base_seconds
            return RateLimited(max(retry_after, 1.0))
        return Failed(f"slack: {error} (HTTP {status})", permanent=error in PERMANENT_ERRORS)
