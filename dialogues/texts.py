"""Danish texts the engine shows, kept together so they read as one voice."""

COMMANDS_HELP = (
    "Du kan altid skrive: 'tilbage' (forrige spørgsmål), 'spring over' (hvis spørgsmålet "
    "er valgfrit), 'afbryd' (stop samtalen) eller 'hjælp'."
)
CPR_REFUSED = (
    "Det ligner et CPR-nummer. CPR-numre må ikke skrives her, og svaret er ikke gemt. "
    "Slet venligst beskeden, og brug sagens reference eller et pseudonym i stedet."
)
CANCELLED = "Samtalen '{title}' er afbrudt. Intet er oprettet eller ændret."
COMPLETED = "Tak, '{title}' er gemt."
FINISHED = "Denne samtale er allerede afsluttet. Start en ny, hvis du vil fortsætte."
STALE_INPUT = "Det svar hører til et spørgsmål, der allerede er besvaret eller ikke længere gælder."
NOT_OPTIONAL = "Dette spørgsmål skal besvares; det kan ikke springes over."
EMPTY_INPUT = "Jeg fik ikke noget svar. Prøv igen."
NOTHING_TO_GO_BACK_TO = "Du er ved første spørgsmål; der er ikke noget at gå tilbage til."
CONFIRM_DATE = "Jeg har læst datoen som {date}. Er det rigtigt? (ja/nej)"
CONFIRM_DATE_AGAIN = (
    "Svar ja, hvis datoen er rigtig, nej for at skrive den igen - eller skriv en ny dato."
)
DATE_AGAIN = "Skriv datoen igen, fx '15. marts', '15/3' eller 'næste fredag'."
SUGGESTION = "Anbefaling: {label}, fordi {reason}"
SUMMARY_TITLE = "Opsummering af '{title}':"
SUMMARY_HOW = "Skriv 'gem' for at gemme, eller 'ret' og nummeret for at rette et svar (fx 'ret 3')."
NO_SUCH_ANSWER = "Der er {n} svar i opsummeringen. Skriv fx 'ret 2'."
TOGETHER_CONFIRM = "Jeg har læst svarene sådan:\n{answers}\nEr det rigtigt? (ja/nej)"
TOGETHER_AGAIN = "Skriv svaret igen - ét ad gangen eller flere i samme besked."
TOGETHER_NOTHING_SAVED = (
    "Jeg læste beskeden sådan:\n{answers}\n"
    "Ingen af svarene i beskeden er gemt. Ret det, og skriv dem igen."
)
TOGETHER_AMBIGUOUS = (
    "Beskeden kan læses på flere måder, så ingen af svarene er gemt:\n{readings}\n"
    "Skriv dem ét ad gangen."
)
SPECIAL_CATEGORY_REPHRASE = (
    "Skriv svaret igen - om hvad det betyder for arbejdet, uden helbred, tro, "
    "fagforening, etnisk oprindelse, seksualitet eller politik."
)


def special_category_warning(categories: list[str], words: list[str], *, question: str) -> str:
    """The warning shown when a free-text answer names a special category (GDPR art. 9)."""
    what = categories[0] if len(categories) == 1 else ", ".join(categories[:-1])
    if len(categories) > 1:
        what += " og " + categories[-1]
    quoted = ", ".join(f"'{w}'" for w in words)
    return (
        f"Dit svar ser ud til at indeholde {what} ({quoted}). Det er følsomme "
        "personoplysninger (databeskyttelsesforordningens artikel 9), som ikke skal stå "
        "her. Spørg og skriv om konsekvenserne for arbejdet - fx 'kan ikke løfte tungt' "
        "eller 'har brug for faste pauser' - aldrig om diagnosen, troen eller "
        "medlemskabet.\n"
        "Skriv et nyt svar, eller vælg 'Gem som skrevet', hvis oplysningen ikke handler "
        "om borgeren eller er nødvendig for praktikken.\n"
        f"Spørgsmålet var: {question}"
    )


FORM_REQUIRED = "Dette felt skal udfyldes."
FORM_OPTIONS_CHANGED = "Mulighederne er ændret efter et tidligere svar - vælg igen."
