"""Block Kit for forms: a conversation's steps as one Slack modal, within Slack's limits.

A form is another surface for the same conversation (the engine's `Form`: the steps that
apply now, with the answers so far). Each step is an input block chosen by its kind; an
input that other questions read (`FormField.dispatch`) dispatches its changes, so the form
is redrawn with the steps, options and texts that follow from it (`views.update`). The
block id names the field and the options it was drawn with: Slack keeps what was typed
in an input across an update while its block id stays, and starts afresh when the options
changed.

Slack's limits: at most 100 blocks in a view (answered fields are left out first, then
the last fields wait for the next page), a title of at most 24 characters, and
private_metadata of at most 3,000 — it holds only the conversation's key; the answers are
in the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.blocks import ids
from bot.blocks.kit import (
    FEW_OPTIONS,
    INPUT_LABEL,
    SECTION_LIMIT,
    SELECT_OPTIONS,
    TEXT_INPUT,
    VIEW_BLOCKS,
    VIEW_TITLE,
    Block,
    actions,
    button,
    context,
    cut,
    escape,
    header,
    plain,
    section,
    sections,
)
from bot.blocks.kit import option as kit_option
from bot.slack.render import SUMMARY_DISPLAY, start_value
from dialogues.model import Flow, Option
from dialogues.state import Form, FormField, Prompt

MAX_RADIO = 5  # more options: a select (more than FEW_OPTIONS check boxes: a multi select)
MULTILINE_FROM = 150  # text answers that may be longer get a multi-line input

OFFER = "Udfyld som formular"
SUBMIT = "Videre"
SAVE = "Gem"
CLOSE = "Luk"
EDIT = "Ret svar"
HINT = (
    "Skriv aldrig CPR-numre. Du kan lukke formularen og fortsætte i tråden i din DM med "
    "botten - de gyldige svar er gemt."
)
MORE = "Der er kommet flere spørgsmål til efter dine svar - udfyld dem nedenfor."
HIDDEN = "{n} besvarede spørgsmål vises ikke her (der er ikke plads); se dem i opsummeringen."
LATER = "Flere spørgsmål følger, når du trykker 'Videre'."
NO_OPTIONS = "Mulighederne afhænger af et tidligere svar - udfyld det først."
SUMMARY_HOW = "Tryk *Gem* for at gemme - eller *Ret svar* for at ændre noget."
LOADING = "Henter formularen …"
SAVED_NOTE = "Journalnotatet og resten står i tråden i din DM med botten."
IN_FORM = "Besvares i formularen."
CLOSED = "Formularen er lukket. Dine gyldige svar er gemt - fortsæt her i tråden."
NOT_SAVED = "Disse svar fra formularen er ikke gemt:"
PARENT = "*{title}* - udfyldes som formular. Luk formularen for at fortsætte her i tråden."

FIELD_BLOCK_ID = re.compile(
    rf"^{ids.FIELD_BLOCK}\|([a-z][a-z0-9_]{{0,59}}(?:\.[0-9]{{1,4}})?)\|([0-9a-f]{{0,8}})$"
)
KEY = re.compile(r"^slack:([A-Z][A-Z0-9]{1,30}):([0-9]{1,12}\.[0-9]{1,9})$")


def title(text: str) -> dict[str, Any]:
    return plain(text, VIEW_TITLE)


def key_parts(key: Any) -> tuple[str, str] | None:
    """(channel, thread ts) of a conversation key as the bot writes it, or None."""
    match = KEY.fullmatch(key) if isinstance(key, str) else None
    return (match.group(1), match.group(2)) if match else None


# --- offers --------------------------------------------------------------------------------


def offer_blocks(flow: Flow | None, prompt: Prompt | None) -> list[Block]:
    """'Udfyld som formular' under a question in the thread, for a flow offered as a form."""
    if flow is None or flow.menu is None or not flow.menu.form:
        return []
    if prompt is None or prompt.kind == "summary":
        return []
    return [actions("form_offer", [button(OFFER, ids.FORM_OPEN, "open")])]


def start_controls(flows: Sequence[Flow], prefix: str, praktik_id: int | None) -> list[Block]:
    """Home's 'Udfyld som formular' for the flows offered as a form: a button for one flow,
    a select naming them for several."""
    if not flows:
        return []
    action_id = f"{ids.FORM_START}:{prefix}"
    if len(flows) == 1:
        return [button(OFFER, action_id, start_value(flows[0].id, praktik_id))]
    return [
        {
            "type": "static_select",
            "action_id": action_id,
            "placeholder": plain(OFFER),
            "options": [
                kit_option(f.title, start_value(f.id, praktik_id)) for f in flows[:SELECT_OPTIONS]
            ],
        }
    ]


# --- the form ------------------------------------------------------------------------------


def block_id(field: FormField) -> str:
    return f"{ids.FIELD_BLOCK}|{field.field_id}|{field.options_key}"


def form_view(
    form: Form,
    *,
    key: str,
    notes: Mapping[str, str] | None = None,
    message: str | None = None,
) -> dict[str, Any]:
    """The form modal: the steps that apply now, each with its stored answer. `notes` are
    messages to show under fields (a value that was not taken while the form changed)."""
    notes = notes or {}
    head: list[Block] = sections(form.intro) if form.intro else []
    if message:
        head += sections(message)
    head.append(_context(HINT))
    drawn = [(f, _field_blocks(f, notes.get(f.field_id))) for f in form.fields]
    room = VIEW_BLOCKS - len(head) - 2  # a line about hidden and a line about later
    hidden = 0
    while sum(len(b) for _, b in drawn) > room and any(f.answered for f, _ in drawn):
        first = next(i for i, (f, _) in enumerate(drawn) if f.answered)
        drawn.pop(first)
        hidden += 1
    shown: list[Block] = []
    later = False
    for _, blocks in drawn:
        if len(shown) + len(blocks) > room:
            later = True
            break
        shown += blocks
    if hidden:
        head.append(_context(HIDDEN.format(n=hidden)))
    if later:
        shown.append(_context(LATER))
    return {
        "type": "modal",
        "callback_id": ids.FORM_VIEW,
        "title": title(form.title),
        "submit": plain(SUBMIT),
        "close": plain(CLOSE),
        "notify_on_close": True,
        "private_metadata": key,
        "blocks": head + shown,
    }


def _context(text: str, *, escaped: bool = False) -> Block:
    return context(text if escaped else escape(text))


def _field_blocks(field: FormField, note: str | None) -> list[Block]:
    prompt = field.prompt
    label, rest = label_and_rest(prompt)
    hint = "\n".join(part for part in (rest, prompt.help or "") if part)
    element = _element(field)
    blocks: list[Block]
    if element is None:
        missing = f"*{escape(label)}*\n_{escape(NO_OPTIONS)}_"
        blocks = [section(missing, block_id=block_id(field))]
    else:
        block: Block = {
            "type": "input",
            "block_id": block_id(field),
            "label": plain(label, INPUT_LABEL),
            "element": element,
            "optional": prompt.optional,
            "dispatch_action": field.dispatch,
        }
        if hint:
            block["hint"] = plain(hint, INPUT_LABEL)
        blocks = [block]
    long_options = [o for o in prompt.options if o.detail]
    if long_options and element is not None:
        listing = "\n".join(f"• {o.detail or o.label}" for o in prompt.options)
        blocks.append(_context(listing))
    for text in (field.warning, note):
        if text:
            blocks.append(_context(f"⚠ {text}"))
    return blocks


def label_and_rest(prompt: Prompt) -> tuple[str, str]:
    """A question as an input's label and the rest (its hint). Flow texts wrap long
    sentences over lines: the label runs on to the end of the sentence, and stops at a
    list, a blank line, or the line that names a for_each item."""
    lines = prompt.text.strip().split("\n")
    label = lines[0].strip()
    n = 1
    while (
        n < len(lines)
        and lines[n].strip()
        and not lines[n].lstrip().startswith(("•", "-", "*"))
        and not label.endswith((".", "?", "!", ":"))
        and not (prompt.item and prompt.item in label)
    ):
        label = f"{label} {lines[n].strip()}"
        n += 1
    return label or prompt.step_id, "\n".join(lines[n:]).strip()


def _option(option: Option) -> dict[str, Any]:
    return kit_option(option.label, option.value)


def _number_text(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def _element(field: FormField) -> dict[str, Any] | None:
    prompt = field.prompt
    action_id = ids.FORM_DISPATCH if field.dispatch else ids.FORM_FIELD
    kind, value = prompt.kind, field.value
    element: dict[str, Any]
    if kind in ("choice", "yesno"):
        options = list(prompt.options)
        if not options:
            return None
        # A suggestion is said in the hint, never pre-selected: an untouched input would
        # send it back as an answer the consultant did not give.
        chosen = {True: "ja", False: "nej"}.get(value, value) if kind == "yesno" else value
        element = _single_choice(options, chosen, action_id)
    elif kind == "multi":
        options = list(prompt.options)
        if not options:
            return None
        chosen_values = set(value) if isinstance(value, list) else set()
        if len(options) <= FEW_OPTIONS:
            element = {"type": "checkboxes", "action_id": action_id}
        else:
            element = {
                "type": "multi_static_select",
                "action_id": action_id,
                "placeholder": plain("Vælg en eller flere"),
            }
            options = options[:SELECT_OPTIONS]
        element["options"] = [_option(o) for o in options]
        initial = [_option(o) for o in options if o.value in chosen_values]
        if initial:
            element["initial_options"] = initial
    elif kind == "scale" and (prompt.max or 10) - (prompt.min or 1) < SELECT_OPTIONS:
        low, high = int(prompt.min or 1), int(prompt.max or 10)
        numbers = [Option(value=str(n), label=str(n)) for n in range(low, high + 1)]
        element = _single_choice(numbers, str(value) if value is not None else None, action_id)
    elif kind in ("number", "scale"):
        element = {
            "type": "number_input",
            "action_id": action_id,
            "is_decimal_allowed": kind == "number",
        }
        if prompt.min is not None:
            element["min_value"] = _number_text(prompt.min)
        if prompt.max is not None:
            element["max_value"] = _number_text(prompt.max)
        if isinstance(value, int | float) and not isinstance(value, bool):
            element["initial_value"] = _number_text(value)
    elif kind == "date":
        element = {
            "type": "datepicker",
            "action_id": action_id,
            "placeholder": plain("Vælg en dato"),
        }
        if isinstance(value, str):
            element["initial_date"] = value
    else:
        limit = min(prompt.max_length or TEXT_INPUT, TEXT_INPUT)
        element = {
            "type": "plain_text_input",
            "action_id": action_id,
            "multiline": limit > MULTILINE_FROM,
            "max_length": limit,
        }
        if isinstance(value, str) and value:
            element["initial_value"] = value[:limit]
    return element


def _single_choice(options: list[Option], chosen: Any, action_id: str) -> dict[str, Any]:
    element: dict[str, Any]
    if len(options) <= MAX_RADIO:
        element = {"type": "radio_buttons", "action_id": action_id}
    else:
        element = {"type": "static_select", "action_id": action_id, "placeholder": plain("Vælg")}
        options = options[:SELECT_OPTIONS]
    element["options"] = [_option(o) for o in options]
    match = next((o for o in options if o.value == chosen), None)
    if match is not None:
        element["initial_option"] = _option(match)
    return element


# --- what Slack sends back -------------------------------------------------------------------


def form_values(view: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """(values, option keys, block ids) by field id, read from a form view's state as Slack
    sends it (submitted, changed or closed): text and numbers as typed, an option's value,
    a list of values, a date; None where the field is empty."""
    values: dict[str, Any] = {}
    keys: dict[str, str] = {}
    blocks: dict[str, str] = {}
    state = (view.get("state") or {}).get("values") or {}
    for block, elements in state.items():
        match = FIELD_BLOCK_ID.fullmatch(block) if isinstance(block, str) else None
        if match is None or not isinstance(elements, dict):
            continue
        element = elements.get(ids.FORM_FIELD) or elements.get(ids.FORM_DISPATCH)
        if not isinstance(element, dict):
            continue
        field_id = match.group(1)
        values[field_id] = _raw(element)
        keys[field_id] = match.group(2)
        blocks[field_id] = block
    return values, keys, blocks


def _raw(element: Mapping[str, Any]) -> Any:
    kind = element.get("type")
    if kind in ("radio_buttons", "static_select"):
        return (element.get("selected_option") or {}).get("value")
    if kind in ("checkboxes", "multi_static_select"):
        return [o.get("value") for o in element.get("selected_options") or []]
    if kind == "datepicker":
        return element.get("selected_date")
    return element.get("value")


# --- the summary and what it tells ------------------------------------------------------------


def summary_view(form: Form, *, key: str) -> dict[str, Any]:
    """The summary of a complete form, as the thread shows it: Gem saves, Ret svar goes back."""
    summary = form.summary
    assert summary is not None
    head = summary.text.split("\n", 1)[0]
    blocks: list[Block] = [header(head)]
    lines = []
    for item in summary.summary:
        shown = cut(item.display, SUMMARY_DISPLAY)
        lines.append(f"*{escape(item.label)}*\n{escape(shown)}")
    blocks += _grouped(lines)
    warnings = [escape(line) for line in summary.text.split("\n") if line.startswith("⚠")]
    blocks += _grouped(warnings)
    blocks = blocks[: VIEW_BLOCKS - 2]
    blocks.append(_context(SUMMARY_HOW, escaped=True))
    blocks.append(actions("form_summary", [button(EDIT, ids.FORM_EDIT, "edit")]))
    return {
        "type": "modal",
        "callback_id": ids.FORM_SUMMARY,
        "title": title(form.title),
        "submit": plain(SAVE),
        "close": plain(CLOSE),
        "notify_on_close": True,
        "private_metadata": key,
        "blocks": blocks,
    }


def _grouped(lines: Sequence[str], limit: int = SECTION_LIMIT) -> list[Block]:
    """Lines in as few sections as fit (a blank line between them)."""
    blocks: list[Block] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n\n{line}" if current else line
        if current and len(candidate) > limit:
            blocks.append(section(current))
            current = line
        else:
            current = candidate
    if current:
        blocks.append(section(current[:limit]))
    return blocks


def info_view(heading: str, lines: Sequence[str], *, note: str | None = None) -> dict[str, Any]:
    """A modal that only tells: loading, saved, refused or ended."""
    blocks = sections("\n\n".join(lines) or heading)[: VIEW_BLOCKS - 1]
    if note:
        blocks.append(_context(note))
    return {
        "type": "modal",
        "callback_id": ids.FORM_INFO,
        "title": title(heading),
        "close": plain(CLOSE),
        "blocks": blocks,
    }


def loading_view() -> dict[str, Any]:
    return info_view("praktikbot", [LOADING])


def in_form_blocks(question: str) -> list[Block]:
    """A thread question that is now answered in the form."""
    first = question.split("\n", 1)[0]
    return [*sections(f"*{escape(first)}*", escaped=True), _context(IN_FORM)]


def not_saved_lines(form: Form | None, errors: Mapping[str, str]) -> list[str]:
    """What a closed form could not keep, by the field's label (never the typed value)."""
    if not errors:
        return []
    labels = {f.field_id: label_and_rest(f.prompt)[0] for f in (form.fields if form else ())}
    lines = [NOT_SAVED]
    for field_id, message in errors.items():
        lines.append(f"• {labels.get(field_id, field_id)}: {message}")
    return lines
