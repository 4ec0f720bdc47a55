"""Typed configuration: one pydantic model for app.yaml, secrets from the environment.

A bad value stops the program with a message naming the file, the key and what is wrong.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from dialogues.case_ref import CaseRefRule
from dialogues.domain import FollowUpKind, PraktikType, RuleSet, TypeId, rule_set_on
from dialogues.progression import ProgressionConfig
from dialogues.risk import RiskConfig
from dialogues.rulesets import RuleSetError, resolve_continues, rule_set_problems
from dialogues.sensitive import TermsFileError, load_special_categories
from dialogues.structure import FLOWS_DIR
from dialogues.yamlio import load_yaml

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "app.yaml"

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ConfigError(Exception):
    """The configuration file cannot be used; the message says where and why."""


class StorageConfig(Frozen):
    url: str = "sqlite+aiosqlite:///praktikbot.sqlite3"
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)


class ConversationConfig(Frozen):
    expire_after_hours: int = Field(default=72, ge=1)


class CalendarConfig(Frozen):
    """Which days are days off, on top of weekends."""

    day_off_categories: tuple[Literal["public", "optional"], ...] = ("public",)
    optional_days_off: tuple[str, ...] = ("Grundlovsdag", "Juleaftensdag", "Nytårsaften")
    due_on_day_off: Literal["previous_working_day", "next_working_day"] = "previous_working_day"


class DevelopmentPlanConfig(Frozen):
    """The development plan (udviklingsplan): which types must have one; for the others it
    is optional. Asked in the follow-up form."""

    required_for: tuple[TypeId, ...] = ("udviklingspraktik",)


class PlannedFollowUp(Frozen):
    """One follow-up of a type's plan, relative to the praktik's start, midpoint or end,
    moved by working days, weeks or calendar months (a status follow-up 1, 3, 6 or 12
    months after the end: `{kind: status, anchor: end, offset_months: 3}`)."""

    kind: FollowUpKind
    anchor: Literal["start", "midpoint", "end"]
    offset_working_days: int = Field(default=0, ge=-30, le=30)
    offset_weeks: int = Field(default=0, ge=-12, le=52)
    offset_months: int = Field(default=0, ge=0, le=24)

    @model_validator(mode="after")
    def _one_offset(self) -> PlannedFollowUp:
        given = [n for n in (self.offset_working_days, self.offset_weeks, self.offset_months) if n]
        if len(given) > 1:
            raise ValueError("give one of offset_working_days, offset_weeks, offset_months")
        if self.kind == "status" and (self.anchor != "end" or not self.offset_months):
            raise ValueError(
                "a status follow-up falls months after the end: anchor: end, offset_months: N"
            )
        if self.offset_months and self.kind != "status":
            raise ValueError("offset_months is for status follow-ups (kind: status)")
        return self


def _local_time(value: Any) -> dt.time:
    """A wall-clock time written "HH:MM" (quoted in YAML: unquoted 8:30 is a number)."""
    if isinstance(value, dt.time):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError(f'write the time as "HH:MM" in quotes, e.g. "08:30" (got {value!r})')
    hour, minute = value.split(":")
    return dt.time(int(hour), int(minute))


LocalTime = Annotated[dt.time, BeforeValidator(_local_time)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class DigestSchedule(Frozen):
    """When a team's channel gets its overview (local time, `timezone`)."""

    weekdays: tuple[Weekday, ...] = Field(min_length=1, max_length=7)
    time: LocalTime
    # A scheduled day that is a day off: post on the next working day, skip it, or post
    # anyway.
    on_day_off: Literal["next_working_day", "skip", "send"] = "next_working_day"

    @field_validator("weekdays")
    @classmethod
    def _unique_days(cls, days: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if len(set(days)) != len(days):
            raise ValueError("a weekday is listed twice")
        return days

    @property
    def weekday_numbers(self) -> frozenset[int]:
        return frozenset(WEEKDAYS.index(day) for day in self.weekdays)


class Team(Frozen):
    id: Id
    name: str
    channel: str | None = None
    members: tuple[str, ...] = ()
    leads: tuple[str, ...] = ()
    digest: DigestSchedule | None = None

    @model_validator(mode="after")
    def _digest_needs_channel(self) -> Team:
        if self.digest is not None and not self.channel:
            raise ValueError("a team with a digest needs a channel")
        return self


class DeliveryConfig(Frozen):
    """How the scheduler claims and sends reminder and digest rows."""

    tick_seconds: float = Field(default=60, ge=1, le=3600)
    tick_jitter: float = Field(default=0.1, ge=0, le=0.5)  # fraction of tick_seconds
    batch_size: int = Field(default=200, ge=1, le=1000)
    send_concurrency: int = Field(default=10, ge=1, le=100)
    lease_seconds: int = Field(default=120, ge=30, le=3600)
    max_attempts: int = Field(default=5, ge=1, le=50)
    backoff_base_seconds: float = Field(default=30, gt=0)
    backoff_max_seconds: float = Field(default=3600, gt=0)
    backoff_jitter: float = Field(default=0.25, ge=0, le=1)  # +/- fraction of the delay
    # A reminder is still sent this late (after downtime); older ones are marked missed.
    max_lateness_hours: float = Field(default=12, gt=0, le=24 * 14)
    # How far back a restarted scheduler looks for occurrences it never created.
    catch_up_days: int = Field(default=7, ge=1, le=60)

    @model_validator(mode="after")
    def _consistent(self) -> DeliveryConfig:
        if self.backoff_max_seconds < self.backoff_base_seconds:
            raise ValueError("backoff_max_seconds must be at least backoff_base_seconds")
        if self.max_lateness_hours > self.catch_up_days * 24:
            raise ValueError("max_lateness_hours must not exceed catch_up_days * 24")
        return self


# Working days before its due day a follow-up of each kind is reminded too, unless
# app.yaml says otherwise: a start meeting needs booking with citizen and company, a
# status on job or education is a look in the case.
DEFAULT_DAYS_BEFORE: dict[FollowUpKind, int] = {
    "opstart": 3,
    "midtvejs": 2,
    "afslutning": 3,
    "status": 0,
}


def _days_before(value: Any) -> Any:
    """One number for every kind, or some kinds (the others keep their default)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return dict.fromkeys(get_args(FollowUpKind), value)
    if isinstance(value, dict):
        return {**DEFAULT_DAYS_BEFORE, **value}
    return value


DaysBefore = Annotated[
    dict[FollowUpKind, Annotated[int, Field(ge=0, le=20)]], BeforeValidator(_days_before)
]


class ReminderConfig(Frozen):
    """DM reminders to the responsible consultant about a due follow-up."""

    time: LocalTime = dt.time(8, 0)
    # Per follow-up kind: also remind this many working days before the due day (0: only
    # on the day). One number applies to every kind.
    remind_days_before: DaysBefore = Field(default_factory=lambda: dict(DEFAULT_DAYS_BEFORE))
    overdue_every_working_days: int = Field(default=2, ge=0, le=20)  # 0: never again
    overdue_max_reminders: int = Field(default=3, ge=0, le=20)
    # Completing the follow-up form marks held the earliest planned follow-up due up to
    # this many working days from today.
    form_window_working_days: int = Field(default=5, ge=0, le=20)
    delivery: DeliveryConfig = DeliveryConfig()

    def days_before(self, kind: str) -> int:
        """How many working days before its due day a follow-up of `kind` is reminded."""
        return self.remind_days_before.get(kind, 0)  # type: ignore[call-overload]

    @property
    def most_days_before(self) -> int:
        return max(self.remind_days_before.values(), default=0)


class AccessConfig(Frozen):
    """Who may do what, beyond a consultant's own praktikker. Entries are Slack user ids
    (U…/W…) or Slack user group ids (S…). Team leads are listed per team (`leads`)."""

    administrators: tuple[str, ...] = ()
    # How long a user group's members are cached before Slack is asked again.
    group_cache_seconds: int = Field(default=600, ge=0, le=86_400)


class AbsenceConfig(Frozen):
    """Absences with a stand-in from the team (bot/absence.py)."""

    # Longer than this is a hand-over (the team lead, from Home), not an absence.
    max_days: int = Field(default=90, ge=1, le=366)


class RetentionConfig(Frozen):
    """How long conversation data is kept (rules.md, data protection §4)."""

    # Conversations, answers and case-note drafts of a praktik, counted from its end.
    days_after_praktik_end: int = Field(default=365, ge=1, le=3650)
    # Conversations never linked to a praktik (a registration left unfinished).
    unfinished_conversation_days: int = Field(default=30, ge=1, le=3650)
    # Reminder/digest rows and de-duplication marks, counted from when they were made.
    delivery_days: int = Field(default=90, ge=7, le=3650)
    processed_input_days: int = Field(default=14, ge=1, le=365)
    # When the daily purge runs in serve/socket (local time).
    daily_at: LocalTime = dt.time(3, 15)


class SpecialCategoriesConfig(Frozen):
    """The warning on special-category terms in free text (GDPR art. 9)."""

    # A term list (relative to app.yaml); default: dialogues/data/special_categories.yaml.
    terms_file: Path | None = None
    # Free-text steps the warning does not apply to, as flow_id.step_id (e.g. a company
    # name such as "Psykiatrisk Center ..." is not about the citizen).
    exempt_steps: tuple[
        Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")], ...
    ] = (
        "ny_praktik.company",
        "ny_praktik.new_function",
    )


class MonthlyOverview(Frozen):
    """The monthly overview for the management channel: aggregates only (see README)."""

    channel: str
    # Posted on this working day of the month (1: the first working day), local time.
    working_day: int = Field(default=1, ge=1, le=10)
    time: LocalTime = dt.time(8, 30)


class ReportConfig(Frozen):
    """The outcome reports (`praktikbot report`, Home's Resultater, the monthly overview)."""

    # A count of fewer citizens than this is shown as "<N" outside a consultant's own view.
    min_cell_size: int = Field(default=5, ge=2, le=50)
    # A follow-up is held on time when held at most this many working days after the date
    # its plan set (postponing does not move that date).
    on_time_working_days: int = Field(default=2, ge=0, le=20)
    # A P-nr. with at least this many ended praktikker in the last `company_window_months`
    # and no hire at the host company is flagged (vejledning 9641/2022).
    repeat_without_hire: int = Field(default=3, ge=2, le=50)
    company_window_months: int = Field(default=12, ge=1, le=60)
    monthly_overview: MonthlyOverview | None = None


class SlackConfig(Frozen):
    """How the bot uses Slack features that not every workspace has."""

    # data_table / data_visualization blocks in Home's Resultater: "auto" tries them and
    # falls back to plain text (remembered) when Slack refuses them; "never" always sends
    # plain text; "always" never falls back.
    rich_blocks: Literal["auto", "always", "never"] = "auto"


class AppConfig(Frozen):
    storage: StorageConfig = StorageConfig()
    timezone: str = "Europe/Copenhagen"
    conversations: ConversationConfig = ConversationConfig()
    rules: tuple[RuleSet, ...] = Field(min_length=1)
    types: tuple[PraktikType, ...] = Field(min_length=3, max_length=3)
    max_custom_subgoals: int = Field(default=5, ge=0, le=20)
    teams: tuple[Team, ...] = ()
    calendar: CalendarConfig = CalendarConfig()
    flows_dir: Path | None = None
    followup_plans: dict[str, tuple[PlannedFollowUp, ...]] = Field(default_factory=dict)
    reminders: ReminderConfig = ReminderConfig()
    access: AccessConfig = AccessConfig()
    absence: AbsenceConfig = AbsenceConfig()
    retention: RetentionConfig = RetentionConfig()
    case_reference: CaseRefRule = CaseRefRule()
    special_categories: SpecialCategoriesConfig = SpecialCategoriesConfig()
    report: ReportConfig = ReportConfig()
    slack: SlackConfig = SlackConfig()
    progression: ProgressionConfig = ProgressionConfig()
    development_plan: DevelopmentPlanConfig = DevelopmentPlanConfig()
    risk: RiskConfig = RiskConfig()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("rules", mode="before")
    @classmethod
    def _carried_over(cls, raw: Any) -> Any:
        """Groups that `continue` from an earlier set get that set's values."""
        return resolve_continues(raw)

    @field_validator("rules")
    @classmethod
    def _sets_fit_together(cls, rules: tuple[RuleSet, ...]) -> tuple[RuleSet, ...]:
        """No gaps or overlaps in dates, labels one can tell apart; sorted by date."""
        problems = rule_set_problems(rules)
        if problems:
            raise RuleSetError(problems)
        return tuple(sorted(rules, key=lambda r: r.valid_from))

    @field_validator("types")
    @classmethod
    def _all_types(cls, types: tuple[PraktikType, ...]) -> tuple[PraktikType, ...]:
        if {t.id for t in types} != {"jobpraktik", "kompetencepraktik", "udviklingspraktik"}:
            raise ValueError("types must be jobpraktik, kompetencepraktik and udviklingspraktik")
        return types

    @field_validator("followup_plans")
    @classmethod
    def _plans_for_types(
        cls, plans: dict[str, tuple[PlannedFollowUp, ...]]
    ) -> dict[str, tuple[PlannedFollowUp, ...]]:
        unknown = set(plans) - {"jobpraktik", "kompetencepraktik", "udviklingspraktik"}
        if unknown:
            raise ValueError(f"plans for unknown types: {', '.join(sorted(unknown))}")
        return plans

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_date(self, when: dt.datetime) -> dt.date:
        """The local date (`timezone`) of an aware instant: with `now`, today."""
        return when.astimezone(self.tz).date()

    @property
    def status_months(self) -> tuple[int, ...]:
        """The months after the end at which the plans ask for a status, ascending."""
        months = {
            item.offset_months
            for plan in self.followup_plans.values()
            for item in plan
            if item.kind == "status"
        }
        return tuple(sorted(months))

    def rules_on(self, day: dt.date) -> RuleSet:
        """The rule set in force on `day` (the earliest one if `day` precedes them all)."""
        return rule_set_on(self.rules, day)

    def praktik_type(self, type_id: str) -> PraktikType:
        return next(t for t in self.types if t.id == type_id)

    @field_validator("teams")
    @classmethod
    def _unique_teams(cls, teams: tuple[Team, ...]) -> tuple[Team, ...]:
        ids = [t.id for t in teams]
        if len(ids) != len(set(ids)):
            raise ValueError("two teams have the same id")
        return teams


def _format_errors(path: Path, exc: ValidationError) -> str:
    lines = [f"Configuration file {path} is invalid:"]
    errors = exc.errors()
    failed_items = {err["loc"][:1] for err in errors if len(err["loc"]) > 1}
    for err in errors:
        if err["type"] == "too_short" and tuple(err["loc"]) in failed_items:
            continue  # "no items" only because its items failed: those are reported
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, RuleSetError):  # several problems, each with its own key
            lines.extend(f"  {key}: {problem}" for key, problem in cause.problems)
            continue
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  {key}: {err['msg']}")
    return "\n".join(lines)


def config_path() -> Path:
    return Path(os.environ.get("PRAKTIKBOT_CONFIG") or DEFAULT_CONFIG_PATH)


def load_config(path: Path | None = None) -> AppConfig:
    """Load and validate app.yaml; DATABASE_URL overrides the storage URL."""
    path = path or config_path()
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"Cannot read configuration file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"Configuration file {path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"Configuration file {path} must be a mapping of keys")
    try:
        config = AppConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_errors(path, exc)) from None
    return _with_storage_url(config, path)


def _with_storage_url(config: AppConfig, path: Path) -> AppConfig:
    url = os.environ.get("DATABASE_URL") or config.storage.url
    url = _resolve_sqlite_path(url, base=path.parent)
    storage = config.storage.model_copy(update={"url": url})
    flows_dir = path.parent / config.flows_dir if config.flows_dir else FLOWS_DIR
    special = config.special_categories
    if special.terms_file is not None:
        terms_file = (path.parent / special.terms_file).resolve()
        special = special.model_copy(update={"terms_file": terms_file})
    try:
        load_special_categories(special.terms_file)
    except TermsFileError as exc:
        raise ConfigError(
            f"Configuration file {path}: special_categories.terms_file: {exc}"
        ) from None
    return config.model_copy(
        update={
            "storage": storage,
            "flows_dir": flows_dir.resolve(),
            "special_categories": special,
        }
    )


def _resolve_sqlite_path(url: str, *, base: Path) -> str:
    """A relative SQLite file is relative to the configuration file, not the cwd."""
    prefix = "sqlite+aiosqlite:///"
    if not url.startswith(prefix):
        return url
    file_part = url[len(prefix) :]
    if not file_part or file_part.startswith("/") or file_part.startswith(":memory:"):
        return url
    return prefix + str((base / file_part).resolve())
