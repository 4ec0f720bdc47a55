"""Working days in Copenhagen: weekends and configured Danish holidays are days off.

Holidays come from the `holidays` package (Denmark). Its PUBLIC category lacks
Grundlovsdag, juleaftensdag, nytårsaften and 1. maj (they are OPTIONAL), and Store
bededag counts only up to 2023; which of them are days off is configuration.

`holidays` is imported when a year's holidays are first asked for, not with this module:
the package imports every country it knows (about 250) and their calendars, and a process
needs none of it to start answering Slack — only once it plans or reminds.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from bot.config import CalendarConfig


class WorkingDays:
    def __init__(self, config: CalendarConfig) -> None:
        self.config = config

    def holiday_name(self, day: dt.date) -> str | None:
        return _holidays_of_year(
            day.year, tuple(self.config.day_off_categories), tuple(self.config.optional_days_off)
        ).get(day)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and self.holiday_name(day) is None

    def add(self, day: dt.date, working_days: int) -> dt.date:
        """Move `working_days` working days from `day` (negative: backwards). With 0, `day`
        itself if it is a working day, else the working day the configured rule picks."""
        if working_days == 0:
            return self.adjust(day)
        step = 1 if working_days > 0 else -1
        remaining = abs(working_days)
        current = day
        while remaining:
            current += dt.timedelta(days=step)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def on_or_after(self, day: dt.date) -> dt.date:
        """`day`, or the next working day when it is a day off (a date that may not move
        earlier, e.g. not before today)."""
        return day if self.is_working_day(day) else self.add(day, 1)

    def adjust(self, day: dt.date) -> dt.date:
        """A due date on a day off moves to a working day by the configured rule."""
        if self.is_working_day(day):
            return day
        step = -1 if self.config.due_on_day_off == "previous_working_day" else 1
        current = day
        while not self.is_working_day(current):
            current += dt.timedelta(days=step)
        return current

    def between(self, start: dt.date, end: dt.date) -> int:
        """Working days from `start` to `end`, both included."""
        count, current = 0, start
        while current <= end:
            count += self.is_working_day(current)
            current += dt.timedelta(days=1)
        return count


@lru_cache(maxsize=64)
def _holidays_of_year(
    year: int, categories: tuple[str, ...], optional_names: tuple[str, ...]
) -> dict[dt.date, str]:
    import holidays  # here, not at the top: see the module docstring

    days: dict[dt.date, str] = dict(
        holidays.Denmark(years=year, categories=categories, language="da").items()
    )
    if optional_names:
        optional = holidays.Denmark(years=year, categories=("optional",), language="da")
        wanted = {name.casefold() for name in optional_names}
        for day, name in optional.items():
            if name.casefold() in wanted:
                days[day] = name
    return days
