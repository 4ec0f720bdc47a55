"""Tests for dialogues.dates: Danish date input and output."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dialogues.dates import DateInputError, format_danish_date, parse_danish_date
from dialogues.rules import weeks_between

TODAY = date(2026, 11, 30)  # a Monday


def parse(text: str, today: date = TODAY) -> date:
    return parse_danish_date(text, today=today)


def refused(text: str, today: date = TODAY) -> str:
    with pytest.raises(DateInputError) as info:
        parse_danish_date(text, today=today)
    assert isinstance(info.value, ValueError)
    assert info.value.message == str(info.value)
    assert info.value.message
    return info.value.message


def test_today_is_a_monday() -> None:
    assert TODAY.weekday() == 0
    assert format_danish_date(TODAY) == "mandag den 30. november 2026"


# --- keywords -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("i dag", date(2026, 11, 30)),
        ("idag", date(2026, 11, 30)),
        ("nu", date(2026, 11, 30)),
        ("i morgen", date(2026, 12, 1)),
        ("imorgen", date(2026, 12, 1)),
        ("i overmorgen", date(2026, 12, 2)),
        ("overmorgen", date(2026, 12, 2)),
        ("i går", date(2026, 11, 29)),
        ("igår", date(2026, 11, 29)),
        ("i forgårs", date(2026, 11, 28)),
        # case, whitespace, trailing dot
        ("I MORGEN", date(2026, 12, 1)),
        ("  I  Morgen.  ", date(2026, 12, 1)),
        ("i\u00a0overmorgen.", date(2026, 12, 2)),
        ("I Går", date(2026, 11, 29)),
    ],
)
def test_keywords(text: str, expected: date) -> None:
    assert parse(text) == expected


# --- weekdays ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # plain weekday: first such day strictly after today (Monday 30 Nov)
        ("mandag", date(2026, 12, 7)),
        ("tirsdag", date(2026, 12, 1)),
        ("onsdag", date(2026, 12, 2)),
        ("torsdag", date(2026, 12, 3)),
        ("fredag", date(2026, 12, 4)),
        ("lørdag", date(2026, 12, 5)),
        ("søndag", date(2026, 12, 6)),
        ("på fredag", date(2026, 12, 4)),
        ("På Fredag.", date(2026, 12, 4)),
        ("lordag", date(2026, 12, 5)),
        # "næste <ugedag>": the weekday in the next calendar week (7-13 Dec)
        ("næste mandag", date(2026, 12, 7)),
        ("næste tirsdag", date(2026, 12, 8)),
        ("næste onsdag", date(2026, 12, 9)),
        ("næste torsdag", date(2026, 12, 10)),
        ("næste fredag", date(2026, 12, 11)),
        ("næste lørdag", date(2026, 12, 12)),
        ("næste søndag", date(2026, 12, 13)),
        ("NÆSTE FREDAG", date(2026, 12, 11)),
        ("fredag i næste uge", date(2026, 12, 11)),
        ("på fredag i næste uge", date(2026, 12, 11)),
        # "i fredags": the most recent such day before today
        ("i fredags", date(2026, 11, 27)),
        ("i søndags", date(2026, 11, 29)),
        ("i mandags", date(2026, 11, 23)),
    ],
)
def test_weekdays_from_monday(text: str, expected: date) -> None:
    assert parse(text) == expected
    assert expected.weekday() == [
        "mandag",
        "tirsdag",
        "onsdag",
        "torsdag",
        "fredag",
        "lørdag",
        "søndag",
    ].index(format_danish_date(expected).split()[0])


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        # Thursday 3 Dec: "fredag" is tomorrow, "næste fredag" the Friday after
        (date(2026, 12, 3), "fredag", date(2026, 12, 4)),
        (date(2026, 12, 3), "næste fredag", date(2026, 12, 11)),
        # Friday 4 Dec: both mean the Friday a week later
        (date(2026, 12, 4), "fredag", date(2026, 12, 11)),
        (date(2026, 12, 4), "næste fredag", date(2026, 12, 11)),
        # Sunday 6 Dec: next calendar week starts tomorrow
        (date(2026, 12, 6), "næste mandag", date(2026, 12, 7)),
        (date(2026, 12, 6), "næste søndag", date(2026, 12, 13)),
        (date(2026, 12, 6), "mandag", date(2026, 12, 7)),
        # across the new year (Thursday 31 Dec 2026)
        (date(2026, 12, 31), "næste mandag", date(2027, 1, 4)),
        (date(2026, 12, 31), "fredag", date(2027, 1, 1)),
    ],
)
def test_weekdays_other_days(today: date, text: str, expected: date) -> None:
    assert parse(text, today) == expected


def test_naeste_is_always_in_next_calendar_week() -> None:
    for offset in range(14):
        today = TODAY + timedelta(days=offset)
        next_monday = today + timedelta(days=7 - today.weekday())
        for wd, name in enumerate(
            ["mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"]
        ):
            assert parse(f"næste {name}", today) == next_monday + timedelta(days=wd)
            plain = parse(name, today)
            assert plain.weekday() == wd
            assert 1 <= (plain - today).days <= 7


# --- relative ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("om 3 dage", date(2026, 12, 3)),
        ("om 1 dag", date(2026, 12, 1)),
        ("om en dag", date(2026, 12, 1)),
        ("om 0 dage", date(2026, 11, 30)),
        ("om 14 dage", date(2026, 12, 14)),
        ("om to dage", date(2026, 12, 2)),
        ("om en uge", date(2026, 12, 7)),
        ("om 1 uge", date(2026, 12, 7)),
        ("om 2 uger", date(2026, 12, 14)),
        ("om tre uger", date(2026, 12, 21)),
        ("om 1 måned", date(2026, 12, 30)),
        ("om en måned", date(2026, 12, 30)),
        ("om 2 måneder", date(2027, 1, 30)),
        ("om 3 måneder", date(2027, 2, 28)),  # 30 Feb does not exist: last day
        ("om 15 måneder", date(2028, 2, 29)),  # leap year
        ("om et år", date(2027, 11, 30)),
        ("Om 3 Dage.", date(2026, 12, 3)),
    ],
)
def test_relative(text: str, expected: date) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2027, 1, 31), date(2027, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 12, 15), date(2027, 1, 15)),
    ],
)
def test_one_month_clamps_to_month_end(today: date, expected: date) -> None:
    assert parse("om 1 måned", today) == expected


@pytest.mark.parametrize(
    "text", ["om 6 år", "om 5000 dage", "om 99999999999999 dage", "om " + "9" * 5000 + " dage"]
)
def test_relative_too_far(text: str) -> None:
    assert "langt" in refused(text)


# --- absolute dates ----------------------------------------------------------------

MARCH_15_NEXT = date(2027, 3, 15)
MARCH_15_2026 = date(2026, 3, 15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15. marts", MARCH_15_NEXT),
        ("15 marts", MARCH_15_NEXT),
        ("15. mar", MARCH_15_NEXT),
        ("15. mar.", MARCH_15_NEXT),
        ("15. Marts.", MARCH_15_NEXT),
        ("den 15. marts", MARCH_15_NEXT),
        ("d. 15. marts", MARCH_15_NEXT),
        ("15/3", MARCH_15_NEXT),
        ("15.3", MARCH_15_NEXT),
        ("15.3.", MARCH_15_NEXT),
        ("15-3", MARCH_15_NEXT),
        ("15/03", MARCH_15_NEXT),
        ("15. marts 2026", MARCH_15_2026),
        ("15. marts 2027", MARCH_15_NEXT),
        ("15/3-2026", MARCH_15_2026),
        ("15.03.2026", MARCH_15_2026),
        ("15-03-2026", MARCH_15_2026),
        ("15/3/26", MARCH_15_2026),
        ("15/3/2026", MARCH_15_2026),
        ("2026-03-15", MARCH_15_2026),
        ("2026-3-15", MARCH_15_2026),
        ("søndag den 15. marts 2026", MARCH_15_2026),
        ("mandag den 15. marts", MARCH_15_NEXT),
        ("3. sept", date(2027, 9, 3)),
        ("3. sep. 2027", date(2027, 9, 3)),
        ("1. okt", date(2027, 10, 1)),
        ("24. dec", date(2026, 12, 24)),
        ("24 december", date(2026, 12, 24)),
        ("1. maj", date(2027, 5, 1)),
        ("1. januar", date(2027, 1, 1)),
    ],
)
def test_absolute(text: str, expected: date) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # no year: next occurrence on or after today (30 Nov 2026)
        ("30. november", date(2026, 11, 30)),
        ("30/11", date(2026, 11, 30)),
        ("29. november", date(2027, 11, 29)),
        ("1/12", date(2026, 12, 1)),
        ("31/12", date(2026, 12, 31)),
        ("1/1", date(2027, 1, 1)),
        ("15. marts", date(2027, 3, 15)),
        # day of month only
        ("den 15.", date(2026, 12, 15)),
        ("d. 30", date(2026, 11, 30)),
        ("den 31", date(2026, 12, 31)),
    ],
)
def test_year_rollover(text: str, expected: date) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        (date(2026, 12, 31), "i morgen", date(2027, 1, 1)),
        (date(2026, 12, 25), "om 2 uger", date(2027, 1, 8)),
        (date(2026, 12, 31), "2/1", date(2027, 1, 2)),
        (date(2027, 1, 2), "31/12", date(2027, 12, 31)),
        (date(2027, 1, 1), "i går", date(2026, 12, 31)),
        (date(2027, 2, 1), "den 31", date(2027, 3, 31)),  # February has no 31st
    ],
)
def test_rollover_other_days(today: date, text: str, expected: date) -> None:
    assert parse(text, today) == expected


# --- leap day ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        (TODAY, "29/2-2028", date(2028, 2, 29)),
        (TODAY, "29. februar 2028", date(2028, 2, 29)),
        (TODAY, "2028-02-29", date(2028, 2, 29)),
        (date(2027, 11, 30), "29/2", date(2028, 2, 29)),
        (date(2027, 11, 30), "29. februar", date(2028, 2, 29)),
        (date(2028, 2, 29), "29/2", date(2028, 2, 29)),
        (date(2028, 2, 28), "i morgen", date(2028, 2, 29)),
        (date(2027, 2, 28), "i morgen", date(2027, 3, 1)),
    ],
)
def test_leap_day(today: date, text: str, expected: date) -> None:
    assert parse(text, today) == expected


@pytest.mark.parametrize(
    ("today", "text"),
    [
        (TODAY, "29/2-2027"),
        (TODAY, "29. februar 2027"),
        (TODAY, "2027-02-29"),
        (TODAY, "29/2"),  # the next February (2027) has no 29th
        (TODAY, "29. februar"),
        (date(2028, 3, 1), "29/2"),  # the next February is 2029
    ],
)
def test_leap_day_refused_in_common_years(today: date, text: str) -> None:
    message = refused(text, today)
    assert "skudår" in message
    assert "2027" in message or "2029" in message


# --- impossible dates --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected_in_message"),
    [
        ("31. februar", "Februar har ikke 31 dage"),
        ("30/2", "Februar har ikke 30 dage"),
        ("30. feb 2028", "Februar har ikke 30 dage"),
        ("31/4", "April har ikke 31 dage"),
        ("31. juni", "Juni har ikke 31 dage"),
        ("31.09.2026", "September har ikke 31 dage"),
        ("32/1", "Januar har ikke 32 dage"),
        ("2026-13-01", "12 måneder"),
        ("15/13", "12 måneder"),
        ("15/0", "12 måneder"),
        ("0/5", "Dag 0 findes ikke"),
        ("0. maj", "Dag 0 findes ikke"),
        ("den 32", "Ingen måned har en dag 32"),
        ("fredag den 15. marts 2026", "søndag, ikke en fredag"),
    ],
)
def test_impossible_dates(text: str, expected_in_message: str) -> None:
    assert expected_in_message in refused(text)


def test_february_message_mentions_leap_year() -> None:
    assert refused("30/2") == (
        'Februar har ikke 30 dage, kun 28 (29 i skudår). Skriv fx "i morgen", '
        '"næste fredag", "15. marts" eller "15/3".'
    )


# --- times ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a general-purpose parser (dateparser) turned the first one into 15 March 2114
        ("15. marts kl. 14", MARCH_15_NEXT),
        ("15. marts kl. 14.", MARCH_15_NEXT),
        ("15. marts kl 14", MARCH_15_NEXT),
        ("15. marts klokken 14", MARCH_15_NEXT),
        ("15. marts kl. 14.30", MARCH_15_NEXT),
        ("15. marts, kl. 9:05", MARCH_15_NEXT),
        ("15/3 14:30", MARCH_15_NEXT),
        ("15/3-2026 kl. 14", MARCH_15_2026),
        ("i morgen kl. 9", date(2026, 12, 1)),
        ("næste fredag kl 10.00", date(2026, 12, 11)),
        ("kl. 14 i morgen", date(2026, 12, 1)),
    ],
)
def test_time_is_ignored(text: str, expected: date) -> None:
    result = parse(text)
    assert result == expected
    assert result.year != 2114


@pytest.mark.parametrize(
    "text",
    ["kl 14", "kl. 14", "i morgen kl", "15. marts kl. 25", "15. marts kl 14-16", "14:30"],
)
def test_time_without_usable_date_is_refused(text: str) -> None:
    message = refused(text)
    assert "uden klokkeslæt" in message or "Jeg kan ikke læse" in message


def test_time_refusal_says_write_only_the_date() -> None:
    assert "Skriv kun datoen uden klokkeslæt" in refused("15. marts kl 14-16")


# --- range ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/1-2025", date(2025, 1, 1)),
        ("2025-01-01", date(2025, 1, 1)),
        ("31/12-2031", date(2031, 12, 31)),
        ("31/12/31", date(2031, 12, 31)),
    ],
)
def test_range_edges_accepted(text: str, expected: date) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    ["15. marts 2114", "31/12-2024", "1/1-2032", "2020-05-01", "1/1/99", "15/3/00"],
)
def test_years_out_of_range_refused(text: str) -> None:
    message = refused(text)
    assert "ligger for langt fra i dag" in message
    assert "2025" in message
    assert "2031" in message


# --- month name first, abbreviated weekdays -----------------------------------------
# These were read only by the dateparser fallback until the rules above covered them.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("marts 15", date(2027, 3, 15)),
        ("dec 24", date(2026, 12, 24)),
        ("dec. 7", date(2026, 12, 7)),
        ("Dec 7", date(2026, 12, 7)),
        ("december 7", date(2026, 12, 7)),
        ("januar 4", date(2027, 1, 4)),
        ("jan 4", date(2027, 1, 4)),
        ("dec-1", date(2026, 12, 1)),
        ("nov 30", date(2026, 11, 30)),  # today
        ("nov 29", date(2027, 11, 29)),  # next occurrence, as "29. nov"
        ("marts 15 2027", date(2027, 3, 15)),
        ("december 7 2026", date(2026, 12, 7)),
        ("dec 7, 2026", date(2026, 12, 7)),
        ("nov 29 2026", date(2026, 11, 29)),  # past, but the year is written
        ("fredag dec 4", date(2026, 12, 4)),
        ("1-dec-2026", date(2026, 12, 1)),
        ("01-dec-2026", date(2026, 12, 1)),
        ("15-mar-27", date(2027, 3, 15)),
    ],
)
def test_month_name_first_and_hyphenated(text: str, expected: date) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("man", date(2026, 12, 7)),
        ("tir", date(2026, 12, 1)),
        ("tirs", date(2026, 12, 1)),
        ("ons", date(2026, 12, 2)),
        ("tor", date(2026, 12, 3)),
        ("tors.", date(2026, 12, 3)),
        ("fre", date(2026, 12, 4)),
        ("lør", date(2026, 12, 5)),
        ("søn", date(2026, 12, 6)),
        ("på fre", date(2026, 12, 4)),
        ("næste fre", date(2026, 12, 11)),
        ("fre. i næste uge", date(2026, 12, 11)),
        ("man. 7/12", date(2026, 12, 7)),
        ("man d. 7/12", date(2026, 12, 7)),
        ("tirs 8/12", date(2026, 12, 8)),
        ("tir. 8. dec", date(2026, 12, 8)),
        ("ons. d. 9/12", date(2026, 12, 9)),
        ("fredag den 4", date(2026, 12, 4)),
        ("fredag d 4", date(2026, 12, 4)),
        ("fre. d. 4.", date(2026, 12, 4)),
    ],
)
def test_abbreviated_weekdays_and_weekday_with_day(text: str, expected: date) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("fredag dec 15", "15. december 2026 er en tirsdag, ikke en fredag"),
        ("man. 8/12", "8. december 2026 er en tirsdag, ikke en mandag"),
        ("fredag den 5", "5. december 2026 er en lørdag, ikke en fredag"),
        ("marts 15 2040", "Året 2040 ligger for langt fra i dag"),
        ("feb 30", "Februar har ikke 30 dage"),
        ("dec 32", "December har ikke 32 dage"),
    ],
)
def test_month_first_and_weekday_refusals(text: str, needle: str) -> None:
    assert needle in refused(text)


@pytest.mark.parametrize(
    "text",
    [
        "marts 15 14",  # not 15 March 2114 (dateparser's reading), nor 2014
        "marts 15 27",  # two-digit years only after the day: "15/3/27", "15. marts 27"
        "fredag 14",  # a weekday and a bare number
        "3 dage siden",
        "marts kl",
        "to",  # a number word, not "torsdag"
        "tor 3 dage",
    ],
)
def test_near_misses_refused(text: str) -> None:
    assert "Jeg kan ikke læse" in refused(text)


def test_time_without_kl_is_not_a_far_year() -> None:
    # explicit rule reads the 14 as the year 2014 and refuses it: never 2114
    message = refused("15 marts 14")
    assert "2014" in message
    assert "2114" not in message


def test_uses_given_today_not_the_clock() -> None:
    assert parse("marts 15", date(2011, 6, 1)) == date(2012, 3, 15)
    assert parse("i morgen", date(2011, 6, 1)) == date(2011, 6, 2)
    assert parse("næste fredag", date(2011, 6, 1)) == date(2011, 6, 10)


@pytest.mark.parametrize(
    "text",
    [
        "15 dage",  # dateparser read 15 December
        "3 dage siden",
        "jul",  # dateparser read 30 July (the day taken from today)
        "december",  # dateparser read 30 December
        "15 mart",  # dateparser read 15 Nov in a time zone "MART"
        "uge 49",
        "primo januar",
        "næste uge",  # a week, not a day
        "næste måned",
        "xyz",
        "15",
        "15.",
        "1234",
        "15. marst",
        "fredag eller lørdag",
        "",
        "   ",
        ".",
    ],
)
def test_unreadable_refused(text: str) -> None:
    message = refused(text)
    assert "dato" in message
    assert "i morgen" in message  # an example of what works


def test_unreadable_message_quotes_input() -> None:
    assert refused("xyz") == (
        'Jeg kan ikke læse "xyz" som en dato. Skriv fx "i morgen", "næste fredag", '
        '"15. marts" eller "15/3".'
    )


def test_message_never_echoes_a_cpr_number() -> None:
    message = refused("010190-1234")
    assert "010190" not in message
    assert "[CPR fjernet]" in message


def test_message_cuts_long_input() -> None:
    message = refused("x" * 500)
    assert "x" * 40 not in message
    assert "…" in message


# --- format ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2026, 12, 4), "fredag den 4. december 2026"),
        (date(2026, 3, 15), "søndag den 15. marts 2026"),
        (date(2028, 2, 29), "tirsdag den 29. februar 2028"),
        (date(2027, 1, 1), "fredag den 1. januar 2027"),
        (date(2026, 6, 6), "lørdag den 6. juni 2026"),
    ],
)
def test_format(d: date, expected: str) -> None:
    assert format_danish_date(d) == expected


def test_format_round_trips_through_parse() -> None:
    d = date(2025, 1, 1)
    while d <= date(2031, 12, 31):
        assert parse(format_danish_date(d)) == d
        d += timedelta(days=1)


# --- the end of a period, read from its start -------------------------------------------

START = date(2026, 12, 7)  # Monday, the week after TODAY


@pytest.mark.parametrize(
    ("start", "text", "expected"),
    [
        # a weekday: the first such day strictly after the start (not after today)
        (START, "fredag", date(2026, 12, 11)),
        (START, "fre.", date(2026, 12, 11)),
        (START, "på fredag", date(2026, 12, 11)),
        (START, "mandag", date(2026, 12, 14)),  # the start's own weekday: a week on
        (START, "søndag", date(2026, 12, 13)),
        (date(2027, 3, 1), "fredag", date(2027, 3, 5)),
        # a length: the last day of a period that long, first and last day counted
        (START, "4 uger", date(2027, 1, 3)),  # Sunday of the fourth week: exactly 4 weeks
        (START, "om 4 uger", date(2027, 1, 3)),
        (START, "i 4 uger", date(2027, 1, 3)),
        (START, "fire uger", date(2027, 1, 3)),
        (START, "en uge", date(2026, 12, 13)),
        (START, "13 uger", date(2027, 3, 7)),
        (START, "10 dage", date(2026, 12, 16)),
        (START, "3 måneder", date(2027, 3, 6)),
        (START, "om 3 mdr", date(2027, 3, 6)),
        (date(2027, 1, 31), "1 måned", date(2027, 2, 27)),  # 28 February is a month on
        (START, "et år", date(2027, 12, 6)),
        # a day and month without a year, or a day: the next on or after the start
        (date(2027, 11, 15), "15/1", date(2028, 1, 15)),
        (date(2027, 11, 15), "15. januar", date(2028, 1, 15)),
        (date(2027, 11, 15), "jan 15", date(2028, 1, 15)),
        (date(2027, 11, 15), "den 20.", date(2027, 11, 20)),
        (date(2027, 11, 15), "den 10.", date(2027, 12, 10)),
        (START, "28/3", date(2027, 3, 28)),
        # counted from today as always: words about today and the calendar week
        (START, "i morgen", date(2026, 12, 1)),
        (START, "næste fredag", date(2026, 12, 11)),
        (START, "fredag i næste uge", date(2026, 12, 11)),
        (START, "i fredags", date(2026, 11, 27)),
        # a full date is the date
        (START, "28/3-2027", date(2027, 3, 28)),
        (START, "2027-01-03", date(2027, 1, 3)),
    ],
)
def test_end_of_a_period_is_read_from_its_start(start: date, text: str, expected: date) -> None:
    assert parse_danish_date(text, today=TODAY, period_start=start) == expected


@pytest.mark.parametrize("text", ["4 uger", "i 4 uger", "10 dage", "3 måneder", "fire uger"])
def test_a_length_without_a_start_is_no_date(text: str) -> None:
    assert "som en dato" in refused(text)


@pytest.mark.parametrize("text", ["0 uger", "om 0 dage", "4 ugers", "i 4", "uger"])
def test_lengths_that_are_no_end_are_refused(text: str) -> None:
    with pytest.raises(DateInputError):
        parse_danish_date(text, today=TODAY, period_start=START)


def test_a_4_week_length_is_exactly_at_a_4_week_maximum() -> None:
    """dialogues.rules counts a period with its first and last day: '4 uger' from the
    start is 28 days, at a 4-week maximum and not over it."""
    for start in (START, date(2026, 12, 9), date(2027, 2, 22)):  # Monday, Wednesday, Monday
        end = parse_danish_date("4 uger", today=TODAY, period_start=start)
        assert weeks_between(start, end) == 4
