"""The municipality's question: which praktikker lead to job or education, by type.

What an outcome means (job, education, …) is the `category` of its option in the flow
that records outcomes (afslutning.yaml), read from the flow files the bot runs with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.config import AppConfig
from dialogues.effect_inputs import OUTCOME_CATEGORIES
from dialogues.model import Flow
from dialogues.structure import FLOWS_DIR, load_flows
from storage import queries
from storage.db import Database

# The columns each outcome category counts in (a job with løntilskud is a job, not ordinary).
COUNTED_IN: dict[str, tuple[str, ...]] = {
    "ordinary_job": ("job", "ordinary"),
    "subsidised_job": ("job",),
    "education": ("education",),
    "new_praktik": ("new_praktik",),
    "unemployed": ("unemployed",),
    "other": ("other",),
}
if COUNTED_IN.keys() != OUTCOME_CATEGORIES:
    raise RuntimeError("every outcome category needs its report columns")
COLUMNS = (
    ("started", "Startet"),
    ("active", "I gang"),
    ("ended", "Afsluttet"),
    ("job", "Job"),
    ("ordinary", "- heraf ordinært"),
    ("education", "Uddannelse"),
    ("new_praktik", "Ny praktik"),
    ("unemployed", "Fortsat ledig"),
    ("other", "Andet"),
)


@dataclass
class TypeOutcome:
    type_label: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(dict(COLUMNS), 0))

    @property
    def exit_rate(self) -> float | None:
        """Share of ended praktikker that led to job or education."""
        ended = self.counts["ended"]
        return (self.counts["job"] + self.counts["education"]) / ended if ended else None


def outcome_categories(flows: Mapping[str, Flow]) -> dict[str, str]:
    """Outcome value → category, from the options of the step `record_outcome` reads.
    (The flow check makes every such option carry a category.)"""
    meaning: dict[str, str] = {}
    for flow in flows.values():
        if "record_outcome" in flow.on_complete and flow.has_step("outcome"):
            for option in flow.step("outcome").options:
                meaning.setdefault(option.value, option.category or "other")
    return meaning


def tally(
    config: AppConfig, rows: list[tuple[str, str | None, int]], categories: Mapping[str, str]
) -> list[TypeOutcome]:
    """Counts by type. An outcome no flow offers any more counts as other."""
    result: dict[str, TypeOutcome] = {t.id: TypeOutcome(t.label) for t in config.types}
    for type_id, outcome, count in rows:
        entry = result.setdefault(type_id, TypeOutcome(type_id))
        entry.counts["started"] += count
        if outcome is None:
            entry.counts["active"] += count
            continue
        entry.counts["ended"] += count
        category = categories.get(outcome, "other")
        for column in COUNTED_IN.get(category, ("other",)):
            entry.counts[column] += count
    return list(result.values())


async def outcomes(
    db: Database, config: AppConfig, *, actor: str, flows: Mapping[str, Flow] | None = None
) -> list[TypeOutcome]:
    """The counts by type, with outcomes read as the flow files say (by default those of
    `config.flows_dir`, which the bot runs with); the export is audited (aggregates only)."""
    if flows is None:
        flows = load_flows(config.flows_dir or FLOWS_DIR)
    categories = outcome_categories(flows)
    async with db.transaction() as session:
        rows = await queries.outcomes_by_type(session)
        await queries.audit(session, actor=actor, action="export", detail={"what": "outcomes"})
    return tally(config, rows, categories)


def render_table(entries: list[TypeOutcome]) -> str:
    """A plain-text table (Danish headings) with the exit rate to job or education."""
    headers = ["Type", *(label for _, label in COLUMNS), "Job/uddannelse"]
    body = []
    for entry in entries:
        rate = entry.exit_rate
        body.append(
            [
                entry.type_label,
                *(str(entry.counts[key]) for key, _ in COLUMNS),
                "-" if rate is None else f"{rate:.0%}",
            ]
        )
    widths = [max(len(row[i]) for row in [headers, *body]) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in [headers, *body]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
