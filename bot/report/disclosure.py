"""What a reader can work out from a suppressed table: the small counts it pins down.

A reader of a table knows every shown count exactly, that a "<N" cell is between 0 and
N-1, that an "x" cell is at least N (only shown counts, which are N or more, are hidden
as "x"), every additive relation of the table (`Relation`: a row's total is the sum of
its parts; a line of groups sums to the total row or to a coarser table's cell, which is
known exactly when it is N or more and else to be under N), every inequality
(`Subset`: the job or education count is at most the ended count), and that no count
is negative. `pinned_cells` solves that system as a linear programme (scipy's HiGHS):
for each hidden small count, the least and the greatest value it can take. A count
with a single whole number in that range is pinned — the suppression then failed for
it. Zeros are not audited (a count pinned at 0 identifies nobody).

The bounds come from the linear relaxation: a whole-number attacker can do no better
on these sum tables in the cases the tests check (`tests/table_attacker.py` attacks the
same tables with an integer programme).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from bot.report.relations import CellRef, Relation, Subset

log = logging.getLogger(__name__)

TOLERANCE = 1e-6
BATCH_ROUNDS = 12  # solves with many cells in the objective before one cell at a time


class BudgetExceededError(Exception):
    """The audit needed more solves than its budget."""


@dataclass
class Budget:
    """Solves left for one table's audit (spent across its rounds)."""

    solves: int


class _System:
    """The reader's knowledge as A_ub x <= b_ub, A_eq x = b_eq over the hidden cells."""

    def __init__(
        self,
        values: Mapping[CellRef, int],
        relations: Iterable[Relation],
        subsets: Iterable[Subset],
        hidden: Collection[CellRef],
        primary: Collection[CellRef],
        min_size: int,
        budget: Budget | None = None,
    ) -> None:
        self.budget = budget
        self.cells = sorted(hidden)
        self.index = {cell: i for i, cell in enumerate(self.cells)}
        self.bounds = [
            (0.0, float(min_size - 1)) if cell in primary else (float(min_size), None)
            for cell in self.cells
        ]
        eq_rows: list[dict[int, float]] = []
        eq_rhs: list[float] = []
        ub_rows: list[dict[int, float]] = []
        ub_rhs: list[float] = []
        for relation in relations:
            total = ((relation.total, -1.0),) if relation.total is not None else ()
            row, constant = self._linear(values, [*((p, 1.0) for p in relation.parts), *total])
            if not row:
                continue
            if relation.total is not None or (relation.known_total or 0) >= min_size:
                eq_rows.append(row)
                eq_rhs.append((relation.known_total or 0) - constant)
            else:  # a coarser table's "<N": the parts sum to at most N-1
                ub_rows.append(row)
                ub_rhs.append(min_size - 1 - constant)
        for subset in subsets:  # part <= whole
            row, constant = self._linear(values, [(subset.part, 1.0), (subset.whole, -1.0)])
            if row:
                ub_rows.append(row)
                ub_rhs.append(-constant)
        self.a_eq = _matrix(eq_rows, len(self.cells))
        self.b_eq = np.array(eq_rhs) if eq_rhs else None
        self.a_ub = _matrix(ub_rows, len(self.cells))
        self.b_ub = np.array(ub_rhs) if ub_rhs else None

    def _linear(
        self, values: Mapping[CellRef, int], terms: Iterable[tuple[CellRef, float]]
    ) -> tuple[dict[int, float], float]:
        """sum(sign × cell) as coefficients of the hidden cells, and the shown cells' part
        (a constant, for the right-hand side)."""
        row: dict[int, float] = {}
        constant = 0.0
        for cell, sign in terms:
            if cell in self.index:
                row[self.index[cell]] = row.get(self.index[cell], 0.0) + sign
            else:
                constant += sign * values.get(cell, 0)
        return row, constant

    def solve(self, objective: np.ndarray) -> np.ndarray | None:
        """The point minimising `objective`, or None when the solver gives up."""
        if self.budget is not None:
            if self.budget.solves <= 0:
                raise BudgetExceededError
            self.budget.solves -= 1
        result = linprog(
            objective,
            A_ub=self.a_ub,
            b_ub=self.b_ub,
            A_eq=self.a_eq,
            b_eq=self.b_eq,
            bounds=self.bounds,
            method="highs",
        )
        if result.status == 3:  # unbounded: the direction has no optimum
            return None
        if not result.success:
            raise RuntimeError(f"suppression audit: the solver failed ({result.message})")
        return np.asarray(result.x)


def _matrix(rows: list[dict[int, float]], width: int) -> sparse.csr_array | None:
    if not rows:
        return None
    data = [c for row in rows for c in row.values()]
    row_index = [r for r, row in enumerate(rows) for _ in row]
    column_index = [c for row in rows for c in row]
    return sparse.csr_array((data, (row_index, column_index)), shape=(len(rows), width))


def pinned_cells(
    values: Mapping[CellRef, int],
    relations: Iterable[Relation],
    subsets: Iterable[Subset],
    *,
    primary: Collection[CellRef],
    secondary: Collection[CellRef],
    min_size: int,
    skip: Collection[CellRef] = (),
    budget: Budget | None = None,
) -> set[CellRef]:
    """The hidden small counts (value 1 or more, not in `skip`) a reader can pin down;
    BudgetExceededError when `budget` runs out."""
    hidden = set(primary) | set(secondary)
    candidates = sorted(c for c in primary if values.get(c, 0) >= 1 and c not in skip)
    if not candidates:
        return set()
    system = _System(values, relations, subsets, hidden, primary, min_size, budget)
    width = len(system.cells)
    # Every solution is a point the reader cannot rule out: a cell whose values over the
    # points found span two whole numbers is not pinned. A few solves with many cells in
    # the objective rule most cells out; each remaining cell then gets its own least and
    # greatest value (skipped where a point already reached its bound).
    low = np.full(width, math.inf)
    high = np.full(width, -math.inf)
    floor_ = np.array([b[0] for b in system.bounds])
    ceiling = np.array([math.inf if b[1] is None else b[1] for b in system.bounds])

    def seen(point: np.ndarray | None) -> None:
        if point is not None:
            np.minimum(low, point, out=low)
            np.maximum(high, point, out=high)

    def open_cells(cells: list[int]) -> list[int]:
        return [i for i in cells if not _two_whole_numbers(low[i], high[i])]

    rng = np.random.default_rng(0)  # fixed: the same table is suppressed the same way
    open_ = [system.index[c] for c in candidates]
    for round_ in range(BATCH_ROUNDS):
        if not open_:
            break
        objective = np.zeros(width)
        objective[open_] = 1.0 if round_ == 0 else rng.uniform(-1.0, 1.0, len(open_))
        seen(system.solve(objective))
        seen(system.solve(-objective))
        open_ = open_cells(open_)
    log.debug("suppression audit: %d cells, %d open after the batch", len(candidates), len(open_))
    pinned: set[CellRef] = set()
    for i in open_:
        if not open_cells([i]):
            continue  # ruled out by an earlier cell's solutions
        objective = np.zeros(width)
        objective[i] = 1.0
        least = floor_[i] if low[i] <= floor_[i] + TOLERANCE else None
        if least is None:
            point = system.solve(objective)
            seen(point)
            least = -math.inf if point is None else point[i]
        greatest = ceiling[i] if high[i] >= ceiling[i] - TOLERANCE else None
        if greatest is None and open_cells([i]):
            point = system.solve(-objective)
            seen(point)
            greatest = math.inf if point is None else point[i]
        if greatest is not None and not _two_whole_numbers(least, greatest):
            pinned.add(system.cells[i])
    return pinned


def _two_whole_numbers(a: float, b: float) -> bool:
    """Whether the range between a and b holds at least two whole numbers."""
    low, high = min(a, b), max(a, b)
    return math.floor(high + TOLERANCE) - math.ceil(low - TOLERANCE) >= 1
