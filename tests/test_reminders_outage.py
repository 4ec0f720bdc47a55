"""PostgreSQL going away under the scheduler (through a TCP proxy the test cuts): no crash,
health degraded, the backlog sent after, and nothing sent twice — also when the database
disappears between Slack accepting a message and the row being marked sent."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import make_url

from bot.background import run_forever
from bot.config import AppConfig
from bot.health import SchedulerHealth
from bot.reminders.scheduler import tick
from storage.db import Database
from tests.reminder_support import (
    by_status,
    deliveries,
    local,
    seed,
    with_reminders,
)
from tests.slack_standin import SlackStandIn

# Delivery mechanics on the due day only (lead times: tests/test_slack_edges.py).
pytestmark = [pytest.mark.postgres, pytest.mark.due_day_only]
MONDAY = dt.date(2026, 11, 30)
AT_8 = local(MONDAY, 8)


class Proxy:
    """A TCP proxy in front of PostgreSQL that can be cut (connections dropped, new ones
    refused) and restored."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.down = False
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        self.writers += [writer, up_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        self.down = True
        for writer in self.writers:
            writer.close()
        self.writers.clear()

    def restore(self) -> None:
        self.down = False

    async def stop(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()


@pytest.fixture
async def proxied(postgres_url: str) -> AsyncIterator[tuple[str, str, Proxy]]:
    """(direct URL, URL through the proxy, proxy) of an emptied test database."""
    url = make_url(postgres_url)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    port = await proxy.start()
    through = url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    yield postgres_url, through, proxy
    await proxy.stop()


async def test_database_down_then_back(
    proxied: tuple[str, str, Proxy],
    slack: SlackStandIn,
    client: AsyncWebClient,
    config: AppConfig,
) -> None:
    direct, through, proxy = proxied
    setup = Database(direct)
    await seed(setup, consultants=3, per_consultant=2, due=MONDAY)
    proxy.cut()
    db = Database(through)
    health = SchedulerHealth()
    stop = asyncio.Event()
    cfg = with_reminders(config, delivery={"tick_seconds": 1, "tick_jitter": 0})
    task = asyncio.create_task(
        run_forever(
            db=db, client=client, config=cfg, instance_id="pg-loop", stop=stop,
            clock=lambda: AT_8, health=health,
        )
    )  # fmt: skip
    try:
        for _ in range(200):
            await asyncio.sleep(0.02)
            if health.consecutive_failures >= 2:
                break
        snapshot = health.snapshot(AT_8)
        assert (snapshot.status, task.done()) == ("degraded", False)
        assert str(snapshot.last_error).startswith(("database:", "Connection", "OSError"))
        assert slack.calls_to("chat.postMessage") == []
        proxy.restore()
        for _ in range(300):
            await asyncio.sleep(0.02)
            if health.last_success_at is not None:
                break
        assert health.snapshot(AT_8).status == "ok"
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await db.dispose()
    assert len(slack.calls_to("chat.postMessage")) == 6
    assert by_status(await deliveries(setup)) == {"sent": 6}
    await setup.dispose()


async def test_database_gone_between_sending_and_marking(
    proxied: tuple[str, str, Proxy],
    slack: SlackStandIn,
    client: AsyncWebClient,
    config: AppConfig,
) -> None:
    """The database disappears the moment Slack takes the message; the scheduler keeps
    the outcome and marks it when the database is back (within the lease): one message."""
    direct, through, proxy = proxied
    setup = Database(direct)
    await seed(setup, consultants=1, per_consultant=1, due=MONDAY)
    loop = asyncio.get_running_loop()
    real_clock = slack.clock

    def clock() -> float:
        if not proxy.down and slack.calls_to("conversations.open"):
            proxy.cut()  # as chat.postMessage arrives
            loop.call_later(1.2, proxy.restore)
        return real_clock()

    slack.clock = clock
    db = Database(through)
    try:
        report = await tick(db=db, client=client, config=config, now=AT_8, instance_id="p1")
    finally:
        slack.clock = real_clock
    assert report.sent == 1
    later = await tick(
        db=db, client=client, config=config, now=AT_8 + dt.timedelta(minutes=10),
        instance_id="p2",
    )  # fmt: skip
    await db.dispose()
    assert later.sent == 0
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert by_status(await deliveries(setup)) == {"sent": 1}
    await setup.dispose()
