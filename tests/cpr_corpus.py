"""The corpus of CPR lookalikes (tests/data/cpr_lookalikes.txt) and the detector's
false-positive rate on it.

Lookalikes are things consultants write that are *not* CPR numbers: Danish phone
numbers, dates with times, amounts, P-numbers that do not read as a date, case and
journal numbers - alone, inside Danish sentences and several in one note. The file is
generated (seeded, so the same every time) plus hand-written lines, and committed.

    python -m tests.cpr_corpus            # print the false-positive rate (README)
    python -m tests.cpr_corpus --write    # regenerate the file
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dialogues.cpr import contains_cpr

CORPUS = Path(__file__).resolve().parent / "data" / "cpr_lookalikes.txt"
SEED = 20261130
PER_KIND = 250

MONTHS: tuple[str, ...] = ("januar", "februar", "marts", "april", "maj", "juni", "juli")
MONTHS += ("august", "september", "oktober", "november", "december")

# Lookalikes the detector refuses, documented in the README: a written date directly
# followed by a four-digit number reads as a birth date and its serial.
KNOWN_REFUSED = (
    "Mødet er 01.01.2027 1430 hos virksomheden.",
    "Start 01.12.2026 2300 København S",
)

HAND_WRITTEN = {
    "phone": [
        "+45 12 34 56 78",
        "Ring til kontaktpersonen på +45 20 30 40 50.",
        "Tlf. 12345678 (mobil).",
        "Mobil: 20 11 90 12",
        "Kontakt: Eksempel, tlf. +4522334455",
        "Telefon 0045 31 01 01 90",
    ],
    "datetime": [
        "15.03.2026 14:30",
        "15.03.2026 kl. 14.30",
        "2026-03-15 14:30",
        "Mødet er 15.03.2026 14.30-16.00 hos virksomheden.",
        "Opstart 01.12.2026 kl. 9, midtvejs 15.01.2027 kl. 10.30.",
        "Start 2026-12-01 08.00-15.30, slut 2027-01-12 10.00-12.00.",
        "Ansat 01.03.2011 14.30-16.00 i en anden funktion.",
        "Praktikken løber fra 1/12-2026 til 12/1-2027.",
        "Næste møde 10/11/2026 kl. 13:00-14:00.",
    ],
    "amount": [
        "12.500,00 kr",
        "kr. 10.000-12.000",
        "Lønnen er 28.500,00 kr. om måneden før skat.",
        "Tilskud på kr. 1.250,50 pr. uge",
        "DKK 125.000 årligt",
    ],
    "p_number": [
        "P-nr. 1015678901",
        "P-nummer 1023456789 (Eksempel ApS)",
        "Virksomhedens P-nr er 1987654321.",
    ],
    "date_number": [
        "Praktikperiode 01.01.2026 - 31.01.2026.",
        "Periode 01/03/2026-28/03/2026, 30 timer om ugen",
        "Møder 01.12.2026 02.12.2026 03.12.2026 hos virksomheden.",
        "Mødet 15.03.2026 10-12 i kantinen.",
        "Fra 01.01.2026 1.500 kr. om ugen i tilskud.",
        "Ansat 1.1.1990 14.30-16.00 (ældre ansættelse).",
        # Known to be refused (README): a date directly followed by a four-digit number.
        *KNOWN_REFUSED,
    ],
    "case_number": [
        "SAG-2026-0412",
        "Sagsnummer SAG-2026-0412, journalnr. 2026-12345.",
        "J.nr. 26/01234 og SAG-1",
        "KBH-77 og KBH-12",
        "CVR 12345678",
    ],
}


@dataclass(frozen=True)
class Line:
    kind: str
    text: str


def _phone(rng: random.Random) -> str:
    number = f"{rng.randint(2, 9)}{rng.randint(0, 9_999_999):07d}"
    pairs = " ".join(number[i : i + 2] for i in range(0, 8, 2))
    shapes = [
        number,
        pairs,
        f"+45 {pairs}",
        f"+45{number}",
        f"0045 {number}",
        f"{number[:4]} {number[4:]}",
        f"(+45) {pairs}",
    ]
    shape = rng.choice(shapes)
    sentence = rng.choice(
        [
            "{x}",
            "Ring til kontaktpersonen på {x}.",
            "Tlf. {x}",
            "Kontaktperson: Eksempel, telefon {x}, træffes mellem 9 og 15.",
            "Mobil {x} - bedst om formiddagen",
        ]
    )
    return sentence.format(x=shape)


def _date(rng: random.Random) -> dt.date:
    start = dt.date(1995, 1, 1) if rng.random() < 0.2 else dt.date(2020, 1, 1)
    return start + dt.timedelta(days=rng.randint(0, (dt.date(2028, 12, 31) - start).days))


def _datetime(rng: random.Random) -> str:
    day = _date(rng)
    hour, minute = rng.randint(7, 17), rng.choice([0, 15, 30, 45])
    end_hour = min(hour + rng.randint(1, 3), 23)
    d, m, y = day.day, day.month, day.year
    shapes = [
        f"{d:02d}.{m:02d}.{y} {hour:02d}:{minute:02d}",
        f"{d:02d}.{m:02d}.{y} kl. {hour:02d}.{minute:02d}",
        f"{y}-{m:02d}-{d:02d} {hour:02d}:{minute:02d}",
        f"{y}-{m:02d}-{d:02d} {hour:02d}.{minute:02d}",
        f"{d}/{m}-{y} kl. {hour}",
        f"{d:02d}-{m:02d}-{y} {hour:02d}.{minute:02d}",
        f"{d:02d}.{m:02d}.{y} {hour:02d}.{minute:02d}",
        f"{d:02d}/{m:02d}/{y} {hour:02d}:{minute:02d}",
        f"den {d}. {MONTHS[m - 1]} {y} kl. {hour:02d}.{minute:02d}",
        f"{d:02d}.{m:02d}.{y} {hour:02d}.{minute:02d}-{end_hour:02d}.00",
        f"{y}-{m:02d}-{d:02d} {hour:02d}.{minute:02d}-{end_hour:02d}.00",
        f"{d:02d}.{m:02d}.{y}, {hour:02d}.{minute:02d}",
        f"{d}.{m}.{y} {hour}.{minute:02d}",
        f"{d:02d}.{m:02d} kl. {hour:02d}.{minute:02d}",
    ]
    shape = rng.choice(shapes)
    sentence = rng.choice(
        [
            "{x}",
            "Mødet er {x} hos virksomheden.",
            "Opfølgning {x} med borger og kontaktperson.",
            "Borgeren starter {x}.",
        ]
    )
    return sentence.format(x=shape)


def _thousands(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _amount(rng: random.Random) -> str:
    low = rng.randint(1, 60) * 500
    high = low + rng.randint(1, 10) * 500
    ore = rng.randint(0, 99)
    shapes = [
        f"{_thousands(low)},{ore:02d} kr",
        f"kr. {_thousands(low)}-{_thousands(high)}",
        f"{_thousands(low)} kr. om måneden",
        f"DKK {_thousands(low * 10)}",
        f"kr. {_thousands(low)},{ore:02d}",
        f"mellem {_thousands(low)} og {_thousands(high)} kr.",
        f"{_thousands(low)}-{_thousands(high)} kr. pr. måned",
        f"løn {_thousands(low)},00 kr før skat",
    ]
    return rng.choice(shapes)


def _not_date_like_p_number(rng: random.Random) -> str:
    while True:
        number = f"1{rng.randint(0, 999_999_999):09d}"
        if not contains_cpr(number):
            break
    return rng.choice(["{x}", "P-nr. {x}", "P-nummer: {x}", "Virksomhedens P-nr. er {x}."]).format(
        x=number
    )


def _date_number(rng: random.Random) -> str:
    """A written date (four- or two-digit year, with or without leading zeros) followed
    by other numbers: a clock time, an hour range, another date, a period, an amount."""
    day, end = _date(rng), _date(rng)
    hour, minute = rng.randint(7, 17), rng.choice([0, 15, 30, 45])
    d, m, y = day.day, day.month, day.year
    e_d, e_m, e_y = end.day, end.month, end.year
    low = rng.randint(1, 9) * 500
    shapes = [
        f"{d:02d}.{m:02d}.{y} {hour:02d}.{minute:02d}",
        f"{d}.{m}.{y} {hour}.{minute:02d}",
        f"{d:02d}.{m:02d}.{y % 100:02d} kl. {hour:02d}.{minute:02d}",
        f"{d}.{m}.{y % 100:02d} {hour % 10}.{minute:02d}",
        f"{d:02d}.{m:02d}.{y} {hour:02d}-{hour + 2:02d}",
        f"{d:02d}.{m:02d}.{y} - {e_d:02d}.{e_m:02d}.{e_y}",
        f"{d}/{m}-{y} - {e_d}/{e_m}-{e_y}",
        f"{d:02d}/{m:02d}/{y}-{e_d:02d}/{e_m:02d}/{e_y}",
        f"{d:02d}.{m:02d}.{y} {e_d:02d}.{e_m:02d}.{e_y}",
        f"{y}-{m:02d}-{d:02d} {e_y}-{e_m:02d}-{e_d:02d}",
        f"{d:02d}.{m:02d}.{y} {_thousands(low)} kr.",
        f"{d:02d}.{m:02d}.{y} {e_d:02d}.{e_m:02d} {hour:02d}.{minute:02d}",
    ]
    sentence = rng.choice(["{x}", "Periode: {x}", "Aftalt {x} med virksomheden.", "({x})"])
    return sentence.format(x=rng.choice(shapes))


def _case_number(rng: random.Random) -> str:
    year = rng.randint(2020, 2028)
    serial = rng.randint(1, 9999)
    shapes = [
        f"SAG-{year}-{serial:04d}",
        f"SAG-{serial}",
        f"J.nr. {year}-{rng.randint(1, 99999):05d}",
        f"sag nr. {year % 100:02d}/{rng.randint(1, 99999):05d}",
        f"KBH-{serial}",
        f"Journalnr. {year}-{serial:04d}-{rng.randint(1, 999):03d}",
        f"CVR {rng.randint(10_000_000, 99_999_999)}",
    ]
    return rng.choice(shapes)


def _mixed(rng: random.Random) -> str:
    """Several numbers in one note: address, hours, a time range, a date and a phone."""
    street = rng.choice(["Eksempelvej", "Prøvegade", "Testallé"])
    postcode = rng.randint(1000, 2999)
    shapes = [
        f"{street} {rng.randint(1, 150)}, {rng.randint(1, 5)}. th., {postcode} København",
        f"{rng.randint(8, 37)} timer om ugen i {rng.randint(2, 13)} uger, "
        f"{rng.randint(7, 9):02d}.00-{rng.randint(14, 16)}.00",
        f"Uge {rng.randint(1, 40)}-{rng.randint(41, 52)}: {rng.randint(2, 5)} dage om ugen",
        f"Møde {_datetime(rng)} - ring {_phone(rng)} først",
        f"{_case_number(rng)}: {_datetime(rng)}, {_amount(rng)}",
        f"Kl. {rng.randint(7, 10)}.30 til {rng.randint(13, 16)}.00, pause {rng.randint(11, 12)}.00",
    ]
    return rng.choice(shapes)


GENERATORS: dict[str, Callable[[random.Random], str]] = {
    "phone": _phone,
    "datetime": _datetime,
    "amount": _amount,
    "p_number": _not_date_like_p_number,
    "date_number": _date_number,
    "case_number": _case_number,
    "mixed": _mixed,
}


def generate() -> Iterator[Line]:
    rng = random.Random(SEED)
    for kind, lines in HAND_WRITTEN.items():
        for text in lines:
            yield Line(kind, text)
    for kind, make in GENERATORS.items():
        for _ in range(PER_KIND):
            yield Line(kind, make(rng))


def write(path: Path = CORPUS) -> None:
    header = (
        "# CPR lookalikes: text that is NOT a CPR number (synthetic). One per line,\n"
        "# <kind><TAB><text>. Generated by `python -m tests.cpr_corpus --write`.\n"
    )
    body = "".join(f"{line.kind}\t{line.text}\n" for line in generate())
    path.write_text(header + body, encoding="utf-8")


def read(path: Path = CORPUS) -> list[Line]:
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw and not raw.startswith("#"):
            kind, _, text = raw.partition("\t")
            lines.append(Line(kind, text))
    return lines


@dataclass(frozen=True)
class Rate:
    total: int
    refused: tuple[Line, ...]

    @property
    def percent(self) -> float:
        return 100 * len(self.refused) / self.total

    def sentence(self) -> str:
        """As the README states it."""
        return (
            f"{len(self.refused)} of {self.total} lookalikes refused "
            f"({self.percent:.1f} % false positives)"
        )


def false_positive_rate(path: Path = CORPUS) -> Rate:
    lines = read(path)
    return Rate(total=len(lines), refused=tuple(x for x in lines if contains_cpr(x.text)))


def main(argv: list[str]) -> int:
    if "--write" in argv:
        write()
    rate = false_positive_rate()
    print(rate.sentence())
    for line in rate.refused:
        print(f"  {line.kind}: {line.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
