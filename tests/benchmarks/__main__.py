"""`make bench`: run every benchmark and print one table with the machine it ran on.

    python -m tests.benchmarks [--only turns,reminders,history,instances,report,footprint]
        [--quick] [--profile]

`--quick` takes fewer samples and a smaller reminder store (a smoke run, not a result);
`--profile` prints cProfile's top entries for a reminder tick and for `serve`'s start-up
after the table.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.common import Table, machine_rows, postgres_version
from tests.benchmarks.footprint import run as run_footprint
from tests.benchmarks.history import run as run_history
from tests.benchmarks.instances import run as run_instances
from tests.benchmarks.reminders import run as run_reminders
from tests.benchmarks.report import run as run_report
from tests.benchmarks.turns import run as run_turns

SECTIONS = ("turns", "reminders", "history", "instances", "report", "footprint")


async def main(only: tuple[str, ...], *, quick: bool, profile: bool) -> Table:
    started = time.monotonic()
    version = await postgres_version()
    table = Table(machine=machine_rows(version))
    with tempfile.TemporaryDirectory(prefix="praktikbot-bench-") as tmp:
        workdir = Path(tmp)
        if "turns" in only:
            print("· turn latency …", file=sys.stderr, flush=True)
            await run_turns(
                table,
                workdir,
                postgres=version is not None,
                turns_one=60 if quick else 300,
                turns_many=100 if quick else 400,
            )
        if "reminders" in only:
            print("· reminder run …", file=sys.stderr, flush=True)
            await run_reminders(
                table, workdir, postgres=version is not None, quick=quick, profile=profile
            )
        if "history" in only:
            print("· due-query with history …", file=sys.stderr, flush=True)
            await run_history(table, postgres=version is not None, quick=quick)
        if "instances" in only:
            print("· several scheduler instances …", file=sys.stderr, flush=True)
            await run_instances(table, postgres=version is not None, quick=quick)
        if "report" in only:
            print("· outcome report …", file=sys.stderr, flush=True)
            await run_report(table, workdir, postgres=version is not None, quick=quick)
        if "footprint" in only:
            print("· memory and start-up …", file=sys.stderr, flush=True)
            await run_footprint(table, workdir, quick=quick, profile=profile)
    elapsed = time.monotonic() - started
    table.machine.append(("bench run time", f"{elapsed:.0f} s" + (" (--quick)" if quick else "")))
    return table


def cli() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--quick", action="store_true", help="fewer samples (smoke run)")
    parser.add_argument("--profile", action="store_true", help="print profiles after the table")
    args = parser.parse_args()
    only = tuple(s.strip() for s in args.only.split(",") if s.strip())
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    table = asyncio.run(main(only, quick=args.quick, profile=args.profile))
    print(table.render())
    for section in table.appendix:
        print(f"\n{section}")
    return 0


if __name__ == "__main__":
    sys.exit(cli())
