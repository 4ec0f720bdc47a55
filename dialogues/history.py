"""What a flow about a praktik may know of its past: earlier meetings' answers by topic,
the progression scores, the open steps of the development plan, the next follow-ups.

The bot gathers it from storage and passes it in (`FlowContext.history`); the engine and
the meeting guide only read it.

"Last time" for a question: every step may name a `topic` (flow files). The answer of the
most recent earlier meeting to a step with the same topic — in any phase, from any
audience, in any flow — is what was said last time. For a step asked once per item (a
sub-goal), the item must match too.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

from dialogues.dates import format_danish_date
from dialogues.progression import Phase, ScorePoint

PlanWho = Literal["borger", "virksomhed", "konsulent"]
WHO_LABELS: dict[str, str] = {
    "borger": "borgeren",
    "virksomhed": "virksomheden",
    "konsulent": "konsulenten",
}
# Answers with this topic are the agreements and next steps of a meeting: the guide shows
# the latest of them as what is still open, not as a question to ask.
AGREEMENTS_TOPIC = "agreements"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MeetingRef(Frozen):
    """An earlier meeting (a completed conversation with answers to topic steps)."""

    conversation: int
    title: str  # "Midtvejsopfølgning · Borgeren"
    day: dt.date

    @property
    def described(self) -> str:
        return f"{self.title} · {format_danish_date(self.day)}"


class PastAnswer(Frozen):
    topic: str
    label: str  # the step's short label
    display: str
    conversation: int
    item: str | None = None


class PlanStepFacts(Frozen):
    """An open step of the development plan."""

    id: int
    text: str
    who: str
    due: dt.date | None = None

    @property
    def label(self) -> str:
        """How the step reads in a list and as the item of a review question."""
        due = f", senest {format_danish_date(self.due)}" if self.due else ""
        return f"{self.text} ({WHO_LABELS.get(self.who, self.who)}{due})"


class Upcoming(Frozen):
    label: str  # "midtvejsopfølgning"
    due: dt.date


class History(Frozen):
    meetings: tuple[MeetingRef, ...] = ()  # oldest first
    answers: tuple[PastAnswer, ...] = ()  # oldest first
    scores: tuple[ScorePoint, ...] = ()
    plan_steps: tuple[PlanStepFacts, ...] = ()  # open ones, by due date
    plan_steps_total: int = 0  # every step the plan has had (done and dropped too)
    upcoming: tuple[Upcoming, ...] = ()
    suggested_phase: Phase | None = None
    risks: tuple[str, ...] = ()  # labels of the risk rules that hold now

    def meeting(self, conversation: int) -> MeetingRef | None:
        return next((m for m in self.meetings if m.conversation == conversation), None)

    def last(self, topic: str, item: str | None = None) -> PastAnswer | None:
        """The most recent earlier answer on `topic` (and `item`), or None."""
        order = {m.conversation: n for n, m in enumerate(self.meetings)}
        found = [a for a in self.answers if a.topic == topic and a.item == item]
        return max(found, key=lambda a: order.get(a.conversation, -1), default=None)

    def last_time(self, topic: str, item: str | None = None) -> str | None:
        """'Sidst (Opstart · Borgeren · 8. dec. 2026): …' for a prompt or the guide."""
        answer = self.last(topic, item)
        if answer is None:
            return None
        meeting = self.meeting(answer.conversation)
        where = f" ({meeting.described})" if meeting else ""
        return f"Sidst{where}: {answer.display}"
