"""Tests for dialogues.cpr. All numbers are synthetic."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogues.cpr import contains_cpr, find_cpr, redact_cpr


def mod11_ok(digits: str) -> bool:
    weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("010190-1234", "010190-1234"),
        ("0101901234", "0101901234"),
        ("010190 1234", "010190 1234"),
        ("010190 - 1234", "010190 - 1234"),
        ("010190\u20131234", "010190\u20131234"),  # en dash from autocorrect
        ("010190\u00a01234", "010190\u00a01234"),
        ("cpr:0101901234", "0101901234"),
        ("CPR-nr. 010190-1234.", "010190-1234"),
        ("(010190-1234)", "010190-1234"),
        ("abc0101901234def", "0101901234"),
        ("borgeren har 010190-1234, tak", "010190-1234"),
        ("290200-1234", "290200-1234"),  # 29/2 in a leap year
        ("290299-1234", "290299-1234"),  # 29/2 allowed in any year: century unknown
        ("311299-4321", "311299-4321"),
        ("300490-0000", "300490-0000"),
        ("310190-9999", "310190-9999"),
        ("ｃｐｒ ０１０１９０-１２３４", "０１０１９０-１２３４"),  # full-width digits
    ],
)
def test_cpr_found(text: str, found: str) -> None:
    assert find_cpr(text) == found
    assert contains_cpr(text)
    assert found not in redact_cpr(text)
    assert "[CPR fjernet]" in redact_cpr(text)


def test_modulus_11_not_required() -> None:
    assert not mod11_ok("0101901234")
    assert contains_cpr("010190-1234")


@pytest.mark.parametrize(
    "text",
    [
        "3213901234",  # day 32
        "0113901234",  # month 13
        "0100901234",  # month 0
        "0001901234",  # day 0
        "3104901234",  # 31 April
        "3002901234",  # 30 February
        "12345678",  # phone number
        "+45 12 34 56 78",
        "tlf. 20304050",
        "010190123456",  # 12 digits
        "10101901234",  # 11 digits
        "010190-12345",
        "1010190-1234",
        "01019-01234",
        "010190--1234",
        "01 01 90 1234",  # grouped digits: documented as not covered
        "15.03.2026",
        "2026-03-15",
        "sag 2026-0042",
        "",
        "ingen tal her",
    ],
)
def test_not_cpr(text: str) -> None:
    assert find_cpr(text) is None
    assert not contains_cpr(text)
    assert redact_cpr(text) == text


def test_p_number_false_positive_only_when_date_like() -> None:
    # P-numbers are 10 digits; "101234" reads as 10/12-34, an accepted false positive.
    assert find_cpr("P-nr. 1012345678") == "1012345678"
    # "101567" would be month 15: not a date, not CPR-like.
    assert find_cpr("P-nr. 1015678901") is None


def test_find_returns_first_match() -> None:
    text = "a 3213901234 b 010190-1234 c 020290 5678"
    assert find_cpr(text) == "010190-1234"


def test_redact_all_matches_and_keep_the_rest() -> None:
    text = "Borger 010190-1234 og 0202021234. Tlf 12345678, P-nr 1015678901."
    assert redact_cpr(text) == (
        "Borger [CPR fjernet] og [CPR fjernet]. Tlf 12345678, P-nr 1015678901."
    )
    assert not contains_cpr(redact_cpr(text))


def test_redact_without_cpr_is_identity() -> None:
    text = "Mødet er den 15/3-2026 kl. 14 hos virksomheden."
    assert redact_cpr(text) == text


_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@st.composite
def cpr_like(draw: st.DrawFn) -> str:
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, _DAYS_IN_MONTH[month - 1]))
    year = draw(st.integers(0, 99))
    serial = draw(st.integers(0, 9999))
    sep = draw(st.sampled_from(["", "-", " ", "\u2013", " - "]))
    return f"{day:02d}{month:02d}{year:02d}{sep}{serial:04d}"


@given(cpr=cpr_like(), before=st.text(alphabet="abcæøå:.,;(!?", max_size=10))
def test_every_plausible_cpr_is_found_and_redacted(cpr: str, before: str) -> None:
    text = f"{before}{cpr} tak"
    assert find_cpr(text) == cpr
    assert redact_cpr(text) == f"{before}[CPR fjernet] tak"


@given(digits=st.text(alphabet="0123456789", min_size=11, max_size=20))
def test_longer_digit_runs_never_match(digits: str) -> None:
    assert find_cpr(f"nr {digits} x") is None
