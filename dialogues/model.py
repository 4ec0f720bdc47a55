"""The flow format: typed, frozen models that flow files (YAML) are loaded into.

A flow is an ordered list of steps. The engine always asks the first step that applies
(its `when` holds) and has no answer yet, so branching is expressed with `when`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

StepId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
StepKind = Literal["choice", "multi", "text", "number", "scale", "yesno", "date"]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Option(Frozen):
    value: Annotated[str, Field(min_length=1, max_length=60)]
    label: Annotated[str, Field(min_length=1, max_length=75)]
    detail: str | None = None  # the whole text when the label had to be shortened
    category: Slug | None = Field(
        default=None,
        description="What the option means to the part that reads the step, e.g. an "
        "outcome's category for the report (job, education, …).",
    )


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


Separator = Annotated[str, Field(min_length=1, max_length=20)]


class Together(Frozen):
    """Several answers in one message, for a consultant who knows them all: at this step a
    message that is not one answer is split at `separators` into this step's answer and
    those of the `with` steps after it, in order (at least the first of them). Words in
    `ignore` standing at either end of an answer are dropped ('fra', 'timer'). Every
    answer is read and checked as if it were asked alone, and all are shown back for
    confirmation; a message that splits more than one way is not guessed at."""

    with_: tuple[StepId, ...] = Field(
        alias="with", min_length=1, max_length=6, description="The later steps, in order."
    )
    separators: tuple[Separator, ...] = Field(
        min_length=1, max_length=12, description="What may stand between two answers."
    )
    ignore: tuple[Separator, ...] = Field(
        default=(), description="Words dropped at either end of an answer."
    )


class Step(Frozen):
    id: StepId = Field(description="The answer's name: what the code and other steps read.")
    kind: StepKind = Field(description="What kind of answer the step takes.")
    text: Annotated[str, Field(min_length=1, max_length=2000)] = Field(
        description="The question, in Danish; may use {placeholders}."
    )
    label: Annotated[str, Field(min_length=1, max_length=75)] | None = Field(
        default=None, description="Short name of the answer in summaries and case notes."
    )
    help: str | None = Field(default=None, description="Shown when the consultant asks for help.")
    optional: bool = Field(default=False, description="May be skipped ('spring over').")
    when: Condition | None = Field(default=None, description="Ask the step only when this holds.")
    options: tuple[Option, ...] = ()
    options_from: str | None = Field(default=None, description="A named source of the options.")
    suggest: str | None = Field(default=None, description="A named suggestion of an option.")
    for_each: str | None = Field(
        default=None, description="Ask the step once per item of a named source ({item})."
    )
    counts_from: str | None = Field(
        default=None,
        description="A date step that ends a period: the named day the period starts on "
        "('period_start'). Weekdays, days without a year and lengths ('4 uger') typed here "
        "are read from that day.",
    )
    min: float | None = None
    max: float | None = None
    max_length: int = Field(default=500, ge=1, le=3000)
    validate_: tuple[str, ...] = Field(
        default=(), alias="validate", description="Named checks of the answer (legal limits)."
    )
    depends_on: tuple[StepId, ...] = Field(
        default=(),
        description="Earlier steps whose change makes this answer be checked again (the "
        "steps a named part reads count without being listed).",
    )
    in_note: bool = Field(default=True, description="Include the answer in the case note.")
    together: Together | None = Field(
        default=None, description="Later answers that may come in the same message."
    )
    topic: Slug | None = Field(
        default=None,
        description="What the question is about, shared across meetings and flows: the "
        "latest earlier answer with the same topic is shown as 'last time' (in the meeting "
        "guide and when the step is asked). The guide lists the steps with a topic whose "
        "'when' reads the audience as the meeting's questions; topic 'agreements' is shown "
        "as the agreements still open.",
    )

    @property
    def short_label(self) -> str:
        return self.label or self.text.split("\n", 1)[0][:75]


def normalise_words(text: str) -> str:
    """Words as a consultant's message is compared: case-folded, single spaces, without
    a closing full stop or exclamation mark."""
    return " ".join(text.strip().casefold().rstrip(".!").split())


Keyword = Annotated[str, Field(min_length=1, max_length=40)]


class Menu(Frozen):
    """Where the flow is offered. The flow's title is its label on every surface (and
    starts it too, typed as a message)."""

    order: int = Field(ge=1, le=999, description="Place in every menu, lowest first.")
    hint: Annotated[str, Field(min_length=1, max_length=80)] = Field(
        description="What the flow does, after its first keyword in the help text and "
        "after its title in the terminal menu (e.g. 'opret en ny praktik')."
    )
    keywords: tuple[Keyword, ...] = Field(
        min_length=1,
        max_length=12,
        description="Danish words that start the flow in a DM or after /praktik; the "
        "first is shown in the help text.",
    )
    home: bool = Field(
        default=True,
        description="A button in Slack's Home tab: for each praktik when the flow is about "
        "a praktik (needs_praktik), else at the top.",
    )
    prompt: bool = Field(
        default=False,
        description="A suggested prompt in Slack's agent and assistant views (at most three "
        "flows).",
    )
    form: bool = Field(
        default=False,
        description="Also offered as a form in Slack ('Udfyld som formular'): on Home next "
        "to the flow's button, and with each question in its thread.",
    )

    @field_validator("keywords")
    @classmethod
    def _normalised(cls, words: tuple[str, ...]) -> tuple[str, ...]:
        normalised = tuple(normalise_words(w) for w in words)
        if not all(normalised):
            raise ValueError("a keyword needs a letter")
        if len(set(normalised)) != len(normalised):
            raise ValueError("a keyword is listed twice")
        return normalised


class Continuation(Frozen):
    """A flow to go on with once this one is saved, started with this flow's answers to
    the steps both have (e.g. the meeting guide's 'Registrér mødet')."""

    flow: StepId
    label: Annotated[str, Field(min_length=1, max_length=75)] = Field(
        description="The button or question that starts it."
    )


class Flow(Frozen):
    """A flow file (dialogues/flows/*.yaml): checked with `praktikbot flows check`."""

    id: StepId
    title: Annotated[str, Field(min_length=1, max_length=75)] = Field(
        description="The flow's name and its label in menus and on buttons."
    )
    description: Annotated[str, Field(min_length=1)]
    intro: str | None = Field(default=None, description="Said before the first question.")
    needs_praktik: bool = Field(
        default=False, description="The flow is about an existing praktik, chosen first."
    )
    praktik_status: Literal["active", "ended"] = Field(
        default="active",
        description="With needs_praktik: the praktik must be active (during the praktik) "
        "or ended (a status after the end, once the outcome is recorded).",
    )
    menu: Menu | None = Field(
        default=None, description="Where the flow is offered; without it, nowhere."
    )
    steps: tuple[Step, ...] = Field(min_length=1, description="Asked in order; see `when`.")
    on_complete: tuple[str, ...] = Field(
        default=(), description="Named effects run when the consultant saves."
    )
    note_title: str | None = Field(default=None, description="Title of the case-note draft.")
    confirm: bool = Field(
        default=True,
        description="Show a summary to confirm before saving; false: save as soon as the "
        "last question is answered (a flow that only chooses, like the meeting guide).",
    )
    continue_with: Continuation | None = Field(
        default=None, description="A flow offered once this one is saved."
    )
    source: SkipJsonSchema[str] = ""  # the file name, set when loaded
    version: SkipJsonSchema[str] = ""  # a hash of the file's text, set when loaded

    @property
    def words(self) -> tuple[str, ...]:
        """What a consultant may write to start the flow: its keywords and its title."""
        if self.menu is None:
            return ()
        title = normalise_words(self.title)
        return (*self.menu.keywords, *(() if title in self.menu.keywords else (title,)))

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
    history: dict[str, Any] | None = None  # earlier meetings, scores, plan (dialogues.history)
    preset: dict[str, Any] = {}  # answers the conversation starts with (a continuation)
    turns: tuple[TranscriptTurn, ...]
    effects: tuple[str, ...] = ()
    status: Literal["done", "cancelled", "active"] = "done"
    answers: dict[str, Any] = {}
