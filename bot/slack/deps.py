"""What the Slack listeners need, built once in the composition root."""

from __future__ import annotations

import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.access import RoleResolver
from bot.config import AppConfig
from bot.conversations import Actor, ConversationService
from dialogues.model import Flow
from storage.db import Database

log = logging.getLogger(__name__)

DM_CACHE_SIZE = 10_000  # users whose DM channel is remembered (about 1 MB)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class DmChannels:
    """Each user's own DM channel with the bot, as `conversations.open` names it.

    The one source of truth for "is this the actor's own DM?": a payload's channel is
    whatever the request says, the DM Slack opens for a user id is not. Cached (LRU):
    a user's DM channel with the bot never changes."""

    size: int = DM_CACHE_SIZE
    _channels: OrderedDict[str, str] = field(default_factory=OrderedDict)

    async def of(self, client: AsyncWebClient, user_id: str) -> str | None:
        """The user's DM channel, or None when Slack cannot open one (unknown user)."""
        channel = self._channels.get(user_id)
        if channel is not None:
            self._channels.move_to_end(user_id)
            return channel
        try:
            response = await client.conversations_open(users=user_id)
        except SlackApiError as exc:
            log.warning("no DM channel for a user: %s", exc.response.get("error"))
            return None
        channel = str((response.get("channel") or {}).get("id") or "") or None
        if channel is not None:
            self._channels[user_id] = channel
            while len(self._channels) > self.size:
                self._channels.popitem(last=False)
        return channel


@dataclass
class SlackDeps:
    service: ConversationService
    db: Database
    config: AppConfig
    flows: dict[str, Flow]
    clock: Callable[[], dt.datetime] = field(default=utc_now)
    roles: RoleResolver | None = None
    dms: DmChannels = field(default_factory=DmChannels)
    # Slack refused the data_table/data_visualization blocks (slack.rich_blocks: auto).
    rich_blocks_refused: bool = False

    def __post_init__(self) -> None:
        if self.roles is None:
            self.roles = RoleResolver(self.config)

    async def actor(self, user_id: str) -> Actor:
        """A Slack user as an actor, with their roles (user ids or user groups)."""
        assert self.roles is not None
        return Actor(
            user_key=f"slack:{user_id}",
            name=user_id,
            slack_user_id=user_id,
            roles=await self.roles.roles(user_id),
        )

    async def own_dm(self, client: AsyncWebClient, user_id: str) -> str | None:
        """The user's own DM channel with the bot (None if Slack cannot open one)."""
        return await self.dms.of(client, user_id)


def conversation_key(channel: str, thread_ts: str) -> str:
    """Slack conversations live in a thread: one conversation per DM thread."""
    return f"slack:{channel}:{thread_ts}"
