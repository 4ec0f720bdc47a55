"""Erasure removes the bytes: after `praktikbot erase --case REF --yes` nothing typed about
the case is left in the SQLite file or its WAL — while a `praktikbot serve` process runs
against the same file and another process holds a read transaction — and the other case's
data is still there. The reference matches ignoring letter case and surrounding spaces."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.config import AppConfig
from bot.retention import erase_case
from dialogues.model import Flow
from storage.db import Database
from storage.models import CaseNote, Consultant, Praktik
from tests.cli_support import Chat, run_cli
from tests.slack_harness import (
    BOT_TOKEN,
    SIGNING_SECRET,
    SlackBot,
    message_text,
    running_bot,
    sign,
)
from tests.slack_standin import SlackStandIn
from tests.test_slack_serve import free_port, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
ANNA = "UANNA"

ERASED = {
    "case_ref": "SAG-2026-7731",
    "company": "Eksempel Glarmesteri ApS",
    "own_goal": "Lære at skære glas til facader på værkstedet",
    "contact": "Kontakt Ingeborg Eksempelsen",
}
KEPT = {
    "case_ref": "SAG-2026-7732",
    "company": "Eksempel Cykelsmed ApS",
    "own_goal": "Lære at lappe cykelslanger i butikken",
    "contact": "Kontakt Oluf Eksempelsen",
}


async def register(bot: SlackBot, user: str, texts: dict[str, str]) -> None:
    """A whole registration typed in the DM, with the case's own free texts."""
    today = bot.deps.clock().astimezone(bot.deps.config.tz).date()
    start = today + dt.timedelta(days=3)
    root = await bot.dm(user, "ny")
    await bot.dm(user, texts["case_ref"], thread_ts=root)
    await bot.click(
        user, bot.last(user, root), lambda e: e["type"] == "static_select", selected="dagpenge"
    )
    await bot.dm(user, texts["company"], thread_ts=root)
    await bot.dm(user, "spring over", thread_ts=root)
    await bot.click_button(user, bot.last(user, root), "Ja, jeg vælger selv")
    await bot.click_button(user, bot.last(user, root), "Jobpraktik")
    await bot.tick_boxes(user, bot.last(user, root), ["d1"])
    await bot.dm(user, texts["own_goal"], thread_ts=root)
    await bot.dm(user, "Opgaver i praktikken", thread_ts=root)
    for day in (start, start + dt.timedelta(days=20)):
        await bot.click(
            user,
            bot.last(user, root),
            lambda e: e["type"] == "datepicker",
            selected=day.isoformat(),
        )
    answers = ["20", "nej", "mandag-fredag kl. 8-12", "nej", "spring over", "12", "0"]
    answers += ["Tina Eksempel, tina@eksempel.dk", "ja", texts["contact"], "ja"]
    for answer in answers:
        await bot.dm(user, answer, thread_ts=root)
    await bot.click_button(user, bot.last(user, root), "Gem")
    assert any("er gemt" in message_text(m) for m in bot.bot_messages(user, root))


def spellings(text: str) -> list[bytes]:
    """How a text can sit in the file: UTF-8 (text columns) and JSON-escaped (JSON
    columns store non-ASCII as \\uXXXX)."""
    forms = {text.encode("utf-8"), json.dumps(text)[1:-1].encode("ascii")}
    return [form.lower() for form in forms]


def file_bytes(path: Path) -> bytes:
    """The database file, its WAL and its shared-memory index, lower-cased (ASCII)."""
    parts = [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")]
    return b"".join(p.read_bytes() for p in parts if p.exists()).lower()


def found(data: bytes, texts: list[str]) -> list[str]:
    return [t for t in texts if any(form in data for form in spellings(t))]


async def case_note_lines(db: Database, case_ref: str, other: str) -> list[str]:
    """The lines of the case's case-note drafts that the other case's notes lack."""
    async with db.transaction() as session:
        praktikker = {p.case_ref: p.id for p in (await session.exec(select(Praktik))).all()}
        notes = (await session.exec(select(CaseNote))).all()
    mine = [n.text for n in notes if n.praktik_id == praktikker[case_ref]]
    theirs = "\n".join(n.text for n in notes if n.praktik_id == praktikker[other])
    lines = {line.strip() for note in mine for line in note.splitlines()}
    return sorted(line for line in lines if len(line) >= 12 and line not in theirs)


async def open_home_via(session: aiohttp.ClientSession, url: str, user: str) -> int:
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0TEST",
            "event_id": f"Ev0HOME{time.time_ns()}",
            "event": {"type": "app_home_opened", "user": user, "tab": "home"},
        }
    )
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign(body, stamp),
    }
    async with session.post(url, data=body, headers=headers) as response:
        return response.status


HOLD_READ = """
import sqlite3, sys, time
reader = sqlite3.connect(sys.argv[1], isolation_level=None)
reader.execute("BEGIN")
reader.execute("SELECT count(*) FROM answers").fetchone()
print("reading", flush=True)
time.sleep(float(sys.argv[2]))
reader.execute("COMMIT")
"""


@pytest.mark.slow
async def test_erase_leaves_no_byte_of_the_case_while_serve_runs(
    tmp_path: Path, sqlite_template: Path, config: AppConfig, flows: dict[str, Flow]
) -> None:
    path = tmp_path / "praktikbot.sqlite3"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    async with SlackStandIn(bot_token=BOT_TOKEN) as slack:
        port = free_port()
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.base_url,
            "DATABASE_URL": url,
        }
        serve = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        db = Database(url)
        try:
            async with aiohttp.ClientSession() as session:
                base = f"http://127.0.0.1:{port}"
                assert (await wait_healthy(session, f"{base}/healthz", serve))["database"] == "ok"
                # The cases are typed through the app (the real Bolt app in this process,
                # on the same file); serve then reads them for Anna's Home tab, so it holds
                # connections that have read the case's pages.
                async with running_bot(slack, db, config, flows) as bot:
                    await register(bot, ANNA, ERASED)
                    await register(bot, ANNA, KEPT)
                published = len(slack.calls_to("views.publish"))
                assert await open_home_via(session, f"{base}/slack/events", ANNA) == 200
                deadline = time.monotonic() + 20
                while len(slack.calls_to("views.publish")) == published:
                    assert time.monotonic() < deadline, "serve did not publish Anna's Home"
                    await asyncio.sleep(0.1)

                erased_texts = [*ERASED.values()]
                erased_texts += await case_note_lines(db, ERASED["case_ref"], KEPT["case_ref"])
                kept_texts = [*KEPT.values()]
                assert len(erased_texts) > len(ERASED)  # the case note has lines of its own
                assert found(file_bytes(path), erased_texts) == erased_texts  # the scan sees them

                # Another process is in the middle of a read while the erasure runs: the
                # checkpoint must wait for it, not give up or leave the WAL behind.
                reader = await asyncio.create_subprocess_exec(
                    sys.executable,
                    *("-c", HOLD_READ, str(path), "3"),
                    stdout=asyncio.subprocess.PIPE,
                )
                assert reader.stdout is not None
                assert (await reader.stdout.readline()).strip() == b"reading"
                erase = await asyncio.to_thread(
                    subprocess.run,
                    [
                        sys.executable,
                        "-m",
                        "bot.cli",
                        "erase",
                        "--case",
                        " sag-2026-7731 ",
                        "--yes",
                    ],
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                    timeout=120,
                    env=env,
                )
                await reader.wait()
                assert erase.returncode == 0, erase.stderr
                assert "Deleted" in erase.stdout
                assert "gone from the database file and its WAL" in erase.stdout

                data = file_bytes(path)
                assert found(data, erased_texts) == []
                assert found(data, kept_texts) == kept_texts
                assert serve.returncode is None  # serve ran throughout
                async with session.get(f"{base}/healthz") as response:
                    assert (await response.json())["database"] == "ok"
        finally:
            await db.dispose()
            if serve.returncode is None:
                serve.terminate()
            output, _ = await asyncio.wait_for(serve.communicate(), 20)
        records = [json.loads(line) for line in output.decode().splitlines() if line[:1] == "{"]
        assert records, "serve logs JSON lines"
        assert [r for r in records if r["level"] in ("ERROR", "CRITICAL")] == []


async def test_the_case_reference_matches_ignoring_case_and_surrounding_spaces(
    bot: SlackBot, db: Database
) -> None:
    await register(bot, ANNA, ERASED)
    await register(bot, ANNA, KEPT)
    exact = await erase_case(db, case_ref=ERASED["case_ref"], actor="test", dry_run=True)
    assert exact.counts["praktikker"] == 1
    for spelling in ("sag-2026-7731", "  Sag-2026-7731\t", "ＳＡＧ-２０２６-７７３１"):
        found_ = await erase_case(db, case_ref=spelling, actor="test", dry_run=True)
        assert found_.counts == exact.counts, spelling
    for other in ("SAG-2026-773", "SAG-2026-77311", "SAG 2026 7731", ""):
        assert (await erase_case(db, case_ref=other, actor="test", dry_run=True)).total == 0


async def test_erase_says_what_postgresql_needs_and_sqlite_got(
    bot: SlackBot, db: Database, db_url: str
) -> None:
    await register(bot, ANNA, ERASED)
    result = await asyncio.to_thread(erase_cli, db_url, "--case", "sag-2026-7731", "--yes")
    assert result.returncode == 0, result.stderr
    async with db.transaction() as session:
        assert (await session.exec(select(Praktik))).all() == []
    if db.dialect == "postgresql":
        assert "VACUUM (FULL)" in result.stdout
    else:
        assert "gone from the database file and its WAL" in result.stdout


async def test_deleted_rows_leave_no_stale_copies_in_a_much_changed_file(
    tmp_path: Path, sqlite_template: Path
) -> None:
    """`secure_delete` zeroes a deleted cell, but B-tree rebalancing has left stale copies
    of moved cells in other pages: after many updates some deleted rows would still be
    readable in the file. Removing the deleted bytes rebuilds it from the live rows."""
    path = tmp_path / "churned.sqlite3"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    rng = random.Random(20261130)
    count, victims = 2000, 300

    def marker(i: int) -> str:
        return f"EKSEMPELSAG{i:05d}Q"

    def note(i: int) -> str:
        return (marker(i) + " ") * rng.randint(1, 12)

    try:
        async with db.transaction() as session:
            session.add(Consultant(id=1, user_key="terminal:churn", name="Churn"))
            await session.flush()
            session.add_all(
                Praktik(
                    id=i + 1,
                    case_ref=marker(i),
                    target_group="dagpenge",
                    company=marker(i),
                    type="jobpraktik",
                    start_date=dt.date(2026, 1, 5),
                    end_date=dt.date(2026, 2, 5),
                    hours_per_week=20,
                    new_function=note(i),
                    consultant_id=1,
                )
                for i in range(count)
            )
        change = text("UPDATE praktikker SET new_function = :n, contact_person = :c WHERE id = :id")
        for _ in range(4):  # rows grow and shrink: cells move between pages
            async with db.engine.begin() as connection:
                await connection.execute(
                    change,
                    [
                        {"id": i + 1, "n": note(i), "c": note(i)[: rng.randint(0, 200)]}
                        for i in rng.sample(range(count), 1000)
                    ],
                )
        gone = rng.sample(range(count), victims)
        async with db.engine.begin() as connection:
            await connection.execute(
                text("DELETE FROM praktikker WHERE id = :id"), [{"id": i + 1} for i in gone]
            )
        assert await db.remove_deleted_bytes() is True
    finally:
        await db.dispose()
    data = file_bytes(path)
    assert [i for i in gone if marker(i).lower().encode() in data] == []
    kept = set(range(count)) - set(gone)
    assert [i for i in kept if marker(i).lower().encode() not in data] == []


def erase_cli(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`praktikbot erase ARGS` in this process (as a process: the test above, and
    tests/test_data_protection.py)."""
    return run_cli("erase", *args, env={"DATABASE_URL": db_url})


async def test_a_corrected_case_reference_is_erased_under_the_current_one(
    db: Database, db_url: str, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """A registration in the terminal, its case reference corrected: its copy-ready texts
    are headed as a corrected registration (not a meeting), and `erase --case <old>`
    refuses, naming the current reference, instead of erasing half the case."""
    from bot.conversations import ConversationService
    from storage.models import Answer, AuditEntry, Conversation
    from tests.test_dialogue_tool_storage import REGISTER, Driver
    from tests.test_dialogue_tool_terminal import REGISTRATION

    term = await Chat.start(db_url)
    await term.expect("Hvad vil du gøre?")
    out = ""
    for line, expect in REGISTRATION:
        out = await term.send(line, expect)
    assert "Dens korte reference er P-1001 - den står" in out  # no Slack markup here
    assert "*P-1001*" not in out
    await term.send("ret", "Hvilket gemt svar vil du rette?")  # her only praktik: no picker
    out = await term.expect("skriv 'tilbage' for menuen")
    [number] = re.findall(r"(\d+)\) [^\n]*Sagsreference: SAG-2026-1301", out)
    await term.send(number, "Skriv dit svar.")
    await term.send("SAG-2026-1399", "Skriv 'gem'")
    out = await term.send("gem", "Hvad vil du gøre?")
    assert "RETTET UDKAST - erstatter udkastet fra 'Ny praktik', gemt " in out
    assert "samme møde" not in out
    await term.send("afslut praktikbot", "Farvel")
    assert await term.close() == 0
    async with db.transaction() as session:
        [praktik] = (await session.exec(select(Praktik))).all()
        answers = len((await session.exec(select(Answer))).all())
    assert praktik.case_ref == "SAG-2026-1399" and answers > 20

    for args in (("--case", "sag-2026-1301"), ("--case", "SAG-2026-1301", "--yes")):
        refused = await asyncio.to_thread(erase_cli, db_url, *args)
        assert refused.returncode == 1 and refused.stdout == "", refused.stderr
        assert refused.stderr.strip() == (
            f"praktikbot erase: {args[1]} is no longer a praktik's case reference - it "
            "was corrected to SAG-2026-1399 (P-1001). Nothing is erased. To erase that case, "
            f"with the answers that still hold {args[1]}, run: praktikbot erase --case "
            "SAG-2026-1399"
        )
    async with db.transaction() as session:
        assert len((await session.exec(select(Answer))).all()) == answers
        entries = (await session.exec(select(AuditEntry))).all()
        assert not [e for e in entries if e.action == "erase"]

    # The old reference registered again, for its own case: that case is erased, the
    # corrected praktik's conversations (holding the old reference as a past answer) stay.
    driver = Driver(ConversationService(db=db, config=config, flows=flows))
    await driver.start("ny_praktik")
    await driver.say("SAG-2026-1301", *REGISTER[1:])
    again = await asyncio.to_thread(erase_cli, db_url, "--case", "SAG-2026-1301", "--yes")
    assert again.returncode == 0, again.stderr
    assert "Kept: the conversations of the praktik SAG-2026-1399 (P-1001)" in again.stdout
    async with db.transaction() as session:
        assert [p.case_ref for p in (await session.exec(select(Praktik))).all()] == [
            "SAG-2026-1399"
        ]
        assert len((await session.exec(select(Answer))).all()) == answers

    erased = await asyncio.to_thread(erase_cli, db_url, "--case", "SAG-2026-1399", "--yes")
    assert erased.returncode == 0, erased.stderr
    async with db.transaction() as session:
        for model in (Praktik, Answer, Conversation, CaseNote):
            assert (await session.exec(select(model))).all() == [], model
    left = await asyncio.to_thread(erase_cli, db_url, "--case", "SAG-2026-1301")
    assert left.returncode == 1 and "Nothing is stored about that case." in left.stdout
