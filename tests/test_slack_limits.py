"""Long content stays within Slack's limits: the most sub-goals a type may have, long
answers and a case note of several thousand characters, and a long work list in App Home.
Every post is validated by the stand-in (the harness fails the test on any refusal)."""

from __future__ import annotations

import datetime as dt

from bot.config import AppConfig
from dialogues.model import Flow
from storage.db import Database
from storage.models import CaseNote, Consultant, FollowUp, Praktik
from tests.db_support import rows
from tests.slack_harness import SlackBot, button_labelled, message_text, running_bot
from tests.slack_standin import SlackStandIn

ANNA = "UANNA"


def many_subgoals(config: AppConfig) -> AppConfig:
    goals = tuple(
        f"Delmål nummer {n}: " + "oplæring i arbejdsopgaver og jobfunktioner, " * 4
        for n in range(1, 21)
    )
    types = tuple(
        t.model_copy(update={"subgoals": goals}) if t.id == "jobpraktik" else t
        for t in config.types
    )
    return config.model_copy(update={"types": types})


async def test_twenty_long_subgoals_and_a_long_case_note(
    slack: SlackStandIn, db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    async with running_bot(slack, db, many_subgoals(config), flows) as bot:
        root = await bot.dm(ANNA, "ny")
        await bot.dm(ANNA, "SAG-2026-0900", thread_ts=root)
        await bot.click(
            ANNA, bot.last(ANNA, root), lambda e: e["type"] == "static_select", selected="dagpenge"
        )
        await bot.dm(ANNA, "Eksempel Værksted ApS", thread_ts=root)
        await bot.dm(ANNA, "spring over", thread_ts=root)
        await bot.click_button(ANNA, bot.last(ANNA, root), "Ja, jeg vælger selv")
        await bot.click_button(ANNA, bot.last(ANNA, root), "Jobpraktik")
        question = bot.last(ANNA, root)
        text = message_text(question)
        assert "Delmål nummer 20" in text  # the whole texts are listed
        assert any(
            e.get("type") == "multi_static_select"
            for b in question["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
        )
        await bot.dm(ANNA, ", ".join(str(n) for n in range(1, 21)), thread_ts=root)
        own = "; ".join(f"Eget delmål {n} om at lære lageret at kende" for n in range(1, 6))
        await bot.dm(ANNA, own, thread_ts=root)
        await bot.dm(ANNA, "Arbejdsopgaver: " + "lager og kundeservice, " * 30, thread_ts=root)
        start = dt.date.today() + dt.timedelta(days=3)
        await bot.click(
            ANNA,
            bot.last(ANNA, root),
            lambda e: e["type"] == "datepicker",
            selected=start.isoformat(),
        )
        end = start + dt.timedelta(days=20)
        await bot.click(
            ANNA,
            bot.last(ANNA, root),
            lambda e: e["type"] == "datepicker",
            selected=end.isoformat(),
        )
        answers = ["30", "ja", "37", "uge 1-2: 30 timer, " * 20, "mandag-fredag " * 10]
        answers += ["nej", "12345674", "40", "1", "Tina Eksempel, tina@eksempel.dk", "ja"]
        answers += ["Kontakt Eksempel, " + "x" * 150, "ja"]
        for answer in answers:
            await bot.dm(ANNA, answer, thread_ts=root)
        summary = bot.last(ANNA, root)
        assert "Opsummering" in message_text(summary)
        await bot.click_button(ANNA, summary, "Gem")
        [praktik] = await rows(db, Praktik)
        assert len(praktik.subgoals) == 25

        # A meeting with long answers gives a case note of several thousand characters.
        root2 = await bot.dm(ANNA, "forbered")  # her only praktik: started on it
        intro = "\n".join(message_text(m) for m in bot.bot_messages(ANNA, root2))
        assert "så 'Forbered møde' handler om den" in intro
        await bot.click_button(ANNA, bot.last(ANNA, root2), "Midtvejsopfølgning")
        await bot.click_button(ANNA, bot.last(ANNA, root2), "Virksomheden")
        guide = "\n".join(message_text(m) for m in bot.bot_messages(ANNA, root2))
        assert "Delmål nummer 20" in guide and "Spørgsmål til mødet:" in guide
        await bot.click_button(ANNA, bot.last(ANNA, root2), "Registrér mødet")
        await bot.click(
            ANNA,
            bot.last(ANNA, root2),
            lambda e: e["type"] == "datepicker",
            selected=start.isoformat(),
        )
        await bot.click_button(ANNA, bot.last(ANNA, root2), "7")
        long_answer = ("Virksomheden fortæller om forløbet & <detaljer> med mange ord. " * 30)[
            :1000
        ]
        await bot.dm(ANNA, long_answer, thread_ts=root2)
        await bot.dm(ANNA, long_answer[:1500], thread_ts=root2)
        await bot.click_button(ANNA, bot.last(ANNA, root2), "Spring over")  # company's scores
        for _ in range(25):  # own score per sub-goal
            await bot.dm(ANNA, "3", thread_ts=root2)
        await bot.click_button(ANNA, bot.last(ANNA, root2), "3 – Middel")  # job belief
        await bot.click_button(ANNA, bot.last(ANNA, root2), "Nej")  # paid hours
        await bot.click_button(ANNA, bot.last(ANNA, root2), "Spring over")  # plan
        await bot.click_button(ANNA, bot.last(ANNA, root2), "Spring over")  # adjustments
        await bot.dm(
            ANNA, ("Aftaler: " + "næste skridt og opfølgning " * 80)[:2000], thread_ts=root2
        )
        await bot.click_button(ANNA, bot.last(ANNA, root2), "Gem")
        [note] = [n for n in await rows(db, CaseNote) if n.flow_id == "opfoelgning"]
        assert len(note.text) > 3000
        assert "Progression:" in note.text
        posted = "\n".join(message_text(m) for m in bot.bot_messages(ANNA, root2))
        assert "&amp;" in posted  # escaped for mrkdwn, not interpreted
        assert "Aftaler: næste skridt" in posted


async def test_app_home_pages_a_long_work_list(bot: SlackBot, db: Database) -> None:
    today = dt.date.today()
    async with db.transaction() as session:
        consultant = Consultant(user_key=f"slack:{ANNA}", name=ANNA, slack_user_id=ANNA)
        session.add(consultant)
        await session.flush()
        for n in range(60):
            praktik = Praktik(
                case_ref=f"SAG-{n:04d}",
                target_group="dagpenge",
                company=f"Eksempel {n} ApS",
                type="jobpraktik",
                subgoals=["Oplæring"],
                start_date=today,
                end_date=today + dt.timedelta(days=27),
                hours_per_week=30,
                consultant_id=consultant.id,  # type: ignore[arg-type]
            )
            session.add(praktik)
            await session.flush()
            due = today - dt.timedelta(days=1) if n == 0 else today + dt.timedelta(days=n)
            session.add(FollowUp(praktik_id=praktik.id, kind="midtvejs", due_date=due))  # type: ignore[arg-type]
    await bot.event(
        {
            "type": "app_home_opened",
            "user": ANNA,
            "channel": "DUANNA",
            "tab": "home",
            "event_ts": "1.0",
        }
    )
    await bot.wait_idle()
    home = bot.slack.home_views[ANNA]
    assert len(home["blocks"]) <= 100
    text = message_text(home)
    assert "SAG-0000" in text
    assert "(overskredet)" in text
    assert "Side 1 af 4" in text  # 15 per page
    assert "SAG-0015" not in text
    await bot.click(
        ANNA,
        {"ts": "0", "channel": "DUANNA", "blocks": home["blocks"]},
        button_labelled("Næste side"),
    )
    second = message_text(bot.slack.home_views[ANNA])
    assert "Side 2 af 4" in second
    assert "SAG-0015" in second


async def test_a_team_leads_home_with_many_praktikker_stays_within_limits(
    slack: SlackStandIn, db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    from bot.config import Team

    team = Team(id="team_nord", name="Team Nord", members=("UANNA", "UBO"), leads=("ULEAD",))
    lead_config = config.model_copy(update={"teams": (team,)})
    today = dt.date.today()
    async with db.transaction() as session:
        lead = Consultant(user_key="slack:ULEAD", name="ULEAD", slack_user_id="ULEAD")
        member = Consultant(user_key="slack:UBO", name="UBO", slack_user_id="UBO")
        session.add_all([lead, member])
        await session.flush()
        for n in range(90):
            owner = lead if n < 40 else member
            session.add(
                Praktik(
                    case_ref=f"TEAM-{n:04d}",
                    target_group="dagpenge",
                    company=f"Eksempel {n} ApS",
                    type="jobpraktik",
                    subgoals=["Oplæring"],
                    start_date=today,
                    end_date=today + dt.timedelta(days=27),
                    hours_per_week=30,
                    consultant_id=owner.id,  # type: ignore[arg-type]
                    team_id="team_nord",
                )
            )
    async with running_bot(slack, db, lead_config, flows) as bot:
        await bot.event(
            {"type": "app_home_opened", "user": "ULEAD", "tab": "home", "event_ts": "1.0"}
        )
        await bot.wait_idle()
        home = bot.slack.home_views["ULEAD"]
        assert len(home["blocks"]) <= 100
        text = message_text(home)
        assert "Teamets praktikker" in text
        # The team gets what the 100 blocks leave after her own page and her absence:
        # every one of its 50 praktikker is shown or counted.
        shown = sum(1 for b in home["blocks"] if b.get("block_id", "").startswith("handover|"))
        assert shown >= 8
        assert f"… og {50 - shown} flere i teamet." in text
