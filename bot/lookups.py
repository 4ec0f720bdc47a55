"""The bot layer's side of the named lookups (dialogues.rules.LOOKUPS): facts from
storage that a flow's parts read, resolved before each turn and handed to the pure engine
through the context (`FlowContext.lookups`).

A lookup is keyed by one answer: the stored answer of its step, and — while that step is
the one being answered — the answer being given, so a validator on the step itself sees
the facts for what the consultant just typed. A resolver returns JSON (or None).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import AppConfig
from bot.followups.plan import add_months
from bot.report.views import option_categories
from dialogues.model import Flow
from dialogues.rules import LOOKUPS, P_NUMBER_ACTIVITY
from dialogues.state import UserInput
from dialogues.structure import flow_lookups
from storage import report_queries
from storage.report_queries import Scope

Resolver = Callable[..., Awaitable[Any]]


async def p_number_activity(
    session: AsyncSession,
    *,
    config: AppConfig,
    flows: Mapping[str, Flow],
    key: str,
    consultant_id: int | None,
    now: Any,
) -> dict[str, Any] | None:
    """At a P-nr.: other consultants' active praktikker (and how many consultants), the
    places left under the ratio cap of the latest registration there counting every
    consultant's active praktikker, and whether the company has had repeated praktikker
    without a hire (report.repeat_without_hire in report.company_window_months). Counts
    only: never whose praktikker or which citizens."""
    if not (key.isdigit() and len(key) == 10):
        return None
    colleagues_active, colleagues = await report_queries.active_at_p_number(
        session, p_number=key, consultant_id=consultant_id
    )
    window = config.report.company_window_months
    [signal] = await report_queries.company_signals(
        session,
        scope=Scope(),
        categories=option_categories(flows, "record_outcome", "outcome"),
        status_categories=option_categories(flows, "record_status", "status"),
        recent_from=add_months(config.local_date(now), -window),
        p_numbers=[key],
    ) or [(key, 0, 0, 0, 0, 0, 0, None)]
    _, _, active_all, _, _, recent, recent_hires, limit = signal
    return {
        "active_by_colleagues": colleagues_active,
        "colleagues": colleagues,
        "active_all": int(active_all or 0),
        "places_left": None if limit is None else int(limit) - int(active_all or 0),
        "recent_ended": int(recent or 0),
        "recent_hires": int(recent_hires or 0),
        "repeat_flag": int(recent or 0) >= config.report.repeat_without_hire
        and not int(recent_hires or 0),
        "window_months": window,
    }


RESOLVERS: dict[str, Resolver] = {P_NUMBER_ACTIVITY: p_number_activity}
if RESOLVERS.keys() != LOOKUPS.keys():
    raise RuntimeError(f"lookups without a resolver: {RESOLVERS.keys() ^ LOOKUPS.keys()}")


async def resolve(
    session: AsyncSession,
    *,
    config: AppConfig,
    flows: Mapping[str, Flow],
    flow: Flow,
    answers: Mapping[str, Any],
    step: str | None,
    inp: UserInput | None,
    consultant_id: int | None,
    now: Any,
) -> dict[str, dict[str, Any]]:
    """The lookups `flow` reads, for the keys its answers (and the input) hold."""
    found: dict[str, dict[str, Any]] = {}
    for name in sorted(flow_lookups(flow)):
        key_step = LOOKUPS[name].step
        keys = set()
        if isinstance(answers.get(key_step), str):
            keys.add(str(answers[key_step]).strip())
        if inp is not None and step == key_step:
            given = inp.text if inp.text is not None else inp.value
            if isinstance(given, str) and given.strip():
                keys.add(given.strip())
        for key in sorted(keys):
            found.setdefault(name, {})[key] = await RESOLVERS[name](
                session, config=config, flows=flows, key=key, consultant_id=consultant_id,
                now=now,
            )  # fmt: skip
    return found
