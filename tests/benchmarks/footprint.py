"""Memory and start-up of `praktikbot serve` (a real process against the stand-in).

- Start-up: from creating the process to the first answer of GET /healthz (the median of
  3 starts on a migrated SQLite store); floor: the bare Bolt app (`floor_app`) likewise.
  In-process: `dialogues.structure.load_flows()` (load and validate every flow), floor:
  `yaml.safe_load` of the same files.
- Memory: resident set size (psutil) of `serve` on a SQLite store with 100 and with
  100,000 stored conversations (seeded before it starts; each a finished 'Ny praktik',
  5 % still active), one second after it answers (its scheduler has ticked), and again
  after the same traffic (consultants opening threads and answering).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import pstats
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bot.config import load_config
from bot.context import flow_context
from dialogues import engine
from dialogues.state import UserInput
from dialogues.structure import FLOWS_DIR, load_flows, load_transcripts
from tests.benchmarks import seeding
from tests.benchmarks.common import (
    Figure,
    Server,
    Table,
    TimedStandIn,
    bot_env,
    floor_args,
    median,
    migrated_sqlite,
    profile_summary,
    serve_args,
    server_process,
)
from tests.benchmarks.turns import BotDriver, Thread

STARTS = 3
SETTLE_SECONDS = 1.0
TRAFFIC_THREADS = 10
TRAFFIC_TURNS = 20  # per thread, after the 3 that open it
TARGET_START_S = 1.0
TARGET_START_RATIO = 2.0  # issue 15: against the bare Bolt app's start
TARGET_FLOWS_MS = 100.0
TARGET_GROWTH = 1.10


def finished_state() -> dict[str, Any]:
    """The stored state of a finished 'Ny praktik' (the shipped example, replayed)."""
    flows = load_flows()
    name, transcript = next(
        (n, t) for n, t in load_transcripts() if n == "ny_praktik.jobpraktik.yaml"
    )
    flow = flows[transcript.flow]
    ctx = flow_context(load_config())
    now = dt.datetime.combine(
        dt.date.fromisoformat(transcript.today), dt.time(10, 0), tzinfo=dt.UTC
    )
    turn = engine.start(flow, ctx, now)
    for item in transcript.turns[1:] if transcript.turns[0].say is None else transcript.turns:
        inp = UserInput(text=item.say) if item.pick is None else UserInput(value=item.pick)
        turn = engine.advance(flow, turn.state, inp, ctx, now)
    if turn.state.status != "done":
        raise RuntimeError(f"replaying {name} did not finish the flow")
    return turn.state.model_dump(mode="json")


async def store_with(workdir: Path, conversations: int, state: dict[str, Any]) -> str:
    url = await migrated_sqlite(workdir / f"conversations-{conversations}.sqlite3")
    store = seeding.conversation_store(conversations=conversations, state=state)
    await asyncio.to_thread(seeding.write_sqlite, url, store.tables)
    return url


async def traffic(server: Server, slack: TimedStandIn) -> int:
    """Consultants open threads and answer; the number of turns."""
    async with aiohttp.ClientSession() as session:
        driver = BotDriver(session, server.url, slack, real=True)
        threads: list[Thread] = list(
            await asyncio.gather(
                *(driver.open_thread(f"UMEM{n:04d}", n) for n in range(TRAFFIC_THREADS))
            )
        )
        for _ in range(TRAFFIC_TURNS):
            await asyncio.gather(*(driver.turn(t) for t in threads))
    slack.forget()
    return TRAFFIC_THREADS * (3 + TRAFFIC_TURNS)


async def start_times(args: list[str], env: dict[str, str], log: Path) -> float:
    times = []
    for _ in range(STARTS):
        async with server_process(args, env=env, log=log) as server:
            times.append(server.ready_after)
    return median(times)


def flows_ms() -> tuple[float, float, float | None]:
    """(load_flows, yaml.safe_load of the same files, the same with libyaml's
    CSafeLoader if PyYAML has it): median milliseconds of 5."""
    files = sorted(FLOWS_DIR.glob("*.yaml"))

    def timed(work: Any) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            work()
            times.append((time.perf_counter() - started) * 1000)
        return median(times)

    fast: float | None = None
    if getattr(yaml, "__with_libyaml__", False):
        fast = timed(
            lambda: [yaml.load(f.read_text(encoding="utf-8"), yaml.CSafeLoader) for f in files]
        )
    return (
        timed(load_flows),
        timed(lambda: [yaml.safe_load(f.read_text(encoding="utf-8")) for f in files]),
        fast,
    )


async def profile_start(env: dict[str, str], workdir: Path) -> str:
    """`serve` under cProfile until it answers, then stopped (SIGTERM: it exits cleanly
    and cProfile writes its file)."""
    out = workdir / "serve-start.prof"
    args = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "bot.cli", "serve"]
    async with server_process(
        [*args, "--host", "127.0.0.1"], env=env, log=workdir / "serve-profile.log"
    ) as server:
        ready = server.ready_after
    for _ in range(100):
        if out.exists():
            break
        await asyncio.sleep(0.1)
    stats = pstats.Stats(str(out))
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    raw = stats.stats  # type: ignore[attr-defined]
    cumulative = sorted(
        (
            (ct, f"{file}:{line}({name})")
            for (file, line, name), (_cc, _nc, _tt, ct, _c) in raw.items()
            if "/bot/" in file or "/storage/" in file or "/dialogues/" in file
        ),
        reverse=True,
    )[:25]
    lines = [f"ready after {ready:.2f} s under cProfile", ""]
    lines.append("largest cumulative times in our modules (imports included):")
    lines += [f"  {ct:6.3f} s  {where}" for ct, where in cumulative]
    return "\n".join([*lines, "", profile_summary(stats, top=15)])


async def run(table: Table, workdir: Path, *, quick: bool, profile: bool) -> None:
    loaded, parsed, parsed_fast = flows_ms()
    state = finished_state()
    large = 10_000 if quick else 100_000
    async with TimedStandIn() as slack:
        small_url = await store_with(workdir, 100, state)
        large_url = await store_with(workdir, large, state)
        env_small = bot_env(slack, small_url)
        floor_start = await start_times(floor_args(), env_small, workdir / "floor-start.log")
        serve_start = await start_times(serve_args(), env_small, workdir / "serve-start.log")
        async with server_process(floor_args(), env=env_small, log=workdir / "f.log") as bare:
            await asyncio.sleep(SETTLE_SECONDS)
            floor_rss = bare.rss_mb()
        rss: dict[int, tuple[float, float]] = {}
        turns = 0
        for count, url in ((100, small_url), (large, large_url)):
            env = bot_env(slack, url)
            log = workdir / f"serve-memory-{count}.log"
            async with server_process(serve_args(), env=env, log=log) as server:
                await asyncio.sleep(SETTLE_SECONDS)
                idle = server.rss_mb()
                turns = await traffic(server, slack)
                await asyncio.sleep(SETTLE_SECONDS)
                rss[count] = (idle, server.rss_mb())
        if profile:
            table.appendix.append(
                "## cProfile of `praktikbot serve` start-up\n\n"
                + await profile_start(env_small, workdir)
            )
    table.add(
        Figure(
            "Start-up · `praktikbot serve` → /healthz answers (median of 3)",
            serve_start,
            unit="s",
            floor=floor_start,
            target=f"< {TARGET_START_S:g} s and ≤ {TARGET_START_RATIO:g}× floor",
            ok=serve_start < TARGET_START_S and serve_start <= TARGET_START_RATIO * floor_start,
        )
    )
    table.add(
        Figure(
            "Start-up · load and validate all flows (load_flows, in-process;"
            " floor: yaml.safe_load of the files)",
            loaded,
            floor=parsed,
            target=f"< {TARGET_FLOWS_MS:g} ms",
            ok=loaded < TARGET_FLOWS_MS,
        )
    )
    if parsed_fast is not None:
        table.add(
            Figure(
                "Start-up · the same files parsed with libyaml (yaml.CSafeLoader), for comparison",
                parsed_fast,
                floor=parsed,
                target="(what load_flows could save)",
            )
        )
    (small_idle, small_busy), (large_idle, large_busy) = rss[100], rss[large]
    table.add(
        Figure(
            "Memory · serve RSS, 100 stored conversations, idle (floor: bare Bolt app)",
            small_idle,
            unit="MB",
            floor=floor_rss,
        )
    )
    table.add(
        Figure(
            f"Memory · serve RSS, {large:,} stored conversations, idle (floor: 100)",
            large_idle,
            unit="MB",
            floor=small_idle,
            target=f"< {TARGET_GROWTH:.2f}× (flat)",
            ok=large_idle < TARGET_GROWTH * small_idle,
        )
    )
    table.add(
        Figure(
            f"Memory · serve RSS, 100 stored conversations, after {turns} turns (floor: idle)",
            small_busy,
            unit="MB",
            floor=small_idle,
        )
    )
    table.add(
        Figure(
            f"Memory · serve RSS, {large:,} stored conversations, after {turns} turns"
            " (floor: 100, after the same)",
            large_busy,
            unit="MB",
            floor=small_busy,
            target=f"< {TARGET_GROWTH:.2f}× (flat)",
            ok=large_busy < TARGET_GROWTH * small_busy,
        )
    )
