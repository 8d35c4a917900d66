"""The catalogue's graph: rdflib with prefixed names for the vocabularies
only, and Hydra paging between its pages."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD, Graph, Literal, URIRef
from rdflib.namespace import NamespaceManager

from omd_gov.register.dcat_terms import HYDRA, ODRL, VCARD

PREFIXES = {"dcat": DCAT, "dct": DCTERMS, "foaf": FOAF, "odrl": ODRL, "rdf": RDF, "rdfs": RDFS,
            "skos": SKOS, "vcard": VCARD, "hydra": HYDRA, "xsd": XSD}  # fmt: skip


class _Prefixes(NamespaceManager):
    """Prefixed names for the vocabularies only. rdflib would mint a prefix
    (ns1, ns2, ...) for every entry's IRI, each one searching all those
    before it: quadratic, minutes for a few thousand entries. Any other IRI
    is written in full."""

    def __init__(self, graph: Graph):
        super().__init__(graph, bind_namespaces="none")
        for prefix, namespace in PREFIXES.items():
            self.bind(prefix, namespace)
        self.vocabularies = tuple(str(namespace) for namespace in PREFIXES.values())

    def compute_qname(self, uri: str, generate: bool = True) -> tuple[str, URIRef, str]:
        if not str(uri).startswith(self.vocabularies):
            raise KeyError(uri)
        return super().compute_qname(uri, generate=False)


def new_graph() -> Graph:
    graph = Graph(bind_namespaces="none")
    graph.namespace_manager = _Prefixes(graph)
    return graph


@dataclass(frozen=True)
class Page:
    """Which page of the catalogue a graph is (1-based), of how many, and
    how many live entries the whole catalogue holds."""

    number: int = 1
    last: int = 1
    total_entries: int = 0
    url: str = ""  # the page's own address (catalog.ttl?page=n), for Hydra


def add_paging(graph: Graph, catalog: URIRef, page: Page) -> None:
    """Hydra paging, as DCAT-AP harvesters (piveau, CKAN's dcat) follow it:
    the page is a PartialCollectionView of the catalogue."""
    view = URIRef(page.url)

    def at(number: int) -> URIRef:
        return URIRef(f"{page.url.split('?')[0]}?page={number}")

    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, HYDRA.first, at(1)))
    graph.add((view, HYDRA.last, at(page.last)))
    if page.number > 1:
        graph.add((view, HYDRA.previous, at(page.number - 1)))
    if page.number < page.last:
        graph.add((view, HYDRA.next, at(page.number + 1)))
    graph.add((catalog, HYDRA.view, view))
    graph.add((catalog, HYDRA.totalItems, Literal(page.total_entries)))
