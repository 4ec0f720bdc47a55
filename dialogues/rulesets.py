"""Dated rule sets as app.yaml writes them: resolving what a set carries over from an
earlier one, and checking that the sets fit together.

A target group may say `continues: <id of an earlier set>`: what the entry does not say
is as that set says it (its limits, its label, whether it is closed). The sets must
cover every day from the first one on without a gap or an overlap, each set and each
group needs a label a consultant can tell apart, and every group a maximum. Problems
name the key in app.yaml (`rules.1.valid_to`), in the file's own order.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from typing import Any

from dialogues.domain import RuleSet


class RuleSetError(ValueError):
    """The rule sets do not fit together: (key, problem) pairs, keys as in app.yaml."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{key}: {text}" for key, text in self.problems))


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def resolve_continues(raw: Any) -> Any:
    """The raw `rules` list with every `continues` entry filled in from the set it names
    (which may itself continue an earlier one). Anything that is not a list of mappings
    is returned as it is, for the model to report."""
    if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
        return raw
    sets: list[dict[str, Any]] = [dict(s) for s in raw]
    index_of: dict[str, int] = {}
    for index, entry in enumerate(sets):
        if isinstance(entry.get("id"), str):
            index_of.setdefault(entry["id"], index)
    order = sorted(
        (i for i, s in enumerate(sets) if _day(s.get("valid_from")) is not None),
        key=lambda i: _day(sets[i]["valid_from"]) or dt.date.min,
    )
    problems: list[tuple[str, str]] = []
    for index in order:
        entry = sets[index]
        start = _day(entry["valid_from"])
        groups = entry.get("target_groups")
        if not isinstance(groups, list):
            continue
        resolved = []
        for number, group in enumerate(groups):
            if not isinstance(group, dict) or group.get("continues") is None:
                resolved.append(group)
                continue
            key = f"rules.{index}.target_groups.{number}.continues"
            name = group["continues"]
            earlier = index_of.get(str(name))
            earlier_start = _day(sets[earlier].get("valid_from")) if earlier is not None else None
            if earlier is None:
                problems.append((key, f"names rule set '{name}', which app.yaml does not have"))
            elif earlier_start is None or start is None or not earlier_start < start:
                problems.append(
                    (key, f"names rule set '{name}', which does not start before this one")
                )
            else:
                found = next(
                    (
                        g
                        for g in sets[earlier].get("target_groups") or []
                        if isinstance(g, dict) and g.get("id") == group.get("id")
                    ),
                    None,
                )
                if found is None:
                    problems.append(
                        (key, f"rule set '{name}' has no target group '{group.get('id')}'")
                    )
                else:
                    group = {**found, **group}
            resolved.append(group)
        entry["target_groups"] = resolved
    if problems:
        raise RuleSetError(problems)
    return sets


def _day_text(day: dt.date) -> str:
    return day.isoformat()


def rule_set_problems(rules: Sequence[RuleSet]) -> list[tuple[str, str]]:
    """Everything wrong with how the sets (in the file's order) fit together."""
    problems: list[tuple[str, str]] = []
    first_with_id: dict[str, int] = {}
    first_with_label: dict[str, int] = {}
    for index, rule_set in enumerate(rules):
        if rule_set.id in first_with_id:
            problems.append(
                (
                    f"rules.{index}.id",
                    f"'{rule_set.id}' is the id of rules.{first_with_id[rule_set.id]} too",
                )
            )
        first_with_id.setdefault(rule_set.id, index)
        label = rule_set.label.strip().casefold()
        if label in first_with_label:
            problems.append(
                (
                    f"rules.{index}.label",
                    f"the same as the label of rules.{first_with_label[label]}",
                )
            )
        first_with_label.setdefault(label, index)
        group_labels: dict[str, str] = {}
        for number, group in enumerate(rule_set.target_groups):
            folded = group.label.strip().casefold()
            if folded in group_labels:
                problems.append(
                    (
                        f"rules.{index}.target_groups.{number}.label",
                        f"'{group.label}' is also the label of '{group_labels[folded]}': a "
                        "consultant could not tell them apart",
                    )
                )
            group_labels.setdefault(folded, group.id)
    order = sorted(range(len(rules)), key=lambda i: rules[i].valid_from)
    for before, after in itertools.pairwise(order):
        a, b = rules[before], rules[after]
        if a.valid_from == b.valid_from:
            problems.append(
                (
                    f"rules.{after}.valid_from",
                    f"rule sets '{a.id}' and '{b.id}' both start on {_day_text(b.valid_from)}",
                )
            )
            continue
        if a.valid_to is None:
            continue
        last_day = b.valid_from - dt.timedelta(days=1)
        if a.valid_to > last_day:
            problems.append(
                (
                    f"rules.{before}.valid_to",
                    f"'{a.id}' ends {_day_text(a.valid_to)}, after '{b.id}' starts "
                    f"({_day_text(b.valid_from)}): the sets overlap; end it {_day_text(last_day)}",
                )
            )
        elif a.valid_to < last_day:
            gap_from = a.valid_to + dt.timedelta(days=1)
            problems.append(
                (
                    f"rules.{before}.valid_to",
                    f"no rule set applies from {_day_text(gap_from)} to {_day_text(last_day)} "
                    f"(between '{a.id}' and '{b.id}'); end it {_day_text(last_day)}",
                )
            )
    if order and rules[order[-1]].valid_to is not None:
        last = rules[order[-1]]
        assert last.valid_to is not None
        problems.append(
            (
                f"rules.{order[-1]}.valid_to",
                f"the last rule set '{last.id}' ends {_day_text(last.valid_to)}: no rule set "
                "applies after it (remove valid_to, or add the next set)",
            )
        )
    return problems
