"""Forms: a flow filled in as a Slack modal, through signed requests, the stand-in and real
storage (SQLite and PostgreSQL) — with the same engine, validators and transaction as its
thread, and the conversation moving between the two surfaces without losing an answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.slack.forms import form_values, form_view, summary_view
from dialogues import engine
from dialogues.model import Flow
from dialogues.state import FlowContext, PraktikFacts, UserInput
from dialogues.structure import load_transcripts, parse_flow
from storage.db import Database
from storage.models import Answer, AuditEntry, CaseNote, Conversation, FollowUp, Praktik
from tests.db_support import rows
from tests.form_support import (
    click_home,
    click_in_modal,
    close,
    field_block,
    fields_of,
    fill,
    fill_all,
    form_offer,
    form_select,
    open_home,
    submit,
    top_modal,
    view_text,
)
from tests.slack_harness import SlackBot, message_text
from tests.slack_standin import SlackStandIn, validate_view

ANNA = "UANNA"


def days(bot: SlackBot, n: int) -> str:
    today = bot.deps.clock().astimezone(bot.deps.config.tz).date()
    return (today + dt.timedelta(days=n)).isoformat()


def registration(bot: SlackBot, case_ref: str) -> dict[str, Any]:
    """The answers of a registration, by field (a jobpraktik found with the type advisor)."""
    return {
        "case_ref": case_ref,
        "target_group": "dagpenge",
        "company": "Eksempel Rengøring ApS",
        "type_method": "advisor",  # dispatches: 'advisor_job_match' appears
        "advisor_job_match": "ja",  # dispatches: the type is suggested
        "praktik_type": "jobpraktik",  # dispatches: the sub-goals of the type
        "subgoals": ["d1"],
        "tasks": "Opgaver i praktikken",
        "start_date": days(bot, 3),
        "end_date": days(bot, 23),
        "hours_per_week": "20",
        "hours_rise": "nej",
        "working_times": "mandag-fredag kl. 8-12",
        "last_employer": "nej",
        "ordinary_employees": "12",
        "subsidised_now": "0",
        "employee_rep": "Tina Eksempel, tina@eksempel.dk",
        "ratio_statement": "ja",
        "contact_person": "Kontakt Eksempel",
        "min_plan_updated": "ja",
    }


async def open_registration_form(bot: SlackBot) -> dict[str, Any]:
    await open_home(bot, ANNA)
    await click_home(bot, ANNA, form_offer)
    return top_modal(bot)


async def test_a_whole_registration_in_a_modal(bot: SlackBot, db: Database) -> None:
    await open_home(bot, ANNA)
    calls = len(bot.slack.calls)
    await click_home(bot, ANNA, form_offer)
    # The modal opens first (a trigger_id lasts 3 s), before the DM, the thread and the
    # database; the form replaces the loading view when it is ready.
    after = [c.method for c in bot.slack.calls[calls:]]
    assert after[0] == "views.open" and "chat.postMessage" in after
    assert after[-1] == "views.update"
    modal = top_modal(bot)
    assert modal["title"]["text"] == "Ny praktik"
    assert "advisor_job_match" not in fields_of(modal)
    answers = registration(bot, "SAG-7101")
    await fill_all(bot, ANNA, {k: answers[k] for k in ("case_ref", "target_group", "company")})
    await fill(bot, ANNA, "type_method", "advisor")
    modal = top_modal(bot)
    assert "advisor_job_match" in fields_of(modal)  # a conditional step, via views.update
    assert bot.slack.calls_to("views.update")
    await fill(bot, ANNA, "advisor_job_match", "ja")
    modal = top_modal(bot)
    assert "Anbefaling: Jobpraktik" in view_text(modal)
    await fill(bot, ANNA, "praktik_type", "jobpraktik")
    rest = {k: v for k, v in answers.items() if k not in ("type_method", "advisor_job_match")}
    rest["p_number"] = "12345"  # a field error: not ten digits
    await fill_all(bot, ANNA, rest)
    answer = await submit(bot, ANNA)
    assert answer is not None and answer["response_action"] == "errors"
    modal = top_modal(bot)
    assert answer["errors"] == {
        field_block(
            modal, "p_number"
        ): "Et P-nummer består af 10 cifre og begynder med 1, fx 1017654321."
    }
    assert await rows(db, Praktik) == []
    await fill(bot, ANNA, "p_number", "1015678901")
    answer = await submit(bot, ANNA)
    assert answer is not None and answer["response_action"] == "update"
    summary = top_modal(bot)
    assert summary["submit"]["text"] == "Gem"
    assert len(bot.slack.views) == 1  # the summary replaced the form: no stack
    assert "Sagsreference" in view_text(summary) and "SAG-7101" in view_text(summary)
    await submit(bot, ANNA)
    done = top_modal(bot)
    assert "er gemt" in view_text(done)
    (praktik,) = await rows(db, Praktik)
    assert (praktik.case_ref, praktik.type, praktik.company) == (
        "SAG-7101",
        "jobpraktik",
        "Eksempel Rengøring ApS",
    )
    assert praktik.hours_per_week == 20
    assert [n.praktik_id for n in await rows(db, CaseNote) if n.kind == "journalnotat"] == [
        praktik.id
    ]
    audit = [(a.action, a.praktik_id) for a in await rows(db, AuditEntry)]
    assert ("create", praktik.id) in audit
    (conversation,) = await rows(db, Conversation)
    assert conversation.status == "done"
    logged = {a.step_id for a in await rows(db, Answer)}
    assert {"case_ref", "advisor_job_match", "p_number", "contact_person"} <= logged
    # The thread of the conversation has what the thread's Gem posts: the case note.
    thread = bot.thread(ANNA, str(conversation.thread_ts))
    text = "\n".join(message_text(m) for m in thread)
    assert "udfyldes som formular" in text
    assert "Udkast til journalnotat" in text and "Praktikken SAG-7101 er oprettet" in text


async def test_a_form_saves_exactly_what_the_thread_saves(bot: SlackBot, db: Database) -> None:
    """The same registration, once in the thread and once as a form: the same praktik,
    case note, follow-ups and audit (but for the case reference and ids)."""
    await bot.register_praktik(ANNA, "SAG-7201")
    await open_registration_form(bot)
    answers = registration(bot, "SAG-7202")
    del answers["advisor_job_match"]
    answers |= {"type_method": "known", "contact_person": "Kontakt"}
    await fill_all(bot, ANNA, answers)
    await submit(bot, ANNA)
    await submit(bot, ANNA)
    thread, form = sorted(await rows(db, Praktik), key=lambda p: p.case_ref)
    ignored = {"id", "case_ref", "short_ref", "created_at", "updated_at"}
    assert {k: v for k, v in thread.model_dump().items() if k not in ignored} == {
        k: v for k, v in form.model_dump().items() if k not in ignored
    }
    notes = {(n.praktik_id, n.kind): n.text for n in await rows(db, CaseNote)}
    for kind in ("journalnotat", "vitas"):
        shown = notes[(form.id, kind)].replace("SAG-7202", "SAG-7201")
        assert shown.replace(str(form.short_ref), str(thread.short_ref)) == notes[(thread.id, kind)]
    plans = {
        p.id: sorted((f.kind, f.due_date) for f in await rows(db, FollowUp) if f.praktik_id == p.id)
        for p in (thread, form)
    }
    assert plans[thread.id] == plans[form.id] != []
    audit = [(a.action, a.praktik_id) for a in await rows(db, AuditEntry)]
    assert audit == [("create", thread.id), ("create", form.id)]


async def continue_registration_in_thread(bot: SlackBot, root: str) -> None:
    """From the P-number question on: the rest of a registration, answered in the thread."""
    start = bot.deps.clock().astimezone(bot.deps.config.tz).date() + dt.timedelta(days=3)
    await bot.dm(ANNA, "spring over", thread_ts=root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Ja, jeg vælger selv")
    await bot.click_button(ANNA, bot.last(ANNA, root), "Jobpraktik")
    await bot.tick_boxes(ANNA, bot.last(ANNA, root), ["d1"])
    await bot.dm(ANNA, "spring over", thread_ts=root)
    await bot.dm(ANNA, "Opgaver i praktikken", thread_ts=root)
    for day in (start, start + dt.timedelta(days=20)):
        await bot.click(
            ANNA,
            bot.last(ANNA, root),
            lambda e: e["type"] == "datepicker",
            selected=day.isoformat(),
        )
    answers = ["20", "nej", "mandag-fredag kl. 8-12", "nej", "spring over", "12", "0"]
    answers += ["Tina Eksempel, tina@eksempel.dk", "ja", "Kontakt", "ja"]
    for answer in answers:
        await bot.dm(ANNA, answer, thread_ts=root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Gem")


async def test_started_in_the_modal_and_finished_in_the_thread(bot: SlackBot, db: Database) -> None:
    await open_registration_form(bot)
    await fill_all(
        bot,
        ANNA,
        {
            "case_ref": "SAG-7102",
            "target_group": "dagpenge",
            "company": "Eksempel Bageri ApS",
            "contact_person": "Kontakt 010190-1234",  # refused: a CPR number
        },
    )
    await close(bot, ANNA)
    assert bot.slack.open_modals() == []
    (conversation,) = await rows(db, Conversation)
    assert conversation.status == "active"
    root = str(conversation.thread_ts)
    said = "\n".join(message_text(m) for m in bot.bot_messages(ANNA, root))
    assert "Formularen er lukket" in said
    assert "ikke gemt" in said and "Det ligner et CPR-nummer" in said
    # The thread asks the first question the form left open, offering the form again.
    question = bot.last(ANNA, root)
    assert "P-nummer" in message_text(question)
    assert "Udfyld som formular" in message_text(question)
    stored = [(a.step_id, str(a.value), a.display) for a in await rows(db, Answer)]
    assert ("company", "Eksempel Bageri ApS", "Eksempel Bageri ApS") in stored
    assert not any("010190" in repr(row) for row in stored)
    await continue_registration_in_thread(bot, root)
    (praktik,) = await rows(db, Praktik)
    assert (praktik.case_ref, praktik.company, praktik.target_group) == (
        "SAG-7102",
        "Eksempel Bageri ApS",
        "dagpenge",
    )
    assert [n.praktik_id for n in await rows(db, CaseNote) if n.kind == "journalnotat"] == [
        praktik.id
    ]


async def test_started_in_the_thread_and_finished_in_the_modal(bot: SlackBot, db: Database) -> None:
    root = await bot.dm(ANNA, "ny")
    await bot.dm(ANNA, "SAG-7103", thread_ts=root)
    await bot.click(
        ANNA, bot.last(ANNA, root), lambda e: e["type"] == "static_select", selected="dagpenge"
    )
    await bot.dm(ANNA, "Eksempel Kantine ApS", thread_ts=root)
    question = bot.last(ANNA, root)
    await bot.click(ANNA, question, form_offer)
    modal = top_modal(bot)
    case_ref = bot.slack.input_block(modal["id"], field_block(modal, "case_ref"))
    assert case_ref["element"]["initial_value"] == "SAG-7103"  # the answers so far
    target = bot.slack.input_block(modal["id"], field_block(modal, "target_group"))
    assert target["element"]["initial_option"]["value"] == "dagpenge"
    answers = registration(bot, "SAG-7103")
    del answers["case_ref"], answers["target_group"], answers["company"]
    answers["type_method"] = "known"
    del answers["advisor_job_match"]
    await fill_all(bot, ANNA, answers)
    await submit(bot, ANNA)
    await submit(bot, ANNA)  # Gem in the summary
    (praktik,) = await rows(db, Praktik)
    assert (praktik.case_ref, praktik.company) == ("SAG-7103", "Eksempel Kantine ApS")
    # The thread's question says where it was answered; the result is in the thread.
    assert "Besvares i formularen" in message_text(bot.slack.message(f"D{ANNA}", question["ts"]))
    assert "Udkast til journalnotat" in "\n".join(
        message_text(m) for m in bot.bot_messages(ANNA, root)
    )


async def test_the_follow_up_form_asks_each_sub_goal_and_refuses_a_cpr_number(
    bot: SlackBot, db: Database
) -> None:
    await bot.register_praktik(ANNA, "SAG-7104")
    await open_home(bot, ANNA)
    await click_home(bot, ANNA, form_select, selected="Opfølgning")
    modal = top_modal(bot)
    assert modal["title"]["text"] == "Opfølgning"
    assert "score_consultant.0" in fields_of(modal)  # one field per sub-goal (for_each)
    assert "score_citizen.0" not in fields_of(modal)  # until the citizen took part
    await fill(bot, ANNA, "phase", "midtvejs")
    await fill(bot, ANNA, "audience", "borger")  # dispatches: the citizen's questions appear
    assert "score_citizen.0" in fields_of(top_modal(bot))
    await fill_all(
        bot,
        ANNA,
        {
            "meeting_date": days(bot, 0),
            "still_wanted_job": "ja",  # the jobpraktik's midway questions
            "paid_hours": "nej",
            "score_citizen.0": "4",
            "score_consultant.0": "3",
            "job_belief": "4",
            "agreements": "Ring til 010190-1234",
        },
    )
    answer = await submit(bot, ANNA)
    assert answer is not None and answer["response_action"] == "errors"
    assert list(answer["errors"].values()) == [
        "Det ligner et CPR-nummer. CPR-numre må ikke skrives her, og svaret er ikke gemt. "
        "Slet venligst beskeden, og brug sagens reference eller et pseudonym i stedet."
    ]
    await fill(bot, ANNA, "agreements", "Møde med virksomheden om to uger")
    await submit(bot, ANNA)
    summary = view_text(top_modal(bot))
    assert "Delvist nået" in summary and "Næsten nået" in summary and "Stor" in summary
    await submit(bot, ANNA)
    assert "markeret som afholdt" in view_text(top_modal(bot))
    stored = [repr((a.step_id, a.value, a.display)) for a in await rows(db, Answer)]
    assert not any("010190" in row for row in stored)
    assert any("score_consultant" in row and "3" in row for row in stored)
    assert any("score_citizen" in row and "4" in row for row in stored)


async def test_ret_periode_as_a_form(bot: SlackBot, db: Database) -> None:
    await bot.register_praktik(ANNA, "SAG-7105", days=10)
    (before,) = await rows(db, Praktik)
    await open_home(bot, ANNA)
    await click_home(bot, ANNA, form_select, selected="Ret periode")
    modal = top_modal(bot)
    assert modal["title"]["text"] == "Ret periode"
    new_end = (before.end_date + dt.timedelta(days=5)).isoformat()
    await fill_all(bot, ANNA, {"end_date": new_end, "reason": "Virksomheden ønsker mere tid"})
    await submit(bot, ANNA)
    await submit(bot, ANNA)
    (after,) = await rows(db, Praktik)
    assert after.end_date.isoformat() == new_end and after.start_date == before.start_date
    audit = [(a.action, a.detail) for a in await rows(db, AuditEntry) if a.action == "change"]
    assert audit and audit[-1][1]["flow"] == "ret_periode"


async def test_ret_svar_in_the_summary_goes_back_to_the_form(bot: SlackBot, db: Database) -> None:
    await bot.register_praktik(ANNA, "SAG-7106", days=10)
    await open_home(bot, ANNA)
    await click_home(bot, ANNA, form_select, selected="Ret periode")
    (praktik,) = await rows(db, Praktik)
    end = (praktik.end_date + dt.timedelta(days=2)).isoformat()
    await fill_all(bot, ANNA, {"end_date": end, "reason": "Sygdom"})
    await submit(bot, ANNA)
    await click_in_modal(bot, ANNA, "Ret svar")
    modal = top_modal(bot)
    assert modal["callback_id"] == "pb_form"
    reason = bot.slack.input_block(modal["id"], field_block(modal, "reason"))
    assert reason["element"]["initial_value"] == "Sygdom"
    await close(bot, ANNA)  # closed from the form: the thread shows the summary
    conversation = next(c for c in await rows(db, Conversation) if c.flow_id == "ret_periode")
    last = message_text(bot.last(ANNA, str(conversation.thread_ts)))
    assert "Opsummering" in last and "Sygdom" in last


def test_every_flow_at_every_step_is_a_valid_form_that_keeps_its_answers(
    ctx: FlowContext, flows: dict[str, Flow]
) -> None:
    """Each example conversation of every flow, replayed: at each turn the conversation as
    a form (or its summary) is valid Block Kit, and what the form shows — read back as
    Slack would send it untouched — is exactly the answers so far: nothing is lost moving
    from the thread to the form."""
    key = "slack:DUANNA:1700000000.000100"
    standin = SlackStandIn()
    checked: set[str] = set()
    for _, transcript in load_transcripts():
        flow = flows[transcript.flow]
        now = dt.datetime.combine(
            dt.date.fromisoformat(transcript.today), dt.time(10, 0), tzinfo=dt.UTC
        )
        praktik = PraktikFacts.model_validate(transcript.praktik) if transcript.praktik else None
        here = ctx.model_copy(update={"praktik": praktik})
        turn = engine.start(flow, here, now)
        for item in transcript.turns:
            if turn.state.status in ("done", "cancelled"):
                break
            shown = engine.form(flow, turn.state, here, now)
            view = summary_view(shown, key=key) if shown.complete else form_view(shown, key=key)
            assert validate_view(view) == [], (flow.id, turn.state.answers)
            if not shown.complete:
                standin.views["V1"] = view
                values, keys, _ = form_values({"state": standin.view_state("V1")})
                again = engine.apply_form(
                    flow, turn.state, values, here, now, submit=False, options_keys=keys
                )
                assert again.errors == {}, (flow.id, again.errors)
                kept = {f.step_id for f in shown.fields if f.answered}
                before = turn.state
                assert {k: again.turn.state.answers.get(k) for k in kept} == {
                    k: before.answers.get(k) for k in kept
                }
                # A for_each step's items answered so far (an empty list is none).
                partial = {k: v for k, v in again.turn.state.partial.items() if v}
                assert partial == {k: v for k, v in before.partial.items() if v}
                assert again.turn.answers == ()  # nothing changed: nothing logged
            checked.add(flow.id)
            inp = UserInput(text=item.say) if item.pick is None else UserInput(value=item.pick)
            turn = engine.advance(flow, turn.state, inp, here, now)
    assert checked == set(flows)


def test_a_form_longer_than_a_modal_comes_in_pages(ctx: FlowContext) -> None:
    """A flow of 130 questions: the form stays within Slack's 100 blocks (and its title
    within 24 characters); what does not fit follows after 'Videre', and answered
    questions make room."""
    steps = "".join(
        f"  - {{id: q{n}, kind: text, text: 'Spørgsmål nummer {n}?', max_length: 20}}\n"
        for n in range(130)
    )
    flow = parse_flow(
        "id: lang\ntitle: En meget lang formular med mange spørgsmål\n"
        f"description: Mange spørgsmål.\nsteps:\n{steps}",
        "lang.yaml",
    )
    now = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    key = "slack:DUANNA:1700000000.000100"
    state = engine.new_state(flow)
    seen: list[str] = []
    for _ in range(3):
        view = form_view(engine.form(flow, state, ctx, now), key=key)
        assert validate_view(view) == []
        assert len(view["blocks"]) <= 100 and len(view["title"]["text"]) <= 24
        shown = [b["block_id"].split("|")[1] for b in view["blocks"] if b["type"] == "input"]
        seen += [f for f in shown if f not in seen]
        values = {f: f"svar {f}" for f in shown}
        state = engine.apply_form(flow, state, values, ctx, now, submit=True).turn.state
    assert seen == [f"q{n}" for n in range(130)]
    assert state.status == "summary"
    summary = summary_view(engine.form(flow, state, ctx, now), key=key)
    assert validate_view(summary) == [] and "svar q129" in view_text(summary)


def test_an_answer_from_a_closed_form_is_checked_again_by_an_earlier_one(
    ctx: FlowContext, flows: dict[str, Flow]
) -> None:
    """A form may take a later answer before an earlier one (the end before a new start);
    when the earlier one is then given in the thread, the later one is checked against
    it, and asked again when it no longer holds."""
    flow = flows["ret_periode"]
    praktik = PraktikFacts(
        id=3,
        case_ref="KBH-77",
        type="udviklingspraktik",
        target_group="sygedagpenge",
        company="Eksempel Køkken I/S",
        subgoals=("At udvikle motivation",),
        start_date=dt.date(2026, 12, 7),
        end_date=dt.date(2027, 2, 26),
        hours_per_week=12,
    )
    here = ctx.model_copy(update={"praktik": praktik})
    now = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    saved = engine.apply_form(
        flow, engine.new_state(flow), {"end_date": "2027-01-15"}, here, now, submit=False
    )
    assert saved.turn.state.answers == {"end_date": "2027-01-15"}
    assert saved.turn.prompt is not None and saved.turn.prompt.step_id == "start_date"
    later = engine.advance(
        flow, saved.turn.state, UserInput(value="2027-02-01", step_id="start_date"), here, now
    )
    assert "end_date" not in later.state.answers
    assert later.prompt is not None and later.prompt.step_id == "end_date"
