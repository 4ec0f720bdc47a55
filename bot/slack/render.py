"""Block Kit for prompts, answers, summaries, notes and lists, within Slack's limits.

Built with `bot.blocks.kit` (limits, escaping, splitting long text and messages): what a
user typed or a flow interpolated is escaped before it goes into mrkdwn.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.blocks import ids
from bot.blocks.kit import (
    FEW_OPTIONS,
    ID_LENGTH,
    OPTION_TEXT,
    SECTION_LIMIT,
    SELECT_OPTIONS,
    Block,
    action_rows,
    actions,
    button,
    chunks,
    context,
    cut,
    escape,
    header,
    mrkdwn,
    plain,
    section,
    sections,
)
from bot.blocks.kit import option as kit_option
from dialogues.dates import format_danish_date
from dialogues.model import Flow, Option
from dialogues.registry import offered
from dialogues.state import Prompt

MAX_BUTTON_OPTIONS = 5
SUMMARY_DISPLAY = 2700  # an answer in a summary (its label and markup around it)
# A line of a question that is an item of a list, not part of the question itself.
LIST_ITEM = re.compile(r"^\s*(?:[•◦▪\-–]\s|\d{1,3}[.)]\s)")

COMMAND_LABELS = {"back": "Tilbage", "skip": "Spring over", "cancel": "Afbryd", "help": "Hjælp"}


def bold_lines(text: str) -> str:
    """A question as mrkdwn: Slack does not carry bold across a line break, so each line
    is bold on its own. List items (•, -, 1.) and blank lines stay plain. Escaped here:
    pass the text as written, never already escaped."""
    lines = []
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or LIST_ITEM.match(line):
            lines.append(escape(line.rstrip()))
        else:
            lines.append(f"*{escape(stripped)}*")
    return "\n".join(lines)


# --- prompts ---------------------------------------------------------------------------


def _button(text: str, action_id: str, value: str, *, primary: bool = False) -> Block:
    return button(text, action_id, value, style="primary" if primary else None)


def full_text(option: Option) -> str:
    """An option's whole text (its label may be a shortened form of it)."""
    return option.detail or option.label


def cut_options(options: Sequence[Option]) -> bool:
    """True when Slack cannot show some option's whole text on its button or check box."""
    return any(o.detail or len(o.label) > OPTION_TEXT for o in options)


def _option(option: Option, number: int | None = None) -> Block:
    """A select or check-box option; with `number`, its text starts with it (the number
    to type in the thread, and to find the whole text in the list above)."""
    text = full_text(option) if number is not None else option.label
    return kit_option(f"{number}. {text}" if number is not None else text, option.value)


def _question_block_id(prompt: Prompt) -> str:
    return f"{ids.QUESTION_BLOCK}|{prompt.step_id}"[:ID_LENGTH]


def numbered(prompt: Prompt) -> bool:
    """Whether the options are shown with their numbers: always for check boxes (the hint
    says to type the numbers), and wherever a label is cut (the whole texts are listed,
    numbered, above the buttons)."""
    return prompt.kind == "multi" or cut_options(prompt.options)


def _answer_elements(prompt: Prompt) -> list[Block]:
    options = list(prompt.options)
    kind = prompt.kind
    numbers = numbered(prompt)

    def number(n: int) -> int | None:
        return n + 1 if numbers else None

    confirms = ("confirm_date", "confirm_sensitive", "confirm_answers")
    if (kind in ("choice", "yesno") or kind in confirms) and len(options) <= MAX_BUTTON_OPTIONS:
        return [
            _button(
                f"{n + 1}. {full_text(o)}" if numbers else o.label,
                f"{ids.ANSWER}:{n}",
                o.value,
                primary=o.value == prompt.suggested,
            )
            for n, o in enumerate(options)
        ]
    if kind == "choice":
        select: Block = {
            "type": "static_select",
            "action_id": ids.ANSWER_SELECT,
            "placeholder": plain("Vælg"),
            "options": [_option(o, number(n)) for n, o in enumerate(options[:SELECT_OPTIONS])],
        }
        suggested = next(
            (n for n, o in enumerate(options[:SELECT_OPTIONS]) if o.value == prompt.suggested), None
        )
        if suggested is not None:
            select["initial_option"] = _option(options[suggested], number(suggested))
        return [select]
    if kind == "scale":
        low, high = int(prompt.min or 1), int(prompt.max or 10)
        if high - low < 25:
            return [_button(str(n), f"{ids.ANSWER}:{n}", str(n)) for n in range(low, high + 1)]
    if kind == "date":
        picker: Block = {
            "type": "datepicker",
            "action_id": ids.ANSWER_DATE,
            "placeholder": plain("Vælg en dato"),
        }
        if prompt.suggested is None:
            return [picker]
        # The suggested date as a button: a date picker set to it could not be chosen
        # (Slack sends an action only when the picked date changes).
        day = format_danish_date(dt.date.fromisoformat(prompt.suggested))
        return [_button(day, f"{ids.ANSWER}:0", prompt.suggested, primary=True), picker]
    if kind == "multi":
        element: Block
        if len(options) <= FEW_OPTIONS:
            element = {
                "type": "checkboxes",
                "action_id": ids.MULTI_INPUT,
                "options": [_option(o, n + 1) for n, o in enumerate(options)],
            }
        else:
            element = {
                "type": "multi_static_select",
                "action_id": ids.MULTI_INPUT,
                "placeholder": plain("Vælg en eller flere"),
                "options": [_option(o, n + 1) for n, o in enumerate(options[:SELECT_OPTIONS])],
            }
        return [element, _button("Videre", ids.MULTI_SUBMIT, "submit", primary=True)]
    return []


HINTS = {
    "text": "Svar ved at skrive i tråden.",
    "number": "Svar med et tal i tråden.",
    "date": "Vælg datoen, eller skriv den i tråden (fx 'næste fredag', '15/3').",
    "scale": "Klik på et tal, eller skriv det i tråden.",
    "multi": "Sæt kryds og klik 'Videre' - eller skriv numrene i tråden (fx 1, 3).",
    "confirm_sensitive": "Klik 'Gem som skrevet', eller skriv et nyt svar i tråden.",
}


def prompt_blocks(prompt: Prompt) -> list[Block]:
    """The message that asks one question."""
    if prompt.kind == "summary":
        return summary_blocks(prompt)
    text = prompt.text
    if prompt.item_position is not None:
        text = f"({prompt.item_position[0]} af {prompt.item_position[1]}) {text}"
    blocks: list[Block] = sections(bold_lines(text), escaped=True)
    if cut_options(prompt.options):
        # Slack cuts a button's or check box's text at 75 characters: the whole texts
        # here, with the numbers the buttons and boxes carry.
        listing = "\n".join(f"{n}. {full_text(o)}" for n, o in enumerate(prompt.options, 1))
        blocks += sections(listing)
    elements = _answer_elements(prompt)
    if elements:
        blocks.append(actions(_question_block_id(prompt), elements))
    lines: list[str] = []
    if prompt.kind in HINTS and not (prompt.kind == "scale" and not elements):
        lines.append(HINTS[prompt.kind])
    elif prompt.kind == "scale":
        lines.append(HINTS["number"])
    if prompt.current is not None:
        lines.append(f"Tidligere svar: {prompt.current}")
    if prompt.last_time is not None:
        lines.append(prompt.last_time)
    if lines:
        blocks.append({"type": "context", "elements": [mrkdwn(escape(c)) for c in lines]})
    blocks.append(command_block(prompt))
    return blocks


def command_block(prompt: Prompt) -> Block:
    commands = []
    if prompt.can_go_back:
        commands.append("back")
    if prompt.optional:
        commands.append("skip")
    commands += ["cancel", "help"]
    # The value names the step too: a second "Tilbage" or "Spring over" is stale.
    return actions(
        "commands",
        [
            _button(COMMAND_LABELS[c], f"{ids.COMMAND}:{c}", f"{c}|{prompt.step_id}")
            for c in commands
        ],
    )


def summary_blocks(prompt: Prompt) -> list[Block]:
    title = prompt.text.split("\n", 1)[0]
    blocks: list[Block] = [header(title)]
    for n, item in enumerate(prompt.summary):
        display = cut(item.display, SUMMARY_DISPLAY)
        edit = _button("Ret", f"{ids.EDIT}:{n}", item.step_id) if item.editable else None
        text = f"*{escape(item.label)}*\n{escape(display)}"
        blocks.append(section(text, block_id=f"sum|{n}", accessory=edit))
    warnings = [line for line in prompt.text.split("\n") if line.startswith("⚠")]
    for warning in warnings:
        blocks += sections(warning)
    blocks.append(
        actions(
            "summary",
            [
                _button("Gem", ids.CONFIRM, "confirm", primary=True),
                _button("Afbryd", f"{ids.COMMAND}:cancel", "cancel"),
            ],
        )
    )
    return blocks


def answered_blocks(question: str, answer: str) -> list[Block]:
    """A question message once answered: the question, the answer, no buttons."""
    blocks = sections(bold_lines(question), escaped=True)
    blocks += sections(f"✅ {escape(answer)}", escaped=True)
    return blocks


def superseded_blocks(question: str) -> list[Block]:
    """A question message that was asked again further down (or left)."""
    blocks = sections(bold_lines(question), escaped=True)
    blocks.append(context("Se nedenfor i tråden."))
    return blocks


def note_blocks(title: str, note: str) -> list[Block]:
    """A case-note draft in code blocks, so it copies as plain text."""
    blocks: list[Block] = [section(escape(title))]
    for part in chunks(escape(note), SECTION_LIMIT - 8):
        blocks.append(section(f"```{part}```"))
    return blocks


# --- lists and menus ---------------------------------------------------------------------


def start_value(flow_id: str, praktik_id: int | None) -> str:
    return json.dumps({"flow": flow_id, "praktik": praktik_id})


def start_buttons(flows: Sequence[Flow], prefix: str, praktik_id: int | None) -> list[Block]:
    """A button per flow that starts it (about `praktik_id`, if given); the first of a
    row without a praktik is the primary one."""
    return [
        _button(
            flow.title,
            f"{ids.START}:{prefix}{n}",
            start_value(flow.id, praktik_id),
            primary=n == 0 and praktik_id is None,
        )
        for n, flow in enumerate(flows)
    ]


def menu_blocks(text: str, flows: Mapping[str, Flow]) -> list[Block]:
    """Help text and the buttons that start each offered flow, in menu order."""
    return sections(text) + action_rows("menu", start_buttons(offered(flows), "", None))


def praktik_picker_blocks(
    flow_title: str, flow_id: str, rows: Sequence[tuple[int, str]]
) -> list[Block]:
    """Choose the praktik a flow is about (a select: up to 100 per message)."""
    blocks = sections(f"*{escape(flow_title)}*: hvilken praktik drejer det sig om?", escaped=True)
    select = {
        "type": "static_select",
        "action_id": ids.PICK_PRAKTIK,
        "placeholder": plain("Vælg praktik"),
        "options": [
            kit_option(label, f"{flow_id}:{praktik_id}")
            for praktik_id, label in rows[:SELECT_OPTIONS]
        ],
    }
    blocks.append(actions(f"pick|{flow_id}", [select]))
    return blocks


# --- the dialogue tool: guide, proposals, corrections -------------------------------------


def guide_blocks(text: str, *, label: str, value: str) -> list[Block]:
    """The meeting guide as copyable text, and the button that records the meeting."""
    title, _, body = text.partition("\n")
    blocks: list[Block] = [header(title)]
    blocks += sections(body.strip("\n"))
    blocks.append(actions("guide", [_button(label, ids.CONTINUE, value, primary=True)]))
    return blocks


def without_actions(blocks: Sequence[Block], note: str) -> list[Block]:
    """A message after its button did its work: the buttons gone, what happened said."""
    kept = [b for b in blocks if b.get("type") != "actions"]
    return [*kept, context(escape(note))]


def proposal_blocks(proposal_id: int, text: str) -> list[Block]:
    value = str(proposal_id)
    return [
        *sections(text),
        actions(
            f"proposal|{proposal_id}",
            [
                _button("Ja, læg den ind", f"{ids.PROPOSAL}:accept", value, primary=True),
                _button("Nej tak", f"{ids.PROPOSAL}:decline", value),
            ],
        ),
    ]


def correct_value(*, conversation: int | None = None, praktik: int | None = None) -> str:
    return json.dumps({"conversation": conversation} if conversation else {"praktik": praktik})


def correct_block(conversation_id: int) -> Block:
    value = correct_value(conversation=conversation_id)
    return actions("correct", [_button("Ret et svar", ids.CORRECT, value)])


@dataclass(frozen=True)
class CorrectionChoice:
    """One saved answer in the picker (see bot.conversations.Correctable)."""

    conversation_id: int
    step_id: str
    label: str
    display: str
    group: str


def correction_picker_blocks(choices: Sequence[CorrectionChoice]) -> list[Block]:
    """Choose the saved answer to correct: grouped by saved conversation (≤ 100)."""
    groups: dict[str, list[Block]] = {}
    for choice in choices[:SELECT_OPTIONS]:
        option = kit_option(
            f"{choice.label}: {choice.display}", f"{choice.conversation_id}:{choice.step_id}"
        )
        groups.setdefault(choice.group, []).append(option)
    select: Block = {
        "type": "static_select",
        "action_id": ids.CORRECT_PICK,
        "placeholder": plain("Vælg svar"),
    }
    if len(groups) == 1:
        select["options"] = next(iter(groups.values()))
    else:
        select["option_groups"] = [
            {"label": plain(name), "options": options} for name, options in groups.items()
        ]
    return [
        *sections("*Ret et svar*: hvilket gemt svar vil du rette?", escaped=True),
        actions("correct_pick", [select]),
    ]


def group_name(flow_title: str, day: dt.date) -> str:
    return f"{flow_title} – {format_danish_date(day)}"
