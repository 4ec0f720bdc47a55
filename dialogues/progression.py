"""Progression: sub-goals scored on a configured scale at each follow-up, from up to three
sides (citizen, company, consultant), and the consultant's belief in the citizen's chance
of a job as its own indicator (rules.md, "Progression measurement").

Pure: the scale comes from app.yaml (`progression`), the scores from storage; this module
turns them into trends (start → midway → end), gaps between the sides and the Danish
lines the guide, Home and the case note show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Phase = Literal["opstart", "midtvejs", "afslutning"]
Side = Literal["citizen", "company", "consultant"]
Indicator = Literal["subgoal", "job_belief"]

PHASES: tuple[Phase, ...] = ("opstart", "midtvejs", "afslutning")
SIDES: tuple[Side, ...] = ("consultant", "citizen", "company")
PHASE_LABELS: dict[str, str] = {"opstart": "opstart", "midtvejs": "midtvejs", "afslutning": "slut"}
SIDE_LABELS: dict[str, str] = {
    "consultant": "konsulent",
    "citizen": "borger",
    "company": "virksomhed",
}


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScalePoint(Frozen):
    value: int = Field(ge=0, le=100)
    label: str = Field(min_length=1, max_length=60)


class Scale(Frozen):
    """A scale of whole numbers, each with a Danish label (lowest first)."""

    points: tuple[ScalePoint, ...] = Field(min_length=2, max_length=11)

    @field_validator("points")
    @classmethod
    def _ascending(cls, points: tuple[ScalePoint, ...]) -> tuple[ScalePoint, ...]:
        values = [p.value for p in points]
        if values != sorted(set(values)):
            raise ValueError("scale values must be unique and ascending")
        return points

    @property
    def low(self) -> int:
        return self.points[0].value

    @property
    def high(self) -> int:
        return self.points[-1].value

    def label_of(self, value: int) -> str:
        return next((p.label for p in self.points if p.value == value), str(value))


def _scale(*labels: str) -> Scale:
    return Scale(points=tuple(ScalePoint(value=n, label=t) for n, t in enumerate(labels, 1)))


class ProgressionConfig(Frozen):
    """app.yaml `progression`: the scales and when a gap between the sides is flagged."""

    subgoal_scale: Scale = _scale(
        "Ikke påbegyndt", "Lidt på vej", "Delvist nået", "Næsten nået", "Nået"
    )
    job_belief_scale: Scale = _scale("Meget lille", "Lille", "Middel", "Stor", "Meget stor")
    # A difference of at least this many points between two sides' latest scores of a
    # sub-goal is shown as a gap.
    gap_warning: int = Field(default=2, ge=1, le=100)


class ScorePoint(Frozen):
    """One stored score: a sub-goal (by its index in the praktik's list) or job belief."""

    phase: Phase
    side: Side
    indicator: Indicator
    item: int | None = None
    score: int
    day: dt.date
    order: int = 0  # which meeting, oldest first (ties on the same day)


def _key(point: ScorePoint) -> tuple[int, dt.date, int]:
    return (PHASES.index(point.phase), point.day, point.order)


def series(
    scores: Sequence[ScorePoint], indicator: Indicator, item: int | None, side: Side
) -> list[ScorePoint]:
    """The latest score per phase of one indicator from one side, start → midway → end."""
    latest: dict[str, ScorePoint] = {}
    for point in sorted(scores, key=lambda p: (p.day, p.order)):
        if (point.indicator, point.item, point.side) == (indicator, item, side):
            latest[point.phase] = point
    return sorted(latest.values(), key=_key)


def arrow(points: Sequence[ScorePoint]) -> str:
    if len(points) < 2:
        return ""
    first, last = points[0].score, points[-1].score
    return " ↑" if last > first else " ↓" if last < first else " →"


def trend_text(points: Sequence[ScorePoint]) -> str:
    """'opstart 2 → midtvejs 3 → slut 4 ↑'."""
    return " → ".join(f"{PHASE_LABELS[p.phase]} {p.score}" for p in points) + arrow(points)


def gaps(
    scores: Sequence[ScorePoint], item: int | None, indicator: Indicator, minimum: int
) -> list[str]:
    """Gaps between the sides' latest scores of one indicator, as Danish text."""
    latest: dict[str, ScorePoint] = {}
    for side in SIDES:
        points = series(scores, indicator, item, side)
        if points:
            latest[side] = points[-1]
    found = []
    sides = [s for s in SIDES if s in latest]
    for i, one in enumerate(sides):
        for other in sides[i + 1 :]:
            a, b = latest[one], latest[other]
            if abs(a.score - b.score) >= minimum:
                found.append(
                    f"{SIDE_LABELS[one]} {a.score} og {SIDE_LABELS[other]} {b.score} "
                    f"(forskel {abs(a.score - b.score)})"
                )
    return found


def trend_lines(
    scores: Sequence[ScorePoint], subgoals: Sequence[str], config: ProgressionConfig
) -> list[str]:
    """Per sub-goal: status (the latest consultant score's label), the trend from each side
    and the gaps between them; then job belief. Empty when nothing is scored yet."""
    if not scores:
        return []
    scale = config.subgoal_scale
    lines = [f"Skala {scale.low}-{scale.high} ({scale.label_of(scale.low)} … "
             f"{scale.label_of(scale.high)})."]  # fmt: skip
    for index, goal in enumerate(subgoals):
        own = series(scores, "subgoal", index, "consultant")
        status = f" – status: {scale.label_of(own[-1].score)}" if own else ""
        lines.append(f"• {goal}{status}")
        for side in SIDES:
            points = series(scores, "subgoal", index, side)
            if points:
                lines.append(f"    {SIDE_LABELS[side].capitalize()}: {trend_text(points)}")
        for gap in gaps(scores, index, "subgoal", config.gap_warning):
            lines.append(f"    ⚠ Forskel: {gap}")
    belief = series(scores, "job_belief", None, "consultant")
    if belief:
        job = config.job_belief_scale
        lines.append(
            f"• Din tro på, at borgeren kommer i job ({job.low}-{job.high}): "
            f"{trend_text(belief)} – {job.label_of(belief[-1].score)}"
        )
    return lines


def compact_line(scores: Sequence[ScorePoint], subgoals: Sequence[str]) -> str | None:
    """One line for a work list: 'D1 2→4 ↑ · D2 3 · Job 3→2 ↓' (consultant's scores)."""
    parts = []
    for index in range(len(subgoals)):
        points = series(scores, "subgoal", index, "consultant")
        if points:
            shown = "→".join(str(p.score) for p in points)
            parts.append(f"D{index + 1} {shown}{arrow(points)}")
    belief = series(scores, "job_belief", None, "consultant")
    if belief:
        parts.append(f"Job {'→'.join(str(p.score) for p in belief)}{arrow(belief)}")
    return " · ".join(parts) if parts else None


def gap_line(
    scores: Sequence[ScorePoint], subgoals: Sequence[str], config: ProgressionConfig
) -> str | None:
    """The gaps between the sides, one line (None when there are none)."""
    found = [
        f"D{index + 1}: {gap}"
        for index in range(len(subgoals))
        for gap in gaps(scores, index, "subgoal", config.gap_warning)
    ]
    return "; ".join(found) if found else None
