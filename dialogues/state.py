"""What goes into and comes out of the engine: context, state, input, prompt, turn.

Everything here round-trips through JSON, so a conversation can be stored after every
turn and resumed by another process.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dialogues.domain import PraktikType, RuleSet, TargetGroup
from dialogues.history import History
from dialogues.model import Option, StepKind
from dialogues.progression import ProgressionConfig

JsonValue = Any


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PraktikFacts(Frozen):
    """What flows about an existing praktik may know of it."""

    id: int
    case_ref: str
    type: str
    target_group: str
    company: str
    subgoals: tuple[str, ...]
    start_date: dt.date
    end_date: dt.date
    hours_per_week: float
    extension_assessed: bool = False
    short_ref: str | None = None


class FlowContext(Frozen):
    """Everything a flow may read besides its own answers; built by the caller."""

    timezone: str = "Europe/Copenhagen"
    rules: tuple[RuleSet, ...]
    types: tuple[PraktikType, ...]
    max_custom_subgoals: int = 5
    praktik: PraktikFacts | None = None
    progression: ProgressionConfig = ProgressionConfig()
    # Types whose praktikker must have a development plan (app.yaml development_plan).
    plan_required_for: tuple[str, ...] = ("udviklingspraktik",)
    # The praktik's past (earlier meetings, scores, plan), for flows that read it.
    history: History | None = None
    # Correcting a saved conversation: the steps that cannot be changed, with why (Danish).
    locked_steps: dict[str, str] = Field(default_factory=dict)

    def rules_on(self, day: dt.date) -> RuleSet:
        valid = [r for r in self.rules if r.valid_from <= day]
        return valid[-1] if valid else self.rules[0]

    def type_by_id(self, type_id: str) -> PraktikType | None:
        return next((t for t in self.types if t.id == type_id), None)

    def target_group(self, group_id: str, day: dt.date) -> TargetGroup | None:
        return self.rules_on(day).target_group(group_id)


class ConversationState(BaseModel):
    """The engine's whole memory of one conversation."""

    model_config = ConfigDict(extra="forbid")

    flow_id: str
    flow_version: str
    status: Literal["active", "summary", "done", "cancelled"] = "active"
    answers: dict[str, JsonValue] = Field(default_factory=dict)
    history: list[str] = Field(default_factory=list)
    partial: dict[str, list[JsonValue]] = Field(default_factory=dict)
    pending_date: str | None = None
    editing: str | None = None
    previous: dict[str, JsonValue] = Field(default_factory=dict)
    warnings: dict[str, str] = Field(default_factory=dict)


class UserInput(Frozen):
    """Typed text, or a structured value from a UI element (button, select, date picker).

    `command` is one of: back, skip, cancel, help, confirm, edit (with `edit_step`).
    """

    text: str | None = None
    value: JsonValue = None
    command: Literal["back", "skip", "cancel", "help", "confirm", "edit"] | None = None
    edit_step: str | None = None
    step_id: str | None = None


class SummaryItem(Frozen):
    step_id: str
    label: str
    display: str
    editable: bool = True


class Prompt(Frozen):
    """The next thing to ask. Front ends render it; they never decide what comes next."""

    step_id: str
    kind: StepKind | Literal["summary", "confirm_date"]
    text: str
    help: str | None = None
    options: tuple[Option, ...] = ()
    optional: bool = False
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    suggested: str | None = None
    current: str | None = None  # the earlier answer, shown when a step is asked again
    last_time: str | None = None  # what an earlier meeting answered on the step's topic
    can_go_back: bool = False
    item: str | None = None
    item_position: tuple[int, int] | None = None
    summary: tuple[SummaryItem, ...] = ()


class Effect(Frozen):
    name: str
    payload: dict[str, JsonValue]


class RecordedAnswer(Frozen):
    """One accepted answer, exactly as the log stores it."""

    step_id: str
    question: str
    value: JsonValue
    display: str


class Turn(Frozen):
    state: ConversationState
    messages: tuple[str, ...] = ()
    prompt: Prompt | None = None
    effects: tuple[Effect, ...] = ()
    answers: tuple[RecordedAnswer, ...] = ()
    stale: bool = False  # the input answered a question that is no longer current

    @property
    def finished(self) -> bool:
        return self.state.status in ("done", "cancelled")
