"""Shared fixtures: configuration, flows, and a fresh real database per test.

Every storage test runs against SQLite and PostgreSQL. PostgreSQL comes from
PRAKTIKBOT_TEST_POSTGRES_URL (default: the local server, database `test`); each test
session gets its own database, migrated once and emptied between tests. When CI is set a
PostgreSQL test that cannot connect fails instead of skipping.

Under pytest-xdist (`make test` runs one worker per core) every session-scoped fixture
here exists once per worker: its own PostgreSQL database, SQLite template and scanned
log file, so workers share nothing but the server.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.config import AppConfig, load_config
from bot.context import flow_context
from bot.logs import configure_logging
from dialogues.cpr import contains_cpr
from dialogues.model import Flow
from dialogues.state import FlowContext
from dialogues.structure import load_flows
from storage.db import Database
from storage.migrate import upgrade

pytest_plugins = ["tests.slack_harness"]

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "PRAKTIKBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
IN_CI = bool(os.environ.get("CI"))
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)  # a Monday, 10:00 in Copenhagen


@pytest.fixture(scope="session")
def app_config() -> AppConfig:
    """app.yaml as shipped."""
    return load_config(ROOT / "app.yaml")


@pytest.fixture
def config(request: pytest.FixtureRequest, app_config: AppConfig) -> AppConfig:
    """app.yaml as shipped; in a test marked `due_day_only` (the delivery-mechanics files),
    reminding on the due day only (tests/reminder_support.py: due_day_only)."""
    if request.node.get_closest_marker("due_day_only"):
        from tests.reminder_support import due_day_only

        return due_day_only(app_config)
    return app_config


@pytest.fixture(scope="session")
def flows() -> dict[str, Flow]:
    return load_flows()


@pytest.fixture(scope="session")
def ctx(app_config: AppConfig) -> FlowContext:
    return flow_context(app_config)


# --- databases ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is the slow part)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    name = f"praktikbot_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        message = f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc}"
        if IN_CI:
            pytest.fail(message + " (CI requires the PostgreSQL tests to run)")
        pytest.skip(message)
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# Children before parents: the order in which every table can be emptied with DELETE.
_EMPTYING_SQL = """
WITH RECURSIVE tables AS (
    SELECT c.oid, c.relname FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
      AND c.relname <> 'alembic_version'
), edges AS (
    SELECT DISTINCT conrelid AS child, confrelid AS parent FROM pg_constraint
    WHERE contype = 'f' AND connamespace = 'public'::regnamespace AND conrelid <> confrelid
), depth AS (
    SELECT oid, 0 AS level FROM tables
    UNION ALL
    SELECT e.parent, d.level + 1 FROM depth d JOIN edges e ON e.child = d.oid
    WHERE d.level < 100
)
SELECT t.relname FROM tables t JOIN depth d ON d.oid = t.oid
GROUP BY t.relname ORDER BY max(d.level), t.relname
"""


async def _truncate_all(url: str) -> None:
    """Empty every table and restart the id sequences, as `TRUNCATE … RESTART IDENTITY`
    would. DELETE instead: a test leaves a handful of rows, and TRUNCATE's new files
    cost about 0.3 s per test on this machine (over a minute per suite run). Sessions a
    failed test left behind (a process still sending) are ended first: nothing else may
    write while a test runs."""
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        tables = [row["relname"] for row in await conn.fetch(_EMPTYING_SQL)]
        sequences = await conn.fetch(
            "SELECT schemaname, sequencename FROM pg_sequences "
            "WHERE schemaname = 'public' AND last_value IS NOT NULL"
        )
        statements = [f'DELETE FROM "{name}";' for name in tables]
        statements += [
            f'ALTER SEQUENCE "{s["schemaname"]}"."{s["sequencename"]}" RESTART;'  # its START
            for s in sequences
        ]
        if statements:
            await conn.execute("BEGIN;\n" + "\n".join(statements) + "\nCOMMIT;")
    finally:
        await conn.close()


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The URL of the session's PostgreSQL database, emptied for this test."""
    asyncio.run(_truncate_all(postgres_database))
    return postgres_database


# Slow test files whose tests may run on different workers (`make test` runs the slow
# tests with --dist loadgroup): in-process work only, no processes of their own. Every
# other slow file keeps its tests on one worker (the processes of the scheduler tests
# then compete only with the fuzzing, not with the terminal and serve processes).
SPLIT_SLOW_FILES = frozenset({"test_suppression_attack.py", "test_report_demo.py"})


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that runs on PostgreSQL gets the `postgres` marker (the PostgreSQL
    variant of a `db_url` test, and a test that asks for the server itself): the quick
    loop, `make test-fast`, runs the SQLite variants only; `make test` and CI run both.
    A test marked `processes` (it starts `praktikbot` processes) is also slow on
    PostgreSQL. What the processes do on PostgreSQL is also tested in this process (the
    Slack and CLI tests). A slow test outside SPLIT_SLOW_FILES is grouped with its file."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = (
            callspec is not None and callspec.params.get("db_url") == "postgres"
        ) or bool({"postgres_url", "postgres_database"} & set(getattr(item, "fixturenames", ())))
        if on_postgres and not item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.postgres)
        if on_postgres and item.get_closest_marker("processes"):
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("slow") and item.path.name not in SPLIT_SLOW_FILES:
            item.add_marker(pytest.mark.xdist_group(item.path.name))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """The URL of an empty, migrated database: SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "praktikbot.sqlite3"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


# --- logs -------------------------------------------------------------------------------

# Secrets and free-text answers the tests type: none may reach the logs of a test run.
LOG_SENTINELS = (
    "xoxb-test-token",
    "0123456789abcdef0123456789abcdef",  # the tests' signing secret
    "0101901234",
    "010190-1234",
    "070761-4285",
    "0707614285",
    "Borgeren vil gerne have fast job på lageret",
    "Eksempel Logistik ApS",
    "Lære truck",
    "Truckcertifikat til lageret",
    "Kontakt Eksempel",
    "Virksomheden fortæller om forløbet",
)


@pytest.fixture(scope="session", autouse=True)
def scanned_logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every log record of the run goes through the production logging setup into a file,
    which is scanned at the end for secrets and free-text answers."""
    path = tmp_path_factory.mktemp("logs") / "test-run.log"
    with path.open("w", encoding="utf-8") as stream:
        handler = configure_logging("DEBUG", stream=stream)
        try:
            yield path
        finally:
            logging.getLogger().removeHandler(handler)
    text = path.read_text(encoding="utf-8")
    leaked = [sentinel for sentinel in LOG_SENTINELS if sentinel in text]
    assert leaked == [], f"secrets or free-text answers in the logs of this run: {leaked}"
    # Any spelling of a CPR number, found by the detector itself (line numbers only).
    cpr_lines = [n for n, line in enumerate(text.splitlines(), 1) if contains_cpr(line)]
    assert cpr_lines == [], f"CPR-like numbers in the logs of this run, lines {cpr_lines}"
