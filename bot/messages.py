"""Danish texts the bot itself says (the flows' own texts live in the flow files)."""

FLOW_CHANGED_CONTINUE = (
    "Spørgsmålene er blevet opdateret, siden vi sidst skrev. Vi fortsætter, hvor du slap."
)
FLOW_CHANGED_RESTART = (
    "Forløbet '{title}' er blevet ændret, siden vi sidst skrev, og spørgsmålet, du var "
    "nået til, findes ikke længere. Vi starter forfra - undskyld ulejligheden."
)
FLOW_REMOVED = "Forløbet, du var i gang med, findes ikke længere. Start et nyt."
EXPIRED = "Din samtale '{title}' udløb, fordi den ikke blev brugt i {hours} timer. Start den igen."
NO_CONVERSATION = "Du har ingen samtale i gang. Vælg, hvad du vil gøre."
REPLACED = "Din tidligere samtale '{title}' er lukket, fordi du startede en ny."
UNKNOWN_FLOW = "Det forløb kender jeg ikke."
NEEDS_PRAKTIK = "Vælg først, hvilken praktik det drejer sig om."
ONLY_PRAKTIK = "Du har én aktiv praktik, så '{title}' handler om den: {label}."
PRAKTIK_NOT_FOUND = "Praktikken findes ikke, eller du har ikke adgang til den."
NOT_YOUR_CONVERSATION = (
    "Den samtale er ikke din. Start din egen med 'ny', 'forbered' eller 'opfølgning'."
)
PRAKTIK_ENDED = "Praktikken {case_ref} er afsluttet."
PRAKTIK_REGISTERED = (
    "Praktikken {case_ref} er oprettet: {type_label} hos {company}, {period}. Dens korte "
    "reference er *{short_ref}* - den står i dine påmindelser og i teamets oversigt i stedet "
    "for sagsreferencen."
)
FOLLOWUPS_PLANNED = "Planlagte opfølgninger: {plan}."
PERIOD_CHANGED = "Perioden for {case_ref} er nu {period}."
FOLLOWUPS_MOVED = "Opfølgningerne er flyttet: {plan}."
FOLLOWUP_ADDED = "Opfølgningen er tilføjet: {kind} {due}. Du får en påmindelse på dagen."
FOLLOWUP_HELD = "Opfølgningen ({kind}, {due}) er markeret som afholdt."
OUTCOME_RECORDED = "Resultatet er registreret, og praktikken {case_ref} er afsluttet."
OUTCOME_ENDED_EARLY = (
    "Resultatet er registreret, og praktikken {case_ref} er afsluttet {end} - før den "
    "planlagte slutdato {planned}. Perioden er nu {period}; opfølgningerne efter praktikken "
    "regnes fra {end}."
)
OUTCOME_BEFORE_START = (
    "Resultatet er registreret, og praktikken {case_ref} er afsluttet i dag, {end}, før den "
    "startede (planlagt {planned_period}). Status efter praktikken følges op fra i dag."
)
FOLLOWUPS_FROM_TODAY = (
    "Praktikken startede før i dag, så {what} er planlagt til {due} - ikke til en dag, der er gået."
)
FOLLOWUP_FROM_TODAY_HELD = "Er mødet allerede holdt, så markér det som afholdt."
FOLLOWUPS_FROM_TODAY_HELD = "Er nogle af dem allerede holdt, så markér dem som afholdt."
STATUS_PLANNED = "Status efter praktikken følges op: {plan}."
STATUS_RECORDED = "Status er registreret for {case_ref} ({mark})."
NO_STATUS_DUE = (
    "Der er ingen statusopfølgning at registrere for {case_ref} nu - status registreres, "
    "når en statusopfølgning (1, 3, 6 eller 12 måneder efter) er forfalden."
)
NO_STATUS_TO_RECORD = (
    "Du har ingen afsluttede praktikker med en forfalden statusopfølgning (1, 3, 6 eller "
    "12 måneder efter)."
)
OUTCOME_FIRST = (
    "Praktikken {case_ref} er ikke afsluttet endnu. Registrér først resultatet med "
    "'Afslutning' - derefter kan status efter praktikken registreres."
)
CASE_NOTE_READY = "Udkast til journalnotat (kopiér det til sagssystemet):"
VITAS_READY = "VITAS-oplysninger i VITAS' rækkefølge (kopiér felterne til aftalen i VITAS):"
ERROR_APOLOGY = (
    "Beklager, der gik noget galt hos mig. Prøv igen om lidt - skriv 'hjælp' i tråden for "
    "at se, hvor vi er nået til. Dine gemte svar er ikke gået tabt."
)
ALREADY_OPEN_HERE = (
    "Du er allerede i gang med '{title}'{about} her i tråden - svar på spørgsmålet ovenfor."
)
ALREADY_OPEN_ELSEWHERE = (
    "Du er allerede i gang med '{title}'{about} i en tråd her i vores samtale - fortsæt dér, "
    "hvor du slap. Skriv 'afbryd' i den tråd, hvis du vil starte forfra."
)
ACCESS_ENDED = (
    "Du har ikke længere adgang til praktikken {ref}, så jeg har lukket samtalen '{title}'. "
    "Dit sidste svar er ikke gemt. Spørg din teamleder, hvis du mener, det er en fejl."
)
CLOSED_NO_ACCESS = (
    "Denne samtale er lukket, fordi praktikken {ref} ikke længere er din, og intet er gemt "
    "fra den. Spørg din teamleder, hvis du mener, det er en fejl."
)
HANDED_OVER_CLOSED = (
    "Praktikken {ref} er overdraget til en kollega, så jeg har lukket denne samtale "
    "('{title}'). Intet fra den er gemt på praktikken. Tak for din indsats - spørg din "
    "teamleder, hvis du har spørgsmål."
)

# --- the dialogue tool -----------------------------------------------------------------
REGISTRATION_CORRECTED = "Praktikken {case_ref} er opdateret med det rettede svar."
STATUS_CORRECTED = "Status efter praktik for {case_ref} er opdateret med det rettede svar."
CORRECTED_NOTE_HEAD = "RETTET UDKAST - erstatter det tidligere udkast om samme møde ({date})."
# A correction of what is not a meeting (a registration, an outcome, a status, a period):
CORRECTED_DRAFT_HEAD = "RETTET UDKAST - erstatter udkastet fra '{title}', gemt {date}."
LOCKED_REGISTRATION = (
    "Det svar kan ikke rettes her. Start- og slutdato ændres med 'Ret periode', så "
    "opfølgningerne flyttes med; type, målgruppe og delmål kan ikke ændres på en oprettet "
    "praktik."
)
LOCKED_PERIOD = (
    "Datoerne kan ikke rettes her - brug 'Ret periode' igen, så opfølgningerne flyttes med."
)
LOCKED_FOLLOWUP = (
    "En tilføjet opfølgning rettes ikke her: udskyd den eller markér den som afholdt fra "
    "påmindelsen, eller tilføj en ny."
)
LOCKED_GUIDE = "Mødeguiden gemmer ingen svar, der kan rettes."
LOCKED_MEETING = (
    "Hvilket møde det var og med hvem, kan ikke rettes - registrér mødet igen, hvis det er forkert."
)
LOCKED_PLAN = (
    "Udviklingsplanen rettes ikke her: nye trin har allerede fået påmindelser. Gennemgå "
    "planen ved næste opfølgning (trin kan flyttes eller droppes)."
)
CORRECTION_START = (
    "Du retter et gemt svar i '{title}' fra {date}. De andre svar står, som de blev gemt; "
    "spørgsmål, der afhænger af det rettede svar, stilles igen, hvis det er nødvendigt. "
    "Gem for at få et nyt udkast til journalnotat."
)
CORRECTION_SAVED = "Rettelsen er gemt som en ny version af svaret ({steps})."
NOTHING_TO_CORRECT = "Der er ingen gemte svar, der kan rettes her."
CORRECTION_NOT_FOUND = "Den samtale findes ikke længere, eller du har ikke adgang til den."
GUIDE_NEXT = "Når mødet er holdt: '{label}' registrerer det."
PROPOSAL = (
    "⚠ Svarene viser risiko: {reasons}. Forslag: en ekstra opfølgning {due}. Vil du lægge den ind?"
)
PROPOSAL_ACCEPTED = "Den ekstra opfølgning er lagt ind {due}. Du får en påmindelse på dagen."
PROPOSAL_DECLINED = "Forslaget er afvist. Der er ikke lagt en ekstra opfølgning ind."
PROPOSAL_DONE_BEFORE = "Forslaget er allerede besvaret ({status}). Intet er ændret."
CPR_REFUSED_IN_FORM = (
    "⚠️ Det ligner et CPR-nummer. CPR-numre må ikke skrives her, og intet er gemt. "
    "Fjern det fra feltet, og brug sagens reference eller et pseudonym i stedet."
)
