"""Detection and redaction of Danish CPR numbers (personnummer).

The bot must never accept, store, log or post a CPR number (see
``shared/domain/rules.md``, data protection rule 1). These helpers find text that
*looks like* a CPR number so the caller can refuse it before anything is stored.

What counts as CPR-like:

* ``DDMMYY-SSSS`` or ``DDMMYYSSSS``; the dash may also be a space, a Unicode dash
  (``‐ ‑ ‒ – —``, e.g. from autocorrect) or a dash with spaces around it
  (``010190 - 1234``).
* ``DDMMYY`` must be a plausible calendar date: month 1–12 and a day that exists in
  that month. 29 February is always allowed because the century (and therefore
  whether the year is a leap year) cannot be known from the number alone.
* The ten digits must not be part of a longer digit run: a 12-digit number is not a
  CPR number. Letters and punctuation around the digits are fine, so
  ``cpr:0101901234`` matches.
* No modulus-11 check: CPR numbers issued since 2007 need not satisfy it.

Accepted false positives: any other 10-digit number whose first six digits form a
valid date looks like a CPR number. Notably a P-number (produktionsenhedsnummer,
10 digits starting with 1, e.g. ``1012345678`` = "10/12-34") is reported as CPR-like
when its first six digits are a date; a P-number such as ``1015678901`` (month 15)
is not. Refusing a P-number typed in free text is the safe side of the trade-off;
flows that ask for a P-number should validate that field on its own terms.

Not covered: digits split into groups (``01 01 90 1234``, ``01.01.90-1234``) and
"erstatningspersonnumre" (day + 60).

Pure functions: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["REDACTION", "contains_cpr", "find_cpr", "redact_cpr"]

REDACTION = "[CPR fjernet]"

_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014"
_SPACE = "[ \\t\u00a0]"
# Six digits, an optional separator, four digits; never inside a longer digit run.
# ``\d`` (any Unicode decimal digit, e.g. full-width) on purpose: ``int`` reads them.
_CANDIDATE = re.compile(
    rf"(?<!\d)(\d{{2}})(\d{{2}})\d{{2}}"
    rf"(?:{_SPACE}*[{_DASHES}]{_SPACE}*|{_SPACE})?"
    rf"\d{{4}}(?!\d)"
)

# Longest month per month number; February allows 29 (century unknown).
_MAX_DAY = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_plausible_date(day: int, month: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= _MAX_DAY[month - 1]


def _spans(text: str) -> Iterator[tuple[int, int]]:
    """Yield the (start, end) of each CPR-like number, left to right, non-overlapping."""
    pos = 0
    while True:
        m = _CANDIDATE.search(text, pos)
        if m is None:
            return
        if _is_plausible_date(int(m.group(1)), int(m.group(2))):
            yield m.start(), m.end()
            pos = m.end()
        else:
            # Not a date: try again from the next character, so that a rejected
            # candidate never hides a real one that overlaps it.
            pos = m.start() + 1


def find_cpr(text: str) -> str | None:
    """Return the first CPR-like number in ``text`` as written, or ``None``."""
    for start, end in _spans(text):
        return text[start:end]
    return None


def contains_cpr(text: str) -> bool:
    """Return whether ``text`` contains a CPR-like number."""
    return find_cpr(text) is not None


def redact_cpr(text: str) -> str:
    """Replace every CPR-like number in ``text`` with ``[CPR fjernet]``."""
    parts: list[str] = []
    last = 0
    for start, end in _spans(text):
        parts.append(text[last:start])
        parts.append(REDACTION)
        last = end
    parts.append(text[last:])
    return "".join(parts)
