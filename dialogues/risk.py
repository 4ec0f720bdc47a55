"""Effort where it is needed: rules (app.yaml `risk.rules`) that propose an extra
follow-up when what was just recorded shows risk.

One mechanism for every rule. Saving a flow about a praktik produces *signals*:

- ``answer``: each answer of the saved flow (its flow and step id, the value; a question
  asked per item gives one signal per item);
- ``score``: each progression score recorded (side, indicator, phase, value);
- ``score_change``: a score minus the previous score of the same sub-goal (or job belief)
  from the same side, where there is one;
- ``end_date_change_days``: how many days a praktik's end date moved (positive: longer).

A rule names one kind of signal, narrows it (flow, step; side, indicator and phases for
scores: a low score at the start is where a praktik begins) and tests its value (equals /
in / below / at_most / above / at_least). A rule is *evaluated* when the save produced a
signal it narrows to, and *holds* when one of them passes the test; a rule that was
evaluated and does not hold clears the praktik's flag for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SignalKind = Literal["answer", "score", "score_change", "end_date_change_days"]
Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


@dataclass(frozen=True)
class Signal:
    kind: SignalKind
    value: Any
    flow: str | None = None
    step: str | None = None
    side: str | None = None
    indicator: str | None = None
    phase: str | None = None


class RiskRule(Frozen):
    id: Id
    label: Annotated[str, Field(min_length=1, max_length=60)]  # Danish, shown to consultants
    signal: SignalKind
    flow: str | None = None
    step: str | None = None
    side: Literal["citizen", "company", "consultant"] | None = None
    indicator: Literal["subgoal", "job_belief"] | None = None
    phases: tuple[Literal["opstart", "midtvejs", "afslutning"], ...] | None = None
    equals: str | int | bool | None = None
    in_: tuple[str, ...] | None = Field(default=None, alias="in")
    below: float | None = None
    at_most: float | None = None
    above: float | None = None
    at_least: float | None = None

    @model_validator(mode="after")
    def _well_formed(self) -> RiskRule:
        tests = [self.equals, self.in_, self.below, self.at_most, self.above, self.at_least]
        if all(t is None for t in tests):
            raise ValueError("a rule needs a test: equals, in, below, at_most, above or at_least")
        if (self.equals is not None or self.in_ is not None) and any(
            t is not None for t in tests[2:]
        ):
            raise ValueError("give equals/in or a range (below, at_most, above, at_least)")
        if self.signal == "answer" and self.step is None:
            raise ValueError("an answer rule names the step it reads")
        if self.signal != "answer" and (self.step is not None or self.flow is not None):
            raise ValueError("flow and step narrow answer rules only")
        if self.signal not in ("score", "score_change") and (
            self.side is not None or self.indicator is not None or self.phases is not None
        ):
            raise ValueError("side, indicator and phases narrow score rules only")
        return self

    def narrows_to(self, signal: Signal) -> bool:
        return (
            signal.kind == self.signal
            and (self.flow is None or signal.flow == self.flow)
            and (self.step is None or signal.step == self.step)
            and (self.side is None or signal.side == self.side)
            and (self.indicator is None or signal.indicator == self.indicator)
            and (self.phases is None or signal.phase in self.phases)
        )

    def passes(self, value: Any) -> bool:
        if value is None:
            return False
        if self.equals is not None:
            if isinstance(value, bool) and isinstance(self.equals, str):
                return value == (self.equals == "ja")
            return str(value) == str(self.equals)
        if self.in_ is not None:
            return str(value) in self.in_
        try:
            number = float(value)
        except (TypeError, ValueError):
            return False
        return (
            (self.below is None or number < self.below)
            and (self.at_most is None or number <= self.at_most)
            and (self.above is None or number > self.above)
            and (self.at_least is None or number >= self.at_least)
        )


class ExtraFollowUp(Frozen):
    """What an accepted proposal adds: a follow-up this many working days from today."""

    working_days: int = Field(default=5, ge=1, le=60)


class RiskConfig(Frozen):
    rules: tuple[RiskRule, ...] = ()
    extra_followup: ExtraFollowUp = ExtraFollowUp()

    def rule(self, rule_id: str) -> RiskRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


@dataclass(frozen=True)
class Verdict:
    rule: RiskRule
    holds: bool


def evaluate(rules: Sequence[RiskRule], signals: Sequence[Signal]) -> list[Verdict]:
    """The verdict of every rule that the signals let evaluate (others: left out)."""
    verdicts = []
    for rule in rules:
        relevant = [s for s in signals if rule.narrows_to(s)]
        if relevant:
            verdicts.append(Verdict(rule, any(rule.passes(s.value) for s in relevant)))
    return verdicts


def unknown_steps(config: RiskConfig, steps_of: dict[str, set[str]]) -> list[str]:
    """Problems with answer rules that name a flow or step no flow has."""
    problems = []
    for rule in config.rules:
        if rule.signal != "answer":
            continue
        if rule.flow is not None and rule.flow not in steps_of:
            problems.append(f"risk.rules '{rule.id}': no flow '{rule.flow}'")
            continue
        flows = [rule.flow] if rule.flow else list(steps_of)
        if not any(rule.step in steps_of[f] for f in flows):
            where = f"flow '{rule.flow}'" if rule.flow else "any flow"
            problems.append(f"risk.rules '{rule.id}': {where} has no step '{rule.step}'")
    return problems
