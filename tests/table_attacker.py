"""An attacker on a published report: from what a reader sees (the JSON export's labels
and cells) and what a reader knows of the columns (their sums and inequalities, written
out here from the column headers' meaning, not taken from the product), an integer
programme (scipy's `milp`) finds every "<N" cell whose value is pinned to one number.

Knowledge used: shown counts exact; "<N" in 0..N-1; "x" at least N (only shown counts,
N or more, are hidden as "x"); each row's sums and inequalities (`ROW_SUMS`,
`AT_MOST`); the total row is the sum of the groups; a rate shown with its denominator
hidden-or-shown gives its numerator (numerator = rate × denominator, to the rounding);
and, given coarser reports (fewer breakdowns, same period), every line of the fine
table sums to the coarser table's cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

CATEGORIES = ("ordinary_job", "subsidised_job", "education", "new_praktik", "unemployed", "other")
MONTHS = (1, 3, 6, 12)
ROW_SUMS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "Afgang": [
        ("started", ("not_ended", "ended")),
        ("ended", CATEGORIES),
        ("jobedu", ("ordinary_job", "subsidised_job", "education")),
    ],
    "Opfølgning": [("due", ("on_time", "late", "missed"))],
    "Varighed": [("praktikker", ("within", "extended", "over"))],
    "Tid til start": [("praktikker", ("after_start", "d0_7", "d8_14", "d15_30", "d31"))],
    "Virksomheder": [("praktikker", ("active", "ended"))],
}


def _exit_at_most(months: Sequence[int], *, host: bool) -> list[tuple[str, str]]:
    """What the exit headers tell: job or education <= ended (host hires <= job or
    education); due after M months <= ended and <= due after fewer months; statuses
    <= due; job or education then <= statuses."""
    pairs = [("jobedu", "ended"), *((("host", "jobedu"),) if host else ())]
    for index, m in enumerate(months):
        pairs += [(f"due_{m}", "ended"), (f"status_{m}", f"due_{m}")]
        pairs += [(f"jobedu_{m}", f"status_{m}")]
        pairs += [(f"due_{m}", f"due_{fewer}") for fewer in months[:index]]
    return pairs


AT_MOST: dict[str, list[tuple[str, str]]] = {
    "Afgang": _exit_at_most(MONTHS, host=True),
    "Kohorter": _exit_at_most(MONTHS, host=False),
    "Virksomheder": [("hires", "ended")],
}

Cell = tuple[int, str]  # (row index in the view, column key)


@dataclass
class Table:
    name: str
    columns: dict[str, dict[str, Any]]  # key -> {"kind": …, …}
    labels: list[tuple[str, ...]]  # groups' labels (the total row excluded)
    cells: list[dict[str, Any]]  # shown values per row, the total row last
    min_size: int

    @classmethod
    def of(cls, view: Mapping[str, Any], min_size: int) -> Table:
        rows = view["rows"]
        return cls(
            name=view["name"],
            columns={c["key"]: c for c in view["columns"]},
            labels=[tuple(r["labels"]) for r in rows if not r["total"]],
            cells=[dict(r["values"]) for r in rows],
            min_size=min_size,
        )

    @property
    def total_row(self) -> int:
        return len(self.cells) - 1

    def counts(self) -> list[str]:
        return [k for k, c in self.columns.items() if c["kind"] == "count"]

    def small(self) -> list[Cell]:
        return [
            (i, k)
            for i, row in enumerate(self.cells)
            for k in self.counts()
            if row.get(k) == f"<{self.min_size}"
        ]


class _Programme:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.cells: list[Cell] = []
        self.index: dict[Cell, int] = {}
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.rows: list[dict[int, float]] = []
        self.row_low: list[float] = []
        self.row_high: list[float] = []
        n = table.min_size
        for i, row in enumerate(table.cells):
            for key in table.counts():
                value = row.get(key)
                if value == f"<{n}":
                    self._variable((i, key), 0, n - 1)
                elif value == "x":
                    self._variable((i, key), n, np.inf)

    def _variable(self, cell: Cell, low: float, high: float) -> None:
        self.index[cell] = len(self.cells)
        self.cells.append(cell)
        self.lower.append(low)
        self.upper.append(high)

    def term(self, cell: Cell) -> tuple[int | None, float]:
        """A cell as (variable, 0) or (None, its shown value)."""
        if cell in self.index:
            return self.index[cell], 0.0
        value = self.table.cells[cell[0]].get(cell[1])
        return None, float(value or 0)

    def constrain(
        self, plus: Iterable[Cell], minus: Iterable[Cell], low: float, high: float
    ) -> None:
        """low <= sum(plus) - sum(minus) <= high."""
        row: dict[int, float] = {}
        constant = 0.0
        for cells, sign in ((plus, 1.0), (minus, -1.0)):
            for cell in cells:
                variable, value = self.term(cell)
                if variable is None:
                    constant += sign * value
                else:
                    row[variable] = row.get(variable, 0.0) + sign
        if row:
            self.rows.append(row)
            self.row_low.append(low - constant)
            self.row_high.append(high - constant)

    def solve(self, objective: np.ndarray) -> np.ndarray:
        width = len(self.cells)
        constraints = []
        if self.rows:
            matrix = sparse.csr_array(
                (
                    [c for row in self.rows for c in row.values()],
                    (
                        [r for r, row in enumerate(self.rows) for _ in row],
                        [c for row in self.rows for c in row],
                    ),
                ),
                shape=(len(self.rows), width),
            )
            constraints = [LinearConstraint(matrix, self.row_low, self.row_high)]
        result = milp(
            objective,
            constraints=constraints,
            integrality=np.ones(width),
            bounds=Bounds(self.lower, self.upper),
        )
        assert result.success, result.message
        return np.rint(result.x)

    def pinned(self, cells: list[Cell]) -> dict[Cell, int]:
        """Of `cells`, those with one possible value. Two solutions that differ in a cell
        show it is not pinned: the sum of all of them is minimised and maximised first."""
        if not cells:
            return {}
        width = len(self.cells)
        wanted = [self.index[c] for c in cells]
        objective = np.zeros(width)
        objective[wanted] = 1.0
        points = [self.solve(objective), self.solve(-objective)]
        # A few random directions over the cells not yet seen to differ rule most of
        # them out with two solves each, before each remaining cell gets its own two.
        rng = np.random.default_rng(0)
        for _ in range(RANDOM_ROUNDS):
            open_ = [i for i in wanted if len({p[i] for p in points}) == 1]
            if len(open_) < RANDOM_FROM:
                break
            objective = np.zeros(width)
            objective[open_] = rng.uniform(-1.0, 1.0, len(open_))
            points += [self.solve(objective), self.solve(-objective)]
        found = {}
        for cell, i in zip(cells, wanted, strict=True):
            if len({p[i] for p in points}) > 1:
                continue
            objective = np.zeros(width)
            objective[i] = 1.0
            least, greatest = self.solve(objective)[i], self.solve(-objective)[i]
            if least == greatest:
                found[cell] = int(least)
        return found


RANDOM_ROUNDS = 8
RANDOM_FROM = 10  # open cells from which a random direction is worth its two solves


def pinned(table: Table, coarser: Sequence[Table] = ()) -> dict[Cell, int]:
    """The "<N" cells of `table` the attacker pins, with the value found."""
    programme = _Programme(table)
    n = table.min_size
    columns = table.counts()
    groups = range(len(table.labels))
    for i in range(len(table.cells)):
        for total, parts in ROW_SUMS.get(table.name, []):
            if total in columns and all(p in columns for p in parts):
                programme.constrain([(i, p) for p in parts], [(i, total)], 0, 0)
        for part, whole in AT_MOST.get(table.name, []):
            if part in columns and whole in columns:
                programme.constrain([(i, part)], [(i, whole)], -np.inf, 0)
        for key, column in table.columns.items():  # numerator = rate × denominator
            value = table.cells[i].get(key)
            if column["kind"] != "rate" or not isinstance(value, float | int):
                continue
            numerator, denominator = _rate_parts(table, key)
            den_var, den = programme.term((i, denominator))
            if den_var is None and (i, numerator) in programme.index:
                programme.constrain([(i, numerator)], [], value * den - 0.5, value * den + 0.5)
    for key in columns:  # the total row is the sum of the groups
        programme.constrain([(i, key) for i in groups], [(table.total_row, key)], 0, 0)
    for other in coarser:  # each line of this table sums to a cell of a coarser one
        for i, label in enumerate(other.labels):
            members = [j for j in groups if _reduces_to(table.labels[j], label)]
            if not members:
                continue
            for key in columns:
                if key not in other.columns:
                    continue
                shown = other.cells[i].get(key)
                low: float
                high: float
                if shown == f"<{n}":
                    low, high = 0.0, float(n - 1)
                elif shown == "x":
                    low, high = float(n), np.inf
                else:
                    low = high = float(shown or 0)
                programme.constrain([(j, key) for j in members], [], low, high)
    return programme.pinned(table.small())


def _rate_parts(table: Table, key: str) -> tuple[str, str]:
    """A rate column's numerator and denominator, from the view's naming."""
    if table.name in ("Afgang", "Kohorter"):
        if key == "rate_end":
            return "jobedu", "ended"
        months = key.removeprefix("rate_")
        return f"jobedu_{months}", f"status_{months}"
    return {
        "Opfølgning": ("on_time", "due"),
        "Varighed": ("within", "praktikker"),
    }[table.name]


def _reduces_to(fine: tuple[str, ...], coarse: tuple[str, ...]) -> bool:
    """Whether a fine table's group lies in a coarser table's group (its labels with
    one or more breakdowns dropped, in order)."""
    if len(coarse) >= len(fine):
        return False
    it = iter(fine)
    return all(any(label == f for f in it) for label in coarse)
