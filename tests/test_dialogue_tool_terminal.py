"""The dialogue tool in the terminal (issue 12), `praktikbot chat` in this process (see
tests/cli_support.py) on SQLite and PostgreSQL: a Kompetencepraktik registered and walked
through its start, midway and end meetings — each guide shows what the previous meeting
recorded and the progression so far, a falling score proposes an extra follow-up that is
accepted — and a saved answer corrected, with a new case-note draft and an audit entry."""

from __future__ import annotations

import re

from storage.models import Answer, AuditEntry, CaseNote, FollowUp, FollowUpProposal
from tests.cli_support import Chat, ChatDriver
from tests.db_support import all_rows

REGISTRATION = [
    ("1", "Hvad er sagens reference"),
    ("SAG-2026-1301", "Hvilken målgruppe"),
    ("1", "Hvilken virksomhed"),
    ("Eksempel Lager ApS", "P-nummer"),
    ("spring over", "Ved du allerede"),
    ("1", "Hvilken type praktik er det?"),
    ("2", "Hvilke af typens delmål"),
    ("1, 4", "egne delmål"),
    ("spring over", "konkrete arbejdsopgaver"),
    ("Plukning og truckkørsel på lageret", "Hvornår starter praktikken"),
    ("i morgen", "Er det rigtigt?"),
    ("ja", "Hvornår slutter praktikken"),
    ("om 3 uger", "Er det rigtigt?"),
    ("ja", "timer om ugen"),
    ("30", "trappes op"),
    ("nej", "Hvilke dage og tidspunkter"),
    ("mandag-fredag kl. 8-14", "seneste arbejdsgiver"),
    ("nej", "CVR-nummer"),
    ("spring over", "ordinært ansatte"),
    ("25", "Grænsen er 5"),
    ("1", "tillidsrepræsentant"),
    ("Tina Eksempel, tina@eksempel.dk", "udtalelse fra virksomheden og tillidsrepræsentanten"),
    ("ja", "faste kontaktperson"),
    ("Kontakt Eksempel", "Min Plan"),
    ("ja", "Skriv 'gem'"),
    ("gem", "Hvad vil du gøre?"),
]


async def guide(term: ChatDriver, phase: str) -> str:
    """Forbered møde for the one praktik, with the citizen: the guide as printed."""
    out = await term.send("2", "Hvilket møde forbereder du?")  # her only praktik: no picker
    assert "Du har én aktiv praktik, så 'Forbered møde' handler om den" in out
    await term.send(phase, "Hvem er samtalen med?")
    return await term.send("1", "Registrér mødet nu?")


async def test_a_kompetencepraktik_walked_through_its_meetings_in_the_terminal(
    db_url: str,
) -> None:
    term = await Chat.start(db_url)
    await term.expect("Hvad vil du gøre?")
    for line, expect in REGISTRATION:
        await term.send(line, expect)

    # opstart
    out = await guide(term, "1")
    assert "Forberedelse: Opstart (forventningsafstemning) – Borgeren" in out
    assert "Sidste møde: ingen tidligere møder er registreret." in out
    assert "Spørg borgeren: Hvilke krav i jobopslagene mangler du?" in out
    await term.send("ja", "Hvornår var mødet")
    await term.send("i dag", "Er det rigtigt?")
    await term.send("ja", "Hvad skal praktikken give dig")
    await term.send("Et fast job på et lager", "hensyn i hverdagen")
    await term.send("spring over", "Hvilke krav i jobopslagene mangler du?")
    await term.send("Truckcertifikat og lagerstyring", "Borgerens egen vurdering")
    for score in ("3", "3"):
        await term.send(score, "vurdering af delmålet")
    await term.send("3", "(2 af 2)")
    await term.send("3", "chance er for at komme i job")
    await term.send("4", "Nye trin i udviklingsplanen")
    await term.send("spring over", "Hvad justerer I")
    await term.send("spring over", "Hvilke aftaler")
    await term.send("Borgeren tager truckkursus", "Skriv 'gem'")
    out = await term.send("gem", "Hvad vil du gøre?")
    assert "Konsulent: opstart 3" in out and "Vil du lægge den ind?" not in out

    # midtvejs: the guide recalls the start; the prompts show last time
    out = await guide(term, "2")
    assert "Sidste møde (Opstart (forventningsafstemning) · Borgeren" in out
    assert "• Manglende krav fra jobopslag: Truckcertifikat og lagerstyring" in out
    assert "Konsulent: opstart 3" in out and "Borgeren tager truckkursus" in out
    await term.send("ja", "Hvornår var mødet")
    await term.send("i dag", "Er det rigtigt?")
    await term.send("ja", "Er det stadig det job")
    out = await term.send("ja", "Skriv dit svar.")
    assert "Hvad kan du allerede skrive på dit CV?" in out
    assert "Truckcertifikat og lagerstyring)" in out  # (Sidst (…): …)
    await term.send("Truckcertifikat B", "Hvem i branchen")
    await term.send("spring over", "Hvilke delmål er nået")
    await term.send("spring over", "Borgerens egen vurdering")
    await term.send("4", "(2 af 2)")
    await term.send("4", "Din vurdering af delmålet")
    out = await term.expect("5 – Nået")
    assert "3 – Delvist nået)" in out  # (Sidst (…): 3 – Delvist nået)
    await term.send("2", "(2 af 2)")
    await term.send("2", "chance er for at komme i job")
    await term.send("3", "Hvilke kompetencer")
    await term.send("Truckkørsel", "CV opdateret")
    await term.send("ja", "relevante ansøgninger")
    await term.send("3", "Nye trin i udviklingsplanen")
    await term.send("spring over", "Hvad justerer I")
    await term.send("spring over", "Hvilke aftaler")
    await term.send("Ny samtale om en uge", "Skriv 'gem'")
    out = await term.send("gem", "Vil du lægge den ind? (ja/nej)")
    assert "Konsulent: opstart 3 → midtvejs 2 ↓" in out
    assert "Faldende progression" in out
    out = await term.send("ja", "Hvad vil du gøre?")
    assert "Den ekstra opfølgning er lagt ind" in out

    # afslutning
    out = await guide(term, "3")
    assert "Sidste møde (Midtvejsopfølgning · Borgeren" in out
    assert "• Nyt på CV'et: Truckcertifikat B" in out
    assert "Konsulent: opstart 3 → midtvejs 2 ↓" in out
    assert "I risiko: Lav progression, Faldende progression" in out
    assert "Næste opfølgninger: ekstra opfølgning" in out or "ekstra opfølgning" in out
    await term.send("ja", "Hvornår var mødet")
    await term.send("i dag", "Er det rigtigt?")
    await term.send("ja", "Hvilke job søger du nu?")
    await term.send("Lagerjob i Køge", "Hvilke delmål er nået")
    await term.send("spring over", "Borgerens egen vurdering")
    for _ in range(3):
        await term.send("4", "vurdering af delmålet")
    await term.send("4", "chance er for at komme i job")
    await term.send("4", "Hvilke kompetencer")
    await term.send("Truck og lagerstyring", "CV opdateret")
    await term.send("ja", "relevante ansøgninger")
    await term.send("6", "Nye trin i udviklingsplanen")
    await term.send("spring over", "Hvad justerer I")
    await term.send("spring over", "Hvilke aftaler")
    await term.send("Afslutning holdt", "Skriv 'gem'")
    out = await term.send("gem", "Hvad vil du gøre?")
    assert "Konsulent: opstart 3 → midtvejs 2 → slut 4 ↑" in out

    # a saved answer corrected
    await term.send("ret", "Hvilket gemt svar vil du rette?")
    out = await term.expect("skriv 'tilbage' for menuen")
    found = re.search(r"(\d+)\) Opfølgning [^\n]*: Aftaler og næste skridt: Afslutning holdt", out)
    assert found is not None, out
    assert "Startdato" not in out  # the period is changed with Ret periode
    out = await term.send(found.group(1), "Skriv dit svar.")
    assert "Du retter et gemt svar i 'Opfølgning'" in out and "Hvilke aftaler" in out
    await term.expect("(Tidligere svar: Afslutning holdt)")
    await term.send("Afslutning holdt; reference lovet", "Skriv 'gem'")
    out = await term.send("gem", "Hvad vil du gøre?")
    assert "Rettelsen er gemt som en ny version af svaret (Aftaler og næste skridt)" in out
    assert "RETTET UDKAST" in out and "Afslutning holdt; reference lovet" in out
    await term.send("afslut praktikbot", "Farvel")
    assert await term.close() == 0

    [proposal] = await all_rows(db_url, FollowUpProposal)
    assert proposal.status == "accepted"
    [extra] = [f for f in await all_rows(db_url, FollowUp) if f.kind == "ekstra"]
    assert extra.id == proposal.followup_id and extra.note == (
        "Ekstra opfølgning: Lav progression, Faldende progression"
    )
    corrected = [a for a in await all_rows(db_url, Answer) if a.version == 2]
    assert [(a.step_id, a.value) for a in corrected] == [
        ("agreements", "Afslutning holdt; reference lovet")
    ]
    [entry] = [e for e in await all_rows(db_url, AuditEntry) if e.action == "correct"]
    assert entry.actor == "terminal:anna" and entry.detail["steps"] == ["agreements"]
    notes = [n for n in await all_rows(db_url, CaseNote) if n.flow_id == "opfoelgning"]
    assert len(notes) == 4 and notes[-1].text.startswith("RETTET UDKAST")
