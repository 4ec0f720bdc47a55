"""`praktikbot chat`: a consultant's whole day, typed at the terminal (in this process, see
tests/cli_support.py), and as a real process killed mid-flow and started again."""

from __future__ import annotations

import pytest

from storage.models import Answer, CaseNote, Conversation, FollowUp, Praktik
from tests.cli_support import Chat, ChatDriver, Terminal
from tests.db_support import all_rows


async def register_jobpraktik(term: ChatDriver) -> None:
    await term.expect("Afslut praktikbot")
    await term.send("1", "Hvad er sagens reference")
    await term.send("SAG-2026-0101", "Hvilken målgruppe")
    await term.send("1", "Hvilken virksomhed")
    await term.send("Eksempel Transport ApS", "P-nummer")
    await term.send("spring over", "Ved du allerede")
    await term.send("2", "Matcher borgeren")
    await term.send("ja", "Anbefaling: Jobpraktik")
    await term.send("1", "Hvilke af typens delmål")
    await term.send("1, 4", "egne delmål")
    await term.send("Truckcertifikat", "konkrete arbejdsopgaver")
    await term.send("Varemodtagelse og truckkørsel", "Hvornår starter praktikken")
    await term.send("i morgen", "Er det rigtigt?")
    await term.send("ja", "Hvornår slutter praktikken")
    await term.send("om 8 uger", "højst vare 4 uger")
    await term.send("om 3 uger", "Er det rigtigt?")
    await term.send("ja", "timer om ugen")
    await term.send("37", "trappes op")
    await term.send("nej", "Hvilke dage og tidspunkter")
    await term.send("mandag-fredag kl. 7-14.30", "seneste arbejdsgiver")
    await term.send("nej", "CVR-nummer")
    await term.send("12345674", "ordinært ansatte")
    await term.send("25", "Grænsen er 5")
    await term.send("1", "tillidsrepræsentant")
    await term.send("ingen", "udtalelse fra virksomheden alene")
    await term.send("ja", "faste kontaktperson")
    await term.send("Kontakt Eksempel, 12345678", "Min Plan")
    await term.send("ja", "Skriv 'gem'")
    out = await term.send("gem", "Hvad vil du gøre?")
    assert "Praktikken SAG-2026-0101 er oprettet: Jobpraktik hos Eksempel Transport ApS" in out
    assert "Journalnotat – Bevilling af virksomhedspraktik" in out


async def test_a_consultants_day_in_the_terminal(db_url: str) -> None:
    term = await Chat.start(db_url)
    welcome = await term.expect("Hvad vil du gøre?")
    assert "Velkommen til praktikbot" in welcome and "Skriv aldrig CPR-numre" in welcome
    await register_jobpraktik(term)

    # Prepare the midway meeting with the company: her only praktik, so no question which;
    # the guide, then "Registrér mødet".
    out = await term.send("2", "Hvilket møde forbereder du?")
    assert "Du har én aktiv praktik, så 'Forbered møde' handler om den: P-1001" in out
    assert "Hvilken praktik drejer det sig om?" not in out
    await term.send("2", "Hvem er samtalen med?")
    out = await term.send("2", "Registrér mødet nu?")
    assert "Forberedelse: Midtvejsopfølgning – Virksomheden" in out
    assert "Formål: Virksomhedspraktik med henblik på job" in out
    assert "Sidste møde: ingen tidligere møder er registreret." in out
    assert "1. Spørg virksomheden: På en skala fra 1 til 10" in out
    await term.send("ja", "Hvornår var mødet")
    await term.send("i dag", "Er det rigtigt?")
    await term.send("ja", "hvor tæt er borgeren på ansættelse")
    await term.send("8", "Hvad mangler")
    await term.send("Truckcertifikat til lageret", "Hvilke delmål er nået")
    await term.send("Delmål 1 er nået", "Virksomhedens vurdering af delmålet")
    await term.send("spring over", "(1 af 3)")
    await term.send("3", "(2 af 3)")
    await term.send("4", "(3 af 3)")
    await term.send("2", "chance er for at komme i job")
    await term.send("4", "løntimer")
    await term.send("nej", "Nye trin i udviklingsplanen")
    await term.send("spring over", "Hvad justerer I")
    await term.send("spring over", "Hvilke aftaler")
    await term.send("Ny samtale om to uger", "Skriv 'gem'")
    out = await term.send("gem", "Vil du lægge den ind? (ja/nej)")
    assert "⚠ Svarene viser risiko: Lav progression." in out  # 2 of 5 at midway
    out += await term.send("nej", "Hvad vil du gøre?")
    assert "Forslaget er afvist." in out
    assert "Journalnotat – Opfølgning på virksomhedspraktik" in out
    assert "Tæt på ansættelse (1-10): 8 af 10" in out
    assert "markeret som afholdt" in out
    assert "Progression:" in out and "Konsulent: midtvejs 3" in out

    # The outcome.
    out = await term.send("6", "Hvad blev resultatet")
    assert "så 'Afslutning' handler om den" in out
    await term.send("1", "i praktikvirksomheden")
    await term.send("ja", "Hvor mange timer")
    await term.send("37", "Hvornår starter jobbet")
    await term.send("spring over", "formål opfyldt")
    await term.send("1", "Min Plan")
    await term.send("ja", "Skriv 'gem'")
    out = await term.send("gem", "Hvad vil du gøre?")
    assert "praktikken SAG-2026-0101 er afsluttet" in out
    await term.send("mine", "Du har ingen aktive praktikker")
    await term.send("afslut praktikbot", "Farvel")
    assert await term.close() == 0

    [praktik] = await all_rows(db_url, Praktik)
    assert (praktik.type, praktik.status, praktik.outcome) == (
        "jobpraktik",
        "ended",
        "ordinaer_fuldtid",
    )
    assert praktik.subgoals[-1] == "Truckcertifikat"
    answers = await all_rows(db_url, Answer)
    flows_answered = {a.flow_id for a in answers}
    assert flows_answered == {"ny_praktik", "forbered_moede", "opfoelgning", "afslutning"}
    assert all(a.praktik_id == praktik.id for a in answers)
    assert all(a.question and a.flow_version for a in answers)
    scale = [a for a in answers if a.step_id == "job_mid_company_scale"]
    assert [(a.value, a.question) for a in scale] == [
        (8, "Spørg virksomheden: På en skala fra 1 til 10 - hvor tæt er borgeren på ansættelse?")
    ]
    notes = await all_rows(db_url, CaseNote)
    # The grant note, the midway follow-up's and the outcome's (the guide writes none).
    assert len([n for n in notes if n.kind == "journalnotat"]) == 3
    assert [n.kind for n in notes].count("vitas") == 1
    statuses = sorted((f.kind, f.status) for f in await all_rows(db_url, FollowUp))
    assert ("midtvejs", "held") in statuses  # the meeting it recorded


async def test_cpr_typed_in_the_terminal_is_refused_and_stored_nowhere(db_url: str) -> None:
    term = await Chat.start(db_url)
    await term.expect("Hvad vil du gøre?")
    await term.send("1", "Hvad er sagens reference")
    out = await term.send("070761-4285", "Hvad er sagens reference")
    assert "ligner et CPR-nummer" in out
    await term.send("SAG-1", "Hvilken målgruppe")
    await term.send("1", "Hvilken virksomhed")
    out = await term.send("Borger 0707614285 hos Eksempel", "Hvilken virksomhed")
    assert "ligner et CPR-nummer" in out
    await term.stop()
    for model in (Answer, Conversation):
        dumped = repr(await all_rows(db_url, model))
        assert "0707614285" not in dumped and "070761" not in dumped


@pytest.mark.processes
async def test_killed_mid_flow_resumes_at_the_same_step(db_url: str) -> None:
    """The real `praktikbot chat` process, killed (SIGKILL) and started again."""
    term = await Terminal.start(db_url)
    await term.expect("Hvad vil du gøre?")
    await term.send("1", "Hvad er sagens reference")
    await term.send("SAG-2", "Hvilken målgruppe")
    await term.send("1", "Hvilken virksomhed")
    await term.send("Eksempel Café", "P-nummer")
    term.kill()
    await term.proc.wait()

    again = await Terminal.start(db_url)
    out = await again.expect("P-nummer")
    assert "Du har en samtale i gang: 'Ny praktik'. Vi fortsætter, hvor du slap." in out
    await again.send("spring over", "Ved du allerede")
    assert await again.close() == 0  # Ctrl-D: saved, not lost
    answers = await all_rows(db_url, Answer)
    assert [a.step_id for a in answers] == ["case_ref", "target_group", "company", "p_number"]
