"""SQLModel tables. Flat, one table per thing a consultant or the municipality talks about.

Times are stored in UTC. A praktik is identified by the case system's reference (never a
CPR number); citizens are never named. The bot also gives every praktik a short reference
of its own (`short_ref`, e.g. ``P-1042``): the only way a shared channel names a praktik.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _ts(**kwargs: Any) -> Any:
    """A timestamp column: stored in UTC, read back aware (`UTCDateTime`)."""
    return Field(sa_type=UTCDateTime, **kwargs)


class Consultant(SQLModel, table=True):
    __tablename__ = "consultants"

    id: int | None = Field(default=None, primary_key=True)
    user_key: str = Field(max_length=80, unique=True, index=True)  # "slack:U123", "terminal:anna"
    slack_user_id: str | None = Field(default=None, max_length=40, index=True)
    name: str = Field(max_length=120)
    team_id: str | None = Field(default=None, max_length=40)
    created_at: dt.datetime = _ts(default_factory=utcnow)


class Praktik(SQLModel, table=True):
    __tablename__ = "praktikker"
    __table_args__ = (
        Index("ix_praktikker_consultant_status", "consultant_id", "status"),
        # The company warning at registration: one P-number's (active) praktikker.
        Index("ix_praktikker_p_number", "p_number", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_ref: str = Field(max_length=40, index=True)
    # Assigned by the database on every insert, never by typed text, never reused (not even
    # after an erasure, when SQLite would reuse the row id): on PostgreSQL a trigger
    # taking the sequence praktik_short_ref_seq, on SQLite a trigger
    # praktikker_short_ref counting in `ref_counters` (migration 0005; a batch rebuild
    # of this table must recreate the trigger). Read it back after the insert.
    short_ref: str | None = Field(default=None, max_length=20, unique=True, index=True)
    target_group: str = Field(max_length=40)
    company: str = Field(max_length=120)
    p_number: str | None = Field(default=None, max_length=10)
    cvr_number: str | None = Field(default=None, max_length=8)
    type: str = Field(max_length=20, index=True)
    subgoals: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    tasks: str | None = Field(default=None, max_length=1000)
    start_date: dt.date
    # The last day: as planned, until an outcome recorded before the planned end sets the
    # day the praktik actually ended (the planned one then kept in planned_end_date; None:
    # it ended as planned, or has not ended). What follows the end — the status follow-ups,
    # the report's end period — counts from end_date.
    end_date: dt.date
    planned_end_date: dt.date | None = None
    hours_per_week: float  # at the start, when the hours rise
    final_hours_per_week: float | None = None  # after a planned rise in hours
    hours_plan: str | None = Field(default=None, max_length=500)  # the steps of the rise
    working_times: str | None = Field(default=None, max_length=200)
    extension_assessed: bool = False
    last_employer: bool = False
    # At the last employer: whether the citizen has a job, and whether the praktik is in
    # the same job function (allowed for some groups without a job); else new_function.
    last_employer_has_job: bool | None = None
    same_function: bool | None = None
    new_function: str | None = Field(default=None, max_length=200)
    ordinary_employees: int | None = None
    subsidised_now: int | None = None
    ratio_limit: int | None = None
    ratio_exceeded: bool = False
    ratio_statement: bool = False
    # The tillidsrepræsentant (name and contact); has_employee_rep False: there is none,
    # so the ratio-cap statement is the employer's alone. None: not recorded (older rows).
    employee_rep: str | None = Field(default=None, max_length=200)
    has_employee_rep: bool | None = None
    contact_person: str | None = Field(default=None, max_length=200)
    min_plan_updated_at_grant: bool | None = None
    rule_set: str | None = Field(default=None, max_length=40)  # the rule set it was granted under
    consultant_id: int = Field(foreign_key="consultants.id", index=True)
    team_id: str | None = Field(default=None, max_length=40, index=True)
    status: str = Field(default="active", max_length=20)  # active, ended
    outcome: str | None = Field(default=None, max_length=30)
    outcome_detail: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    purpose_met: str | None = Field(default=None, max_length=10)
    min_plan_updated: bool | None = None
    ended_at: dt.datetime | None = _ts(default=None)
    created_at: dt.datetime = _ts(default_factory=utcnow)
    updated_at: dt.datetime = _ts(default_factory=utcnow)


# The follow-ups the compliance report counts (storage.report_queries.followup_compliance
# names them in the same words, for SQLite to use the partial index).
FOLLOWUPS_COUNTED = (
    "source = 'plan' AND kind IN ('opstart', 'midtvejs', 'afslutning') AND status != 'cancelled'"
)


class FollowUp(SQLModel, table=True):
    __tablename__ = "followups"
    __table_args__ = (
        Index("ix_followups_status_due", "status", "due_date"),
        # The follow-up compliance report reads this index alone, in its grouping order;
        # it holds the follow-ups the report counts only (migration 0014).
        Index(
            "ix_followups_compliance",
            "team_id",
            "planned_due",
            "kind",
            "status",
            "held_days_late",
            "source",
            sqlite_where=text(FOLLOWUPS_COUNTED),
            postgresql_where=text(FOLLOWUPS_COUNTED),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    praktik_id: int = Field(foreign_key="praktikker.id", index=True)
    kind: str = Field(max_length=30)  # opstart, midtvejs, afslutning, status
    due_date: dt.date
    status: str = Field(default="planned", max_length=20)  # planned, held, cancelled
    held_at: dt.datetime | None = _ts(default=None)
    created_at: dt.datetime = _ts(default_factory=utcnow)
    # "plan": from the type's plan (plan_index: its position there); "manual": added by
    # the consultant. Plan follow-ups move when the praktik's dates change.
    source: str = Field(default="plan", max_length=10, sa_column_kwargs={"server_default": "plan"})
    plan_index: int | None = None
    note: str | None = Field(default=None, max_length=200)
    postponed_from: dt.date | None = None  # the due date before the latest postponement
    # When the current due date was set (created, postponed, moved); reminders that would
    # have fired before it are not owed. NULL: created_at.
    scheduled_at: dt.datetime | None = _ts(default=None)
    # Incremented by every change (postponed, moved, held): a reminder's buttons carry
    # the version they were rendered for and do nothing once it has changed.
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The date the plan set: postponing keeps it, a change of the praktik's period moves
    # it. Follow-up compliance is measured against it. Never NULL in the database: a row
    # written without it gets due_date (migration 0012's triggers).
    planned_due: dt.date | None = None
    # Held: the local day, and how many working days after `planned_due` (0: on or before).
    held_on: dt.date | None = None
    held_days_late: int | None = None
    # A status follow-up: how many months after the praktik's end it falls.
    months_after_end: int | None = None
    # The praktik's team, kept equal to it by the database (migration 0012's triggers):
    # written by no code here, read by the follow-up compliance report.
    team_id: str | None = Field(default=None, max_length=40)


class StatusRecord(SQLModel, table=True):
    """A citizen's status on job or education some months after a praktik ended (the
    status follow-up's answer). What `status` means (job, education, …) is the category
    of its option in the flow that records it, read by the report."""

    __tablename__ = "status_records"
    __table_args__ = (
        UniqueConstraint("praktik_id", "months_after_end", name="uq_status_records_mark"),
    )

    id: int | None = Field(default=None, primary_key=True)
    praktik_id: int = Field(foreign_key="praktikker.id", index=True)
    followup_id: int | None = Field(default=None, foreign_key="followups.id")
    months_after_end: int
    status: str = Field(max_length=30)
    at_host: bool | None = None  # a job at the host company
    hours_per_week: float | None = None
    consultant_id: int = Field(foreign_key="consultants.id")
    recorded_at: dt.datetime = _ts(default_factory=utcnow)


class StoreMark(SQLModel, table=True):
    """Facts about the store itself, e.g. that it holds synthetic demo data."""

    __tablename__ = "store_marks"

    name: str = Field(max_length=40, primary_key=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = _ts(default_factory=utcnow)


class Conversation(SQLModel, table=True):
    __tablename__ = "conversations"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, index=True)
    # Equal to `key` while the conversation is active, NULL after: one active per key.
    active_key: str | None = Field(default=None, max_length=120, unique=True)
    consultant_id: int = Field(foreign_key="consultants.id", index=True)
    channel: str | None = Field(default=None, max_length=40)
    thread_ts: str | None = Field(default=None, max_length=40)
    flow_id: str = Field(max_length=60)
    flow_version: str = Field(max_length=40)
    praktik_id: int | None = Field(default=None, foreign_key="praktikker.id", index=True)
    # The follow-up a conversation was started for (from its reminder), if any.
    followup_id: int | None = Field(default=None, foreign_key="followups.id")
    # A correction of a saved conversation: the first saved version (the chain's root).
    # The newest saved conversation of a chain holds the answers as they are now.
    corrects_id: int | None = Field(default=None, foreign_key="conversations.id", index=True)
    step: str | None = Field(default=None, max_length=60)
    # Where the front end shows the current question (Slack: the message ts), so it can
    # mark the question answered when the answer arrives as a typed reply.
    prompt_ref: str | None = Field(default=None, max_length=40)
    # The text of that question as it was asked (stored by the turn that asked it), so
    # the next turn closes it without running the engine again to find it.
    prompt_text: str | None = None
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # active, summary, done, cancelled, expired; handed_over: closed because its praktik
    # was handed over to another consultant (later input in the thread is refused).
    status: str = Field(default="active", max_length=20)
    started_at: dt.datetime = _ts(default_factory=utcnow)
    last_activity: dt.datetime = _ts(default_factory=utcnow, index=True)


class Answer(SQLModel, table=True):
    """The answer log: every accepted answer, with the question exactly as asked."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("source_key", name="uq_answers_source_key"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    praktik_id: int | None = Field(default=None, foreign_key="praktikker.id", index=True)
    consultant_id: int = Field(foreign_key="consultants.id")
    flow_id: str = Field(max_length=60)
    flow_version: str = Field(max_length=40)
    step_id: str = Field(max_length=60)
    question: str
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    display: str
    source_key: str = Field(max_length=200)
    answered_at: dt.datetime = _ts(default_factory=utcnow)
    # A saved answer corrected later: the new answer is a new row (who: consultant_id,
    # when: answered_at) in the correction's conversation, with the version it became and
    # the answer it replaces.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    replaces_id: int | None = Field(default=None, foreign_key="answers.id")


class CaseNote(SQLModel, table=True):
    """A copy-ready text the bot produced for the consultant to paste: a case-note draft
    (journalnotat) or the agreement's fields for VITAS."""

    __tablename__ = "case_notes"

    id: int | None = Field(default=None, primary_key=True)
    praktik_id: int | None = Field(default=None, foreign_key="praktikker.id", index=True)
    conversation_id: int = Field(foreign_key="conversations.id")
    flow_id: str = Field(max_length=60)
    # journalnotat: for the case system; vitas: the agreement's fields for VITAS.
    kind: str = Field(
        default="journalnotat", max_length=20, sa_column_kwargs={"server_default": "journalnotat"}
    )
    text: str
    created_at: dt.datetime = _ts(default_factory=utcnow)


class ProcessedInput(SQLModel, table=True):
    """Inputs already handled (Slack event id, action id, terminal turn), for de-duplication."""

    __tablename__ = "processed_inputs"

    source_key: str = Field(max_length=200, primary_key=True)
    processed_at: dt.datetime = _ts(default_factory=utcnow, index=True)


class Delivery(SQLModel, table=True):
    """One reminder DM or team digest occurrence, sent once by whichever instance claims it.

    `key` is unique per occurrence ("followup:{id}:due:{date}", "digest:{team}:{date}").
    status: pending -> sending (claimed, leased) -> sent; or dead (attempts used up),
    missed (too late after downtime) or cancelled (follow-up moved, held or gone).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("key", name="uq_deliveries_key"),
        Index("ix_deliveries_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_deliveries_followup_status", "followup_id", "status"),
        Index("ix_deliveries_team_occurs_on", "team_id", "occurs_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120)
    kind: str = Field(max_length=20)  # early, due, overdue, digest, overview
    followup_id: int | None = Field(default=None, foreign_key="followups.id")
    praktik_id: int | None = Field(default=None, foreign_key="praktikker.id", index=True)
    team_id: str | None = Field(default=None, max_length=40)
    recipient: str = Field(max_length=40)  # Slack user id (DM) or the team's channel
    occurs_on: dt.date  # the local day it belongs to
    due_at: dt.datetime = _ts()
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    lease_owner: str | None = Field(default=None, max_length=80)
    lease_until: dt.datetime | None = _ts(default=None)
    # Not claimable before this; while sending it equals lease_until.
    next_attempt_at: dt.datetime = _ts()
    last_error: str | None = Field(default=None, max_length=200)
    sent_at: dt.datetime | None = _ts(default=None)
    slack_channel: str | None = Field(default=None, max_length=40)
    slack_ts: str | None = Field(default=None, max_length=40)
    created_at: dt.datetime = _ts(default_factory=utcnow)
    updated_at: dt.datetime = _ts(default_factory=utcnow)


class AuditEntry(SQLModel, table=True):
    """Who viewed, changed, handed over, exported or erased what, and when.

    No personal data: the actor is a user key (a Slack user id or terminal name of a
    consultant), the object is an internal id, and `detail` holds ids and counts only.
    `praktik_id` is deliberately not a foreign key: the entry outlives an erased praktik.
    """

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _ts(default_factory=utcnow, index=True)
    actor: str = Field(max_length=80, index=True)
    action: str = Field(max_length=40)  # view, change, handover, export, erase, denied, purge
    praktik_id: int | None = Field(default=None, index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class RefCounter(SQLModel, table=True):
    """The last number handed out per kind of short reference, never decremented.

    SQLite's trigger for `Praktik.short_ref` counts here ("praktik_short_ref"); on
    PostgreSQL the sequence praktik_short_ref_seq does that job and this table is empty.
    """

    __tablename__ = "ref_counters"

    name: str = Field(max_length=40, primary_key=True)
    value: int


class Absence(SQLModel, table=True):
    """A consultant's absence, and the colleague of the same team who stands in meanwhile.

    In effect on the local days (Copenhagen) from `first_day` to `last_day`, both
    included, and before `ended_on` when it was ended early (set to the day it was
    ended; a period ended before it began was never in effect). Nothing runs when it
    ends: whether it is in effect is a date check. `team_id` is the team both were in
    when it was set: the stand-in acts only on the absent consultant's praktikker of that
    team (or of none). No typed text: days and ids only.
    """

    __tablename__ = "absences"
    __table_args__ = (
        Index("ix_absences_consultant_last_day", "consultant_id", "last_day"),
        Index("ix_absences_stand_in_last_day", "stand_in_id", "last_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    consultant_id: int = Field(foreign_key="consultants.id")
    stand_in_id: int = Field(foreign_key="consultants.id")
    team_id: str = Field(max_length=40)
    first_day: dt.date
    last_day: dt.date
    ended_on: dt.date | None = None
    created_by: str = Field(max_length=80)  # the user key of who set it
    created_at: dt.datetime = _ts(default_factory=utcnow)
    updated_at: dt.datetime = _ts(default_factory=utcnow)


class ProgressScore(SQLModel, table=True):
    """One progression score: a sub-goal (its index in the praktik's list) or the
    consultant's belief in a job, from one side, at one follow-up (phase)."""

    __tablename__ = "progress_scores"
    __table_args__ = (Index("ix_progress_scores_praktik_indicator", "praktik_id", "indicator"),)

    id: int | None = Field(default=None, primary_key=True)
    praktik_id: int = Field(foreign_key="praktikker.id")
    # The conversation that recorded it: a correction's scores replace its chain's rows.
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    consultant_id: int = Field(foreign_key="consultants.id")
    phase: str = Field(max_length=20)  # opstart, midtvejs, afslutning
    side: str = Field(max_length=20)  # consultant, citizen, company
    indicator: str = Field(max_length=20)  # subgoal, job_belief
    item: int | None = None  # sub-goal index (0-based) in praktikker.subgoals
    score: int
    scale_min: int
    scale_max: int
    meeting_date: dt.date
    recorded_at: dt.datetime = _ts(default_factory=utcnow)


class PlanStep(SQLModel, table=True):
    """A step of a praktik's development plan (udviklingsplan): what, who, by when. A dated
    step has a follow-up (kind plantrin) that reminds the consultant on the day."""

    __tablename__ = "plan_steps"

    id: int | None = Field(default=None, primary_key=True)
    praktik_id: int = Field(foreign_key="praktikker.id", index=True)
    text: str = Field(max_length=200)
    who: str = Field(max_length=20)  # borger, virksomhed, konsulent
    due_date: dt.date | None = None
    status: str = Field(default="open", max_length=20)  # open, done, dropped
    moved_from: dt.date | None = None  # the due date before the latest move
    followup_id: int | None = Field(default=None, foreign_key="followups.id")
    conversation_id: int | None = Field(default=None, foreign_key="conversations.id")
    created_at: dt.datetime = _ts(default_factory=utcnow)
    updated_at: dt.datetime = _ts(default_factory=utcnow)


class RiskFlag(SQLModel, table=True):
    """Whether a risk rule (app.yaml risk.rules, by id) holds for a praktik: raised when a
    saved flow makes it hold, cleared when a later one evaluates it and it does not."""

    __tablename__ = "risk_flags"
    __table_args__ = (UniqueConstraint("praktik_id", "rule_id", name="uq_risk_flags_rule"),)

    id: int | None = Field(default=None, primary_key=True)
    praktik_id: int = Field(foreign_key="praktikker.id", index=True)
    rule_id: str = Field(max_length=40)
    active: bool = True
    raised_at: dt.datetime = _ts(default_factory=utcnow)
    cleared_at: dt.datetime | None = _ts(default=None)
    conversation_id: int | None = Field(default=None, foreign_key="conversations.id")


class FollowUpProposal(SQLModel, table=True):
    """An extra follow-up proposed because risk rules held; the consultant accepts
    (a follow-up of kind ekstra is added) or declines, once."""

    __tablename__ = "followup_proposals"

    id: int | None = Field(default=None, primary_key=True)
    praktik_id: int = Field(foreign_key="praktikker.id", index=True)
    conversation_id: int = Field(foreign_key="conversations.id")  # the chain's root
    rules: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    due_date: dt.date
    status: str = Field(default="proposed", max_length=20)  # proposed, accepted, declined,
    # superseded (a newer proposal on the praktik), withdrawn (a correction cleared it)
    followup_id: int | None = Field(default=None, foreign_key="followups.id")
    decided_by: str | None = Field(default=None, max_length=80)
    decided_at: dt.datetime | None = _ts(default=None)
    created_at: dt.datetime = _ts(default_factory=utcnow)
