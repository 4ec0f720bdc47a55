"""The CPR detector (dialogues.cpr): every spelling of a CPR number is found, the
lookalike corpus passes, and the README states the measured false-positive rate.
All numbers are synthetic."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from dialogues.cpr import (
    REDACTION,
    contains_cpr,
    cpr_spans,
    find_cpr,
    normalise,
    p_number,
    redact_cpr,
)
from tests.cpr_corpus import CORPUS, KNOWN_REFUSED, false_positive_rate, generate, read

ROOT = Path(__file__).resolve().parent.parent

# --- the spellings the issue names --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "010190-1234",
        "0101901234",
        "010190 1234",
        "01 01 90 1234",
        "01.01.90-1234",
        "0101 90 1234",
        "010190/1234",
        "01/01/90 1234",
        "010190\u22121234",  # Unicode minus
        "0101\u00ad901234",  # soft hyphen
        "010190\u200b1234",  # zero-width space
        "01\u200d01\u206090\ufeff1234",  # zero-width joiner, word joiner, BOM
        "010190\u00a01234",  # no-break space
        "010190\u202f1234",  # narrow no-break space
        "０１０１９０－１２３４",  # full-width digits and dash
        "٠١٠١٩٠-١٢٣٤",  # Arabic-Indic digits (NFKC leaves them)
        "610190-1234",  # replacement number: day + 60
        "910190-1234",  # day 31 + 60
        "890290-1234",  # 29 February + 60
        "Borgeren har cpr 01.01.90-1234 og starter mandag.",
        "cpr:0101901234",
        "(010190-1234)",
        "010190 – 1234",
        "0 1 0 1 9 0 1 2 3 4",
        "sag 7 010190 1234",  # other numbers next to it
        "01 01 90 1234 5",
        "15.03.2026.14",  # not a date standing on its own: read as 150320-2614
    ],
)
def test_every_spelling_of_the_issue_is_found_and_redacted(text: str) -> None:
    assert contains_cpr(text)
    redacted = redact_cpr(text)
    assert REDACTION in redacted
    assert not contains_cpr(redacted)


@pytest.mark.parametrize(
    "text",
    [
        # The birth date written out with a four-digit year, then the serial (8 + 4).
        "01011990-1234",
        "01.01.1990-1234",
        "01 01 1990 1234",
        "1/1-1990-1234",
        "0101 1990 1234",
        "01.01.1990.1234",
        "1.1.1990 12 34",  # the serial in groups joined by spaces
        "1990-01-01 1234",  # year first
        "61.01.1990-1234",  # replacement number: day + 60
        "61011990 1234",
        "29.02.2000-1234",  # a leap day in a leap year
        "01.01.1858-1234",
        "31.12.2099 1234",
        "０１．０１．１９９０－１２３４",
        "01\u00ad.01.1990\u20121234",
        "Borgeren er født 3.4.1985 og har nr. 3.4.1985-1234.",
        "Periode 01.01.2026 - 31.01.2026, borger 01.01.1990-1234",
        # No leading zeros with a two-digit year (D.M.YY-SSSS).
        "1.1.90-1234",
        "1.1.90 1234",
        "61.1.90-1234",
    ],
)
def test_a_birth_date_written_out_with_its_serial_is_found(text: str) -> None:
    assert contains_cpr(text), text
    assert not contains_cpr(redact_cpr(text))


@pytest.mark.parametrize(
    "text",
    [
        "29.02.2001-1234",  # no 29 February in 2001
        "31.04.1990-1234",
        "01.01.1857-1234",  # before the CPR's years
        "01.01.2100-1234",
        "01.13.1990-1234",
        "010119901234",  # twelve digits in one group: one long number
        "01.01.1990-12345",
        "01.01.1990-123",
        # A date followed by a clock time, an hour range, a day and month, an amount,
        # another date or a period: the serial's groups are joined by a dot, dash or slash.
        "15.03.2026 14.30",
        "15.03.2026 kl. 14.30",
        "1.1.90 12.34",
        "Mødet 01.01.2026 10-12",
        "01.01.2026 - 31.01.2026",
        "01/03/2026-28/03/2026",
        "11/03/2021-11/03/2013",
        "01.01.2026 02.01.2026 03.01.2026",
        "2021-07-10 1997-06-20",
        "Fra 01.01.2026 1.500 kr.",
        "2026-01-12 10.00-12.00",
    ],
)
def test_written_dates_with_other_numbers_are_not_cpr(text: str) -> None:
    assert find_cpr(text) is None, text


@st.composite
def long_spellings(draw: st.DrawFn) -> str:
    """A birth date with a four-digit year (or an unpadded one with two), in any
    spelling, followed by a four-digit serial group."""
    year = draw(st.integers(1858, 2099))
    month = draw(st.integers(1, 12))
    last_day = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    day = draw(st.integers(1, last_day.day))
    if draw(st.booleans()):
        day += 60
    serial = f"{draw(st.integers(0, 9999)):04d}"
    sep = st.sampled_from(_SEPARATORS)
    if draw(st.booleans()):  # zero-padded DDMMYYYY split anywhere
        digits = f"{day:02d}{month:02d}{year}"
        cuts = sorted(draw(st.sets(st.integers(1, 7), max_size=7)))
        groups = [digits[a:b] for a, b in zip([0, *cuts], [*cuts, 8], strict=True)]
    else:  # D.M.YYYY or D.M.YY, leading zeros optional
        pad = draw(st.sampled_from(["{:d}", "{:02d}"]))
        yy = str(year) if draw(st.booleans()) else f"{year % 100:02d}"
        groups = [pad.format(day), pad.format(month), yy]
    text = groups[0]
    for group in groups[1:]:
        text += draw(sep) + group
    text += draw(sep) + serial
    return draw(st.sampled_from(_BEFORE)) + text + draw(st.sampled_from(_AFTER))


@settings(max_examples=400)
@given(text=long_spellings())
def test_every_long_spelling_is_found(text: str) -> None:
    assert contains_cpr(text), text
    assert not contains_cpr(redact_cpr(text))


def test_find_returns_the_number_as_written() -> None:
    assert find_cpr("Borger 01.01.90-1234, tak") == "01.01.90-1234"
    assert find_cpr("a 3213901234 b 010190-1234 c") == "010190-1234"


def test_redaction_keeps_everything_else() -> None:
    text = "Borger 010190-1234 og 02 02 02 1234. Tlf 12345678, møde 15.03.2026 14:30."
    assert redact_cpr(text) == (
        "Borger [CPR fjernet] og [CPR fjernet]. Tlf 12345678, møde 15.03.2026 14:30."
    )


@pytest.mark.parametrize(
    "text",
    [
        "3213901234",  # day 32
        "9213901234",  # day 92 (32 + 60)
        "0113901234",  # month 13
        "0100901234",  # month 0
        "0001901234",  # day 0
        "3104901234",  # 31 April
        "3002901234",  # 30 February
        "9002901234",  # 30 February + 60
        "010190123456",  # 12 digits in one group
        "10101901234",  # 11 digits
        "010190-12345",  # 6 + 5: no ten digits made of whole groups
        "1010190-1234",
        "",
        "ingen tal her",
        # A letter, comma, colon, semicolon or plus separates different numbers.
        "010190,1234",
        "010190:1234",
        "010190;1234",
        "010190+1234",
        "010190a1234",
    ],
)
def test_not_cpr(text: str) -> None:
    assert find_cpr(text) is None
    assert redact_cpr(text) == text


def test_groups_are_never_split() -> None:
    # Windows consist of whole groups: 5 + 5 digits is a CPR number, 6 + 5 is not.
    assert contains_cpr("01019 01234")
    assert not contains_cpr("010190 12345")


# --- arbitrary spellings (hypothesis) ----------------------------------------------------------

_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# The zero of some Unicode decimal digit sets: ASCII, full-width, Arabic-Indic, extended
# Arabic-Indic, Devanagari, Bengali, Thai, mathematical bold and monospace.
_ZEROS = (0x30, 0xFF10, 0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0x1D7CE, 0x1D7F6)
_SEPARATORS = (
    " ", "-", ".", "/", "\\", "_", "·", "\t", "\n", "  ", " - ", " / ", " . ", "--",
    "\u00a0", "\u202f", "\u2007", "\u2009", "\u3000",  # no-break, narrow, figure, thin, ideographic
    "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\ufe63", "\uff0d",
    "\uff0f", "\uff0e", "\u2044", " \u2013 ", "\u00a0-\u00a0", ")(", "'", "*", "|",
)  # fmt: skip
_INVISIBLE = (
    "\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u180e", "\u200e",
    "\u200f", "\u202a", "\u202c", "\u2061", "\u2063", "\u034f", "\u3164", "\U000e0020",
)  # fmt: skip
_BEFORE = ("", "CPR ", "cpr: ", "Borgeren oplyste ", "Hun har nr. ", "(", "«", "Notat: ")
_AFTER = ("", ".", " i går.", ", tak", ")", "» - slet det", "! Hilsen K")


@st.composite
def cpr_numbers(draw: st.DrawFn) -> str:
    """Ten digits: a valid date DDMMYY (or a replacement day, + 60) and four digits."""
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, _DAYS[month - 1]))
    if draw(st.booleans()):
        day += 60
    year, serial = draw(st.integers(0, 99)), draw(st.integers(0, 9999))
    return f"{day:02d}{month:02d}{year:02d}{serial:04d}"


def _reads_as_dated_year(groups: list[str], seps: list[str]) -> bool:
    """The documented exception: the first three groups form a date with a four-digit
    year (D.M.YYYY or YYYY-M-D) joined by single dots/dashes/slashes, standing alone."""
    if len(groups) < 4:
        return False
    joined = [
        unicodedata.normalize("NFKC", "".join(c for c in s if c not in _INVISIBLE)) for s in seps
    ]
    date_sep = all(
        len(s) == 1 and (s in "./\\·\u2044" or unicodedata.category(s) == "Pd" or s == "\u2212")
        for s in joined[:2]
    )
    if not date_sep or not any(c.isspace() for c in joined[2]):
        return False
    a, b, c = groups[:3]
    for year, month, day in ((c, b, a), (a, b, c)):
        if len(year) == 4 and len(month) in (1, 2) and len(day) in (1, 2):
            try:
                dt.date(int(year), int(month), int(day))
            except ValueError:
                continue
            if 1900 <= int(year) <= 2099:
                return True
    return False


@st.composite
def spellings(draw: st.DrawFn) -> tuple[str, str]:
    """(spelling, digits): a CPR number split at arbitrary boundaries, with arbitrary
    separators, Unicode digits and invisible characters, inside a Danish sentence."""
    digits = draw(cpr_numbers())
    cuts = sorted(draw(st.sets(st.integers(1, 9), max_size=9)))
    groups = [digits[a:b] for a, b in zip([0, *cuts], [*cuts, 10], strict=True)]
    seps = [draw(st.sampled_from(_SEPARATORS)) for _ in groups[1:]]
    assume(not _reads_as_dated_year(groups, seps))
    zeros = draw(st.lists(st.sampled_from(_ZEROS), min_size=10, max_size=10))
    chars = [chr(zero + int(d)) for zero, d in zip(zeros, digits, strict=True)]
    spelled: list[str] = []
    position = 0
    for index, group in enumerate(groups):
        if index:
            spelled.append(seps[index - 1])
        spelled.extend(chars[position : position + len(group)])
        position += len(group)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(spelled)))
        spelled.insert(at, draw(st.sampled_from(_INVISIBLE)))
    text = draw(st.sampled_from(_BEFORE)) + "".join(spelled) + draw(st.sampled_from(_AFTER))
    return text, digits


@settings(max_examples=600)
@given(case=spellings())
@example(case=("01 01 90 1234", "0101901234"))
def test_every_spelling_is_found_and_redacted(case: tuple[str, str]) -> None:
    text, digits = case
    assert contains_cpr(text), text
    redacted = redact_cpr(text)
    assert not contains_cpr(redacted)
    remaining = "".join(ch for ch in normalise(redacted) if ch.isdigit())
    assert digits not in remaining


@given(digits=cpr_numbers(), noise=st.integers(0, 99), sep=st.sampled_from(_SEPARATORS))
def test_other_numbers_beside_it_do_not_hide_it(digits: str, noise: int, sep: str) -> None:
    assert contains_cpr(f"{noise} {digits[:6]}{sep}{digits[6:]} {noise}")


@given(digits=st.text(alphabet="0123456789", min_size=11, max_size=20))
def test_longer_digit_runs_never_match(digits: str) -> None:
    assert find_cpr(f"nr {digits} x") is None


@given(text=st.text(max_size=300))
def test_any_text_is_handled(text: str) -> None:
    spans = cpr_spans(text)
    assert all(0 <= a < b <= len(text) for a, b in spans)
    assert not contains_cpr(redact_cpr(text))


# --- what is documented as ambiguous ------------------------------------------------------------


def test_documented_residuals() -> None:
    # A CPR number whose year is 19/20 written as a date with a four-digit year plus two
    # digits reads as that date: it passes (README, residual risks).
    assert not contains_cpr("15.03.2026 14")
    # A date with a two-digit year and a time, without "kl.", is ten date-like digits:
    # it is refused (a false positive the README names).
    assert contains_cpr("15.03.26 14.30")
    assert not contains_cpr("15.03.26 kl. 14.30")
    # A P-number whose first six digits are a date is CPR-like in free text.
    assert contains_cpr("P-nr. 1012345678")


# --- the lookalike corpus --------------------------------------------------------------------


def test_the_lookalike_corpus_is_the_generated_one() -> None:
    assert read() == list(generate()), "run: python -m tests.cpr_corpus --write"


def test_only_documented_lookalikes_are_refused_and_the_readme_states_the_rate() -> None:
    rate = false_positive_rate(CORPUS)
    assert rate.total >= 1000
    kinds = {line.kind for line in read()}
    assert {"phone", "datetime", "amount", "p_number", "case_number", "date_number"} <= kinds
    # Only the documented lookalikes are refused (README: a date directly followed by
    # a four-digit number).
    assert [line.text for line in rate.refused] == list(KNOWN_REFUSED)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert rate.sentence() in " ".join(readme.split()), rate.sentence()


# --- P-numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1012345678", "1012345678"),
        (" 1012345678 ", "1012345678"),
        ("1012 345 678", "1012345678"),
        ("P-nr. 1012345678", "1012345678"),
        ("１０１２３４５６７８", "1012345678"),
        ("10\u00ad12345678", "1012345678"),
        ("2012345678", None),  # does not begin with 1
        ("101234567", None),  # nine digits
        ("10123456789", None),
        ("101234-5678", None),  # the CPR spelling: not a P-number
        ("10.12.34-5678", None),
        ("P-nr. 1012345678 og 1012345679", None),
    ],
)
def test_p_number(text: str, expected: str | None) -> None:
    assert p_number(text) == expected


def test_normalise_reads_digits_and_drops_invisibles() -> None:
    assert normalise("０١\u00ad2\u200b3") == "0123"
    assert normalise("Æble a\u030a") == "Æble å"
