"""The follow-up kinds' Danish names: those a consultant can add come from the options
of ny_opfoelgning.yaml's `kind` step; every kind has one."""

from __future__ import annotations

from bot.followups.kinds import KINDS, followup_label, followup_labels, followup_title
from dialogues.model import Flow


def test_every_kind_has_a_danish_name(flows: dict[str, Flow]) -> None:
    options = {o.value: o.label for o in flows["ny_opfoelgning"].step("kind").options}
    labels = followup_labels()
    assert list(labels) == list(KINDS)
    assert all(labels[kind] != kind for kind in KINDS)
    assert {kind: followup_title(kind) for kind in options} == options
    assert followup_label("opstart") == "opstartsmøde"
    assert followup_label("status", 1) == "status på job/uddannelse 1 måned efter"
    assert followup_title("status", 3) == "Status på job/uddannelse 3 måneder efter"
