"""Data protection at the input, end to end: CPR numbers in ordinary and hostile
spellings through signed Slack requests, the terminal and the command line; the P-number
field; the case reference; the special-category warning. Storage is scanned for any CPR
spelling with the detector itself. All data is synthetic."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from sqlalchemy import text
from sqlmodel import SQLModel

from bot.config import AppConfig
from dialogues.cpr import contains_cpr
from dialogues.model import Flow
from storage.db import Database
from storage.models import Answer, AuditEntry, Conversation, Praktik
from tests.cli_support import Chat, run_cli, run_process
from tests.db_support import all_rows, rows
from tests.slack_harness import SlackBot, message_text, running_bot
from tests.slack_standin import SlackStandIn

ROOT = Path(__file__).resolve().parent.parent
ANNA = "UANNA"
CPR_REFUSED = "ligner et CPR-nummer"

# Spellings of the synthetic CPR number 010190-1234 (and a replacement number).
SPELLINGS = (
    "01 01 90 1234",
    "01.01.90-1234",
    "0101 90 1234",
    "010190/1234",
    "010190\u22121234",  # minus sign
    "0101\u00ad90\u200b1234",  # soft hyphen, zero-width space
    "010190\u202f1234",  # narrow no-break space
    "０１０１９０－１２３４",  # full-width digits and dash
    "610190-1234",  # day + 60
    "Borgeren oplyste 01\u206001 90\u00a012 34 i går.",
)


async def table_rows_with_cpr(db: Database, *, p_numbers: tuple[str, ...] = ()) -> list[str]:
    """The cells of every table's rows that hold a CPR-like number in any spelling
    (P-numbers the test registered on purpose left out: ten digits, some read as a date)."""
    found: list[str] = []
    async with db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            result = await conn.execute(text(f'SELECT * FROM "{table.name}"'))
            columns = list(result.keys())
            for row in result:
                # Not the de-duplication keys: the bot composes them of Slack's ids and
                # timestamps (digits that may, by chance, read as a date); never typed text.
                cells = [
                    json.dumps(v, ensure_ascii=False, default=str)
                    for column, v in zip(columns, tuple(row), strict=True)
                    if column != "source_key"
                ]
                for p_number in p_numbers:
                    cells = [cell.replace(p_number, "P-NR") for cell in cells]
                if any(contains_cpr(cell) for cell in cells):
                    found.append(f"{table.name}: {[c for c in cells if contains_cpr(c)]}")
    return found


def calls_with_cpr(slack: SlackStandIn) -> list[str]:
    """The bot's own Slack calls (what it posted) that hold a CPR-like number."""
    return [
        c.method
        for c in slack.calls
        if contains_cpr(json.dumps(c.params, ensure_ascii=False, default=str))
    ]


def last_texts(bot: SlackBot, root: str, n: int = 2) -> str:
    return "\n".join(message_text(m) for m in bot.bot_messages(ANNA, root)[-n:])


# --- Slack ------------------------------------------------------------------------------------


async def test_cpr_spellings_in_slack_are_refused_in_danish_and_stored_nowhere(
    bot: SlackBot, db: Database
) -> None:
    root = await bot.dm(ANNA, "ny")
    for spelling in SPELLINGS:  # at the case reference
        await bot.dm(ANNA, spelling, thread_ts=root)
        assert CPR_REFUSED in last_texts(bot, root), spelling
        assert "Hvad er sagens reference" in bot.last_text(ANNA, root)
    await bot.dm(ANNA, "SAG-2026-0412", thread_ts=root)
    await bot.click(
        ANNA, bot.last(ANNA, root), lambda e: e["type"] == "static_select", selected="dagpenge"
    )
    for spelling in SPELLINGS[:4]:  # a free-text step inside a sentence
        await bot.dm(ANNA, f"Eksempel ApS, borger {spelling}", thread_ts=root)
        assert CPR_REFUSED in last_texts(bot, root)
        assert "Hvilken virksomhed" in bot.last_text(ANNA, root)
    await bot.dm(ANNA, "Eksempel ApS", thread_ts=root)
    # The P-number field: a CPR number is still refused there ...
    for spelling in ("010190-1234", "01 01 90 1234", "0101901234"):
        await bot.dm(ANNA, spelling, thread_ts=root)
        assert CPR_REFUSED in last_texts(bot, root)
        assert "P-nummer" in bot.last_text(ANNA, root)

    # A top-level DM, the slash command, a mention and a forged button value.
    other = await bot.dm(ANNA, "ny 01.01.90 1234")
    assert CPR_REFUSED in message_text(bot.last(ANNA, other))
    response = await bot.command(ANNA, "ny 0101\u00ad90-1234")
    assert CPR_REFUSED in await response.text()
    await bot.event(
        {
            "type": "app_mention",
            "user": ANNA,
            "channel": "CTEAM",
            "text": "<@UBOT> ny ０１０１９０－１２３４",
            "ts": "1700000001.000001",
            "event_ts": "1700000001.000001",
        }
    )
    await bot.wait_idle()
    assert CPR_REFUSED in bot.slack.ephemerals[-1]["text"]
    forged = copy.deepcopy(bot.last(ANNA, root))
    for block in forged["blocks"]:
        for element in block.get("elements") or []:
            if element.get("action_id", "").startswith("pb_command"):
                element["value"] = "01 01 90-1234"
    await bot.click(ANNA, forged, lambda e: e.get("action_id") == "pb_command:help")
    dm = bot.slack.messages[f"D{ANNA}"]
    assert CPR_REFUSED in message_text(dm[-1])

    assert await table_rows_with_cpr(db) == []
    assert calls_with_cpr(bot.slack) == []


async def test_a_p_number_that_reads_as_a_date_is_registered(bot: SlackBot, db: Database) -> None:
    root = await bot.dm(ANNA, "ny")
    await bot.dm(ANNA, "SAG-2026-0412", thread_ts=root)
    await bot.click(
        ANNA, bot.last(ANNA, root), lambda e: e["type"] == "static_select", selected="dagpenge"
    )
    await bot.dm(ANNA, "Eksempel ApS", thread_ts=root)
    await bot.dm(ANNA, "1012345678", thread_ts=root)  # digits 3-4 = 12: reads as a date
    assert "Ved du allerede" in bot.last_text(ANNA, root)
    [answer] = [a for a in await rows(db, Answer) if a.step_id == "p_number"]
    assert answer.value == "1012345678"


async def test_a_name_or_a_cpr_like_case_reference_is_refused_with_a_reason(
    bot: SlackBot, db: Database
) -> None:
    root = await bot.dm(ANNA, "ny")
    await bot.dm(ANNA, "Anna Eksempelsen", thread_ts=root)
    assert "ligner et navn" in last_texts(bot, root)
    await bot.dm(ANNA, "3213901234", thread_ts=root)  # not a date, but a personal number shape
    assert "ligner et CPR-nummer" in last_texts(bot, root)
    await bot.dm(ANNA, "Jens-Ole B. Eksempel", thread_ts=root)
    assert "ligner et navn" in last_texts(bot, root)
    await bot.dm(ANNA, "hvad-som-helst 12", thread_ts=root)
    assert "fx SAG-2026-0412" in last_texts(bot, root)
    assert "Hvad er sagens reference" in bot.last_text(ANNA, root)
    await bot.dm(ANNA, "sag-2026-0412", thread_ts=root)
    assert "Hvilken målgruppe" in bot.last_text(ANNA, root)
    assert all("Anna" not in repr(a.value) for a in await rows(db, Answer))


async def _to_own_subgoals(bot: SlackBot) -> str:
    root = await bot.dm(ANNA, "ny")
    await bot.dm(ANNA, "SAG-2026-0412", thread_ts=root)
    await bot.click(
        ANNA, bot.last(ANNA, root), lambda e: e["type"] == "static_select", selected="dagpenge"
    )
    await bot.dm(ANNA, "Eksempel ApS", thread_ts=root)
    await bot.dm(ANNA, "spring over", thread_ts=root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Ja, jeg vælger selv")
    await bot.click_button(ANNA, bot.last(ANNA, root), "Jobpraktik")
    await bot.tick_boxes(ANNA, bot.last(ANNA, root), ["d1"])
    assert "egne delmål" in bot.last_text(ANNA, root)
    return root


async def test_special_category_warning_in_slack_survives_a_restart_and_is_counted(
    slack: SlackStandIn, db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    sensitive = "Borgeren har en depression og skal skærmes"
    async with running_bot(slack, db, config, flows) as bot:
        root = await _to_own_subgoals(bot)
        await bot.dm(ANNA, sensitive, thread_ts=root)
        warning = bot.last_text(ANNA, root)
        assert "helbredsoplysninger" in warning and "'depression'" in warning
        assert "konsekvenserne for arbejdet" in warning and "aldrig om diagnosen" in warning
        # Rephrase by typing a new answer that still names a diagnosis: warned again.
        await bot.dm(ANNA, "Hun er sygemeldt med angst", thread_ts=root)
        assert "'sygemeldt'" in bot.last_text(ANNA, root)
        await bot.dm(ANNA, sensitive, thread_ts=root)
        assert not [a for a in await rows(db, Answer) if a.step_id == "own_subgoals"]
    # A new process (a restart) finds the warning where it was; the button still works.
    async with running_bot(slack, db, config, flows) as bot:
        await bot.click_button(ANNA, bot.last(ANNA, root), "Gem som skrevet")
        assert "Hvilke konkrete arbejdsopgaver" in bot.last_text(ANNA, root)  # the next step
    [answer] = [a for a in await rows(db, Answer) if a.step_id == "own_subgoals"]
    assert answer.value == sensitive
    audit = [e for e in await rows(db, AuditEntry) if e.action.startswith("special_category")]
    assert sorted(e.action for e in audit) == [
        "special_category_confirmed",
        *["special_category_warning"] * 3,
    ]
    for entry in audit:
        assert entry.detail == {"flow": "ny_praktik", "step": "own_subgoals"}
        assert entry.actor == f"slack:{ANNA}"


async def test_rephrasing_after_the_warning_keeps_nothing_of_the_first_answer(
    bot: SlackBot, db: Database
) -> None:
    root = await _to_own_subgoals(bot)
    await bot.dm(ANNA, "Han er muslim og beder fem gange dagligt", thread_ts=root)
    assert "religiøs" in bot.last_text(ANNA, root)
    await bot.click_button(ANNA, bot.last(ANNA, root), "Skriv svaret om")
    assert "Skriv svaret igen" in last_texts(bot, root)
    await bot.dm(ANNA, "Har brug for korte pauser i løbet af dagen", thread_ts=root)
    assert "Hvilke konkrete arbejdsopgaver" in bot.last_text(ANNA, root)  # the next step
    [conversation] = await rows(db, Conversation)
    assert "muslim" not in json.dumps(conversation.state, ensure_ascii=False)
    assert all("muslim" not in repr(a.value) for a in await rows(db, Answer))


# --- the terminal ----------------------------------------------------------------------------


async def test_cpr_spellings_in_the_terminal_are_refused_and_stored_nowhere(
    db_url: str,
) -> None:
    term = await Chat.start(db_url)
    await term.expect("Hvad vil du gøre?")
    out = await term.send("01.01.90-1234", "i stedet.")  # at the menu
    assert CPR_REFUSED in out
    await term.send("1", "Hvad er sagens reference")
    for spelling in SPELLINGS:
        out = await term.send(spelling, "Hvad er sagens reference")
        assert CPR_REFUSED in out
    await term.send("SAG-2026-0412", "Hvilken målgruppe")
    await term.send("1", "Hvilken virksomhed")
    out = await term.send("Eksempel ApS 0101\u00ad90 1234", "Hvilken virksomhed")
    assert CPR_REFUSED in out
    await term.send("Eksempel ApS", "P-nummer")
    out = await term.send("01 01 90-1234", "P-nummer")
    assert CPR_REFUSED in out
    await term.send("1012345678", "Ved du allerede")
    await term.stop()
    db = Database(db_url)
    try:
        assert await table_rows_with_cpr(db, p_numbers=("1012345678",)) == []
    finally:
        await db.dispose()
    [p_number] = [a for a in await all_rows(db_url, Answer) if a.step_id == "p_number"]
    assert p_number.value == "1012345678"


async def test_special_category_warning_in_the_terminal_survives_a_restart(
    db_url: str,
) -> None:
    term = await Chat.start(db_url)
    await term.expect("Hvad vil du gøre?")
    await term.send("1", "Hvad er sagens reference")
    await term.send("SAG-2026-0412", "Hvilken målgruppe")
    await term.send("1", "Hvilken virksomhed")
    await term.send("Psykiatrisk Center Eksempel", "P-nummer")  # the company is exempt
    await term.send("spring over", "Ved du allerede")
    await term.send("1", "Hvilken type")
    await term.send("1", "Hvilke af typens delmål")
    await term.send("1", "egne delmål")
    out = await term.send("Tage hensyn til hans ADHD", "Skriv 1 for at gemme som skrevet")
    assert "helbredsoplysninger" in out and "'adhd'" in out
    await term.stop()

    term = await Chat.start(db_url)
    out = await term.expect("Skriv 1 for at gemme som skrevet")
    assert "Vi fortsætter, hvor du slap" in out and "'adhd'" in out
    out = await term.send(
        "Kan koncentrere sig bedst i korte perioder", "Hvilke konkrete arbejdsopgaver"
    )
    await term.stop()
    [answer] = [a for a in await all_rows(db_url, Answer) if a.step_id == "own_subgoals"]
    assert answer.value == "Kan koncentrere sig bedst i korte perioder"
    [warning] = [e for e in await all_rows(db_url, AuditEntry) if "special" in e.action]
    assert (warning.action, warning.detail) == (
        "special_category_warning",
        {"flow": "ny_praktik", "step": "own_subgoals"},
    )
    assert await all_rows(db_url, Praktik) == []  # not saved yet


# --- the command line ----------------------------------------------------------------------------


def test_cli_arguments_with_a_cpr_number_are_refused_before_anything_runs(
    tmp_path: Path,
) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"}
    for args in (
        ("erase", "--case", "01 01 90-1234"),
        ("erase", "--case", "SAG-0101\u00ad90-1234", "--yes"),
        ("chat", "--user", "０１０１９０－１２３４"),
        ("flows", "diagram", "010190 1234"),  # would be quoted in "Unknown flow ..."
        ("remind", "--now", "01.01.90-1234"),  # would be quoted in "not an ISO time"
        ("no-such-command", "610190-1234"),  # argparse would repeat it
    ):
        result = run_cli(*args, env=env)
        assert result.returncode == 2, args
        assert "ligner et CPR-nummer" in result.stderr
        assert not contains_cpr(result.stdout + result.stderr)
    assert not (tmp_path / "db.sqlite3").exists()  # refused before the database was opened
    # The installed command as a process: refused with exit status 2 before anything runs.
    result = run_process("chat", env={**env, "PRAKTIKBOT_USER": "01 01 90 1234"})
    assert result.returncode == 2 and "Brugernavnet ligner et CPR-nummer" in result.stderr
