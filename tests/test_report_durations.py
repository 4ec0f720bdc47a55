"""The duration and lead-time views count days as a reader would: first and last day of
the praktik included; from the day of registration to the first day (negative: registered
after the start). Checked in a consultant's own view (exact), on both databases, against
the days worked out here from the dates the test writes."""

from __future__ import annotations

import datetime as dt

from bot.config import AppConfig
from bot.report import Audience, Request, build_report
from dialogues.domain import TargetGroup
from dialogues.model import Flow
from storage.db import Database
from storage.models import Consultant, Praktik

TODAY = dt.date(2026, 11, 30)
UTC = dt.UTC

# (start, end, registered at (UTC))
PRAKTIKKER = [
    (dt.date(2026, 1, 5), dt.date(2026, 1, 14), dt.datetime(2026, 1, 1, 23, 30, tzinfo=UTC)),
    (dt.date(2026, 2, 2), dt.date(2026, 11, 27), dt.datetime(2026, 1, 13, 8, 0, tzinfo=UTC)),
    (dt.date(2026, 3, 2), dt.date(2026, 3, 13), dt.datetime(2026, 3, 5, 10, 0, tzinfo=UTC)),
    (dt.date(2026, 4, 6), dt.date(2026, 4, 17), dt.datetime(2026, 2, 20, 7, 0, tzinfo=UTC)),
    (dt.date(2026, 5, 4), dt.date(2026, 5, 8), dt.datetime(2026, 4, 27, 12, 0, tzinfo=UTC)),
]


async def seeded(db: Database) -> int:
    async with db.transaction() as session:
        consultant = Consultant(user_key="terminal:anna", name="anna")
        session.add(consultant)
        await session.flush()
        assert consultant.id is not None
        for n, (start, end, registered) in enumerate(PRAKTIKKER):
            praktik = Praktik(
                case_ref=f"SAG-{n}", target_group="dagpenge", company="Eksempel ApS",
                type="jobpraktik", subgoals=["x"], start_date=start, end_date=end,
                hours_per_week=30, consultant_id=consultant.id, status="ended",
                outcome="fortsat_ledig", created_at=registered,
            )  # fmt: skip
            session.add(praktik)
        return consultant.id


async def test_days_of_the_duration_and_lead_time_views(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    consultant = await seeded(db)
    report = await build_report(
        db, config, flows, request=Request(TODAY), audience=Audience.consultant(consultant),
        actor="test", views=["duration", "lead_time"],
    )  # fmt: skip
    duration, lead = report.views
    lengths = [(end - start).days + 1 for start, end, _ in PRAKTIKKER]
    assert lengths == [10, 299, 12, 12, 5]
    # Under every rule set, 12 days are within the group's limit and 299 over any extension.
    groups = [g for rules in config.rules for g in [rules.target_group("dagpenge")] if g]
    assert groups and all(12 <= g.max_weeks * 7 < 299 for g in groups)
    assert all((g.extendable_to_weeks or 0) * 7 < 299 for g in groups)
    assert duration.total is not None
    assert [duration.total[k] for k in ("praktikker", "within", "extended", "over")] == [
        5, 4, 0, 1,
    ]  # fmt: skip
    leads = [(start - registered.date()).days for start, _, registered in PRAKTIKKER]
    assert leads == [4, 20, -3, 45, 7]
    assert lead.total is not None
    assert [lead.total[k] for k in ("after_start", "d0_7", "d8_14", "d15_30", "d31")] == [
        1, 2, 0, 1, 1,
    ]  # fmt: skip
    assert lead.total["days"] == sum(leads)
    [total_row] = lead.shown()[-1:]
    assert total_row[-1] == round(sum(leads) / 5, 1)  # Gns. dage til start


async def test_length_classes_follow_the_rule_set_of_the_start_date(
    db: Database, config: AppConfig, flows: dict[str, Flow]
) -> None:
    """The query classifies each length by the limits of its target group in the rule set
    valid on its start date: checked against that rule applied here, with rule sets whose
    limits differ (a group shorter and extendable in the last set, a group the middle set
    does not know) and lengths on either side of each limit."""
    first, middle, last = config.rules

    def changed(group_id: str, **update: object) -> tuple[TargetGroup, ...]:
        return tuple(
            g.model_copy(update=update) if g.id == group_id else g for g in last.target_groups
        )

    rules = (
        first,
        middle.model_copy(
            update={
                "target_groups": tuple(g for g in middle.target_groups if g.id != "sygedagpenge")
            }
        ),
        last.model_copy(
            update={"target_groups": changed("dagpenge", max_weeks=1, extendable_to_weeks=3)}
        ),
    )
    cfg = config.model_copy(update={"rules": rules})
    starts = [dt.date(2026, 1, 5), dt.date(2026, 3, 2), dt.date(2026, 8, 3)]  # one per set
    cases = [
        (start, group, days, assessed)
        for start in starts
        for group in ("dagpenge", "sygedagpenge", "jobafklaring")
        for days in (7, 8, 21, 22, 28, 29, 91, 92, 182, 183)
        for assessed in (False, True)
    ]
    async with db.transaction() as session:
        consultant = Consultant(user_key="terminal:anna", name="anna")
        session.add(consultant)
        await session.flush()
        assert consultant.id is not None
        for n, (start, group, days, assessed) in enumerate(cases):
            session.add(
                Praktik(
                    case_ref=f"SAG-{n}",
                    target_group=group,
                    company="Eksempel ApS",
                    type="jobpraktik",
                    subgoals=["x"],
                    start_date=start,
                    end_date=start + dt.timedelta(days=days - 1),
                    hours_per_week=30,
                    consultant_id=consultant.id,
                    status="ended",
                    outcome="fortsat_ledig",
                    extension_assessed=assessed,
                )
            )
        own = consultant.id
    expected: dict[str, dict[str, int]] = {}
    for start, group_id, days, assessed in cases:
        valid = [r for r in rules if r.valid_from <= start][-1]
        limits = valid.target_group(group_id)
        if limits is not None and days <= limits.max_weeks * 7:
            key = "within"
        elif limits is not None and assessed and days <= (limits.extendable_to_weeks or 0) * 7:
            key = "extended"
        else:
            key = "over"
        counts = expected.setdefault(group_id, {"within": 0, "extended": 0, "over": 0})
        counts[key] += 1
    report = await build_report(
        db, cfg, flows, request=Request(TODAY, ("target_group",), "start_quarter"),
        audience=Audience.consultant(own), actor="test", views=["duration"],
    )  # fmt: skip
    [duration] = report.views
    labels = {g.label: g.id for r in rules for g in r.target_groups}
    got = {
        labels[label]: {k: row[k] for k in ("within", "extended", "over")}
        for (label,), row in zip(duration.labels, duration.data, strict=True)
    }
    assert got == expected
    assert expected["dagpenge"]["extended"] and expected["sygedagpenge"]["over"] > 10
