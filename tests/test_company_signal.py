"""The company signal at registration: a consultant typing a P-nr. where colleagues
already have praktikanter is warned (counts only), with the places left under the ratio
cap counting every consultant's active praktikker, and about repeated praktikker there
without a hire (vejledning 9641/2022)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from bot.config import AppConfig
from dialogues.structure import FlowError, parse_flow
from storage.db import Database
from storage.models import Consultant, Praktik
from tests.slack_harness import SlackBot, message_text

P_NUMBER = "1017654321"


async def register_at(bot: SlackBot, user: str, case_ref: str, p_number: str) -> str:
    """Register through the DM as far as the P-nr. and answer it; returns the thread."""
    root = await bot.dm(user, "ny")
    await bot.dm(user, case_ref, thread_ts=root)
    await bot.click(
        user, bot.last(user, root), lambda e: e["type"] == "static_select", selected="dagpenge"
    )
    await bot.dm(user, "Eksempel Lager ApS", thread_ts=root)
    await bot.dm(user, p_number, thread_ts=root)
    return root


async def add_ended(db: Database, config: AppConfig, count: int) -> None:
    """Earlier praktikker at the P-nr. of another consultant, ended without a hire."""
    async with db.transaction() as session:
        other = Consultant(user_key="slack:UOTHER", name="other", slack_user_id="UOTHER")
        session.add(other)
        await session.flush()
        for n in range(count):
            session.add(
                Praktik(
                    case_ref=f"SAG-2026-05{n:02d}",
                    target_group="dagpenge",
                    company="Eksempel Lager ApS",
                    p_number=P_NUMBER,
                    type="jobpraktik",
                    subgoals=["x"],
                    start_date=dt.date(2026, 6, 1),
                    end_date=dt.date(2026, 6, 26),
                    hours_per_week=30,
                    consultant_id=other.id or 0,
                    status="ended",
                    outcome="fortsat_ledig",
                    ordinary_employees=12,
                    ratio_limit=2,
                )
            )


async def test_colleagues_praktikanter_and_repeats_without_hire_are_warned(
    bot: SlackBot, db: Database, config: AppConfig
) -> None:
    # Nobody there yet: no warning.
    thread = await bot.register_praktik("UANNA", "SAG-2026-0601", company="Eksempel Lager ApS")
    said = "\n".join(message_text(m) for m in bot.thread("UANNA", thread))
    assert "aktiv praktikant" not in said
    # Anna's praktik is at the P-nr. (of a company with 12 employees: 2 places).
    async with db.transaction() as session:
        [first] = (await session.exec(select(Praktik))).all()
        first.p_number, first.ratio_limit = P_NUMBER, 2
        session.add(first)
    root = await register_at(bot, "UANNA", "SAG-2026-0602", P_NUMBER)
    assert "aktiv" not in bot.last_text("UANNA", root)  # her own praktikker do not count

    root = await register_at(bot, "UBO", "SAG-2026-0603", P_NUMBER)
    text = bot.last_text("UBO", root) + "\n".join(
        message_text(m) for m in bot.thread("UBO", root)[-3:]
    )
    assert "allerede 1 aktiv praktikant på dette P-nummer hos en kollega" in text
    assert "1 plads(er) tilbage" in text
    assert "SAG-2026-0601" not in text and "UANNA" not in text  # counts only
    assert "Ved du allerede, hvilken praktiktype" in bot.last_text("UBO", root)  # it goes on

    await add_ended(db, config, 3)
    root = await register_at(bot, "UBO", "SAG-2026-0604", P_NUMBER)
    text = "\n".join(message_text(m) for m in bot.thread("UBO", root)[-3:])
    assert "3 praktikker de seneste 12 måneder uden ansættelse" in text
    assert "vejledning 9641/2022" in text


def test_a_lookup_is_declared_in_the_flow_contract() -> None:
    """A part reading a lookup keyed by a step the flow lacks fails the flow check."""
    text = (
        "id: x\ntitle: X\ndescription: x\nsteps:\n"
        "  - {id: company, kind: text, text: Hvad?, validate: [colleagues_at_p_number]}\n"
    )
    with pytest.raises(FlowError, match="reads the answer of step 'p_number'"):
        parse_flow(text, "x.yaml")
