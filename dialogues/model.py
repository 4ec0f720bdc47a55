"""The flow format: typed, frozen models that flow files (YAML) are loaded into.

A flow is an ordered list of steps. The engine always asks the first step that applies
(its `when` holds) and has no answer yet, so branching is expressed with `when`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

StepId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
StepKind = Literal["choice", "multi", "text", "number", "scale", "yesno", "date"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Option(Frozen):
    value: Annotated[str, Field(min_length=1, max_length=60)]
    label: Annotated[str, Field(min_length=1, max_length=75)]
    detail: str | None = None  # the whole text when the label had to be shortened


class Condition(Frozen):
    """When a step applies. Exactly one form per condition.

    - `step` + `equals` / `in` / `answered`: an earlier answer.
    - `fact` + `equals` / `in`: a fact of the context (e.g. `praktik.type`).
    - `check`: a named predicate (see dialogues.rules).
    - `all` / `any` / `not`: combinations.
    """

    step: StepId | None = None
    fact: str | None = None
    check: str | None = None
    equals: str | int | bool | None = None
    in_: tuple[str, ...] | None = Field(default=None, alias="in")
    answered: bool | None = None
    all_: tuple[Condition, ...] | None = Field(default=None, alias="all")
    any_: tuple[Condition, ...] | None = Field(default=None, alias="any")
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        forms = [
            self.step is not None,
            self.fact is not None,
            self.check is not None,
            self.all_ is not None,
            self.any_ is not None,
            self.not_ is not None,
        ]
        if sum(forms) != 1:
            raise ValueError("a condition needs exactly one of step, fact, check, all, any, not")
        tests = [self.equals is not None, self.in_ is not None, self.answered is not None]
        if (self.step is not None or self.fact is not None) and sum(tests) != 1:
            raise ValueError("a step/fact condition needs exactly one of equals, in, answered")
        if self.fact is not None and self.answered is not None:
            raise ValueError("a fact condition takes equals or in")
        return self

    def referenced_steps(self) -> set[str]:
        refs = {self.step} if self.step else set()
        for sub in (*(self.all_ or ()), *(self.any_ or ()), *((self.not_,) if self.not_ else ())):
            refs |= sub.referenced_steps()
        return refs

    def referenced_checks(self) -> set[str]:
        refs = {self.check} if self.check else set()
        for sub in (*(self.all_ or ()), *(self.any_ or ()), *((self.not_,) if self.not_ else ())):
            refs |= sub.referenced_checks()
        return refs

    def referenced_facts(self) -> set[str]:
        refs = {self.fact} if self.fact else set()
        for sub in (*(self.all_ or ()), *(self.any_ or ()), *((self.not_,) if self.not_ else ())):
            refs |= sub.referenced_facts()
        return refs


class Step(Frozen):
    id: StepId
    kind: StepKind
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    label: Annotated[str, Field(min_length=1, max_length=75)] | None = None
    help: str | None = None
    optional: bool = False
    when: Condition | None = None
    options: tuple[Option, ...] = ()
    options_from: str | None = None
    suggest: str | None = None
    for_each: str | None = None
    min: float | None = None
    max: float | None = None
    max_length: int = Field(default=500, ge=1, le=3000)
    validate_: tuple[str, ...] = Field(default=(), alias="validate")
    depends_on: tuple[StepId, ...] = ()
    in_note: bool = True

    @property
    def short_label(self) -> str:
        return self.label or self.text.split("\n", 1)[0][:75]


class Flow(Frozen):
    id: StepId
    title: Annotated[str, Field(min_length=1, max_length=75)]
    description: Annotated[str, Field(min_length=1)]
    intro: str | None = None
    needs_praktik: bool = False
    steps: tuple[Step, ...] = Field(min_length=1)
    on_complete: tuple[str, ...] = ()
    note_title: str | None = None
    source: str = ""
    version: str = ""

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def has_step(self, step_id: str) -> bool:
        return any(s.id == step_id for s in self.steps)

    def index(self, step_id: str) -> int:
        return next(i for i, s in enumerate(self.steps) if s.id == step_id)


class TranscriptTurn(Frozen):
    say: str | None = None
    pick: Any = None
    expect: tuple[str, ...] = ()
    expect_not: tuple[str, ...] = ()


class Transcript(Frozen):
    """An example conversation: inputs and what the prompts must contain."""

    flow: StepId
    title: str
    today: str
    praktik: dict[str, Any] | None = None
    turns: tuple[TranscriptTurn, ...]
    effects: tuple[str, ...] = ()
    status: Literal["done", "cancelled", "active"] = "done"
    answers: dict[str, Any] = {}
