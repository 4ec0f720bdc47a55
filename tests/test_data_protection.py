"""Data protection: CPR numbers refused everywhere, roles and ownership on every listener,
hand-over, erasure of a case and retention — what a data protection officer asks for."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from bot.config import AppConfig, Team
from bot.retention import erase_case, purge
from dialogues import engine
from dialogues.model import Flow
from dialogues.state import FlowContext, PraktikFacts, Prompt, UserInput
from storage.db import Database
from storage.models import (
    Answer,
    AuditEntry,
    CaseNote,
    Consultant,
    Conversation,
    FollowUp,
    Praktik,
)
from tests.db_support import rows
from tests.slack_harness import SlackBot, button_labelled, message_text, running_bot
from tests.slack_standin import SlackStandIn

ROOT = Path(__file__).resolve().parent.parent
ANNA, BO, LEAD, OUTSIDER = "UANNA", "UBO", "ULEAD", "UOTHER"
CPR = "0101901234"


async def everything(db: Database) -> str:
    """Every row of every table, as text."""
    dump: list[str] = []
    async with db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            result = await conn.execute(text(f'SELECT * FROM "{table.name}"'))
            dump.extend(repr(tuple(row)) for row in result)
    return "\n".join(dump)


# --- CPR ------------------------------------------------------------------------------------


def _candidates(prompt: Prompt, today: dt.date) -> list[UserInput]:
    """Valid answers to try for a prompt (the walk picks among them at random)."""
    kind = prompt.kind
    if kind in ("choice", "yesno", "confirm_date"):
        return [UserInput(value=o.value) for o in prompt.options]
    if kind == "multi":
        return [UserInput(value=[o.value]) for o in prompt.options[:3]]
    if kind in ("number", "scale"):
        low = int(prompt.min or 1)
        higher = [UserInput(value=low + 9)] if prompt.max is None or low + 9 <= prompt.max else []
        return [UserInput(value=max(low, 1)), UserInput(value=low), *higher]
    if kind == "date":
        offset = 27 if prompt.step_id == "end_date" else 7
        if prompt.suggested is not None:  # e.g. the day an early end is recorded: today
            return [UserInput(value=prompt.suggested)]
        return [UserInput(value=(today + dt.timedelta(days=offset)).isoformat())]
    if kind == "summary":
        return [UserInput(command="confirm")]
    if prompt.step_id == "case_ref":  # must have the case system's shape
        return [UserInput(text="SAG-2026-0412")]
    answers = [UserInput(text="Et svar uden personnummer."), UserInput(text="ingen")]
    if prompt.optional:
        return [UserInput(command="skip"), *answers]
    return answers


def test_cpr_is_refused_at_every_free_text_step_of_every_flow(
    flows: dict[str, Flow], ctx: FlowContext
) -> None:
    """Random walks through every flow (for each praktik type) reach every free-text step;
    there a CPR number is refused with the explanation and leaves nothing in the state."""
    rng = random.Random(20261130)
    now = dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC)
    today = now.date()
    text_steps = {(f.id, s.id) for f in flows.values() for s in f.steps if s.kind == "text"}
    checked: set[tuple[str, str]] = set()
    for flow in flows.values():
        contexts = [ctx]
        if flow.needs_praktik:
            contexts = [
                ctx.model_copy(
                    update={
                        "praktik": PraktikFacts(
                            id=1,
                            case_ref="SAG-1",
                            type=t.id,
                            target_group="dagpenge",
                            company="Eksempel ApS",
                            subgoals=("Mål A", "Mål B"),
                            start_date=today,
                            end_date=today + dt.timedelta(days=27),
                            hours_per_week=30,
                        )
                    }
                )
                for t in ctx.types
            ]
        for pctx in contexts:
            for _ in range(60):
                turn = engine.start(flow, pctx, now)
                for _ in range(80):
                    prompt = turn.prompt
                    if prompt is None:
                        break
                    if prompt.kind == "text":
                        for attempt in (CPR, "010190-1234", f"borgeren {CPR} er syg"):
                            refused = engine.advance(
                                flow, turn.state, UserInput(text=attempt), pctx, now
                            )
                            assert any("ligner et CPR-nummer" in m for m in refused.messages)
                            assert refused.state == turn.state
                            assert refused.answers == ()
                        checked.add((flow.id, prompt.step_id))
                    turn = engine.advance(
                        flow, turn.state, rng.choice(_candidates(prompt, today)), pctx, now
                    )
    assert text_steps - checked == set()


async def test_cpr_in_a_mention_or_a_forged_value_is_refused(bot: SlackBot, db: Database) -> None:
    await bot.event(
        {
            "type": "app_mention",
            "user": ANNA,
            "channel": "CTEAM",
            "text": f"<@UBOT> ny {CPR}",
            "ts": "1700000001.000001",
            "event_ts": "1700000001.000001",
        }
    )
    await bot.wait_idle()
    assert "CPR" in bot.slack.ephemerals[-1]["text"]
    root = await bot.dm(ANNA, "ny")
    question = bot.last(ANNA, root)
    forged = copy.deepcopy(question)
    for block in forged["blocks"]:
        for element in block.get("elements") or []:
            if element.get("action_id", "").startswith("pb_command"):
                element["value"] = CPR
    await bot.click(ANNA, forged, lambda e: e.get("action_id") == "pb_command:cancel")
    assert CPR not in await everything(db)
    assert CPR not in json.dumps([c.params for c in bot.slack.calls], ensure_ascii=False)


# --- roles and ownership ----------------------------------------------------------------------


def with_team(config: AppConfig) -> AppConfig:
    team = Team(id="team_nord", name="Team Nord", members=(ANNA, BO), leads=(LEAD,))
    other = Team(id="team_syd", name="Team Syd", members=(OUTSIDER,))
    access = config.access.model_copy(update={"administrators": ("SADMINS",)})
    return config.model_copy(update={"teams": (team, other), "access": access})


async def register(bot: SlackBot, user: str, case_ref: str) -> str:
    return await bot.register_praktik(user, case_ref, type_label="Udviklingspraktik")


def start_payload_message(flow: str, praktik_id: int) -> dict[str, Any]:
    """A hand-made message with a start button for someone else's praktik."""
    value = json.dumps({"flow": flow, "praktik": praktik_id})
    return {
        "ts": "1700000099.000001",
        "channel": "DUBO",
        "blocks": [
            {
                "type": "actions",
                "block_id": "x",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "pb_start:0",
                        "text": {"type": "plain_text", "text": "Start"},
                        "value": value,
                    }
                ],
            }
        ],
    }


async def test_a_consultant_cannot_reach_another_consultants_praktik(
    slack: SlackStandIn, db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    slack.usergroups["SADMINS"] = ["UADMIN"]
    async with running_bot(slack, db, with_team(config), flows) as bot:
        await register(bot, ANNA, "SAG-2026-1001")
        [praktik] = await rows(db, Praktik)
        assert praktik.team_id == "team_nord"

        # view: a forged start button and a forged praktik picker
        for flow_id in ("forbered_moede", "opfoelgning", "afslutning"):
            await bot.click(
                BO, start_payload_message(flow_id, praktik.id), button_labelled("Start")
            )
        picker = {
            "ts": "1700000098.000001",
            "channel": "DUBO",
            "blocks": [
                {
                    "type": "actions",
                    "block_id": "pick|afslutning",
                    "elements": [
                        {
                            "type": "static_select",
                            "action_id": "pb_pick_praktik",
                            "options": [
                                {
                                    "text": {"type": "plain_text", "text": "x"},
                                    "value": f"afslutning:{praktik.id}",
                                }
                            ],
                        }
                    ],
                }
            ],
        }
        await bot.click(BO, picker, lambda e: True, selected=f"afslutning:{praktik.id}")
        bo_texts = [message_text(m) for m in bot.slack.messages.get("DUBO", [])]
        assert sum("du har ikke adgang" in t for t in bo_texts) == 4
        assert not any("Eksempel Rengøring" in t for t in bo_texts)

        # continue / complete: Anna has a follow-up form open; Bo replays a click and a
        # reply into her thread
        await bot.click(
            ANNA, start_payload_message("opfoelgning", praktik.id), button_labelled("Start")
        )
        parents = [
            m
            for m in bot.slack.messages["DUANNA"]
            if m.get("user") == "UBOT" and not m.get("thread_ts")
        ]
        form_root = parents[-1]["ts"]
        question = copy.deepcopy(bot.last(ANNA, form_root))
        assert "Hvilken opfølgning er det?" in message_text(question)
        answers_before = len(await rows(db, Answer))
        await bot.click(BO, question, button_labelled("Midtvejsopfølgning"))
        await bot.event(
            {
                "type": "message",
                "channel": "DUANNA",
                "channel_type": "im",
                "user": BO,
                "text": "ændret af Bo",
                "ts": "1700000097.000001",
                "thread_ts": form_root,
            }
        )
        await bot.wait_idle()
        assert len(await rows(db, Answer)) == answers_before
        assert "Hvilken opfølgning er det?" in message_text(bot.last(ANNA, form_root))  # waits
        assert all(p.consultant_id == praktik.consultant_id for p in await rows(db, Praktik))

        # App Home: Bo sees nothing of Anna's; the lead sees the team's praktik
        for user in (BO, LEAD):
            await bot.event(
                {"type": "app_home_opened", "user": user, "tab": "home", "event_ts": "1.0"}
            )
        await bot.wait_idle()
        assert "SAG-2026-1001" not in message_text(bot.slack.home_views[BO])
        lead_home = bot.slack.home_views[LEAD]
        assert "Teamets praktikker" in message_text(lead_home)
        assert "SAG-2026-1001" in message_text(lead_home)
        views = [e for e in await rows(db, AuditEntry) if e.detail.get("what") == "team_worklist"]
        assert [(e.actor, e.detail["praktikker"]) for e in views] == [
            (f"slack:{LEAD}", [praktik.id])
        ]
        denied = [e for e in await rows(db, AuditEntry) if e.action == "denied"]
        assert {e.actor for e in denied} == {f"slack:{BO}"}
        assert len(denied) == 6


async def test_a_team_lead_can_act_and_hand_over_and_reminders_follow(
    slack: SlackStandIn, db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    slack.usergroups["SADMINS"] = ["UADMIN"]
    async with running_bot(slack, db, with_team(config), flows) as bot:
        await register(bot, ANNA, "SAG-2026-1002")
        [praktik] = await rows(db, Praktik)
        # the lead may open the praktik's follow-up form from Home
        await bot.event({"type": "app_home_opened", "user": LEAD, "tab": "home", "event_ts": "1.0"})
        await bot.wait_idle()
        home = {"ts": "0", "channel": "DULEAD", "blocks": bot.slack.home_views[LEAD]["blocks"]}
        await bot.click(LEAD, home, button_labelled("Opfølgning"))
        assert any(
            "Hvilken opfølgning er det?" in message_text(m) for m in bot.slack.messages["DULEAD"]
        )

        # an outsider (another team) cannot be given it; a team member can
        handover = {"ts": "0", "channel": "DULEAD", "blocks": bot.slack.home_views[LEAD]["blocks"]}
        _, _element = next(
            (b["block_id"], e)
            for b in handover["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == "pb_handover"
        )
        await select_user(bot, LEAD, handover, OUTSIDER)
        assert "ikke med i praktikkens team" in bot.slack.messages["DULEAD"][-1]["text"]
        await select_user(bot, LEAD, handover, BO)
        [moved] = await rows(db, Praktik)
        bo = next(c for c in await rows(db, Consultant) if c.slack_user_id == BO)
        assert moved.consultant_id == bo.id
        assert (
            "Du er nu ansvarlig for praktik P-1001 (sag SAG-2026-1002"
            in bot.slack.messages["DUBO"][-1]["text"]
        )
        assert "overdraget til <@UBO>" in bot.slack.messages["DUANNA"][-1]["text"]
        # a consultant cannot hand over
        await select_user(bot, ANNA, handover, ANNA)
        assert (await rows(db, Praktik))[0].consultant_id == bo.id
        [entry] = [e for e in await rows(db, AuditEntry) if e.action == "handover"]
        assert entry.detail == {"from_consultant": praktik.consultant_id, "to_consultant": bo.id}

        # the reminders follow: the next one goes to Bo
        from bot.reminders.scheduler import tick
        from bot.reminders.sending import slack_client
        from tests.reminder_support import local

        # The first follow-up whose due-day reminder falls after it was planned.
        first = next(
            f
            for f in sorted(await rows(db, FollowUp), key=lambda f: f.due_date)
            if local(f.due_date, 8, 5) > f.created_at.replace(tzinfo=dt.UTC)
        )
        async with slack_client("xoxb-test-token", slack.base_url) as client:
            await tick(
                db=db,
                client=client,
                config=bot.deps.config,
                now=local(first.due_date, 8, 5),
                instance_id="t",
            )
        assert any("Påmindelse" in (m.get("text") or "") for m in slack.messages["DUBO"])
        assert not any("Påmindelse" in (m.get("text") or "") for m in slack.messages["DUANNA"])

        # an administrator through a Slack user group may act on any praktik
        await bot.click(
            "UADMIN", start_payload_message("afslutning", praktik.id), button_labelled("Start")
        )
        assert any("Hvad blev resultatet" in message_text(m) for m in slack.messages["DUADMIN"])


async def select_user(bot: SlackBot, user: str, message: dict[str, Any], selected: str) -> None:
    block_id, _element = next(
        (b["block_id"], e)
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "pb_handover"
    )
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEST"},
        "user": {"id": user},
        "api_app_id": "A0STANDIN",
        "trigger_id": bot.slack.issue_trigger_id(),
        "container": {"type": "view", "view_id": "V1"},
        "actions": [
            {
                "type": "users_select",
                "action_id": "pb_handover",
                "block_id": block_id,
                "selected_user": selected,
                "action_ts": f"{dt.datetime.now().timestamp()}",
            }
        ],
    }
    response = await bot.interactive(payload)
    assert response.status == 200
    await bot.wait_idle()


# --- erasure and retention --------------------------------------------------------------------


@pytest.mark.processes
async def test_erase_removes_every_row_about_the_case(
    bot: SlackBot, db: Database, db_url: str
) -> None:
    await register(bot, ANNA, "SAG-2026-1003")
    await register(bot, ANNA, "SAG-2026-1004")
    cancelled = await bot.dm(ANNA, "ny")
    await bot.dm(ANNA, "SAG-2026-1003", thread_ts=cancelled)  # a second, unfinished start
    await bot.dm(ANNA, "afbryd", thread_ts=cancelled)
    [keep] = [p for p in await rows(db, Praktik) if p.case_ref == "SAG-2026-1004"]
    assert "SAG-2026-1003" in await everything(db)

    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot.cli", "erase", "--case", "SAG-2026-1003", "--yes"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
        env={**os.environ, "DATABASE_URL": db_url},
    )
    assert "Deleted" in result.stdout
    dump = await everything(db)
    assert "SAG-2026-1003" not in dump
    assert "SAG-2026-1004" in dump  # the other case is untouched
    assert [p.id for p in await rows(db, Praktik)] == [keep.id]
    [erased] = [e for e in await rows(db, AuditEntry) if e.action == "erase"]
    assert erased.detail["praktikker"] == 1
    assert erased.detail["conversations"] == 2
    assert "SAG" not in json.dumps(erased.detail)
    again = await erase_case(db, case_ref="SAG-2026-1003", actor="test", dry_run=True)
    assert again.total == 0


async def test_purge_deletes_exactly_what_is_past_retention(
    db: Database, config: AppConfig
) -> None:
    now = dt.datetime(2027, 6, 1, 12, tzinfo=dt.UTC)
    keep_days = config.retention.days_after_praktik_end
    async with db.transaction() as session:
        anna = Consultant(user_key="terminal:anna", name="anna")
        session.add(anna)
        await session.flush()
        anna_id = anna.id
        assert anna_id is not None

        async def praktik(ref: str, ended_days_ago: int | None) -> int:
            p = Praktik(
                case_ref=ref,
                target_group="dagpenge",
                company="Eksempel ApS",
                type="jobpraktik",
                subgoals=["x"],
                start_date=dt.date(2025, 1, 6),
                end_date=dt.date(2025, 1, 31),
                hours_per_week=30,
                consultant_id=anna_id,
                status="ended" if ended_days_ago is not None else "active",
                ended_at=None
                if ended_days_ago is None
                else now - dt.timedelta(days=ended_days_ago),
            )
            session.add(p)
            await session.flush()
            assert p.id is not None
            return p.id

        async def conversation(praktik_id: int | None, idle_days: int) -> int:
            c = Conversation(
                key=f"k{praktik_id}{idle_days}",
                consultant_id=anna_id,
                flow_id="ny_praktik",
                flow_version="v",
                praktik_id=praktik_id,
                status="done",
                last_activity=now - dt.timedelta(days=idle_days),
            )
            session.add(c)
            await session.flush()
            assert c.id is not None
            session.add(
                Answer(
                    conversation_id=c.id,
                    praktik_id=praktik_id,
                    consultant_id=anna_id,
                    flow_id="ny_praktik",
                    flow_version="v",
                    step_id="s",
                    question="q",
                    value="a",
                    display="a",
                    source_key=f"s{c.id}",
                )
            )
            session.add(
                CaseNote(praktik_id=praktik_id, conversation_id=c.id, flow_id="x", text="n")
            )
            return c.id

        old = await praktik("OLD", keep_days + 1)
        recent = await praktik("RECENT", keep_days - 1)
        active = await praktik("ACTIVE", None)
        gone = [await conversation(old, keep_days + 30)]
        kept = [
            await conversation(recent, keep_days + 30),
            await conversation(active, 400),
            await conversation(None, config.retention.unfinished_conversation_days - 1),
        ]
        gone.append(await conversation(None, config.retention.unfinished_conversation_days + 1))
    removed = await purge(db, config, now=now, actor="test")
    left = {c.id for c in await rows(db, Conversation)}
    assert left == set(kept)
    assert not left & set(gone)
    assert removed.counts["conversations"] == 2
    assert removed.counts["answers"] == 2
    assert removed.counts["case_notes"] == 2
    assert {p.case_ref for p in await rows(db, Praktik)} == {"OLD", "RECENT", "ACTIVE"}
    assert len(await rows(db, Answer)) == 3
    [entry] = [e for e in await rows(db, AuditEntry) if e.action == "purge"]
    assert entry.detail["conversations"] == 2
    assert (await purge(db, config, now=now, actor="test")).total == 0
