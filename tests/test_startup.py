"""What `praktikbot serve` does before it answers: the modules its start-up imports (in a
fresh interpreter, as the command does) and the collector paused while it starts."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot import gc_tuning

ROOT = Path(__file__).resolve().parent.parent


def imported_by(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code`."""
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(out.stdout))


def test_serve_start_up_does_not_import_holidays() -> None:
    # What cmd_serve imports before it answers /healthz; holidays come with the first
    # working day asked for (bot.workdays).
    modules = imported_by("import bot.cli, bot.background, bot.slack.run")
    assert "bot.workdays" in modules
    assert not {m for m in modules if m == "holidays" or m.startswith("holidays.")}
    after = imported_by(
        "import datetime as dt\n"
        "from bot.config import CalendarConfig\n"
        "from bot.workdays import WorkingDays\n"
        "assert WorkingDays(CalendarConfig()).holiday_name(dt.date(2026, 12, 25))"
    )
    assert "holidays.countries.denmark" in after


def test_the_cli_module_leaves_configuration_and_flows_to_the_commands() -> None:
    # So that serve, socket and remind import them with the collector paused.
    modules = imported_by("import bot.cli")
    assert not {"bot.config", "dialogues.structure", "pydantic", "yaml"} & modules


def test_paused_turns_the_collector_off_and_back_on() -> None:
    assert gc.isenabled()
    with gc_tuning.paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_tuning.paused():
        raise RuntimeError("start-up failed")
    assert gc.isenabled()


def test_paused_leaves_a_collector_that_was_off_off() -> None:
    gc.disable()
    try:
        with gc_tuning.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
