"""Turning user input into answer values per step kind, and answers back into Danish text.

Typed text and structured values (a clicked button, a picked date) go through the same
checks: a forged or stale value is refused like a mistyped one.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from dialogues.dates import DateInputError, format_danish_date, parse_danish_date
from dialogues.model import Option, Step
from dialogues.numbers import danish_number

YES_WORDS = frozenset({"ja", "j", "jo", "yes", "y", "1"})
NO_WORDS = frozenset({"nej", "n", "no", "2"})
YES_NO_OPTIONS = (Option(value="ja", label="Ja"), Option(value="nej", label="Nej"))
DEFAULT_SCALE = (1.0, 10.0)


class AnswerError(ValueError):
    """The input cannot be used as an answer; `message` is Danish, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _option_by_input(options: tuple[Option, ...], raw: str) -> Option | None:
    text = raw.strip().rstrip(".").casefold()
    if re.fullmatch(r"[0-9]{1,4}", text):  # not isdigit(): "²" is a digit int() refuses
        index = int(text) - 1
        return options[index] if 0 <= index < len(options) else None
    for option in options:
        if text in (option.value.casefold(), option.label.casefold()):
            return option
    return None


def _number(raw: str) -> float:
    text = raw.strip().replace(" ", "")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", text):  # 1.250 or 1.250,5
        text = text.replace(".", "")
    text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        raise AnswerError("Skriv et tal, fx 12 eller 7,5.") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise AnswerError("Skriv et tal, fx 12 eller 7,5.")
    return value


def _in_range(value: float, low: float | None, high: float | None) -> None:
    if low is not None and high is not None and not low <= value <= high:
        raise AnswerError(f"Tallet skal være mellem {danish_number(low)} og {danish_number(high)}.")
    if low is not None and value < low:
        raise AnswerError(f"Tallet skal være mindst {danish_number(low)}.")
    if high is not None and value > high:
        raise AnswerError(f"Tallet må højst være {danish_number(high)}.")


def parse_choice(options: tuple[Option, ...], text: str | None, value: Any) -> str:
    if value is not None:
        match = next((o for o in options if o.value == value), None)
    else:
        match = _option_by_input(options, text or "")
    if match is None:
        raise AnswerError(f"Vælg en af mulighederne med et tal fra 1 til {len(options)}.")
    return match.value


def parse_multi(
    options: tuple[Option, ...], text: str | None, value: Any, low: float | None, high: float | None
) -> list[str]:
    chosen: list[str] = []
    if value is not None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise AnswerError("Vælg en eller flere af mulighederne.")
        known = {o.value for o in options}
        if any(v not in known for v in value):
            raise AnswerError("Vælg kun blandt mulighederne på listen.")
        chosen = list(dict.fromkeys(value))
    else:
        parts = [p for p in re.split(r"[,;\s]+|\bog\b", (text or "").strip()) if p]
        for part in parts:
            option = _option_by_input(options, part)
            if option is None:
                raise AnswerError(
                    f"'{part}' er ikke en af mulighederne. Skriv numrene adskilt af komma, fx 1, 3."
                )
            if option.value not in chosen:
                chosen.append(option.value)
    minimum = int(low) if low is not None else 1
    if len(chosen) < minimum:
        raise AnswerError(
            "Vælg mindst én af mulighederne."
            if minimum == 1
            else f"Vælg mindst {minimum} af mulighederne."
        )
    if high is not None and len(chosen) > int(high):
        raise AnswerError(f"Vælg højst {int(high)} af mulighederne.")
    order = [o.value for o in options]
    return sorted(chosen, key=order.index)


def parse_yesno(text: str | None, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raw = str(value if value is not None else text or "").strip().rstrip(".!").casefold()
    if raw in YES_WORDS:
        return True
    if raw in NO_WORDS:
        return False
    raise AnswerError("Svar ja eller nej (eller 1 for ja, 2 for nej).")


def parse_text(text: str | None, value: Any, max_length: int) -> str:
    raw = (text if text is not None else str(value or "")).strip()
    if not raw:
        raise AnswerError(
            "Svaret er tomt. Skriv et svar, eller 'spring over' hvis det er valgfrit."
        )
    if len(raw) > max_length:
        raise AnswerError(
            f"Svaret er {len(raw)} tegn; der er plads til {max_length}. Skriv det kortere."
        )
    return raw


def parse_number(
    text: str | None, value: Any, low: float | None, high: float | None
) -> int | float:
    number = float(value) if isinstance(value, int | float) else _number(text or "")
    _in_range(number, low, high)
    return int(number) if number.is_integer() else number


def parse_scale(text: str | None, value: Any, low: float | None, high: float | None) -> int:
    low = DEFAULT_SCALE[0] if low is None else low
    high = DEFAULT_SCALE[1] if high is None else high
    raw = str(value if value is not None else text or "").strip()
    if not re.fullmatch(r"\d{1,3}", raw):
        raise AnswerError(
            f"Svar med et helt tal fra {danish_number(low)} til {danish_number(high)}."
        )
    number = int(raw)
    _in_range(number, low, high)
    return number


def parse_date_value(value: Any) -> dt.date:
    """A structured date (from a date picker): ISO format only."""
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise AnswerError("Datoen kunne ikke læses. Vælg den i kalenderen igen.") from None


def parse_date_text(
    text: str | None, today: dt.date, period_start: dt.date | None = None
) -> dt.date:
    """A typed date; `period_start` for the end of a period (read from its first day)."""
    try:
        return parse_danish_date(text or "", today=today, period_start=period_start)
    except DateInputError as exc:
        raise AnswerError(exc.message) from None


def display(step: Step, options: tuple[Option, ...], value: Any) -> str:
    """An answer as the user would read it back."""
    if value is None:
        return "(sprunget over)"
    labels = {o.value: o.label for o in options}
    if step.for_each and isinstance(value, list):
        once = step.model_copy(update={"for_each": None})
        return "; ".join(f"{v['item']}: {display(once, options, v['value'])}" for v in value)
    match step.kind:
        case "choice":
            return labels.get(value, str(value))
        case "multi":
            return "; ".join(labels.get(v, v) for v in value)
        case "yesno":
            return "Ja" if value else "Nej"
        case "number" | "scale":
            shown = danish_number(float(value))
            return (
                f"{shown} af {danish_number(step.max or DEFAULT_SCALE[1])}"
                if (step.kind == "scale")
                else shown
            )
        case "date":
            return format_danish_date(dt.date.fromisoformat(value))
    return str(value)
