"""Turn latency: a signed thread reply or button click → ack (the HTTP response), and →
the next question posted at the stand-in.

The bot under test is `praktikbot serve` as a process (scheduler included), as in
production; the floor is `floor_app` (a bare Bolt app that acks and posts one fixed
question), started and driven the same way. The load generator and the Slack stand-in
share this process, so the app under test has its own interpreter and event loop.

Each consultant has their own DM thread of 'Ny praktik', brought to the company question
before measuring. A turn is one of a repeating pair, so every turn does what a real
answer does: the engine and one database transaction, the Slack calls (close the old
question, post the next), and the write of the new question's message ts (`prompt_ref`):

1. a thread reply with the company name → the P-nummer question;
2. a click on *Tilbage* under that question → the company question again.

At 1 consultant the turns come one after another; at 50 they come in waves of 50 at
once (every consultant clicks or replies at the same moment), with a pause after each
turn or wave so that the bot's last write of a turn (the question's `prompt_ref`) is not
counted in the next one.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from tests.benchmarks.common import (
    SIGNING_SECRET,
    Figure,
    Server,
    Table,
    TimedStandIn,
    bot_env,
    floor_args,
    median,
    migrated_sqlite,
    percentile,
    postgres_database,
    serve_args,
    server_process,
)
from tests.slack_harness import button_labelled, find_element, message_text, sign

TURN_TIMEOUT = 30.0


@dataclass
class Sample:
    ack: float  # seconds from sending the request to its response
    posted: float  # seconds from sending the request to the stand-in getting the question


@dataclass
class Thread:
    user: str
    channel: str
    root: str
    question: dict[str, Any] | None = None
    turns: int = 0


class BotDriver:
    """Acts as consultants in Slack against one bot process (real or floor)."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, slack: TimedStandIn, *, real: bool
    ) -> None:
        self.session, self.url, self.slack, self.real = (
            session,
            f"{base_url}/slack/events",
            slack,
            real,
        )
        self.sequence = 0
        self.unexpected: list[str] = []

    def _next(self) -> int:
        self.sequence += 1
        return self.sequence

    async def _send(
        self, thread: Thread, body: str, content_type: str
    ) -> tuple[Sample, dict[str, Any]]:
        waiter = self.slack.expect_question(thread.channel, thread.root)
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": sign(body, stamp, SIGNING_SECRET),
        }
        data = body.encode()
        started = time.monotonic()
        async with self.session.post(self.url, data=data, headers=headers) as response:
            await response.read()
            acked = time.monotonic()
            if response.status != 200:
                raise RuntimeError(f"the bot answered HTTP {response.status}")
        at, message = await asyncio.wait_for(waiter, TURN_TIMEOUT)
        thread.question = message
        thread.turns += 1
        return Sample(ack=acked - started, posted=at - started), message

    async def message(self, thread: Thread, text: str) -> Sample:
        """The consultant writes `text` in the thread."""
        posted = self.slack.add_user_message(
            thread.channel, text, user=thread.user, thread_ts=thread.root
        )
        return await self._message_event(thread, text, str(posted["ts"]), in_thread=True)

    async def _message_event(
        self, thread: Thread, text: str, ts: str, *, in_thread: bool
    ) -> Sample:
        event: dict[str, Any] = {
            "type": "message",
            "channel": thread.channel,
            "channel_type": "im",
            "user": thread.user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
        }
        if in_thread:
            event["thread_ts"] = thread.root
        envelope = {
            "token": "unused",
            "team_id": self.slack.team_id,
            "api_app_id": self.slack.app_id,
            "type": "event_callback",
            "event_id": f"Ev{self._next():010d}",
            "event_time": int(time.time()),
            "authorizations": [
                {"team_id": self.slack.team_id, "user_id": self.slack.bot_user_id, "is_bot": True}
            ],
            "event": event,
        }
        sample, _ = await self._send(thread, json.dumps(envelope), "application/json")
        return sample

    async def click(
        self,
        thread: Thread,
        predicate: Callable[[dict[str, Any]], bool],
        *,
        selected: str | None = None,
    ) -> Sample:
        """The consultant clicks (or selects in) an element of the thread's question."""
        message = thread.question
        assert message is not None
        block_id, element = find_element(message, predicate)
        action: dict[str, Any] = {
            "type": element["type"],
            "action_id": element["action_id"],
            "block_id": block_id,
            "action_ts": f"{time.time():.6f}{self._next():06d}",
        }
        if element["type"] == "button":
            action["value"] = element.get("value")
            action["text"] = element["text"]
        elif element["type"] == "static_select":
            action["selected_option"] = next(
                o for o in element["options"] if o["value"] == selected
            )
        team = self.slack.team_id
        payload = {
            "type": "block_actions",
            "team": {"id": team},
            "user": {"id": thread.user, "team_id": team},
            "api_app_id": self.slack.app_id,
            "trigger_id": self.slack.issue_trigger_id(),
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": thread.channel,
                "is_ephemeral": False,
            },
            "channel": {"id": thread.channel},
            "message": {
                k: message[k] for k in ("ts", "text", "blocks", "thread_ts") if message.get(k)
            },
            "state": {"values": {}},
            "actions": [action],
        }
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        sample, _ = await self._send(thread, body, "application/x-www-form-urlencoded")
        return sample

    def _expect(self, thread: Thread, words: str) -> None:
        if self.real and (thread.question is None or words not in message_text(thread.question)):
            shown = message_text(thread.question or {})[:200]
            self.unexpected.append(f"{thread.user}: expected {words!r}, got {shown!r}")

    async def open_thread(self, user: str, number: int) -> Thread:
        """A DM thread waiting at the company question of 'Ny praktik' (the floor: a
        thread with its fixed question)."""
        channel = f"D{user}"
        root = str(self.slack.add_user_message(channel, "ny", user=user)["ts"])
        thread = Thread(user=user, channel=channel, root=root)
        if not self.real:
            await self.message(thread, "hej")
            thread.turns = 0
            return thread
        # The top-level "ny" starts the flow in the thread under it.
        await self._message_event(thread, "ny", root, in_thread=False)
        self._expect(thread, "sagens reference")
        await self.message(thread, f"SAG-{number:05d}")
        self._expect(thread, "målgruppe")
        await self.click(thread, lambda e: e["type"] == "static_select", selected="dagpenge")
        self._expect(thread, "Hvilken virksomhed")
        thread.turns = 0
        return thread

    async def turn(self, thread: Thread) -> Sample:
        """One turn of the repeating pair: reply with the company, or click Tilbage."""
        if thread.turns % 2 == 0:
            sample = await self.message(thread, f"Testfirma {thread.turns} ApS")
            self._expect(thread, "P-nummer")
        else:
            sample = await self.click(thread, button_labelled("Tilbage"))
            self._expect(thread, "Hvilken virksomhed")
        return sample


async def measure(
    driver: BotDriver, threads: list[Thread], turns: int, pause: float
) -> list[Sample]:
    samples: list[Sample] = []
    while len(samples) < turns:
        samples += await asyncio.gather(*(driver.turn(t) for t in threads))
        await asyncio.sleep(pause)
    if driver.unexpected:
        raise RuntimeError(
            "the bot did not answer as expected:\n" + "\n".join(driver.unexpected[:5])
        )
    return samples


PAUSE_ONE = 0.03  # after each turn of the single consultant
PAUSE_WAVE = 0.2  # after each wave of 50
MANY = 50


@dataclass
class Cells:
    one: list[Sample]
    many: list[Sample]
    cpu_per_turn: float  # seconds of the bot process's CPU time per measured turn


def _cpu_seconds(server: Server) -> float:
    times = psutil.Process(server.proc.pid).cpu_times()
    return float(times.user + times.system)


async def drive(
    server: Server, slack: TimedStandIn, *, real: bool, turns_one: int, turns_many: int
) -> Cells:
    """Open the threads, warm up (one pair of turns each), then measure both cells."""
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        driver = BotDriver(session, server.url, slack, real=real)
        one = [await driver.open_thread("UBENCH0000", 0)]
        many = list(
            await asyncio.gather(
                *(driver.open_thread(f"UBENCH{n:04d}", n) for n in range(1, MANY + 1))
            )
        )
        await measure(driver, one, 4, PAUSE_ONE)
        await measure(driver, many, 2 * MANY, PAUSE_WAVE)
        cpu = _cpu_seconds(server)
        samples_one = await measure(driver, one, turns_one, PAUSE_ONE)
        samples_many = await measure(driver, many, turns_many, PAUSE_WAVE)
        cpu = _cpu_seconds(server) - cpu
        cells = Cells(
            one=samples_one,
            many=samples_many,
            cpu_per_turn=cpu / (len(samples_one) + len(samples_many)),
        )
    slack.forget()
    return cells


STATS: tuple[tuple[str, Callable[[Sample], float], float, float], ...] = (
    # label, what is measured, percentile (0.5: the median), target as a multiple of the floor
    ("→ ack, median", lambda s: s.ack, 0.5, 1.5),
    ("→ ack, p99", lambda s: s.ack, 0.99, 2.0),
    ("→ question posted, median", lambda s: s.posted, 0.5, 1.5),
    ("→ question posted, p99", lambda s: s.posted, 0.99, 2.0),
)


def _stat(samples: list[Sample], what: Callable[[Sample], float], fraction: float) -> float:
    values = [what(s) * 1000 for s in samples]
    return median(values) if fraction == 0.5 else percentile(values, fraction)


TARGET_CPU = 2.0  # issue 15: the bot's CPU per turn, at most twice the bare Bolt app's


def add_figures(table: Table, store: str, cells: Cells | None, floor: Cells, note: str) -> None:
    cpu = None if cells is None else cells.cpu_per_turn * 1000
    table.add(
        Figure(
            f"Turn · {store} · CPU time of the bot process per turn",
            cpu,
            floor=floor.cpu_per_turn * 1000,
            note=note,
            target=f"≤ {TARGET_CPU:g}× floor",
            ok=None if cpu is None else cpu <= TARGET_CPU * floor.cpu_per_turn * 1000,
        )
    )
    for consultants, pick in ((1, "one"), (MANY, "many")):
        for label, what, fraction, target in STATS:
            name = (
                f"Turn · {store} · {consultants} consultant{'s' if consultants > 1 else ''} {label}"
            )
            floor_value = _stat(getattr(floor, pick), what, fraction)
            if cells is None:
                table.add(Figure(name, None, note=note, target=f"≤ {target:g}× floor"))
                continue
            samples: list[Sample] = getattr(cells, pick)
            value = _stat(samples, what, fraction)
            table.add(
                Figure(
                    f"{name} (n={len(samples)})",
                    value,
                    floor=floor_value,
                    target=f"≤ {target:g}× floor",
                    ok=value <= target * floor_value,
                )
            )


async def run(
    table: Table,
    workdir: Path,
    *,
    postgres: bool,
    turns_one: int = 300,
    turns_many: int = 400,
) -> None:
    async with TimedStandIn() as slack:
        with_floor = bot_env(slack, await migrated_sqlite(workdir / "floor.sqlite3"))
        async with server_process(floor_args(), env=with_floor, log=workdir / "floor.log") as bare:
            floor = await drive(bare, slack, real=False, turns_one=turns_one, turns_many=turns_many)
        env = bot_env(slack, await migrated_sqlite(workdir / "turns.sqlite3"))
        async with server_process(serve_args(), env=env, log=workdir / "serve-sqlite.log") as bot:
            cells = await drive(bot, slack, real=True, turns_one=turns_one, turns_many=turns_many)
        add_figures(table, "SQLite", cells, floor, "")
        if not postgres:
            add_figures(table, "PostgreSQL", None, floor, "skipped (not reachable)")
            return
        async with postgres_database("turns") as url:
            env = bot_env(slack, url)
            async with server_process(serve_args(), env=env, log=workdir / "serve-pg.log") as bot:
                cells = await drive(
                    bot, slack, real=True, turns_one=turns_one, turns_many=turns_many
                )
        add_figures(table, "PostgreSQL", cells, floor, "")
