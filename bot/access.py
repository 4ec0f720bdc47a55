"""Roles and ownership: who may see and act on which praktik — the one place it is decided.

A konsulent acts on their own praktikker; a teamleder on their team's; an administrator
on all; and a stand-in, while a colleague of the same team is absent, on that
colleague's praktikker of the team (`Cover`, from bot/absence.py: an absence in effect
today, by the local date). Roles come from app.yaml by Slack user id (U…/W…) or Slack
user group (S…); group members are asked from Slack and cached for
`access.group_cache_seconds`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

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

    @property
    def teams(self) -> frozenset[str]:
        """Every team the user is in (as a member or a lead)."""
        return self.member_of | self.lead_of


@dataclass(frozen=True)
class Cover:
    """An absence in effect today for which the actor is the stand-in: the absent
    consultant (`owner_id`) and the team both were in when it was set."""

    absence_id: int
    owner_id: int
    team_id: str


Basis = Literal["admin", "owner", "lead", "stand_in"]


@dataclass(frozen=True)
class Access:
    """Why someone may act on a praktik; `cover` when it is as a stand-in."""

    basis: Basis
    cover: Cover | None = None


def covering(
    covers: Sequence[Cover], *, roles: Roles, owner_id: int, team_id: str | None
) -> Cover | None:
    """The stand-in arrangement that lets the actor act on a praktik of `owner_id` in
    `team_id`: the owner is absent with the actor as stand-in, the praktik is of the
    arrangement's team (or of none), and the actor is in that team now."""
    for cover in covers:
        if (
            cover.owner_id == owner_id
            and team_id in (None, cover.team_id)
            and cover.team_id in roles.teams
        ):
            return cover
    return None


def access(
    *,
    roles: Roles,
    consultant_id: int | None,
    owner_id: int,
    team_id: str | None,
    covers: Sequence[Cover] = (),
) -> Access | None:
    """On what basis someone with `roles` (and consultant id) may act on a praktik owned
    by `owner_id` in `team_id`, or None when they may not."""
    if roles.admin:
        return Access("admin")
    if consultant_id is not None and consultant_id == owner_id:
        return Access("owner")
    if team_id is not None and team_id in roles.lead_of:
        return Access("lead")
    cover = covering(covers, roles=roles, owner_id=owner_id, team_id=team_id)
    return Access("stand_in", cover) if cover is not None else None


def may_access(
    *,
    roles: Roles,
    consultant_id: int | None,
    owner_id: int,
    team_id: str | None,
    covers: Sequence[Cover] = (),
) -> bool:
    """May someone with `roles` (and consultant id) act on a praktik owned by `owner_id`?"""
    return (
        access(
            roles=roles,
            consultant_id=consultant_id,
            owner_id=owner_id,
            team_id=team_id,
            covers=covers,
        )
        is not None
    )


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
