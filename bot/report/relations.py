"""The relations a report table carries: what a reader knows adds up.

A `Relation` is an additive one (a row's total is the sum of its parts; a line of groups
sums to the total row or to a coarser table's cell), a `Subset` an inequality (job or
education at most ended). Both the suppression (`bot.report.suppression`) and its
attack on the table (`bot.report.disclosure`) read them.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

CellRef = tuple[int, str]  # (row index, column key)


@dataclass(frozen=True)
class Relation:
    """total = sum(parts). `total` is a cell of the table, or None when the total is a
    marginal shown elsewhere (its value `known_total`)."""

    parts: tuple[CellRef, ...]
    total: CellRef | None = None
    known_total: int | None = None

    @property
    def members(self) -> tuple[CellRef, ...]:
        return (*self.parts, *((self.total,) if self.total is not None else ()))


@dataclass(frozen=True)
class Subset:
    """part <= whole (e.g. job or education at most ended, in one row)."""

    part: CellRef
    whole: CellRef


def line_relations(
    keys: Sequence[tuple[Hashable, ...]],
    columns: Sequence[str],
    *,
    total_row: int | None,
    values: Mapping[CellRef, int],
    keep: Sequence[Sequence[int]] | None = None,
) -> list[Relation]:
    """The relations of a table whose rows 0..len(keys)-1 are groups (one key per
    breakdown) and `total_row` (if any) is the sum of all of them: the total row, and
    every coarser table another run can show — the table by each of the breakdowns'
    subsets in `keep` (positions; None: every proper subset), whether by fewer
    breakdowns or filtered to one group (`--team`, `--from`/`--to`). Each coarser cell is the sum of
    the groups that agree with it on the kept breakdowns; a group alone in it is that
    table's cell itself, a relation of one member."""
    relations: list[Relation] = []
    if not keys:
        return relations
    width = len(keys[0])
    coarser = (
        [kept for size in range(1, width) for kept in itertools.combinations(range(width), size)]
        if keep is None
        else [tuple(kept) for kept in keep]
    )
    # The groups of each coarser table (the same for every column).
    by_kept: list[list[list[int]]] = []
    for kept in coarser:
        groups: dict[tuple[Hashable, ...], list[int]] = {}
        for index, key in enumerate(keys):
            groups.setdefault(tuple([key[i] for i in kept]), []).append(index)
        by_kept.append(list(groups.values()))
    for column in columns:
        for table in by_kept:
            for members in table:
                marginal = sum(values.get((i, column), 0) for i in members)
                relations.append(
                    Relation(tuple((i, column) for i in members), known_total=marginal)
                )
        if total_row is not None:
            parts = tuple((i, column) for i in range(len(keys)))
            relations.append(Relation(parts, total=(total_row, column)))
    return relations


def row_relations(rows: Iterable[int], sums: Sequence[tuple[str, Sequence[str]]]) -> list[Relation]:
    """Within each row: column `total` = the sum of columns `parts` (from `sums`)."""
    return [
        Relation(tuple((row, part) for part in parts), total=(row, total))
        for row in rows
        for total, parts in sums
    ]


def row_subsets(
    rows: Iterable[int], pairs: Sequence[tuple[str, str]], values: Mapping[CellRef, int]
) -> list[Subset]:
    """Within each row: column `part` <= column `whole` (from `pairs`: what a reader can
    tell from the headers, e.g. due after 3 months <= ended), where it holds."""
    return [
        Subset((row, part), (row, whole))
        for row in rows
        for part, whole in pairs
        if values.get((row, part), 0) <= values.get((row, whole), 0)
    ]
