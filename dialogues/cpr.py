"""The one detector of Danish CPR numbers (personnummer), and the P-number rule.

The bot must never accept, store, log or post a CPR number (``shared/domain/rules.md``,
data protection rule 1). Every way text enters or leaves the bot calls this module:
engine input, Slack listeners, the terminal, CLI arguments, messages that quote input,
and log redaction.

Design
------
A CPR number is ten digits ``DDMMYY SSSS`` whose first six digits are a date (day 01-31
valid for its month, 29 February always, since the century is unknown; or a
replacement number, day + 60, so 61-91). People write it in many ways, so the detector
reads text the way a person would see it, then looks for ten such digits, or for the
birth date written out with its four serial digits:

1. **Normalise** each character: Unicode NFKC (full-width and mathematical digits,
   full-width dashes and slashes, circled digits, no-break spaces ...); characters that
   are invisible or attach to another character are dropped (format characters such as
   soft hyphen, zero-width space/joiner, word joiner, BOM, bidi marks; combining marks;
   the Hangul filler letters; control characters other than whitespace); every Unicode
   decimal digit is read as its digit (NFKC leaves e.g. Arabic-Indic digits alone).
2. **Tokenise** into *digit groups* joined into *chains*. Between two groups a run of
   separator characters keeps the chain going: whitespace of any kind, dashes of any
   kind (incl. U+2212 minus), dots, slashes, brackets, quotes and other punctuation or
   symbols, of any length (a length cap would be a free bypass: pad with spaces). A
   letter, a colon, a comma, a semicolon or a plus ends the chain: that is how ordinary
   text separates *different* numbers (``kl. 14``, ``14:30``, ``12.500,00``, lists,
   ``+45``).
3. **Candidates**: every window of consecutive groups of one chain that holds exactly
   ten digits. A window starts at a group's start and ends at a group's end, so digits
   never split a written group: ``010190-12345`` (eleven digits together) is not a CPR
   number, ``01 01 90 1234 5`` contains one. Any split of the ten digits into groups,
   with any separators, is therefore a window - an attacker's arbitrary split is caught,
   also with other numbers next to it in the same chain.
4. **Date test** on the window's first six digits, as above.
5. **Dates with a four-digit year** are not CPR numbers: a window that starts with, or
   inside, a date written ``D.M.YYYY`` or ``YYYY-M-D`` (day and month of one or two
   digits, year 1900-2099, a real calendar date, the three parts joined by single dots,
   dashes or slashes, and the date standing on its own: whitespace, the chain's edge or
   another such date on both sides - a period ``01/03/2026-28/03/2026``, a list of
   dates) is not a candidate. This keeps ``15.03.2026 14.30`` from reading as
   150320-2614, ``2011-03-15 14:30`` as 201103-1514 and ``2026-01-12 10.00-12.00`` as
   011210-0012.
6. **The birth date written out** and followed by the serial is a CPR number too: a
   date ``D.M.YYYY`` (1858-2099, a real date, day + 60 for a replacement number) or
   ``D.M.YY`` in three groups with any separators, ``YYYY-M-D`` joined by single date
   separators, or ``DDMMYYYY`` zero-padded in whole groups split anywhere; then four
   serial digits, as one group or in groups joined by whitespace only. Groups joined by
   a dot, dash or slash after a date are a clock time, an hour range, a day and month
   or an amount (``14.30``, ``10-12``, ``31.01``, ``1.500``), not a serial; neither are
   four digits that begin the next full date, nor a date read from the middle of a
   full date that stands on its own.

Residual risks (documented in the README): a CPR number whose year is 19 or 20 can be
written as a date with a four-digit year followed by its last two digits
(``15.03.2026 14`` for 150320-2614) and passes; so does one hidden as the tail of such a
date by digits put in front of it (``2026-01-01 90 1234``), a written-out birth date
whose serial is split by a dot, dash or slash (``01.01.1990 12.34``), and twelve digits
in one group (``010119901234``: one long number); digits separated by letters, commas,
colons, semicolons or plus signs are not joined. Lookalikes that *are* reported: a
written date directly followed by four digits (``01.01.2027 1430``, a postcode), any
other ten digits starting with a date, e.g. a date with a two-digit year and a time
(``15.03.26 14.30``), a P-number or bank account number in free text whose first six
digits are a date. No modulus-11 check: CPR numbers issued since 2007 need not pass it.

P-numbers: a P-number (produktionsenhedsnummer) is ten digits beginning with 1, so
about 12 % of them read as a date. :func:`p_number` recognises an answer that is
exactly one P-number, so the P-number field can apply the P-number rule instead.

Pure functions: no I/O.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "REDACTION",
    "contains_cpr",
    "cpr_spans",
    "find_cpr",
    "normalise",
    "p_number",
    "redact_cpr",
]

REDACTION = "[CPR fjernet]"

# Characters that end a chain of digit groups (after NFKC: full-width forms map here).
_BREAKERS = frozenset(":,;+\u2236\u02d0")
# Invisible characters that are letters or symbols by category but show as nothing.
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5")
_DOTS = frozenset(".\u00b7\u2022\u2024\u2027\u2219\u22c5\u30fb\u2e31")
_SLASHES = frozenset("/\\\u2044\u2215\u29f8\u29f9")
_EXTRA_DASHES = frozenset("\u2212\u2043\u2796\u02d7")

_MAX_DAY = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# Birth years a CPR number can have (the century digit rule of 1968 covers 1858-2057;
# 2099 keeps a margin).
_BIRTH_YEARS = (1858, 2099)
# The fewest digits a CPR spelling has: D.M.YY and four serial digits.
_MIN_DIGITS = 8


@dataclass
class _Group:
    digits: str
    start: int
    end: int
    sep_before: str  # the normalised separator run between this group and the previous


def _is_invisible(ch: str) -> bool:
    category = unicodedata.category(ch)
    if category in ("Cf", "Mn", "Me", "Cs") or ch in _FILLERS:
        return True
    return category == "Cc" and not ch.isspace()


@functools.lru_cache(maxsize=8192)
def _classify(original: str) -> tuple[tuple[str, str], ...]:
    """How the detector reads one character of the original text: ("digit", "0"-"9"),
    ("sep", the normalised separator) or ("break", ...); invisible characters vanish."""
    read: list[tuple[str, str]] = []
    for ch in unicodedata.normalize("NFKC", original):
        if _is_invisible(ch):
            continue
        value = unicodedata.decimal(ch, None)
        if value is None:
            value = unicodedata.digit(ch, None)
        if value is not None:
            read.append(("digit", str(value)))
        elif ch in _BREAKERS or unicodedata.category(ch).startswith("L"):
            read.append(("break", ch))
        else:
            read.append(("sep", ch))
    return tuple(read)


# ASCII letters and breakers always end a chain: text is cut there first, and only the
# pieces that can hold a CPR number are read character by character (speed: logs).
_ASCII_BREAKS = re.compile(r"[A-Za-z:,;+]+")
_ASCII_DIGITS = re.compile(r"[0-9]")


def _pieces(text: str) -> Iterator[tuple[int, str]]:
    """(offset, piece) of the parts of `text` between ASCII letters and breakers that
    may hold a CPR number (eight digits or more)."""
    position = 0
    for match in _ASCII_BREAKS.finditer(text):
        if match.start() > position:
            yield position, text[position : match.start()]
        position = match.end()
    if position < len(text):
        yield position, text[position:]


# After NFKC: decimal digits, and the few characters with a digit value but no decimal
# value that NFKC leaves alone (Ethiopic, dingbat circled digits ...; Unicode 14).
_ANY_DIGIT = re.compile(
    "\\d|[\u1369-\u1371\u19da\u24f5-\u24fd\u24ff\u2776-\u277e\u2780-\u2788\u278a-\u2792"
    "\U00010a40-\U00010a43\U00010e60-\U00010e68\U00011052-\U0001105a]"
)


def _may_hold_cpr(text: str) -> bool:
    if text.isascii():
        return len(_ASCII_DIGITS.findall(text)) >= _MIN_DIGITS
    return len(_ANY_DIGIT.findall(unicodedata.normalize("NFKC", text))) >= _MIN_DIGITS


def _chains(text: str) -> Iterator[list[_Group]]:
    """Digit groups, as chains of groups joined by separator runs."""
    for offset, piece in _pieces(text):
        if _may_hold_cpr(piece):
            yield from _piece_chains(piece, offset)


def _piece_chains(piece: str, offset: int) -> Iterator[list[_Group]]:
    chain: list[_Group] = []
    group: _Group | None = None
    sep = ""
    for index, original in enumerate(piece, start=offset):
        for kind, ch in _classify(original):
            if kind == "digit":
                if group is None:
                    group = _Group(ch, index, index + 1, sep)
                    chain.append(group)
                else:
                    group.digits += ch
                    group.end = index + 1
                sep = ""
            elif kind == "sep":
                group = None
                if chain:
                    sep += ch
            else:
                if chain:
                    yield chain
                chain, group, sep = [], None, ""
    if chain:
        yield chain


def _is_cpr_date(digits: str) -> bool:
    return _birth_date(int(digits[0:2]), int(digits[2:4]), None)  # day + 60: replacement


def _date_separator(run: str) -> bool:
    if len(run) != 1:
        return False
    ch = run
    return ch in _DOTS or ch in _SLASHES or ch in _EXTRA_DASHES or unicodedata.category(ch) == "Pd"


def _stands_alone(run: str | None) -> bool:
    """Whether a date is delimited by this separator run (None: the chain's edge)."""
    return run is None or any(ch.isspace() for ch in run)


def _real_date(year: str, month: str, day: str) -> bool:
    if not 1900 <= int(year) <= 2099:
        return False
    try:
        dt.date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def _is_full_date(chain: list[_Group], i: int) -> bool:
    """Whether groups i, i+1, i+2 are a date with a four-digit year (D.M.YYYY or
    YYYY-M-D) joined by single dots, dashes or slashes."""
    if i + 3 > len(chain):
        return False
    a, b, c = chain[i], chain[i + 1], chain[i + 2]
    if not (_date_separator(b.sep_before) and _date_separator(c.sep_before)):
        return False
    short = (1, 2)
    if len(a.digits) in short and len(b.digits) in short and len(c.digits) == 4:
        return _real_date(c.digits, b.digits, a.digits)
    if len(a.digits) == 4 and len(b.digits) in short and len(c.digits) in short:
        return _real_date(a.digits, b.digits, c.digits)
    return False


def _full_dates(chain: list[_Group]) -> tuple[set[int], set[int]]:
    """(every full date's first group, those standing on their own). A date stands on its
    own when whitespace or the chain's edge is on both sides, or another full date: a
    period ``01/03/2026-28/03/2026``, a list of dates."""
    starts = {i for i in range(len(chain)) if _is_full_date(chain, i)}
    standing = set()
    for i in starts:
        before = i == 0 or _stands_alone(chain[i].sep_before) or (i - 3) in starts
        after = i + 3 == len(chain) or _stands_alone(chain[i + 3].sep_before) or (i + 3) in starts
        if before and after:
            standing.add(i)
    return starts, standing


def _birth_date(day: int, month: int, year: int | None) -> bool:
    """Whether day.month(.year) is a date a CPR number can begin with: a real date (a
    replacement day is day + 60); with a two-digit year (None) 29 February always."""
    if day > 60:
        day -= 60
    if year is None:
        return 1 <= month <= 12 and 1 <= day <= _MAX_DAY[month - 1]
    if not _BIRTH_YEARS[0] <= year <= _BIRTH_YEARS[1]:
        return False
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _written_dates(chain: list[_Group]) -> Iterator[tuple[int, int]]:
    """(first, last) group index of every birth date written in `chain` that the long
    shapes start with: D.M.YY or D.M.YYYY in three groups (day and month of one or two
    digits, any separators), YYYY-M-D joined by single dots, dashes or slashes, or
    DDMMYYYY zero-padded in whole groups split anywhere (``01011990``, ``0101 1990``)."""
    short = (1, 2)
    for i in range(len(chain)):
        if i + 3 <= len(chain):
            a, b, c = (g.digits for g in chain[i : i + 3])
            if len(a) in short and len(b) in short and len(c) in (2, 4):
                year = int(c) if len(c) == 4 else None
                if _birth_date(int(a), int(b), year):
                    yield i, i + 2
            elif len(a) == 4 and len(b) in short and len(c) in short:
                # Year first only as one written date (``1990-01-01``): in a list of
                # dates ``2026 02.01`` is the end of one and the start of the next.
                joined = all(_date_separator(g.sep_before) for g in chain[i + 1 : i + 3])
                if joined and _birth_date(int(c), int(b), int(a)):
                    yield i, i + 2
        digits = ""
        for j in range(i, len(chain)):
            digits += chain[j].digits
            if len(digits) >= 8:
                break
        if len(digits) == 8 and _birth_date(int(digits[:2]), int(digits[2:4]), int(digits[4:])):
            yield i, j


def _serial_end(chain: list[_Group], after: int) -> int | None:
    """The last group of the four serial digits that follow group `after`, or None: one
    group of four digits, or whole groups of four digits in all joined by whitespace
    only. Groups joined by a dot, dash or slash are a clock time (``14.30``), an hour
    range (``10-12``), a day and month (``31.01``) or an amount (``1.500``), not a serial."""
    digits = ""
    for k in range(after + 1, len(chain)):
        if k > after + 1 and not chain[k].sep_before.isspace():
            return None
        digits += chain[k].digits
        if len(digits) >= 4:
            return k if len(digits) == 4 else None
    return None


def _long_windows(
    chain: list[_Group], full_dates: set[int], standing: set[int]
) -> Iterator[tuple[int, int]]:
    """(start, end) of each birth date written out followed by four serial digits
    (``01011990-1234``, ``01.01.1990 1234``, ``1/1-1990-1234``, ``1.1.90-1234``). A date
    read from the middle of a full date standing on its own (``2021-11/03`` in
    ``11/03/2021-11/03/2013``) is none, and four digits that begin the next full date
    (``2021-07-10 1997-06-20``) are no serial."""
    inside = {i + k for i in standing for k in (1, 2)}
    for first, last in _written_dates(chain):
        if first in inside:
            continue
        end = _serial_end(chain, last)
        if end is not None and (last + 1) not in full_dates:
            yield chain[first].start, chain[end].end


def _windows(chain: list[_Group]) -> Iterator[tuple[int, int]]:
    """(start, end) in the original text of each CPR-like window of one chain."""
    starts, standing = _full_dates(chain)
    in_date = {i + k for i in standing for k in range(3)}
    for i in range(len(chain)):
        if i in in_date:
            continue
        digits = ""
        for j in range(i, len(chain)):
            digits += chain[j].digits
            if len(digits) >= 10:
                break
        if len(digits) == 10 and _is_cpr_date(digits):
            yield chain[i].start, chain[j].end
    yield from _long_windows(chain, starts, standing)


def cpr_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) of every CPR-like number in `text`, merged where they overlap."""
    if not _may_hold_cpr(text):
        return []
    spans = sorted(span for chain in _chains(text) for span in _windows(chain))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def find_cpr(text: str) -> str | None:
    """The first CPR-like number in `text`, as written, or ``None``."""
    spans = cpr_spans(text)
    return text[spans[0][0] : spans[0][1]] if spans else None


def contains_cpr(text: str) -> bool:
    """Whether `text` contains a CPR-like number in any spelling."""
    return bool(cpr_spans(text))


def redact_cpr(text: str) -> str:
    """`text` with every CPR-like number replaced by ``[CPR fjernet]``."""
    parts: list[str] = []
    last = 0
    for start, end in cpr_spans(text):
        parts.append(text[last:start])
        parts.append(REDACTION)
        last = end
    parts.append(text[last:])
    return "".join(parts)


def normalise(text: str) -> str:
    """`text` as the detector reads it: NFKC, invisible characters dropped, every Unicode
    decimal digit as its ASCII digit. Letters keep their case."""
    if text.isascii():
        return _ASCII_CONTROL.sub("", text)
    return _NON_ASCII.sub(
        _normalise_char, unicodedata.normalize("NFKC", _ASCII_CONTROL.sub("", text))
    )


_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@functools.lru_cache(maxsize=8192)
def _normalise_one(ch: str) -> str:
    if _is_invisible(ch):
        return ""
    value = unicodedata.decimal(ch, None)
    return str(value) if value is not None else ch


def _normalise_char(match: re.Match[str]) -> str:
    return _normalise_one(match.group())


_P_NUMBER = re.compile(r"(?:p\W{0,2}(?:nr|nummer)\W{0,3})?(1\d{9})", re.IGNORECASE)


def p_number(text: str) -> str | None:
    """The P-number, as ten ASCII digits, when `text` is exactly one P-number (ten digits
    beginning with 1; spaces between digits and a leading ``P-nr.`` are allowed), else
    ``None``. A CPR number beginning with 1 reads as a P-number: the P-number field's
    documented residual risk."""
    compact = "".join(normalise(text).split())
    match = _P_NUMBER.fullmatch(compact)
    return match.group(1) if match else None
