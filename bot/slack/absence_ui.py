"""Absence and stand-in in Slack: what is set (Home and the DM word `fravær`) and the form.

The form is a message in the consultant's own DM with the bot — date pickers for the
first and last day, a user picker for the stand-in and, for a team lead, one for whose
absence it is — saved by its button, which reads the pickers' state. Home and the DM
show the absences that are not over, with *Ret* and *Afslut* where the user may change
them; a stand-in sees whom they cover. The rules are bot/absence.py's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.absence import AbsenceView, Overview, day_text, period_text
from bot.blocks import ids
from bot.blocks.kit import Block, actions, button, context, plain, section

FORM_TITLE = "Fravær og stedfortræder"
FORM_INTRO = (
    "Vælg perioden og en kollega fra dit team som stedfortræder. I perioden får "
    "stedfortræderen påmindelserne om praktikkerne og nævnes i teamets oversigt i stedet, "
    "og kan arbejde på praktikkerne. Ordningen slutter af sig selv efter sidste fraværsdag."
)
FORM_RULES = (
    "Stedfortræderen skal være fra samme team og må ikke selv være fraværende i perioden. "
    "Man har ét fravær ad gangen, og sidste fraværsdag skal være i dag eller senere."
)


def form_blocks(
    *,
    today: dt.date,
    lead: bool,
    editing: AbsenceView | None = None,
) -> list[Block]:
    """The form: new (a lead also picks whose absence), or prefilled to change one."""
    first = editing.first_day if editing else today
    blocks: list[Block] = [
        section(f"*{FORM_TITLE}*\n{FORM_INTRO}"),
    ]
    if editing is not None:
        blocks.append(section(f"Du retter fraværet for <@{editing.absent}>."))
    elif lead:
        blocks.append(
            section(
                "*Hvem er fraværende?* (dig selv, eller en i dit team)",
                accessory={
                    "type": "users_select",
                    "action_id": ids.ABSENCE_WHO,
                    "placeholder": plain("Dig selv"),
                },
                block_id=ids.ABSENCE_WHO_BLOCK,
            )
        )
    last_picker: Block = {
        "type": "datepicker",
        "action_id": ids.ABSENCE_LAST,
        "placeholder": plain("Vælg dato"),
    }
    if editing is not None:
        last_picker["initial_date"] = editing.last_day.isoformat()
    stand_in: Block = {
        "type": "users_select",
        "action_id": ids.ABSENCE_STAND_IN,
        "placeholder": plain("Vælg en kollega"),
    }
    if editing is not None and editing.stand_in:
        stand_in["initial_user"] = editing.stand_in
    blocks += [
        section(
            "*Første fraværsdag*",
            accessory={
                "type": "datepicker",
                "action_id": ids.ABSENCE_FIRST,
                "initial_date": first.isoformat(),
                "placeholder": plain("Vælg dato"),
            },
            block_id=ids.ABSENCE_FIRST_BLOCK,
        ),
        section("*Sidste fraværsdag*", accessory=last_picker, block_id=ids.ABSENCE_LAST_BLOCK),
        section(
            "*Stedfortræder* (fra dit team)",
            accessory=stand_in,
            block_id=ids.ABSENCE_STAND_IN_BLOCK,
        ),
        actions(
            f"{ids.ABSENCE_SAVE_BLOCK}|{editing.absence_id if editing else 0}",
            [
                button(
                    "Gem ændringer" if editing else "Gem fravær",
                    ids.ABSENCE_SAVE,
                    str(editing.absence_id if editing else 0),
                    style="primary",
                )
            ],
        ),
        context(FORM_RULES),
    ]
    return blocks


def read_form(body: dict[str, Any]) -> dict[str, str]:
    """The form's picked values from a block_actions payload: who, first, last, stand_in
    (each only when picked)."""
    values = (body.get("state") or {}).get("values") or {}
    picked: dict[str, str] = {}
    for name, block, action, key in (
        ("who", ids.ABSENCE_WHO_BLOCK, ids.ABSENCE_WHO, "selected_user"),
        ("first", ids.ABSENCE_FIRST_BLOCK, ids.ABSENCE_FIRST, "selected_date"),
        ("last", ids.ABSENCE_LAST_BLOCK, ids.ABSENCE_LAST, "selected_date"),
        ("stand_in", ids.ABSENCE_STAND_IN_BLOCK, ids.ABSENCE_STAND_IN, "selected_user"),
    ):
        value = ((values.get(block) or {}).get(action) or {}).get(key)
        if isinstance(value, str) and value:
            picked[name] = value
    return picked


def _line(view: AbsenceView, *, whose: str) -> str:
    span = period_text(view.first_day, view.last_day)
    now = "nu" if view.in_effect else f"fra {day_text(view.first_day)}"
    if whose == "own":
        return f"Du er fraværende {span} · stedfortræder <@{view.stand_in}> ({now})"
    if whose == "covering":
        return (
            f"Du er stedfortræder for <@{view.absent}> {span} ({now}): påmindelserne om "
            f"<@{view.absent}>s praktikker kommer til dig, og du kan arbejde på dem."
        )
    return f"<@{view.absent}> er fraværende {span} · stedfortræder <@{view.stand_in}> ({now})"


def _controls(view: AbsenceView) -> list[Block]:
    if not view.may_change:
        return []
    end = "Afslut fravær" if view.in_effect else "Slet fravær"
    return [
        button("Ret", ids.ABSENCE_OPEN, str(view.absence_id)),
        button(end, ids.ABSENCE_END, str(view.absence_id), style="danger"),
    ]


def overview_blocks(overview: Overview, *, with_open_button: bool, limit: int = 12) -> list[Block]:
    """The absences that concern the user, each with its controls, at most `limit` of
    them (3 blocks or fewer each); and a button that posts the form."""
    blocks: list[Block] = []
    rows = (
        [(v, "own") for v in overview.own]
        + [(v, "covering") for v in overview.covering]
        + [(v, "team") for v in overview.team]
    )
    for view, whose in rows[:limit]:
        controls = _controls(view)
        blocks.append(section(_line(view, whose=whose), block_id=f"abs|{view.absence_id}"))
        if controls:
            blocks.append(actions(f"abs_do|{view.absence_id}", controls))
    if len(rows) > limit:
        blocks.append(section(f"… og {len(rows) - limit} flere."))
    if not rows:
        blocks.append(section("Intet fravær er registreret."))
    if with_open_button:
        blocks.append(actions("abs_open", [button("Registrér fravær", ids.ABSENCE_OPEN, "new")]))
    return blocks
