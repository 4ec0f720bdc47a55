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
cells are counted in `Hidden.exposed` (and protected against a reader of this table
alone: attacked with its own relations only). Comparing two exports for different periods
(January-June minus January-May) can narrow a cell of June; every export is audited
with its breakdowns and period, and the Slack surfaces show fixed periods only. The
choice of partners is greedy, not an optimal solver: it guarantees the property above,
not the smallest number of hidden cells.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.report.relations import CellRef, Relation, Subset

MAX_TRIES = 3  # single partners given to one pinned cell before more are hidden around it
SHORT_RELATION = 8
# The audit's size limits: a table with more hidden cells, or whose audit needs more
# work (`bot.report.disclosure.Audit`: simplex iterations times the model's size), is
# not audited but hidden whole (`Hidden.withheld`). On the demo store the exit view by
# type x team x end quarter (945 cells, all hidden) needs 281 M and takes about 5 s; by
# target group x start quarter for one team (1,541 cells) 106 M, 2.5 s. The cap allows
# about twice the former: an audit is bounded (a request cannot hold a core for long).
MAX_HIDDEN_CELLS = 5000
MAX_WORK = 500_000_000


@dataclass
class Hidden:
    primary: set[CellRef] = field(default_factory=set)
    secondary: set[CellRef] = field(default_factory=set)
    # small counts still pinned by the relations after every partner tried (see above)
    exposed: set[CellRef] = field(default_factory=set)
    # too large to audit: every count hidden
    withheld: bool = False

    def __contains__(self, cell: object) -> bool:
        return cell in self.primary or cell in self.secondary


def suppress(
    values: Mapping[CellRef, int],
    relations: Iterable[Relation],
    min_size: int,
    subsets: Iterable[Subset] = (),
) -> Hidden:
    """The cells to hide (see the module docstring)."""
    # highspy: imported only where a table is suppressed
    from bot.report.disclosure import Audit, BudgetExceededError, Work

    hidden = Hidden(primary={cell for cell, value in values.items() if value < min_size})
    relations = list(relations)
    subsets = list(subsets)
    # Each cell's relations and inequalities, as their members: where partners are found.
    by_cell: dict[CellRef, list[tuple[CellRef, ...]]] = {}
    for members in [*(r.members for r in relations), *((s.part, s.whole) for s in subsets)]:
        for cell in members:
            by_cell.setdefault(cell, []).append(members)
    # A cell alone on its line is the coarser table's cell itself: hiding it here would
    # hide nothing, so other cells are chosen first.
    published = {
        r.parts[0]
        for r in relations
        if r.total is None and len(r.parts) == 1 and (r.known_total or 0) >= min_size
    }
    # Cells that equal another one (views suppressed together, `suppress_together`):
    # hiding one hides its twin, so a cell whose twin is hidden already is chosen first.
    twins: dict[CellRef, CellRef] = {}
    for r in relations:
        if r.total is not None and len(r.parts) == 1:
            twins[r.parts[0]], twins[r.total] = r.total, r.parts[0]
    tries: dict[CellRef, int] = {}
    stuck: set[CellRef] = set()
    work = Work(MAX_WORK)
    audit: Audit | None = None
    # Counts pinned even with every count of the table hidden: a coarser table's cells
    # pin them (the documented limit, reported as exposed), so no partner frees them in
    # the full system; hiding everything around them hid whole tables for nothing. They
    # are protected against a reader of this table alone instead: attacked with the
    # table's own relations (not the coarser tables' cells), `own`.
    hopeless: set[CellRef] | None = None
    own: Audit | None = None
    while True:
        _partner_lone_cells(hidden, relations, values, published, min_size, twins)
        if not hidden.primary:
            break
        if len(hidden.primary) + len(hidden.secondary) > MAX_HIDDEN_CELLS:
            return withheld(values, min_size)
        try:
            if audit is None:
                audit = Audit(values, relations, subsets, min_size, work=work)
            pinned = audit.pinned(
                hidden.primary, hidden.secondary, skip=stuck | (hopeless or set())
            )
            if pinned and hopeless is None:
                everything = Audit(values, relations, subsets, min_size, work=work)
                every_cell = set(everything.cells)
                hopeless = everything.pinned(
                    hidden.primary, every_cell - hidden.primary, limit=None
                )
                pinned -= hopeless
                if hopeless:
                    own_relations = [r for r in relations if r.total is not None]
                    own = Audit(values, own_relations, subsets, min_size, work=work)
            if own is not None and hopeless:
                others = hidden.primary - hopeless
                pinned |= own.pinned(hidden.primary, hidden.secondary, skip=stuck | others)
        except BudgetExceededError:
            return withheld(values, min_size)
        if not pinned:
            break
        # This round's partners: a cell that shares a short relation (a row's sum, a
        # short line) with one is audited again before it gets its own.
        widened: set[CellRef] = set()
        for cell in sorted(pinned):
            if any(
                m in widened
                for members in by_cell.get(cell, ())
                if len(members) <= SHORT_RELATION
                for m in members
            ):
                continue
            tries[cell] = tries.get(cell, 0) + 1
            partner = None
            if tries[cell] <= MAX_TRIES:
                partner = _widening_partner(
                    cell, by_cell, hidden, values, published, min_size, twins
                )
            if partner is not None:
                hidden.secondary.add(partner)
                widened.add(partner)
                continue
            # One partner at a time did not free it: hide every shown count around it,
            # one relation further each time, until none is left to hide.
            around = _shown_around(cell, by_cell, hidden, steps=tries[cell] - MAX_TRIES)
            if around:
                hidden.secondary |= around
                widened |= around
            elif tries[cell] > MAX_TRIES + 3:
                stuck.add(cell)
    hidden.exposed = stuck | (hopeless or set())
    return hidden


def withheld(values: Mapping[CellRef, int], min_size: int) -> Hidden:
    """Every count hidden: the small ones as small, the others as "x"."""
    return Hidden(
        primary={cell for cell, value in values.items() if value < min_size},
        secondary={cell for cell, value in values.items() if value >= min_size},
        withheld=True,
    )


def _partner_lone_cells(
    hidden: Hidden,
    relations: Sequence[Relation],
    values: Mapping[CellRef, int],
    published: set[CellRef],
    min_size: int,
    twins: Mapping[CellRef, CellRef],
) -> None:
    """Step 1: until no relation has exactly one hidden member."""
    hid = hidden.primary | hidden.secondary  # kept equal to the hidden cells
    changed = True
    while changed:
        changed = False
        for relation in relations:
            unknown = sum(1 for cell in relation.members if cell in hid)
            if relation.total is None and (relation.known_total or 0) < min_size:
                unknown += 1  # the marginal would be hidden where it is shown
            if unknown != 1:
                continue
            candidates = [cell for cell in relation.parts if cell not in hid]
            if candidates:
                choice = min(
                    candidates,
                    key=lambda cell: (
                        cell in published,
                        _twin_shown(cell, twins, hid),
                        values.get(cell, 0),
                        cell,
                    ),
                )
            elif relation.total is not None and relation.total not in hid:
                choice = relation.total
            else:
                continue
            hidden.secondary.add(choice)
            hid.add(choice)
            changed = True


def _widening_partner(
    cell: CellRef,
    by_cell: Mapping[CellRef, list[tuple[CellRef, ...]]],
    hidden: Hidden,
    values: Mapping[CellRef, int],
    published: set[CellRef],
    min_size: int,
    twins: Mapping[CellRef, CellRef],
) -> CellRef | None:
    """A shown count to hide beside a pinned one: in the relations of `cell`, else of the
    hidden cells in them (up to three relations away). Preferred: a relation with few
    hidden members, a cell not published elsewhere, one whose twin in a view suppressed
    with it is hidden already (or that has none), above N (its own bound then gives a
    reader room), small."""
    hid = hidden.primary | hidden.secondary
    unknowns: dict[int, int] = {}  # hidden members per relation (by id), counted once
    frontier, seen = [cell], {cell}
    for _ in range(3):
        options: list[tuple[int, bool, bool, bool, int, CellRef]] = []
        following: list[CellRef] = []
        for current in frontier:
            for members in by_cell.get(current, ()):
                unknown = unknowns.get(id(members))
                if unknown is None:
                    unknown = unknowns[id(members)] = sum(1 for m in members if m in hid)
                for member in members:
                    if member in hid:
                        if member not in seen:
                            seen.add(member)
                            following.append(member)
                        continue
                    value = values.get(member, 0)
                    options.append(
                        (
                            unknown,
                            member in published,
                            _twin_shown(member, twins, hid),
                            value <= min_size,
                            value,
                            member,
                        )
                    )
        if options:
            return min(options)[-1]
        frontier = following
    return None


def _twin_shown(cell: CellRef, twins: Mapping[CellRef, CellRef], hidden: set[CellRef]) -> bool:
    """Whether hiding `cell` would hide a shown twin too."""
    twin = twins.get(cell)
    return twin is not None and twin not in hidden


def _shown_around(
    cell: CellRef,
    by_cell: Mapping[CellRef, list[tuple[CellRef, ...]]],
    hidden: Hidden,
    *,
    steps: int,
) -> set[CellRef]:
    """The shown counts within `steps` relations of `cell` (through hidden cells)."""
    hid = hidden.primary | hidden.secondary
    frontier, seen, shown = {cell}, {cell}, set()
    for _ in range(max(steps, 1)):
        following = set()
        for current in frontier:
            for members in by_cell.get(current, ()):
                for member in members:
                    if member in seen:
                        continue
                    seen.add(member)
                    if member in hid:
                        following.add(member)
                    else:
                        shown.add(member)
        if shown:
            return shown
        frontier = following
    return shown
