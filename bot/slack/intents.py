"""What a consultant's words ask for: the Danish subcommands of /praktik, DMs and mentions."""

from __future__ import annotations

import re

FLOW_WORDS = {
    "ny": "ny_praktik",
    "ny praktik": "ny_praktik",
    "opret": "ny_praktik",
    "forbered": "forbered_moede",
    "forbered møde": "forbered_moede",
    "møde": "forbered_moede",
    "opfølgning": "opfoelgning",
    "opfoelgning": "opfoelgning",
    "opfolgning": "opfoelgning",
    "opfølgningsskema": "opfoelgning",
    "afslut": "afslutning",
    "afslutning": "afslutning",
    "resultat": "afslutning",
    "ret periode": "ret_periode",
    "periode": "ret_periode",
    "forlæng": "ret_periode",
    "forlængelse": "ret_periode",
    "tilføj opfølgning": "ny_opfoelgning",
    "ny opfølgning": "ny_opfoelgning",
}
LIST_WORDS = frozenset({"mine", "mine praktikker", "liste", "oversigt"})
HELP_WORDS = frozenset({"hjælp", "help", "?", ""})


def intent(text: str) -> tuple[str, str | None]:
    """("flow", flow_id), ("list", None), ("help", None) or ("unknown", None)."""
    words = " ".join(re.sub(r"<@[A-Z0-9]+>", " ", text).strip().casefold().rstrip(".!").split())
    if words in FLOW_WORDS:
        return "flow", FLOW_WORDS[words]
    if words in LIST_WORDS:
        return "list", None
    if words in HELP_WORDS:
        return "help", None
    return "unknown", None
