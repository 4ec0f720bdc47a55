"""Several scheduler instances at once: every reminder is sent exactly once.

- Three instances — OS processes, each with its own Database (engine, connections) and
  Slack client, so the stand-in and the instances use both cores — on one PostgreSQL
  with 10,000 reminders due the same minute: one chat.postMessage per reminder, counted
  at the stand-in.
- Two OS processes (the `praktikbot remind --now …` hook) on one SQLite file: no
  duplicates, and no "database is locked" anywhere in their output.

They assert exactly-once, not speed: how long the three instances take is a row of
`make bench` (tests/benchmarks/instances.py). Marked slow: `make test-fast` skips them,
`make test` and CI run them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from storage.db import Database
from tests.reminder_support import TOKEN, by_status, deliveries, local, seed
from tests.slack_standin import SlackStandIn

ROOT = Path(__file__).resolve().parent.parent
MONDAY = dt.date(2026, 11, 30)
AT_8 = local(MONDAY, 8)
log = logging.getLogger(__name__)
# Slow; and on a busy machine 10,000 reminders take minutes: a generous hang guard.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _config_file(tmp_path: Path, **delivery: object) -> Path:
    raw = yaml.safe_load((ROOT / "app.yaml").read_text(encoding="utf-8"))
    raw.setdefault("reminders", {}).setdefault("delivery", {}).update(delivery)
    raw["reminders"]["remind_days_before"] = 0  # one occurrence per follow-up: the due day
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


SCRIPT = (
    "import logging, sys\n"
    "from bot.logs import configure_logging\n"
    "from bot.cli import main\n"
    "configure_logging('DEBUG')\n"
    "logging.getLogger('sqlalchemy').setLevel(logging.WARNING)\n"
    "sys.exit(main(['remind', *sys.argv[1:]]))\n"
)


async def run_instances(
    count: int, *, db_url: str, config_path: Path, api_url: str, now: dt.datetime
) -> list[str]:
    """`count` OS processes, each one scheduler instance (its own engine, connections and
    Slack client) running one tick as of `now`; returns what each printed."""
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "PRAKTIKBOT_CONFIG": str(config_path),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": api_url,
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-c", SCRIPT, "--now", now.isoformat()]
    pipe = asyncio.subprocess.PIPE
    procs = [
        await asyncio.create_subprocess_exec(*command, stdout=pipe, stderr=pipe, cwd=ROOT, env=env)
        for _ in range(count)
    ]
    try:  # a guard against a hang, not a speed limit (that is `make bench`)
        outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in procs)), 780)
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    texts = [out.decode() + err.decode() for out, err in outputs]
    for proc, text in zip(procs, texts, strict=True):
        assert proc.returncode == 0, text
        assert "locked" not in text.lower(), text
        assert "Traceback" not in text, text
        assert '"level": "ERROR"' not in text, text
    return texts


def sent_counts(texts: list[str]) -> list[int]:
    return [int(text.split("sent ")[1].split(",")[0]) for text in texts]


@pytest.mark.postgres
async def test_three_instances_on_postgresql_send_10000_reminders_once_each(
    postgres_url: str, slack: SlackStandIn, tmp_path: Path
) -> None:
    setup = Database(postgres_url)
    try:
        seeded = await seed(setup, consultants=1000, per_consultant=10, due=MONDAY)
    finally:
        await setup.dispose()
    assert len(seeded.followup_ids) == 10_000
    assert not slack.rate_limit_enabled

    texts = await run_instances(
        3, db_url=postgres_url, config_path=_config_file(tmp_path), api_url=slack.base_url, now=AT_8
    )

    posted = slack.calls_to("chat.postMessage")
    assert len(posted) == 10_000
    assert all(call.status == 200 for call in posted)
    # Exactly one message per reminder: each praktik's case reference once.
    refs = Counter(str(c.params["text"]).split(" for ")[1].split(" ")[0] for c in posted)
    assert len(refs) == 10_000 and set(refs.values()) == {1}
    per_instance = sent_counts(texts)
    assert sum(per_instance) == 10_000
    assert sum(1 for n in per_instance if n > 0) >= 2, per_instance  # they shared the work

    check = Database(postgres_url)
    try:
        rows = await deliveries(check)
    finally:
        await check.dispose()
    assert by_status(rows) == {"sent": 10_000}
    assert len({r.slack_ts for r in rows}) == 10_000
    assert {r.attempts for r in rows} == {1}
    log.info("10,000 reminders, 3 instances, sent %s", per_instance)


async def test_two_processes_on_one_sqlite_file(
    tmp_path: Path, slack: SlackStandIn, sqlite_template: Path
) -> None:
    import shutil

    path = tmp_path / "shared.sqlite3"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    setup = Database(url)
    try:
        await seed(setup, consultants=40, per_consultant=10, due=MONDAY)
    finally:
        await setup.dispose()
    config_path = _config_file(tmp_path, batch_size=20, send_concurrency=5)
    texts = await run_instances(
        2, db_url=url, config_path=config_path, api_url=slack.base_url, now=AT_8
    )

    posted = slack.calls_to("chat.postMessage")
    assert len(posted) == 400
    assert len({c.params["text"] for c in posted}) == 400
    sent_per_process = sent_counts(texts)
    assert sum(sent_per_process) == 400
    check = Database(url)
    try:
        assert by_status(await deliveries(check)) == {"sent": 400}
    finally:
        await check.dispose()
    log.info("two processes sent %s", sent_per_process)
