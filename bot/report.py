"""The municipality's question: which praktikker lead to job or education, by type."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import AppConfig
from storage import queries
from storage.db import Database

JOB = ("ordinaer_fuldtid", "ordinaer_deltid", "loentilskud")
EDUCATION = ("uddannelse",)
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


def tally(config: AppConfig, rows: list[tuple[str, str | None, int]]) -> list[TypeOutcome]:
    result: dict[str, TypeOutcome] = {t.id: TypeOutcome(t.label) for t in config.types}
    for type_id, outcome, count in rows:
        entry = result.setdefault(type_id, TypeOutcome(type_id))
        entry.counts["started"] += count
        if outcome is None:
            entry.counts["active"] += count
            continue
        entry.counts["ended"] += count
        if outcome in JOB:
            entry.counts["job"] += count
            if outcome != "loentilskud":
                entry.counts["ordinary"] += count
        elif outcome in EDUCATION:
            entry.counts["education"] += count
        elif outcome == "ny_praktik":
            entry.counts["new_praktik"] += count
        elif outcome == "fortsat_ledig":
            entry.counts["unemployed"] += count
        else:
            entry.counts["other"] += count
    return list(result.values())


async def outcomes(db: Database, config: AppConfig, *, actor: str) -> list[TypeOutcome]:
    """The counts by type; the export is audited (aggregates only)."""
    async with db.transaction() as session:
        rows = await queries.outcomes_by_type(session)
        await queries.audit(session, actor=actor, action="export", detail={"what": "outcomes"})
    return tally(config, rows)


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
