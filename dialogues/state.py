"""What goes into and comes out of the engine: context, state, input, prompt, turn.

Everything here round-trips through JSON, so a conversation can be stored after every
turn and resumed by another process.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dialogues.case_ref import CaseRefRule
from dialogues.domain import PraktikType, RuleSet, TargetGroup, rule_set_on
from dialogues.history import History
from dialogues.model import Option, StepKind
from dialogues.progression import ProgressionConfig
from dialogues.sensitive import SpecialCategories

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
    end_date: dt.date  # the actual end once an outcome recorded it earlier than planned
    hours_per_week: float
    extension_assessed: bool = False
    short_ref: str | None = None
    planned_end_date: dt.date | None = None  # set when it ended before its planned end

    @property
    def planned_end(self) -> dt.date:
        """The end as planned (also after an earlier actual end was recorded)."""
        return self.planned_end_date or self.end_date


class FlowContext(Frozen):
    """Everything a flow may read besides its own answers; built by the caller."""

    timezone: str = "Europe/Copenhagen"
    rules: tuple[RuleSet, ...]
    types: tuple[PraktikType, ...]
    max_custom_subgoals: int = 5
    praktik: PraktikFacts | None = None
    case_refs: CaseRefRule = CaseRefRule()
    special_categories: SpecialCategories = SpecialCategories()  # empty: no warnings
    # Results of named lookups (dialogues.rules.LOOKUPS): name -> key -> result, resolved
    # by the bot layer before the turn for the keys the answers hold.
    lookups: dict[str, dict[str, JsonValue]] = Field(default_factory=dict)

    def lookup(self, name: str, key: str) -> JsonValue:
        return self.lookups.get(name, {}).get(key)

    progression: ProgressionConfig = ProgressionConfig()
    # Types whose praktikker must have a development plan (app.yaml development_plan).
    plan_required_for: tuple[str, ...] = ("udviklingspraktik",)
    # The praktik's past (earlier meetings, scores, plan), for flows that read it.
    history: History | None = None
    # Correcting a saved conversation: the steps that cannot be changed, with why (Danish).
    locked_steps: dict[str, str] = Field(default_factory=dict)

    def rules_on(self, day: dt.date) -> RuleSet:
        return rule_set_on(self.rules, day)

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
    # A free-text answer that names a special category, waiting to be confirmed.
    pending_sensitive: str | None = None
    # Several answers read from one message (a step's `together`), waiting to be
    # confirmed: [{"step": step id, "value": answer}, …] in flow order.
    pending_answers: list[dict[str, JsonValue]] | None = None
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
    kind: StepKind | Literal["summary", "confirm_date", "confirm_sensitive", "confirm_answers"]
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
    label: str = ""  # the step's short label (summaries, several answers at once)


class AuditEvent(Frozen):
    """Something the audit log counts, without content: an action and the step."""

    action: Literal["special_category_warning", "special_category_confirmed"]
    step_id: str


class Turn(Frozen):
    state: ConversationState
    messages: tuple[str, ...] = ()
    prompt: Prompt | None = None
    effects: tuple[Effect, ...] = ()
    answers: tuple[RecordedAnswer, ...] = ()
    audit: tuple[AuditEvent, ...] = ()
    stale: bool = False  # the input answered a question that is no longer current

    @property
    def finished(self) -> bool:
        return self.state.status in ("done", "cancelled")


# --- forms: a whole flow at once (Slack modals) -------------------------------------------


class FormField(Frozen):
    """One input of a form: a step, or one item of a `for_each` step."""

    field_id: str  # the step id, or f"{step id}.{n}" for item n of a for_each step
    step_id: str
    prompt: Prompt  # the question as the thread would ask it (text, options, limits)
    value: JsonValue = None  # the stored answer of the field, if any
    answered: bool = False
    # Other steps' questions, options or presence read this answer: a change re-renders.
    dispatch: bool = False
    # A digest of the options the field offers: a value chosen among other options (they
    # changed with an earlier answer) is not taken.
    options_key: str = ""
    warning: str | None = None  # a soft issue of the stored answer


class Form(Frozen):
    """The steps that apply now, with the answers so far: what a form shows."""

    flow_id: str
    title: str
    intro: str | None = None
    fields: tuple[FormField, ...] = ()
    complete: bool = False  # every step that applies is answered: the summary is next
    summary: Prompt | None = None


class FormTurn(Frozen):
    """Several answers given at once: the turn, and the fields that were not taken, with
    the validators' own Danish messages."""

    turn: Turn
    errors: dict[str, str] = Field(default_factory=dict)
