"""The flows offered to consultants: one registry, read from each flow file's `menu`.

The terminal menu, Slack's help text and menu buttons, the words that start a flow in a
DM or after /praktik, the suggested prompts (Slack's agent and assistant views), the Home
buttons and the flows offered as a form ("Udfyld som formular") all derive from here; no
code lists the flows. A flow without `menu` is offered nowhere.
"""

from __future__ import annotations

from collections.abc import Mapping

from dialogues.model import Flow, normalise_words

# Slack shows at most four suggested prompts (agent and assistant views alike); one is the
# work list ("Mine praktikker"), so at most three flows may set `menu.prompt`.
PROMPT_PLACES = 3
WORK_LIST_PROMPT = {"title": "Mine praktikker", "message": "mine praktikker"}
PROMPTS_TITLE = "Hvad vil du gøre?"

# Words the bot answers itself in a DM or after /praktik: no flow may claim them.
LIST_WORDS = frozenset({"mine", "mine praktikker", "liste", "oversigt"})
HELP_WORDS = frozenset({"hjælp", "help", "?", ""})
ABSENCE_WORDS = frozenset({"fravær", "fravaer", "ferie", "stedfortræder", "vikar"})


def offered(flows: Mapping[str, Flow]) -> list[Flow]:
    """The flows with a menu entry, in menu order."""
    return sorted(
        (f for f in flows.values() if f.menu is not None),
        key=lambda f: (f.menu.order if f.menu else 0, f.id),
    )


def flow_for_words(flows: Mapping[str, Flow], text: str) -> Flow | None:
    """The flow whose keywords (or title) are exactly what the consultant wrote."""
    words = normalise_words(text)
    return next((f for f in offered(flows) if words in f.words), None)


def prompted(flows: Mapping[str, Flow]) -> list[Flow]:
    """The flows with a suggested prompt in Slack's assistant panel, in menu order."""
    return [f for f in offered(flows) if f.menu is not None and f.menu.prompt]


def suggested_prompts(flows: Mapping[str, Flow]) -> list[dict[str, str]]:
    """The suggested prompts, as Slack takes them: each prompt's message is the flow's
    title, which starts it like a keyword; the work list comes last."""
    chosen = prompted(flows)[:PROMPT_PLACES]
    return [{"title": f.title, "message": f.title.casefold()} for f in chosen] + [
        dict(WORK_LIST_PROMPT)
    ]


def as_form(flows: Mapping[str, Flow], *, about_praktik: bool) -> list[Flow]:
    """The flows offered as a form ("Udfyld som formular"), in menu order: those about a
    praktik (per praktik), or the others."""
    return [
        f
        for f in offered(flows)
        if f.menu is not None and f.menu.form and f.needs_praktik == about_praktik
    ]


def on_home(
    flows: Mapping[str, Flow], *, about_praktik: bool, praktik_status: str = "active"
) -> list[Flow]:
    """The flows with a Home button: those about a praktik in `praktik_status` (one button
    per praktik), or the others (at the top)."""
    return [
        f
        for f in offered(flows)
        if f.menu is not None
        and f.menu.home
        and f.needs_praktik == about_praktik
        and (not about_praktik or f.praktik_status == praktik_status)
    ]


def check_registry(flows: Mapping[str, Flow]) -> list[tuple[str, str]]:
    """Problems across flow files, as (file, problem): a menu place or a word taken
    twice, a word the bot keeps for itself, more suggested prompts than Slack shows, a
    `continue_with` naming no flow (or one that differs in `needs_praktik`)."""
    problems: list[tuple[str, str]] = []
    places: dict[int, Flow] = {}
    owners: dict[str, Flow] = {}
    for flow in offered(flows):
        assert flow.menu is not None
        other = places.setdefault(flow.menu.order, flow)
        if other is not flow:
            problems.append(
                (flow.source, f"menu: order {flow.menu.order} is taken by {other.source} too")
            )
        for word in flow.words:
            if word in LIST_WORDS | HELP_WORDS | ABSENCE_WORDS:
                problems.append(
                    (flow.source, f"menu: the word '{word}' is the bot's own; choose another")
                )
                continue
            owner = owners.setdefault(word, flow)
            if owner is not flow:
                problems.append((flow.source, f"menu: the word '{word}' starts {owner.source} too"))
    for flow in flows.values():
        then = flow.continue_with
        if then is None:
            continue
        target = flows.get(then.flow)
        if target is None:
            problems.append((flow.source, f"continue_with: no flow '{then.flow}'"))
        elif target.needs_praktik != flow.needs_praktik:
            problems.append(
                (flow.source, f"continue_with: '{then.flow}' and this flow differ in needs_praktik")
            )
    with_prompt = prompted(flows)
    if len(with_prompt) > PROMPT_PLACES:
        names = ", ".join(f.source for f in with_prompt)
        problems.append(
            (
                with_prompt[PROMPT_PLACES].source,
                f"menu: prompt is set on {len(with_prompt)} flows ({names}); Slack's assistant "
                f"panel has room for {PROMPT_PLACES} besides the work list",
            )
        )
    return problems
