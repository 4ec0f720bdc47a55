"""What every benchmark shares: the timed stand-in, processes, PostgreSQL, the table."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import platform
import pstats
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Coroutine, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import aiohttp
import asyncpg
import psutil
from aiohttp import web
from sqlalchemy.engine import make_url

from tests.slack_standin import SlackStandIn

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get(
    "PRAKTIKBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


# --- statistics ----------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of 300 samples: the 297th smallest)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return float(ordered[rank - 1])


# --- the table -----------------------------------------------------------------------------


@dataclass
class Figure:
    """One row: a value, its floor (what the platform costs), and the target."""

    name: str
    value: float | None
    unit: str = "ms"  # ms, s, MB, x, text
    floor: float | None = None
    target: str = ""
    ok: bool | None = None
    note: str = ""  # shown instead of the value when there is none (skipped, …)
    text: str = ""  # for unit "text"

    @property
    def ratio(self) -> float | None:
        if self.value is None or self.floor in (None, 0):
            return None
        assert self.floor is not None
        return self.value / self.floor


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "ms":
        return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit == "x":
        return f"{value:.2f}×"
    return f"{value:g} {unit}"


@dataclass
class Table:
    machine: list[tuple[str, str]] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    appendix: list[str] = field(default_factory=list)  # printed after the table (profiles)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def render(self) -> str:
        lines = [
            "| figure | value | floor | ratio | target | met |",
            "|---|---:|---:|---:|---|:-:|",
        ]
        for key, value in self.machine:
            lines.append(f"| **machine**: {key} | {value} | | | | |")
        for f in self.figures:
            if f.unit == "text":
                value = f.text
            elif f.value is None:
                value = f.note or "–"
            else:
                value = _fmt(f.value, f.unit)
            floor = _fmt(f.floor, f.unit) if f.floor is not None else ""
            ratio = f"{f.ratio:.2f}×" if f.ratio is not None else ""
            met = "" if f.ok is None else ("✓" if f.ok else "✗")
            lines.append(f"| {f.name} | {value} | {floor} | {ratio} | {f.target} | {met} |")
        return "\n".join(lines)


# --- the machine ---------------------------------------------------------------------------


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_rows(postgres_version: str | None) -> list[tuple[str, str]]:
    memory = psutil.virtual_memory().total / 2**30
    return [
        ("CPU", f"{cpu_model()}, {os.cpu_count()} cores"),
        ("RAM", f"{memory:.1f} GiB"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL", postgres_version or "not reachable"),
        ("load average at start (1/5/15 min)", " / ".join(f"{x:.2f}" for x in os.getloadavg())),
    ]


# --- the stand-in, timed -------------------------------------------------------------------


def is_question(message: dict[str, Any]) -> bool:
    """A message that asks something: it has the command row (Tilbage/Afbryd/Hjælp)."""
    return any(block.get("block_id") == "commands" for block in message.get("blocks") or [])


class _StepTimed:
    """Awaits a coroutine, adding the time of each of its steps (the stretches it runs
    between suspensions) to `owner.busy`: its own work, not the time it waited while
    others ran on the event loop."""

    def __init__(self, coro: Coroutine[Any, Any, web.Response], owner: TimedStandIn) -> None:
        self.coro, self.owner = coro, owner

    def __await__(self) -> Generator[Any, Any, web.Response]:
        steps = self.coro.__await__()
        value: Any = None
        error: BaseException | None = None
        while True:
            started = time.perf_counter()
            try:
                yielded = steps.throw(error) if error is not None else steps.send(value)
            except StopIteration as stop:
                self.owner.busy += time.perf_counter() - started
                return cast(web.Response, stop.value)
            except BaseException:
                self.owner.busy += time.perf_counter() - started
                raise
            self.owner.busy += time.perf_counter() - started
            try:
                value, error = (yield yielded), None
            except BaseException as exc:  # passed on into the coroutine
                value, error = None, exc


class TimedStandIn(SlackStandIn):
    """The stand-in, counting the time it spends handling requests (`busy`: its handler's
    own steps; aiohttp's parsing and writing around it are not counted), and telling
    waiters when a question is posted in a thread (`expect_question`)."""

    def __init__(self) -> None:
        super().__init__(bot_token=BOT_TOKEN)
        self.busy = 0.0
        self.handled = 0
        self._waiters: dict[tuple[str, str], asyncio.Future[tuple[float, dict[str, Any]]]] = {}
        post = self._handlers["chat.postMessage"]

        def post_and_notify(params: dict[str, Any]) -> dict[str, Any]:
            at = time.monotonic()
            result = post(params)
            message = result.get("message") or {}
            waiter = self._waiters.get((str(result["channel"]), str(message.get("thread_ts"))))
            if waiter is not None and not waiter.done() and is_question(message):
                waiter.set_result((at, message))
            return result

        self._handlers["chat.postMessage"] = post_and_notify

    async def __aenter__(self) -> TimedStandIn:
        await self.start()
        return self

    async def _handle(self, request: web.Request) -> web.Response:
        self.handled += 1
        return await _StepTimed(super()._handle(request), self)

    def expect_question(
        self, channel: str, thread_ts: str
    ) -> asyncio.Future[tuple[float, dict[str, Any]]]:
        """Resolves with (time.monotonic() when the stand-in got it, the message) at the
        next question posted in the thread."""
        waiter: asyncio.Future[tuple[float, dict[str, Any]]] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiters[(channel, thread_ts)] = waiter
        return waiter

    def forget(self) -> None:
        """Drop the recorded calls and messages (a long run keeps them in memory)."""
        self.calls.clear()
        self.messages.clear()


# --- processes -----------------------------------------------------------------------------

BOT_TOKEN = "xoxb-bench-token"
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def praktikbot_command() -> list[str]:
    """`praktikbot` as installed in the venv (its console script), else `-m bot.cli`."""
    script = Path(sys.executable).parent / "praktikbot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


@dataclass
class Server:
    """A bot process listening on 127.0.0.1:`port`."""

    proc: asyncio.subprocess.Process
    port: int
    started: float  # time.monotonic() just before the process was created
    ready_after: float = 0.0  # seconds from start to the first answer of /healthz
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        return float(psutil.Process(self.proc.pid).memory_info().rss) / 2**20


async def wait_ready(server: Server, *, timeout: float = 60) -> float:
    """Poll GET /healthz until it answers; seconds from process start."""
    deadline = time.monotonic() + timeout
    url = f"{server.url}/healthz"
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if server.proc.returncode is not None:
                log = server.log.read_text() if server.log else ""
                raise RuntimeError(f"the server exited early:\n{log[-3000:]}")
            try:
                async with session.get(url) as response:
                    await response.read()
                    if response.status == 200:
                        server.ready_after = time.monotonic() - server.started
                        return server.ready_after
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.005)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextlib.asynccontextmanager
async def server_process(
    args: list[str], *, env: dict[str, str], log: Path
) -> AsyncIterator[Server]:
    """Start a server process (`--port` is appended), wait for /healthz, stop it on exit."""
    port = free_port()
    full_env = {**os.environ, **env}
    with log.open("wb") as output:
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *args, "--port", str(port),
            cwd=ROOT, env=full_env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        server = Server(proc=proc, port=port, started=started, log=log)
        try:
            await wait_ready(server)
            yield server
        finally:
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 20)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


def serve_args() -> list[str]:
    return [*praktikbot_command(), "serve", "--host", "127.0.0.1"]


def floor_args() -> list[str]:
    return [sys.executable, "-m", "tests.benchmarks.floor_app"]


def bot_env(slack: SlackStandIn, database_url: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.base_url,
        "DATABASE_URL": database_url,
    }


# --- PostgreSQL ----------------------------------------------------------------------------


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_version(url: str) -> str:
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=5)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def _start_local_postgres() -> None:
    """Start the local cluster the way .ci/run does, when there is one."""
    clusters = Path("/etc/postgresql")
    if shutil.which("pg_ctlcluster") is None or not clusters.is_dir():
        return
    versions = sorted(p.name for p in clusters.iterdir())
    if not versions:
        return
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[0], "main", "start"],
        check=False,
        capture_output=True,
    )


async def postgres_version() -> str | None:
    """The server's version, starting a local cluster if needed; None if unreachable."""
    try:
        return await _pg_version(POSTGRES_URL)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        pass
    host = make_url(POSTGRES_URL).host or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        return None
    await asyncio.to_thread(_start_local_postgres)
    for _ in range(30):
        try:
            return await _pg_version(POSTGRES_URL)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            await asyncio.sleep(1)
    return None


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(POSTGRES_URL), timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def postgres_database(purpose: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this run (dropped afterwards); its URL."""
    from storage.migrate import upgrade

    name = f"praktikbot_bench_{purpose}_{uuid.uuid4().hex[:8]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


_TEMPLATES: dict[Path, Path] = {}


async def migrated_sqlite(path: Path) -> str:
    """A migrated SQLite file at `path` (migrated once per directory, then copied)."""
    from storage.migrate import upgrade

    template = _TEMPLATES.get(path.parent)
    if template is None:
        template = path.parent / "template.sqlite3"
        await asyncio.to_thread(upgrade, sqlite_url(template))
        _TEMPLATES[path.parent] = template
    shutil.copy(template, path)
    return sqlite_url(path)


# --- profiles ------------------------------------------------------------------------------


def _package(file: str) -> str:
    if "site-packages/" in file:
        return file.split("site-packages/", 1)[1].split("/", 1)[0]
    if str(ROOT) in file:
        return file.split(str(ROOT) + "/", 1)[1].split("/", 1)[0] + " (ours)"
    if file.startswith("~") or file.startswith("<"):
        return "builtins"
    return "stdlib"


def profile_summary(stats: pstats.Stats, exclude: Sequence[str] = (), top: int = 20) -> str:
    """Own time by package, then the top functions by own time (`exclude`: path parts of
    frames to leave out, e.g. a stand-in sharing the event loop)."""
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    raw = stats.stats  # type: ignore[attr-defined]

    def excluded(file: str) -> bool:
        return any(part in file for part in exclude)

    rows = []
    for (file, line, name), (_cc, nc, tt, ct, callers) in raw.items():
        if excluded(file) or name == "<method 'poll' of 'select.epoll' objects>":
            continue
        if callers and exclude:  # only the time spent on behalf of callers we keep
            tt = sum(c[2] for (cfile, _l, _n), c in callers.items() if not excluded(cfile))
        rows.append((tt, ct, nc, f"{file}:{line}({name})", file))
    total = sum(r[0] for r in rows)
    packages: dict[str, float] = {}
    for tt, _ct, _nc, _where, file in rows:
        packages[_package(file)] = packages.get(_package(file), 0.0) + tt
    lines = [f"own time, excluding the event loop's wait: {total:.2f} s", "", "by package:"]
    for name, seconds in sorted(packages.items(), key=lambda kv: -kv[1])[:12]:
        lines.append(f"  {seconds:7.3f} s  {100 * seconds / total:5.1f} %  {name}")
    lines += ["", "top functions (own time, calls, cumulative):"]
    for tt, ct, nc, where, _file in sorted(rows, key=lambda r: -r[0])[:top]:
        lines.append(f"  {tt:7.3f} s  {nc:>8}  {ct:7.3f} s  {where.replace(str(ROOT) + '/', '')}")
    return "\n".join(lines)
