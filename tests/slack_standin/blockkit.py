"""Block Kit validation for the Slack stand-in.

slack_sdk's models already check most per-field limits when a model is serialised
(``Block.parse(...).to_dict()`` raises ``SlackObjectFormationError``): section text 3000
and 10 fields, header text 150, 25 elements per actions block and 10 per context block,
button text 75 / value 2000, action_id and block_id 255, 100 options in a static select,
modal title/submit/close 24, private_metadata 3000 and callback_id 255.

What slack_sdk leaves unchecked is added here: unknown block and element types (the
sdk drops them with a log line), blocks per message (50) and per view (100), duplicate
block_id in one message or view, duplicate action_id in one block, option text 75 and
value 150 (the sdk keeps static-select options as raw dicts), empty text objects, the
~13,000 characters of text in one message's blocks, a modal's title and submit button, and
the inputs of a form: radio buttons and check boxes offer 1 to 10 options, an initial
option is one of the options (initial options a subset), a text input holds at most 3,000
characters and its initial value fits, a number input says whether decimals are allowed
and its limits and initial value are numbers in order, a date is YYYY-MM-DD, and an input
block has a label, an element and a boolean dispatch_action.

Each error string ends with a ``[json-pointer:/...]`` hint, as Slack's own messages do.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from slack_sdk.models.blocks import Block, BlockElement
from slack_sdk.models.views import View

SURFACE_MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
MESSAGE_TEXT_LIMIT = 40_000
# Undocumented cumulative limit (bolt-js #2509); Slack answers msg_blocks_too_long.
MESSAGE_BLOCKS_TEXT_LIMIT = 13_000
BLOCKS_TOO_LONG_PREFIX = "msg_blocks_too_long:"
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
TEXT_OBJECT_TYPES = frozenset({"plain_text", "mrkdwn"})
FEW_OPTIONS_MAX = 10  # radio buttons and check boxes
TEXT_INPUT_MAX = 3000
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def validate_blocks(blocks: list[dict[str, Any]], *, surface: str) -> list[str]:
    """Return human-readable errors for ``blocks`` on ``surface`` (message, modal, home)."""
    if surface not in SURFACE_MAX_BLOCKS:
        raise ValueError(f"unknown surface {surface!r}")
    if not isinstance(blocks, list):
        return ["blocks must be an array [json-pointer:/blocks]"]
    errors: list[str] = []
    limit = SURFACE_MAX_BLOCKS[surface]
    if len(blocks) > limit:
        errors.append(
            f"no more than {limit} items allowed, got {len(blocks)} [json-pointer:/blocks]"
        )
    seen_block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        errors.extend(_block_errors(block, f"/blocks/{index}", seen_block_ids))
    if surface == "message":
        total = blocks_text_length(blocks)
        if total > MESSAGE_BLOCKS_TEXT_LIMIT:
            errors.append(
                f"{BLOCKS_TOO_LONG_PREFIX} the blocks carry {total} characters of text, "
                f"more than about {MESSAGE_BLOCKS_TEXT_LIMIT} [json-pointer:/blocks]"
            )
    return errors


def validate_view(view: dict[str, Any]) -> list[str]:
    """Return human-readable errors for a modal or home ``view`` payload."""
    if not isinstance(view, dict):
        return ["view must be an object [json-pointer:/view]"]
    view_type = view.get("type")
    if view_type not in ("modal", "home"):
        return [f"type must be modal or home, got {view_type!r} [json-pointer:/view/type]"]
    errors: list[str] = []
    head = {key: value for key, value in view.items() if key != "blocks"}
    try:
        model = View(**copy.deepcopy(head))
        model.blocks = None  # type: ignore[assignment]  # blocks are checked one by one below
        model.to_dict()
    except Exception as exc:  # the sdk raises whatever malformed input provokes
        errors.append(f"{exc} [json-pointer:/view]")
    if view_type == "modal" and not _text_of(view.get("title")):
        errors.append("a modal needs a title [json-pointer:/view/title]")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        errors.append("views must contain between 1 and 100 blocks [json-pointer:/view/blocks]")
        return errors
    errors.extend(
        error.replace("[json-pointer:/blocks", "[json-pointer:/view/blocks")
        for error in validate_blocks(blocks, surface=view_type)
    )
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if view_type == "modal" and has_input and not _text_of(view.get("submit")):
        errors.append("a modal with input blocks needs a submit button [json-pointer:/view/submit]")
    return errors


def blocks_text_length(value: Any) -> int:
    """Sum the lengths of every ``text`` string anywhere in ``value``."""
    if isinstance(value, list):
        return sum(blocks_text_length(item) for item in value)
    if not isinstance(value, dict):
        return 0
    total = 0
    for key, item in value.items():
        if key == "text" and isinstance(item, str):
            total += len(item)
        else:
            total += blocks_text_length(item)
    return total


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return str(value["text"])
    return ""


def _block_errors(block: Any, ptr: str, seen_block_ids: set[str]) -> list[str]:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return [f"each block must be an object with a type [json-pointer:{ptr}]"]
    errors: list[str] = []
    block_id = block.get("block_id")
    if isinstance(block_id, str):
        if block_id in seen_block_ids:
            errors.append(f"duplicate block_id {block_id!r} [json-pointer:{ptr}/block_id]")
        seen_block_ids.add(block_id)
    errors.extend(_sdk_block_errors(block, ptr))
    errors.extend(_text_object_errors(block, ptr))
    if block["type"] in ("section", "header") and isinstance(block.get("text"), str):
        errors.append(f"text must be a text object, not a string [json-pointer:{ptr}/text]")
    header_text = block.get("text")
    if (
        block["type"] == "header"
        and isinstance(header_text, dict)
        and header_text.get("type") != "plain_text"
    ):
        errors.append(f"header text must be plain_text [json-pointer:{ptr}/text/type]")
    errors.extend(_element_errors(block, ptr))
    if block["type"] == "input":
        errors.extend(_input_block_errors(block, ptr))
    return errors


def _input_block_errors(block: dict[str, Any], ptr: str) -> Iterator[str]:
    if not isinstance(block.get("label"), dict):
        yield f"an input block needs a label [json-pointer:{ptr}/label]"
    if not isinstance(block.get("element"), dict):
        yield f"an input block needs an element [json-pointer:{ptr}/element]"
    for flag in ("dispatch_action", "optional"):
        if flag in block and not isinstance(block[flag], bool):
            yield f"{flag} must be a boolean [json-pointer:{ptr}/{flag}]"


def _same_option(a: Any, b: Any) -> bool:
    return (
        isinstance(a, dict)
        and isinstance(b, dict)
        and a.get("value") == b.get("value")
        and _text_of(a.get("text")) == _text_of(b.get("text"))
    )


def _form_element_errors(element: dict[str, Any], eptr: str) -> Iterator[str]:
    """Rules Slack applies to form inputs that slack_sdk's models do not check."""
    kind = element["type"]
    options = element.get("options")
    options = options if isinstance(options, list) else []
    if kind in ("radio_buttons", "checkboxes") and not 1 <= len(options) <= FEW_OPTIONS_MAX:
        yield f"{kind} take 1 to {FEW_OPTIONS_MAX} options [json-pointer:{eptr}/options]"
    initial = element.get("initial_option")
    if initial is not None and options and not any(_same_option(initial, o) for o in options):
        yield f"initial_option must be one of the options [json-pointer:{eptr}/initial_option]"
    initials = element.get("initial_options")
    initials = initials if isinstance(initials, list) else []
    if options and not all(any(_same_option(i, o) for o in options) for i in initials):
        yield f"initial_options must be among the options [json-pointer:{eptr}/initial_options]"
    if kind == "plain_text_input":
        limit = element.get("max_length", TEXT_INPUT_MAX)
        if not isinstance(limit, int) or not 1 <= limit <= TEXT_INPUT_MAX:
            yield f"max_length must be 1 to {TEXT_INPUT_MAX} [json-pointer:{eptr}/max_length]"
        elif len(str(element.get("initial_value") or "")) > limit:
            yield f"initial_value is longer than max_length [json-pointer:{eptr}/initial_value]"
    if kind == "number_input":
        yield from _number_input_errors(element, eptr)
    if kind == "datepicker" and "initial_date" in element:
        try:
            dt.date.fromisoformat(str(element["initial_date"]))
        except ValueError:
            yield f"initial_date must be YYYY-MM-DD [json-pointer:{eptr}/initial_date]"


def _number_input_errors(element: dict[str, Any], eptr: str) -> Iterator[str]:
    decimals = element.get("is_decimal_allowed")
    if not isinstance(decimals, bool):
        yield f"is_decimal_allowed is required [json-pointer:{eptr}/is_decimal_allowed]"
        return
    numbers: dict[str, float] = {}
    for key in ("min_value", "max_value", "initial_value"):
        if key not in element:
            continue
        text = element[key]
        if not isinstance(text, str) or not NUMBER.fullmatch(text):
            yield f"{key} must be a number as text [json-pointer:{eptr}/{key}]"
        elif not decimals and "." in text:
            yield f"{key} must be a whole number [json-pointer:{eptr}/{key}]"
        else:
            numbers[key] = float(text)
    low, high = numbers.get("min_value"), numbers.get("max_value")
    if low is not None and high is not None and low > high:
        yield f"min_value is above max_value [json-pointer:{eptr}/min_value]"
    value = numbers.get("initial_value")
    if value is not None and (
        (low is not None and value < low) or (high is not None and value > high)
    ):
        yield f"initial_value is outside min_value..max_value [json-pointer:{eptr}/initial_value]"


def _sdk_block_errors(block: dict[str, Any], ptr: str) -> list[str]:
    try:
        parsed = Block.parse(copy.deepcopy(block))
        if parsed is None:
            return [f"unsupported block type {block['type']!r} [json-pointer:{ptr}/type]"]
        parsed.to_dict()
    except Exception as exc:  # SlackObjectFormationError, or TypeError/KeyError on bad shapes
        return [f"{type(exc).__name__}: {exc} [json-pointer:{ptr}]"]
    return []


def _text_object_errors(value: Any, ptr: str) -> Iterator[str]:
    """Every plain_text/mrkdwn object needs a non-empty text string."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _text_object_errors(item, f"{ptr}/{index}")
        return
    if not isinstance(value, dict):
        return
    if value.get("type") in TEXT_OBJECT_TYPES:
        text = value.get("text")
        if not isinstance(text, str) or not text:
            yield f"must be more than 0 characters [json-pointer:{ptr}/text]"
        return
    for key, item in value.items():
        yield from _text_object_errors(item, f"{ptr}/{key}")


def _elements(block: dict[str, Any], ptr: str) -> Iterator[tuple[str, Any]]:
    block_type = block["type"]
    if block_type == "section" and "accessory" in block:
        yield f"{ptr}/accessory", block["accessory"]
    elif block_type == "input" and "element" in block:
        yield f"{ptr}/element", block["element"]
    elif block_type in ("actions", "context") and isinstance(block.get("elements"), list):
        for index, element in enumerate(block["elements"]):
            yield f"{ptr}/elements/{index}", element


def _element_errors(block: dict[str, Any], ptr: str) -> list[str]:
    errors: list[str] = []
    action_ids: set[str] = set()
    for eptr, element in _elements(block, ptr):
        if not isinstance(element, dict) or not isinstance(element.get("type"), str):
            errors.append(f"each element must be an object with a type [json-pointer:{eptr}]")
            continue
        element_type = element["type"]
        text_here = element_type in TEXT_OBJECT_TYPES and block["type"] != "context"
        if text_here or _parse_element(element) is None:
            errors.append(f"unsupported element type {element_type!r} [json-pointer:{eptr}/type]")
        action_id = element.get("action_id")
        if isinstance(action_id, str):
            if action_id in action_ids:
                errors.append(f"duplicate action_id {action_id!r} [json-pointer:{eptr}/action_id]")
            action_ids.add(action_id)
        errors.extend(_option_errors(element, eptr))
        errors.extend(_form_element_errors(element, eptr))
    return errors


def _parse_element(element: dict[str, Any]) -> object | None:
    try:
        return BlockElement.parse(copy.deepcopy(element))
    except Exception:  # malformed known element: the sdk check already reported it
        return element


def _option_errors(element: dict[str, Any], eptr: str) -> Iterator[str]:
    for key in ("options", "initial_options"):
        options = element.get(key)
        if isinstance(options, list):
            for index, option in enumerate(options):
                yield from _one_option_errors(option, f"{eptr}/{key}/{index}")
    if "initial_option" in element:
        yield from _one_option_errors(element["initial_option"], f"{eptr}/initial_option")
    groups = element.get("option_groups")
    if isinstance(groups, list):
        for gindex, group in enumerate(groups):
            options = group.get("options") if isinstance(group, dict) else None
            if isinstance(options, list):
                for index, option in enumerate(options):
                    yield from _one_option_errors(
                        option, f"{eptr}/option_groups/{gindex}/options/{index}"
                    )


def _one_option_errors(option: Any, ptr: str) -> Iterator[str]:
    if not isinstance(option, dict):
        yield f"an option must be an object [json-pointer:{ptr}]"
        return
    text = _text_of(option.get("text"))
    if len(text) > OPTION_TEXT_MAX:
        yield f"option text must be at most {OPTION_TEXT_MAX} characters [json-pointer:{ptr}/text]"
    value = option.get("value")
    if not isinstance(value, str):
        yield f"option value is required [json-pointer:{ptr}/value]"
    elif len(value) > OPTION_VALUE_MAX:
        yield (
            f"option value must be at most {OPTION_VALUE_MAX} characters [json-pointer:{ptr}/value]"
        )
