"""The outcome report: exit to job or education by type, from what storage holds."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bot.config import AppConfig
from bot.report import outcomes, render_table
from dialogues.structure import FLOWS_DIR
from storage.db import Database
from storage.models import Consultant, Praktik

ROOT = Path(__file__).resolve().parent.parent


async def add(db: Database, praktikker: list[tuple[str, str | None]]) -> None:
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


async def test_outcomes_by_type(db: Database, db_url: str, config: AppConfig) -> None:
    await add(
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
    job, comp, dev = await outcomes(db, config, actor="test")
    assert (
        job.counts["started"],
        job.counts["ended"],
        job.counts["job"],
        job.counts["ordinary"],
    ) == (4, 3, 2, 1)
    assert job.exit_rate == 2 / 3
    assert (comp.counts["education"], comp.counts["new_praktik"], comp.exit_rate) == (1, 1, 0.5)
    assert dev.exit_rate == 0
    table = render_table([job, comp, dev])
    assert "Jobpraktik" in table and "67%" in table and "50%" in table
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot.cli", "report", "outcomes"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
        env={**os.environ, "DATABASE_URL": db_url},
    )
    assert "Afgang til job eller uddannelse" in result.stdout
    assert "67%" in result.stdout


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
    await add(
        db,
        [("jobpraktik", "fleksjob"), ("jobpraktik", "ordinaer_deltid"), ("jobpraktik", "gammel")],
    )
    job, _, _ = await outcomes(db, config.model_copy(update={"flows_dir": directory}), actor="test")
    assert (job.counts["job"], job.counts["ordinary"], job.counts["other"]) == (2, 1, 1)
    shipped, _, _ = await outcomes(db, config, actor="test")
    assert (shipped.counts["job"], shipped.counts["other"]) == (1, 2)
