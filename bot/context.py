"""Building the engine's context from configuration and stored praktikker."""

from __future__ import annotations

from collections.abc import Mapping

from bot.config import AppConfig
from dialogues.history import History
from dialogues.sensitive import load_special_categories
from dialogues.state import FlowContext, PraktikFacts
from storage.models import Praktik


def praktik_facts(praktik: Praktik) -> PraktikFacts:
    assert praktik.id is not None
    return PraktikFacts(
        id=praktik.id,
        case_ref=praktik.case_ref,
        type=praktik.type,
        target_group=praktik.target_group,
        company=praktik.company,
        subgoals=tuple(praktik.subgoals),
        start_date=praktik.start_date,
        end_date=praktik.end_date,
        hours_per_week=praktik.hours_per_week,
        extension_assessed=praktik.extension_assessed,
        short_ref=praktik.short_ref,
        planned_end_date=praktik.planned_end_date,
    )


def flow_context(
    config: AppConfig,
    praktik: Praktik | None = None,
    *,
    history: History | None = None,
    locked_steps: Mapping[str, str] | None = None,
) -> FlowContext:
    special = config.special_categories
    terms = load_special_categories(special.terms_file)  # read once, then cached
    return FlowContext(
        timezone=config.timezone,
        rules=config.rules,
        types=config.types,
        max_custom_subgoals=config.max_custom_subgoals,
        praktik=praktik_facts(praktik) if praktik is not None else None,
        case_refs=config.case_reference,
        special_categories=terms.model_copy(update={"exempt_steps": special.exempt_steps}),
        progression=config.progression,
        plan_required_for=config.development_plan.required_for,
        history=history,
        locked_steps=dict(locked_steps or {}),
    )
