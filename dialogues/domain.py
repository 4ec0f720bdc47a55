"""The domain rules the flows check: target groups, legal limits and the three types.

Values come from app.yaml (see bot.config); these models only say what they are. The
legal limits come as dated rule sets (`RuleSet`): the set in force on a praktik's start
date applies to it, so a new law is a new set in app.yaml, checked by
`praktikbot rules check` (dialogues.rulesets).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
TypeId = Literal["jobpraktik", "kompetencepraktik", "udviklingspraktik"]
# ekstra: proposed by a risk rule and accepted; plantrin: a dated step of the development plan.
FollowUpKind = Literal["opstart", "midtvejs", "afslutning", "status", "ekstra", "plantrin"]
Text = Annotated[str, Field(min_length=1, max_length=600)]

# Where a praktik at the citizen's last employer is allowed (bek. § 61 stk. 2-4):
# forbidden — not at all (dagpenge, the jobparate groups); new_function — only in a new
# job function that the agreement describes; same_function_without_job — also in the same
# function when the citizen has no job (sygedagpenge, jobafklaring), else a new one.
LastEmployerRule = Literal["forbidden", "new_function", "same_function_without_job"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TargetGroup(Frozen):
    id: Id
    label: str = Field(min_length=1, max_length=75)
    max_weeks: int = Field(ge=1, le=52)
    extendable_to_weeks: int | None = Field(default=None, ge=1, le=52)
    last_employer: LastEmployerRule = "new_function"
    # The id of an earlier rule set this group is carried over from: what the entry does
    # not say is as that set says it (resolved when app.yaml is loaded).
    continues: Id | None = None
    # No new praktik may start in this group while the set is in force: the Danish reason
    # shown to the consultant (e.g. the group was abolished by a law).
    closed: Text | None = None

    @model_validator(mode="after")
    def _extension_longer(self) -> TargetGroup:
        if self.extendable_to_weeks is not None and self.extendable_to_weeks <= self.max_weeks:
            raise ValueError("extendable_to_weeks must be larger than max_weeks")
        return self


class RatioCap(Frozen):
    """Rimelighedskrav (bek. § 65): max people in praktik/løntilskud per P-nr."""

    small_company_limit: int = Field(default=50, ge=1)
    employees_per_place_small: int = Field(default=5, ge=1)
    employees_per_place_large: int = Field(default=10, ge=1)
    minimum: int = Field(default=1, ge=0)

    def limit(self, ordinary_employees: int) -> int:
        n = ordinary_employees
        if n <= self.small_company_limit:
            return max(self.minimum, n // self.employees_per_place_small)
        base = self.small_company_limit // self.employees_per_place_small
        return base + (n - self.small_company_limit) // self.employees_per_place_large


Citation = Annotated[str, Field(min_length=1, max_length=80)]


class LegalReferences(Frozen):
    """How the set's provisions are cited in what the consultant reads (Danish)."""

    purpose: Citation = "bek. § 60 stk. 2"
    hours: Citation = "bek. § 60 stk. 5"
    duration: Citation = "LAB § 61"
    extension: Citation = "LAB § 61 stk. 2"
    last_employer: Citation = "bek. § 61 stk. 2-4"
    ratio_cap: Citation = "bek. § 65"
    ratio_statement: Citation = "bek. § 65 stk. 6"


class RuleSet(Frozen):
    id: Id
    label: str = Field(min_length=1, max_length=200)  # the law it states, in Danish
    valid_from: dt.date
    valid_to: dt.date | None = None  # the last day; without it: until the next set starts
    max_hours_per_week: float = Field(gt=0, le=60)
    ratio_cap: RatioCap = RatioCap()
    references: LegalReferences = LegalReferences()
    target_groups: tuple[TargetGroup, ...] = Field(min_length=1)

    @field_validator("target_groups")
    @classmethod
    def _unique_groups(cls, groups: tuple[TargetGroup, ...]) -> tuple[TargetGroup, ...]:
        ids = [g.id for g in groups]
        if len(ids) != len(set(ids)):
            raise ValueError("target group ids must be unique")
        return groups

    @model_validator(mode="after")
    def _dates_in_order(self) -> RuleSet:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self

    def target_group(self, group_id: str) -> TargetGroup | None:
        return next((g for g in self.target_groups if g.id == group_id), None)

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def rule_set_on(rules: Sequence[RuleSet], day: dt.date) -> RuleSet:
    """The set in force on `day`: the latest one that covers it (rules sorted by
    valid_from; checked to leave no gap). A day before them all gets the earliest."""
    covering = [r for r in rules if r.covers(day)]
    if covering:
        return covering[-1]
    started = [r for r in rules if r.valid_from <= day]
    return started[-1] if started else rules[0]


class LegalPurpose(Frozen):
    """The legal purpose a type maps to: its number in the list of purposes (cited as
    `references.purpose`, nr. N) and what it says."""

    number: int = Field(ge=1, le=9)
    text: Text


class PraktikType(Frozen):
    id: TypeId
    label: str
    alias: str
    offered_to: str
    purpose: str
    legal_purpose: LegalPurpose
    subgoals: tuple[str, ...] = Field(min_length=1, max_length=20)
