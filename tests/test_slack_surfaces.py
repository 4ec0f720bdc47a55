"""The assistant surface, /praktik mine and correcting an answer from the summary."""

from __future__ import annotations

from storage.db import Database
from storage.models import Praktik
from tests.db_support import rows
from tests.slack_harness import SlackBot, message_text

ANNA = "UANNA"


async def test_assistant_thread_offers_prompts_and_runs_the_flow(bot: SlackBot) -> None:
    await bot.event(
        {
            "type": "assistant_thread_started",
            "assistant_thread": {
                "user_id": ANNA,
                "channel_id": "DUANNA",
                "thread_ts": "1700000000.000001",
                "context": {},
            },
            "event_ts": "1.0",
        }
    )
    await bot.wait_idle()
    again = {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": ANNA,
            "channel_id": "DUANNA",
            "thread_ts": "1700000000.000001",
            "context": {},
        },
        "event_ts": "1.0",
    }
    await bot.event(again, event_id="EvSame", retry_num=1)  # Slack retries: nothing twice
    await bot.wait_idle()
    assert len(bot.slack.calls_to("assistant.threads.setSuggestedPrompts")) == 1
    thread = bot.slack.assistant_threads[("DUANNA", "1700000000.000001")]
    assert [p["title"] for p in thread["prompts"]] == [
        "Ny praktik",
        "Forbered møde",
        "Opfølgning",
        "Mine praktikker",
    ]
    await bot.dm(ANNA, "ny praktik", thread_ts="1700000000.000001")
    assert "Hvad er sagens reference" in bot.last_text(ANNA, "1700000000.000001")


async def test_mine_and_help(bot: SlackBot) -> None:
    help_reply = await bot.command(ANNA, "noget andet")
    assert "Det kender jeg ikke" in await help_reply.text()
    mine = await bot.command(ANNA, "mine")
    assert "privat" in await mine.text()
    await bot.wait_idle()
    assert "ingen aktive praktikker" in message_text(bot.slack.messages["DUANNA"][-1])


async def test_correcting_an_answer_from_the_summary(bot: SlackBot, db: Database) -> None:
    root = await bot.dm(ANNA, "ny")
    for answer in ("SAG-77",):
        await bot.dm(ANNA, answer, thread_ts=root)
    await bot.click(
        ANNA, bot.last(ANNA, root), lambda e: e["type"] == "static_select", selected="dagpenge"
    )
    await bot.dm(ANNA, "Eksempel Bageri", thread_ts=root)
    await bot.dm(ANNA, "spring over", thread_ts=root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Ja, jeg vælger selv")
    await bot.click_button(ANNA, bot.last(ANNA, root), "Kompetencepraktik")
    await bot.tick_boxes(ANNA, bot.last(ANNA, root), ["d2"])
    await bot.click_button(ANNA, bot.last(ANNA, root), "Spring over")
    await bot.dm(ANNA, "Bagning og ekspedition", thread_ts=root)
    await bot.dm(ANNA, "i overmorgen", thread_ts=root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Ja")
    await bot.dm(ANNA, "om 3 uger", thread_ts=root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Ja")
    answers = ("20", "nej", "mandag-fredag kl. 6-12", "nej", "spring over", "8", "0", "ingen")
    for answer in (*answers, "ja", "Kontakt", "ja"):
        await bot.dm(ANNA, answer, thread_ts=root)
    summary = bot.last(ANNA, root)
    assert "Eksempel Bageri" in message_text(summary)
    # "Ret" on the company: asked again, then back to a new summary.
    company = next(
        b for b in summary["blocks"] if b.get("accessory") and "Virksomhed" in b["text"]["text"]
    )
    await bot.click(ANNA, summary, lambda e: e is company["accessory"])
    assert "Hvilken virksomhed" in bot.last_text(ANNA, root)
    assert "Tidligere svar: Eksempel Bageri" in bot.last_text(ANNA, root)
    await bot.dm(ANNA, "Eksempel Konditori", thread_ts=root)
    new_summary = bot.last(ANNA, root)
    assert "Eksempel Konditori" in message_text(new_summary)
    assert "Eksempel Bageri" not in message_text(new_summary)
    # The old summary was closed: it has no buttons left to click.
    await bot.click_button(ANNA, new_summary, "Gem")
    [praktik] = await rows(db, Praktik)
    assert praktik.company == "Eksempel Konditori"
    old_summary = bot.slack.message("DUANNA", summary["ts"])
    assert not [b for b in old_summary["blocks"] if b["type"] == "actions"]
    assert "Se nedenfor" in message_text(old_summary)
