"""Terms that suggest special-category personal data (GDPR art. 9) in free text.

The bot must not ask for or keep health, religion, union membership, ethnicity, sexual
orientation or political opinion (``shared/domain/rules.md``, data protection rule 2).
It cannot understand text, so it warns: an answer that contains a listed term gets a
warn-and-confirm (see ``dialogues.engine``), and the consultant rephrases or confirms.

The list is data (``dialogues/data/special_categories.yaml`` by default; ``app.yaml``
``special_categories.terms_file`` points at another). A term is one or more words; each
word is written

* ``diagnose``   - the word and its regular Danish inflections (the file's ``endings``:
  diagnosen, diagnoser, diagnoserne ...),
* ``diagnos*``   - every word that begins with it (compounds, derived forms),
* ``*misbrug``   - every word that ends with it (alkoholmisbrug); ``*misbrug*`` both,
* ``=kræft``     - only exactly that word (``kræfter``, strength, must not match).

Matching is case-insensitive, on whole words (a word is a run of letters and digits),
after the CPR detector's normalisation (NFKC, invisible characters dropped), so soft
hyphens or full-width letters do not hide a term. Pure: the loader reads the file once.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dialogues.cpr import normalise
from dialogues.yamlio import load_yaml

DEFAULT_TERMS_FILE = Path(__file__).resolve().parent / "data" / "special_categories.yaml"

_WORD = r"[^\W_]"
_TERM_WORD = re.compile(r"^(=)?(\*)?([^\W_]+)(\*)?$")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Category(Frozen):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
    label: Annotated[str, Field(min_length=1, max_length=120)]  # Danish, shown to the user
    terms: tuple[str, ...] = Field(min_length=1)

    @field_validator("terms")
    @classmethod
    def _well_formed(cls, terms: tuple[str, ...]) -> tuple[str, ...]:
        for term in terms:
            for word in term.split():
                match = _TERM_WORD.match(word)
                if match is None or (match.group(1) and (match.group(2) or match.group(4))):
                    raise ValueError(
                        f"term {term!r}: a word is letters/digits, optionally '=' in front "
                        "(exact) or '*' in front and/or behind (any beginning/ending)"
                    )
        return terms


class SpecialCategories(Frozen):
    """The term list and the steps it does not apply to (``flow_id.step_id``)."""

    endings: tuple[str, ...] = ()
    categories: tuple[Category, ...] = ()
    exempt_steps: tuple[str, ...] = ()


class Finding(Frozen):
    category: str  # the category's label
    word: str  # the matched text, normalised and lower-cased


def _word_pattern(word: str, endings: tuple[str, ...]) -> str:
    match = _TERM_WORD.match(word)
    assert match is not None  # checked when the list was loaded
    exact, lead, stem, trail = match.groups()
    body = re.escape(stem)
    if lead:
        body = f"{_WORD}*" + body
    if trail:
        body += f"{_WORD}*"
    elif not exact and endings:
        body += "(?:" + "|".join(re.escape(e) for e in sorted(endings, key=len, reverse=True))
        body += ")?"
    return body


@functools.lru_cache(maxsize=16)
def _compiled(terms: SpecialCategories) -> tuple[tuple[str, re.Pattern[str]], ...]:
    endings = tuple(normalise(e).casefold() for e in terms.endings)
    compiled = []
    for category in terms.categories:
        alternatives = []
        for term in category.terms:
            words = normalise(term).casefold().split()
            alternatives.append(r"[\W_]+".join(_word_pattern(w, endings) for w in words))
        pattern = rf"(?<!{_WORD})(?:{'|'.join(alternatives)})(?!{_WORD})"
        compiled.append((category.label, re.compile(pattern)))
    return tuple(compiled)


def find_special_categories(text: str, terms: SpecialCategories) -> tuple[Finding, ...]:
    """One finding per category whose terms occur in `text` (the first occurrence)."""
    if not terms.categories:
        return ()
    folded = normalise(text).casefold()
    findings = []
    for label, pattern in _compiled(terms):
        match = pattern.search(folded)
        if match is not None:
            findings.append(Finding(category=label, word=match.group(0)))
    return tuple(findings)


class TermsFileError(ValueError):
    """The term list cannot be used; the message says which file and why."""


@functools.lru_cache(maxsize=8)
def load_special_categories(path: Path | None = None) -> SpecialCategories:
    """Read a term list (default: the shipped one). Raises TermsFileError."""
    path = path or DEFAULT_TERMS_FILE
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
        return SpecialCategories.model_validate(raw)
    except OSError as exc:
        raise TermsFileError(f"cannot read {path}: {exc.strerror}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise TermsFileError(f"{path} is invalid: {problems}") from None
    except yaml.YAMLError as exc:
        raise TermsFileError(f"{path} is not valid YAML: {exc}") from None
