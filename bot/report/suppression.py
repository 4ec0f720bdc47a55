"""Small-cell suppression: no report outside a consultant's own view identifies a person.

Primary suppression. A count of fewer than N citizens (`report.min_cell_size`, default
5) — zero included — is shown as "<5".

Complementary suppression. A hidden count must not be computable from what is shown.
Every additive relation a table carries is listed (`Relation`): within a row (ended =
ordinary job + subsidised job + education + new praktik + unemployed + other; started =
not ended + ended; …), and along every line of the table — the rows that differ in one
breakdown only sum to the table's total row (one breakdown) or to the rows of the
coarser table another run with fewer breakdowns shows (several breakdowns: those
marginal totals are taken as known whenever they are N or more, since that table would
show them). No relation may have exactly one hidden member: where it has, the smallest
shown part is hidden too (shown as "x"), and this repeats until no relation has one.
A relation with two or more hidden members leaves each of them undetermined.

Rates (shares) are shown only when their numerator and denominator are both shown, so
a rate never reveals more than the counts next to it; an average is shown only when the
count it averages over is shown.

What this does not cover, and why it is acceptable: a group alone on its line (the
only team with that type) is the coarser table's cell itself, and the two tables'
complementary cells are not coordinated; comparing two exports for
different periods (January-June minus January-May) can narrow a cell of June; every
export is audited with its breakdowns and period, and the Slack surfaces show fixed
periods only. The greedy choice of complementary cells is the common "hypercube"
heuristic, not an optimal solver: it guarantees the property above, not the smallest
number of hidden cells.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

CellRef = tuple[int, str]  # (row index, column key)


@dataclass(frozen=True)
class Relation:
    """total = sum(parts). `total` is a cell of the table, or None when the total is a
    marginal shown elsewhere (its value `known_total`)."""

    parts: tuple[CellRef, ...]
    total: CellRef | None = None
    known_total: int | None = None


@dataclass
class Hidden:
    primary: set[CellRef] = field(default_factory=set)
    secondary: set[CellRef] = field(default_factory=set)

    def __contains__(self, cell: object) -> bool:
        return cell in self.primary or cell in self.secondary


def suppress(values: Mapping[CellRef, int], relations: Iterable[Relation], min_size: int) -> Hidden:
    """The cells to hide (see the module docstring)."""
    hidden = Hidden(primary={cell for cell, value in values.items() if value < min_size})
    relations = list(relations)
    changed = True
    while changed:
        changed = False
        for relation in relations:
            members = [*relation.parts, *((relation.total,) if relation.total else ())]
            unknown = sum(1 for cell in members if cell in hidden)
            if relation.total is None and (relation.known_total or 0) < min_size:
                unknown += 1  # the marginal would be hidden where it is shown
            if unknown != 1:
                continue
            candidates = [cell for cell in relation.parts if cell not in hidden]
            if candidates:
                choice = min(candidates, key=lambda cell: (values.get(cell, 0), cell))
            elif relation.total is not None and relation.total not in hidden:
                choice = relation.total
            else:
                continue
            hidden.secondary.add(choice)
            changed = True
    return hidden


def line_relations(
    keys: Sequence[tuple[Hashable, ...]],
    columns: Sequence[str],
    *,
    total_row: int | None,
    values: Mapping[CellRef, int],
) -> list[Relation]:
    """The relations along every line of a table whose rows 0..len(keys)-1 are groups
    (one key per breakdown) and `total_row` (if any) is the sum of all of them."""
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
        for position in range(width):
            lines: dict[tuple[Hashable, ...], list[int]] = {}
            for index, key in enumerate(keys):
                rest = key[:position] + key[position + 1 :]
                lines.setdefault(rest, []).append(index)
            for members in lines.values():
                if len(members) < 2:
                    continue  # the cell itself is the coarser table's cell: see below
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
