"""The domain rules the flows check: target groups, legal limits and the three types.

Values come from app.yaml (see bot.config); these models only say what they are.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
TypeId = Literal["jobpraktik", "kompetencepraktik", "udviklingspraktik"]
# ekstra: proposed by a risk rule and accepted; plantrin: a dated step of the development plan.
FollowUpKind = Literal["opstart", "midtvejs", "afslutning", "status", "ekstra", "plantrin"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TargetGroup(Frozen):
    id: Id
    label: str = Field(min_length=1, max_length=75)
    max_weeks: int = Field(ge=1, le=52)
    extendable_to_weeks: int | None = Field(default=None, ge=1, le=52)
    last_employer: Literal["forbidden", "new_function"] = "new_function"

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


class RuleSet(Frozen):
    valid_from: dt.date
    max_hours_per_week: float = Field(gt=0, le=60)
    ratio_cap: RatioCap = RatioCap()
    target_groups: tuple[TargetGroup, ...] = Field(min_length=1)

    @field_validator("target_groups")
    @classmethod
    def _unique_groups(cls, groups: tuple[TargetGroup, ...]) -> tuple[TargetGroup, ...]:
        ids = [g.id for g in groups]
        if len(ids) != len(set(ids)):
            raise ValueError("target group ids must be unique")
        return groups

    def target_group(self, group_id: str) -> TargetGroup | None:
        return next((g for g in self.target_groups if g.id == group_id), None)


class PraktikType(Frozen):
    id: TypeId
    label: str
    alias: str
    offered_to: str
    purpose: str
    subgoals: tuple[str, ...] = Field(min_length=1, max_length=20)
