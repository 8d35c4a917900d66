"""The vocabularies the DCAT-AP catalogue uses: namespaces, the EU
Publications Office authority tables it names (data themes, licences, file
types, access rights, frequencies) and the settings the catalogue is built
with. No Flask and no database here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rdflib import Namespace, URIRef

DCATAP = Namespace("http://data.europa.eu/r5r/")
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
AUTHORITY = "http://publications.europa.eu/resource/authority/"
DATA_THEME = Namespace(AUTHORITY + "data-theme/")
FILE_TYPE = Namespace(AUTHORITY + "file-type/")
ACCESS_RIGHT = Namespace(AUTHORITY + "access-right/")
FREQUENCY = Namespace(AUTHORITY + "frequency/")
IANA = Namespace("http://www.iana.org/assignments/media-types/")

# The EU data-theme vocabulary (its English labels): dcat:theme must be a
# skos:Concept with a skos:prefLabel, so the catalogue states both.
THEMES = {
    "AGRI": "Agriculture, fisheries, forestry and food",
    "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport",
    "ENER": "Energy",
    "ENVI": "Environment",
    "GOVE": "Government and public sector",
    "HEAL": "Health",
    "INTR": "International issues",
    "JUST": "Justice, legal system and public safety",
    "OP_DATPRO": "Provisional data",
    "REGI": "Regions and cities",
    "SOCI": "Population and society",
    "TECH": "Science and technology",
    "TRAN": "Transport",
}
DEFAULT_LICENSE = AUTHORITY + "licence/CC_BY_4_0"
THEME_SCHEME = URIRef(str(DATA_THEME).rstrip("/"))
DELIVERY = {"online": "delivered online", "batch": "delivered in batches"}
FEEDS = (  # (suffix, EU file type, IANA media type, title)
    (".json", "JSON", "application/json", "The register as JSON"),
    (".csv", "CSV", "text/csv", "The register as CSV"),
    ("", "HTML", "text/html", "The register's web pages"),
)
CATALOG_DESCRIPTION = (
    "The data-sharing agreements the city has signed, as published in its transparency "
    "register: the register itself and the data assets each agreement shares, with the "
    "agreement's usage policy."
)
REGISTER_DESCRIPTION = (
    "Every published data-sharing agreement: reference, status, parties, object, term, "
    "signatories (name and office), data assets and modifications, as the redaction policy "
    "lets them out. A withdrawn entry stays as a tombstone (reference, dates and reason)."
)


@dataclass(frozen=True)
class CatalogSettings:
    """What the office configures (docs/OPEN_DATA.md lists each setting)."""

    base_url: str
    publisher: str = "Municipal Data Office"  # the office that keeps the register
    contact_email: str = ""  # a generic office address, never a person's
    license: str = DEFAULT_LICENSE
    themes: tuple[str, ...] = ("GOVE",)  # data-theme codes for every agreement's assets
    page_size: int = 250  # entries per catalogue page (about a second each)

    @property
    def base(self) -> str:
        return self.base_url.rstrip("/")


# setting -> (config key, default); read by the routes, listed in docs/OPEN_DATA.md
CONFIG_KEYS: dict[str, tuple[str, Any]] = {
    "publisher": ("OMD_REGISTER_PUBLISHER", "Municipal Data Office"),
    "contact_email": ("OMD_REGISTER_CONTACT_EMAIL", ""),
    "license": ("OMD_REGISTER_LICENSE", DEFAULT_LICENSE),
    "themes": ("OMD_REGISTER_THEMES", "GOVE"),
    "page_size": ("OMD_REGISTER_CATALOG_PAGE_SIZE", 250),
}


def settings_from(config: Any) -> CatalogSettings:
    """The catalogue's settings from a Flask-style config mapping; an unknown
    theme code is an operator's error, refused at once."""
    values = {name: config.get(key, default) for name, (key, default) in CONFIG_KEYS.items()}
    themes = tuple(str(values["themes"]).replace(",", " ").split())
    unknown = [code for code in themes if code not in THEMES]
    if unknown or not themes:
        raise ValueError(f"OMD_REGISTER_THEMES: not EU data-theme codes: {unknown or themes}")
    page_size = int(values["page_size"])
    if page_size < 1:
        raise ValueError("OMD_REGISTER_CATALOG_PAGE_SIZE must be at least 1")
    return CatalogSettings(
        base_url=str(config["OMD_PUBLIC_URL"]),
        publisher=str(values["publisher"]),
        contact_email=str(values["contact_email"]),
        license=str(values["license"]),
        themes=themes,
        page_size=page_size,
    )
