"""Reading and writing Danish dates typed by consultants.

Pure: no I/O and no clock reads. Today's date is always passed in.

``parse_danish_date`` understands (case-insensitive; surrounding whitespace and a
trailing ``.`` are ignored):

* ``i dag``, ``nu``, ``i morgen``, ``i overmorgen``, ``i går``, ``i forgårs`` (also
  written together: ``imorgen``). Past dates are returned as they are; range checks for
  the purpose at hand are the caller's job.
* A weekday, ``fredag`` or ``på fredag``: the first such day strictly *after* today
  (so on a Monday, ``mandag`` is the Monday a week later). Weekdays may be abbreviated
  (``man``, ``tir``/``tirs``, ``ons``, ``tor``/``tors``, ``fre``, ``lør``, ``søn``, with
  or without a dot) here and wherever a weekday may stand in front of a date.
* ``næste fredag`` or ``fredag i næste uge``: the weekday in the *next calendar week*
  (weeks run Monday–Sunday). On Monday 30 November 2026, ``fredag`` is 4 December and
  ``næste fredag`` is 11 December; on Sunday 6 December, ``næste mandag`` is
  7 December (the next day). The caller shows the date back for confirmation.
* ``i fredags``: the most recent such day strictly before today.
* ``om 3 dage``, ``om en uge``, ``om 2 uger``, ``om 1 måned``, ``om 2 måneder``,
  ``om et år`` (numbers as digits or as words up to twelve). Adding months keeps the
  day of month, or uses the month's last day when it is shorter (31 January + 1 month
  = 28/29 February).
* Day and month name: ``15. marts``, ``15 marts``, ``15. mar``, ``15. sept.``,
  ``15-mar-2027``, with an optional year (``15. marts 2027``) and optional ``den`` /
  weekday in front (``fredag den 4. december 2026``, the output of
  ``format_danish_date``; a weekday that does not match the date is refused).
* Month name first: ``marts 15``, ``dec. 24``, ``dec 7, 2026``, ``fredag dec 4``; a year
  here must have four digits (``marts 15 14`` is refused, not read as 2014 or 2114).
* Numeric: ``15/3``, ``15.3``, ``15-3``, ``15/3-2026``, ``15.03.2026``,
  ``15-03-2026``, ``15/3/26`` (two-digit years are 20xx), ISO ``2026-03-15``.
* Day of month only: ``den 15.`` / ``d. 15`` / ``fredag den 4``: the next 15th (4th) on
  or after today.
* The end of a period (``period_start`` given: the period's first day): a weekday is the
  first such day strictly *after* the start (``mandag - fredag`` is one working week), a
  day of month or a day and month without a year the next on or after the start, and a
  length — ``4 uger``, ``om 4 uger``, ``i 4 uger``, ``3 måneder``, ``10 dage`` — the last
  day of a period of that length starting on the start (start + 4 weeks - 1 day: a
  4-week praktik from a Monday ends on the Sunday of its fourth week, exactly the 4 weeks
  the rules count). ``i morgen``, ``næste fredag`` and ``i fredags`` still count from
  today.
* A time after or before the date (``15. marts kl. 14``, ``i morgen kl 9.30``,
  ``15/3 14:30``, ``kl. 14 i morgen``) is ignored; only the date is returned. Any
  other text mentioning ``kl.`` is refused with a request to write only the date.

Without a year, a day and month mean the next occurrence on or after today (in
November, ``15. marts`` is next year's). If that date does not exist in that year
(``29/2`` when the next February is not in a leap year) the input is refused rather
than silently moved years ahead: the user is asked to write the year.

Impossible dates (``31. februar``, ``30/2``, ``2026-13-01``, ``29/2-2027``) are refused
with a Danish explanation. Every result must lie in the years ``today.year - 1`` …
``today.year + 5``. Anything else (``næste uge``, ``15 dage``, ``december``, ``uge 49``)
gets the "cannot read" message with examples of what works: the caller asks again.

There is no general-purpose fallback parser: ``dateparser`` was one until the rules
above covered every input it read (README, *Performance*: what it read and cost).
"""

from __future__ import annotations

import re
import unicodedata
from calendar import isleap, monthrange
from datetime import date, timedelta

from dialogues.cpr import redact_cpr

__all__ = ["DateInputError", "format_danish_date", "parse_danish_date"]

MONTH_NAMES = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)
WEEKDAY_NAMES = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")

_MONTHS: dict[str, int] = {name: i for i, name in enumerate(MONTH_NAMES, start=1)}
_MONTHS.update({name[:3]: i for i, name in enumerate(MONTH_NAMES, start=1)})
_MONTHS["sept"] = 9

_WEEKDAYS: dict[str, int] = {name: i for i, name in enumerate(WEEKDAY_NAMES)}
# Spellings without æ/ø/å, as typed on non-Danish keyboards.
_WEEKDAYS.update({"lordag": 5, "loerdag": 5, "sondag": 6, "soendag": 6})
# Abbreviations (not the two-letter ones: "to" is a number, "ti" ten).
_WEEKDAYS.update(
    {"man": 0, "tir": 1, "tirs": 1, "ons": 2, "tor": 3, "tors": 3, "fre": 4}
    | {"lør": 5, "lor": 5, "søn": 6, "son": 6}
)

# "i fredags" = last Friday.
_PAST_WEEKDAYS: dict[str, int] = {f"{name[:-3]}dags": i for i, name in enumerate(WEEKDAY_NAMES)}
_PAST_WEEKDAYS.update({"lordags": 5, "loerdags": 5, "sondags": 6, "soendags": 6})

_KEYWORDS: dict[str, int] = {
    "i dag": 0,
    "idag": 0,
    "nu": 0,
    "i morgen": 1,
    "imorgen": 1,
    "i overmorgen": 2,
    "overmorgen": 2,
    "i går": -1,
    "igår": -1,
    "i gaar": -1,
    "igaar": -1,
    "i forgårs": -2,
    "iforgårs": -2,
    "i forgaars": -2,
}

_NUMBER_WORDS: dict[str, int] = {
    "en": 1,
    "én": 1,
    "et": 1,
    "ét": 1,
    "to": 2,
    "tre": 3,
    "fire": 4,
    "fem": 5,
    "seks": 6,
    "syv": 7,
    "otte": 8,
    "ni": 9,
    "ti": 10,
    "elleve": 11,
    "tolv": 12,
}

_UNITS: dict[str, str] = {
    "dag": "days",
    "dage": "days",
    "døgn": "days",
    "uge": "weeks",
    "uger": "weeks",
    "måned": "months",
    "måneder": "months",
    "maaned": "months",
    "maaneder": "months",
    "md": "months",
    "mdr": "months",
    "år": "years",
    "aar": "years",
}

_WD = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_PAST_WD = "|".join(sorted(_PAST_WEEKDAYS, key=len, reverse=True))

_RE_WEEKDAY = re.compile(rf"^(?:på\s+)?(næste\s+)?({_WD})\.?(\s+i\s+næste\s+uge)?$")
_RE_PAST_WEEKDAY = re.compile(rf"^i\s+({_PAST_WD})$")
_RE_RELATIVE = re.compile(r"^om\s+([0-9]+|[a-zéæøå]+)\s+([a-zæøå]+)\.?$")
# A length ("4 uger", "i 4 uger"): only for the end of a period, counted from its start.
_RE_LENGTH = re.compile(r"^(?:om\s+|i\s+)?([0-9]+|[a-zéæøå]+)\s+([a-zæøå]+)\.?$")
_RE_ISO = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_PREFIX = rf"(?:({_WD})\.?\s*,?\s+)?(?:den\s+|d\.\s*|d\s+)?"
_RE_NUMERIC = re.compile(
    rf"^{_PREFIX}([0-9]{{1,2}})\s*[./-]\s*([0-9]{{1,2}})"
    r"(?:(?:\s*[./-]\s*|\s+)([0-9]{4}|[0-9]{2}))?$"
)
_RE_MONTH_NAME = re.compile(
    rf"^{_PREFIX}([0-9]{{1,2}})\.?\s*-?\s*([a-zæøå]+)\.?"
    r"(?:(?:\s*,?\s+|\s*-\s*)([0-9]{4}|[0-9]{2}))?$"
)
_RE_MONTH_FIRST = re.compile(
    rf"^(?:({_WD})\.?\s*,?\s+)?([a-zæøå]+)\.?(?:\s+|\s*-\s*)([0-9]{{1,2}})\.?"
    r"(?:\s*,?\s+([0-9]{4}))?$"
)
_RE_DAY_ONLY = re.compile(rf"^(?:({_WD})\.?\s*,?\s+)?(?:den|d\.|d)\s*([0-9]{{1,2}})$")

_TIME = r"(?:kl\.?|klokken)\s*([0-9]{1,2})(?:[:.]([0-9]{2}))?"
_RE_TIME_AFTER = re.compile(rf"^(.*?)\s*(?:,\s*|\s+)(?:{_TIME}|([0-9]{{1,2}}):([0-9]{{2}}))$")
_RE_TIME_BEFORE = re.compile(rf"^{_TIME}\s*,?\s+(.+)$")
_RE_TIME_WORD = re.compile(r"\b(?:kl|klokken)\b|[0-9]:[0-9]")

_EXAMPLES = 'Skriv fx "i morgen", "næste fredag", "15. marts" eller "15/3".'
_MAX_SHOWN = 40


class DateInputError(ValueError):
    """A date the user typed could not be used; ``message`` explains why, in Danish."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def format_danish_date(d: date) -> str:
    """Format a date the Danish way, e.g. ``"fredag den 4. december 2026"``."""
    return f"{WEEKDAY_NAMES[d.weekday()]} den {d.day}. {MONTH_NAMES[d.month - 1]} {d.year}"


def parse_danish_date(text: str, *, today: date, period_start: date | None = None) -> date:
    """Read a date typed in Danish, relative to ``today`` (and, for the end of a period,
    to the period's first day ``period_start``).

    See the module docstring for everything that is understood. The rule for
    ``næste <ugedag>``: the weekday in the next calendar week (Monday–Sunday), i.e.
    ``næste fredag`` typed on Monday 30 November 2026 is Friday 11 December 2026,
    while plain ``fredag`` is Friday 4 December.

    Raises ``DateInputError`` with a Danish ``message`` for anything it cannot read,
    for dates that do not exist, and for dates outside ``today.year - 1`` …
    ``today.year + 5``.
    """
    norm = _normalise(text)
    if not norm:
        raise DateInputError(f"Skriv en dato. {_EXAMPLES}")
    norm = _strip_time(norm)

    result = _parse_explicit(norm, today, period_start)
    if result is None:
        if _RE_TIME_WORD.search(norm):
            raise DateInputError(
                f"Jeg kan ikke læse {_shown(text)} som en dato. Skriv kun datoen uden "
                f'klokkeslæt, fx "15. marts" eller "i morgen".'
            )
        raise DateInputError(f"Jeg kan ikke læse {_shown(text)} som en dato. {_EXAMPLES}")
    _check_year(result.year, today)
    return result


# --- helpers -------------------------------------------------------------------------


def _normalise(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).casefold().strip()
    s = re.sub(r"\s+", " ", s)
    return s.rstrip(".").rstrip()


def _strip_time(s: str) -> str:
    """Remove a valid time of day before or after the date ("kl. 14", "14:30")."""
    m = _RE_TIME_AFTER.match(s)
    if m and m.group(1):
        hour = m.group(2) or m.group(4)
        minute = m.group(3) or m.group(5)
        if _valid_time(hour, minute):
            return m.group(1).rstrip(" ,.")
    m = _RE_TIME_BEFORE.match(s)
    if m and _valid_time(m.group(1), m.group(2)):
        return m.group(3).strip()
    return s


def _valid_time(hour: str, minute: str | None) -> bool:
    return int(hour) <= 23 and (minute is None or int(minute) <= 59)


def _shown(text: str) -> str:
    """The user's input quoted for a message: CPR numbers removed, long text cut."""
    s = redact_cpr(" ".join(text.split()))
    if len(s) > _MAX_SHOWN:
        s = s[: _MAX_SHOWN - 1].rstrip() + "…"
    return f'"{s}"'


def _parse_explicit(s: str, today: date, start: date | None) -> date | None:
    if s in _KEYWORDS:
        return today + timedelta(days=_KEYWORDS[s])
    rules = (_weekday, _past_weekday, _relative, _iso, _numeric, _month_name, _month_first)
    for rule in (*rules, _day_only):
        result = rule(s, today, start)
        if result is not None:
            return result
    return None


def _weekday(s: str, today: date, start: date | None) -> date | None:
    m = _RE_WEEKDAY.match(s)
    if m is None:
        return None
    wd = _WEEKDAYS[m.group(2)]
    if m.group(1) or m.group(3):
        next_monday = today + timedelta(days=7 - today.weekday())
        return next_monday + timedelta(days=wd)
    after = start or today
    return after + timedelta(days=(wd - after.weekday() - 1) % 7 + 1)


def _past_weekday(s: str, today: date, start: date | None) -> date | None:
    m = _RE_PAST_WEEKDAY.match(s)
    if m is None:
        return None
    wd = _PAST_WEEKDAYS[m.group(1)]
    return today - timedelta(days=(today.weekday() - wd - 1) % 7 + 1)


def _relative(s: str, today: date, start: date | None) -> date | None:
    m = _RE_RELATIVE.match(s) or (_RE_LENGTH.match(s) if start is not None else None)
    if m is None or m.group(2) not in _UNITS:
        return None
    word = m.group(1)
    too_far = DateInputError(f"Datoen ligger for langt ude i fremtiden. {_EXAMPLES}")
    if word.isdigit():
        if len(word) > 6:  # far too far, and int() refuses numbers over 4,300 digits
            raise too_far
        n = int(word)
    elif word in _NUMBER_WORDS:
        n = _NUMBER_WORDS[word]
    else:
        return None
    unit = _UNITS[m.group(2)]
    if n > 100 * 366:
        raise too_far
    # From the start, a length: the last day of a period of n units starting on it.
    base, last_day = (today, 0) if start is None else (start, 1)
    if n == 0 and last_day:
        return None  # a period of no length has no last day
    if unit == "days":
        return base + timedelta(days=n - last_day)
    if unit == "weeks":
        return base + timedelta(weeks=n, days=-last_day)
    months = n if unit == "months" else 12 * n
    year, month0 = divmod(base.month - 1 + months, 12)
    year += base.year
    if year > 9999:
        raise too_far
    day = min(base.day, monthrange(year, month0 + 1)[1])
    return date(year, month0 + 1, day) - timedelta(days=last_day)


def _iso(s: str, today: date, start: date | None) -> date | None:
    m = _RE_ISO.match(s)
    if m is None:
        return None
    return _build(int(m.group(3)), int(m.group(2)), int(m.group(1)), today)


def _numeric(s: str, today: date, start: date | None) -> date | None:
    m = _RE_NUMERIC.match(s)
    if m is None:
        return None
    result = _build(int(m.group(2)), int(m.group(3)), _year(m.group(4)), today, start)
    _check_weekday(m.group(1), result)
    return result


def _month_name(s: str, today: date, start: date | None) -> date | None:
    m = _RE_MONTH_NAME.match(s)
    if m is None or m.group(3) not in _MONTHS:
        return None
    result = _build(int(m.group(2)), _MONTHS[m.group(3)], _year(m.group(4)), today, start)
    _check_weekday(m.group(1), result)
    return result


def _month_first(s: str, today: date, start: date | None) -> date | None:
    m = _RE_MONTH_FIRST.match(s)
    if m is None or m.group(2) not in _MONTHS:
        return None
    result = _build(int(m.group(3)), _MONTHS[m.group(2)], _year(m.group(4)), today, start)
    _check_weekday(m.group(1), result)
    return result


def _day_only(s: str, today: date, start: date | None) -> date | None:
    m = _RE_DAY_ONLY.match(s)
    if m is None:
        return None
    day = int(m.group(2))
    if not 1 <= day <= 31:
        raise DateInputError(f"Ingen måned har en dag {day}. {_EXAMPLES}")
    after = start or today
    year, month = after.year, after.month
    while day > monthrange(year, month)[1] or date(year, month, day) < after:
        # at most three months ahead: every second month has 31 days
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    result = date(year, month, day)
    _check_weekday(m.group(1), result)
    return result


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    return 2000 + int(text) if len(text) == 2 else int(text)


def _build(day: int, month: int, year: int | None, today: date, start: date | None = None) -> date:
    """Validate day/month(/year) and make a date; no year means the next occurrence on
    or after `start` (the period's first day), else on or after today."""
    if not 1 <= month <= 12:
        raise DateInputError(
            f'Der er kun 12 måneder, så "{month}" kan ikke være en måned. {_EXAMPLES}'
        )
    name = MONTH_NAMES[month - 1]
    longest = 29 if month == 2 else monthrange(2001, month)[1]
    if day < 1:
        raise DateInputError(f"Dag {day} findes ikke. {_EXAMPLES}")
    if day > longest:
        most = "28 (29 i skudår)" if month == 2 else str(longest)
        raise DateInputError(f"{name.capitalize()} har ikke {day} dage, kun {most}. {_EXAMPLES}")
    if year is None:
        after = start or today
        year = after.year if (month, day) >= (after.month, after.day) else after.year + 1
        if month == 2 and day == 29 and not isleap(year):
            raise DateInputError(
                f"Den næste 29. februar er ikke i {year}, for {year} er ikke et skudår. "
                "Skriv året med, hvis du mener en anden 29. februar, eller vælg en anden dato."
            )
    else:
        _check_year(year, today)
        if month == 2 and day == 29 and not isleap(year):
            raise DateInputError(
                f"Februar {year} har kun 28 dage, for {year} er ikke et skudår. {_EXAMPLES}"
            )
    return date(year, month, day)


def _check_weekday(weekday: str | None, d: date) -> None:
    if weekday is None or _WEEKDAYS[weekday] == d.weekday():
        return
    given = WEEKDAY_NAMES[_WEEKDAYS[weekday]]
    raise DateInputError(
        f"{d.day}. {MONTH_NAMES[d.month - 1]} {d.year} er en {WEEKDAY_NAMES[d.weekday()]}, "
        f"ikke en {given}. Skriv datoen igen."
    )


def _check_year(year: int, today: date) -> None:
    first, last = today.year - 1, today.year + 5
    if not first <= year <= last:
        raise DateInputError(
            f"Året {year} ligger for langt fra i dag. Skriv en dato mellem {first} og {last}."
        )
