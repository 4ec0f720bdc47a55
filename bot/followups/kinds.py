"""The kinds of follow-up and their Danish names.

The kinds a consultant can add by hand are the options of the `kind` step in
`ny_opfoelgning.yaml`; their names are read from there (lower-cased, to stand inside a
sentence: "opstartsmøde"). The two kinds only the bot creates are named here: `ekstra`
(a risk rule's proposal, accepted) and `plantrin` (a dated step of the development plan).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import get_args

from dialogues.dates import format_danish_date
from dialogues.domain import FollowUpKind
from dialogues.structure import FLOWS_DIR, load_flow

KINDS: tuple[str, ...] = get_args(FollowUpKind)
ADD_FLOW_FILE = "ny_opfoelgning.yaml"
ADD_KIND_STEP = "kind"
BOT_KIND_LABELS = {"ekstra": "ekstra opfølgning", "plantrin": "trin i udviklingsplanen"}


@cache
def followup_labels() -> dict[str, str]:
    """Every kind's name, in the order of `FollowUpKind` (a kind the flow file no longer
    offers goes by its id)."""
    step = load_flow(FLOWS_DIR / ADD_FLOW_FILE).step(ADD_KIND_STEP)
    offered = {o.value: o.label[:1].lower() + o.label[1:] for o in step.options}
    named = {**offered, **BOT_KIND_LABELS}
    return {kind: named.get(kind, kind) for kind in KINDS}


def followup_label(kind: str, months_after_end: int | None = None) -> str:
    """The follow-up's name in Danish, with the months for a status follow-up."""
    label = followup_labels().get(kind, kind)
    if kind == "status" and months_after_end:
        unit = "måned" if months_after_end == 1 else "måneder"
        label = f"{label} {months_after_end} {unit} {AFTER_END}"
    return label


AFTER_END = "efter afslutningen"  # what a status follow-up's months count from


def followup_on(kind: str, months_after_end: int | None, due: dt.date) -> str:
    """The follow-up and the day it is due, inside a sentence: "opstartsmøde fredag den
    4. december 2026"; a status follow-up's date after a colon, so that it is not read as
    the day its months count from: "status på job/uddannelse 1 måned efter afslutningen:
    fredag den 22. januar 2027"."""
    label = followup_label(kind, months_after_end)
    joint = ": " if label.endswith(AFTER_END) else " "
    return f"{label}{joint}{format_danish_date(due)}"


def followup_title(kind: str, months_after_end: int | None = None) -> str:
    """The name at the start of a line or as a label: "Opstartsmøde"."""
    label = followup_label(kind, months_after_end)
    return label[:1].upper() + label[1:]
