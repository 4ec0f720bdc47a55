"""What an effect gets and gives back: the transaction, the praktik, the time, and the
lines, texts to copy, guide and risk signals it produces (see bot.effects)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import AppConfig
from dialogues.model import Flow
from dialogues.risk import Signal
from storage.models import Conversation, Praktik


@dataclass(frozen=True)
class CopyText:
    """A text for the consultant to copy into another system, shown in a code block."""

    kind: str  # journalnotat (case system) or vitas (the agreement in VITAS)
    title: str  # what to do with it, in Danish
    text: str


@dataclass(frozen=True)
class GuideView:
    """A meeting guide to show, and the flow that records the meeting."""

    text: str
    continue_flow: str
    continue_label: str


@dataclass
class EffectRun:
    session: AsyncSession
    config: AppConfig
    conversation: Conversation
    consultant_id: int
    team_id: str | None
    praktik: Praktik | None
    now: dt.datetime
    flows: dict[str, Flow] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    notes: list[CopyText] = field(default_factory=list)  # texts to copy, in order
    guide: GuideView | None = None
    # What risk rules read (dialogues.risk), besides the flow's answers.
    signals: list[Signal] = field(default_factory=list)
    progress_recorded: bool = False

    @property
    def correction(self) -> bool:
        """The conversation corrects a saved one: effects that ran then are not redone."""
        return self.conversation.corrects_id is not None
