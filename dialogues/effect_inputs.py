"""The input of each effect a flow may name in `on_complete`: one typed model per effect.

A field is the answer of the step with the field's name (see `dialogues.contract`); the
flow check holds every flow naming the effect to these fields, and `bot.effects` builds
the model from the completed flow's answers. A flow naming anything not listed in
`EFFECT_INPUTS` fails to load.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, ClassVar, Literal, get_args

from pydantic import BeforeValidator

from dialogues.contract import EffectInput, ItemAnswer, answer
from dialogues.domain import FollowUpKind
from dialogues.history import PlanWho
from dialogues.progression import Phase
from dialogues.rules import PLAN_DECISIONS

# What an outcome means to the municipality's report (`category` of each outcome option).
OutcomeCategory = Literal[
    "ordinary_job", "subsidised_job", "education", "new_praktik", "unemployed", "other"
]
OUTCOME_CATEGORIES = frozenset(get_args(OutcomeCategory))


def _whole(value: object) -> object:
    """A count typed as a number: its whole part (12,5 employees count as 12)."""
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Count = Annotated[int, BeforeValidator(_whole)]


def _digits(value: object) -> object:
    """A number typed with spaces or dashes (a CVR number): its digits."""
    return re.sub(r"\D", "", value) if isinstance(value, str) else value


class RegisterPraktikInput(EffectInput):
    """The agreement as VITAS holds it, and what the legal checks were given."""

    registers_praktik = True

    case_ref: Annotated[str, answer("text")]
    target_group: Annotated[str, answer("choice", options_from="target_groups")]
    company: Annotated[str, answer("text")]
    p_number: Annotated[str | None, answer("text")] = None
    cvr_number: Annotated[str | None, BeforeValidator(_digits), answer("text")] = None
    praktik_type: Annotated[str, answer("choice", options_from="praktik_types")]
    subgoals: Annotated[list[str], answer("multi", whole_text=True)]
    own_subgoals: Annotated[str | None, answer("text")] = None
    tasks: Annotated[str | None, answer("text")] = None
    start_date: Annotated[dt.date, answer("date")]
    end_date: Annotated[dt.date, answer("date")]
    hours_per_week: Annotated[float, answer("number")]
    hours_rise: Annotated[bool, answer("yesno")] = False
    final_hours: Annotated[float | None, answer("number")] = None
    hours_plan: Annotated[str | None, answer("text")] = None
    working_times: Annotated[str | None, answer("text")] = None
    extension_assessed: Annotated[bool, answer("yesno")] = False
    last_employer: Annotated[bool, answer("yesno")] = False
    has_job: Annotated[bool | None, answer("yesno")] = None
    same_function: Annotated[bool | None, answer("yesno")] = None
    new_function: Annotated[str | None, answer("text")] = None
    ordinary_employees: Annotated[Count, answer("number")]
    subsidised_now: Annotated[Count, answer("number")]
    employee_rep: Annotated[str | None, answer("text")] = None
    ratio_statement: Annotated[bool, answer("yesno")] = False
    contact_person: Annotated[str | None, answer("text")] = None
    min_plan_updated: Annotated[bool | None, answer("yesno")] = None

    def all_subgoals(self) -> list[str]:
        """The chosen sub-goals of the type (whole text), then the consultant's own ones
        (separated by semicolons or lines)."""
        own = [g.strip() for g in re.split(r"[;\n]", self.own_subgoals or "") if g.strip()]
        return [*self.subgoals, *own]


class ChangePeriodInput(EffectInput):
    needs_praktik = True

    start_date: Annotated[dt.date | None, answer("date")] = None  # skipped: keep the start
    end_date: Annotated[dt.date, answer("date")]
    extension_assessed: Annotated[bool, answer("yesno")] = False


class AddFollowupInput(EffectInput):
    needs_praktik = True

    kind: Annotated[FollowUpKind, answer("choice")]
    due_date: Annotated[dt.date, answer("date")]
    note: Annotated[str | None, answer("text")] = None


class RecordFollowupInput(EffectInput):
    """Marks the praktik's follow-up held: of the meeting the form records, if asked."""

    needs_praktik = True

    phase: Annotated[str | None, answer("choice")] = None


class RecordOutcomeInput(EffectInput):
    needs_praktik = True

    outcome: Annotated[str, answer("choice", categories=OUTCOME_CATEGORIES)]
    # Asked when the outcome is recorded before the planned end: the day it ended.
    actual_end: Annotated[dt.date | None, answer("date")] = None
    outcome_at_host: Annotated[bool | None, answer("yesno")] = None
    outcome_hours: Annotated[int | float | None, answer("number")] = None
    outcome_start: Annotated[dt.date | None, answer("date")] = None
    new_praktik_type: Annotated[str | None, answer("choice")] = None
    outcome_other: Annotated[str | None, answer("text")] = None
    purpose_met: Annotated[str | None, answer("choice")] = None
    reason_not_met: Annotated[str | None, answer("text")] = None
    min_plan_updated: Annotated[bool | None, answer("yesno")] = None

    DETAIL: ClassVar[tuple[str, ...]] = (
        "outcome_at_host",
        "outcome_hours",
        "outcome_start",
        "new_praktik_type",
        "outcome_other",
        "reason_not_met",
    )


class RecordStatusInput(EffectInput):
    """The citizen's status some months after the end (a status follow-up's answer)."""

    needs_praktik = True

    status: Annotated[str, answer("choice", categories=OUTCOME_CATEGORIES)]
    status_at_host: Annotated[bool | None, answer("yesno")] = None
    status_hours: Annotated[int | float | None, answer("number")] = None


class CaseNoteInput(EffectInput):
    """Saves the case-note draft the engine wrote; reads no answers."""


class VitasSummaryInput(EffectInput):
    """The registered agreement, field by field in VITAS's order, to copy into VITAS;
    reads the praktik as stored, no answers."""

    reads_saved_praktik = True


class GrantNoteInput(EffectInput):
    """The journalnotat for the grant: legal purpose, period against the maximum, ratio
    cap and statement, last employer; reads the praktik as stored, no answers."""

    reads_saved_praktik = True


Audience = Literal["borger", "virksomhed", "begge", "ingen"]


class MeetingGuideInput(EffectInput):
    """The meeting guide for a phase and an audience (shown, not stored)."""

    needs_praktik = True

    phase: Annotated[Phase, answer("choice")]
    audience: Annotated[Audience, answer("choice")]


SCALE = "progression_scale"


class RecordProgressInput(EffectInput):
    """Scores per sub-goal from up to three sides, and the consultant's job belief."""

    needs_praktik = True

    phase: Annotated[Phase, answer("choice")]
    meeting_date: Annotated[dt.date | None, answer("date")] = None
    score_consultant: Annotated[
        list[ItemAnswer] | None, answer("choice", per_item=True, options_from=SCALE)
    ] = None
    score_citizen: Annotated[
        list[ItemAnswer] | None, answer("choice", per_item=True, options_from=SCALE)
    ] = None
    score_company: Annotated[
        list[ItemAnswer] | None, answer("choice", per_item=True, options_from=SCALE)
    ] = None
    job_belief: Annotated[str | None, answer("choice", options_from="job_belief_scale")] = None

    SIDES: ClassVar[dict[str, str]] = {
        "score_consultant": "consultant",
        "score_citizen": "citizen",
        "score_company": "company",
    }


WHO = frozenset(get_args(PlanWho))


class UpdatePlanInput(EffectInput):
    """The development plan: the open steps reviewed, new steps with who and by when."""

    needs_praktik = True

    plan_review: Annotated[
        list[ItemAnswer] | None, answer("choice", per_item=True, values=PLAN_DECISIONS)
    ] = None
    plan_moved_to: Annotated[list[ItemAnswer] | None, answer("date", per_item=True)] = None
    plan_first: Annotated[str | None, answer("text")] = None
    plan_new: Annotated[str | None, answer("text")] = None
    plan_new_who: Annotated[
        list[ItemAnswer] | None, answer("choice", per_item=True, values=WHO)
    ] = None
    plan_new_due: Annotated[list[ItemAnswer] | None, answer("date", per_item=True)] = None


EFFECT_INPUTS: dict[str, type[EffectInput]] = {
    "register_praktik": RegisterPraktikInput,
    "change_period": ChangePeriodInput,
    "add_followup": AddFollowupInput,
    "record_followup": RecordFollowupInput,
    "record_outcome": RecordOutcomeInput,
    "record_status": RecordStatusInput,
    "case_note": CaseNoteInput,
    "vitas_summary": VitasSummaryInput,
    "grant_note": GrantNoteInput,
    "meeting_guide": MeetingGuideInput,
    "record_progress": RecordProgressInput,
    "update_plan": UpdatePlanInput,
}
