"""What a reader can work out from a suppressed table: the small counts it pins down.

A reader of a table knows every shown count exactly, that a "<N" cell is between 0 and
N-1, that an "x" cell is at least N (only shown counts, which are N or more, are hidden
as "x"), every additive relation of the table (`Relation`: a row's total is the sum of
its parts; a line of groups sums to the total row or to a coarser table's cell, which is
known exactly when it is N or more and else to be under N), every inequality
(`Subset`: the job or education count is at most the ended count), and that no count
is negative. `Audit` solves that system as a linear programme (HiGHS, through its own
Python API `highspy`): for each hidden small count, the least and the greatest value it
can take. A count with a single whole number in that range is pinned — the suppression
then failed for it. Zeros are not audited (a count pinned at 0 identifies nobody).

One model serves a table's whole suppression: every cell is a column, a shown one fixed
at its value, and each round of the suppression only frees the cells it hid since
(their bounds), so every solve starts from the previous one's basis (primal simplex:
the previous optimum stays feasible when only the objective changes). Every point a
solve finds stays a point the reader cannot rule out in later rounds (hiding more only
widens what the reader must consider), and so does the table's true counts: a cell
shown once to take two whole numbers is not audited again.

The bounds come from the linear relaxation: a whole-number attacker can do no better
on these sum tables in the cases the tests check (`tests/table_attacker.py` attacks the
same tables with an integer programme).
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import highspy
import numpy as np

from bot.report.relations import CellRef, Relation, Subset

log = logging.getLogger(__name__)

TOLERANCE = 1e-6
BATCH_ROUNDS = 12  # solves with many cells in the objective before one cell at a time
# Pinned cells one round reports at most: proving a cell pinned takes two solves, and
# the suppression gives partners to a few of them per round (their neighbours wait for
# the next audit); the rest are found in later rounds. On the demo store's exit view
# by type x team x end quarter: 680 solves without the limit, 473 with it.
MAX_PINNED = 40
BATCH_FROM = 8  # open cells from which the batch is worth its (costlier) solves
# A solve's fixed cost in simplex iterations (measured: about 8 ms a solve of 43
# iterations, 0.07 ms an iteration, on a table of 950 cells and 2,100 relations).
SOLVE_OVERHEAD = 100


class BudgetExceededError(Exception):
    """The audit needed more work than its budget."""


@dataclass
class Work:
    """Work left for a table's audits (shared by the models of one suppression)."""

    left: int


class Audit:
    """The reader's knowledge of one table as a linear programme over all its cells
    (row bounds: the relations and inequalities; column bounds: what each cell shows),
    kept across the suppression's rounds. `work` caps the work of all its solves
    together: each solve's simplex iterations plus `SOLVE_OVERHEAD`, times the model's
    size (columns + rows) — a measure of time that, unlike a clock, gives the same
    answer for the same table on a busy machine."""

    def __init__(
        self,
        values: Mapping[CellRef, int],
        relations: Iterable[Relation],
        subsets: Iterable[Subset],
        min_size: int,
        *,
        work: Work | None = None,
    ) -> None:
        relations = list(relations)
        subsets = list(subsets)
        members = {c for r in relations for c in r.members}
        members |= {c for s in subsets for c in (s.part, s.whole)}
        self.cells = sorted(set(values) | members)
        self.index = {cell: i for i, cell in enumerate(self.cells)}
        self.values = values
        self.min_size = min_size
        self.truth = np.array([float(values.get(c, 0)) for c in self.cells])
        self.work = work
        self.solves = 0
        rows: list[dict[int, float]] = []
        lower: list[float] = []
        upper: list[float] = []
        for relation in relations:
            total = ((relation.total, -1.0),) if relation.total is not None else ()
            row = self._row([*((p, 1.0) for p in relation.parts), *total])
            if not row:
                continue
            if relation.total is not None or (relation.known_total or 0) >= min_size:
                rhs = float(relation.known_total or 0)
                rows.append(row)
                lower.append(rhs)
                upper.append(rhs)
            else:  # a coarser table's "<N": the parts sum to at most N-1
                rows.append(row)
                lower.append(-highspy.kHighsInf)
                upper.append(float(min_size - 1))
        for subset in subsets:  # part <= whole
            rows.append(self._row([(subset.part, 1.0), (subset.whole, -1.0)]))
            lower.append(-highspy.kHighsInf)
            upper.append(0.0)
        self.highs = _model(self.truth, rows, lower, upper)
        self.size = len(self.cells) + len(rows)  # a simplex iteration's work grows with it
        # column bounds as the model has them: every cell shown (fixed) to begin with
        self.floor = self.truth.copy()
        self.ceiling = self.truth.copy()
        # the least and greatest value of each cell over the points found: the true
        # counts are one
        self.low = self.truth.copy()
        self.high = self.truth.copy()
        self.last: set[CellRef] | None = None  # the cells pinned at the last call
        self.objective: list[int] = []  # the columns with a cost in the model

    def _row(self, terms: Iterable[tuple[CellRef, float]]) -> dict[int, float]:
        row: dict[int, float] = {}
        for cell, sign in terms:
            row[self.index[cell]] = row.get(self.index[cell], 0.0) + sign
        return row

    def hide(self, primary: Collection[CellRef], secondary: Collection[CellRef]) -> bool:
        """Free the cells hidden since the last call: "<N" between 0 and N-1, "x" at
        least N. Whether any was."""
        changed: list[int] = []
        for cell in primary:
            i = self.index[cell]
            if self.ceiling[i] != self.min_size - 1 or self.floor[i] != 0:
                self.floor[i], self.ceiling[i] = 0.0, float(self.min_size - 1)
                changed.append(i)
        for cell in secondary:
            i = self.index[cell]
            if self.ceiling[i] != math.inf:
                self.floor[i], self.ceiling[i] = float(self.min_size), math.inf
                changed.append(i)
        if changed:
            index = np.array(changed, dtype=np.int32)
            upper = np.where(np.isinf(self.ceiling[index]), highspy.kHighsInf, self.ceiling[index])
            self.highs.changeColsBounds(len(index), index, self.floor[index], upper)
        return bool(changed)

    def solve(self, objective: Mapping[int, float]) -> np.ndarray | None:
        """The point minimising `objective` (coefficients by cell index), or None when
        the direction has no optimum."""
        highs = self.highs
        if self.work is not None:
            iterations = self.work.left // self.size - SOLVE_OVERHEAD
            if iterations <= 0:
                raise BudgetExceededError
            highs.setOptionValue("simplex_iteration_limit", iterations)
        # only the columns whose cost changes (a new objective clears the last one's)
        cost = dict.fromkeys(self.objective, 0.0) | dict(objective)
        self.objective = [i for i, c in cost.items() if c]
        if cost:
            index = np.fromiter(cost, dtype=np.int32, count=len(cost))
            highs.changeColsCost(len(cost), index, np.fromiter(cost.values(), dtype=np.float64))
        highs.run()
        self.solves += 1
        status = highs.getModelStatus()
        if self.work is not None:
            iterations = highs.getInfo().simplex_iteration_count
            self.work.left -= (iterations + SOLVE_OVERHEAD) * self.size
            if status == highspy.HighsModelStatus.kIterationLimit:
                raise BudgetExceededError
        if status == highspy.HighsModelStatus.kUnbounded:
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(
                f"suppression audit: the solver failed ({highs.modelStatusToString(status)})"
            )
        point = np.asarray(highs.getSolution().col_value)
        np.minimum(self.low, point, out=self.low)
        np.maximum(self.high, point, out=self.high)
        return point

    def _open(self, cells: Iterable[int]) -> list[int]:
        return [i for i in cells if not _two_whole_numbers(self.low[i], self.high[i])]

    def pinned(
        self,
        primary: Collection[CellRef],
        secondary: Collection[CellRef],
        skip: Collection[CellRef] = (),
        limit: int | None = MAX_PINNED,
    ) -> set[CellRef]:
        """The hidden small counts (value 1 or more, not in `skip`) a reader can pin
        down, with `primary` and `secondary` hidden — at most `limit` of them (None:
        all); BudgetExceededError when the budget runs out."""
        if not self.hide(primary, secondary) and self.last is not None:
            # the same system as last time: the same cells pinned (the least and greatest
            # values are the system's, whatever points were found on the way)
            return {cell for cell in self.last if cell not in skip}
        candidates = sorted(c for c in primary if self.values.get(c, 0) >= 1 and c not in skip)
        # Every solution is a point the reader cannot rule out: a cell whose values over
        # the points found span two whole numbers is not pinned. A few solves with many
        # cells in the objective rule most cells out; each remaining cell then gets its
        # own least and greatest value (skipped where a point already reached its bound).
        rng = np.random.default_rng(0)  # fixed: the same table is suppressed the same way
        open_ = self._open(self.index[c] for c in candidates)
        for round_ in range(BATCH_ROUNDS):
            if len(open_) < BATCH_FROM:
                break
            weights = np.ones(len(open_)) if round_ == 0 else rng.uniform(-1.0, 1.0, len(open_))
            self.solve(dict(zip(open_, weights, strict=True)))
            self.solve(dict(zip(open_, -weights, strict=True)))
            still = self._open(open_)
            if len(still) == len(open_):
                break  # two directions freed none: the rest are likely pinned
            open_ = still
        log.debug(
            "suppression audit: %d cells, %d open after the batch", len(candidates), len(open_)
        )
        pinned: set[CellRef] = set()
        for i in open_:
            if limit is not None and len(pinned) >= limit:
                break  # the rest in a later round (it gives these partners first)
            if not self._open([i]):
                continue  # ruled out by an earlier cell's solutions
            least = self.floor[i] if self.low[i] <= self.floor[i] + TOLERANCE else None
            if least is None:
                point = self.solve({i: 1.0})
                least = -math.inf if point is None else point[i]
            greatest = self.ceiling[i] if self.high[i] >= self.ceiling[i] - TOLERANCE else None
            if greatest is None and self._open([i]):
                point = self.solve({i: -1.0})
                greatest = math.inf if point is None else point[i]
            if greatest is not None and not _two_whole_numbers(least, greatest):
                pinned.add(self.cells[i])
        self.last = pinned if limit is None or len(pinned) < limit else None
        return pinned


def _model(
    start: np.ndarray, rows: list[dict[int, float]], lower: list[float], upper: list[float]
) -> highspy.Highs:
    """A HiGHS model of `rows` (each: coefficients by column) between `lower` and
    `upper`, every column fixed at `start`."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    # Primal simplex: after a change of objective the previous optimum is still a
    # feasible basis; the dual simplex (HiGHS's default) took 20x the time here.
    highs.setOptionValue("simplex_strategy", 4)
    lp = highspy.HighsLp()
    lp.num_col_ = len(start)
    lp.num_row_ = len(rows)
    lp.col_cost_ = np.zeros(len(start))
    lp.col_lower_ = start.copy()
    lp.col_upper_ = start.copy()
    lp.row_lower_ = np.array(lower, dtype=np.float64)
    lp.row_upper_ = np.array(upper, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array([0, *itertools.accumulate(len(r) for r in rows)], dtype=np.int32)
    lp.a_matrix_.index_ = np.array([c for r in rows for c in r], dtype=np.int32)
    lp.a_matrix_.value_ = np.array([v for r in rows for v in r.values()], dtype=np.float64)
    highs.passModel(lp)
    return highs


def pinned_cells(
    values: Mapping[CellRef, int],
    relations: Iterable[Relation],
    subsets: Iterable[Subset],
    *,
    primary: Collection[CellRef],
    secondary: Collection[CellRef],
    min_size: int,
    skip: Collection[CellRef] = (),
) -> set[CellRef]:
    """The hidden small counts (value 1 or more, not in `skip`) a reader can pin down,
    in one audit (`Audit.pinned`)."""
    return Audit(values, relations, subsets, min_size).pinned(primary, secondary, skip)


def _two_whole_numbers(a: float, b: float) -> bool:
    """Whether the range between a and b holds at least two whole numbers."""
    low, high = min(a, b), max(a, b)
    return math.floor(high + TOLERANCE) - math.ceil(low - TOLERANCE) >= 1
