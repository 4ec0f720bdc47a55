"""`praktikbot rules check`: the dated rule sets of app.yaml, and what applies on a day.

Loading app.yaml already checks that the sets fit together (dialogues.rulesets); this
shows the operator the result: every set with its dates, and the set in force on a day
with everything it says, as the flows will apply it.
"""

from __future__ import annotations

import datetime as dt

from bot.config import AppConfig
from dialogues.domain import RuleSet, TargetGroup

LAST_EMPLOYER = {
    "forbidden": "not at the last employer",
    "new_function": "last employer only in a new job function",
    "same_function_without_job": "last employer: same function if without a job, else a new one",
}


def _period(rule_set: RuleSet, following: RuleSet | None) -> str:
    if rule_set.valid_to is not None:
        end = rule_set.valid_to.isoformat()
    elif following is not None:
        end = (following.valid_from - dt.timedelta(days=1)).isoformat()
    else:
        end = "(until a new set is added)"
    return f"{rule_set.valid_from.isoformat()} - {end}"


def overview(config: AppConfig) -> list[str]:
    """One line per set, in date order."""
    sets = config.rules
    lines = []
    for index, rule_set in enumerate(sets):
        following = sets[index + 1] if index + 1 < len(sets) else None
        closed = sum(1 for g in rule_set.target_groups if g.closed)
        extra = f", {closed} closed to new praktikker" if closed else ""
        lines.append(
            f"     {rule_set.id}: {_period(rule_set, following)}, "
            f"{len(rule_set.target_groups)} target groups{extra} - {rule_set.label}"
        )
    return lines


def _group_line(group: TargetGroup) -> str:
    weeks = f"max {group.max_weeks} weeks"
    if group.extendable_to_weeks is not None:
        weeks += f" (up to {group.extendable_to_weeks} after an individual assessment)"
    parts = [f'{group.id} "{group.label}": {weeks}; {LAST_EMPLOYER[group.last_employer]}']
    if group.continues:
        parts.append(f"continues {group.continues}")
    line = "; ".join(parts)
    if group.closed:
        line += f"\n         CLOSED to new praktikker: {group.closed}"
    return "       " + line


def applies_on(config: AppConfig, day: dt.date) -> list[str]:
    """The set in force on `day` and what it says."""
    rule_set = config.rules_on(day)
    index = config.rules.index(rule_set)
    following = config.rules[index + 1] if index + 1 < len(config.rules) else None
    previous = config.rules[index - 1] if index > 0 else None
    refs, cap = rule_set.references, rule_set.ratio_cap
    lines = [f"On {day.isoformat()} rule set '{rule_set.id}' applies: {rule_set.label}"]
    if day < rule_set.valid_from:
        lines.append(f"     ({day.isoformat()} is before every set: the earliest one is used)")
    lines += [
        f"     valid {_period(rule_set, following)}",
        f"     max hours per week: {rule_set.max_hours_per_week:g} ({refs.hours})",
        f"     ratio cap ({refs.ratio_cap}): 1 per {cap.employees_per_place_small} ordinary "
        f"employees up to {cap.small_company_limit} (at least {cap.minimum}), then 1 per "
        f"{cap.employees_per_place_large}; statement: {refs.ratio_statement}",
        f"     duration: {refs.duration}, extension {refs.extension}; last employer: "
        f"{refs.last_employer}; purpose: {refs.purpose}",
        f"     target groups ({len(rule_set.target_groups)}):",
        *(_group_line(group) for group in rule_set.target_groups),
    ]
    if previous is not None:
        gone = [g.id for g in previous.target_groups if rule_set.target_group(g.id) is None]
        if gone:
            lines.append(
                f"     not in this set (from '{previous.id}'): {', '.join(gone)} - a new "
                "praktik in these groups cannot be registered"
            )
    return lines
