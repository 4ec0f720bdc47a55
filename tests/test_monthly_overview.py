"""The monthly overview in the management channel: through the delivery queue, once per
month however many instances tick, aggregates only — no cell under N, no company."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest

from bot.config import AppConfig, MonthlyOverview, ReportConfig
from bot.demo import seed_demo
from bot.reminders.scheduler import tick
from bot.reminders.sending import slack_client
from storage.db import Database
from tests.reminder_support import local
from tests.slack_harness import BOT_TOKEN, message_text
from tests.slack_standin import SlackStandIn

CHANNEL = "C0MGMT0001"
pytestmark = pytest.mark.slow


async def test_monthly_overview_once_with_suppressed_aggregates_only(
    db: Database, db_url: str, slack: SlackStandIn, config: AppConfig
) -> None:
    config = config.model_copy(
        update={"report": ReportConfig(monthly_overview=MonthlyOverview(channel=CHANNEL))}
    )
    await seed_demo(db, config, seed=5, today=dt.date(2026, 11, 30))
    first_working_day = dt.date(2026, 12, 1)
    others = [Database(db_url) for _ in range(2)]
    try:
        async with slack_client(BOT_TOKEN, slack.base_url) as client:
            await tick(db=db, client=client, config=config,
                       now=local(first_working_day, 8, 29), instance_id="a")  # fmt: skip
            assert CHANNEL not in slack.messages  # not before its time
            await asyncio.gather(
                *(
                    tick(
                        db=d,
                        client=client,
                        config=config,
                        now=local(first_working_day, 8, 31),
                        instance_id=f"i{n}",
                    )
                    for n, d in enumerate([db, *others])
                )
            )
            await tick(db=db, client=client, config=config,
                       now=local(dt.date(2026, 12, 2), 8, 31), instance_id="a")  # fmt: skip
    finally:
        for other in others:
            await other.dispose()
    posted = slack.messages.get(CHANNEL, [])
    assert len(posted) >= 1 and all("december 2026" in m["text"] for m in posted)
    assert len({m["text"] for m in posted}) == 1  # one overview (maybe over a few parts)
    text = "\n".join(message_text(m) for m in posted)
    assert "Afgang til job eller uddannelse" in text and "<5" in text
    assert "Demo Virksomhed" not in text and "DEMO-2026" not in text
    assert not re.search(r"\b199\d{7}\b", text)  # no P-nr.
    assert "<@" not in text  # no person
    # Every count in the tables is 5 or more (or hidden).
    for block in text.split("```")[1::2]:
        for line in block.splitlines()[3:]:
            for token in re.findall(r"(?<![\w%-])\d+(?![\w%,.-])", line):
                assert int(token) >= 5 or int(token) >= 1900, line
