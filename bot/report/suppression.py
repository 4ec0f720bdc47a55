"""Small-cell suppression: no report outside a consultant's own view identifies a person.

Primary suppression. A count of fewer than N citizens (`report.min_cell_size`, default
5) — zero included — is shown as "<5".

Complementary suppression. A hidden count must not be computable from what is shown.
Every additive relation a table carries is listed (`Relation`): within a row (ended =
ordinary job + subsidised job + education + new praktik + unemployed + other; started =
not ended + ended; …), and along every line of the table — the rows that differ in one
breakdown only sum to the table's total row (one breakdown) or to the rows of the
coarser table another run with fewer breakdowns shows (several breakdowns: that
marginal is known exactly when it is N or more, else known to be under N). Inequalities
are listed too (`Subset`: job or education at most ended). Two steps, repeated until
neither hides more:

1. No relation may have exactly one hidden member: where it has, the smallest shown
   part is hidden too (shown as "x").
2. The table is attacked as a reader would (`bot.report.disclosure`): every shown count
   exact, "<N" between 0 and N-1, "x" at least N, every relation and inequality, solved
   as a linear programme for each hidden small count's least and greatest value. A count
   still pinned to one value (13 = 5 + 4 + 4 pins both 4s though each relation has two
   hidden members) gets a partner: a shown count in one of its relations (or one
   relation further) is hidden too.

Rates (shares) are shown only when their numerator and denominator are both shown, so
a rate never reveals more than the counts next to it; an average is shown only when the
count it averages over is shown.

What this does not cover, and why it is acceptable: a count of 0 may be pinned (it
identifies nobody; protecting zeros hid whole tables on the demo store). A small count
that a coarser table pins (three hidden 4s on a line whose coarser cell shows 12) cannot
be protected inside this table — the two tables' hidden cells are not coordinated; such
cells are counted in `Hidden.exposed`. Comparing two exports for different periods
(January-June minus January-May) can narrow a cell of June; every export is audited
with its breakdowns and period, and the Slack surfaces show fixed periods only. The
choice of partners is greedy, not an optimal solver: it guarantees the property above,
not the smallest number of hidden cells.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.report.relations import CellRef, Relation, Subset

MAX_TRIES = 3  # partners given to one pinned cell before it counts as exposed


@dataclass
class Hidden:
    primary: set[CellRef] = field(default_factory=set)
    secondary: set[CellRef] = field(default_factory=set)
    # small counts still pinned by the relations after every partner tried (see above)
    exposed: set[CellRef] = field(default_factory=set)

    def __contains__(self, cell: object) -> bool:
        return cell in self.primary or cell in self.secondary


def suppress(
    values: Mapping[CellRef, int],
    relations: Iterable[Relation],
    min_size: int,
    subsets: Iterable[Subset] = (),
) -> Hidden:
    """The cells to hide (see the module docstring)."""
    from bot.report.disclosure import pinned_cells  # scipy: only where a table is suppressed

    hidden = Hidden(primary={cell for cell, value in values.items() if value < min_size})
    relations = list(relations)
    subsets = list(subsets)
    by_cell: dict[CellRef, list[Relation]] = {}
    for relation in relations:
        for cell in relation.members:
            by_cell.setdefault(cell, []).append(relation)
    # A cell alone on its line is the coarser table's cell itself: hiding it here would
    # hide nothing, so other cells are chosen first.
    published = {
        r.parts[0]
        for r in relations
        if r.total is None and len(r.parts) == 1 and (r.known_total or 0) >= min_size
    }
    tries: dict[CellRef, int] = {}
    stuck: set[CellRef] = set()
    while True:
        _partner_lone_cells(hidden, relations, values, published, min_size)
        if not hidden.primary:
            break
        pinned = pinned_cells(
            values,
            relations,
            subsets,
            primary=hidden.primary,
            secondary=hidden.secondary,
            min_size=min_size,
            skip=stuck,
        )
        if not pinned:
            break
        widened: set[CellRef] = set()  # this round's partners: others re-audited first
        for cell in sorted(pinned):
            if any(m in widened for r in by_cell.get(cell, ()) for m in r.members):
                continue
            tries[cell] = tries.get(cell, 0) + 1
            partner = _widening_partner(cell, by_cell, hidden, values, published, min_size)
            if partner is None or tries[cell] > MAX_TRIES:
                stuck.add(cell)
            else:
                hidden.secondary.add(partner)
                widened.add(partner)
    hidden.exposed = stuck
    return hidden


def _partner_lone_cells(
    hidden: Hidden,
    relations: Sequence[Relation],
    values: Mapping[CellRef, int],
    published: set[CellRef],
    min_size: int,
) -> None:
    """Step 1: until no relation has exactly one hidden member."""
    changed = True
    while changed:
        changed = False
        for relation in relations:
            unknown = sum(1 for cell in relation.members if cell in hidden)
            if relation.total is None and (relation.known_total or 0) < min_size:
                unknown += 1  # the marginal would be hidden where it is shown
            if unknown != 1:
                continue
            candidates = [cell for cell in relation.parts if cell not in hidden]
            if candidates:
                choice = min(
                    candidates, key=lambda cell: (cell in published, values.get(cell, 0), cell)
                )
            elif relation.total is not None and relation.total not in hidden:
                choice = relation.total
            else:
                continue
            hidden.secondary.add(choice)
            changed = True


def _widening_partner(
    cell: CellRef,
    by_cell: Mapping[CellRef, list[Relation]],
    hidden: Hidden,
    values: Mapping[CellRef, int],
    published: set[CellRef],
    min_size: int,
) -> CellRef | None:
    """A shown count to hide beside a pinned one: in the relations of `cell`, else of the
    hidden cells in them (up to three relations away). Preferred: a relation with few
    hidden members, a cell not published elsewhere, above N (its own bound then gives a
    reader room), small."""
    frontier, seen = [cell], {cell}
    for _ in range(3):
        options: list[tuple[int, bool, bool, int, CellRef]] = []
        following: list[CellRef] = []
        for current in frontier:
            for relation in by_cell.get(current, ()):
                members = relation.members
                unknown = sum(1 for m in members if m in hidden)
                for member in members:
                    if member in hidden:
                        if member not in seen:
                            seen.add(member)
                            following.append(member)
                        continue
                    value = values.get(member, 0)
                    options.append((unknown, member in published, value <= min_size, value, member))
        if options:
            return min(options)[-1]
        frontier = following
    return None
