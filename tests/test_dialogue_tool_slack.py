"""The dialogue tool in Slack (issue 12), through signed requests to the real app and the
stand-in, on SQLite and PostgreSQL: a Kompetencepraktik walked from registration through
its start, midway and end meetings — each guide shows what the previous meeting recorded
and the progression so far —, a falling score proposing an extra follow-up that is
accepted with a click and then reminded, the praktik at risk on Home and in the team
digest; an Udviklingspraktik's development plan reminded on a step's date and reviewed;
a saved answer corrected from the thread and from Home."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

from bot.config import AppConfig, DigestSchedule, Team
from bot.reminders.scheduler import tick
from bot.reminders.sending import slack_client
from dialogues.model import Flow
from storage.db import Database
from storage.models import (
    Answer,
    AuditEntry,
    CaseNote,
    FollowUp,
    FollowUpProposal,
    PlanStep,
    Praktik,
    ProgressScore,
    RiskFlag,
)
from tests.db_support import rows
from tests.reminder_support import local, with_teams
from tests.slack_harness import SlackBot, button_labelled, message_text, running_bot
from tests.slack_standin import SlackStandIn

ANNA = "UANNA"
CHANNEL = "CTEAMNORD"
MONDAY = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def team_config(config: AppConfig) -> AppConfig:
    team = Team(
        id="team_nord",
        name="Team Nord",
        channel=CHANNEL,
        members=(ANNA,),
        digest=DigestSchedule(weekdays=("mon", "tue", "wed", "thu", "fri"), time="08:30"),
    )
    return with_teams(config, team)


async def run_tick(bot: SlackBot, now: dt.datetime) -> None:
    async with slack_client("xoxb-test-token", bot.slack.base_url) as client:
        await tick(db=bot.deps.db, client=client, config=bot.deps.config, now=now, instance_id="t")


def at(bot: SlackBot, day: dt.date, hour: int = 9) -> None:
    """The bot's clock: `day` at `hour` Copenhagen time."""
    moment = local(day, hour)
    bot.deps.clock = lambda: moment


def top_level(bot: SlackBot, user: str = ANNA) -> list[dict[str, Any]]:
    return [
        m
        for m in bot.slack.messages[f"D{user}"]
        if m.get("user") == bot.slack.bot_user_id and not m.get("thread_ts")
    ]


def thread_text(bot: SlackBot, root: str) -> str:
    return "\n".join(message_text(m) for m in bot.bot_messages(ANNA, root))


def with_action(bot: SlackBot, root: str, action_id: str) -> dict[str, Any]:
    """The newest bot message in the thread with an element of that action id."""
    for message in reversed(bot.bot_messages(ANNA, root)):
        for block in message.get("blocks") or []:
            if any(e.get("action_id") == action_id for e in block.get("elements") or []):
                return message
    raise AssertionError(f"no {action_id} in the thread")


async def click(bot: SlackBot, root: str, label: str) -> None:
    await bot.click_button(ANNA, bot.last(ANNA, root), label)


async def say(bot: SlackBot, root: str, *texts: str) -> None:
    for text in texts:
        await bot.dm(ANNA, text, thread_ts=root)


async def pick_date(bot: SlackBot, root: str, day: dt.date) -> None:
    await bot.click(
        ANNA, bot.last(ANNA, root), lambda e: e["type"] == "datepicker", selected=day.isoformat()
    )


async def click_home(bot: SlackBot, action_id: str, praktik_id: int) -> None:
    """A click on the Home tab's button for a praktik, as Slack sends it (from a view)."""
    home = bot.slack.home_views[ANNA]
    block_id, element = next(
        (b["block_id"], e)
        for b in home["blocks"]
        if b["type"] == "actions" and b["block_id"].endswith(f"|{praktik_id}")
        for e in b["elements"]
        if e["action_id"] == action_id
    )
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEST"},
        "user": {"id": ANNA},
        "api_app_id": "A0STANDIN",
        "trigger_id": bot.slack.issue_trigger_id(),
        "container": {"type": "view", "view_id": home["id"]},
        "view": {"id": home["id"], "type": "home"},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "value": element["value"],
                "action_ts": "1700000000.123456",
            }
        ],
    }
    response = await bot.interactive(payload)
    assert response.status == 200
    await bot.wait_idle()


async def prepare(bot: SlackBot, praktik_id: int, phase: str, audience: str) -> str:
    """'forbered' in the DM, the praktik, the meeting and the audience: the guide's thread."""
    root = await bot.dm(ANNA, "forbered")
    picker = [
        e
        for b in bot.last(ANNA, root).get("blocks") or []
        for e in b.get("elements") or []
        if e.get("type") == "static_select"
    ]
    if picker:  # more than one active praktik: pick it (with one, the bot asks no question)
        await bot.click(
            ANNA,
            bot.last(ANNA, root),
            lambda e: e["type"] == "static_select",
            selected=f"forbered_moede:{praktik_id}",
        )
    await click(bot, root, phase)
    await click(bot, root, audience)
    return root


async def test_a_kompetencepraktik_from_registration_to_the_end_meeting(
    slack: SlackStandIn, db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    async with running_bot(slack, db, team_config(config), flows) as bot:
        bot.deps.clock = lambda: MONDAY
        await bot.register_praktik(ANNA, "SAG-2026-1201", type_label="Kompetencepraktik")
        [praktik] = await rows(db, Praktik)
        assert praktik.id is not None and praktik.type == "kompetencepraktik"
        plan = {f.kind: f for f in await rows(db, FollowUp)}

        # --- opstart: the guide, then "Registrér mødet" in the same thread -----------------
        at(bot, plan["opstart"].due_date)
        root = await prepare(bot, praktik.id, "Opstart (forventningsafstemning)", "Borgeren")
        guide = bot.last_text(ANNA, root)
        assert "Forberedelse: Opstart (forventningsafstemning) – Borgeren" in guide
        assert "Formål: Opkvalificering af borgerens kompetencer" in guide
        assert "Ingen vurderinger endnu" in guide
        assert "Sidste møde: ingen tidligere møder er registreret." in guide
        assert "Målgruppe: Dagpenge – højst 4 uger. Tilbage af maksimum: 4 uger" in guide
        assert "Næste opfølgninger: opstartsmøde" in guide
        assert "Spørg borgeren: Hvilke krav i jobopslagene mangler du?" in guide
        assert "Spørg virksomheden" not in guide  # the audience's questions only
        await click(bot, root, "Registrér mødet")
        [shown] = [m for m in bot.bot_messages(ANNA, root) if "Forberedelse:" in message_text(m)]
        assert "Registreringen er startet" in message_text(shown)  # the button is gone
        assert not [b for b in shown["blocks"] if b["type"] == "actions"]
        assert "Hvornår var mødet" in bot.last_text(ANNA, root)  # meeting and audience carried
        await pick_date(bot, root, plan["opstart"].due_date)
        await say(bot, root, "Et fast job på et lager")
        await click(bot, root, "Spring over")  # hensyn
        assert "Hvilke krav i jobopslagene mangler du?" in bot.last_text(ANNA, root)
        await say(bot, root, "Truckcertifikat og lagerstyring")
        await click(bot, root, "3 – Delvist nået")  # the citizen's score
        await click(bot, root, "3 – Delvist nået")  # own score
        await click(bot, root, "4 – Stor")  # job belief
        await click(bot, root, "Spring over")  # development plan: optional here
        await click(bot, root, "Spring over")  # adjustments
        await say(bot, root, "Borgeren tager truckkursus")
        await click(bot, root, "Gem")
        saved = thread_text(bot, root)
        assert "Progression:" in saved and "Konsulent: opstart 3" in saved
        assert "Vil du lægge den ind?" not in saved  # no rule holds at the start

        # --- midtvejs: from the reminder's "Forbered møde" ----------------------------------
        midway = plan["midtvejs"].due_date
        await run_tick(bot, local(midway, 8, 1))
        [reminder] = [
            m for m in top_level(bot) if "Påmindelse: Midtvejsopfølgning" in (m.get("text") or "")
        ]
        at(bot, midway)
        await bot.click(ANNA, reminder, lambda e: e["action_id"] == "pb_rem_start:prepare")
        root = top_level(bot)[-1]["ts"]
        assert "Anbefaling: Midtvejsopfølgning" in bot.last_text(ANNA, root)
        await click(bot, root, "Midtvejsopfølgning")
        await click(bot, root, "Borgeren")
        guide = bot.last_text(ANNA, root)
        opstart_day = "onsdag den 2. december 2026"
        assert f"Sidste møde (Opstart (forventningsafstemning) · Borgeren · {opstart_day})" in guide
        assert "• Manglende krav fra jobopslag: Truckcertifikat og lagerstyring" in guide
        assert "Konsulent: opstart 3" in guide and "Borger: opstart 3" in guide
        assert "Din tro på, at borgeren kommer i job (1-5): opstart 4" in guide
        assert f"Sidst (Opstart (forventningsafstemning) · Borgeren · {opstart_day}): " in guide
        assert "Borgeren tager truckkursus" in guide  # the agreements still open
        question = guide.index("Hvad kan du allerede skrive på dit CV?")
        assert "Truckcertifikat og lagerstyring" in guide[question:]  # last time, per question
        await click(bot, root, "Registrér mødet")
        await pick_date(bot, root, midway)
        await click(bot, root, "Ja")  # still the job
        cv = bot.last_text(ANNA, root)
        assert "Hvad kan du allerede skrive på dit CV?" in cv
        assert "Sidst (Opstart" in cv and "Truckcertifikat og lagerstyring" in cv
        await say(bot, root, "Truckcertifikat B")
        await click(bot, root, "Spring over")  # network
        await click(bot, root, "Spring over")  # sub-goals talk
        await click(bot, root, "4 – Næsten nået")  # the citizen sees progress
        own = bot.last_text(ANNA, root)
        assert "Din vurdering af delmålet" in own and "3 – Delvist nået" in own  # last time
        await click(bot, root, "2 – Lidt på vej")  # falling: 3 -> 2
        await click(bot, root, "3 – Middel")
        await say(bot, root, "Truckkørsel")
        await click(bot, root, "Ja")  # cv updated
        await say(bot, root, "3")  # applications
        await click(bot, root, "Spring over")
        await click(bot, root, "Spring over")
        await say(bot, root, "Ny samtale om en uge")
        await click(bot, root, "Gem")
        saved = thread_text(bot, root)
        assert "Konsulent: opstart 3 → midtvejs 2 ↓" in saved
        assert "⚠ Forskel: konsulent 2 og borger 4 (forskel 2)" in saved
        proposal = copy.deepcopy(with_action(bot, root, "pb_proposal:accept"))
        assert "Faldende progression" in message_text(proposal)
        [offered] = await rows(db, FollowUpProposal)
        assert offered.status == "proposed" and "falling_progression" in offered.rules

        # The praktik is at risk on Home, with its progression.
        await bot.event({"type": "app_home_opened", "user": ANNA, "tab": "home", "event_ts": "1"})
        await bot.wait_idle()
        home = bot.slack.home_views[ANNA]
        assert len(home["blocks"]) <= 100
        on_home = message_text(home)
        assert "Progression: D1 3→2 ↓" in on_home and "Job 4→3 ↓" in on_home
        assert "I risiko: Lav progression, Faldende progression" in on_home

        # Accepted with one click; a second click changes nothing.
        await bot.click_button(ANNA, proposal, "Ja, læg den ind")
        updated = bot.slack.message("DUANNA", proposal["ts"])
        assert "Den ekstra opfølgning er lagt ind" in message_text(updated)
        assert not [b for b in updated["blocks"] if b["type"] == "actions"]
        await bot.click_button(ANNA, proposal, "Ja, læg den ind")
        assert any("allerede besvaret" in e["text"] for e in bot.slack.ephemerals)
        [extra] = [f for f in await rows(db, FollowUp) if f.kind == "ekstra"]
        assert extra.status == "planned" and extra.due_date == offered.due_date
        decided = [e for e in await rows(db, AuditEntry) if e.detail.get("proposal")]
        assert [e.detail["decision"] for e in decided] == ["accepted"]

        # The team digest counts it at risk, by its short reference only.
        await run_tick(bot, local(midway + dt.timedelta(days=3), 8, 31))
        digest = "\n".join(message_text(m) for m in bot.slack.messages.get(CHANNEL, []))
        assert "I risiko: 1* – P-1001" in digest
        assert "SAG-2026-1201" not in digest and "Eksempel" not in digest

        # ... and the extra follow-up is reminded on its day.
        await run_tick(bot, local(extra.due_date, 8, 1))
        reminders = [m for m in top_level(bot) if "Ekstra opfølgning" in message_text(m)]
        assert reminders and "P-1001" in message_text(reminders[-1])

        # --- afslutning: the progression start → midway, what midway recorded --------------
        end = plan["afslutning"].due_date
        at(bot, end)
        root = await prepare(bot, praktik.id, "Afslutning (slutevaluering)", "Borgeren")
        guide = bot.last_text(ANNA, root)
        assert "Sidste møde (Midtvejsopfølgning · Borgeren" in guide
        assert "• Nyt på CV'et: Truckcertifikat B" in guide
        assert "Konsulent: opstart 3 → midtvejs 2 ↓" in guide
        assert "I risiko: Lav progression, Faldende progression" in guide
        await click(bot, root, "Registrér mødet")
        await pick_date(bot, root, end)
        await say(bot, root, "Lagerjob i Køge")
        await click(bot, root, "Spring over")
        await click(bot, root, "4 – Næsten nået")
        await click(bot, root, "4 – Næsten nået")
        await click(bot, root, "4 – Stor")
        await say(bot, root, "Truck og lagerstyring")
        await click(bot, root, "Ja")
        await say(bot, root, "6")
        await click(bot, root, "Spring over")
        await click(bot, root, "Spring over")
        await say(bot, root, "Afslutning holdt")
        await click(bot, root, "Gem")
        saved = thread_text(bot, root)
        assert "Konsulent: opstart 3 → midtvejs 2 → slut 4 ↑" in saved
        held = {f.kind: f.status for f in await rows(db, FollowUp)}
        assert held["afslutning"] == "held"  # the meeting it records, not the extra one
        flags = await rows(db, RiskFlag)
        assert flags and not any(f.active for f in flags)  # evaluated again: risk cleared
        assert len(await rows(db, FollowUpProposal)) == 1

        # Scores are rows: queryable without reading answers.
        own_scores = sorted(
            (s.phase, s.score)
            for s in await rows(db, ProgressScore)
            if (s.side, s.indicator) == ("consultant", "subgoal")
        )
        assert own_scores == [("afslutning", 4), ("midtvejs", 2), ("opstart", 3)]


async def test_a_saved_answer_corrected_in_the_thread_and_from_home(
    bot: SlackBot, db: Database
) -> None:
    bot.deps.clock = lambda: MONDAY
    registration = await bot.register_praktik(ANNA, "SAG-2026-1202", type_label="Kompetencepraktik")
    [praktik] = await rows(db, Praktik)
    assert praktik.id is not None
    root = await prepare(bot, praktik.id, "Opstart (forventningsafstemning)", "Borgeren")
    await click(bot, root, "Registrér mødet")
    await pick_date(bot, root, MONDAY.date())
    await say(bot, root, "Job på lager")
    await click(bot, root, "Spring over")
    await say(bot, root, "Truckcertifikat")
    await click(bot, root, "Spring over")  # the citizen's scores
    await click(bot, root, "3 – Delvist nået")
    await click(bot, root, "4 – Stor")
    await click(bot, root, "Spring over")
    await click(bot, root, "Spring over")
    await say(bot, root, "Borgeren tager truckkursus")
    await click(bot, root, "Gem")
    [first_note] = [n for n in await rows(db, CaseNote) if n.flow_id == "opfoelgning"]

    # "Ret et svar" under the case note: the answers that can be corrected.
    note_message = with_action(bot, root, "pb_correct")
    await bot.click_button(ANNA, note_message, "Ret et svar")
    picker = with_action(bot, root, "pb_correct_pick")
    options = [
        o["value"]
        for b in picker["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        for o in e.get("options") or []
    ]
    steps = [v.split(":", 1)[1] for v in options]
    assert "agreements" in steps and "score_consultant" in steps
    assert "phase" not in steps and "audience" not in steps  # which meeting: not correctable
    agreements = next(v for v in options if v.endswith(":agreements"))
    await bot.click(
        ANNA, picker, lambda e: e["action_id"] == "pb_correct_pick", selected=agreements
    )
    asked = bot.last_text(ANNA, root)
    assert "Hvilke aftaler blev der lavet" in asked
    assert "Tidligere svar: Borgeren tager truckkursus" in asked
    assert "Du retter et gemt svar" in thread_text(bot, root)
    await say(bot, root, "Borgeren tager truckkursus i uge 51")
    summary = bot.last(ANNA, root)
    edit_buttons = [
        b["accessory"]["value"]
        for b in summary["blocks"]
        if b["type"] == "section" and "accessory" in b
    ]
    assert "agreements" in edit_buttons and "phase" not in edit_buttons
    await bot.click_button(ANNA, summary, "Gem")
    saved = thread_text(bot, root)
    assert "Rettelsen er gemt som en ny version af svaret (Aftaler og næste skridt)" in saved
    notes = sorted(
        (n for n in await rows(db, CaseNote) if n.flow_id == "opfoelgning"), key=lambda n: n.id
    )  # (PostgreSQL returns rows in no set order without ORDER BY)
    assert len(notes) == 2 and notes[0].id == first_note.id
    assert notes[1].text.startswith("RETTET UDKAST")
    assert "Aftaler og næste skridt: Borgeren tager truckkursus i uge 51" in notes[1].text
    assert "RETTET UDKAST" in saved and "i uge 51" in saved  # shown too

    # The answer log: a new version that names the one it replaces.
    logged = [a for a in await rows(db, Answer) if a.step_id == "agreements"]
    old = next(a for a in logged if a.value == "Borgeren tager truckkursus")
    new = next(a for a in logged if a.value == "Borgeren tager truckkursus i uge 51")
    assert (new.version, new.replaces_id, old.version) == (2, old.id, 1)
    # The audit log: who and what, never the content.
    [entry] = [e for e in await rows(db, AuditEntry) if e.action == "correct"]
    assert entry.actor == f"slack:{ANNA}" and entry.praktik_id == praktik.id
    assert entry.detail["steps"] == ["agreements"] and entry.detail["versions"] == {"agreements": 2}
    assert "truckkursus" not in json.dumps(entry.detail)
    # The scores stayed (the meeting's scores are replaced by the same).
    assert len(await rows(db, ProgressScore)) == 2

    # From Home: the registration's answers; the period is refused with a pointer.
    await bot.event({"type": "app_home_opened", "user": ANNA, "tab": "home", "event_ts": "1"})
    await bot.wait_idle()
    before = len(top_level(bot))
    await click_home(bot, "pb_correct", praktik.id)
    assert len(top_level(bot)) == before + 1  # a new thread in the DM
    thread = top_level(bot)[-1]["ts"]
    picker = copy.deepcopy(with_action(bot, thread, "pb_correct_pick"))
    listed = message_text(picker)
    assert "Virksomhed: Eksempel Rengøring ApS" in listed
    assert "Startdato" not in listed and "Slutdato" not in listed
    values = [
        o["value"]
        for b in picker["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        for g in e.get("option_groups") or [{"options": e.get("options") or []}]
        for o in g["options"]
    ]
    company = next(v for v in values if v.endswith(":company"))
    await bot.click(ANNA, picker, lambda e: e["action_id"] == "pb_correct_pick", selected=company)
    await say(bot, thread, "Eksempel Rengøring og Service ApS")
    await bot.click_button(ANNA, bot.last(ANNA, thread), "Gem")
    [renamed] = await rows(db, Praktik)
    assert renamed.company == "Eksempel Rengøring og Service ApS"
    assert renamed.start_date == praktik.start_date  # nothing else moved
    # A hand-made pick of a locked step is refused with the way to do it.
    forged = copy.deepcopy(picker)
    start = company.replace(":company", ":start_date")
    for block in forged["blocks"]:
        for element in block.get("elements") or []:
            if element.get("action_id") == "pb_correct_pick":
                element.pop("option_groups", None)
                element["options"] = [{"text": {"type": "plain_text", "text": "x"}, "value": start}]
    await bot.click(ANNA, forged, lambda e: e["action_id"] == "pb_correct_pick", selected=start)
    assert "'Ret periode'" in bot.last_text(ANNA, thread)
    assert registration  # the registration thread itself is untouched
    [unchanged] = await rows(db, Praktik)
    assert unchanged.end_date == praktik.end_date


async def test_an_udviklingspraktiks_plan_step_is_reminded_on_its_date_and_reviewed(
    bot: SlackBot, db: Database
) -> None:
    bot.deps.clock = lambda: MONDAY
    await bot.register_praktik(ANNA, "SAG-2026-1203", type_label="Udviklingspraktik")
    [praktik] = await rows(db, Praktik)
    await bot.event({"type": "app_home_opened", "user": ANNA, "tab": "home", "event_ts": "1"})
    await bot.wait_idle()
    home = {"ts": "0", "channel": "DUANNA", "blocks": bot.slack.home_views[ANNA]["blocks"]}
    await bot.click(ANNA, home, button_labelled("Opfølgning"))
    root = top_level(bot)[-1]["ts"]
    await click(bot, root, "Opstart (forventningsafstemning)")
    await click(bot, root, "Ingen samtale - kun min vurdering")
    await pick_date(bot, root, MONDAY.date())
    await click(bot, root, "2 – Lidt på vej")
    await click(bot, root, "3 – Middel")
    ask = bot.last(ANNA, root)
    assert "Udviklingsplan - hvilke trin aftaler I?" in message_text(ask)
    labels = [e["text"]["text"] for b in ask["blocks"] for e in b.get("elements") or []
              if e.get("type") == "button"]  # fmt: skip
    assert "Spring over" not in labels  # required for an udviklingspraktik
    await say(bot, root, "Prøve opvask to dage om ugen\nAfklare transport til arbejdet")
    assert "(1 af 2)" in bot.last_text(ANNA, root)
    await click(bot, root, "Borgeren")
    await click(bot, root, "Konsulenten")
    first_due, second_due = dt.date(2026, 12, 7), dt.date(2026, 12, 9)
    await pick_date(bot, root, first_due)
    await pick_date(bot, root, second_due)
    await click(bot, root, "Spring over")  # adjustments
    await say(bot, root, "Ny samtale om en uge")
    await click(bot, root, "Gem")
    assert "Udviklingsplanen er opdateret: 2 nye trin" in thread_text(bot, root)
    steps = sorted(await rows(db, PlanStep), key=lambda s: s.id or 0)
    assert [(s.text, s.who, s.due_date, s.status) for s in steps] == [
        ("Prøve opvask to dage om ugen", "borger", first_due, "open"),
        ("Afklare transport til arbejdet", "konsulent", second_due, "open"),
    ]
    followups = {f.id: f for f in await rows(db, FollowUp)}
    assert all(followups[s.followup_id].kind == "plantrin" for s in steps if s.followup_id)

    # Reminded on the step's date, through the ordinary reminder machinery.
    await run_tick(bot, local(first_due, 8, 1))
    [reminder] = [m for m in top_level(bot) if "Trin i udviklingsplanen" in message_text(m)]
    assert "P-1001" in message_text(reminder) and "Prøve opvask" in message_text(reminder)

    # Reviewed at the next follow-up: one done, one moved (its reminder moves too).
    at(bot, first_due)
    root = await prepare(bot, praktik.id or 0, "Midtvejsopfølgning", "Borgeren")
    assert "Udviklingsplan: Prøve opvask to dage om ugen (borgeren, senest" in bot.last_text(
        ANNA, root
    )
    await click(bot, root, "Registrér mødet")
    await pick_date(bot, root, first_due)
    await say(bot, root, "spring over", "spring over")  # energy; sub-goals talk
    await click(bot, root, "Spring over")  # the citizen's scores
    await click(bot, root, "3 – Delvist nået")
    await click(bot, root, "3 – Middel")
    await say(bot, root, "90")  # attendance
    await click(bot, root, "3")  # pace
    await click(bot, root, "Delvist afklaret")
    assert "(1 af 2)" in bot.last_text(ANNA, root)
    await click(bot, root, "Udført")
    await click(bot, root, "Flyttes")
    moved_to = dt.date(2026, 12, 16)
    await pick_date(bot, root, moved_to)
    await click(bot, root, "Spring over")  # new steps
    await click(bot, root, "Spring over")
    await say(bot, root, "Transport afklares næste uge")
    await click(bot, root, "Gem")
    steps = sorted(await rows(db, PlanStep), key=lambda s: s.id or 0)
    assert [(s.status, s.due_date) for s in steps] == [
        ("done", first_due),
        ("open", moved_to),
    ]
    followups = {f.id: f for f in await rows(db, FollowUp)}
    assert followups[steps[0].followup_id].status == "held"
    assert followups[steps[1].followup_id].due_date == moved_to
