"""One flow registry: a flow file's `menu` puts the flow in the terminal menu, Slack's help
text and menu buttons, the words of a DM and /praktik, Home and the assistant's prompts —
a new flow file appears everywhere without a line of Python."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.config import AppConfig
from dialogues.structure import FLOWS_DIR, FlowError, load_flows
from storage.db import Database
from storage.models import CaseNote, Conversation
from tests.cli_support import Chat
from tests.db_support import rows
from tests.slack_harness import SlackBot, button_labelled, message_text, running_bot
from tests.slack_standin import SlackStandIn

ROOT = Path(__file__).resolve().parent.parent
ANNA = "UANNA"

PHONE_NOTE = """\
# yaml-language-server: $schema=flow.schema.json
id: telefonnotat
title: Telefonnotat
description: Skriv et kort notat om en telefonsamtale med borger eller virksomhed.
menu:
  order: 35
  hint: skriv et kort notat om en samtale
  keywords: [notat, telefon]
  home: true
  prompt: true
note_title: Telefonnotat
on_complete: [case_note]
steps:
  - id: topic
    kind: text
    label: Emne
    text: Hvad handlede samtalen om?
    max_length: 500
"""


def flows_with_phone_note(tmp_path: Path) -> Path:
    """The shipped flows plus one new file; opfølgning gives up its assistant prompt
    (Slack has room for three flows besides the work list)."""
    directory = tmp_path / "flows"
    shutil.copytree(FLOWS_DIR, directory)
    (directory / "telefonnotat.yaml").write_text(PHONE_NOTE, encoding="utf-8")
    follow_up = directory / "opfoelgning.yaml"
    text = follow_up.read_text(encoding="utf-8")
    assert "  prompt: true\n" in text
    follow_up.write_text(text.replace("  prompt: true\n", ""), encoding="utf-8")
    return directory


# --- the terminal ------------------------------------------------------------------------


async def test_a_new_flow_file_is_in_the_terminal_menu(
    tmp_path: Path, db_url: str, db: Database
) -> None:
    directory = flows_with_phone_note(tmp_path)
    app_yaml = tmp_path / "app.yaml"
    app_yaml.write_text(
        (ROOT / "app.yaml").read_text(encoding="utf-8") + f"\nflows_dir: {directory}\n",
        encoding="utf-8",
    )
    term = await Chat.start(db_url, env={"PRAKTIKBOT_CONFIG": str(app_yaml)})
    menu = await term.expect("Afslut praktikbot")
    assert "  3) Opfølgning - udfyld opfølgningsskemaet\n" in menu
    assert "  4) Telefonnotat - skriv et kort notat om en samtale\n" in menu
    assert "  5) Ret periode" in menu and "  11) Afslut praktikbot" in menu
    await term.send("4", "Hvad handlede samtalen om?")
    await term.send("Opringning om arbejdstider", "Skriv 'gem'")
    out = await term.send("gem", "Hvad vil du gøre?")
    assert "Journalnotat – Telefonnotat" in out
    assert "Emne: Opringning om arbejdstider" in out
    await term.send("telefon", "Hvad handlede samtalen om?")  # a keyword works in the menu too
    await term.send("afbryd", "Hvad vil du gøre?")
    assert await term.close() == 0
    [note] = await rows(db, CaseNote)
    assert note.flow_id == "telefonnotat"


# --- Slack ---------------------------------------------------------------------------------


def new_threads(bot: SlackBot, user: str) -> list[dict[str, Any]]:
    return [
        m
        for m in bot.slack.messages[f"D{user}"]
        if m.get("user") == bot.slack.bot_user_id and not m.get("thread_ts")
    ]


async def test_a_new_flow_file_is_in_every_slack_surface(
    tmp_path: Path, slack: SlackStandIn, db: Database, config: AppConfig
) -> None:
    flows = load_flows(flows_with_phone_note(tmp_path))
    async with running_bot(slack, db, config, flows) as bot:
        # The help text and the menu buttons.
        root = await bot.dm(ANNA, "hjælp")
        menu = bot.last(ANNA, root)
        assert "• *notat* - skriv et kort notat om en samtale" in message_text(menu)
        buttons = [
            e["text"]["text"]
            for b in menu["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
        ]
        assert buttons == [
            "Ny praktik",
            "Forbered møde",
            "Opfølgning",
            "Telefonnotat",
            "Ret periode",
            "Tilføj opfølgning",
            "Afslutning",
            "Status efter praktik",
        ]
        await bot.click(ANNA, menu, button_labelled("Telefonnotat"))
        thread = new_threads(bot, ANNA)[-1]["ts"]
        assert "Hvad handlede samtalen om?" in bot.last_text(ANNA, thread)
        await bot.dm(ANNA, "Opringning om arbejdstider", thread_ts=thread)
        await bot.click_button(ANNA, bot.last(ANNA, thread), "Gem")
        assert "Emne: Opringning om arbejdstider" in bot.last_text(ANNA, thread)
        [note] = await rows(db, CaseNote)
        assert note.flow_id == "telefonnotat"

        # Its keywords in a DM and after /praktik.
        root = await bot.dm(ANNA, "Notat")
        assert "Hvad handlede samtalen om?" in bot.last_text(ANNA, root)
        response = await bot.command(ANNA, "telefon")
        assert "Jeg starter 'Telefonnotat'" in await response.text()
        await bot.wait_idle()
        assert "Hvad handlede samtalen om?" in message_text(bot.slack.messages["DUANNA"][-1])

        # Home: a flow about no praktik is a button at the top, next to Ny praktik (and
        # Ny praktik's form: Telefonnotat's file does not offer one). A start button points
        # to an open conversation of the same flow instead of starting a second: close the
        # two just opened first.
        for conversation in await rows(db, Conversation):
            if conversation.active_key is not None and conversation.thread_ts:
                await bot.dm(ANNA, "afbryd", thread_ts=conversation.thread_ts)
        await bot.event({"type": "app_home_opened", "user": ANNA, "tab": "home", "event_ts": "1"})
        await bot.wait_idle()
        home = bot.slack.home_views[ANNA]
        top = next(b for b in home["blocks"] if b.get("block_id") == "home_new")
        assert [e["text"]["text"] for e in top["elements"]] == [
            "Ny praktik",
            "Telefonnotat",
            "Udfyld som formular",
        ]
        before = len(new_threads(bot, ANNA))
        await bot.click(
            ANNA,
            {"ts": "0", "channel": "DUANNA", "blocks": home["blocks"]},
            button_labelled("Telefonnotat"),
        )
        assert len(new_threads(bot, ANNA)) == before + 1
        started = new_threads(bot, ANNA)[-1]["ts"]
        assert "Hvad handlede samtalen om?" in bot.last_text(ANNA, started)

        # The assistant's suggested prompts; the prompt's message starts the flow.
        assistant_thread = "1700000000.000009"
        await bot.event(
            {
                "type": "assistant_thread_started",
                "assistant_thread": {
                    "user_id": ANNA,
                    "channel_id": "DUANNA",
                    "thread_ts": assistant_thread,
                    "context": {},
                },
                "event_ts": "2.0",
            }
        )
        await bot.wait_idle()
        prompts = bot.slack.assistant_threads[("DUANNA", assistant_thread)]["prompts"]
        assert [p["title"] for p in prompts] == [
            "Ny praktik",
            "Forbered møde",
            "Telefonnotat",
            "Mine praktikker",
        ]
        greeting = message_text(bot.last(ANNA, assistant_thread))
        assert "*notat*" in greeting and "*tilføj opfølgning*" in greeting
        await bot.dm(ANNA, prompts[2]["message"], thread_ts=assistant_thread)
        assert "Hvad handlede samtalen om?" in bot.last_text(ANNA, assistant_thread)


async def test_every_shipped_flow_is_in_the_slack_menu_and_help(bot: SlackBot) -> None:
    """The drift of the hand-written lists is gone: the menu showed five of six flows."""
    root = await bot.dm(ANNA, "?")
    menu = bot.last(ANNA, root)
    titles = [flow.title for flow in bot.deps.flows.values()]
    buttons = [
        e["text"]["text"] for b in menu["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert sorted(buttons) == sorted(titles) and len(buttons) == 7
    text = message_text(menu)
    for flow in bot.deps.flows.values():
        assert flow.menu is not None
        assert f"• *{flow.menu.keywords[0]}* - {flow.menu.hint}" in text


# --- what the registry refuses ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "order: 35",
            "order: 30",
            "telefonnotat.yaml: menu: order 30 is taken by opfoelgning.yaml too",
        ),
        (
            "keywords: [notat, telefon]",
            "keywords: [notat, periode]",
            "ret_periode.yaml: menu: the word 'periode' starts telefonnotat.yaml too",
        ),
        (
            "keywords: [notat, telefon]",
            "keywords: [notat, Mine]",
            "telefonnotat.yaml: menu: the word 'mine' is the bot's own; choose another",
        ),
        (
            "title: Telefonnotat",
            "title: Afslut",
            "afslutning.yaml: menu: the word 'afslut' starts telefonnotat.yaml too",
        ),
    ],
)
def test_menu_places_and_words_are_taken_once(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    directory = flows_with_phone_note(tmp_path)
    path = directory / "telefonnotat.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    with pytest.raises(FlowError) as caught:
        load_flows(directory)
    assert [p.line for p in caught.value.problems] == [expected]


def test_at_most_three_flows_take_an_assistant_prompt(tmp_path: Path) -> None:
    directory = tmp_path / "flows"
    shutil.copytree(FLOWS_DIR, directory)
    (directory / "telefonnotat.yaml").write_text(PHONE_NOTE, encoding="utf-8")
    with pytest.raises(FlowError) as caught:
        load_flows(directory)
    assert caught.value.line == (
        "telefonnotat.yaml: menu: prompt is set on 4 flows (ny_praktik.yaml, "
        "forbered_moede.yaml, opfoelgning.yaml, telefonnotat.yaml); Slack's assistant panel "
        "has room for 3 besides the work list"
    )
