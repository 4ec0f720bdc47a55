"""What the Slack listeners need, built once in the composition root."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.access import RoleResolver
from bot.config import AppConfig
from bot.conversations import Actor, ConversationService
from dialogues.model import Flow
from storage.db import Database


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class SlackDeps:
    service: ConversationService
    db: Database
    config: AppConfig
    flows: dict[str, Flow]
    clock: Callable[[], dt.datetime] = field(default=utc_now)
    roles: RoleResolver | None = None
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


def conversation_key(channel: str, thread_ts: str) -> str:
    """Slack conversations live in a thread: one conversation per DM thread."""
    return f"slack:{channel}:{thread_ts}"
