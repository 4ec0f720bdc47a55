"""/healthz and `praktikbot remind --status` while the scheduler's ticks fail, and after.

A tick fails when it raises (`bot.health`). Here that is made to happen under a running
`praktikbot serve` in two ways: the database answers (``SELECT 1``) but refuses the
scheduler's statements — the deliveries table is renamed away, as a half-applied
migration or revoked rights would do (SQLite and PostgreSQL) — and the database cannot
be reached at all (PostgreSQL behind a TCP proxy the test cuts). `serve` and
`remind --status` are real processes.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.config import AppConfig
from bot.reminders.cli import remind_command
from storage.db import Database
from tests.conftest import _truncate_all
from tests.slack_harness import BOT_TOKEN, SIGNING_SECRET
from tests.slack_standin import SlackStandIn
from tests.test_reminders_outage import Proxy
from tests.test_slack_serve import free_port, wait_healthy

ROOT = Path(__file__).resolve().parent.parent


def fast_ticks(tmp_path: Path) -> Path:
    """app.yaml with a tick every second."""
    raw = yaml.safe_load((ROOT / "app.yaml").read_text(encoding="utf-8"))
    raw["reminders"]["delivery"].update({"tick_seconds": 1, "tick_jitter": 0})
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def environment(db_url: str, config_path: Path, api_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": db_url,
        "PRAKTIKBOT_CONFIG": str(config_path),
    }


@asynccontextmanager
async def serving(env: dict[str, str]) -> AsyncIterator[str]:
    """`praktikbot serve` as a process; yields its /healthz URL."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        async with aiohttp.ClientSession() as session:
            await wait_healthy(session, url, proc)
        yield url
    finally:
        proc.terminate()
        output, _ = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, output.decode()
    assert "Traceback" not in output.decode()


async def get(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, dict(await response.json())


async def until(url: str, scheduler_status: str) -> tuple[int, dict[str, Any]]:
    """Poll /healthz until the scheduler reports `scheduler_status` (at most 300 polls)."""
    for _ in range(300):
        status, body = await get(url)
        if body["scheduler"].get("status") == scheduler_status:
            return status, body
        await asyncio.sleep(0.1)
    raise AssertionError(f"the scheduler never became {scheduler_status}: {body}")


async def remind_status(env: dict[str, str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "remind", "--status",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert "Traceback" not in err.decode(), err.decode()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def rename(db_url: str, old: str, new: str) -> None:
    db = Database(db_url)
    try:
        async with db.transaction() as session:
            await session.exec(text(f"ALTER TABLE {old} RENAME TO {new}"))  # type: ignore[call-overload]
    finally:
        await db.dispose()


@pytest.mark.slow
async def test_healthz_is_degraded_while_ticks_fail_and_ok_after(
    db_url: str, tmp_path: Path
) -> None:
    async with SlackStandIn(bot_token=BOT_TOKEN) as slack:
        env = environment(db_url, fast_ticks(tmp_path), slack.base_url)
        async with serving(env) as healthz:
            code, body = await until(healthz, "ok")
            assert (code, body["status"], body["database"]) == (200, "ok", "ok")
            cli_code, cli_out = await remind_status(env)
            assert (cli_code, cli_out.splitlines()[0]) == (0, "Status: ok")

            await rename(db_url, "deliveries", "deliveries_away")
            try:
                code, body = await until(healthz, "degraded")
                assert (code, body["status"], body["database"]) == (200, "degraded", "ok")
                scheduler = body["scheduler"]
                assert scheduler["consecutive_failures"] >= 1
                assert str(scheduler["last_error"]).startswith("database: ")
                cli_code, cli_out = await remind_status(env)
                assert cli_code == 1
                assert cli_out.splitlines()[0].startswith(
                    "Status: degraded — deliveries unreadable (database: "
                )
            finally:
                await rename(db_url, "deliveries_away", "deliveries")

            code, body = await until(healthz, "ok")
            assert (code, body["status"], body["database"]) == (200, "ok", "ok")
            assert (body["scheduler"]["last_error"], body["scheduler"]["running"]) == (None, True)
            cli_code, cli_out = await remind_status(env)
            assert (cli_code, cli_out.splitlines()[0]) == (0, "Status: ok")


@pytest.mark.slow
@pytest.mark.postgres
async def test_healthz_is_503_while_the_database_is_unreachable_and_ok_after(
    postgres_database: str, tmp_path: Path
) -> None:
    await _truncate_all(postgres_database)
    direct = make_url(postgres_database)
    proxy = Proxy(direct.host or "127.0.0.1", direct.port or 5432)
    port = await proxy.start()
    through = direct.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    try:
        async with SlackStandIn(bot_token=BOT_TOKEN) as slack:
            env = environment(through, fast_ticks(tmp_path), slack.base_url)
            async with serving(env) as healthz:
                await until(healthz, "ok")
                proxy.cut()
                code, body = await until(healthz, "degraded")
                assert (code, body["status"], body["database"]) == (503, "degraded", "unavailable")
                assert body["scheduler"]["last_error"]
                cli_code, cli_out = await remind_status(env)
                assert cli_code == 1
                assert cli_out.splitlines()[0].startswith(
                    "Status: degraded — database unavailable ("
                )
                proxy.restore()
                code, body = await until(healthz, "ok")
                assert (code, body["status"], body["database"]) == (200, "ok", "ok")
                cli_code, cli_out = await remind_status(env)
                assert (cli_code, cli_out.splitlines()[0]) == (0, "Status: ok")
    finally:
        await proxy.stop()


async def test_remind_status_says_degraded_when_the_database_cannot_be_reached(
    tmp_path: Path, config: AppConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "db").write_text("not a directory")  # the SQLite file cannot be created
    url = f"sqlite+aiosqlite:///{tmp_path / 'db' / 'bot.sqlite3'}"
    unreachable = config.model_copy(
        update={"storage": config.storage.model_copy(update={"url": url})}
    )
    assert await remind_command(config=unreachable, now=None, dry_run=False, status=True) == 1
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith("Status: degraded — database unavailable (")
