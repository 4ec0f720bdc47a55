"""Access that holds under ordinary use (issue 9, bullet 5), through the real app: access
is checked on every turn and at saving, a hand-over closes the previous owner's open
conversations, a conversation can only be fed from its consultant's own DM thread, and
every refusal is audited with ids only."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

from bot.config import AppConfig, Team
from dialogues.model import Flow
from storage.db import Database
from storage.models import Answer, AuditEntry, Conversation, FollowUp, Praktik
from tests.db_support import rows
from tests.slack_harness import SlackBot, button_labelled, message_text, running_bot
from tests.slack_standin import SlackStandIn

ANNA, BO, LEAD, OUTSIDER = "UANNA", "UBO", "ULEAD", "UOTHER"


def with_team(config: AppConfig) -> AppConfig:
    team = Team(id="team_nord", name="Team Nord", members=(ANNA, BO), leads=(LEAD,))
    other = Team(id="team_syd", name="Team Syd", members=(OUTSIDER,))
    return config.model_copy(update={"teams": (team, other)})


async def denials(db: Database) -> list[AuditEntry]:
    return [e for e in await rows(db, AuditEntry) if e.action == "denied"]


async def open_add_followup(bot: SlackBot, user: str, praktik_id: int) -> str:
    """`user` starts "Tilføj opfølgning" on their only praktik in their DM (no picker: it
    starts on it); returns the thread."""
    root = await bot.dm(user, "tilføj opfølgning")
    [conversation] = [c for c in await rows(bot.deps.db, Conversation) if c.active_key]
    assert conversation.praktik_id == praktik_id
    assert "Hvilken slags opfølgning" in bot.last_text(user, root)
    return root


async def second_praktik(db: Database, of: Praktik, case_ref: str) -> Praktik:
    """Another active praktik of the same consultant, stored directly (synthetic)."""
    data = of.model_dump(exclude={"id", "short_ref", "case_ref"})
    async with db.transaction() as session:
        other = Praktik(**data, case_ref=case_ref)
        session.add(other)
        await session.flush()
        await session.refresh(other)
        return other


async def open_from_home(bot: SlackBot, user: str) -> str:
    """`user` clicks "Tilføj opfølgning" on the (only) praktik of their Home; the thread."""
    home = await home_of(bot, user)
    await bot.click(user, home, button_labelled("Tilføj opfølgning"))
    parents = [m for m in bot.slack.messages[f"D{user}"] if not m.get("thread_ts")]
    root = str(parents[-1]["ts"])
    assert "Hvilken slags opfølgning" in bot.last_text(user, root)
    return root


async def to_summary(bot: SlackBot, user: str, root: str) -> dict[str, Any]:
    """Answer "Tilføj opfølgning" up to its summary; returns the summary message."""
    await bot.click_button(user, bot.last(user, root), "Midtvejsopfølgning")
    day = bot.deps.clock().astimezone(bot.deps.config.tz).date() + dt.timedelta(days=14)
    await bot.click(
        user, bot.last(user, root), lambda e: e["type"] == "datepicker", selected=day.isoformat()
    )
    await bot.dm(user, "spring over", thread_ts=root)
    summary = copy.deepcopy(bot.last(user, root))
    assert "Gem" in json.dumps(summary["blocks"], ensure_ascii=False)
    return summary


async def home_of(bot: SlackBot, user: str) -> dict[str, Any]:
    await bot.event({"type": "app_home_opened", "user": user, "tab": "home", "event_ts": "1.0"})
    await bot.wait_idle()
    return {"ts": "0", "channel": f"D{user}", "blocks": bot.slack.home_views[user]["blocks"]}


async def hand_over(bot: SlackBot, lead: str, praktik_id: int, to: str) -> None:
    """The lead picks `to` in the hand-over select of their Home, as Slack sends it."""
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEST"},
        "user": {"id": lead},
        "api_app_id": "A0STANDIN",
        "trigger_id": bot.slack.issue_trigger_id(),
        "container": {"type": "view", "view_id": "V1"},
        "actions": [
            {
                "type": "users_select",
                "action_id": "pb_handover",
                "block_id": f"handover|{praktik_id}",
                "selected_user": to,
                "action_ts": f"{dt.datetime.now().timestamp()}",
            }
        ],
    }
    response = await bot.interactive(payload)
    assert response.status == 200
    await bot.wait_idle()


async def test_a_hand_over_closes_the_old_owners_conversation_and_refuses_what_follows(
    slack: SlackStandIn, db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    async with running_bot(slack, db, with_team(config), flows) as bot:
        await bot.register_praktik(ANNA, "SAG-2026-7001")
        [praktik] = await rows(db, Praktik)
        assert praktik.id is not None
        root = await open_add_followup(bot, ANNA, praktik.id)
        summary = await to_summary(bot, ANNA, root)
        [conversation] = [c for c in await rows(db, Conversation) if c.status == "summary"]
        followups_before = len(await rows(db, FollowUp))

        await home_of(bot, LEAD)
        await hand_over(bot, LEAD, praktik.id, BO)

        # The old owner is told politely, in the thread; its open question is closed.
        told = bot.last_text(ANNA, root)
        assert "P-1001 er overdraget til en kollega" in told
        assert "Tilføj opfølgning" in told
        assert "Gem" not in json.dumps(bot.slack.message("DUANNA", summary["ts"])["blocks"])
        [closed] = [c for c in await rows(db, Conversation) if c.id == conversation.id]
        assert (closed.status, closed.active_key) == ("handed_over", None)
        # Only by the short reference: the praktik is no longer theirs.
        assert "SAG-2026-7001" not in bot.slack.messages["DUANNA"][-1]["text"]

        answers_before = len(await rows(db, Answer))
        posts_in_thread = len(bot.thread(ANNA, root))
        # Her client still shows the summary: a click on Gem, a reply, an edit click.
        await bot.click(ANNA, summary, button_labelled("Gem"))
        await bot.dm(ANNA, "gem", thread_ts=root)
        await bot.click(ANNA, summary, button_labelled("Ret"))
        assert len(await rows(db, FollowUp)) == followups_before  # nothing saved
        assert len(await rows(db, Answer)) == answers_before
        new = bot.bot_messages(ANNA, root)[-3:]
        assert len(bot.thread(ANNA, root)) == posts_in_thread + 4  # her reply + 3 refusals
        assert all("ikke længere er din, og intet er gemt" in message_text(m) for m in new)
        refused = [e for e in await denials(db) if e.detail.get("reason") == "handed_over"]
        assert [(e.actor, e.praktik_id) for e in refused] == [(f"slack:{ANNA}", praktik.id)] * 3
        assert all(set(e.detail) == {"conversation", "reason"} for e in refused)
        # The praktik is Bo's, untouched by Anna's attempts.
        [moved] = await rows(db, Praktik)
        assert moved.outcome is None and moved.consultant_id != praktik.consultant_id


async def test_access_is_checked_again_on_every_turn_with_the_roles_as_they_are_now(
    slack: SlackStandIn, db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """A team lead works on a member's praktik; the lead role is taken away mid-flow (the
    hand-over path closes nothing of the lead's): the next turn is refused and closes it."""
    configured = with_team(config)
    async with running_bot(slack, db, configured, flows) as bot:
        await bot.register_praktik(ANNA, "SAG-2026-7002")
        [praktik] = await rows(db, Praktik)
        assert praktik.id is not None
        root = await open_from_home(bot, LEAD)
        summary = await to_summary(bot, LEAD, root)

        team = configured.teams[0].model_copy(update={"leads": ()})
        assert bot.deps.roles is not None
        bot.deps.roles.config = configured.model_copy(update={"teams": (team, configured.teams[1])})
        followups_before = len(await rows(db, FollowUp))
        await bot.click(LEAD, summary, button_labelled("Gem"))
        assert len(await rows(db, FollowUp)) == followups_before
        assert "Du har ikke længere adgang til praktikken P-1001" in bot.last_text(LEAD, root)
        [conversation] = [c for c in await rows(db, Conversation) if c.flow_id == "ny_opfoelgning"]
        assert conversation.status == "revoked"
        assert [(e.actor, e.detail["reason"]) for e in await denials(db)] == [
            (f"slack:{LEAD}", "no_access")
        ]
        await bot.dm(LEAD, "gem", thread_ts=root)  # and stays refused
        assert len(await rows(db, FollowUp)) == followups_before
        assert [e.detail["reason"] for e in await denials(db)] == ["no_access", "revoked"]


async def test_nothing_from_another_consultant_changes_a_conversation_in_a_dm_thread(
    slack: SlackStandIn, db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    async with running_bot(slack, db, with_team(config), flows) as bot:
        await bot.register_praktik(BO, "SAG-2026-7003")
        [bos] = await rows(db, Praktik)
        await second_praktik(db, bos, "SAG-2026-7005")  # with two, "forbered" asks which
        anna_root = await bot.dm(ANNA, "ny")
        await bot.dm(ANNA, "SAG-2026-7004", thread_ts=anna_root)
        [annas] = [c for c in await rows(db, Conversation) if c.active_key]
        anna_thread = copy.deepcopy(bot.thread(ANNA, anna_root))
        question = copy.deepcopy(bot.last(ANNA, anna_root))

        # Bo's own praktik picker, its click carrying Anna's DM thread as the channel.
        bo_root = await bot.dm(BO, "forbered")
        picker = copy.deepcopy(bot.last(BO, bo_root))
        aimed = {**picker, "channel": "DUANNA", "thread_ts": anna_root}
        await bot.click(
            BO, aimed, lambda e: e["type"] == "static_select", selected=f"forbered_moede:{bos.id}"
        )
        # Bo's copy of Anna's question, clicked; a reply from Bo into her thread.
        await bot.click(BO, question, lambda e: e["type"] == "static_select", selected="dagpenge")
        await bot.event(
            {
                "type": "message",
                "channel": "DUANNA",
                "channel_type": "im",
                "user": BO,
                "text": "overtaget",
                "ts": "1700000097.000001",
                "thread_ts": anna_root,
            }
        )
        await bot.wait_idle()

        assert bot.thread(ANNA, anna_root) == anna_thread  # nothing posted, nothing changed
        [still] = [c for c in await rows(db, Conversation) if c.id == annas.id]
        assert (still.status, still.step, still.active_key) == (
            annas.status,
            annas.step,
            annas.active_key,
        )
        assert [c.id for c in await rows(db, Conversation) if c.active_key] == [annas.id]
        assert "SAG-2026-7003" not in json.dumps(bot.slack.messages["DUANNA"], ensure_ascii=False)
        refused = await denials(db)
        assert [(e.actor, e.detail) for e in refused] == [
            (f"slack:{BO}", {"conversation": annas.id, "reason": "not_own_dm"})
        ] * 3
        told = [message_text(m) for m in bot.slack.messages["DUBO"] if not m.get("thread_ts")]
        assert sum("Den samtale er ikke din" in t for t in told) == 3
        # Bo's picker, in his own DM, still works for him.
        await bot.click(
            BO, picker, lambda e: e["type"] == "static_select", selected=f"forbered_moede:{bos.id}"
        )
        assert any(c.flow_id == "forbered_moede" for c in await rows(db, Conversation))


async def test_a_refused_hand_over_to_someone_outside_the_team_is_audited(
    slack: SlackStandIn, db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    async with running_bot(slack, db, with_team(config), flows) as bot:
        await bot.register_praktik(ANNA, "SAG-2026-7005")
        [praktik] = await rows(db, Praktik)
        assert praktik.id is not None
        await hand_over(bot, LEAD, praktik.id, OUTSIDER)
        assert "ikke med i praktikkens team" in bot.slack.messages["DULEAD"][-1]["text"]
        await hand_over(bot, BO, praktik.id, BO)  # not a lead at all
        assert [(p.id, p.consultant_id) for p in await rows(db, Praktik)] == [
            (praktik.id, praktik.consultant_id)
        ]
        assert [(e.actor, e.praktik_id, e.detail) for e in await denials(db)] == [
            (
                f"slack:{LEAD}",
                praktik.id,
                {"what": "handover", "reason": "not_in_team", "to": f"slack:{OUTSIDER}"},
            ),
            (f"slack:{BO}", praktik.id, {"what": "handover", "reason": "not_lead"}),
        ]
        assert not [e for e in await rows(db, AuditEntry) if e.action == "handover"]
