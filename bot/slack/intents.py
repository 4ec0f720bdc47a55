"""What a consultant's words ask for: the Danish subcommands of /praktik, DMs and mentions.

The words that start a flow are its keywords and title in its flow file (`menu`, see
dialogues.registry); the work list and help have words of their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from dialogues.model import Flow, normalise_words
from dialogues.registry import ABSENCE_WORDS, HELP_WORDS, LIST_WORDS, flow_for_words


def intent(text: str, flows: Mapping[str, Flow]) -> tuple[str, str | None]:
    """("flow", flow_id), ("list", None), ("absence", None), ("help", None) or
    ("unknown", None)."""
    words = normalise_words(re.sub(r"<@[A-Z0-9]+>", " ", text))
    flow = flow_for_words(flows, words)
    if flow is not None:
        return "flow", flow.id
    if words in LIST_WORDS:
        return "list", None
    if words in ABSENCE_WORDS:
        return "absence", None
    if words in HELP_WORDS:
        return "help", None
    return "unknown", None
