"""The terminal chat: the same engine and store as Slack, with numbered options.

Reads lines from stdin and writes Danish text to stdout, so it can be scripted.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import re
import sys
import uuid
from collections.abc import Callable, Mapping
from typing import TextIO

from bot import messages
from bot.config import AppConfig
from bot.conversations import Actor, ConversationService, Reply
from bot.worklist import items_for, next_followup_text, praktik_label, progress_notes, work_items
from dialogues import texts
from dialogues.cpr import contains_cpr
from dialogues.model import Flow, normalise_words
from dialogues.registry import flow_for_words, offered
from dialogues.state import Prompt, UserInput
from storage.db import Database

WELCOME = """\
Velkommen til praktikbot - dialogværktøjet til virksomhedspraktik.
Jeg hjælper dig med at oprette en praktik, vælge den rigtige type (jobpraktik,
kompetencepraktik eller udviklingspraktik), forberede møderne med borger og virksomhed,
udfylde opfølgningsskemaet og registrere resultatet. Alle svar gemmes.

Svar ved at skrive et tal eller en tekst og trykke Enter. Undervejs kan du altid skrive
'tilbage', 'spring over' (hvis spørgsmålet er valgfrit), 'afbryd' eller 'hjælp'.
Skriv aldrig CPR-numre - brug sagens reference. Du er logget ind som: {user}.
"""

# After the flows (dialogues.registry): the work list, correcting an answer, leaving.
OWN_ENTRIES = [
    ("mine", "Mine praktikker"),
    ("ret", "Ret et gemt svar"),
    ("quit", "Afslut praktikbot"),
]
YES = frozenset({"ja", "j", "1", "registrér", "registrer"})
NO = frozenset({"nej", "n", "2", ""})


def menu_entries(flows: Mapping[str, Flow]) -> list[tuple[str, str]]:
    """(key, label) of each menu line: the offered flows in order, then the bot's own."""
    lines = [(f.id, f"{f.title} - {f.menu.hint}" if f.menu else f.title) for f in offered(flows)]
    return lines + OWN_ENTRIES


# Slack's mrkdwn bold: *text* with the asterisks at word boundaries (so 2*3 or a
# company "A*S" stay as they are).
BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")


def terminal_text(text: str) -> str:
    """A bot message written for Slack, for the terminal: its bold markers dropped."""
    return BOLD.sub(r"\1", text)


KIND_HINTS = {
    "multi": "Skriv numrene adskilt af komma, fx 1, 3.",
    "date": "Skriv en dato, fx 'i morgen', 'næste fredag', '15. marts' eller '15/3'.",
    "text": "Skriv dit svar.",
    "number": "Skriv et tal.",
    "confirm_sensitive": "Skriv 1 for at gemme som skrevet, eller skriv et nyt svar.",
}


class TerminalChat:
    def __init__(
        self,
        *,
        service: ConversationService,
        db: Database,
        config: AppConfig,
        flows: dict[str, Flow],
        user: str,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.service, self.db, self.config, self.flows = service, db, config, flows
        self.actor = Actor(user_key=f"terminal:{user}", name=user)
        self.key = f"terminal:{user}"
        self.stdin, self.stdout, self.clock = stdin, stdout, clock

    def say(self, text: str = "") -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def read(self, prompt: str = "> ") -> str | None:
        self.stdout.write(prompt)
        self.stdout.flush()
        line = await asyncio.to_thread(self.stdin.readline)
        if line == "":
            return None
        return line.rstrip("\r\n")

    def _source(self) -> str:
        # Base32 (letters and 2-7): an id the bot makes never holds ten digits in a row,
        # so scans for CPR numbers in any spelling never trip over it.
        return f"{self.key}:{base64.b32encode(uuid.uuid4().bytes).decode().rstrip('=')}"

    async def run(self) -> None:
        self.say(WELCOME.format(user=self.actor.name))
        resumed = await self.service.current(actor=self.actor, key=self.key, now=self.clock())
        if resumed is not None and resumed.prompt is not None:
            flow = self.flows[resumed.flow_id or ""]
            self.say(f"Du har en samtale i gang: '{flow.title}'. Vi fortsætter, hvor du slap.")
            self.show(resumed)
            if not await self.converse():
                return
        while True:
            choice = await self.menu()
            if choice is None or choice == "quit":
                self.say("Farvel. Dine svar er gemt.")
                return
            if choice == "mine":
                await self.list_praktikker()
                continue
            if choice == "ret":
                if not await self.correct():
                    return
                continue
            praktik_id: int | None = None
            if self.flows[choice].needs_praktik:
                praktik_id = await self.pick_praktik(self.flows[choice])
                if praktik_id is None:
                    continue
            reply = await self.service.start(
                actor=self.actor,
                key=self.key,
                flow_id=choice,
                praktik_id=praktik_id,
                source_key=self._source(),
                now=self.clock(),
            )
            self.show(reply)
            if reply.prompt is not None and not await self.converse():
                return

    async def menu(self) -> str | None:
        """The chosen menu entry: a flow id, 'mine' or 'quit' (None when input ran out)."""
        entries = menu_entries(self.flows)
        self.say("")
        self.say("Hvad vil du gøre?")
        for number, (_, label) in enumerate(entries, start=1):
            self.say(f"  {number}) {label}")
        while True:
            line = await self.read()
            if line is None:
                return None
            if contains_cpr(line):  # not stored, but never repeated or kept either
                self.say(texts.CPR_REFUSED)
                continue
            text = normalise_words(line)
            if text.isdigit() and 1 <= int(text) <= len(entries):
                return entries[int(text) - 1][0]
            for key, _ in entries:
                if text == key:
                    return key
            for key, label in OWN_ENTRIES:
                if text == label.casefold():
                    return key
            flow = flow_for_words(self.flows, text) if text else None
            if flow is not None:
                return flow.id
            if text in ("hjælp", "?"):
                self.say(WELCOME.format(user=self.actor.name))
                continue
            self.say(f"Skriv et tal fra 1 til {len(entries)}.")

    async def _praktikker(self, flow: Flow | None = None) -> list[tuple[int, str]]:
        if flow is None:
            items = await work_items(self.db, user_key=self.actor.user_key)
        else:
            items = await items_for(
                self.db, self.config, flow, user_key=self.actor.user_key, now=self.clock()
            )
        today = self.clock().astimezone(self.config.tz).date()
        notes = await progress_notes(self.db, self.config, items)
        rows = []
        for item in items:
            label = praktik_label(self.config, item)
            upcoming = next_followup_text(item, today)
            shown = f"{label} · næste: {upcoming}" if upcoming else label
            note = notes.get(item.praktik_id)
            extra = "".join(f"\n       {line}" for line in (note.lines() if note else []))
            rows.append((item.praktik_id, shown + extra))
        return rows

    async def list_praktikker(self) -> None:
        rows = await self._praktikker()
        if not rows:
            self.say("Du har ingen aktive praktikker. Vælg 'Ny praktik' for at oprette en.")
            return
        self.say("Dine aktive praktikker:")
        for number, (_, label) in enumerate(rows, start=1):
            self.say(f"  {number}) {label}")

    async def pick_praktik(self, flow: Flow | None, title: str = "") -> int | None:
        """The praktik `flow` is to be about (None: any active one, for `title`)."""
        rows = await self._praktikker(flow)
        title = flow.title if flow is not None else title
        if not rows:
            self.say(
                messages.NO_STATUS_TO_RECORD
                if flow is not None and flow.praktik_status == "ended"
                else "Du har ingen aktive praktikker. Vælg 'Ny praktik' for at oprette en."
            )
            return None
        if len(rows) == 1:  # nothing to choose: say which, and go on
            self.say(messages.ONLY_PRAKTIK.format(title=title, label=rows[0][1]))
            return rows[0][0]
        self.say("Hvilken praktik drejer det sig om?")
        for number, (_, label) in enumerate(rows, start=1):
            self.say(f"  {number}) {label}")
        self.say("  (skriv 'tilbage' for menuen)")
        while True:
            line = await self.read()
            if line is None:
                return None
            if contains_cpr(line):  # not stored, but never repeated or kept either
                self.say(texts.CPR_REFUSED)
                continue
            text = line.strip().casefold()
            if text in ("tilbage", "afbryd", "menu"):
                return None
            if text.isdigit() and 1 <= int(text) <= len(rows):
                return rows[int(text) - 1][0]
            self.say(f"Skriv et tal fra 1 til {len(rows)}.")

    async def converse(self) -> bool:
        """Answer prompts until the flow ends, then what it offers (the guide's
        'Registrér mødet', a proposed extra follow-up). False when input ran out."""
        while True:
            line = await self.read()
            if line is None:
                self.say("")
                self.say("Samtalen er gemt. Start praktikbot igen for at fortsætte.")
                return False
            reply = await self.service.answer(
                actor=self.actor,
                key=self.key,
                inp=UserInput(text=line),
                source_key=self._source(),
                now=self.clock(),
            )
            self.show(reply)
            if reply.finished or reply.prompt is None:
                return await self.after(reply)

    async def yes(self, question: str) -> bool | None:
        """A ja/nej question; None when input ran out."""
        self.say(question)
        while True:
            line = await self.read()
            if line is None:
                return None
            text = normalise_words(line)
            if text in YES:
                return True
            if text in NO:
                return False
            self.say("Svar ja eller nej.")

    async def after(self, reply: Reply) -> bool:
        """What a saved flow offers next. False when input ran out."""
        if reply.proposal is not None:
            accept = await self.yes(f"{terminal_text(reply.proposal.text)} (ja/nej)")
            if accept is None:
                return False
            decided = await self.service.decide_proposal(
                actor=self.actor,
                proposal_id=reply.proposal.id,
                accept=accept,
                source_key=self._source(),
                now=self.clock(),
            )
            self.show(decided)
        if reply.guide is not None and reply.conversation_id is not None:
            record = await self.yes(
                f"{reply.guide.continue_label} nu? Skriv 'ja' - eller 'nej' for menuen."
            )
            if record is None:
                return False
            if record:
                started = await self.service.start(
                    actor=self.actor,
                    key=self.key,
                    flow_id=reply.guide.continue_flow,
                    praktik_id=reply.praktik_id,
                    source_key=self._source(),
                    now=self.clock(),
                    carry_from=reply.conversation_id,
                )
                self.show(started)
                if started.prompt is not None:
                    return await self.converse()
        if reply.correctable_id is not None:
            self.say("(Et gemt svar kan rettes senere: vælg 'Ret et gemt svar' i menuen.)")
        return True

    async def correct(self) -> bool:
        """Choose a saved answer of a praktik and correct it. False when input ran out."""
        praktik_id = await self.pick_praktik(None, "Ret et gemt svar")
        if praktik_id is None:
            return True
        choices = await self.service.correctable(
            actor=self.actor, praktik_id=praktik_id, now=self.clock()
        )
        if not choices:
            self.say(messages.NOTHING_TO_CORRECT)
            return True
        self.say("Hvilket gemt svar vil du rette?")
        for number, choice in enumerate(choices, start=1):
            self.say(f"  {number}) {choice.described}: {choice.display}")
        self.say("  (skriv 'tilbage' for menuen)")
        while True:
            line = await self.read()
            if line is None:
                return False
            text = line.strip().casefold()
            if text in ("tilbage", "afbryd", "menu"):
                return True
            if text.isdigit() and 1 <= int(text) <= len(choices):
                break
            self.say(f"Skriv et tal fra 1 til {len(choices)}.")
        chosen = choices[int(text) - 1]
        reply = await self.service.start_correction(
            actor=self.actor,
            key=self.key,
            conversation_id=chosen.conversation_id,
            step_id=chosen.step_id,
            source_key=self._source(),
            now=self.clock(),
        )
        self.show(reply)
        if reply.prompt is not None:
            return await self.converse()
        return True

    def show(self, reply: Reply) -> None:
        for message in reply.messages:
            self.say(terminal_text(message))
        for note in reply.notes:
            self.say("")
            self.say(note.title)
            self.say("-" * 60)
            self.say(note.text)
            self.say("-" * 60)
        if reply.guide is not None:
            self.say("")
            self.say("=" * 60)
            self.say(reply.guide.text)
            self.say("=" * 60)
        if reply.prompt is not None:
            self.say("")
            self.say(render_prompt(reply.prompt))


def render_prompt(prompt: Prompt) -> str:
    lines = []
    if prompt.item_position is not None:
        lines.append(f"({prompt.item_position[0]} af {prompt.item_position[1]})")
    lines.append(prompt.text)
    if prompt.last_time is not None:
        lines.append(f"({prompt.last_time})")
    if prompt.kind != "summary":
        for number, option in enumerate(prompt.options, start=1):
            mark = " (anbefalet)" if option.value == prompt.suggested else ""
            lines.append(f"  {number}) {option.detail or option.label}{mark}")
    if prompt.kind == "scale":
        low, high = int(prompt.min or 1), int(prompt.max or 10)
        lines.append(f"Skriv et tal fra {low} til {high}.")
    elif prompt.kind in KIND_HINTS:
        lines.append(KIND_HINTS[prompt.kind])
    if prompt.current is not None:
        lines.append(f"(Tidligere svar: {prompt.current})")
    if prompt.optional:
        lines.append("(Valgfrit - skriv 'spring over' for at springe over.)")
    return "\n".join(lines)
