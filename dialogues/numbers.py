"""Numbers written the Danish way, for the texts users read: 1.000.000 and 7,5."""

from __future__ import annotations

DECIMALS = 6  # at most; trailing zeros are dropped


def danish_number(value: float) -> str:
    """`value` with a point between thousands and a comma before the decimals: 1000000 →
    "1.000.000", 7.5 → "7,5", -1250.25 → "-1.250,25". Never an exponent."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    text = f"{round(value, DECIMALS):,.{DECIMALS}f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")
