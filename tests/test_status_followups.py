"""Status after the end: the status follow-ups 1, 3, 6 and 12 months after a praktik
ended are reminded (also though the praktik has ended) and answered by the short status
flow — in Slack from the reminder, and in the terminal — and one that comes due before
the end outcome is recorded asks for the outcome first."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from sqlmodel import select

from bot.chat import TerminalChat
from bot.config import AppConfig
from bot.conversations import Actor, ConversationService
from bot.followups.plan import plan_followups
from bot.reminders.scheduler import tick
from bot.reminders.sending import slack_client
from dialogues.model import Flow
from dialogues.state import UserInput
from storage.db import Database
from storage.models import Consultant, FollowUp, Praktik, StatusRecord
from tests.db_support import rows
from tests.reminder_support import local
from tests.slack_harness import BOT_TOKEN, SlackBot, message_text

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)  # Monday
END = dt.date(2026, 10, 28)  # 1 month after: Saturday 28 November -> Friday 27th
DUE = dt.date(2026, 11, 27)


async def add_praktik(
    db: Database, config: AppConfig, *, user_key: str, slack: str | None, ended: bool, ref: str
) -> Praktik:
    """A praktik that ended on END (its outcome recorded, or not), with its plan's
    follow-ups; made long before, so every reminder since is owed."""
    made = dt.datetime(2026, 9, 1, 8, tzinfo=dt.UTC)
    async with db.transaction() as session:
        consultant = (
            await session.exec(select(Consultant).where(Consultant.user_key == user_key))
        ).first() or Consultant(user_key=user_key, name="anna", slack_user_id=slack)
        session.add(consultant)
        await session.flush()
        praktik = Praktik(
            case_ref=ref,
            target_group="dagpenge",
            company="Eksempel Lager ApS",
            type="jobpraktik",
            subgoals=["Oplæring i relevante arbejdsopgaver og jobfunktioner"],
            start_date=END - dt.timedelta(days=27),
            end_date=END,
            hours_per_week=30,
            consultant_id=consultant.id or 0,
            status="ended" if ended else "active",
            outcome="fortsat_ledig" if ended else None,
            created_at=made,
        )
        session.add(praktik)
        await session.flush()
        for followup in plan_followups(config, praktik):
            followup.created_at = made
            if followup.kind != "status":
                followup.status = "held"
            session.add(followup)
    return praktik


async def run_tick(bot: SlackBot, now: dt.datetime) -> None:
    async with slack_client(BOT_TOKEN, bot.slack.base_url) as client:
        await tick(
            db=bot.deps.db, client=client, config=bot.deps.config, now=now, instance_id="test"
        )


def top_level(bot: SlackBot, user: str) -> list[dict[str, Any]]:
    return [
        m
        for m in bot.slack.messages.get(f"D{user}", [])
        if m.get("user") == "UBOT" and not m.get("thread_ts")
    ]


async def test_a_status_followup_is_reminded_and_answered_in_slack(
    bot: SlackBot, db: Database, config: AppConfig
) -> None:
    bot.deps.clock = lambda: NOW
    ended = await add_praktik(
        db, config, user_key="slack:UANNA", slack="UANNA", ended=True, ref="SAG-2026-0801"
    )
    await add_praktik(
        db, config, user_key="slack:UANNA", slack="UANNA", ended=False, ref="SAG-2026-0802"
    )
    await run_tick(bot, local(DUE, 8, 1))
    reminders = [m for m in top_level(bot, "UANNA") if "Påmindelse" in m["text"]]
    assert len(reminders) == 2  # the praktikker have ended: the status is reminded anyway
    [done] = [m for m in reminders if "SAG-2026-0801" in m["text"]]
    [open_] = [m for m in reminders if "SAG-2026-0802" in m["text"]]
    assert "Status på job/uddannelse 1 måned efter" in message_text(done)
    # Not ended in the bot yet: record the outcome first.
    assert "registrér afslutningen først" in message_text(open_)
    labels = [e["text"]["text"] for b in open_["blocks"] if b["type"] == "actions"
              for e in b["elements"] if e["type"] == "button"]  # fmt: skip
    assert "Registrér afslutning" in labels and "Registrér status" not in labels
    assert "Markér som afholdt" not in labels  # a status is held by recording it

    await bot.click_button("UANNA", done, "Registrér status")
    thread = top_level(bot, "UANNA")[-1]["ts"]
    assert "Hvad er borgerens status nu?" in bot.last_text("UANNA", thread)
    await bot.click(
        "UANNA",
        bot.last("UANNA", thread),
        lambda e: e["type"] == "static_select",
        selected="ordinaert_job",
    )
    await bot.dm("UANNA", "30", thread_ts=thread)
    await bot.click_button("UANNA", bot.last("UANNA", thread), "Ja")
    await bot.click_button("UANNA", bot.last("UANNA", thread), "Gem")
    said = "\n".join(message_text(m) for m in bot.thread("UANNA", thread))
    assert "Status er registreret for SAG-2026-0801" in said
    [record] = await rows(db, StatusRecord)
    assert (record.praktik_id, record.months_after_end, record.status) == (
        ended.id, 1, "ordinaert_job"
    )  # fmt: skip
    assert (record.at_host, record.hours_per_week) == (True, 30)
    status = [
        f for f in await rows(db, FollowUp) if f.praktik_id == ended.id and f.kind == "status"
    ]
    one_month = next(f for f in status if f.months_after_end == 1)
    assert (one_month.status, one_month.held_on, one_month.held_days_late) == (
        "held", NOW.date(), 1
    )  # fmt: skip
    assert sorted(f.months_after_end for f in status if f.status == "planned") == [3, 6, 12]


async def test_a_status_is_recorded_in_the_terminal(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    praktik = await add_praktik(
        db, config, user_key="terminal:anna", slack=None, ended=True, ref="SAG-2026-0901"
    )
    active = await add_praktik(
        db, config, user_key="terminal:anna", slack=None, ended=False, ref="SAG-2026-0902"
    )
    service = ConversationService(db=db, config=config, flows=flows)
    menu = [f.id for f in sorted(flows.values(), key=lambda f: f.menu.order if f.menu else 0)]
    choice = str(menu.index("status_efter") + 1)
    stdin = io.StringIO(f"{choice}\n5\ngem\nafslut praktikbot\n")
    stdout = io.StringIO()
    chat = TerminalChat(
        service=service, db=db, config=config, flows=flows, user="anna",
        stdin=stdin, stdout=stdout, clock=lambda: NOW,
    )  # fmt: skip
    await chat.run()
    out = stdout.getvalue()
    assert "SAG-2026-0901" in out and "Status er registreret for SAG-2026-0901" in out
    # Only the ended praktik has a status due: no question which (the active one is not it).
    chosen = out[out.index("handler om den") :].split("Hvad er borgerens status")[0]
    assert "SAG-2026-0901" in chosen and "SAG-2026-0902" not in chosen
    [record] = await rows(db, StatusRecord)
    assert (record.praktik_id, record.status, record.months_after_end) == (
        praktik.id, "fortsat_ledig", 1
    )  # fmt: skip
    # The praktik whose outcome is not recorded: the status flow asks for it first.
    reply = await service.start(
        actor=Actor(user_key="terminal:anna", name="anna"), key="terminal:anna",
        flow_id="status_efter", praktik_id=active.id, source_key="t:1", now=NOW,
    )  # fmt: skip
    assert reply.prompt is None and "Registrér først resultatet" in reply.messages[0]
    # Nothing more due for the one just recorded (3 months is in January).
    reply = await service.start(
        actor=Actor(user_key="terminal:anna", name="anna"), key="terminal:anna",
        flow_id="status_efter", praktik_id=praktik.id, source_key="t:2", now=NOW,
    )  # fmt: skip
    assert reply.prompt is None and "ingen statusopfølgning" in reply.messages[0]


async def test_a_corrected_status_updates_its_record(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """A status answered wrongly and corrected: the same status record (one per mark)
    holds the corrected status, and the follow-up stays held."""
    praktik = await add_praktik(
        db, config, user_key="terminal:anna", slack=None, ended=True, ref="SAG-2026-0903"
    )
    anna = Actor(user_key="terminal:anna", name="anna")
    service = ConversationService(db=db, config=config, flows=flows)
    turns = iter(range(100))

    async def say(text: str) -> Any:
        return await service.answer(
            actor=anna, key="terminal:anna", inp=UserInput(text=text),
            source_key=f"c:{next(turns)}", now=NOW,
        )  # fmt: skip

    first = await service.start(
        actor=anna, key="terminal:anna", flow_id="status_efter", praktik_id=praktik.id,
        source_key="c:start", now=NOW,
    )  # fmt: skip
    assert first.prompt is not None and first.prompt.step_id == "status"
    await say("5")
    saved = await say("gem")
    assert saved.finished and saved.correctable_id is not None
    [record] = await rows(db, StatusRecord)
    assert record.status == "fortsat_ledig"

    started = await service.start_correction(
        actor=anna, key="terminal:anna", conversation_id=saved.correctable_id,
        step_id="status", source_key="c:correct", now=NOW,
    )  # fmt: skip
    assert started.prompt is not None and started.prompt.step_id == "status"
    reply = await say("1")  # an ordinary job after all: its questions are asked
    while reply.prompt is not None and reply.prompt.kind != "summary":
        reply = await say({"yesno": "ja", "number": "30"}.get(reply.prompt.kind, "spring over"))
    done = await say("gem")
    assert done.finished
    assert any("Status efter praktik for SAG-2026-0903 er opdateret" in m for m in done.messages)
    [corrected] = await rows(db, StatusRecord)
    assert (corrected.id, corrected.status, corrected.at_host) == (record.id, "ordinaert_job", True)
    one_month = [
        f for f in await rows(db, FollowUp) if f.kind == "status" and f.months_after_end == 1
    ]
    assert [f.status for f in one_month] == ["held"]
