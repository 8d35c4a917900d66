"""Localised values for the document context: a code's label, yes/no,
dates, terms and durations as a legal document writes them (en, es, pt-PT).
The tables are in ``context_labels.py``.
"""

from __future__ import annotations

import re
from datetime import date

from omd_gov.documents.context_labels import (
    ART6_CITATION,
    LANGUAGES,
    LAWFUL_BASIS_POINT,
    NOT_SET,
    YES_NO,
    Labels,
)

_MONTHS = (
    "January February March April May June July August September October November December",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
)
# unit -> (singular, plural) per language
_UNITS = {
    "Y": (("year", "years"), ("año", "años"), ("ano", "anos")),
    "Mo": (("month", "months"), ("mes", "meses"), ("mês", "meses")),
    "W": (("week", "weeks"), ("semana", "semanas"), ("semana", "semanas")),
    "D": (("day", "days"), ("día", "días"), ("dia", "dias")),
    "H": (("hour", "hours"), ("hora", "horas"), ("hora", "horas")),
    "Mi": (("minute", "minutes"), ("minuto", "minutos"), ("minuto", "minutos")),
    "S": (("second", "seconds"), ("segundo", "segundos"), ("segundo", "segundos")),
}
_AND = (" and ", " y ", " e ")
_TERM = ("from {} to {}", "del {} al {}", "de {} a {}")
_ISO_DURATION = re.compile(
    r"^P(?:(?P<Y>\d+)Y)?(?:(?P<Mo>\d+)M)?(?:(?P<W>\d+)W)?(?:(?P<D>\d+)D)?"
    r"(?:T(?:(?P<H>\d+)H)?(?:(?P<Mi>\d+)M)?(?:(?P<S>\d+)S)?)?$"
)


def index(language: str) -> int:
    """Column of ``language`` in the label tables; unknown languages are refused."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; expected one of {LANGUAGES}")
    return LANGUAGES.index(language)


def label(table: Labels, code: str | None, language: str) -> str:
    """The label of ``code``, or the code itself when the table does not know it."""
    if not code:
        return ""
    entry = table.get(code)
    return entry[index(language)] if entry else code


def yes_no(value: bool, language: str) -> str:
    return YES_NO["yes" if value else "no"][index(language)]


def art6_citation(lawful_basis: str | None, language: str) -> str:
    point = LAWFUL_BASIS_POINT.get(lawful_basis or "")
    return ART6_CITATION[index(language)].format(point) if point else ""


def format_date(value: date | None, language: str) -> str:
    """A date as a legal document writes it: 1 March 2026, 1 de marzo de 2026."""
    if value is None:
        return NOT_SET[index(language)]
    month = _MONTHS[index(language)].split()[value.month - 1]
    if language == "en":
        return f"{value.day} {month} {value.year}"
    return f"{value.day} de {month} de {value.year}"


def format_term(start: date | None, end: date | None, language: str) -> str:
    return _TERM[index(language)].format(format_date(start, language), format_date(end, language))


def quantity(count: int, unit: str, language: str) -> str:
    singular, plural = _UNITS[unit][index(language)]
    return f"{count} {singular if count == 1 else plural}"


def format_duration(iso: str | None, language: str) -> str:
    """An ISO 8601 duration read aloud: P1Y6M -> "1 year and 6 months".

    An unparseable value is returned as typed rather than guessed at.
    """
    lang = index(language)
    if not iso:
        return NOT_SET[lang]
    match = _ISO_DURATION.match(iso.strip().upper())
    if not match or not any(match.groupdict().values()):
        return iso
    parts = [quantity(int(n), unit, language) for unit, n in match.groupdict().items() if n]
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + _AND[lang] + parts[-1]
