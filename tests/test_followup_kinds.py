"""The follow-up kinds' Danish names: those a consultant can add come from the options
of ny_opfoelgning.yaml's `kind` step; every kind has one. A status follow-up says what
its months count from, and its due date is not read as that day."""

from __future__ import annotations

import datetime as dt

from bot.followups.kinds import (
    KINDS,
    followup_label,
    followup_labels,
    followup_on,
    followup_title,
)
from dialogues.model import Flow


def test_every_kind_has_a_danish_name(flows: dict[str, Flow]) -> None:
    options = {o.value: o.label for o in flows["ny_opfoelgning"].step("kind").options}
    labels = followup_labels()
    assert list(labels) == list(KINDS)
    assert all(labels[kind] != kind for kind in KINDS)
    assert {kind: followup_title(kind) for kind in options} == options
    assert followup_label("opstart") == "opstartsmøde"
    assert followup_label("status", 1) == "status på job/uddannelse 1 måned efter afslutningen"
    assert followup_title("status", 3) == "Status på job/uddannelse 3 måneder efter afslutningen"


def test_a_due_date_reads_as_the_due_date() -> None:
    assert followup_on("opstart", None, dt.date(2026, 12, 4)) == (
        "opstartsmøde fredag den 4. december 2026"
    )
    assert followup_on("status", 1, dt.date(2027, 1, 22)) == (
        "status på job/uddannelse 1 måned efter afslutningen: fredag den 22. januar 2027"
    )
