"""Checking a catalogue against the official DCAT-AP 3.0.1 SHACL shapes
(``standards/dcat-ap-3.0.1/``, unchanged copies: see the README there), with
pyshacl. The range shapes are included, so every object must carry the class
its property expects. pyshacl is a development dependency: the app never
imports this module; the tests and an operator do
(``python -m omd_gov.register.dcat_validation catalog.ttl``)."""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from pyshacl import validate
from rdflib import SH, Graph
from rdflib.term import Node

SHAPES_DIR = Path(__file__).parent / "standards" / "dcat-ap-3.0.1"
SHAPE_FILES = ("dcat-ap-SHACL.ttl", "ranges.ttl")


@lru_cache(maxsize=1)
def shapes() -> Graph:
    return load_shapes()


def load_shapes() -> Graph:
    """Both files, as published, less the dangling links below."""
    graph = Graph()
    for name in SHAPE_FILES:
        graph.parse(SHAPES_DIR / name, format="turtle")
    for link in dangling_links(graph):
        graph.remove(link)
    return graph


def dangling_links(graph: Graph) -> list[tuple[Node, Node, Node]]:
    """``sh:property`` links to shapes that neither file defines (five in
    the published 3.0.1 files, on the Dataset, Distribution and Relationship
    shapes): they constrain nothing, but pyshacl refuses to run with them, so
    they are left out in memory. Every shape that exists applies unchanged."""
    return [
        (shape, SH.property, target)
        for shape, target in graph.subject_objects(SH.property)
        if (target, SH.path, None) not in graph
    ]


def check(catalog: Graph) -> tuple[bool, str]:
    """(conforms, pyshacl's report as text). Warnings and informational
    results do not make a catalogue fail; violations do."""
    conforms, _report, text = validate(
        catalog, shacl_graph=shapes(), inference="none", allow_warnings=True
    )
    return bool(conforms), str(text)


def main(paths: list[str]) -> int:
    """Check catalogue files (Turtle, or JSON-LD by a .jsonld name); exit 1
    on any violation, printing pyshacl's report."""
    failed = 0
    for path in paths:
        graph = Graph().parse(path, format="json-ld" if path.endswith(".jsonld") else "turtle")
        conforms, text = check(graph)
        print(f"{path}: {'conforms' if conforms else 'DOES NOT CONFORM'}")
        if not conforms:
            print(text)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
