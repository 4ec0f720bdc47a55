"""Named pieces that flow files refer to: validators, checks, option and item sources,
suggestions, facts and text placeholders, each with what it reads (`Needs`, see
dialogues.contract). A flow naming anything not registered here, or lacking an answer
a named piece reads, fails to load.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from dialogues.contract import Needs, Part, Reads
from dialogues.cpr import p_number
from dialogues.dates import format_danish_date
from dialogues.domain import RuleSet, TargetGroup
from dialogues.model import Option
from dialogues.numbers import danish_number
from dialogues.progression import Scale
from dialogues.state import FlowContext

# What the named parts read, by step id. Each part's `Needs` below lists the ones it uses;
# the code reads them through these, so a step id is written once.
START = Reads("start_date", ("date",), or_praktik=True)  # a praktik's stored start stands in
START_IF_ASKED = Reads("start_date", ("date",), required=False)  # without it: today's rules
END = Reads("end_date", ("date",))
TARGET_GROUP = Reads("target_group", ("choice",), or_praktik=True, options_from="target_groups")
# The target group's id where a part copes without it (no options_from: such a part only
# looks the id up in the rule set in force, and does nothing when it is not there).
TARGET_GROUP_IF_ASKED = Reads("target_group", ("choice",), required=False, or_praktik=True)
EMPLOYEES = Reads("ordinary_employees", ("number",))
START_HOURS = Reads("hours_per_week", ("number",))
EMPLOYEE_REP_IF_ASKED = Reads("employee_rep", ("text",), required=False)
PRAKTIK_TYPE = Reads("praktik_type", ("choice",), options_from="praktik_types")
JOB_MATCH = Reads("advisor_job_match", ("yesno",))
DIRECTION = Reads("advisor_direction", ("yesno",))
# The development plan's review and new steps (the follow-up form).
PLAN_DECISIONS = frozenset({"done", "moved", "dropped", "open"})
PLAN_REVIEW = Reads("plan_review", ("choice",), per_item=True, values=PLAN_DECISIONS)
PLAN_FIRST = Reads("plan_first", ("text",), required=False)
PLAN_NEW = Reads("plan_new", ("text",), required=False)
# The day a praktik ended before its planned end (Afslutning); the case note reads it too.
ACTUAL_END = Reads("actual_end", ("date",), required=False)
MAX_PLAN_STEPS = 10
MAX_PLAN_STEP_LENGTH = 200


# Named lookups: facts from storage a part may read (`Needs.lookups`), each keyed by the
# answer of one step. The bot layer resolves them (bot.lookups); the engine stays pure.
P_NUMBER_ACTIVITY = "p_number_activity"
LOOKUPS: dict[str, Reads] = {
    # Active praktikker of other consultants at the P-nr., the places left under the ratio
    # cap and repeated praktikker without a hire there.
    P_NUMBER_ACTIVITY: Reads("p_number", ("text",)),
}


@dataclass(frozen=True)
class Env:
    """What a named rule sees: the context, the answers so far and today's date."""

    ctx: FlowContext
    answers: Mapping[str, Any]
    today: dt.date

    def date_answer(self, step_id: str) -> dt.date | None:
        value = self.answers.get(step_id)
        return dt.date.fromisoformat(value) if isinstance(value, str) else None

    def start_day(self) -> dt.date | None:
        """The praktik's start: as answered in this flow, else as stored (changing a period)."""
        answered = self.date_answer(START.step)
        if answered is not None:
            return answered
        return self.ctx.praktik.start_date if self.ctx.praktik else None

    def target_group(self) -> TargetGroup | None:
        return self.group_on(self.start_day() or self.today)

    def group_on(self, day: dt.date) -> TargetGroup | None:
        """The target group (as answered, else the praktik's) as the rules on `day` have it."""
        group_id = self.answers.get(TARGET_GROUP.step)
        if not isinstance(group_id, str) and self.ctx.praktik is not None:
            group_id = self.ctx.praktik.target_group
        if not isinstance(group_id, str):
            return None
        return self.ctx.target_group(group_id, day)

    def rules(self) -> RuleSet:
        """The rule set in force on the praktik's start (today's before it is known)."""
        return self.ctx.rules_on(self.start_day() or self.today)

    def max_hours(self) -> float:
        return self.rules().max_hours_per_week


@dataclass(frozen=True)
class Issue:
    level: Literal["refuse", "warn"]
    message: str


@dataclass(frozen=True)
class Suggestion:
    value: str
    reason: str


Validator = Part[[Any, Env], Issue | None]
Check = Part[[Env], bool]
OptionSource = Part[[Env], tuple[Option, ...]]
ItemSource = Part[[Env], tuple[str, ...]]
Suggester = Part[[Env], Suggestion | None]
DateOrigin = Part[[Env], dt.date | None]


def weeks_between(start: dt.date, end: dt.date) -> float:
    """Length of a period including both its first and last day, in weeks."""
    return ((end - start).days + 1) / 7


def format_weeks(weeks: float) -> str:
    rounded = math.ceil(weeks * 10) / 10
    text = f"{rounded:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text} uge" if text == "1" else f"{text} uger"


# --- validators -----------------------------------------------------------------------


def _case_ref(value: Any, env: Env) -> Issue | None:
    """The case reference has one of the shapes configured in app.yaml
    (`case_reference.patterns`); a name or a CPR-like number gets its own explanation."""
    problem = env.ctx.case_refs.problem(str(value))
    return Issue("refuse", problem) if problem is not None else None


def _p_number(value: Any, env: Env) -> Issue | None:
    """The P-number rule (rules.md "P-numbers and CPR numbers"): ten digits beginning
    with 1. Not the CPR rule: 12 % of P-numbers read as a date."""
    if p_number(str(value)) is None:
        return Issue("refuse", "Et P-nummer består af 10 cifre og begynder med 1, fx 1017654321.")
    return None


# Validators whose field has its own form, which may read as a CPR number: input in that
# form (returned canonical) skips the generic CPR check; anything else is checked.
CPR_EXEMPT_FORMS: dict[str, Callable[[str], str | None]] = {"p_number": p_number}


CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


def _cvr(value: Any, env: Env) -> Issue | None:
    """A CVR number: 8 digits whose weighted sum (2, 7, 6, 5, 4, 3, 2, 1) is divisible by 11."""
    text = re.sub(r"[\s.-]", "", str(value))
    if not re.fullmatch(r"\d{8}", text):
        return Issue("refuse", "Et CVR-nummer består af præcis 8 cifre, fx 12345674.")
    if sum(w * int(d) for w, d in zip(CVR_WEIGHTS, text, strict=True)) % 11:
        return Issue(
            "refuse",
            f"CVR-nummeret {text} er ikke gyldigt: kontrolcifferet passer ikke (modulus 11). "
            "Tjek nummeret på virk.dk, eller skriv 'spring over'.",
        )
    return None


def _start_date(value: Any, env: Env) -> Issue | None:
    day = dt.date.fromisoformat(value)
    if day < env.today - dt.timedelta(days=90):
        return Issue("refuse", "Startdatoen må højst ligge 90 dage tilbage.")
    if day > env.today + dt.timedelta(days=365):
        return Issue("refuse", "Startdatoen må højst ligge et år frem.")
    group = env.group_on(day)
    if group is not None and group.closed:
        return Issue(
            "refuse",
            f"{group.closed} En ny praktik for {group.label} kan ikke starte "
            f"{format_danish_date(day)}. Skriv 'afbryd' og start forfra med den målgruppe, "
            "borgeren er i nu (eller 'tilbage' for at gå et spørgsmål tilbage).",
        )
    return None


def _target_group(value: Any, env: Env) -> Issue | None:
    """A group closed to new praktikker may still be chosen (a praktik that started
    before); say so at once — the start date is refused in it."""
    group = env.ctx.target_group(str(value), env.start_day() or env.today)
    if group is not None and group.closed:
        return Issue("warn", f"OBS: {group.closed}")
    return None


def _end_date(value: Any, env: Env) -> Issue | None:
    end = dt.date.fromisoformat(value)
    start = env.start_day()
    if start is None:
        return None
    if end <= start:
        return Issue(
            "refuse", f"Slutdatoen skal ligge efter startdatoen ({format_danish_date(start)})."
        )
    group = env.target_group()
    if group is None:
        return Issue(
            "refuse",
            "Målgruppen findes ikke i de regler, der gælder på startdatoen. "
            "Skriv 'tilbage' og vælg målgruppe igen.",
        )
    refs = env.rules().references
    weeks = weeks_between(start, end)
    weekend = _weekend_end(end)
    if weeks <= group.max_weeks:
        return Issue("warn", weekend) if weekend else None
    limit = group.extendable_to_weeks
    if limit is not None and weeks <= limit:
        return Issue(
            "warn",
            f"Perioden er {format_weeks(weeks)}. For {group.label} er grænsen {group.max_weeks} "
            f"uger; op til {limit} uger kræver en konkret individuel vurdering ({refs.extension})."
            + (f" {weekend}" if weekend else ""),
        )
    if limit is not None:
        return Issue(
            "refuse",
            f"Perioden er {format_weeks(weeks)}. For {group.label} må en praktik højst vare "
            f"{group.max_weeks} uger, og efter en konkret individuel vurdering op til {limit} "
            f"uger ({refs.duration}). Forlængelse derudover sker 13 uger ad gangen ved helt "
            "særligt behov og registreres ikke her. Vælg en tidligere slutdato.",
        )
    return Issue(
        "refuse",
        f"Perioden er {format_weeks(weeks)}, men for {group.label} må en virksomhedspraktik "
        f"højst vare {group.max_weeks} uger ({refs.duration}). Vælg en slutdato senest "
        f"{format_danish_date(start + dt.timedelta(days=group.max_weeks * 7 - 1))}.",
    )


def _weekend_end(end: dt.date) -> str | None:
    """A word about an end on a Saturday or Sunday: allowed (the period counts calendar
    days), but a praktik usually ends on a working day, and a slip is easy to make."""
    if end.weekday() < 5:
        return None
    friday = end - dt.timedelta(days=end.weekday() - 4)
    return (
        f"OBS: Slutdatoen, {format_danish_date(end)}, ligger i en weekend. Slutter "
        f"praktikken på den sidste hverdag, er det {format_danish_date(friday)} - "
        "ret slutdatoen, hvis det er den, der menes."
    )


def _must_be_yes(value: Any, env: Env) -> Issue | None:
    if value is not True:
        return Issue(
            "refuse",
            "Uden en konkret individuel vurdering kan perioden ikke være længere end "
            "målgruppens grænse. Skriv 'tilbage' og vælg en tidligere slutdato.",
        )
    return None


def _hours(value: Any, env: Env) -> Issue | None:
    limit = env.max_hours()
    if float(value) > limit:
        shown = danish_number(limit)
        return Issue(
            "refuse",
            f"En praktik må højst være {shown} timer om ugen (en normal fuldtidsuge, "
            f"{env.rules().references.hours}).",
        )
    return None


def _final_hours(value: Any, env: Env) -> Issue | None:
    start = env.answers.get(START_HOURS.step)
    if isinstance(start, int | float) and float(value) <= float(start):
        shown = danish_number(float(start))
        return Issue(
            "refuse",
            f"Timetallet efter optrapningen skal være højere end timetallet ved start ({shown}). "
            "Skriv 'tilbage' og svar nej, hvis timerne ikke skal trappes op.",
        )
    return None


def _last_employer(value: Any, env: Env) -> Issue | None:
    group = env.target_group()
    if value is True and group is not None and group.last_employer == "forbidden":
        return Issue(
            "refuse",
            f"For {group.label} må praktikken ikke være hos borgerens seneste arbejdsgiver "
            f"({env.rules().references.last_employer}). Vælg en anden virksomhed: skriv "
            "'afbryd' og start forfra, eller 'tilbage' for at rette.",
        )
    return None


NO_EMPLOYEE_REP = frozenset(
    {
        "ingen",
        "nej",
        "ingen tr",
        "ingen tillidsrepræsentant",
        "der er ingen",
        "der er ingen tillidsrepræsentant",
        "virksomheden har ingen tillidsrepræsentant",
    }
)
_EMAIL = re.compile(r"[^\s@,;]+@[^\s@,;]+\.[a-zæøå]{2,}", re.IGNORECASE)
_PHONE = re.compile(r"(?<!\d)(?:\+45[\s-]?)?(?:\d[\s-]?){7}\d(?!\d)")


def no_employee_rep(value: Any) -> bool:
    """The answer says the workplace has no tillidsrepræsentant ('ingen')."""
    return " ".join(str(value).casefold().rstrip(".!").split()) in NO_EMPLOYEE_REP


def _employee_rep(value: Any, env: Env) -> Issue | None:
    if no_employee_rep(value):
        return Issue(
            "warn",
            "Uden tillidsrepræsentant er udtalelsen om rimelighedskravet fra virksomheden alene "
            f"({env.rules().references.ratio_statement}).",
        )
    text = str(value)
    has_name = bool(re.search(r"[a-zæøå]{2,}", _EMAIL.sub("", text), re.IGNORECASE))
    if not has_name or not (_EMAIL.search(text) or _PHONE.search(text)):
        return Issue(
            "refuse",
            "Skriv tillidsrepræsentantens navn og e-mail eller telefon, fx 'Tina Eksempel, "
            "tina@eksempel.dk' - eller 'ingen', hvis der ikke er en tillidsrepræsentant.",
        )
    return None


def ratio_limit(env: Env) -> int | None:
    employees = env.answers.get(EMPLOYEES.step)
    if employees is None:
        return None
    return env.rules().ratio_cap.limit(int(employees))


def _ratio_cap(value: Any, env: Env) -> Issue | None:
    limit = ratio_limit(env)
    if limit is None:
        return None
    after = int(value) + 1
    if after > limit:
        return Issue(
            "warn",
            f"Rimelighedskravet er ikke opfyldt: med "
            f"{danish_number(int(env.answers[EMPLOYEES.step]))} ordinært ansatte må der højst "
            f"være {danish_number(limit)} i praktik, løntilskud og nytteindsats på P-nummeret, "
            f"og med denne borger bliver det {danish_number(after)} "
            f"({env.rules().references.ratio_cap}). Praktikken kan ikke bevilges, før det er "
            "opfyldt.",
        )
    return None


def statement_from(env: Env) -> str:
    """Who gives the written statement on the ratio cap: the employer and the
    tillidsrepræsentant, or the employer alone when there is none (bek. § 65 stk. 6)."""
    rep = env.answers.get(EMPLOYEE_REP_IF_ASKED.step)
    if rep is not None and no_employee_rep(rep):
        return "virksomheden alene (der er ingen tillidsrepræsentant)"
    return "virksomheden og tillidsrepræsentanten"


def _ratio_statement(value: Any, env: Env) -> Issue | None:
    if value is False:
        return Issue(
            "warn",
            f"Husk: før start skal der foreligge en skriftlig udtalelse fra {statement_from(env)} "
            f"om rimelighedskravet ({env.rules().references.ratio_statement}).",
        )
    return None


def _min_plan(value: Any, env: Env) -> Issue | None:
    if value is False:
        return Issue(
            "warn",
            "Husk: Min Plan skal oprettes eller opdateres med praktikkens formål og opgaver, "
            "når praktikken bevilges.",
        )
    return None


def _followup_date(value: Any, env: Env) -> Issue | None:
    day = dt.date.fromisoformat(value)
    if day < env.today:
        return Issue("refuse", "Vælg en dato fra i dag eller senere.")
    if day > env.today + dt.timedelta(days=365):
        return Issue("refuse", "Datoen må højst ligge et år frem.")
    return None


def _colleagues_at_p_number(value: Any, env: Env) -> Issue | None:
    """Colleagues' active praktikanter at the P-nr., the places left under the ratio cap,
    and repeated praktikker without a hire there (lookup `p_number_activity`)."""
    found = env.ctx.lookup(P_NUMBER_ACTIVITY, str(value).strip())
    if not isinstance(found, dict):
        return None
    parts: list[str] = []
    active, colleagues = (
        int(found.get("active_by_colleagues") or 0),
        int(found.get("colleagues") or 0),
    )
    if active:
        who = "en kollega" if colleagues == 1 else f"{colleagues} kolleger"
        parts.append(
            f"Der er allerede {active} aktiv{'e' if active != 1 else ''} praktikant"
            f"{'er' if active != 1 else ''} på dette P-nummer hos {who}. Tal med "
            "kollegerne, før I aftaler mere med virksomheden."
        )
    places = found.get("places_left")
    if isinstance(places, int) and (active or places <= 0):
        parts.append(
            "Efter rimelighedskravet ved seneste registrering er der "
            f"{danish_number(max(places, 0))} plads(er) tilbage, når alle konsulenters aktive "
            "praktikker tælles med (bek. § 65)."
        )
    if found.get("repeat_flag"):
        parts.append(
            f"Virksomheden har haft {found.get('recent_ended')} praktikker de seneste "
            f"{found.get('window_months')} måneder uden ansættelse bagefter. En praktik må "
            "ikke dække virksomhedens behov for arbejdskraft (vejledning 9641/2022)."
        )
    return Issue("warn", " ".join(parts)) if parts else None


def _outcome_after_start(value: Any, env: Env) -> Issue | None:
    """An outcome recorded before the praktik has started: said, with the dates, before
    it is saved. A warning, not a refusal: a praktik can end before its first day (the
    citizen got the job first), and only an outcome closes it and stops its reminders."""
    praktik = env.ctx.praktik
    if praktik is None or env.today >= praktik.start_date:
        return None
    return Issue(
        "warn",
        f"Praktikken er ikke startet endnu: den starter {format_danish_date(praktik.start_date)}"
        f", og i dag er det {format_danish_date(env.today)}. Gemmer du resultatet, afsluttes "
        "praktikken i dag, før den er begyndt, og resultatet tæller med i opgørelsen; status "
        "efter praktikken følges op fra i dag. Er det den "
        "forkerte praktik, så skriv 'afbryd'; skal den blot begynde senere, så brug 'Ret "
        "periode' i stedet.",
    )


def _actual_end(value: Any, env: Env) -> Issue | None:
    """The day a praktik ended before its planned end: not before its start, not after
    its planned end (a later end is 'Ret periode'), not in the future."""
    praktik = env.ctx.praktik
    if praktik is None:
        return None
    day = dt.date.fromisoformat(value)
    if day < praktik.start_date:
        return Issue(
            "refuse",
            f"Praktikken startede {format_danish_date(praktik.start_date)}, så den kan ikke "
            "være sluttet før. Skriv den sidste dag, borgeren var i praktik.",
        )
    if day > praktik.planned_end:
        return Issue(
            "refuse",
            f"Praktikken skulle efter planen slutte {format_danish_date(praktik.planned_end)}. "
            "Varer den længere, så skriv 'afbryd' og brug 'Ret periode' i stedet."
            + _year_earlier(day, praktik.start_date, env.today),
        )
    if day > env.today:
        return Issue(
            "refuse",
            f"Datoen ligger i fremtiden (i dag er det {format_danish_date(env.today)}). "
            "Skriv den dag, praktikken sluttede - 'i dag', hvis den slutter i dag - eller "
            "registrér resultatet, når praktikken er slut.",
        )
    return None


def _year_earlier(day: dt.date, first: dt.date, last: dt.date) -> str:
    """A date typed without a year is read as the next such day; when the same day a year
    earlier fits (`first`..`last`), say so."""
    try:
        earlier = day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return ""
    if not first <= earlier <= last:
        return ""
    return (
        f" Mente du {format_danish_date(earlier)}? Skriv datoen med årstal, fx "
        f"'{earlier.day}/{earlier.month}-{earlier.year}'."
    )


def _outcome_start(value: Any, env: Env) -> Issue | None:
    """A job or education that follows the praktik does not start before the praktik did
    (once it has started: a praktik called off before its start may be followed by a job
    that starts before the planned start)."""
    praktik = env.ctx.praktik
    if praktik is None or env.today < praktik.start_date:
        return None
    day = dt.date.fromisoformat(value)
    if day < praktik.start_date:
        return Issue(
            "refuse",
            f"Startdatoen for job eller uddannelse ligger før praktikken, der startede "
            f"{format_danish_date(praktik.start_date)}. Skriv den rigtige startdato, eller "
            "'spring over', hvis den ikke kendes.",
        )
    return None


def _meeting_date(value: Any, env: Env) -> Issue | None:
    day = dt.date.fromisoformat(value)
    if day < env.today - dt.timedelta(days=365):
        return Issue("refuse", "Datoen må højst ligge et år tilbage.")
    if day > env.today + dt.timedelta(days=365):
        return Issue("refuse", "Datoen må højst ligge et år frem.")
    return None


def plan_lines(text: str | None) -> tuple[str, ...]:
    """The steps of a development plan typed one per line (or separated by semicolons)."""
    return tuple(" ".join(p.split()) for p in re.split(r"[;\n]", text or "") if p.strip())


def _plan_steps(value: Any, env: Env) -> Issue | None:
    lines = plan_lines(str(value))
    if len(lines) > MAX_PLAN_STEPS:
        return Issue(
            "refuse", f"Skriv højst {MAX_PLAN_STEPS} trin ad gangen (ét pr. linje eller semikolon)."
        )
    if any(len(line) > MAX_PLAN_STEP_LENGTH for line in lines):
        return Issue("refuse", f"Hvert trin må højst være {MAX_PLAN_STEP_LENGTH} tegn.")
    return None


VALIDATORS: dict[str, Validator] = {
    "case_ref": Part(_case_ref, Needs(on_kinds=("text",))),
    "p_number": Part(_p_number, Needs(on_kinds=("text",))),
    "cvr_number": Part(_cvr, Needs(on_kinds=("text",))),
    "target_group": Part(_target_group, Needs((START_IF_ASKED,), on_kinds=("choice",))),
    "start_date": Part(_start_date, Needs((TARGET_GROUP_IF_ASKED,), on_kinds=("date",))),
    "end_date": Part(_end_date, Needs((START, TARGET_GROUP), on_kinds=("date",))),
    "extension_assessed": Part(_must_be_yes, Needs(on_kinds=("yesno",))),
    "hours_per_week": Part(_hours, Needs((START_IF_ASKED,), on_kinds=("number",))),
    "final_hours": Part(_final_hours, Needs((START_HOURS,), on_kinds=("number",))),
    "last_employer": Part(
        _last_employer, Needs((TARGET_GROUP, START_IF_ASKED), on_kinds=("yesno",))
    ),
    "ratio_cap": Part(_ratio_cap, Needs((EMPLOYEES, START_IF_ASKED), on_kinds=("number",))),
    "employee_rep": Part(_employee_rep, Needs((START_IF_ASKED,), on_kinds=("text",))),
    "ratio_statement": Part(
        _ratio_statement, Needs((EMPLOYEE_REP_IF_ASKED, START_IF_ASKED), on_kinds=("yesno",))
    ),
    "min_plan": Part(_min_plan, Needs(on_kinds=("yesno",))),
    "followup_date": Part(_followup_date, Needs(on_kinds=("date",))),
    "colleagues_at_p_number": Part(
        _colleagues_at_p_number, Needs(on_kinds=("text",), lookups=(P_NUMBER_ACTIVITY,))
    ),
    "outcome_after_start": Part(_outcome_after_start, Needs(praktik=True, on_kinds=("choice",))),
    "actual_end": Part(_actual_end, Needs(praktik=True, on_kinds=("date",))),
    "outcome_start": Part(_outcome_start, Needs(praktik=True, on_kinds=("date",))),
    "meeting_date": Part(_meeting_date, Needs(on_kinds=("date",))),
    "plan_steps": Part(_plan_steps, Needs(on_kinds=("text",))),
}


# --- checks (named predicates for `when`) ---------------------------------------------


def _needs_extension(env: Env) -> bool:
    start, end = env.start_day(), env.date_answer(END.step)
    group = env.target_group()
    if start is None or end is None or group is None:
        return False
    return weeks_between(start, end) > group.max_weeks


def _last_employer_applies(env: Env) -> bool:
    group = env.target_group()
    return group is not None and group.last_employer == "forbidden"


def _same_function_without_job(env: Env) -> bool:
    """The group may return to its last employer in the same function when without a job."""
    group = env.target_group()
    return group is not None and group.last_employer == "same_function_without_job"


def _plan_required(env: Env) -> bool:
    """The praktik's type must have a development plan (app.yaml development_plan) and it
    has none yet."""
    praktik, history = env.ctx.praktik, env.ctx.history
    if praktik is None or praktik.type not in env.ctx.plan_required_for:
        return False
    return history is None or history.plan_steps_total == 0


def _ends_before_planned_end(env: Env) -> bool:
    """The praktik has started and today is before its planned end: an outcome recorded
    now ends it early, so the flow asks when it ended. (Before the start it is called off
    today; from the planned end on it ended as planned.)"""
    praktik = env.ctx.praktik
    return praktik is not None and praktik.start_date <= env.today < praktik.planned_end


HISTORY = Needs(praktik=True, history=True)

CHECKS: dict[str, Check] = {
    "needs_extension": Part(_needs_extension, Needs((START, END, TARGET_GROUP))),
    "last_employer_forbidden": Part(_last_employer_applies, Needs((TARGET_GROUP, START_IF_ASKED))),
    "same_function_without_job": Part(
        _same_function_without_job, Needs((TARGET_GROUP_IF_ASKED, START_IF_ASKED))
    ),
    "plan_required": Part(_plan_required, HISTORY),
    "ends_before_planned_end": Part(_ends_before_planned_end, Needs(praktik=True)),
}


# --- option and item sources ------------------------------------------------------------


def _target_groups(env: Env) -> tuple[Option, ...]:
    day = env.start_day() or env.today
    return tuple(Option(value=g.id, label=g.label) for g in env.ctx.rules_on(day).target_groups)


def _types(env: Env) -> tuple[Option, ...]:
    return tuple(Option(value=t.id, label=t.label) for t in env.ctx.types)


def _type_subgoals(env: Env) -> tuple[Option, ...]:
    praktik_type = env.ctx.type_by_id(str(env.answers.get(PRAKTIK_TYPE.step)))
    if praktik_type is None:
        return ()
    return tuple(
        Option(
            value=f"d{i + 1}",
            label=_shorten(goal, 75),
            detail=goal if len(goal) > 75 else None,
        )
        for i, goal in enumerate(praktik_type.subgoals)
    )


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _scale_options(scale: Scale) -> tuple[Option, ...]:
    return tuple(Option(value=str(p.value), label=f"{p.value} – {p.label}") for p in scale.points)


def _subgoal_scale(env: Env) -> tuple[Option, ...]:
    return _scale_options(env.ctx.progression.subgoal_scale)


def _job_belief_scale(env: Env) -> tuple[Option, ...]:
    return _scale_options(env.ctx.progression.job_belief_scale)


OPTION_SOURCES: dict[str, OptionSource] = {
    "target_groups": Part(_target_groups, Needs((START_IF_ASKED,))),
    "praktik_types": Part(_types),
    "type_subgoals": Part(
        _type_subgoals,
        Needs((PRAKTIK_TYPE,)),
    ),
    "progression_scale": Part(_subgoal_scale),
    "job_belief_scale": Part(_job_belief_scale),
}


def _praktik_subgoals(env: Env) -> tuple[str, ...]:
    return env.ctx.praktik.subgoals if env.ctx.praktik else ()


def _open_plan_steps(env: Env) -> tuple[str, ...]:
    history = env.ctx.history
    return tuple(step.label for step in history.plan_steps) if history else ()


def _moved_plan_steps(env: Env) -> tuple[str, ...]:
    review = env.answers.get(PLAN_REVIEW.step) or []
    return tuple(str(a["item"]) for a in review if isinstance(a, dict) and a["value"] == "moved")


def _new_plan_steps(env: Env) -> tuple[str, ...]:
    first, new = env.answers.get(PLAN_FIRST.step), env.answers.get(PLAN_NEW.step)
    return plan_lines(first if isinstance(first, str) else None) + plan_lines(
        new if isinstance(new, str) else None
    )


ITEM_SOURCES: dict[str, ItemSource] = {
    "praktik_subgoals": Part(_praktik_subgoals, Needs(praktik=True)),
    "open_plan_steps": Part(_open_plan_steps, HISTORY),
    "moved_plan_steps": Part(_moved_plan_steps, Needs((PLAN_REVIEW,))),
    "new_plan_steps": Part(_new_plan_steps, Needs((PLAN_FIRST, PLAN_NEW))),
}


# --- suggestions ------------------------------------------------------------------------


def _type_advisor(env: Env) -> Suggestion | None:
    """Typevalg from the recommendation: a concrete job opening → jobpraktik; a known
    direction → kompetencepraktik; otherwise udviklingspraktik."""
    match = env.answers.get(JOB_MATCH.step)
    if match is True:
        return Suggestion("jobpraktik", "borgeren matcher kompetencemæssigt en konkret jobåbning.")
    direction = env.answers.get(DIRECTION.step)
    if match is False and direction is True:
        return Suggestion(
            "kompetencepraktik",
            "borgeren ved, hvilken retning der skal arbejdes i, men skal opbygge "
            "specifikke kompetencer og netværk.",
        )
    if match is False and direction is False:
        return Suggestion(
            "udviklingspraktik",
            "borgeren skal have afklaret, hvilken retning der skal gås på arbejdsmarkedet.",
        )
    return None


def _followup_phase(env: Env) -> Suggestion | None:
    """The meeting the praktik's follow-up is about: the one whose reminder started the
    conversation, else the next planned one (the bot works it out: `suggested_phase`)."""
    history = env.ctx.history
    if history is None or history.suggested_phase is None:
        return None
    return Suggestion(history.suggested_phase, "det er den opfølgning, der står for tur.")


def _today(env: Env) -> Suggestion | None:
    """Today, for a date that is most often today (the day an early end is recorded)."""
    return Suggestion(env.today.isoformat(), "det er i dag.")


SUGGESTERS: dict[str, Suggester] = {
    "today": Part(_today, Needs(on_kinds=("date",))),
    "type_advisor": Part(_type_advisor, Needs((JOB_MATCH, DIRECTION), on_kinds=("choice",))),
    "followup_phase": Part(
        _followup_phase, Needs(praktik=True, history=True, on_kinds=("choice",))
    ),
}


# --- date origins -------------------------------------------------------------------------
# What a date step that ends a period (`counts_from`) reads its typed date from.


def _period_start(env: Env) -> dt.date | None:
    return env.start_day()


DATE_ORIGINS: dict[str, DateOrigin] = {
    "period_start": Part(_period_start, Needs((START,), on_kinds=("date",))),
}


# --- facts and placeholders ----------------------------------------------------------------


def facts(ctx: FlowContext) -> dict[str, Any]:
    """Facts a `when` condition may test (`fact: praktik.type`)."""
    praktik = ctx.praktik
    return {
        "praktik.type": praktik.type if praktik else None,
        "praktik.target_group": praktik.target_group if praktik else None,
    }


THE_PRAKTIK = Needs(praktik=True)

FACTS: dict[str, Needs] = {"praktik.type": THE_PRAKTIK, "praktik.target_group": THE_PRAKTIK}


def placeholders(env: Env, item: str | None = None) -> dict[str, str]:
    """Values for `{name}` placeholders in step texts."""
    values: dict[str, str] = {
        "item": item or "",
        "max_hours": danish_number(env.max_hours()),
        "statement_from": statement_from(env),
    }
    praktik = env.ctx.praktik
    if praktik is not None:
        praktik_type = env.ctx.type_by_id(praktik.type)
        values.update(
            {
                "praktik.case_ref": praktik.case_ref,
                "praktik.company": praktik.company,
                "praktik.type_label": praktik_type.label if praktik_type else praktik.type,
                "praktik.period": (
                    f"{format_danish_date(praktik.start_date)} – "
                    f"{format_danish_date(praktik.end_date)}"
                ),
                "praktik.planned_end": format_danish_date(praktik.planned_end),
                "praktik.subgoals": "\n".join(f"• {goal}" for goal in praktik.subgoals),
                "type.purpose": praktik_type.purpose if praktik_type else "",
            }
        )
    limit = ratio_limit(env)
    if limit is not None:
        values["ratio_limit"] = danish_number(limit)
    return values


PLACEHOLDERS: dict[str, Needs] = {
    "item": Needs(item=True),
    "max_hours": Needs((START_IF_ASKED,)),
    "statement_from": Needs((EMPLOYEE_REP_IF_ASKED,)),
    "ratio_limit": Needs((EMPLOYEES, START_IF_ASKED)),
    "praktik.case_ref": THE_PRAKTIK,
    "praktik.company": THE_PRAKTIK,
    "praktik.type_label": THE_PRAKTIK,
    "praktik.period": THE_PRAKTIK,
    "praktik.planned_end": THE_PRAKTIK,
    "praktik.subgoals": THE_PRAKTIK,
    "type.purpose": THE_PRAKTIK,
}

PLACEHOLDER = re.compile(r"\{([a-z_.]+)\}")


def fill(text: str, values: Mapping[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)
