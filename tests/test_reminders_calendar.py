"""Working days, follow-up plans across holidays and DST, reminder times, configuration."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import AppConfig, CalendarConfig, ConfigError, DigestSchedule, Team, load_config
from bot.followups.plan import due_date
from bot.reminders import planner
from bot.workdays import WorkingDays
from tests.reminder_support import with_reminders

D = dt.date
UTC = dt.UTC


def plan(config: AppConfig, type_id: str, start: dt.date, end: dt.date) -> list[tuple[str, D]]:
    days = WorkingDays(config.calendar)
    return [(p.kind, due_date(p, start, end, days)) for p in config.followup_plans[type_id]]


# --- holidays ------------------------------------------------------------------------------


def test_store_bededag_is_a_day_off_in_2023_and_a_working_day_in_2024(config: AppConfig) -> None:
    days = WorkingDays(config.calendar)
    assert days.holiday_name(D(2023, 5, 5)) == "Store bededag"
    assert not days.is_working_day(D(2023, 5, 5))
    assert days.is_working_day(D(2024, 4, 26))  # the fourth Friday after Easter 2024
    # A follow-up due that Friday: moved to Thursday in 2023, kept in 2024.
    assert days.adjust(D(2023, 5, 5)) == D(2023, 5, 4)
    assert days.adjust(D(2024, 4, 26)) == D(2024, 4, 26)
    assert days.add(D(2023, 5, 4), 1) == D(2023, 5, 8)
    assert days.add(D(2024, 4, 25), 1) == D(2024, 4, 26)


def test_grundlovsdag_follows_the_configuration(config: AppConfig) -> None:
    friday = D(2026, 6, 5)
    with_it = WorkingDays(config.calendar)
    without = WorkingDays(CalendarConfig(optional_days_off=("Juleaftensdag", "Nytårsaften")))
    assert "Grundlovsdag" in config.calendar.optional_days_off
    assert not with_it.is_working_day(friday)
    assert without.is_working_day(friday)
    # A midway follow-up landing on it (praktik 25 May - 17 June 2026).
    item = config.followup_plans["jobpraktik"][1]
    assert item.anchor == "midpoint"
    start, end = D(2026, 5, 25), D(2026, 6, 16)
    assert start + (end - start) / 2 == friday
    assert due_date(item, start, end, with_it) == D(2026, 6, 4)
    assert due_date(item, start, end, without) == friday
    next_rule = WorkingDays(CalendarConfig(due_on_day_off="next_working_day"))
    assert due_date(item, start, end, next_rule) == D(2026, 6, 8)


def test_plan_across_easter(config: AppConfig) -> None:
    # Midpoint is Easter Saturday; Skærtorsdag, Langfredag and 2. påskedag are days off.
    assert plan(config, "jobpraktik", D(2026, 3, 23), D(2026, 4, 17)) == [
        ("opstart", D(2026, 3, 20)),
        ("midtvejs", D(2026, 4, 1)),
        ("afslutning", D(2026, 4, 15)),
        ("status", D(2026, 5, 15)),  # 1 month after the end: 17 May is a Sunday
        ("status", D(2026, 7, 17)),
        ("status", D(2026, 10, 16)),  # 17 October is a Saturday
        ("status", D(2027, 4, 16)),
    ]
    days = WorkingDays(config.calendar)
    occurrences = planner.followup_occurrences(
        config, days, followup_id=7, kind="midtvejs", due_date=D(2026, 4, 1)
    )
    assert [(o.kind, o.day) for o in occurrences] == [
        ("early", D(2026, 3, 30)),  # midtvejs: two working days ahead (app.yaml)
        ("due", D(2026, 4, 1)),
        ("overdue", D(2026, 4, 8)),  # 2, 3 (holidays), 6 (2. påskedag) skipped
        ("overdue", D(2026, 4, 10)),
        ("overdue", D(2026, 4, 14)),
    ]
    assert all(days.is_working_day(o.day) for o in occurrences)


def test_plan_across_christmas_and_new_year(config: AppConfig) -> None:
    start, end = D(2026, 12, 14), D(2027, 1, 8)
    assert plan(config, "udviklingspraktik", start, end) == [
        ("opstart", D(2026, 12, 10)),
        ("midtvejs", D(2026, 12, 21)),
        ("midtvejs", D(2026, 12, 23)),  # midpoint 26 Dec; 25 and 24 Dec are days off
        ("afslutning", D(2027, 1, 6)),
        ("status", D(2027, 2, 8)),
        ("status", D(2027, 4, 8)),
        ("status", D(2027, 7, 8)),
        ("status", D(2028, 1, 7)),  # 8 January 2028 is a Saturday
    ]
    later = config.model_copy(
        update={"calendar": CalendarConfig(due_on_day_off="next_working_day")}
    )
    assert plan(later, "udviklingspraktik", start, end)[2] == ("midtvejs", D(2026, 12, 28))
    early = with_reminders(config, remind_days_before=2)
    days = WorkingDays(config.calendar)
    occurrences = planner.followup_occurrences(
        early, days, followup_id=1, kind="midtvejs", due_date=D(2026, 12, 28)
    )
    assert [(o.kind, o.day) for o in occurrences] == [
        ("early", D(2026, 12, 22)),  # 23 Dec is one working day before 28 Dec
        ("due", D(2026, 12, 28)),
        ("overdue", D(2026, 12, 30)),
        ("overdue", D(2027, 1, 5)),  # 31 Dec and 1 Jan are days off: 4, 5 Jan
        ("overdue", D(2027, 1, 7)),
    ]


# --- daylight saving time ------------------------------------------------------------------


def test_spring_gap_moves_the_time_forward_by_the_gap(config: AppConfig) -> None:
    tz = config.tz
    at = planner.local_to_utc(D(2026, 3, 29), dt.time(2, 30), tz)
    assert at == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert at.astimezone(tz).strftime("%H:%M %Z") == "03:30 CEST"
    # Around the gap nothing moves.
    assert planner.local_to_utc(D(2026, 3, 29), dt.time(1, 59), tz).hour == 0
    assert planner.local_to_utc(D(2026, 3, 29), dt.time(3, 0), tz) == at.replace(minute=0)


def test_autumn_repeated_hour_fires_at_the_first(config: AppConfig) -> None:
    tz = config.tz
    at = planner.local_to_utc(D(2026, 10, 25), dt.time(2, 30), tz)
    assert at == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert at.astimezone(tz).strftime("%H:%M %Z") == "02:30 CEST"


def test_reminder_times_around_both_change_days(config: AppConfig) -> None:
    # 08:00 local: 07:00 UTC in winter time, 06:00 UTC in summer time.
    expected = {
        D(2026, 3, 27): 7,
        D(2026, 3, 30): 6,
        D(2026, 10, 23): 6,
        D(2026, 10, 26): 7,
    }
    for day, hour in expected.items():
        assert planner.reminder_due_at(config, day) == dt.datetime(
            day.year, day.month, day.day, hour, 0, tzinfo=UTC
        )
    # A praktik spanning the autumn change (kompetencepraktik, 12 Oct - 6 Nov 2026) and one
    # spanning the spring change (jobpraktik, 16 Mar - 10 Apr 2026).
    # (Start, midway, final and the 1-month status; the later statuses fall in 2027.)
    autumn = plan(config, "kompetencepraktik", D(2026, 10, 12), D(2026, 11, 6))[:4]
    assert [planner.reminder_due_at(config, d).hour for _, d in autumn] == [6, 6, 7, 7]
    spring = plan(config, "jobpraktik", D(2026, 3, 16), D(2026, 4, 10))[:4]
    assert [d for _, d in spring] == [D(2026, 3, 13), D(2026, 3, 27), D(2026, 4, 8), D(2026, 5, 8)]
    assert [planner.reminder_due_at(config, d).hour for _, d in spring] == [7, 7, 6, 6]


def test_a_sunday_digest_at_0230_occurs_once_on_both_change_days(config: AppConfig) -> None:
    team = Team(
        id="natteam",
        name="Natteam",
        channel="CNAT",
        digest=DigestSchedule(weekdays=("sun",), time=dt.time(2, 30), on_day_off="send"),
    )
    days = WorkingDays(config.calendar)
    for day, hour in ((D(2026, 3, 29), 1), (D(2026, 10, 25), 0)):
        occurrences = planner.digest_occurrences(config, days, team, day, day)
        assert [(o.key, o.due_at) for o in occurrences] == [
            (
                f"digest:natteam:{day}",
                dt.datetime(day.year, day.month, day.day, hour, 30, tzinfo=UTC),
            )
        ]


def test_digest_days_on_days_off(config: AppConfig) -> None:
    days = WorkingDays(config.calendar)

    def team(on_day_off: str) -> Team:
        return Team(
            id="t",
            name="T",
            channel="C1",
            digest=DigestSchedule.model_validate(
                {"weekdays": ["mon"], "time": "08:30", "on_day_off": on_day_off}
            ),
        )

    # 6 April 2026 is 2. påskedag.
    week = (D(2026, 4, 1), D(2026, 4, 14))
    assert planner.digest_days(team("next_working_day"), days, *week) == [
        D(2026, 4, 7),
        D(2026, 4, 13),
    ]
    assert planner.digest_days(team("skip"), days, *week) == [D(2026, 4, 13)]
    assert planner.digest_days(team("send"), days, *week) == [D(2026, 4, 6), D(2026, 4, 13)]


# --- configuration -------------------------------------------------------------------------


def _write(tmp_path: Path, changes: dict[str, object]) -> Path:
    root = Path(__file__).resolve().parent.parent
    raw = yaml.safe_load((root / "app.yaml").read_text(encoding="utf-8"))
    raw.update(changes)
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_app_yaml_reminder_settings(config: AppConfig) -> None:
    rules = config.reminders
    assert rules.time == dt.time(8, 0)
    assert rules.delivery.max_attempts >= 1
    assert rules.delivery.lease_seconds >= 30


def test_team_digest_is_read_and_checked(tmp_path: Path) -> None:
    good = _write(
        tmp_path,
        {
            "teams": [
                {
                    "id": "team_nord",
                    "name": "Team Nord",
                    "channel": "C0NORD",
                    "digest": {"weekdays": ["mon", "thu"], "time": "08:30"},
                }
            ]
        },
    )
    [team] = load_config(good).teams
    assert team.digest is not None
    assert team.digest.time == dt.time(8, 30)
    assert team.digest.weekday_numbers == frozenset({0, 3})

    bad_cases: list[tuple[dict[str, Any], str]] = [
        ({"digest": {"weekdays": ["mon"], "time": "08:30"}, "channel": None}, "needs a channel"),
        ({"digest": {"weekdays": ["mon"], "time": "8.30"}}, "HH:MM"),
        ({"digest": {"weekdays": ["monday"], "time": "08:30"}}, "teams.0.digest.weekdays"),
        ({"digest": {"weekdays": [], "time": "08:30"}}, "teams.0.digest.weekdays"),
    ]
    for extra, message in bad_cases:
        team_raw = {"id": "team_nord", "name": "Team Nord", "channel": "C0NORD", **extra}
        with pytest.raises(ConfigError, match=message):
            load_config(_write(tmp_path, {"teams": [team_raw]}))


def test_unquoted_time_in_yaml_is_refused_with_a_hint(tmp_path: Path) -> None:
    assert yaml.safe_load("time: 8:30") == {"time": 510}  # YAML 1.1 sexagesimal
    path = _write(tmp_path, {"reminders": {"time": 510}})
    with pytest.raises(ConfigError, match=r'reminders\.time: .*"HH:MM" in quotes'):
        load_config(path)


def test_delivery_settings_are_checked(tmp_path: Path) -> None:
    for delivery, message in (
        ({"backoff_base_seconds": 100, "backoff_max_seconds": 10}, "backoff_max_seconds"),
        ({"max_lateness_hours": 48, "catch_up_days": 1}, "catch_up_days"),
        ({"lease_seconds": 5}, "lease_seconds"),
        ({"max_attempts": 0}, "max_attempts"),
    ):
        path = _write(tmp_path, {"reminders": {"delivery": delivery}})
        with pytest.raises(ConfigError, match=message):
            load_config(path)
