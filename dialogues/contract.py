"""What named parts read from a flow: the contract between the flow files and the code.

Every part a flow names — validator, check, option or item source, suggestion, text
placeholder, fact, effect — declares what it reads besides its own input (`Needs`): the
answers of other steps by id, with the kinds of step whose value it expects (`Reads`),
whether it reads the praktik the flow is about, and the named lookups it reads (facts
from storage that the pure engine cannot fetch: the bot layer resolves each lookup,
keyed by one answer, before a turn and hands the results in through the context).
Effects declare it as a typed input model (`EffectInput`): one field per answer, named
by its step id. `dialogues.structure`
holds every flow to the declarations of the parts it names, so a renamed step or a
changed kind fails `praktikbot flows check` (and loading) instead of a conversation.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import (
    Any,
    ClassVar,
    Generic,
    Literal,
    ParamSpec,
    Self,
    TypeVar,
    Union,
    get_args,
    get_origin,
)

from pydantic import BaseModel, ConfigDict

from dialogues.model import StepKind


@dataclass(frozen=True)
class Reads:
    """One answer a part reads: the step's id and the kinds of step it accepts.

    - `required`: the flow must have the step (for a part of a step: an earlier step).
      Not required: the part copes without it, but if the flow has it, it must fit.
    - `or_praktik`: a flow about a praktik may leave the step out; the praktik's stored
      value stands in (e.g. the start date when changing a period).
    - `always`: the step must be answered on every way through the flow (not optional,
      no `when`), because the part cannot do without the value.
    - `options_from`: the step must take its options from this source.
    - `values`: the only option values the part accepts (the step lists its options).
    - `categories`: every option must carry one of these categories (the step lists
      its options); what an answer means to the part, e.g. an outcome for the report.
    - `whole_text`: the part reads the chosen options' whole text, not their values.
    - `per_item`: the step is asked once per item (`for_each`); the part reads the list of
      {item, value} answers.
    """

    step: str
    kinds: tuple[StepKind, ...]
    required: bool = True
    or_praktik: bool = False
    always: bool = False
    options_from: str | None = None
    values: frozenset[str] | None = None
    categories: frozenset[str] | None = None
    whole_text: bool = False
    per_item: bool = False


@dataclass(frozen=True)
class Needs:
    """Everything a named part reads besides the input it is given."""

    reads: tuple[Reads, ...] = ()
    praktik: bool = False  # the praktik the flow is about: the flow needs `needs_praktik`
    # The praktik's past (earlier meetings, scores, plan; dialogues.history), gathered by
    # the bot for flows that use such a part. Implies `praktik`.
    history: bool = False
    item: bool = False  # the current item of a `for_each` step
    on_kinds: tuple[StepKind, ...] = ()  # the kinds of step it may be used on (empty: any)
    # Named lookups (dialogues.rules.LOOKUPS) whose results the part reads from the
    # context: facts from storage the bot layer resolves before each turn, keyed by an
    # answer (the answer being given, when the key is the part's own step).
    lookups: tuple[str, ...] = ()

    def steps(self) -> tuple[str, ...]:
        return tuple(r.step for r in self.reads)


NO_NEEDS = Needs()

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Part(Generic[P, R]):
    """A named part: the function and what it reads. Called like the function."""

    run: Callable[P, R]
    needs: Needs = NO_NEEDS

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.run(*args, **kwargs)


# --- effect inputs -------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """Marks a field of an effect input as the answer of the step named like the field.

    Every flow naming the effect has the step. A field without a default must be
    answered every time the flow completes; a field with a default may be unanswered (a
    skipped or conditional step). A `Literal` type names the only option values the
    effect accepts.
    """

    kinds: tuple[StepKind, ...]
    options_from: str | None = None
    categories: frozenset[str] | None = None
    whole_text: bool = False
    per_item: bool = False
    values: frozenset[str] | None = None  # for a per-item answer: the only option values


def answer(
    *kinds: StepKind,
    options_from: str | None = None,
    categories: frozenset[str] | None = None,
    whole_text: bool = False,
    per_item: bool = False,
    values: frozenset[str] | None = None,
) -> Answer:
    return Answer(kinds, options_from, categories, whole_text, per_item, values)


class ItemAnswer(BaseModel):
    """One item's answer of a step asked once per item (`for_each`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item: str
    value: Any


def _literal_values(annotation: Any) -> frozenset[str] | None:
    """The values of a `Literal[...]` type (also inside `X | None`), else None."""
    if get_origin(annotation) is Literal:
        return frozenset(str(v) for v in get_args(annotation))
    if get_origin(annotation) in (Union, types.UnionType):
        found = [_literal_values(arg) for arg in get_args(annotation) if arg is not type(None)]
        if len(found) == 1:
            return found[0]
    return None


class EffectInput(BaseModel):
    """The typed input of one effect, built from the answers of the completed flow."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    needs_praktik: ClassVar[bool] = False  # the effect acts on the praktik the flow is about
    registers_praktik: ClassVar[bool] = False  # the effect creates the praktik
    # The effect reads the praktik as saved: one an earlier effect registered, or the one
    # the flow is about.
    reads_saved_praktik: ClassVar[bool] = False

    @classmethod
    def needs(cls) -> Needs:
        reads = []
        for name, field in cls.model_fields.items():
            marker = next((m for m in field.metadata if isinstance(m, Answer)), None)
            if marker is None:
                raise TypeError(f"{cls.__name__}.{name} is not marked as an answer")
            reads.append(
                Reads(
                    step=name,
                    kinds=marker.kinds,
                    always=field.is_required(),
                    options_from=marker.options_from,
                    values=marker.values or _literal_values(field.annotation),
                    categories=marker.categories,
                    whole_text=marker.whole_text,
                    per_item=marker.per_item,
                )
            )
        return Needs(tuple(reads), praktik=cls.needs_praktik)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        """The input from a completed flow's payload (answers, option texts). A skipped
        step's answer (None) leaves the field at its default."""
        answers: Mapping[str, Any] = payload.get("answers") or {}
        texts: Mapping[str, Any] = payload.get("option_texts") or {}
        values: dict[str, Any] = {}
        for reads in cls.needs().reads:
            value = (texts if reads.whole_text else answers).get(reads.step)
            if value is not None:
                values[reads.step] = value
        return cls.model_validate(values)
