"""Splitting one message into several answers, as a step's `together` declares.

Pure string work: where the message may be cut (at the declared separators, and at a
space before a number) and what is left of each part once the declared filler words are
dropped. Whether the parts are answers is the engine's business: it reads each with its
step's parser and checks it with the step's validators.

A space before a number is a cut point too, because a number there may be the next
answer as well as part of this one: in '1/3 - 28/3 30 timer' the 30 is the hours or the
year of 28/3 (2030). Both readings are made and the engine keeps the ones that are
acceptable answers; two acceptable readings are not guessed between. A filler word right
after a number ('30 timer') says what the number is, so such a part is marked
(`Piece.unit_after_number`): only a number step reads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from itertools import combinations

from dialogues.model import Together

# More cut points than this and the message is not split at all: it is prose, not a list
# of answers (and the number of ways to cut it would grow fast).
MAX_CUT_POINTS = 12

# A space between a word (or '28/3', '1.') and a number: '28/3 30', 'marts 2027'.
_SPACE_BEFORE_NUMBER = re.compile(r"(?<=[\w.])\s+(?=[0-9])")


@dataclass(frozen=True)
class Piece:
    """One part of a message, without its filler words."""

    text: str
    # A filler word was dropped right after a number at the part's end ('30 timer'):
    # the number is what the word says (hours), not, say, a date's year.
    unit_after_number: bool = False


@cache
def _separator_pattern(separators: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = []
    for separator in sorted(separators, key=len, reverse=True):
        core = separator.strip() or separator
        escaped = re.escape(core)
        if core[0].isalnum() or core[-1].isalnum():  # a word: only where it stands alone
            escaped = rf"(?<!\w){escaped}(?!\w)"
        alternatives.append(escaped)
    return re.compile("|".join(alternatives), re.IGNORECASE)


def strip_words(part: str, words: tuple[str, ...]) -> str:
    """`part` without the filler `words` standing at its start or end (whole words)."""
    return _strip(part, words).text


def _strip(part: str, words: tuple[str, ...]) -> Piece:
    ordered = sorted((w.strip().casefold() for w in words if w.strip()), key=len, reverse=True)
    text = part.strip()
    unit = False
    changed = True
    while changed and text:
        changed = False
        folded = text.casefold()
        tail = folded.rstrip(".")  # '30 t.', or the message's closing full stop
        for word in ordered:
            n = len(word)
            if folded.startswith(word) and (len(folded) == n or not folded[n].isalnum()):
                text, changed = text[n:].strip(), True
                break
            if tail.endswith(word) and (len(tail) == n or not tail[-n - 1].isalnum()):
                text, changed = text[: len(tail) - n].strip(), True
                unit = unit or text[-1:].isdigit()
                break
    return Piece(text, unit)


def splits(text: str, together: Together, parts: int) -> Iterator[list[Piece]]:
    """Every way to cut `text` into `parts` non-empty answers at separators or at a space
    before a number; the ways that cut only at separators come first."""
    strong = [(m.start(), m.end()) for m in _separator_pattern(together.separators).finditer(text)]
    taken = {i for start, end in strong for i in range(start, end)}
    weak = [
        (m.start(), m.end())
        for m in _SPACE_BEFORE_NUMBER.finditer(text)
        if not taken & set(range(m.start(), m.end()))
    ]
    if len(strong) + len(weak) > MAX_CUT_POINTS:
        weak = []  # many numbers: cut at the separators only
    cuts = sorted(strong + weak)
    if parts < 2 or len(cuts) < parts - 1 or len(cuts) > MAX_CUT_POINTS:
        return
    ways = sorted(combinations(cuts, parts - 1), key=lambda way: sum(c in weak for c in way))
    for chosen in ways:
        bounds = [0]
        for start, end in chosen:
            bounds += [start, end]
        bounds.append(len(text))
        pieces = [
            _strip(text[bounds[i] : bounds[i + 1]], together.ignore)
            for i in range(0, len(bounds), 2)
        ]
        if all(piece.text for piece in pieces):
            yield pieces
