"""A consultant in Slack: registering a praktik in a DM thread, preparing a meeting and
filling in the follow-up form — through signed requests to the real Bolt app, with the
stand-in holding exactly what the consultant saw."""

from __future__ import annotations

from storage.db import Database
from storage.models import Answer, CaseNote, FollowUp, Praktik
from tests.db_support import rows
from tests.slack_harness import SlackBot, button_labelled, message_text

ANNA = "UANNA"


async def register_in_slack(bot: SlackBot) -> str:
    """Registers a jobpraktik with clicks, a select, typed dates and threaded replies."""
    root = await bot.dm(ANNA, "ny")
    assert "Hvad er sagens reference" in bot.last_text(ANNA, root)
    assert "Lad os oprette en ny virksomhedspraktik" in message_text(
        bot.bot_messages(ANNA, root)[0]
    )
    await bot.dm(ANNA, "SAG-2026-0500", thread_ts=root)
    question = bot.last(ANNA, root)
    assert "Hvilken målgruppe" in message_text(question)
    await bot.click(ANNA, question, lambda e: e["type"] == "static_select", selected="dagpenge")
    await bot.dm(ANNA, "Eksempel Logistik ApS", thread_ts=root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Spring over")  # P-nummer
    await bot.click_button(ANNA, bot.last(ANNA, root), "Hjælp mig med at vælge")
    await bot.click_button(ANNA, bot.last(ANNA, root), "Ja")  # matches a job opening
    type_question = bot.last(ANNA, root)
    assert "Anbefaling: Jobpraktik" in message_text(type_question)
    await bot.click_button(ANNA, type_question, "Jobpraktik")
    await bot.tick_boxes(ANNA, bot.last(ANNA, root), ["d1", "d3"])
    await bot.dm(ANNA, "Lære truck; Sikkerhedskursus", thread_ts=root)  # own sub-goals
    await bot.dm(ANNA, "Varemodtagelse og plukning", thread_ts=root)  # tasks
    await bot.dm(ANNA, "næste mandag", thread_ts=root)  # typed date: confirmed
    assert "mandag den 7. december 2026" in bot.last_text(
        ANNA, root
    ) or "mandag den" in bot.last_text(ANNA, root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Ja")
    end_question = bot.last(ANNA, root)
    assert "Hvornår slutter praktikken" in message_text(end_question)
    return root


async def test_register_prepare_and_follow_up_in_slack(bot: SlackBot, db: Database) -> None:
    root = await register_in_slack(bot)
    start = (await rows(db, Answer))[-1].value  # the start date the consultant confirmed
    end_question = bot.last(ANNA, root)
    # a date picked in the picker needs no confirmation
    import datetime as dt

    end = (dt.date.fromisoformat(start) + dt.timedelta(days=25)).isoformat()
    await bot.click(ANNA, end_question, lambda e: e["type"] == "datepicker", selected=end)
    assert "Hvor mange timer om ugen" in bot.last_text(ANNA, root)
    await bot.dm(ANNA, "37", thread_ts=root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Nej")  # no rise in hours
    await bot.dm(ANNA, "mandag-fredag kl. 7-14", thread_ts=root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Nej")  # last employer
    await bot.click_button(ANNA, bot.last(ANNA, root), "Spring over")  # CVR-nummer
    await bot.dm(ANNA, "30", thread_ts=root)
    assert "Grænsen er 6" in bot.last_text(ANNA, root)
    await bot.dm(ANNA, "2", thread_ts=root)
    await bot.dm(ANNA, "Tina Eksempel, tina@eksempel.dk", thread_ts=root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Ja")  # ratio statement
    await bot.dm(ANNA, "Kontakt Eksempel, 12 34 56 78", thread_ts=root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Ja")  # Min Plan
    summary = bot.last(ANNA, root)
    assert "Opsummering af 'Ny praktik'" in message_text(summary)
    assert "Eksempel Logistik ApS" in message_text(summary)
    await bot.click_button(ANNA, summary, "Gem")

    [praktik] = await rows(db, Praktik)
    assert (praktik.case_ref, praktik.type, praktik.company) == (
        "SAG-2026-0500",
        "jobpraktik",
        "Eksempel Logistik ApS",
    )
    assert praktik.subgoals[-2:] == ["Lære truck", "Sikkerhedskursus"]
    texts = [message_text(m) for m in bot.bot_messages(ANNA, root)]
    assert any("Praktikken SAG-2026-0500 er oprettet" in t for t in texts)
    assert any("Journalnotat – Bevilling af virksomhedspraktik" in t for t in texts)
    # Every question message now shows its answer and has no buttons left; the case note
    # offers to correct a saved answer.
    for message in bot.bot_messages(ANNA, root):
        blocks = message.get("blocks") or []
        actions = [b for b in blocks if b["type"] == "actions"]
        if "Udkast til journalnotat" in message_text(message):
            assert [b["block_id"] for b in actions] == ["correct"]
            continue
        assert not actions, message_text(message)
    answered = [t for t in texts if t.count("✅")]
    assert any("Hvilken målgruppe er borgeren i?" in t and "✅ Dagpenge" in t for t in answered)
    assert any("✅ Jobpraktik" in t for t in answered)

    # Prepare the opstart meeting with the citizen, from the DM.
    # Her only praktik: no picker, but the thread says which praktik it is about.
    root2 = await bot.dm(ANNA, "forbered")
    started = "\n".join(message_text(m) for m in bot.bot_messages(ANNA, root2))
    assert "Du har én aktiv praktik, så 'Forbered møde' handler om den: P-1001" in started
    assert "hvilken praktik drejer det sig om" not in started
    assert "Hvilket møde forbereder du?" in bot.last_text(ANNA, root2)
    await bot.click_button(ANNA, bot.last(ANNA, root2), "Opstart (forventningsafstemning)")
    await bot.click_button(ANNA, bot.last(ANNA, root2), "Borgeren")
    guide = bot.last_text(ANNA, root2)
    assert "Forberedelse: Opstart (forventningsafstemning) – Borgeren" in guide
    assert "Spørgsmål til mødet:" in guide and "Siger du ja" in guide
    await bot.click_button(ANNA, bot.last(ANNA, root2), "Registrér mødet")
    assert "Hvornår var mødet" in bot.last_text(ANNA, root2)
    await bot.dm(ANNA, "i dag", thread_ts=root2)
    await bot.click_button(ANNA, bot.last(ANNA, root2), "Ja")
    assert "Hvad skal praktikken give dig" in bot.last_text(ANNA, root2)
    await bot.dm(ANNA, "Borgeren vil gerne have fast job på lageret", thread_ts=root2)
    await bot.click_button(ANNA, bot.last(ANNA, root2), "Spring over")  # hensyn
    assert "Siger du ja" in bot.last_text(ANNA, root2)
    await bot.dm(ANNA, "Ja, hvis timerne passer", thread_ts=root2)
    for score in ("4 – Næsten nået", "3 – Delvist nået"):  # the citizen's, then own
        for _ in range(4):
            await bot.click_button(ANNA, bot.last(ANNA, root2), score)
    await bot.click_button(ANNA, bot.last(ANNA, root2), "4 – Stor")  # job belief
    await bot.click_button(ANNA, bot.last(ANNA, root2), "Spring over")  # plan
    await bot.click_button(ANNA, bot.last(ANNA, root2), "Spring over")  # adjustments
    await bot.dm(ANNA, "Møde igen om to uger", thread_ts=root2)
    await bot.click_button(ANNA, bot.last(ANNA, root2), "Gem")
    notes = await rows(db, CaseNote)
    assert any(
        "Opfølgning på virksomhedspraktik" in n.text and "fast job på lageret" in n.text
        for n in notes
    )

    # The follow-up form, started from App Home.
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
    assert "SAG-2026-0500" in message_text(home)
    await bot.click(
        ANNA,
        {"ts": "0", "channel": "DUANNA", "blocks": home["blocks"]},
        button_labelled("Opfølgning"),
    )
    threads = [
        m
        for m in bot.slack.messages["DUANNA"]
        if m.get("user") == "UBOT" and not m.get("thread_ts")
    ]
    root3 = threads[-1]["ts"]
    assert "Hvilken opfølgning er det?" in bot.last_text(ANNA, root3)
    await bot.click_button(ANNA, bot.last(ANNA, root3), "Midtvejsopfølgning")
    await bot.click_button(ANNA, bot.last(ANNA, root3), "Ingen samtale - kun min vurdering")
    await bot.dm(ANNA, "i dag", thread_ts=root3)
    await bot.click_button(ANNA, bot.last(ANNA, root3), "Ja")
    assert "(1 af 4)" in bot.last_text(ANNA, root3)
    for _ in range(4):
        await bot.click_button(ANNA, bot.last(ANNA, root3), "5 – Nået")
    await bot.click_button(ANNA, bot.last(ANNA, root3), "4 – Stor")  # job belief
    await bot.click_button(ANNA, bot.last(ANNA, root3), "Nej")  # paid hours
    await bot.click_button(ANNA, bot.last(ANNA, root3), "Spring over")  # plan
    await bot.click_button(ANNA, bot.last(ANNA, root3), "Spring over")  # adjustments
    await bot.dm(ANNA, "Afsluttende samtale", thread_ts=root3)
    await bot.click_button(ANNA, bot.last(ANNA, root3), "Gem")
    held = [f for f in await rows(db, FollowUp) if f.status == "held"]
    assert len(held) == 2  # the opstart meeting, then the midway form
    all_answers = await rows(db, Answer)
    assert {a.flow_id for a in all_answers} == {"ny_praktik", "forbered_moede", "opfoelgning"}
    assert all(a.praktik_id == praktik.id for a in all_answers)
