"""Danish Block Kit for reminder DMs and team digests.

A reminder DM goes to the praktik's responsible consultant and may name the company; it
shows the praktik's short reference (P-1042) next to the case reference, so the
consultant can match a digest line to it. A team digest goes to a shared channel and
holds only consultant mentions, short references and counts: nothing anybody typed — no
case reference, company, target group, type or anything about the citizen (rules.md,
data protection § 3).

A reminder's controls carry the state they were rendered for (the follow-up's id and
version, in the actions block's block_id), so a click on a reminder whose follow-up has
changed since — a double click, an old message — changes nothing. The main controls are
buttons; postponing (1, 2, 5 working days, or a chosen date) is in an overflow menu.

Built with `bot.blocks.kit` (Slack's limits, escaping, splitting); the ids are
`bot.blocks.ids`'. A long digest is split over several messages, each saying which part
it is.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.blocks import ids
from bot.blocks.kit import (
    Block,
    actions,
    button,
    context,
    escape,
    fields,
    header,
    option,
    plain,
    section,
    split_messages,
)
from bot.followups.kinds import followup_label as config_followup_label
from dialogues.dates import format_danish_date
from storage.models import FollowUp, Praktik

if TYPE_CHECKING:
    from bot.report import Report

POSTPONE_CHOICES = (1, 2, 5)
STATUS_FLOW = "status_efter"  # the flow that records a status after the end
OUTCOME_FLOW = "afslutning"  # the flow that records the end outcome
OUTCOME_FIRST = (
    "Praktikkens afslutning er ikke registreret endnu: registrér afslutningen først, "
    "så kan status registreres."
)

REFS_SHOWN = 40

Blocks = list[Block]


def short_ref(value: str | None) -> str:
    """A praktik's short reference; "P-?" for a row a bulk load left without one (the
    database assigns it on every ordinary insert)."""
    return value or "P-?"


def followup_label(kind: str, months_after_end: int | None = None) -> str:
    label = config_followup_label(kind, months_after_end)
    return label[:1].upper() + label[1:]


def _days(n: int) -> str:
    return f"{n} arbejdsdag" if n == 1 else f"{n} arbejdsdage"


# --- reminder DM -------------------------------------------------------------------------


@dataclass(frozen=True)
class StandIn:
    """A reminder sent to a stand-in: whose praktik it is (their Slack user) and the last
    day of the arrangement."""

    owner: str
    last_day: dt.date


def reminder_message(
    *,
    delivery_kind: str,
    followup: FollowUp,
    praktik: Praktik,
    type_label: str,
    working_days_left: int | None = None,
    stand_in_for: StandIn | None = None,
) -> tuple[str, Blocks]:
    """The DM about one follow-up: (fallback text, blocks). To a stand-in it says first
    whose praktik it is and that it comes under a stand-in arrangement."""
    assert followup.id is not None and praktik.id is not None
    label = followup_label(followup.kind, followup.months_after_end)
    case_ref = escape(praktik.case_ref)
    short = short_ref(praktik.short_ref)
    ref = escape(short)
    named = f"{short} ({praktik.case_ref})"
    due = format_danish_date(followup.due_date)
    if delivery_kind == "overdue":
        headline = f":warning: *Overskredet: {label}* for *{ref}* (sag {case_ref})"
        detail = f"Skulle have været holdt {due} og er ikke markeret som afholdt."
        text = f"Overskredet: {label} for {named} skulle have været holdt {due}."
    elif delivery_kind == "early":
        left = f" (om {_days(working_days_left)})" if working_days_left else ""
        headline = f":calendar: *Kommende: {label}* for *{ref}* (sag {case_ref})"
        detail = f"Forfalder {due}{left}."
        if followup.kind != "status":
            detail += " Nu er der tid til at aftale mødet med borger og virksomhed."
        text = f"Påmindelse: {label} for {named} forfalder {due}."
    else:
        headline = f":bell: *I dag: {label}* for *{ref}* (sag {case_ref})"
        detail = f"Forfalder {due}."
        text = f"Påmindelse: {label} for {named} forfalder i dag, {due}."
    period = f"{format_danish_date(praktik.start_date)} – {format_danish_date(praktik.end_date)}"
    blocks: Blocks = []
    if stand_in_for is not None:
        owner = f"<@{stand_in_for.owner}>"
        blocks.append(
            context(
                f":busts_in_silhouette: Du er stedfortræder for {owner} til og med "
                f"{format_danish_date(stand_in_for.last_day)}: praktikken er {owner}s, og "
                "påmindelsen kommer til dig, fordi de er fraværende."
            )
        )
        text = f"Som stedfortræder for {owner}: {text}"
    blocks += [
        section(f"{headline}\n{detail}"),
        fields(
            [
                f"*Sag*\n{case_ref} · {ref}",
                f"*Type*\n{escape(type_label)}",
                f"*Virksomhed*\n{escape(praktik.company)}",
                f"*Periode*\n{period}",
            ]
        ),
    ]
    notes = []
    if followup.kind == "status" and praktik.status == "active":
        notes.append(OUTCOME_FIRST)
    if followup.postponed_from is not None:
        notes.append(f"Udskudt fra {format_danish_date(followup.postponed_from)}.")
    if followup.note:
        notes.append(f"Note: {escape(followup.note)}")
    if notes:
        blocks.append(context(" ".join(notes)))
    blocks.append(reminder_actions(followup, praktik))
    return text, blocks


def _start_value(flow: str, praktik: Praktik, followup: FollowUp | None) -> str:
    value: dict[str, Any] = {"flow": flow, "praktik": praktik.id}
    if followup is not None:
        value["followup"] = followup.id
    return json.dumps(value)


def reminder_actions(followup: FollowUp, praktik: Praktik, *, pick_date: bool = False) -> Block:
    """The reminder's controls: the main ones as buttons (prepare the meeting, fill in
    the form, mark held), postponing in an overflow menu; with `pick_date` (chosen there)
    a date picker too. All in one actions block whose block_id records the state. A
    status follow-up is answered by the status flow (which marks it held), once the
    praktik's end outcome is recorded; before that, the button records the outcome."""
    assert followup.id is not None and praktik.id is not None
    fid = str(followup.id)
    elements: Blocks = []
    if followup.kind == "status":
        if praktik.status == "active":
            start = button(
                "Registrér afslutning",
                f"{ids.REMINDER_START}:outcome",
                _start_value(OUTCOME_FLOW, praktik, None),
                style="primary",
            )
        else:
            start = button(
                "Registrér status",
                f"{ids.REMINDER_START}:status",
                _start_value(STATUS_FLOW, praktik, followup),
                style="primary",
            )
        elements.append(start)
    elif praktik.status == "active":
        elements += [
            button(
                "Forbered møde",
                f"{ids.REMINDER_START}:prepare",
                _start_value("forbered_moede", praktik, followup),
                style="primary",
            ),
            button(
                "Udfyld opfølgningsskema",
                f"{ids.REMINDER_START}:form",
                _start_value("opfoelgning", praktik, followup),
            ),
        ]
    if followup.kind != "status":  # a status is held by recording it
        elements.append(
            button(
                "Markér som afholdt", ids.REMINDER_HELD, fid, style=None if elements else "primary"
            )
        )
    if pick_date:
        elements.append(
            {
                "type": "datepicker",
                "action_id": ids.REMINDER_POSTPONE_DATE,
                "initial_date": followup.due_date.isoformat(),
                "placeholder": plain("Udskyd til dato"),
            }
        )
    more = [option(f"Udskyd {_days(n)}", f"{ids.MORE_POSTPONE}:{n}") for n in POSTPONE_CHOICES]
    if not pick_date:
        more.append(option("Udskyd til en anden dato …", ids.MORE_PICK_DATE))
    elements.append({"type": "overflow", "action_id": ids.REMINDER_MORE, "options": more})
    return actions(state_block_id(followup), elements)


def with_actions(blocks: Sequence[Block], controls: Block) -> Blocks:
    """The reminder's blocks with its actions block replaced by `controls`."""
    return [controls if b.get("type") == "actions" else b for b in blocks]


def state_block_id(followup: FollowUp) -> str:
    """The block_id that records which follow-up, in which version, the buttons act on."""
    return f"{ids.REMINDER_BLOCK}|{followup.id}|{followup.version}"


def rendered_state(block_id: str) -> tuple[int, int] | None:
    """(follow-up id, version) from a reminder's block_id, or None if it carries none."""
    prefix, _, rest = block_id.partition("|")
    number, _, version = rest.partition("|")
    ascii_digits = all(part.isascii() and part.isdigit() for part in (number, version))
    if prefix != ids.REMINDER_BLOCK or not ascii_digits:  # "²".isdigit() holds; int("²") fails
        return None
    if len(number) > 12 or len(version) > 9 or int(number) < 1:
        return None
    return int(number), int(version)


def resolved_blocks(blocks: Sequence[Block], outcome: str) -> Blocks:
    """The reminder after a button did its work: no buttons, what was done at the end."""
    kept = [b for b in blocks if b.get("type") != "actions"]
    return [*kept, section(f":white_check_mark: *{escape(outcome)}*")]


# --- team digest -------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestEntry:
    """One planned follow-up of the team, as the digest may show it: the praktik by the
    short reference the bot gave it, never by anything typed."""

    slack_user_id: str | None
    consultant_name: str
    short_ref: str | None
    due_date: dt.date
    stand_in: str | None = None  # the Slack user standing in for the consultant that day


def _refs(short_refs: Sequence[str]) -> str:
    shown = [escape(r) for r in short_refs[:REFS_SHOWN]]
    rest = len(short_refs) - len(shown)
    return ", ".join(shown) + (f" og {rest} flere" if rest > 0 else "")


def _person(entry: DigestEntry) -> str:
    if entry.stand_in and entry.slack_user_id:
        return f"<@{entry.stand_in}> (stedfortræder for <@{entry.slack_user_id}>)"
    if entry.slack_user_id:
        return f"<@{entry.slack_user_id}>"
    return escape(entry.consultant_name)


@dataclass(frozen=True)
class RiskEntry:
    """An active praktik of the team that a risk rule flags: its consultant and short
    reference, nothing else (which rule, or why, stays out of the channel)."""

    slack_user_id: str | None
    consultant_name: str
    short_ref: str | None


def digest_messages(
    *,
    team_name: str,
    day: dt.date,
    entries: Sequence[DigestEntry],
    at_risk: Sequence[RiskEntry] = (),
) -> list[tuple[str, Blocks]]:
    """The digest of the week of `day` (overdue: due before `day`; this week: from `day`
    to Sunday), per consultant: a mention, counts and short references, and the count of
    praktikker at risk. Several messages when it does not fit in one."""
    week_end = day + dt.timedelta(days=6 - day.weekday())
    people: dict[str, tuple[str, list[str], list[str]]] = {}
    risky: dict[str, list[str]] = {}
    for entry in entries:
        if entry.due_date > week_end:
            continue
        key = entry.slack_user_id or f"name:{entry.consultant_name}"
        if entry.stand_in:
            key = f"{entry.stand_in}:for:{key}"
        _, overdue, this_week = people.setdefault(key, (_person(entry), [], []))
        (overdue if entry.due_date < day else this_week).append(short_ref(entry.short_ref))
    for risk in at_risk:
        key = risk.slack_user_id or f"name:{risk.consultant_name}"
        who = DigestEntry(risk.slack_user_id, risk.consultant_name, None, day)
        people.setdefault(key, (_person(who), [], []))
        risky.setdefault(key, []).append(short_ref(risk.short_ref))
    total_overdue = sum(len(o) for _, o, _ in people.values())
    total_week = sum(len(w) for _, _, w in people.values())
    total_risk = sum(len(r) for r in risky.values())
    week = day.isocalendar().week
    title = f"Opfølgninger – {team_name} – uge {week}"
    text = (
        f"Opfølgninger for {team_name}, uge {week}: "
        f"{total_overdue} overskredne, {total_week} denne uge, {total_risk} i risiko."
    )
    head: Blocks = [
        header(title),
        context(
            f"Overskredne og forfaldne denne uge ({format_danish_date(day)} – "
            f"{format_danish_date(week_end)}), pr. konsulent med praktikkernes korte referencer "
            "(de samme som i påmindelserne og under Hjem)."
        ),
    ]
    body: Blocks = []
    ordered = sorted(people.items(), key=lambda p: (-len(p[1][1]), -len(p[1][2]), p[1][0]))
    for key, (person, overdue, this_week) in ordered:
        lines = [person]
        if overdue:
            lines.append(f"*Overskredne: {len(overdue)}* – {_refs(overdue)}")
        if this_week:
            lines.append(f"*Denne uge: {len(this_week)}* – {_refs(this_week)}")
        if risky.get(key):
            lines.append(f"*I risiko: {len(risky[key])}* – {_refs(risky[key])}")
        body.append(section("\n".join(lines)))
    if not body:
        body.append(section("Ingen opfølgninger er overskredne eller forfalder denne uge."))
    else:
        body.append(
            context(
                f"I alt: {total_overdue} overskredne, {total_week} denne uge, "
                f"{total_risk} i risiko (en praktik er i risiko, når en af reglerne for "
                "ekstra indsats gælder for den)."
            )
        )
    return _split(head, body, text)


def _split(head: Blocks, body: Blocks, text: str) -> list[tuple[str, Blocks]]:
    """The head and body in as many messages as they need, each part saying which it is
    (room left for that line)."""
    messages = split_messages([*head, *body], reserve=1)
    if len(messages) == 1:
        return [(text, messages[0])]
    count = len(messages)
    result: list[tuple[str, Blocks]] = []
    for number, blocks in enumerate(messages, start=1):
        part = f"(del {number} af {count})"
        result.append((f"{text} {part}", [*blocks, context(part)]))
    return result


# --- monthly overview --------------------------------------------------------------------

MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
    "oktober", "november", "december",
)  # fmt: skip


def overview_messages(
    *, day: dt.date, reports: Sequence[Report], months: Sequence[int]
) -> list[tuple[str, Blocks]]:
    """The monthly overview for the management channel: aggregates only, small cells
    suppressed (the report's own rules), no company, P-nr., case or person."""
    from bot.report.export import SYNTHETIC, view_table
    from bot.report.views import narrow_exit

    title = f"Månedsoverblik - {MONTHS[day.month - 1]} {day.year}"
    text = f"{title}: afgang til job og uddannelse, opfølgning og overskredne opfølgninger."
    head: Blocks = [header(title)]
    notes = ["Praktikker afsluttet de seneste 12 måneder; opfølgning i sidste måned."]
    if reports and reports[0].synthetic:
        notes.insert(0, f"*{SYNTHETIC}*")
    legend = reports[0].views[0].legend() if reports and reports[0].views else None
    if legend:
        notes.append(legend)
    head.append(context("\n".join(notes)))
    body: Blocks = []
    for report in reports:
        for view in report.views:
            table = view_table(narrow_exit(view, tuple(months)))
            for start in range(0, len(table), 2800):
                body.append(section(f"```{table[start : start + 2800]}```"))
    return _split(head, body, text)
