"""A report view: rows of counts with their rates, and how they are shown.

One model for every surface (the CLI table, CSV, JSON, XLSX, Home's Resultater and the
monthly overview): a `View` holds the raw counts per group, and `View.shown()` the cells
as that audience may see them — exact in a consultant's own view, else with small cells
suppressed (`bot.report.suppression`).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.report.relations import (
    CellRef,
    Relation,
    Subset,
    line_relations,
    row_relations,
    row_subsets,
)
from bot.report.suppression import MAX_HIDDEN_CELLS, Hidden, suppress, withheld

log = logging.getLogger(__name__)

Kind = Literal["count", "rate", "average", "text", "internal", "remaining"]
Shown = int | float | str | None

HIDDEN_SMALL = "<{n}"  # a count of fewer than N citizens
HIDDEN_OTHER = "x"  # hidden so that a small count cannot be worked out
NOT_DEFINED = "–"  # a rate of nothing (no denominator)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Kind = "count"
    # rate / average: numerator and denominator columns; remaining: the count it depends on
    numerator: str | None = None
    denominator: str | None = None
    # What a count counts, where another view's column with other key counts the same
    # (`suppress_together`); by default the key itself.
    quantity: str | None = None

    @property
    def shown_to_users(self) -> bool:
        return self.kind != "internal"


@dataclass
class View:
    """One table: a row per group (its key per breakdown) and, last, a total row."""

    name: str  # short, for a sheet (at most 31 characters)
    title: str
    dims: tuple[str, ...]  # the breakdowns' Danish headers
    columns: tuple[Column, ...]
    keys: list[tuple[Hashable, ...]] = field(default_factory=list)  # raw, for relations
    labels: list[tuple[str, ...]] = field(default_factory=list)  # shown, per row
    data: list[dict[str, float | int | str | None]] = field(default_factory=list)
    total: dict[str, float | int | str | None] | None = None
    # Row relations: (total column, its parts); a column may have several.
    sums: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    # Row inequalities: (part column, whole column), part <= whole.
    subsets: list[tuple[str, str]] = field(default_factory=list)
    # The coarser tables another run shows, each as the breakdowns (positions in a row's
    # key) it keeps — a run with fewer of them, or filtered to one group: None, every
    # proper subset.
    keep: tuple[tuple[int, ...], ...] | None = None
    notes: list[str] = field(default_factory=list)
    suppressed: bool = True
    min_size: int = 5
    _hidden: Hidden | None = None
    # The views suppressed with this one (`suppress_together`; it among them), or none.
    together: list[View] = field(default_factory=list, repr=False)

    @property
    def visible(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.shown_to_users)

    @property
    def counts(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns if c.kind == "count")

    def all_rows(self) -> list[dict[str, float | int | str | None]]:
        return [*self.data, *([self.total] if self.total is not None else [])]

    def all_labels(self) -> list[tuple[str, ...]]:
        total = ("I alt", *([""] * (len(self.dims) - 1))) if self.dims else ("I alt",)
        return [*self.labels, *([total] if self.total is not None else [])]

    def hidden(self) -> Hidden:
        if self._hidden is None:
            if self.suppressed:
                suppress_together(self.together or [self])
            else:
                self._hidden = Hidden()
        assert self._hidden is not None
        return self._hidden

    def count_values(self) -> dict[CellRef, int]:
        """Every count of the table (the total row's too), by cell."""
        counts = self.counts
        return {
            (i, key): int(row.get(key) or 0)
            for i, row in enumerate(self.all_rows())
            for key in counts
        }

    def knowledge(self) -> tuple[dict[CellRef, int], list[Relation], list[Subset]]:
        """The table's counts, relations and inequalities (`bot.report.relations`)."""
        rows = self.all_rows()
        values = self.count_values()
        total_row = len(self.data) if self.total is not None else None
        relations = row_relations(range(len(rows)), self.sums)
        relations += line_relations(
            self.keys,
            self.counts,
            total_row=total_row,
            values=values,
            keep=self.keep,
        )
        subsets = row_subsets(range(len(rows)), self.subsets, values)
        return values, relations, subsets

    def shown(self) -> list[list[Shown]]:
        """Every row's visible cells as this audience sees them (the total row last)."""
        hidden = self.hidden()
        result: list[list[Shown]] = []
        visible = self.visible
        small = HIDDEN_SMALL.format(n=self.min_size)
        for i, row in enumerate(self.all_rows()):
            result.append([self._cell(i, row, column, hidden, small) for column in visible])
        return result

    def _cell(
        self,
        i: int,
        row: dict[str, float | int | str | None],
        column: Column,
        hidden: Hidden,
        small: str,
    ) -> Shown:
        if column.kind == "count":
            if (i, column.key) in hidden.primary:
                return small
            if (i, column.key) in hidden.secondary:
                return HIDDEN_OTHER
            return int(row.get(column.key) or 0)
        if column.kind == "text":
            value = row.get(column.key)
            return None if value is None else str(value)
        assert column.denominator is not None
        if (i, column.denominator) in hidden:
            return HIDDEN_OTHER
        if column.kind == "remaining":
            value = row.get(column.key)
            return None if value is None else int(value)
        denominator = float(row.get(column.denominator) or 0)
        if not denominator:
            return NOT_DEFINED
        assert column.numerator is not None
        if (i, column.numerator) in hidden:
            return HIDDEN_OTHER
        value = float(row.get(column.numerator) or 0) / denominator
        return round(value, 4) if column.kind == "rate" else round(value, 1)

    def legend(self) -> str | None:
        if not self.suppressed:
            return None
        n = self.min_size
        legend = (
            f"<{n}: færre end {n} borgere (vises ikke). x: skjult, så et lille tal ikke kan "
            "regnes ud af de andre. Andele vises kun, hvor tæller og nævner vises."
        )
        if self.hidden().withheld:
            legend = (
                f"{self.title}: for mange små tal til at kontrollere, at ingen kan regnes ud "
                "- alle tal er skjult. Vælg færre opdelinger eller en længere periode. " + legend
            )
        return legend


def add_total(view: View) -> None:
    """The total row: the sum of every count and internal column over the groups."""
    total: dict[str, float | int | str | None] = {}
    for column in view.columns:
        if column.kind in ("count", "internal"):
            values = [r.get(column.key) or 0 for r in view.data]
            if all(isinstance(value, int) for value in values):
                total[column.key] = sum(int(value) for value in values)
            else:
                total[column.key] = sum(float(value) for value in values)
    view.total = total


def sort_rows(view: View, order: Sequence[int] | None = None) -> None:
    """Rows in the order of their raw keys (or `order`)."""
    indices = (
        list(order)
        if order is not None
        else sorted(range(len(view.keys)), key=lambda i: tuple(str(k) for k in view.keys[i]))
    )
    view.keys = [view.keys[i] for i in indices]
    view.labels = [view.labels[i] for i in indices]
    view.data = [view.data[i] for i in indices]


def suppress_together(views: Sequence[View]) -> None:
    """Suppress views as one table where they show the same counts: views with the same
    groups whose columns count the same (`Column.quantity`) and agree in every row (the
    ended praktikker of the exit view are the praktikker of the duration and lead-time
    views by end date) are linked cell by cell, so that no view shows what another one
    hides: the same count is hidden in all of them or in none."""
    min_size = views[0].min_size if views else 5
    counts = [view.count_values() for view in views]
    if sum(value < min_size for own in counts for value in own.values()) > MAX_HIDDEN_CELLS:
        # Withheld whatever else the audit would hide: its relations are not built.
        for view, own in zip(views, counts, strict=True):
            view._hidden = withheld(own, min_size)
            log.warning("report view %s: too large to audit, every count hidden", view.name)
        return
    values: dict[CellRef, int] = {}
    relations: list[Relation] = []
    subsets: list[Subset] = []
    offsets: list[int] = []
    offset = 0
    for view in views:
        offsets.append(offset)
        own, own_relations, own_subsets = view.knowledge()
        if offset:  # the first view's cells are the combined table's as they are

            def shift(cell: CellRef, by: int = offset) -> CellRef:
                return (cell[0] + by, cell[1])

            own = {shift(cell): value for cell, value in own.items()}
            own_relations = [
                Relation(
                    tuple([(c[0] + offset, c[1]) for c in r.parts]),  # inline: the most cells
                    None if r.total is None else shift(r.total),
                    r.known_total,
                )
                for r in own_relations
            ]
            own_subsets = [Subset(shift(s.part), shift(s.whole)) for s in own_subsets]
        values.update(own)
        relations += own_relations
        subsets += own_subsets
        offset += len(view.all_rows())
    for (a, first), (b, second) in itertools.combinations(zip(offsets, views, strict=True), 2):
        if first.dims != second.dims:
            continue
        rows_of = {key: i for i, key in enumerate(second.keys)}
        pairs = [(a + i, b + rows_of[key]) for i, key in enumerate(first.keys) if key in rows_of]
        if not pairs:
            continue
        if first.total is not None and second.total is not None:
            pairs.append((a + len(first.data), b + len(second.data)))
        quantity = {c.key: c.quantity or c.key for c in (*first.columns, *second.columns)}
        for one in first.counts:
            for other in second.counts:
                if quantity[one] != quantity[other]:
                    continue
                if all(values[(i, one)] == values[(j, other)] for i, j in pairs):
                    relations += [Relation(((i, one),), total=(j, other)) for i, j in pairs]
    hidden = suppress(values, relations, min_size, subsets)
    ends = [*offsets[1:], offset]
    for view, start, end in zip(views, offsets, ends, strict=True):

        def mine(cells: set[CellRef], start: int = start, end: int = end) -> set[CellRef]:
            return {(row - start, key) for row, key in cells if start <= row < end}

        view._hidden = Hidden(
            mine(hidden.primary), mine(hidden.secondary), mine(hidden.exposed), hidden.withheld
        )
        if hidden.withheld:
            log.warning("report view %s: too large to audit, every count hidden", view.name)
        if view._hidden.exposed:  # the documented cross-table limit: counts only
            log.warning(
                "report view %s: %d small counts can be worked out with a coarser "
                "table's cells (not protectable within this table)",
                view.name,
                len(view._hidden.exposed),
            )
