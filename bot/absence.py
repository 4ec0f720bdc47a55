"""Absence and stand-ins: while a consultant is away, a colleague of the same team covers.

A consultant — or their team lead, or an administrator — sets an absence from a first to
a last day (local days, Copenhagen) and a stand-in. Meanwhile the absent consultant's
reminders and the team digest's mentions go to the stand-in (bot/reminders/outgoing.py),
saying whose praktik it is, and the stand-in may act on those praktikker
(bot/access.py: `Cover`). Setting, changing and ending are audited, and so is every
action the stand-in takes on a praktik as stand-in (`stand_in_for` in the entry).

Nothing runs when an absence ends: whether it is in effect is a date check against the
local date, so it ends by itself after its last day. Ending it early sets `ended_on`.

The rules, each refused with a Danish reason naming the people and the days:

- only a member (or lead) of the same team can stand in — the praktikker stay in the
  team; never the absent consultant themselves;
- the last day must be today or later: an absence wholly in the past changes nothing
  (its reminders went out), so it is not recorded; the first day may lie in the past
  (sick since Monday, registered on Wednesday);
- a consultant has one absence at a time: a period overlapping one that is set is
  refused — change that one instead;
- a stand-in must not be absent themselves during the period, and a consultant who
  stands in for someone during the period must hand that on before being absent (no
  chains: every praktik has one person reminded about it);
- at most `absence.max_days` days: longer is a hand-over, for the team lead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.access import Cover, Roles
from bot.config import AppConfig
from dialogues.dates import MONTH_NAMES
from storage import queries
from storage.db import Database
from storage.models import Absence, Consultant, utcnow

ALREADY_SAVED = "Fraværet fra denne formular er allerede gemt. Skriv *fravær* for at se det."
GONE = "Det fravær findes ikke længere."
ENDED_ALREADY = "Det fravær er allerede slut. Intet er ændret."


@dataclass(frozen=True)
class Person:
    """A Slack user as the absence rules see them: their Slack id and roles now."""

    slack_user_id: str
    roles: Roles

    @property
    def user_key(self) -> str:
        return f"slack:{self.slack_user_id}"

    @property
    def mention(self) -> str:
        return f"<@{self.slack_user_id}>"


@dataclass(frozen=True)
class AbsenceResult:
    """What setting, changing or ending did. `message` (mrkdwn the bot wrote: mentions
    and days only) is for the one who did it; `notify` says what to tell whom else."""

    ok: bool
    message: str
    absence_id: int | None = None
    notify: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class AbsenceView:
    """An absence that is not over, as Home and the DM show it."""

    absence_id: int
    absent: str | None  # Slack user ids
    stand_in: str | None
    first_day: dt.date
    last_day: dt.date  # the last day in effect
    in_effect: bool
    may_change: bool


@dataclass(frozen=True)
class Overview:
    own: list[AbsenceView] = field(default_factory=list)  # the person's own absences
    covering: list[AbsenceView] = field(default_factory=list)  # where they stand in
    team: list[AbsenceView] = field(default_factory=list)  # a lead's team members'


# --- dates ------------------------------------------------------------------------------


def effective_last_day(absence: Absence) -> dt.date | None:
    """The last day the absence is in effect; None if it never is (ended before it began)."""
    last = absence.last_day
    if absence.ended_on is not None:
        last = min(last, absence.ended_on - dt.timedelta(days=1))
    return last if last >= absence.first_day else None


def in_effect(absence: Absence, day: dt.date) -> bool:
    last = effective_last_day(absence)
    return last is not None and absence.first_day <= day <= last


def day_text(day: dt.date) -> str:
    """ "1. december 2026"."""
    return f"{day.day}. {MONTH_NAMES[day.month - 1]} {day.year}"


def period_text(first: dt.date, last: dt.date) -> str:
    """ "1. december 2026 til og med 12. december 2026"."""
    return f"{day_text(first)} til og med {day_text(last)}"


def _overlaps(first: dt.date, last: dt.date, absence: Absence) -> bool:
    end = effective_last_day(absence)
    return end is not None and absence.first_day <= last and first <= end


# --- who covers whom ----------------------------------------------------------------------


async def covers_of(
    session: AsyncSession, *, consultant_id: int, day: dt.date
) -> tuple[Cover, ...]:
    """The absences in effect on `day` with `consultant_id` as the stand-in."""
    found = await queries.absences_in_effect(session, day=day, stand_in_id=consultant_id)
    return tuple(
        Cover(absence_id=a.id, owner_id=a.consultant_id, team_id=a.team_id)
        for a, _, _ in found
        if a.id is not None
    )


async def stand_ins_on(
    session: AsyncSession, *, consultant_ids: list[int], day: dt.date
) -> dict[int, tuple[Absence, Consultant, Consultant]]:
    """Absent consultant id → (absence, absent consultant, stand-in) in effect on `day`."""
    found = await queries.absences_in_effect(session, day=day, consultant_ids=consultant_ids)
    return {a.consultant_id: (a, owner, stand_in) for a, owner, stand_in in found}


def routes_to_stand_in(absence: Absence, praktik_team_id: str | None) -> bool:
    """Whether a praktik of the absent consultant is covered by the arrangement: of its
    team, or of none (as `access.covering` decides for acting on it)."""
    return praktik_team_id in (None, absence.team_id)


# --- setting, changing, ending --------------------------------------------------------------


def _refused(message: str) -> AbsenceResult:
    return AbsenceResult(False, message)


def _teams_to_set(actor: Person, absent: Person) -> frozenset[str]:
    """The teams in which `actor` may set `absent`'s absence: their own teams for
    themselves; a lead's teams the absent is in; every team of the absent for an admin."""
    if actor.slack_user_id == absent.slack_user_id:
        return absent.roles.teams
    if actor.roles.admin:
        return absent.roles.teams
    return actor.roles.lead_of & absent.roles.teams


def may_change(roles: Roles, slack_user_id: str, absence: Absence, absent: Consultant) -> bool:
    """The absent consultant, a lead of the absence's team and an administrator may
    change or end an absence."""
    return roles.admin or absent.slack_user_id == slack_user_id or absence.team_id in roles.lead_of


async def _consultant(session: AsyncSession, person: Person) -> Consultant:
    return await queries.get_or_create_consultant(
        session,
        user_key=person.user_key,
        name=person.slack_user_id,
        slack_user_id=person.slack_user_id,
        team_id=person.roles.team_id,
    )


def _check_dates(config: AppConfig, first: dt.date, last: dt.date, today: dt.date) -> str | None:
    if last < first:
        return (
            f"Sidste fraværsdag ({day_text(last)}) ligger før første fraværsdag "
            f"({day_text(first)}). Vælg datoerne igen."
        )
    if last < today:
        return (
            f"Fraværet er allerede slut: sidste fraværsdag var {day_text(last)}. Et fravær, "
            "der ligger helt i fortiden, ændrer intet (påmindelserne er sendt), så det gemmes "
            "ikke. Vælg en sidste fraværsdag fra i dag eller senere."
        )
    days = (last - first).days + 1
    if days > config.absence.max_days:
        return (
            f"Fraværet er {days} dage. Et fravær på mere end {config.absence.max_days} dage "
            "løses bedre ved, at teamlederen overdrager praktikkerne under Hjem."
        )
    return None


def _conflict(
    first: dt.date,
    last: dt.date,
    absent: Consultant,
    stand_in: Consultant,
    existing: list[tuple[Absence, Consultant, Consultant]],
    *,
    except_id: int | None,
    self_set: bool,
) -> str | None:
    """Why the period cannot be set given the absences not over yet, or None."""
    for other, owner, other_stand_in in existing:
        if other.id == except_id or not _overlaps(first, last, other):
            continue
        end = effective_last_day(other)
        assert end is not None
        span = period_text(other.first_day, end)
        if other.consultant_id == absent.id:
            who = "Du har" if self_set else f"<@{absent.slack_user_id}> har"
            return (
                f"{who} allerede fravær {span} med <@{other_stand_in.slack_user_id}> som "
                "stedfortræder, og det overlapper. Man har ét fravær ad gangen: ret det "
                "fravær i stedet, eller afslut det først."
            )
        if other.consultant_id == stand_in.id:
            return (
                f"<@{stand_in.slack_user_id}> er selv fraværende {span} og kan ikke være "
                "stedfortræder i den periode. Vælg en anden kollega fra teamet."
            )
        if other.stand_in_id == absent.id:
            return (
                f"<@{absent.slack_user_id}> er stedfortræder for <@{owner.slack_user_id}> "
                f"{span}, og det overlapper. Vælg først en anden stedfortræder for "
                f"<@{owner.slack_user_id}>, så ingen praktik står uden en, der får påmindelserne."
            )
    return None


async def set_absence(
    db: Database,
    config: AppConfig,
    *,
    actor: Person,
    absent: Person,
    stand_in: Person,
    first_day: dt.date,
    last_day: dt.date,
    today: dt.date,
    absence_id: int | None = None,
    source_key: str | None = None,
) -> AbsenceResult:
    """Set an absence (or, with `absence_id`, change that one: its days and stand-in)."""
    problem = _check_dates(config, first_day, last_day, today)
    if problem:
        return _refused(problem)
    self_set = actor.slack_user_id == absent.slack_user_id
    teams = _teams_to_set(actor, absent)
    if not teams:
        if self_set:
            return _refused(
                "Fravær med stedfortræder kræver, at du er med i et team i praktikbot. "
                "Spørg din teamleder."
            )
        return _refused(
            "Du kan registrere fravær for dig selv og, som teamleder, for dem i dit team."
        )
    if stand_in.slack_user_id == absent.slack_user_id:
        return _refused("Vælg en kollega som stedfortræder – ikke den fraværende selv.")
    shared = sorted(teams & stand_in.roles.teams)
    if not shared:
        names = ", ".join(t.name for t in config.teams if t.id in teams)
        return _refused(
            f"{stand_in.mention} er ikke med i {absent.mention}s team ({names}). "
            "Stedfortræderen skal være fra samme team, så praktikkerne bliver i teamet."
        )
    async with db.transaction() as session:
        if source_key is not None and await queries.input_claimed(session, source_key=source_key):
            return _refused(ALREADY_SAVED)  # this form was saved before: said first
        absent_row = await _consultant(session, absent)
        stand_in_row = await _consultant(session, stand_in)
        assert absent_row.id is not None and stand_in_row.id is not None
        current: Absence | None = None
        if absence_id is not None:
            current = await queries.get_absence(session, absence_id=absence_id, lock=True)
            if current is None:
                return _refused(GONE)
            if current.consultant_id != absent_row.id or not may_change(
                actor.roles, actor.slack_user_id, current, absent_row
            ):
                await _denied(session, actor, current.id, "not_allowed")
                return _refused("Du kan kun rette dit eget fravær eller dit teams.")
            end = effective_last_day(current)
            if end is None or end < today:
                return _refused(ENDED_ALREADY)
        existing = await queries.absences_not_over(
            session, today=today, consultant_ids=[absent_row.id, stand_in_row.id]
        )
        conflict = _conflict(
            first_day,
            last_day,
            absent_row,
            stand_in_row,
            existing,
            except_id=absence_id,
            self_set=self_set,
        )
        if conflict:
            return _refused(conflict)
        if source_key is not None and not await queries.claim_input(session, source_key=source_key):
            return _refused(ALREADY_SAVED)
        span = period_text(first_day, last_day)
        if current is None:
            absence = await queries.add_absence(
                session,
                absence=Absence(
                    consultant_id=absent_row.id,
                    stand_in_id=stand_in_row.id,
                    team_id=shared[0],
                    first_day=first_day,
                    last_day=last_day,
                    created_by=actor.user_key,
                ),
            )
            await _audit(session, actor, "set", absence)
            notify = [(stand_in.slack_user_id, _to_stand_in(absent, span, last_day))]
            if not self_set:
                notify.append(
                    (
                        absent.slack_user_id,
                        f"{actor.mention} har registreret dit fravær {span} med "
                        f"{stand_in.mention} som stedfortræder. Dine påmindelser går til "
                        f"{stand_in.mention} i perioden.",
                    )
                )
            who = "Dit fravær" if self_set else f"Fraværet for {absent.mention}"
            return AbsenceResult(
                True,
                f"{who} er registreret: {span}. Stedfortræder: {stand_in.mention}. Påmindelser "
                f"og teamets oversigt om praktikkerne går til {stand_in.mention} i perioden, "
                "og ordningen slutter af sig selv efter sidste fraværsdag.",
                absence.id,
                tuple(notify),
            )
        changed = [
            name
            for name, old, new in (
                ("first_day", current.first_day, first_day),
                ("last_day", current.last_day, last_day),
                ("stand_in", current.stand_in_id, stand_in_row.id),
            )
            if old != new
        ]
        previous_stand_in = current.stand_in_id
        current.first_day, current.last_day = first_day, last_day
        current.stand_in_id, current.team_id = stand_in_row.id, shared[0]
        current.updated_at = utcnow()
        session.add(current)
        await _audit(session, actor, "change", current, changed=changed)
        notify = [(stand_in.slack_user_id, _to_stand_in(absent, span, last_day, changed=True))]
        if previous_stand_in != stand_in_row.id:
            old = await session.get(Consultant, previous_stand_in)
            if old is not None and old.slack_user_id:
                notify.append(
                    (
                        old.slack_user_id,
                        f"Du er ikke længere stedfortræder for {absent.mention}: "
                        f"{stand_in.mention} har overtaget. Påmindelserne går nu til dem.",
                    )
                )
        return AbsenceResult(
            True,
            f"Fraværet er ændret: {span}. Stedfortræder: {stand_in.mention}.",
            current.id,
            tuple(notify),
        )


def _to_stand_in(absent: Person, span: str, last: dt.date, *, changed: bool = False) -> str:
    head = (
        f"Fraværet for {absent.mention} er ændret: {span}, og du er stedfortræder."
        if changed
        else f"{absent.mention} er fraværende {span}, og du er stedfortræder."
    )
    return (
        f"{head} I perioden får du påmindelserne om {absent.mention}s praktikker og "
        f"nævnes i teamets oversigt i stedet, og du kan arbejde på dem fra Hjem. Ordningen "
        f"slutter af sig selv efter {day_text(last)}."
    )


async def end_absence(
    db: Database, *, actor: Person, absence_id: int, today: dt.date
) -> AbsenceResult:
    """End an absence today (one that has not begun is deleted in effect: never in force)."""
    async with db.transaction() as session:
        absence = await queries.get_absence(session, absence_id=absence_id, lock=True)
        if absence is None:
            return _refused(GONE)
        absent = await session.get(Consultant, absence.consultant_id)
        stand_in = await session.get(Consultant, absence.stand_in_id)
        assert absent is not None and stand_in is not None
        if not may_change(actor.roles, actor.slack_user_id, absence, absent):
            await _denied(session, actor, absence.id, "not_allowed")
            return _refused("Du kan kun afslutte dit eget fravær eller dit teams.")
        end = effective_last_day(absence)
        if end is None or end < today:
            return _refused(ENDED_ALREADY)
        begun = absence.first_day <= today
        absence.ended_on = today
        absence.updated_at = utcnow()
        session.add(absence)
        await _audit(session, actor, "end", absence)
        whose = (
            "Dit fravær"
            if absent.slack_user_id == actor.slack_user_id
            else f"Fraværet for <@{absent.slack_user_id}>"
        )
        done = "er afsluttet i dag" if begun else "er slettet (det var ikke begyndt)"
        notify: tuple[tuple[str, str], ...] = ()
        if stand_in.slack_user_id and begun:
            notify = (
                (
                    stand_in.slack_user_id,
                    f"Fraværet for <@{absent.slack_user_id}> er afsluttet i dag, og du er ikke "
                    f"længere stedfortræder. Påmindelserne om <@{absent.slack_user_id}>s "
                    "praktikker går igen til dem.",
                ),
            )
        elif stand_in.slack_user_id:
            notify = (
                (
                    stand_in.slack_user_id,
                    f"Fraværet for <@{absent.slack_user_id}> fra {day_text(absence.first_day)} "
                    "er slettet: du skal ikke være stedfortræder alligevel.",
                ),
            )
        return AbsenceResult(
            True,
            f"{whose} {done}. Påmindelserne går til <@{absent.slack_user_id}> igen.",
            absence.id,
            notify,
        )


async def _audit(
    session: AsyncSession, actor: Person, what: str, absence: Absence, **detail: Any
) -> None:
    await session.flush()
    await queries.audit(
        session,
        actor=actor.user_key,
        action="absence",
        detail={
            "what": what,
            "absence": absence.id,
            "consultant": absence.consultant_id,
            "stand_in": absence.stand_in_id,
            "team": absence.team_id,
            **detail,
        },
    )


async def _denied(
    session: AsyncSession, actor: Person, absence_id: int | None, reason: str
) -> None:
    await queries.audit(
        session,
        actor=actor.user_key,
        action="denied",
        detail={"what": "absence", "absence": absence_id, "reason": reason},
    )


# --- what a person sees -------------------------------------------------------------------


async def overview(db: Database, *, person: Person, today: dt.date) -> Overview:
    """The absences not over yet that concern `person`: their own, those they stand in
    for, and — for a lead — those of their team's members."""
    async with db.transaction() as session:
        me = await queries.consultant_by_key(session, user_key=person.user_key)
        ids = [me.id] if me is not None and me.id is not None else []
        found = await queries.absences_not_over(session, today=today, consultant_ids=ids)
        team_found = await queries.absences_not_over(
            session, today=today, team_ids=sorted(person.roles.lead_of)
        )
    result = Overview()
    seen: set[int] = set()

    def view(absence: Absence, absent: Consultant, stand_in: Consultant) -> AbsenceView | None:
        end = effective_last_day(absence)
        if end is None or absence.id is None:
            return None
        return AbsenceView(
            absence_id=absence.id,
            absent=absent.slack_user_id,
            stand_in=stand_in.slack_user_id,
            first_day=absence.first_day,
            last_day=end,
            in_effect=absence.first_day <= today <= end,
            may_change=may_change(person.roles, person.slack_user_id, absence, absent),
        )

    for absence, absent, stand_in in found:
        shown = view(absence, absent, stand_in)
        if shown is None:
            continue
        seen.add(shown.absence_id)
        (result.own if absent.id in ids else result.covering).append(shown)
    for absence, absent, stand_in in team_found:
        shown = view(absence, absent, stand_in)
        if shown is not None and shown.absence_id not in seen:
            seen.add(shown.absence_id)
            result.team.append(shown)
    return result
