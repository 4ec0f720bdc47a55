"""Block Kit validation for the Slack stand-in.

slack_sdk's models already check most per-field limits when a model is serialised
(``Block.parse(...).to_dict()`` raises ``SlackObjectFormationError``): section text 3000
and 10 fields, header text 150, 25 elements per actions block and 10 per context block,
button text 75 / value 2000, action_id and block_id 255, 100 options in a static select,
and a view's private_metadata 3000 and callback_id 255.

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

The ``data_table`` and ``data_visualization`` blocks (Slack changelog 2026-05-20 and
2026-06-16; slack_sdk has no models for them) are checked here against
docs.slack.dev/reference/block-kit/blocks/data-table-block and
…/data-visualization-block: a data table has a caption, 2-101 rows (the first a header
that may not hold rich_text) of 1-20 cells each, every row as long as the header, cells
``raw_text`` {text}, ``raw_number`` {value, text} or ``rich_text``, ``page_size`` 1-100
and ``row_header_column_index`` a column; a data visualization has a title of at most 50
characters and a pie (1-6 segments {label, value}) or bar/area/line chart (1-6 series
with unique names, data points {label, value} whose labels are among
``axis_config.categories``); at most two data visualizations per message or view. A
workspace without them (``rich_blocks=False``) refuses both as unsupported block types.

Each error string ends with a ``[json-pointer:/...]`` hint, as Slack's own messages do.

A verdict is a function of the payload alone, so each distinct payload (and each
distinct block in it) is validated once per process: the verdicts are kept by a hash of
the payload's canonical JSON. The tests send the same menus, questions and buttons
thousands of times; slack_sdk's parsing of them was most of the stand-in's time.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
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


RICH_BLOCK_TYPES = frozenset({"data_table", "data_visualization"})
CHARTS_PER_SURFACE = 2
CHART_TITLE_MAX = 50
SERIES_MAX = 6
TABLE_ROWS = (2, 101)
TABLE_COLUMNS = (1, 20)


# Verdicts already given, by (what, surface, rich_blocks, hash of the canonical JSON).
_VERDICTS: dict[tuple[str, str, bool, str], tuple[str, ...]] = {}
# A block's own errors, by the hash of its canonical JSON, with _PTR for its position.
_BLOCK_VERDICTS: dict[str, tuple[str, ...]] = {}
_PTR = "\x00ptr\x00"


def _digest(value: Any) -> str | None:
    """A hash of `value`'s canonical JSON; None if it has none (or holds _PTR): not cached."""
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    if json.dumps(_PTR)[1:-1] in text:
        return None
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def validate_blocks(
    blocks: list[dict[str, Any]], *, surface: str, rich_blocks: bool = True
) -> list[str]:
    """Return human-readable errors for ``blocks`` on ``surface`` (message, modal or home).
    `rich_blocks`: the workspace has the data_table and data_visualization blocks."""
    digest = _digest(blocks)
    if digest is None:
        return _validate_blocks(blocks, surface=surface, rich_blocks=rich_blocks)
    key = ("blocks", surface, rich_blocks, digest)
    if key not in _VERDICTS:
        _VERDICTS[key] = tuple(_validate_blocks(blocks, surface=surface, rich_blocks=rich_blocks))
    return list(_VERDICTS[key])


def validate_view(view: dict[str, Any], *, rich_blocks: bool = True) -> list[str]:
    """Return human-readable errors for a modal or home ``view`` payload. `rich_blocks`:
    the workspace has the data_table and data_visualization blocks."""
    digest = _digest(view)
    if digest is None:
        return _validate_view(view, rich_blocks=rich_blocks)
    key = ("view", "", rich_blocks, digest)
    if key not in _VERDICTS:
        _VERDICTS[key] = tuple(_validate_view(view, rich_blocks=rich_blocks))
    return list(_VERDICTS[key])


def _validate_blocks(
    blocks: list[dict[str, Any]], *, surface: str, rich_blocks: bool = True
) -> list[str]:
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
    charts = 0
    for index, block in enumerate(blocks):
        ptr = f"/blocks/{index}"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind in RICH_BLOCK_TYPES:
            if not rich_blocks:
                errors.append(f"unsupported block type {kind!r} [json-pointer:{ptr}/type]")
                continue
            charts += kind == "data_visualization"
            errors.extend(_rich_block_errors(block, ptr, seen_block_ids))
            continue
        errors.extend(_block_errors(block, ptr, seen_block_ids))
    if charts > CHARTS_PER_SURFACE:
        errors.append(
            f"no more than {CHARTS_PER_SURFACE} data_visualization blocks allowed, got "
            f"{charts} [json-pointer:/blocks]"
        )
    if surface == "message":
        total = blocks_text_length(blocks)
        if total > MESSAGE_BLOCKS_TEXT_LIMIT:
            errors.append(
                f"{BLOCKS_TOO_LONG_PREFIX} the blocks carry {total} characters of text, "
                f"more than about {MESSAGE_BLOCKS_TEXT_LIMIT} [json-pointer:/blocks]"
            )
    return errors


def _validate_view(view: dict[str, Any], *, rich_blocks: bool = True) -> list[str]:
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
        for error in validate_blocks(blocks, surface=view_type, rich_blocks=rich_blocks)
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
    digest = _digest(block)
    if digest is None:
        return errors + _own_block_errors(block, ptr)
    if digest not in _BLOCK_VERDICTS:
        _BLOCK_VERDICTS[digest] = tuple(_own_block_errors(block, _PTR))
    return errors + [error.replace(_PTR, ptr) for error in _BLOCK_VERDICTS[digest]]


def _own_block_errors(block: dict[str, Any], ptr: str) -> list[str]:
    """A block's errors that depend on nothing but the block (and `ptr`, its position)."""
    errors: list[str] = []
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


# --- data_table and data_visualization ------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _rich_block_errors(block: dict[str, Any], ptr: str, seen_block_ids: set[str]) -> list[str]:
    errors: list[str] = []
    block_id = block.get("block_id")
    if block_id is not None:
        if not isinstance(block_id, str) or not 1 <= len(block_id) <= 255:
            errors.append(f"block_id must be 1-255 characters [json-pointer:{ptr}/block_id]")
        elif block_id in seen_block_ids:
            errors.append(f"duplicate block_id {block_id!r} [json-pointer:{ptr}/block_id]")
        else:
            seen_block_ids.add(block_id)
    if block["type"] == "data_table":
        allowed = {"type", "block_id", "caption", "rows", "page_size", "row_header_column_index"}
        errors += _unknown_keys(block, allowed, ptr)
        errors += _table_errors(block, ptr)
    else:
        errors += _unknown_keys(block, {"type", "block_id", "title", "chart"}, ptr)
        errors += _chart_errors(block, ptr)
    return errors


def _unknown_keys(value: dict[str, Any], allowed: set[str], ptr: str) -> list[str]:
    return [
        f"unknown field {key!r} [json-pointer:{ptr}/{key}]" for key in value if key not in allowed
    ]


def _table_errors(block: dict[str, Any], ptr: str) -> list[str]:
    errors: list[str] = []
    caption = block.get("caption")
    if not isinstance(caption, str) or not caption.strip():
        errors.append(f"a data table needs a caption [json-pointer:{ptr}/caption]")
    rows = block.get("rows")
    low, high = TABLE_ROWS
    if not isinstance(rows, list) or not low <= len(rows) <= high:
        count = len(rows) if isinstance(rows, list) else "no"
        return [*errors, f"rows: {low}-{high} rows (the header included), got {count} "
                f"[json-pointer:{ptr}/rows]"]  # fmt: skip
    width = len(rows[0]) if isinstance(rows[0], list) else 0
    if not TABLE_COLUMNS[0] <= width <= TABLE_COLUMNS[1]:
        errors.append(f"a row holds 1-20 cells, got {width} [json-pointer:{ptr}/rows/0]")
    for r, row in enumerate(rows):
        rptr = f"{ptr}/rows/{r}"
        if not isinstance(row, list) or len(row) != width:
            errors.append(f"every row must have {width} cells [json-pointer:{rptr}]")
            continue
        for c, cell in enumerate(row):
            errors += _cell_errors(cell, f"{rptr}/{c}", header=r == 0)
    page_size = block.get("page_size")
    if page_size is not None and (
        not isinstance(page_size, int) or isinstance(page_size, bool) or not 1 <= page_size <= 100
    ):
        errors.append(f"page_size must be 1-100 [json-pointer:{ptr}/page_size]")
    index = block.get("row_header_column_index")
    if index is not None and (not isinstance(index, int) or not 0 <= index < max(width, 1)):
        errors.append(
            "row_header_column_index must name a column "
            f"[json-pointer:{ptr}/row_header_column_index]"
        )
    return errors


def _cell_errors(cell: Any, ptr: str, *, header: bool) -> list[str]:
    if not isinstance(cell, dict):
        return [f"a cell must be an object [json-pointer:{ptr}]"]
    kind = cell.get("type")
    if kind == "raw_text":
        if not isinstance(cell.get("text"), str) or not cell["text"]:
            return [f"raw_text needs a text [json-pointer:{ptr}/text]"]
        return _unknown_keys(cell, {"type", "text"}, ptr)
    if kind == "raw_number":
        errors = _unknown_keys(cell, {"type", "value", "text"}, ptr)
        if not _is_number(cell.get("value")):
            errors.append(f"raw_number needs a numeric value [json-pointer:{ptr}/value]")
        if not isinstance(cell.get("text"), str) or not cell["text"]:
            errors.append(f"raw_number needs a text [json-pointer:{ptr}/text]")
        return errors
    if kind == "rich_text":
        if header:
            return [f"rich_text cannot be used in the header row [json-pointer:{ptr}]"]
        return _sdk_block_errors(cell, ptr)
    return [f"unsupported cell type {kind!r} [json-pointer:{ptr}/type]"]


def _chart_errors(block: dict[str, Any], ptr: str) -> list[str]:
    errors: list[str] = []
    title = block.get("title")
    if not isinstance(title, str) or not 1 <= len(title) <= CHART_TITLE_MAX:
        errors.append(f"title must be 1-{CHART_TITLE_MAX} characters [json-pointer:{ptr}/title]")
    chart = block.get("chart")
    cptr = f"{ptr}/chart"
    if not isinstance(chart, dict):
        return [*errors, f"a data visualization needs a chart [json-pointer:{cptr}]"]
    kind = chart.get("type")
    if kind == "pie":
        errors += _unknown_keys(chart, {"type", "segments"}, cptr)
        segments = chart.get("segments")
        if not isinstance(segments, list) or not 1 <= len(segments) <= SERIES_MAX:
            return [*errors, f"segments: 1-{SERIES_MAX} [json-pointer:{cptr}/segments]"]
        for i, segment in enumerate(segments):
            errors += _point_errors(segment, f"{cptr}/segments/{i}")
        return errors
    if kind not in ("bar", "area", "line"):
        return [*errors, f"chart type must be pie, bar, area or line [json-pointer:{cptr}/type]"]
    errors += _unknown_keys(chart, {"type", "series", "axis_config"}, cptr)
    axis = chart.get("axis_config")
    categories: list[Any] = []
    if not isinstance(axis, dict) or not isinstance(axis.get("categories"), list):
        errors.append(f"axis_config needs categories [json-pointer:{cptr}/axis_config]")
    else:
        errors += _unknown_keys(axis, {"categories", "x_label", "y_label"}, f"{cptr}/axis_config")
        categories = axis["categories"]
        if not categories or not all(isinstance(c, str) and c for c in categories):
            errors.append(
                f"categories must be non-empty strings [json-pointer:{cptr}/axis_config/categories]"
            )
    series = chart.get("series")
    if not isinstance(series, list) or not 1 <= len(series) <= SERIES_MAX:
        return [*errors, f"series: 1-{SERIES_MAX} [json-pointer:{cptr}/series]"]
    names: set[str] = set()
    for i, one in enumerate(series):
        sptr = f"{cptr}/series/{i}"
        if not isinstance(one, dict) or not isinstance(one.get("name"), str) or not one["name"]:
            errors.append(f"a series needs a name [json-pointer:{sptr}/name]")
            continue
        if one["name"] in names:
            errors.append(f"series names must be unique [json-pointer:{sptr}/name]")
        names.add(one["name"])
        data = one.get("data")
        if not isinstance(data, list) or not data:
            errors.append(f"a series needs data points [json-pointer:{sptr}/data]")
            continue
        for j, point in enumerate(data):
            errors += _point_errors(point, f"{sptr}/data/{j}")
            if isinstance(point, dict) and point.get("label") not in categories:
                errors.append(
                    f"label {point.get('label')!r} is not an axis category "
                    f"[json-pointer:{sptr}/data/{j}/label]"
                )
    return errors


def _point_errors(point: Any, ptr: str) -> list[str]:
    if not isinstance(point, dict):
        return [f"a data point must be an object [json-pointer:{ptr}]"]
    errors = _unknown_keys(point, {"label", "value"}, ptr)
    if not isinstance(point.get("label"), str) or not point["label"]:
        errors.append(f"a data point needs a label [json-pointer:{ptr}/label]")
    if not _is_number(point.get("value")):
        errors.append(f"a data point needs a numeric value [json-pointer:{ptr}/value]")
    return errors
