"""The relations a report table carries: what a reader knows adds up.

A `Relation` is an additive one (a row's total is the sum of its parts; a line of groups
sums to the total row or to a coarser table's cell), a `Subset` an inequality (job or
education at most ended). Both the suppression (`bot.report.suppression`) and its
attack on the table (`bot.report.disclosure`) read them.
"""

from __future__ import annotations

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
    marginals: Sequence[int] | None = None,
) -> list[Relation]:
    """The relations along every line of a table whose rows 0..len(keys)-1 are groups
    (one key per breakdown) and `total_row` (if any) is the sum of all of them;
    `marginals`: with several breakdowns, the positions (breakdowns) whose lines' sums a
    coarser table shows (None: every one); a group alone on such a line is that table's
    cell, a relation of one member."""
    relations: list[Relation] = []
    if not keys:
        return relations
    width = len(keys[0])
    for column in columns:
        if width <= 1:
            parts = tuple((i, column) for i in range(len(keys)))
            if total_row is not None:
                relations.append(Relation(parts, total=(total_row, column)))
            continue
        for position in range(width) if marginals is None else marginals:
            lines: dict[tuple[Hashable, ...], list[int]] = {}
            for index, key in enumerate(keys):
                rest = key[:position] + key[position + 1 :]
                lines.setdefault(rest, []).append(index)
            for members in lines.values():
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


def row_subsets(rows: Iterable[int], pairs: Sequence[tuple[str, str]]) -> list[Subset]:
    """Within each row: column `part` <= column `whole` (from `pairs`)."""
    return [Subset((row, part), (row, whole)) for row in rows for part, whole in pairs]
