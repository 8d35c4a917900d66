"""The transparency register as a DCAT-AP 3 catalogue (rdflib), built from
the entries' public dicts (``queries.public_page``) only, so nothing an entry
redacts can reach it. docs/OPEN_DATA.md explains the mapping.

- the catalogue, published by the office, with the register itself as a
  dataset whose distributions are the JSON, CSV and HTML feeds;
- each live entry's data assets as datasets (``{entry}#asset-{n}``), with
  the city's signing body as publisher, the office's contact point, the
  configured themes and licence, and the entry's usage policy
  (``{entry}#policy``) attached with ``odrl:hasPolicy``;
- one page of a long register at a time, linked with Hydra paging."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from rdflib import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from omd_gov.register.dcat_graph import Page, add_paging, new_graph
from omd_gov.register.dcat_terms import (
    ACCESS_RIGHT,
    CATALOG_DESCRIPTION,
    DATA_THEME,
    DELIVERY,
    FEEDS,
    FILE_TYPE,
    FREQUENCY,
    IANA,
    ODRL,
    REGISTER_DESCRIPTION,
    THEME_SCHEME,
    THEMES,
    VCARD,
    CatalogSettings,
)

__all__ = ["Page", "asset_description", "build_catalog", "catalog_iri"]


def build_catalog(
    entries: Iterable[Mapping[str, Any]],
    settings: CatalogSettings,
    page: Page | None = None,
    modified: Any = None,
) -> Graph:
    """The catalogue graph. ``entries``: live entries' public dicts (a
    tombstone given by mistake is skipped); ``modified``: when the register
    last changed."""
    graph = new_graph()
    builder = _Builder(graph, settings)
    catalog = builder.catalog(modified)
    for entry in entries:
        if entry.get("status") == "withdrawn":
            continue
        for dataset in builder.entry_datasets(entry):
            graph.add((catalog, DCAT.dataset, dataset))
    if page is not None and page.url:
        add_paging(graph, catalog, page)
    return graph


def catalog_iri(settings: CatalogSettings) -> URIRef:
    return URIRef(f"{settings.base}/register/catalog")


class _Builder:
    """Adds the catalogue's nodes to one graph; shared nodes (agents,
    standards) are made once per graph."""

    def __init__(self, graph: Graph, settings: CatalogSettings):
        self.graph, self.settings = graph, settings
        self.base = settings.base
        self.license = URIRef(settings.license)
        self.themes = [DATA_THEME[code] for code in settings.themes]
        self.contact = URIRef(f"{self.base}/register#contact")
        self._described: set[URIRef] = set()  # shared nodes already typed in this graph
        self.office = self.agent(settings.publisher)
        self._standards: dict[str, Node] = {}
        self._shared()

    def add(self, subject: Node, *pairs: tuple[Node, Node]) -> None:
        for predicate, value in pairs:
            self.graph.add((subject, predicate, value))

    def _shared(self) -> None:
        """The nodes every dataset names: typed, so that the DCAT-AP range
        shapes find the class each property expects."""
        self.add(self.license, (RDF.type, DCTERMS.LicenseDocument))
        title = Literal("Data theme", "en")
        self.add(THEME_SCHEME, (RDF.type, SKOS.ConceptScheme), (DCTERMS.title, title))
        for code, theme in zip(self.settings.themes, self.themes, strict=True):
            label = Literal(THEMES[code], "en")
            self.add(theme, (RDF.type, SKOS.Concept), (SKOS.prefLabel, label))
            self.add(theme, (SKOS.inScheme, THEME_SCHEME))
        contact, office = self.contact, Literal(self.settings.publisher)
        self.add(contact, (RDF.type, VCARD.Kind), (RDF.type, VCARD.Organization))
        self.add(contact, (VCARD.fn, office), (VCARD.hasURL, URIRef(f"{self.base}/register")))
        if self.settings.contact_email:
            email = URIRef(f"mailto:{self.settings.contact_email}")
            self.add(contact, (VCARD.hasEmail, email))

    def agent(self, name: str) -> URIRef:
        """An organisation by its public name (the register publishes names,
        not ids): typed foaf:Agent too, which the range shapes ask for."""
        agent = URIRef(f"{self.base}/register/agents/{quote(name, safe='')}")
        if agent not in self._described:
            self._described.add(agent)
            self.add(agent, (RDF.type, FOAF.Agent), (RDF.type, FOAF.Organization))
            self.add(agent, (FOAF.name, Literal(name)))
        return agent

    def document(self, url: str) -> URIRef:
        page = URIRef(url)
        self.add(page, (RDF.type, FOAF.Document))
        return page

    def catalog(self, modified: Any) -> URIRef:
        catalog = catalog_iri(self.settings)
        register = self.register_dataset(modified)
        self.add(
            catalog,
            (RDF.type, DCAT.Catalog),
            (DCTERMS.title, Literal("Transparency register of data-sharing agreements", "en")),
            (DCTERMS.description, Literal(CATALOG_DESCRIPTION, "en")),
            (DCTERMS.publisher, self.office),
            (DCTERMS.license, self.license),
            (FOAF.homepage, self.document(f"{self.base}/register")),
            (DCAT.themeTaxonomy, THEME_SCHEME),
            (DCAT.dataset, register),
        )
        if modified is not None:
            self.add(catalog, (DCTERMS.modified, Literal(modified, datatype=XSD.dateTime)))
        return catalog

    def register_dataset(self, modified: Any) -> URIRef:
        """The register itself: every entry, tombstones included (its feeds
        keep a withdrawn entry's reference), in three distributions."""
        register = URIRef(f"{self.base}/register#dataset")
        self.add(
            register,
            (RDF.type, DCAT.Dataset),
            (DCTERMS.title, Literal("Register of data-sharing agreements", "en")),
            (DCTERMS.description, Literal(REGISTER_DESCRIPTION, "en")),
            (DCTERMS.publisher, self.office),
            (DCAT.contactPoint, self.contact),
            (DCTERMS.license, self.license),
            (DCTERMS.accessRights, self.rights("PUBLIC")),
            (DCTERMS.accrualPeriodicity, self.typed(FREQUENCY.UPDATE_CONT, DCTERMS.Frequency)),
            (DCAT.landingPage, self.document(f"{self.base}/register")),
            *((DCAT.theme, theme) for theme in self.themes),
        )
        if modified is not None:
            self.add(register, (DCTERMS.modified, Literal(modified, datatype=XSD.dateTime)))
        for suffix, file_type, media_type, title in FEEDS:
            url = URIRef(f"{self.base}/register{suffix}")
            feed = URIRef(f"{self.base}/register#distribution-{file_type.lower()}")
            self.add(
                feed,
                (RDF.type, DCAT.Distribution),
                (DCTERMS.title, Literal(title, "en")),
                (DCAT.accessURL, url),
                (DCAT.downloadURL, url),
                (DCTERMS.format, self.typed(FILE_TYPE[file_type], DCTERMS.MediaTypeOrExtent)),
                (DCAT.mediaType, self.typed(IANA[media_type], DCTERMS.MediaType)),
                (DCTERMS.license, self.license),
            )
            self.add(register, (DCAT.distribution, feed))
        return register

    def typed(self, node: URIRef, cls: URIRef) -> URIRef:
        if node not in self._described:
            self._described.add(node)
            self.add(node, (RDF.type, cls))
        return node

    def rights(self, code: str) -> URIRef:
        return self.typed(ACCESS_RIGHT[code], DCTERMS.RightsStatement)

    def entry_datasets(self, entry: Mapping[str, Any]) -> list[URIRef]:
        """One dataset per data asset of a live entry (none when the entry
        hides its data assets)."""
        assets = entry.get("data_assets") or []
        if not assets:
            return []
        uri = str(entry["uri"])
        policy = URIRef(f"{uri}#policy")
        self.add(policy, (RDF.type, ODRL.Agreement), (RDF.type, ODRL.Policy))
        publisher = self.agent(entry["signing_body"]) if entry.get("signing_body") else self.office
        common = self._entry_common(entry, publisher, policy)
        datasets = []
        for number, asset in enumerate(assets, start=1):
            dataset = URIRef(f"{uri}#asset-{number}")
            self.add(dataset, *common, *self._asset(entry, asset, number))
            datasets.append(dataset)
        return datasets

    def _entry_common(
        self, entry: Mapping[str, Any], publisher: URIRef, policy: URIRef
    ) -> list[tuple[Node, Node]]:
        pairs: list[tuple[Node, Node]] = [
            (RDF.type, DCAT.Dataset),
            (DCTERMS.publisher, publisher),
            (DCAT.contactPoint, self.contact),
            (DCTERMS.license, self.license),
            (ODRL.hasPolicy, policy),
            (DCAT.landingPage, self.document(str(entry["uri"]))),
            (DCTERMS.isReferencedBy, URIRef(str(entry["uri"]))),
            (DCTERMS.issued, Literal(entry["published_at"], datatype=XSD.dateTime)),
            (DCTERMS.modified, Literal(entry["updated_at"], datatype=XSD.dateTime)),
            *((DCAT.theme, theme) for theme in self.themes),
        ]
        term = self._term(entry)
        if term is not None:
            pairs.append((DCTERMS.temporal, term))
        return pairs

    def _term(self, entry: Mapping[str, Any]) -> Node | None:
        """The agreement's term, while its dates are public."""
        start, end = entry.get("start_date"), entry.get("end_date")
        if start is None and end is None:
            return None
        term = BNode()
        self.add(term, (RDF.type, DCTERMS.PeriodOfTime))
        if start is not None:
            self.add(term, (DCAT.startDate, Literal(start, datatype=XSD.date)))
        if end is not None:
            self.add(term, (DCAT.endDate, Literal(end, datatype=XSD.date)))
        return term

    def _asset(
        self, entry: Mapping[str, Any], asset: Mapping[str, Any], number: int
    ) -> list[tuple[Node, Node]]:
        personal = asset.get("personal_data")
        delivery = DELIVERY.get(str(asset.get("delivery")), str(asset.get("delivery")))
        return [
            (DCTERMS.identifier, Literal(f"{entry['reference']}#asset-{number}")),
            (DCTERMS.title, Literal(str(asset["name"]))),
            (DCTERMS.description, Literal(asset_description(entry, asset))),
            (DCTERMS.conformsTo, self.standard(str(asset["standard"]))),
            (DCAT.keyword, Literal(delivery)),
            (DCTERMS.accessRights, self.rights("NON_PUBLIC" if personal else "RESTRICTED")),
        ]

    def standard(self, name: str) -> Node:
        if name not in self._standards:
            node = BNode()
            self.add(node, (RDF.type, DCTERMS.Standard), (RDFS.label, Literal(name)))
            self._standards[name] = node
        return self._standards[name]


def asset_description(entry: Mapping[str, Any], asset: Mapping[str, Any]) -> str:
    """What the asset is, from public fields only (the agreement's object
    and title, when the entry shows them)."""
    delivery = DELIVERY.get(str(asset.get("delivery")), str(asset.get("delivery")))
    personal = "contains personal data" if asset.get("personal_data") else "no personal data"
    about = f"{asset['name']} ({asset['standard']}, {delivery}, {personal}), shared under"
    agreement = f"the data-sharing agreement {entry['reference']}"
    if entry.get("title"):
        agreement += f" \u201c{entry['title']}\u201d"
    text = f"{about} {agreement}."
    if entry.get("object"):
        text += f" Purpose: {entry['object']}"
    return text
