"""`praktikbot report` and `demo seed` refuse what they cannot do in one line, before
anything is built, seeded or audited: an output file in a missing directory or that is a
directory, a reversed period, an unknown name or a bad date; `--by` given to views that do
not break down by it is said so. Through the CLI entry point, in-process, on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from storage.db import Database
from storage.models import AuditEntry, Praktik
from tests.db_support import rows


async def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db_url: str, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    capsys.readouterr()
    try:
        code = await asyncio.to_thread(main, list(args))  # the command runs its own loop
    except SystemExit as exc:  # argparse's own refusals
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


async def exports(db: Database) -> list[str]:
    return [e.action for e in await rows(db, AuditEntry) if e.action.startswith("export")]


def one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


async def test_an_output_that_cannot_be_written_is_refused_before_anything_is_audited(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    db: Database,
    db_url: str,
    tmp_path: Path,
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory", encoding="utf-8")
    cases = [
        ("xlsx", "/nonexistent/x.xlsx", "cannot write /nonexistent/x.xlsx: no such directory"),
        ("csv", "/nonexistent/x.csv", "cannot write /nonexistent/x.csv: no such directory"),
        ("csv", str(tmp_path), f"cannot write {tmp_path}: it is a directory"),
        ("xlsx", str(tmp_path), f"cannot write {tmp_path}: it is a directory"),
        ("json", f"{a_file}/x.json", "a part of the path is not a directory"),
    ]
    for fmt, output, said in cases:
        code, out, err = await run(
            capsys, monkeypatch, db_url, "report", "--format", fmt, "--output", output
        )
        assert code == 2, (output, err)
        assert said in one_line(err) and err.startswith("praktikbot report: cannot write ")
        assert out == ""
    assert await exports(db) == []  # nothing was exported, so nothing says so
    assert a_file.read_text(encoding="utf-8") == "not a directory"

    path = tmp_path / "rapport.csv"
    code, out, err = await run(
        capsys, monkeypatch, db_url, "report", "--format", "csv", "--output", str(path)
    )
    assert code == 0, err
    assert out == f"Skrev {path}.\n"
    assert "Afgang til job eller uddannelse" in path.read_text(encoding="utf-8")
    assert await exports(db) == ["export"]


async def test_arguments_are_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db: Database, db_url: str
) -> None:
    refused = {
        ("--from", "2026-12-01", "--to", "2026-01-01"): (
            "praktikbot report: --from 2026-12-01 lies after --to 2026-01-01; "
            "the period would hold no day"
        ),
        ("--from", "1. marts"): "praktikbot report: --from '1. marts' is not a date (YYYY-MM-DD)",
        ("--today", "2026-02-30"): "praktikbot report: --today '2026-02-30' is not a date",
        ("--by", "type,kommune"): "praktikbot report: --by kommune unknown; choose from",
        ("--by", "type,type"): "praktikbot report: --by names one twice",
        ("--view", "exit,afgang"): "praktikbot report: --view afgang unknown",
        ("--period", "year"): "praktikbot report: --period must be one of",
        ("--team", "nowhere"): "praktikbot report: --team nowhere unknown",
        ("--format", "xlsx"): "praktikbot report: --format xlsx needs --output FILE.xlsx",
    }
    for args, said in refused.items():
        code, out, err = await run(capsys, monkeypatch, db_url, "report", *args)
        assert code == 2, (args, err)
        assert one_line(err).startswith(said), (args, err)
        assert out == ""
    code, _, err = await run(capsys, monkeypatch, db_url, "report", "--format", "pdf")
    assert code == 2 and "invalid choice: 'pdf'" in err and "Traceback" not in err
    assert await exports(db) == []


async def test_by_with_views_that_ignore_it_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    code, out, err = await run(
        capsys, monkeypatch, db_url, "report", "--view", "followup,overdue", "--by", "type"
    )
    assert code == 0, err
    assert one_line(err) == (
        "praktikbot report: note: --by breaks down exit, duration, lead_time only; "
        "followup, overdue are shown without it (so --by changes nothing here)"
    )
    assert "Opfølgning" in out
    code, out, err = await run(
        capsys, monkeypatch, db_url, "report", "--view", "exit,overdue", "--by", "team"
    )
    assert code == 0 and one_line(err).endswith("overdue is shown without it")
    code, out, err = await run(capsys, monkeypatch, db_url, "report", "--view", "overdue")
    assert code == 0 and err == ""  # no --by given: nothing to say


async def test_demo_seed_refuses_a_config_out_it_cannot_write_before_seeding(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    db: Database,
    db_url: str,
    tmp_path: Path,
) -> None:
    for output, said in (
        ("/nonexistent/demo.yaml", "no such directory"),
        (str(tmp_path), "it is a directory"),
    ):
        code, _, err = await run(
            capsys, monkeypatch, db_url, "demo", "seed", "--config-out", output
        )
        assert code == 2, err
        assert one_line(err) == f"praktikbot demo seed: cannot write {output}: {said}"
    code, _, err = await run(capsys, monkeypatch, db_url, "demo", "seed", "--today", "30/11")
    assert code == 2 and one_line(err).startswith("praktikbot demo seed: --today '30/11'")
    assert await rows(db, Praktik) == []  # nothing was seeded
