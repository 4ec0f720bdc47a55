"""The report model: what an outcome means comes from the flow files; small cells are
suppressed so that no hidden count can be worked out from what is shown."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.config import AppConfig
from bot.report import Audience, Request, build_report
from bot.report.model import HIDDEN_OTHER, View
from bot.report.relations import Relation, line_relations, row_relations
from bot.report.suppression import suppress
from dialogues.model import Flow
from dialogues.structure import FLOWS_DIR, load_flows
from storage.db import Database
from storage.models import AuditEntry, Consultant, Praktik
from tests.db_support import rows

TODAY = dt.date(2026, 11, 30)


async def add(db: Database, praktikker: Sequence[tuple[str, str | None]]) -> int:
    async with db.transaction() as session:
        consultant = Consultant(user_key="terminal:anna", name="anna")
        session.add(consultant)
        await session.flush()
        for n, (type_id, outcome) in enumerate(praktikker):
            session.add(
                Praktik(
                    case_ref=f"SAG-{n}",
                    target_group="dagpenge",
                    company="Eksempel ApS",
                    type=type_id,
                    subgoals=["x"],
                    start_date=dt.date(2026, 1, 5),
                    end_date=dt.date(2026, 1, 30),
                    hours_per_week=30,
                    consultant_id=consultant.id,  # type: ignore[arg-type]
                    outcome=outcome,
                    status="ended" if outcome else "active",
                )
            )
        assert consultant.id is not None
        return consultant.id


async def exit_by_type(
    db: Database,
    config: AppConfig,
    flows: dict[str, Flow],
    audience: Audience,
    period: str = "start_quarter",
) -> View:
    report = await build_report(
        db, config, flows, request=Request(TODAY, period=period), audience=audience,
        actor="test", views=["exit"],
    )  # fmt: skip
    return report.views[0]


def cells(view: View) -> list[dict[str, object]]:
    return [dict(zip((c.key for c in view.visible), row, strict=True)) for row in view.shown()]


async def test_outcomes_by_type_in_a_consultants_own_view(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    consultant = await add(
        db,
        [
            ("jobpraktik", "ordinaer_fuldtid"),
            ("jobpraktik", "loentilskud"),
            ("jobpraktik", "fortsat_ledig"),
            ("jobpraktik", None),
            ("kompetencepraktik", "uddannelse"),
            ("kompetencepraktik", "ny_praktik"),
            ("udviklingspraktik", "andet"),
        ],
    )
    view = await exit_by_type(db, config, flows, Audience.consultant(consultant))
    job, comp, dev, total = cells(view)
    assert view.labels == [("Jobpraktik",), ("Kompetencepraktik",), ("Udviklingspraktik",)]
    assert (job["started"], job["ended"], job["ordinary_job"], job["subsidised_job"]) == (
        4, 3, 1, 1
    )  # fmt: skip
    assert (job["jobedu"], job["rate_end"]) == (2, round(2 / 3, 4))
    assert (comp["education"], comp["new_praktik"], comp["rate_end"]) == (1, 1, 0.5)
    assert (dev["rate_end"], total["started"], total["ended"]) == (0.0, 7, 6)
    [entry] = [e for e in await rows(db, AuditEntry) if e.action == "export"]
    assert entry.detail["views"] == ["exit"] and entry.detail["audience"] == "egne"


async def test_everyone_elses_view_hides_small_cells(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    await add(db, [("jobpraktik", "ordinaer_fuldtid")] * 6 + [("jobpraktik", "andet")] * 2)
    view = await exit_by_type(db, config, flows, Audience.everyone(), "end_quarter")
    [job, total] = cells(view)
    assert "started" not in job  # a period by end date counts ended praktikker only
    assert (job["ended"], job["ordinary_job"], job["jobedu"]) == (8, 6, 6)
    assert job["other"] == "<5" and job["education"] == "<5"  # 2 and 0: fewer than 5
    assert job["rate_end"] == 0.75
    assert total["other"] == "<5"
    # By start date the 0 not ended yet is hidden, and so is what it could be worked
    # out from (ended = started - not ended).
    [job, _] = cells(await exit_by_type(db, config, flows, Audience.everyone()))
    assert (job["started"], job["not_ended"], job["ended"]) == (8, "<5", "x")


async def test_what_an_outcome_means_comes_from_the_flow_file(
    db: Database, config: AppConfig, tmp_path: Path
) -> None:
    """A domain owner adds an outcome with its category to afslutning.yaml: the report
    counts it without a line of Python (and an outcome no flow offers counts as other)."""
    directory = tmp_path / "flows"
    shutil.copytree(FLOWS_DIR, directory)
    path = directory / "afslutning.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = '      - {value: andet, label: "Andet", category: other}\n'
    assert anchor in text
    path.write_text(
        text.replace(
            anchor,
            '      - {value: fleksjob, label: "Fleksjob", category: subsidised_job}\n' + anchor,
        ),
        encoding="utf-8",
    )
    consultant = await add(
        db,
        [("jobpraktik", "fleksjob"), ("jobpraktik", "ordinaer_deltid"), ("jobpraktik", "gammel")],
    )
    own = Audience.consultant(consultant)
    [job, _] = cells(await exit_by_type(db, config, load_flows(directory), own))
    assert (job["subsidised_job"], job["ordinary_job"], job["other"]) == (1, 1, 1)
    [shipped, _] = cells(await exit_by_type(db, config, load_flows(), own))
    assert (shipped["subsidised_job"], shipped["other"]) == (0, 2)


# --- suppression ----------------------------------------------------------------------------


def unknowns(relation: Relation, hidden: set[tuple[int, str]], n: int) -> int:
    members = [*relation.parts, *((relation.total,) if relation.total else ())]
    count = sum(1 for m in members if m in hidden)
    if relation.total is None and (relation.known_total or 0) < n:
        count += 1
    return count


@pytest.mark.parametrize("seed", range(30))
def test_no_relation_has_exactly_one_hidden_cell(seed: int) -> None:
    """Random two-way tables with row relations: every count under 5 is hidden, and no
    total (row, line or marginal) leaves exactly one hidden member to be worked out."""
    import random

    rng = random.Random(seed)
    teams, types = range(rng.randint(1, 4)), range(rng.randint(1, 4))
    keys = list(itertools.product(teams, types))
    values: dict[tuple[int, str], int] = {}
    for i, _ in enumerate(keys):
        parts = [rng.choice((0, 1, 2, 3, 4, 6, 9, 15, 40)) for _ in range(3)]
        values.update({(i, "a"): parts[0], (i, "b"): parts[1], (i, "c"): parts[2]})
        values[(i, "total")] = sum(parts)
    total_row = len(keys)
    for column in ("a", "b", "c", "total"):
        values[(total_row, column)] = sum(values[(i, column)] for i in range(len(keys)))
    relations = row_relations(range(total_row + 1), [("total", ("a", "b", "c"))])
    relations += line_relations(keys, ("a", "b", "c", "total"), total_row=total_row, values=values)
    hidden = suppress(values, relations, 5)
    every = hidden.primary | hidden.secondary
    assert {cell for cell, v in values.items() if v < 5} <= hidden.primary
    for relation in relations:
        if unknowns(relation, every, 5) == 1:  # only a cell shown by a coarser table
            [cell] = [m for m in relation.members if m in every]
            assert relation.total is None and len(relation.parts) == 1, relation
            assert cell in hidden.secondary or values[cell] == 0 or cell in hidden.exposed


def test_a_lone_small_cell_takes_a_partner() -> None:
    values = {(0, "a"): 3, (0, "b"): 20, (0, "c"): 12, (0, "t"): 35}
    hidden = suppress(values, [Relation(((0, "a"), (0, "b"), (0, "c")), total=(0, "t"))], 5)
    assert hidden.primary == {(0, "a")} and hidden.secondary == {(0, "c")}
    assert HIDDEN_OTHER == "x"


async def test_a_report_is_suppressed_as_its_views_are_read(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """`build_report` works out the hidden cells while its last reads run: every view
    comes back with them, linked as `View.shown()` would link them, and the same as a
    suppression of the finished views afresh; a consultant's own view hides nothing."""
    consultant = await add(
        db,
        [("jobpraktik", "ordinaer_fuldtid")] * 6
        + [("jobpraktik", "andet")] * 2
        + [("kompetencepraktik", "uddannelse")] * 3
        + [("udviklingspraktik", None)],
    )
    request = Request(TODAY, ("type",), "end_quarter")
    report = await build_report(
        db, config, flows, request=request, audience=Audience.everyone(), actor="test"
    )
    linked = [report.view(name) for name in ("Afgang", "Varighed", "Tid til start")]
    for view in report.views:
        assert view.suppressed and view._hidden is not None, view.name
        assert view.together == (linked if view in linked else [])
    early = {view.name: view._hidden for view in report.views}
    for view in report.views:
        view._hidden = None
    assert {view.name: view.hidden() for view in report.views} == early
    assert early["Afgang"] is not None and early["Afgang"].primary  # something was hidden
    own = await build_report(
        db, config, flows, request=request, audience=Audience.consultant(consultant),
        actor="test",
    )  # fmt: skip
    assert all(not view.suppressed and not view.hidden().primary for view in own.views)
