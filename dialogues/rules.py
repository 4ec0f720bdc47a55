"""Named pieces that flow files refer to: validators, checks, option and item sources,
suggestions, facts and text placeholders, each with what it reads (`Needs`, see
dialogues.contract). A flow naming anything not registered here, or lacking an answer
a named piece reads, fails to load.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from dialogues.contract import Needs, Part, Reads
from dialogues.dates import format_danish_date
from dialogues.domain import TargetGroup
from dialogues.model import Option
from dialogues.progression import Scale
from dialogues.state import FlowContext

# What the named parts read, by step id. Each part's `Needs` below lists the ones it uses;
# the code reads them through these, so a step id is written once.
START = Reads("start_date", ("date",), or_praktik=True)  # a praktik's stored start stands in
START_IF_ASKED = Reads("start_date", ("date",), required=False)  # without it: today's rules
END = Reads("end_date", ("date",))
TARGET_GROUP = Reads("target_group", ("choice",), or_praktik=True, options_from="target_groups")
EMPLOYEES = Reads("ordinary_employees", ("number",))
PRAKTIK_TYPE = Reads("praktik_type", ("choice",), options_from="praktik_types")
JOB_MATCH = Reads("advisor_job_match", ("yesno",))
DIRECTION = Reads("advisor_direction", ("yesno",))
# The development plan's review and new steps (the follow-up form).
PLAN_DECISIONS = frozenset({"done", "moved", "dropped", "open"})
PLAN_REVIEW = Reads("plan_review", ("choice",), per_item=True, values=PLAN_DECISIONS)
PLAN_FIRST = Reads("plan_first", ("text",), required=False)
PLAN_NEW = Reads("plan_new", ("text",), required=False)
MAX_PLAN_STEPS = 10
MAX_PLAN_STEP_LENGTH = 200


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
        group_id = self.answers.get(TARGET_GROUP.step)
        if not isinstance(group_id, str) and self.ctx.praktik is not None:
            group_id = self.ctx.praktik.target_group
        if not isinstance(group_id, str):
            return None
        return self.ctx.target_group(group_id, self.start_day() or self.today)

    def max_hours(self) -> float:
        return self.ctx.rules_on(self.start_day() or self.today).max_hours_per_week


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


def weeks_between(start: dt.date, end: dt.date) -> float:
    """Length of a period including both its first and last day, in weeks."""
    return ((end - start).days + 1) / 7


def _fmt_weeks(weeks: float) -> str:
    rounded = math.ceil(weeks * 10) / 10
    text = f"{rounded:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text} uge" if text == "1" else f"{text} uger"


# --- validators -----------------------------------------------------------------------

_CASE_REF = re.compile(r"^[A-Za-zÆØÅæøå0-9][A-Za-zÆØÅæøå0-9 ._/-]{2,39}$")


def _case_ref(value: Any, env: Env) -> Issue | None:
    text = str(value).strip()
    if not _CASE_REF.match(text):
        return Issue(
            "refuse",
            "Sagsreferencen skal være 3-40 tegn: bogstaver, tal, mellemrum, punktum, "
            "bindestreg eller skråstreg. Brug sagssystemets reference eller et pseudonym.",
        )
    if re.fullmatch(r"\d{9,11}", text.replace("-", "").replace(" ", "")):
        return Issue(
            "refuse",
            "Sagsreferencen ligner et personnummer eller et andet løbenummer. Brug "
            "sagssystemets reference (fx SAG-2026-0412) eller et pseudonym.",
        )
    return None


def _p_number(value: Any, env: Env) -> Issue | None:
    if not re.fullmatch(r"\d{10}", str(value).strip()):
        return Issue("refuse", "Et P-nummer består af præcis 10 cifre, fx 1017654321.")
    return None


def _start_date(value: Any, env: Env) -> Issue | None:
    day = dt.date.fromisoformat(value)
    if day < env.today - dt.timedelta(days=90):
        return Issue("refuse", "Startdatoen må højst ligge 90 dage tilbage.")
    if day > env.today + dt.timedelta(days=365):
        return Issue("refuse", "Startdatoen må højst ligge et år frem.")
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
    weeks = weeks_between(start, end)
    if weeks <= group.max_weeks:
        return None
    limit = group.extendable_to_weeks
    if limit is not None and weeks <= limit:
        return Issue(
            "warn",
            f"Perioden er {_fmt_weeks(weeks)}. For {group.label} er grænsen {group.max_weeks} "
            f"uger; op til {limit} uger kræver en konkret individuel vurdering (LAB § 61 stk. 2).",
        )
    if limit is not None:
        return Issue(
            "refuse",
            f"Perioden er {_fmt_weeks(weeks)}. For {group.label} må en praktik højst vare "
            f"{group.max_weeks} uger, og efter en konkret individuel vurdering op til {limit} "
            "uger (LAB § 61). Forlængelse derudover sker 13 uger ad gangen ved helt særligt "
            "behov og registreres ikke her. Vælg en tidligere slutdato.",
        )
    return Issue(
        "refuse",
        f"Perioden er {_fmt_weeks(weeks)}, men for {group.label} må en virksomhedspraktik "
        f"højst vare {group.max_weeks} uger (LAB § 61). Vælg en slutdato senest "
        f"{format_danish_date(start + dt.timedelta(days=group.max_weeks * 7 - 1))}.",
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
        shown = f"{limit:g}".replace(".", ",")
        return Issue(
            "refuse",
            f"En praktik må højst være {shown} timer om ugen (en normal fuldtidsuge).",
        )
    return None


def _last_employer(value: Any, env: Env) -> Issue | None:
    group = env.target_group()
    if value is True and group is not None and group.last_employer == "forbidden":
        return Issue(
            "refuse",
            f"For {group.label} må praktikken ikke være hos borgerens seneste arbejdsgiver "
            "(bek. § 61 stk. 2). Vælg en anden virksomhed: skriv 'afbryd' og start forfra, "
            "eller 'tilbage' for at rette.",
        )
    return None


def ratio_limit(env: Env) -> int | None:
    employees = env.answers.get(EMPLOYEES.step)
    if employees is None:
        return None
    day = env.start_day() or env.today
    return env.ctx.rules_on(day).ratio_cap.limit(int(employees))


def _ratio_cap(value: Any, env: Env) -> Issue | None:
    limit = ratio_limit(env)
    if limit is None:
        return None
    after = int(value) + 1
    if after > limit:
        return Issue(
            "warn",
            f"Rimelighedskravet er ikke opfyldt: med {int(env.answers[EMPLOYEES.step])} "
            f"ordinært ansatte må der højst være {limit} i praktik, løntilskud og "
            f"nytteindsats på P-nummeret, og med denne borger bliver det {after} "
            "(bek. § 65). Praktikken kan ikke bevilges, før det er opfyldt.",
        )
    return None


def _ratio_statement(value: Any, env: Env) -> Issue | None:
    if value is False:
        return Issue(
            "warn",
            "Husk: før start skal der foreligge en skriftlig udtalelse fra virksomheden og "
            "tillidsrepræsentanten om rimelighedskravet (bek. § 65 stk. 6).",
        )
    return None


def _followup_date(value: Any, env: Env) -> Issue | None:
    day = dt.date.fromisoformat(value)
    if day < env.today:
        return Issue("refuse", "Vælg en dato fra i dag eller senere.")
    if day > env.today + dt.timedelta(days=365):
        return Issue("refuse", "Datoen må højst ligge et år frem.")
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
    "start_date": Part(_start_date, Needs(on_kinds=("date",))),
    "end_date": Part(_end_date, Needs((START, TARGET_GROUP), on_kinds=("date",))),
    "extension_assessed": Part(_must_be_yes, Needs(on_kinds=("yesno",))),
    "hours_per_week": Part(_hours, Needs((START_IF_ASKED,), on_kinds=("number",))),
    "last_employer": Part(
        _last_employer, Needs((TARGET_GROUP, START_IF_ASKED), on_kinds=("yesno",))
    ),
    "ratio_cap": Part(_ratio_cap, Needs((EMPLOYEES, START_IF_ASKED), on_kinds=("number",))),
    "ratio_statement": Part(_ratio_statement, Needs(on_kinds=("yesno",))),
    "followup_date": Part(_followup_date, Needs(on_kinds=("date",))),
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


def _plan_required(env: Env) -> bool:
    """The praktik's type must have a development plan (app.yaml development_plan) and it
    has none yet."""
    praktik, history = env.ctx.praktik, env.ctx.history
    if praktik is None or praktik.type not in env.ctx.plan_required_for:
        return False
    return history is None or history.plan_steps_total == 0


HISTORY = Needs(praktik=True, history=True)

CHECKS: dict[str, Check] = {
    "needs_extension": Part(_needs_extension, Needs((START, END, TARGET_GROUP))),
    "last_employer_forbidden": Part(_last_employer_applies, Needs((TARGET_GROUP, START_IF_ASKED))),
    "plan_required": Part(_plan_required, HISTORY),
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


SUGGESTERS: dict[str, Suggester] = {
    "type_advisor": Part(_type_advisor, Needs((JOB_MATCH, DIRECTION), on_kinds=("choice",))),
    "followup_phase": Part(
        _followup_phase, Needs(praktik=True, history=True, on_kinds=("choice",))
    ),
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
    values: dict[str, str] = {"item": item or "", "max_hours": f"{env.max_hours():g}"}
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
                "praktik.subgoals": "\n".join(f"• {goal}" for goal in praktik.subgoals),
                "type.purpose": praktik_type.purpose if praktik_type else "",
            }
        )
    limit = ratio_limit(env)
    if limit is not None:
        values["ratio_limit"] = str(limit)
    return values


PLACEHOLDERS: dict[str, Needs] = {
    "item": Needs(item=True),
    "max_hours": Needs((START_IF_ASKED,)),
    "ratio_limit": Needs((EMPLOYEES, START_IF_ASKED)),
    "praktik.case_ref": THE_PRAKTIK,
    "praktik.company": THE_PRAKTIK,
    "praktik.type_label": THE_PRAKTIK,
    "praktik.period": THE_PRAKTIK,
    "praktik.subgoals": THE_PRAKTIK,
    "type.purpose": THE_PRAKTIK,
}

PLACEHOLDER = re.compile(r"\{([a-z_.]+)\}")


def fill(text: str, values: Mapping[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)
