"""What a case reference may look like: the shapes configured in app.yaml.

The case reference is the only thing that ties a praktik to a citizen, so it must be a
reference of the case system or a pseudonym - never a name or a CPR number. A
free-form check cannot tell a name from a reference, so the reference must match one of
the configured shapes (``case_reference.patterns``, regular expressions matched against
the whole answer, ignoring case). Anything else is refused; the explanation is specific
when the answer looks like a CPR number (digits only, or many digits) or a name
(letters only). Pure: no I/O.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dialogues.cpr import normalise


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseRefPattern(Frozen):
    pattern: Annotated[str, Field(min_length=1, max_length=200)]
    example: Annotated[str, Field(min_length=1, max_length=40)]  # shown in the explanation

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return pattern

    def matches(self, text: str) -> bool:
        return re.fullmatch(self.pattern, text, re.IGNORECASE) is not None


# Letters only, words joined by spaces, dots, hyphens or apostrophes: "Anna B. Jensen".
_NAME = re.compile(r"[^\W\d_]+(?:[ .'\-]+[^\W\d_]+)*\.?")

DEFAULT_PATTERNS = (
    CaseRefPattern(pattern=r"SAG-\d{4}-\d{1,6}", example="SAG-2026-0412"),
    CaseRefPattern(pattern=r"(SAG|KBH)-\d{1,8}", example="SAG-1"),
    CaseRefPattern(pattern=r"PS-\d{1,8}", example="PS-0042"),
)


class CaseRefRule(Frozen):
    """The shapes a case reference may have (the case system's, or a pseudonym)."""

    patterns: tuple[CaseRefPattern, ...] = Field(default=DEFAULT_PATTERNS, min_length=1)

    def examples(self) -> str:
        shown = [p.example for p in self.patterns]
        return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " eller " + shown[-1]

    def problem(self, value: str) -> str | None:
        """A Danish explanation when `value` is not an acceptable case reference."""
        text = value.strip()
        if any(p.matches(text) for p in self.patterns):
            return None
        seen = normalise(text)
        digits = sum(ch.isdigit() for ch in seen)
        letters = sum(ch.isalpha() for ch in seen)
        examples = self.examples()
        if digits >= 9 or (digits >= 6 and letters == 0):
            return (
                "Det ligner et CPR-nummer eller et andet personnummer, og det må ikke "
                "skrives her. Svaret er ikke gemt. Brug sagens reference fra sagssystemet, "
                f"fx {examples}."
            )
        if letters >= 2 and digits == 0 and _NAME.fullmatch(seen):
            return (
                "Det ligner et navn. Borgerens navn må ikke bruges som sagsreference, og "
                f"svaret er ikke gemt. Brug sagens reference fra sagssystemet, fx {examples}."
            )
        return (
            "Sagsreferencen skal have samme form som i sagssystemet eller være et pseudonym, "
            f"fx {examples}. Skriv aldrig borgerens navn eller CPR-nummer."
        )
