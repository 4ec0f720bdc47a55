"""Slack's Block Kit limits, mrkdwn escaping and the small builders every surface uses.

The limits that slack_sdk's models check when a model is serialised are read from those
models, so what the bot cuts to is what the SDK (and the tests' Slack stand-in, which
validates every payload with them) accepts. The bot itself builds plain dicts: validating
through the models costs 12–33 times as much per message (README, "Dependencies
weighed"), and the builders below already cut every text and list to its limit.

Everything a user typed or a flow interpolated is escaped before it goes into mrkdwn.
Long text is split into sections of at most `SECTION_LIMIT` characters, and blocks into
messages of at most 50 blocks and `MESSAGE_CHAR_LIMIT` characters (Slack's undocumented
per-message total is about 13,000).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    Option,
    OverflowMenuElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

Block = dict[str, Any]
Style = Literal["primary", "danger"]

# --- Slack's limits --------------------------------------------------------------------
# Checked by slack_sdk.models (read from them):
SECTION_TEXT = SectionBlock.text_max_length  # 3000
SECTION_FIELDS = SectionBlock.fields_max_length  # 10
HEADER_TEXT = HeaderBlock.text_max_length  # 150
ACTIONS_ELEMENTS = ActionsBlock.elements_max_length  # 25 elements in an actions block
CONTEXT_ELEMENTS = ContextBlock.elements_max_length  # 10
BUTTON_TEXT = ButtonElement.text_max_length  # 75
BUTTON_VALUE = ButtonElement.value_max_length  # 2000
ID_LENGTH = ButtonElement.action_id_max_length  # 255: action_id, block_id, callback_id
SELECT_OPTIONS = StaticSelectElement.options_max_length  # 100
PLACEHOLDER_TEXT = StaticSelectElement.placeholder_max_length  # 150
OPTION_TEXT = Option.label_max_length  # 75
OPTION_VALUE = Option.value_max_length  # 150
OVERFLOW_OPTIONS = OverflowMenuElement.options_max_length  # 5
INPUT_LABEL = InputBlock.label_max_length  # 2000 (and the hint)
VIEW_TITLE = View.title_max_length  # 24 (and submit, close)
VIEW_BLOCKS = View.blocks_max_length  # 100 in a modal or a Home tab
PRIVATE_METADATA = View.private_metadata_max_length  # 3000
# Not checked by slack_sdk (the stand-in checks them):
MESSAGE_BLOCKS = 50
MESSAGE_TEXT = 13_000  # characters in one message's blocks (undocumented, bolt-js #2509)
FEW_OPTIONS = 10  # check boxes and radio buttons
TEXT_INPUT = 3000  # characters in a plain_text_input

# --- the bot's margins under them ------------------------------------------------------
SECTION_LIMIT = 2900  # a part of a long text: room for the markup put around it
MESSAGE_CHAR_LIMIT = 12_000  # of MESSAGE_TEXT, measured as the blocks' JSON


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- text objects and blocks -------------------------------------------------------------


def plain(text: str, limit: int = BUTTON_TEXT) -> Block:
    return {"type": "plain_text", "text": cut(text, limit), "emoji": True}


def mrkdwn(text: str) -> Block:
    """A mrkdwn text object of text that is already mrkdwn (escaped where it must be)."""
    return {"type": "mrkdwn", "text": text[:SECTION_TEXT]}


def section(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    """A section of mrkdwn (escaped by the caller), cut to Slack's limit."""
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    if accessory is not None:
        block["accessory"] = accessory
    return block


def fields(texts: Sequence[str]) -> Block:
    """A section of up to 10 mrkdwn fields (escaped by the caller)."""
    return {"type": "section", "fields": [mrkdwn(t) for t in texts[:SECTION_FIELDS]]}


def context(text: str) -> Block:
    """A context line of mrkdwn (escaped by the caller)."""
    return {"type": "context", "elements": [mrkdwn(text)]}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT)}


def button(text: str, action_id: str, value: str, *, style: Style | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": plain(text),
        "action_id": action_id,
        "value": value[:BUTTON_VALUE],
    }
    if style:
        element["style"] = style
    return element


def option(text: str, value: str) -> Block:
    """An option of a select, check boxes, radio buttons or an overflow menu."""
    return {"text": plain(text, OPTION_TEXT), "value": value[:OPTION_VALUE]}


def actions(block_id: str, elements: Sequence[Block]) -> Block:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def action_rows(block_id: str, elements: Sequence[Block]) -> list[Block]:
    """Elements in actions blocks of at most 25 (Slack's limit per block)."""
    return [
        actions(block_id if n == 0 else f"{block_id}|{n}", elements[n : n + ACTIONS_ELEMENTS])
        for n in range(0, len(elements), ACTIONS_ELEMENTS)
    ]


# --- long text and long messages -----------------------------------------------------------


def chunks(text: str, limit: int = SECTION_LIMIT) -> Iterator[str]:
    """Split text at line breaks (or hard, for one very long line) into parts ≤ limit."""
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                yield current
                current = ""
            yield line[:limit]
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            yield current
            current = line
        else:
            current = candidate
    if current.strip():
        yield current


def sections(text: str, *, escaped: bool = False) -> list[Block]:
    """Text in as many sections as it needs; escaped here unless `escaped`."""
    body = text if escaped else escape(text)
    return [section(part) for part in chunks(body)]


def mrkdwn_sections(text: str) -> list[Block]:
    """Sections for text the bot wrote itself (already valid mrkdwn)."""
    return sections(text, escaped=True)


def block_text_length(blocks: Sequence[Block]) -> int:
    return len(json.dumps(blocks, ensure_ascii=False))


def split_messages(blocks: Sequence[Block], *, reserve: int = 0) -> list[list[Block]]:
    """Group blocks into as few messages as Slack's per-message limits allow, leaving room
    for `reserve` blocks the caller adds to each message."""
    room = MESSAGE_BLOCKS - reserve
    messages: list[list[Block]] = []
    current: list[Block] = []
    size = 0
    for block in blocks:
        length = block_text_length([block])
        if current and (len(current) >= room or size + length > MESSAGE_CHAR_LIMIT):
            messages.append(current)
            current, size = [], 0
        current.append(block)
        size += length
    if current:
        messages.append(current)
    return messages


def fallback_text(text: str) -> str:
    """The notification text of a message (shown where blocks are not)."""
    first = text.strip().split("\n", 1)[0]
    return first[:HEADER_TEXT] or "praktikbot"
