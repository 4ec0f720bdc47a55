"""Roles and ownership: who may see and act on which praktik.

A konsulent acts on their own praktikker; a teamleder on their team's; an administrator
on all. Roles come from app.yaml by Slack user id (U…/W…) or Slack user group (S…);
group members are asked from Slack and cached for `access.group_cache_seconds`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.config import AppConfig

log = logging.getLogger(__name__)

GroupMembers = Callable[[str], Awaitable[frozenset[str]]]


@dataclass(frozen=True)
class Roles:
    admin: bool = False
    lead_of: frozenset[str] = frozenset()  # team ids
    member_of: frozenset[str] = frozenset()  # team ids

    @property
    def team_id(self) -> str | None:
        """The team a consultant's new praktikker belong to (the first one configured)."""
        return next(iter(sorted(self.member_of | self.lead_of)), None)


def may_access(
    *, roles: Roles, consultant_id: int | None, owner_id: int, team_id: str | None
) -> bool:
    """May someone with `roles` (and consultant id) act on a praktik owned by `owner_id`?"""
    if roles.admin:
        return True
    if consultant_id is not None and consultant_id == owner_id:
        return True
    return team_id is not None and team_id in roles.lead_of


def is_group(entry: str) -> bool:
    return entry.startswith("S")


@dataclass
class RoleResolver:
    """Resolves a Slack user's roles from the configuration (and Slack user groups)."""

    config: AppConfig
    group_members: GroupMembers | None = None
    clock: Callable[[], float] = time.monotonic
    _cache: dict[str, tuple[float, frozenset[str]]] = field(default_factory=dict)

    async def _members(self, group: str) -> frozenset[str]:
        if self.group_members is None:
            return frozenset()
        cached = self._cache.get(group)
        if cached is not None and self.clock() - cached[0] < self.config.access.group_cache_seconds:
            return cached[1]
        try:
            members = await self.group_members(group)
        except Exception as exc:  # Slack unreachable or the group is gone: no rights from it
            log.warning("user group %s could not be read: %s", group, type(exc).__name__)
            members = cached[1] if cached is not None else frozenset()
        self._cache[group] = (self.clock(), members)
        return members

    async def _listed(self, user_id: str, entries: tuple[str, ...]) -> bool:
        if user_id in entries:
            return True
        for entry in entries:
            if is_group(entry) and user_id in await self._members(entry):
                return True
        return False

    async def roles(self, user_id: str) -> Roles:
        admin = await self._listed(user_id, self.config.access.administrators)
        lead_of = frozenset(
            [t.id for t in self.config.teams if await self._listed(user_id, t.leads)]
        )
        member_of = frozenset(
            [t.id for t in self.config.teams if await self._listed(user_id, t.members)]
        )
        return Roles(admin=admin, lead_of=lead_of, member_of=member_of)

    def uses_groups(self) -> bool:
        entries = [*self.config.access.administrators]
        for team in self.config.teams:
            entries += [*team.leads, *team.members]
        return any(is_group(e) for e in entries)
