"""Splitting one message into several answers, as a step's `together` declares.

Pure string work: where the message may be cut (at the declared separators) and what is
left of each part once the declared filler words are dropped. Whether the parts are
answers is the engine's business: it reads each with its step's parser and checks it
with the step's validators.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from itertools import combinations

from dialogues.model import Together

# More separator occurrences than this and the message is not split at all: it is prose,
# not a list of answers (and the number of ways to cut it would grow fast).
MAX_CUT_POINTS = 12


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
    ordered = sorted((w.strip().casefold() for w in words if w.strip()), key=len, reverse=True)
    text = part.strip()
    changed = True
    while changed and text:
        changed = False
        folded = text.casefold()
        for word in ordered:
            n = len(word)
            if folded.startswith(word) and (len(folded) == n or not folded[n].isalnum()):
                text, changed = text[n:].strip(), True
                break
            if folded.endswith(word) and (len(folded) == n or not folded[-n - 1].isalnum()):
                text, changed = text[:-n].strip(), True
                break
    return text


def splits(text: str, together: Together, parts: int) -> Iterator[list[str]]:
    """Every way to cut `text` into `parts` non-empty answers at separators."""
    cuts = [(m.start(), m.end()) for m in _separator_pattern(together.separators).finditer(text)]
    if parts < 2 or len(cuts) < parts - 1 or len(cuts) > MAX_CUT_POINTS:
        return
    for chosen in combinations(cuts, parts - 1):
        bounds = [0]
        for start, end in chosen:
            bounds += [start, end]
        bounds.append(len(text))
        pieces = [
            strip_words(text[bounds[i] : bounds[i + 1]], together.ignore)
            for i in range(0, len(bounds), 2)
        ]
        if all(pieces):
            yield pieces
