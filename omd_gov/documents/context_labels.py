"""Localised labels for the document context (en, es, pt-PT).

The templates are written one per language, so their fixed wording is
already translated; these tables translate the *values* that come from the
agreement (roles, lawful bases, stages, dates, durations). Plain strings: the
renderer escapes them.
"""

from __future__ import annotations

import re
from datetime import date

LANGUAGES: tuple[str, ...] = ("en", "es", "pt")

# code -> (en, es, pt)
Labels = dict[str, tuple[str, str, str]]

PARTY_ROLES: Labels = {
    "controller": ("Controller", "Responsable del tratamiento", "Responsável pelo tratamento"),
    "joint_controller": (
        "Joint controller",
        "Corresponsable del tratamiento",
        "Responsável conjunto pelo tratamento",
    ),
    "processor": ("Processor", "Encargado del tratamiento", "Subcontratante"),
    "data_provider": ("Data provider", "Proveedor de datos", "Fornecedor de dados"),
    "data_recipient": ("Data recipient", "Destinatario de los datos", "Destinatário dos dados"),
}
ORGANIZATION_KINDS: Labels = {
    "municipality": ("Municipality", "Municipio", "Município"),
    "public_body": ("Public body", "Organismo público", "Entidade pública"),
    "company": ("Company", "Empresa", "Empresa"),
    "research": ("Research centre", "Centro de investigación", "Centro de investigação"),
    "ngo": (
        "Non-profit organisation",
        "Entidad sin ánimo de lucro",
        "Organização sem fins lucrativos",
    ),
}
SHARING_MODELS: Labels = {
    "B2G": (
        "Business-to-Government (B2G)",
        "De empresa a Administración (B2G)",
        "De empresa para a Administração Pública (B2G)",
    ),
    "G2B": (
        "Government-to-Business (G2B)",
        "De Administración a empresa (G2B)",
        "Da Administração Pública para empresa (G2B)",
    ),
    "G2G": (
        "Government-to-Government (G2G)",
        "Entre Administraciones públicas (G2G)",
        "Entre entidades públicas (G2G)",
    ),
    "B2B": ("Business-to-Business (B2B)", "Entre empresas (B2B)", "Entre empresas (B2B)"),
}
LAWFUL_BASES: Labels = {
    "consent": (
        "consent of the data subject",
        "consentimiento del interesado",
        "consentimento do titular dos dados",
    ),
    "contract": (
        "performance of a contract with the data subject",
        "ejecución de un contrato con el interesado",
        "execução de um contrato com o titular dos dados",
    ),
    "legal_obligation": (
        "compliance with a legal obligation",
        "cumplimiento de una obligación legal",
        "cumprimento de uma obrigação jurídica",
    ),
    "vital_interests": (
        "protection of vital interests",
        "protección de intereses vitales",
        "defesa de interesses vitais",
    ),
    "public_task": (
        "performance of a task carried out in the public interest or in the exercise of "
        "official authority",
        "cumplimiento de una misión realizada en interés público o en el ejercicio de "
        "poderes públicos",
        "exercício de funções de interesse público ou de autoridade pública",
    ),
    "legitimate_interests": (
        "legitimate interests",
        "interés legítimo",
        "interesses legítimos",
    ),
}
# Art. 6(1) point of each lawful basis, cited in each language's legal style.
LAWFUL_BASIS_POINT = {
    "consent": "a",
    "contract": "b",
    "legal_obligation": "c",
    "vital_interests": "d",
    "public_task": "e",
    "legitimate_interests": "f",
}
_ART6_CITATION = (
    "Art. 6(1)({}) GDPR",
    "art. 6.1.{}) RGPD",
    "artigo 6.º, n.º 1, alínea {}), do RGPD",
)
DPIA_DECISIONS: Labels = {
    "required": (
        "a DPIA is required and must be completed before any personal data is shared",
        "se requiere una EIPD, que debe completarse antes de comunicar datos personales",
        "é necessária uma AIPD, a concluir antes de qualquer partilha de dados pessoais",
    ),
    "not_required": (
        "no DPIA is required: the sharing is unlikely to result in a high risk to data subjects",
        "no se requiere EIPD: no es probable que la comunicación entrañe un alto riesgo "
        "para los interesados",
        "não é necessária AIPD: não é provável que a partilha resulte num elevado risco "
        "para os titulares dos dados",
    ),
    "done": (
        "a DPIA has been carried out",
        "se ha realizado una EIPD",
        "foi realizada uma AIPD",
    ),
}
DELIVERIES: Labels = {
    "batch": ("Batch", "Por lotes", "Em lote"),
    "online": ("Online", "En línea", "Em linha"),
}
STAGES: Labels = {
    "exploratory": ("Exploratory", "Exploratoria", "Exploratória"),
    "preparatory": ("Preparatory", "Preparatoria", "Preparatória"),
    "implementation": ("Implementation", "Implementación", "Implementação"),
    "operational": ("Operational", "Operativa", "Operacional"),
    "scaling": ("Scaling", "Escalado", "Expansão"),
}
CANVAS_GROUPS: Labels = {
    "data_technical": ("Data and technical", "Datos y tecnología", "Dados e tecnologia"),
    "organisational": ("Organisational", "Organizativo", "Organizacional"),
    "shared_process": ("Shared process", "Proceso compartido", "Processo partilhado"),
}
CANVAS_SECTIONS: Labels = {
    "governance_model": ("Governance model", "Modelo de gobernanza", "Modelo de governação"),
    "implementation_model": (
        "Implementation model",
        "Modelo de implementación",
        "Modelo de implementação",
    ),
    "technical_infrastructure": (
        "Technical infrastructure",
        "Infraestructura técnica",
        "Infraestrutura técnica",
    ),
    "technical_concepts": (
        "Technical concepts / models (MIMs)",
        "Conceptos y modelos técnicos (MIM)",
        "Conceitos e modelos técnicos (MIM)",
    ),
    "key_partners": ("Key partners", "Socios clave", "Parceiros-chave"),
    "resources": ("Resources", "Recursos", "Recursos"),
    "business_case": ("Business case", "Caso de negocio", "Caso de negócio"),
    "shared_data_flow": (
        "Shared data flow",
        "Flujo de datos compartido",
        "Fluxo de dados partilhado",
    ),
    "data_sources": (
        "Data and data sources",
        "Datos y fuentes de datos",
        "Dados e fontes de dados",
    ),
    "context": ("Context", "Contexto", "Contexto"),
    "interoperability": ("Interoperability", "Interoperabilidad", "Interoperabilidade"),
    "added_value": ("Added value", "Valor añadido", "Valor acrescentado"),
    "motivation_objectives": (
        "Motivation and objectives",
        "Motivación y objetivos",
        "Motivação e objetivos",
    ),
}
# The OASC Minimal Interoperability Mechanisms a canvas may name.
MIMS: Labels = {
    "MIM1": (
        "Context information management",
        "Gestión de información de contexto",
        "Gestão de informação de contexto",
    ),
    "MIM2": ("Data models", "Modelos de datos", "Modelos de dados"),
    "MIM3": (
        "Contracts (ecosystem transactions management)",
        "Contratos (gestión de transacciones del ecosistema)",
        "Contratos (gestão de transações do ecossistema)",
    ),
    "MIM4": (
        "Trust (personal data management)",
        "Confianza (gestión de datos personales)",
        "Confiança (gestão de dados pessoais)",
    ),
    "MIM5": (
        "Transparency (fair and transparent AI)",
        "Transparencia (IA justa y transparente)",
        "Transparência (IA justa e transparente)",
    ),
    "MIM6": ("Security", "Seguridad", "Segurança"),
    "MIM7": (
        "Places (geospatial information management)",
        "Lugares (gestión de información geoespacial)",
        "Locais (gestão de informação geoespacial)",
    ),
}
COUNTRIES: Labels = {
    "PT": ("Portugal", "Portugal", "Portugal"),
    "ES": ("Spain", "España", "Espanha"),
    "FR": ("France", "Francia", "França"),
    "IT": ("Italy", "Italia", "Itália"),
    "DE": ("Germany", "Alemania", "Alemanha"),
    "NL": ("the Netherlands", "los Países Bajos", "os Países Baixos"),
    "BE": ("Belgium", "Bélgica", "Bélgica"),
    "IE": ("Ireland", "Irlanda", "Irlanda"),
    "GB": ("the United Kingdom", "el Reino Unido", "o Reino Unido"),
}
YES_NO: Labels = {"yes": ("Yes", "Sí", "Sim"), "no": ("No", "No", "Não")}
NOT_SET: tuple[str, str, str] = ("not yet set", "por determinar", "por determinar")

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
    return _ART6_CITATION[index(language)].format(point) if point else ""


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
