"""The copy-ready texts of a registered praktik, so nothing is typed twice.

- `vitas_summary`: the agreement's fields in the order VITAS asks for them (company and
  CVR, P-nr., contact, tillidsrepræsentant, employees on the P-nr., period, hours and
  working times, tasks, purpose; a planned rise in hours is the final weekly hours, with
  the plan under remarks).
- `grant_note`: the journalnotat for the grant: the legal purpose the type maps to, the
  period against the target group's maximum, the ratio-cap calculation and who gave the
  statement, the last-employer assessment and Min Plan, citing the rule set in force.

Both are built from the praktik as saved and the rule set it was granted under, never
from the conversation, so they say exactly what is stored.
"""

from __future__ import annotations

import datetime as dt

from bot.config import AppConfig
from dialogues.dates import format_danish_date
from dialogues.domain import RuleSet, TargetGroup
from dialogues.numbers import danish_number
from dialogues.rules import format_weeks, weeks_between
from storage.models import Praktik

NOT_GIVEN = "(ikke oplyst)"


def _rule_set(config: AppConfig, praktik: Praktik) -> RuleSet:
    """The set the praktik was granted under (else the one in force on its start)."""
    named = next((r for r in config.rules if r.id == praktik.rule_set), None)
    return named or config.rules_on(praktik.start_date)


def _hours(value: float) -> str:
    return danish_number(value)


def _sentence(text: str) -> str:
    """Free text as a sentence in a note: ends with a full stop."""
    text = text.strip()
    return text if text.endswith((".", "!", "?", ")")) else text + "."


def _numeric(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def _purpose(config: AppConfig, praktik: Praktik, rule_set: RuleSet) -> tuple[str, str]:
    """The legal purpose the type maps to: (its citation, its wording)."""
    legal = config.praktik_type(praktik.type).legal_purpose
    return f"{rule_set.references.purpose}, nr. {legal.number}", legal.text


def _remarks(praktik: Praktik) -> list[str]:
    remarks = []
    if praktik.final_hours_per_week is not None:
        remarks.append(
            f"Optrapning af timer: starter med {_hours(praktik.hours_per_week)} timer om ugen "
            f"og trappes op til {_hours(praktik.final_hours_per_week)} timer om ugen"
            + (f" ({praktik.hours_plan.strip().rstrip('.')})" if praktik.hours_plan else "")
            + "."
        )
    if praktik.last_employer and praktik.new_function:
        remarks.append(
            "Praktikken er hos borgerens seneste arbejdsgiver, i en ny jobfunktion: "
            f"{_sentence(praktik.new_function)}"
        )
    return remarks


def vitas_summary(config: AppConfig, praktik: Praktik) -> str:
    rule_set = _rule_set(config, praktik)
    praktik_type = config.praktik_type(praktik.type)
    final = praktik.final_hours_per_week
    if praktik.has_employee_rep is False:
        rep = "Ingen tillidsrepræsentant på arbejdspladsen"
    else:
        rep = praktik.employee_rep or NOT_GIVEN
    employees = (
        str(praktik.ordinary_employees) if praktik.ordinary_employees is not None else NOT_GIVEN
    )
    lines = [
        f"VITAS-oplysninger – virksomhedspraktik {praktik.case_ref}",
        f"Virksomhedens navn: {praktik.company}",
        f"CVR-nr.: {praktik.cvr_number or NOT_GIVEN}",
        f"P-nr.: {praktik.p_number or NOT_GIVEN}",
        f"Kontaktperson hos virksomheden: {praktik.contact_person or NOT_GIVEN}",
        f"Tillidsrepræsentant: {rep}",
        f"Antal fuldtidsansatte på P-nr.: {employees}",
        f"Periode: {_numeric(praktik.start_date)} - {_numeric(praktik.end_date)}",
        f"Timer pr. uge: {_hours(final if final is not None else praktik.hours_per_week)}",
        f"Arbejdsdage og -tider: {praktik.working_times or NOT_GIVEN}",
        f"Arbejdsopgaver: {praktik.tasks or NOT_GIVEN}",
        "Formål: {} - {} ({})".format(
            praktik_type.label, *reversed(_purpose(config, praktik, rule_set))
        ),
        f"Bemærkninger: {' '.join(_remarks(praktik)) or '(ingen)'}",
    ]
    return "\n".join(lines)


def _period_assessment(praktik: Praktik, group: TargetGroup | None, rule_set: RuleSet) -> str:
    refs = rule_set.references
    weeks = weeks_between(praktik.start_date, praktik.end_date)
    period = (
        f"Periode: {format_danish_date(praktik.start_date)} - "
        f"{format_danish_date(praktik.end_date)} ({format_weeks(weeks)})."
    )
    if group is None:
        return f"{period} Målgruppen findes ikke i regelsættet; varigheden er ikke vurderet."
    limit = f"For {group.label} må en virksomhedspraktik højst vare {group.max_weeks} uger"
    if weeks <= group.max_weeks:
        return f"{period} {limit} ({refs.duration}); perioden er inden for grænsen."
    extended = group.extendable_to_weeks
    return (
        f"{period} {limit} ({refs.duration}), og op til {extended} uger efter en konkret "
        f"individuel vurdering ({refs.extension}). "
        + (
            "Vurderingen er foretaget og journaliseret."
            if praktik.extension_assessed
            else "OBS: der er ikke registreret en individuel vurdering."
        )
    )


def _hours_line(praktik: Praktik, rule_set: RuleSet) -> str:
    most = f"højst {_hours(rule_set.max_hours_per_week)} timer, {rule_set.references.hours}"
    if praktik.final_hours_per_week is not None:
        hours = (
            f"{_hours(praktik.hours_per_week)} timer om ugen ved start, trappes op til "
            f"{_hours(praktik.final_hours_per_week)} timer om ugen"
            + (f": {praktik.hours_plan}" if praktik.hours_plan else "")
        )
    else:
        hours = f"{_hours(praktik.hours_per_week)} timer om ugen"
    times = f" Arbejdsdage og -tider: {praktik.working_times}." if praktik.working_times else ""
    return f"Timer: {hours} ({most}).{times}"


def _last_employer(praktik: Praktik, group: TargetGroup | None, rule_set: RuleSet) -> str:
    head = f"Seneste arbejdsgiver ({rule_set.references.last_employer}):"
    if not praktik.last_employer:
        return f"{head} Borgeren har ikke tidligere været ansat i virksomheden."
    label = group.label if group else praktik.target_group
    if group is not None and group.last_employer == "forbidden":
        return (
            f"{head} Borgeren har tidligere været ansat i virksomheden. OBS: for {label} må "
            "praktikken ikke være hos borgerens seneste arbejdsgiver."
        )
    if praktik.same_function:
        return (
            f"{head} Borgeren har tidligere været ansat i virksomheden og har ikke et job i dag. "
            f"For {label} uden job må praktikken også være i samme jobfunktion, og den er i "
            "samme jobfunktion som før."
        )
    job = " Borgeren har et job i dag." if praktik.last_employer_has_job else ""
    return (
        f"{head} Borgeren har tidligere været ansat i virksomheden.{job} For {label} er "
        "praktik hos den seneste arbejdsgiver tilladt i en ny jobfunktion, som aftalen "
        f"beskriver: {_sentence(praktik.new_function or NOT_GIVEN)}"
    )


def _ratio_lines(praktik: Praktik, rule_set: RuleSet) -> list[str]:
    refs = rule_set.references
    lines = []
    if praktik.ordinary_employees is not None and praktik.ratio_limit is not None:
        now = praktik.subsidised_now or 0
        verdict = (
            "kravet er ikke opfyldt, og praktikken kan ikke bevilges, før det er opfyldt"
            if praktik.ratio_exceeded
            else "kravet er opfyldt"
        )
        lines.append(
            f"Rimelighedskrav ({refs.ratio_cap}): {praktik.ordinary_employees} ordinært ansatte "
            f"på P-nr. giver plads til højst {praktik.ratio_limit} i praktik, løntilskud og "
            f"nytteindsats. Nu {now}, med denne borger {now + 1}: {verdict}."
        )
    if praktik.has_employee_rep is False:
        who = (
            "Der er ingen tillidsrepræsentant på arbejdspladsen, så udtalelsen er fra "
            "virksomheden alene"
        )
    elif praktik.employee_rep:
        who = f"Udtalelsen er fra virksomheden og tillidsrepræsentanten ({praktik.employee_rep})"
    else:
        who = "Udtalelsen er fra virksomheden og tillidsrepræsentanten"
    received = (
        "Den skriftlige udtalelse er modtaget."
        if praktik.ratio_statement
        else "Den skriftlige udtalelse er endnu ikke modtaget og skal foreligge før start."
    )
    lines.append(f"Udtalelse om rimelighedskravet ({refs.ratio_statement}): {who}. {received}")
    return lines


def grant_note(config: AppConfig, praktik: Praktik, *, today: dt.date, title: str) -> str:
    rule_set = _rule_set(config, praktik)
    group = rule_set.target_group(praktik.target_group)
    praktik_type = config.praktik_type(praktik.type)
    numbers = ", ".join(
        f"{name} {value}"
        for name, value in (("CVR-nr.", praktik.cvr_number), ("P-nr.", praktik.p_number))
        if value
    )
    min_plan = {
        True: "Min Plan er opdateret med praktikkens formål og arbejdsopgaver.",
        False: "Min Plan er ikke opdateret endnu: den skal opdateres med formål og "
        "arbejdsopgaver, når praktikken bevilges.",
        None: f"Min Plan: {NOT_GIVEN}.",
    }[praktik.min_plan_updated_at_grant]
    lines = [
        f"Journalnotat – {title}",
        f"Dato: {format_danish_date(today)}",
        f"Sagsreference: {praktik.case_ref}",
        f"Målgruppe: {group.label if group else praktik.target_group}",
        f"Virksomhed: {praktik.company}" + (f" ({numbers})" if numbers else ""),
        f"Kontaktperson: {praktik.contact_person or NOT_GIVEN}",
        "",
        f"Der bevilges {praktik_type.label} ({praktik_type.alias}).",
        "Formål ({}): {}.".format(*_purpose(config, praktik, rule_set)),
        "Delmål:",
        *(f"• {goal}" for goal in praktik.subgoals),
        f"Arbejdsopgaver: {praktik.tasks or NOT_GIVEN}",
        "",
        _period_assessment(praktik, group, rule_set),
        _hours_line(praktik, rule_set),
        _last_employer(praktik, group, rule_set),
        *_ratio_lines(praktik, rule_set),
        min_plan,
        "",
        f"Regelgrundlag: {rule_set.label} (gældende fra "
        f"{format_danish_date(rule_set.valid_from)}).",
    ]
    return "\n".join(lines)
