"""Home's Resultater for a team lead and an administrator, on the demo store: valid Block
Kit with data_table and data_visualization blocks (checked by the stand-in), suppressed,
no company or case; a plain-text fallback where the workspace refuses those blocks."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from bot.config import AccessConfig, AppConfig, Team
from bot.demo import seed_demo
from dialogues.model import Flow
from storage.db import Database
from storage.models import AuditEntry
from tests.slack_harness import button_labelled, running_bot
from tests.slack_standin import SlackStandIn

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
LEAD, ADMIN = "ULEAD", "UBO"
pytestmark = pytest.mark.slow


def with_roles(config: AppConfig) -> AppConfig:
    team = Team(id="demo_nord", name="Demo Team Nord", leads=(LEAD,), members=(LEAD,))
    return config.model_copy(
        update={"teams": (team,), "access": AccessConfig(administrators=(ADMIN,))}
    )


def blocks_of(slack: SlackStandIn, user: str) -> list[dict[str, Any]]:
    return list(slack.home_views[user]["blocks"])


async def open_results(bot: Any, user: str) -> list[dict[str, Any]]:
    await bot.event({"type": "app_home_opened", "user": user, "tab": "home", "event_ts": "1"})
    await bot.wait_idle()
    home = {"ts": "0", "channel": f"D{user}", "blocks": blocks_of(bot.slack, user)}
    await bot.click(user, home, button_labelled("Resultater"))
    return blocks_of(bot.slack, user)


def numbers_in(block: dict[str, Any]) -> list[float]:
    return [
        cell["value"]
        for row in block["rows"][1:]
        for cell in row
        if cell["type"] == "raw_number" and not cell["text"].endswith("%")
    ]


async def test_results_for_a_team_lead_and_an_administrator(
    slack: SlackStandIn, db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    config = with_roles(config)
    await seed_demo(db, config, seed=11, today=NOW.date())
    async with running_bot(slack, db, config, flows) as bot:
        bot.deps.clock = lambda: NOW
        lead = await open_results(bot, LEAD)
        kinds = [b["type"] for b in lead]
        # One team's exit by quarter and type is mostly small counts: the suppression may
        # hide every rate in it, and then that line chart is left out (never drawn from
        # hidden cells).
        assert kinds.count("data_visualization") in (1, 2) and kinds.count("data_table") == 3
        assert any(b.get("block_id") == "results_rate_by_type" for b in lead)
        text = json.dumps(lead, ensure_ascii=False)
        assert "SYNTETISKE DEMODATA" in text
        assert "Demo Virksomhed" not in text and "DEMO-2026" not in text
        tables = [b for b in lead if b["type"] == "data_table"]
        assert all(value >= 5 for table in tables for value in numbers_in(table))
        exit_table = tables[0]
        assert [c["text"] for c in exit_table["rows"][0][:3]] == [
            "Type", "Afsluttet", "Job eller uddannelse"
        ]  # fmt: skip
        assert exit_table["rows"][-1][0]["text"] == "I alt"
        lead_total = exit_table["rows"][-1][1]

        admin = await open_results(bot, ADMIN)
        admin_total = next(b for b in admin if b["type"] == "data_table")["rows"][-1][1]
        assert admin_total["value"] > lead_total["value"]  # all teams against one

        # A consultant has no Resultater button.
        await bot.event({"type": "app_home_opened", "user": "UANNA", "tab": "home",
                         "event_ts": "2"})  # fmt: skip
        await bot.wait_idle()
        assert "Resultater" not in json.dumps(blocks_of(slack, "UANNA"), ensure_ascii=False)

        # Back to the work list.
        home = {"ts": "0", "channel": f"D{LEAD}", "blocks": blocks_of(slack, LEAD)}
        await bot.click(LEAD, home, button_labelled("Tilbage til mine praktikker"))
        # (a lead with no praktikker of their own sees the team's first)
        assert blocks_of(slack, LEAD)[0]["text"]["text"] == "Teamets praktikker"
    views = [
        e for e in await _audit(db) if e.action == "view" and e.detail.get("what") == "results"
    ]
    assert {e.actor for e in views} == {f"slack:{LEAD}", f"slack:{ADMIN}"}
    assert {e.detail["audience"] for e in views} == {"team:demo_nord", "alle"}


async def test_plain_text_where_the_workspace_lacks_the_blocks(
    slack: SlackStandIn, db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    config = with_roles(config)
    await seed_demo(db, config, seed=12, today=NOW.date(), per_week=6)
    slack.rich_blocks_supported = False
    async with running_bot(slack, db, config, flows) as bot:
        bot.deps.clock = lambda: NOW
        blocks = await open_results(bot, ADMIN)
        assert {b["type"] for b in blocks} <= {"header", "actions", "context", "section"}
        assert "Afgang til job eller uddannelse" in json.dumps(blocks, ensure_ascii=False)
        assert bot.deps.rich_blocks_refused
        refused = [c for c in slack.calls_to("views.publish") if not c.response.get("ok")]
        assert len(refused) == 1 and "data_table" in json.dumps(refused[0].response)
        # Remembered: the next view goes straight to plain text.
        await open_results(bot, ADMIN)
        assert len([c for c in slack.calls_to("views.publish") if not c.response.get("ok")]) == 1
        slack.calls.remove(refused[0])  # the one refusal the fallback is for


async def _audit(db: Database) -> list[AuditEntry]:
    from sqlmodel import select

    async with db.transaction() as session:
        return list((await session.exec(select(AuditEntry))).all())
