"""The register as a DCAT-AP 3 catalogue, built from public entry dicts and
checked against the official DCAT-AP 3.0.1 SHACL shapes (with the range
shapes): what conforms, what must not, and what never reaches the graph."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from rdflib import DCAT, DCTERMS, FOAF, RDF, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from omd_gov.register.dcat import Page, build_catalog
from omd_gov.register.dcat_terms import HYDRA, ODRL, CatalogSettings, settings_from
from omd_gov.register.dcat_validation import (
    SHAPE_FILES,
    SHAPES_DIR,
    check,
    dangling_links,
    load_shapes,
    main,
)

BASE = "https://omd.example.org"
SETTINGS = CatalogSettings(base_url=BASE + "/", contact_email="transparency@omd.example.org")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _entry(number: int = 1, **changes: Any) -> dict[str, Any]:
    reference = f"OMD-2026-{number:04d}"
    entry = {
        "reference": reference,
        "uri": f"{BASE}/register/{reference}",
        "status": "in_force",
        "published_at": NOW,
        "updated_at": NOW,
        "title": "District heating flows",
        "object": "Plan the heating network's maintenance.",
        "signing_body": "City of Porto",
        "start_date": date(2026, 1, 1),
        "end_date": date(2027, 12, 31),
        "data_assets": [
            {"name": "Flows", "standard": "NGSI-LD", "delivery": "online", "personal_data": False},
            {"name": "Meters", "standard": "CSV", "delivery": "batch", "personal_data": True},
        ],
    }
    return entry | changes


def _asset(number: int, n: int) -> URIRef:
    return URIRef(f"{BASE}/register/OMD-2026-{number:04d}#asset-{n}")


def test_a_catalogue_conforms_to_dcat_ap_3() -> None:
    graph = build_catalog([_entry(1), _entry(2)], SETTINGS, modified=NOW)
    conforms, report = check(graph)
    assert conforms, report
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    register = URIRef(f"{BASE}/register#dataset")
    assert datasets == {register, _asset(1, 1), _asset(1, 2), _asset(2, 1), _asset(2, 2)}
    feeds = {graph.value(d, DCAT.downloadURL) for d in graph.objects(register, DCAT.distribution)}
    assert feeds == {URIRef(f"{BASE}/register{s}") for s in (".json", ".csv", "")}
    policy = URIRef(f"{BASE}/register/OMD-2026-0001#policy")
    assert graph.value(_asset(1, 2), ODRL.hasPolicy) == policy
    publisher = graph.value(_asset(1, 1), DCTERMS.publisher)
    assert graph.value(publisher, FOAF.name) == Literal("City of Porto")
    assert {FOAF.Agent, FOAF.Organization} <= set(graph.objects(publisher, RDF.type))
    description = str(graph.value(_asset(1, 1), DCTERMS.description))
    assert "Flows" in description and "OMD-2026-0001" in description
    assert "Plan the heating" in description


def test_a_dataset_without_a_description_fails() -> None:
    graph = build_catalog([_entry()], SETTINGS)
    graph.remove((_asset(1, 1), DCTERMS.description, None))
    conforms, report = check(graph)
    assert not conforms
    assert "MinCountConstraintComponent" in report and str(_asset(1, 1)) in report


def test_the_range_shapes_apply_a_publisher_only_an_organisation_fails() -> None:
    graph = build_catalog([_entry()], SETTINGS)
    publisher = graph.value(_asset(1, 1), DCTERMS.publisher)
    graph.remove((publisher, RDF.type, FOAF.Agent))
    conforms, report = check(graph)
    assert not conforms and "ClassConstraintComponent" in report


def test_the_published_shapes_are_used_as_they_are() -> None:
    raw = Graph()
    for name in SHAPE_FILES:
        raw.parse(SHAPES_DIR / name)
    used = load_shapes()
    # Only the links to shapes that neither file defines are left out.
    assert set(raw) - set(used) == set(dangling_links(raw)) and len(dangling_links(raw)) == 5
    assert set(used) <= set(raw) and dangling_links(used) == []


def test_tombstones_and_hidden_fields_never_reach_the_catalogue() -> None:
    withdrawn = _entry(2, status="withdrawn", title=None, object=None, data_assets=None)
    hidden = _entry(3, title=None, object=None, signing_body=None, start_date=None, end_date=None)
    no_assets = _entry(4, data_assets=None)
    graph = build_catalog([withdrawn, hidden, no_assets], SETTINGS)
    conforms, report = check(graph)
    assert conforms, report
    subjects = {str(s) for s in graph.subjects()}
    assert not any("OMD-2026-0002" in s or "OMD-2026-0004" in s for s in subjects)
    turtle = graph.serialize(format="turtle")
    assert "District heating" not in turtle and "Plan the heating" not in turtle
    assert "City of Porto" not in turtle  # the hidden signing body: the office publishes
    office = graph.value(_asset(3, 1), DCTERMS.publisher)
    assert graph.value(office, FOAF.name) == Literal(SETTINGS.publisher)
    assert graph.value(_asset(3, 1), DCTERMS.temporal) is None
    assert graph.value(_asset(3, 1), DCTERMS.description) is not None


def test_the_same_graph_in_turtle_and_json_ld() -> None:
    graph = build_catalog([_entry(1), _entry(2)], SETTINGS)
    turtle = Graph().parse(data=graph.serialize(format="turtle"), format="turtle")
    json_ld = Graph().parse(data=graph.serialize(format="json-ld"), format="json-ld")
    assert isomorphic(turtle, graph) and isomorphic(json_ld, graph)
    assert "@prefix dcat: <http://www.w3.org/ns/dcat#>" in graph.serialize(format="turtle")


def test_pages_link_to_each_other_with_hydra() -> None:
    url = f"{BASE}/register/catalog.ttl?page=2"
    graph = build_catalog([_entry()], SETTINGS, Page(2, 3, 25, url))
    view = URIRef(url)
    assert (None, HYDRA.view, view) in graph
    at = {p: str(graph.value(view, p)) for p in (HYDRA.first, HYDRA.previous, HYDRA.next)}
    assert at[HYDRA.first].endswith("?page=1") and at[HYDRA.previous].endswith("?page=1")
    assert at[HYDRA.next].endswith("?page=3")
    assert str(graph.value(view, HYDRA.last)).endswith("?page=3")
    only = f"{BASE}/register/catalog.ttl?page=1"
    first = build_catalog([_entry()], SETTINGS, Page(1, 1, 1, only))
    view = URIRef(only)
    assert first.value(view, HYDRA.next) is None and first.value(view, HYDRA.previous) is None
    assert check(graph)[0]


def test_settings_come_from_the_config_and_bad_themes_are_refused() -> None:
    config = {"OMD_PUBLIC_URL": BASE, "OMD_REGISTER_THEMES": "ENER, ENVI"}
    settings = settings_from(config)
    assert settings.themes == ("ENER", "ENVI") and settings.license.endswith("CC_BY_4_0")
    graph = build_catalog([_entry()], settings)
    themes = {str(t).rsplit("/", 1)[-1] for t in graph.objects(_asset(1, 1), DCAT.theme)}
    assert themes == {"ENER", "ENVI"} and check(graph)[0]
    for bad in ("ENERGY", "", "GOVE NOPE"):
        with pytest.raises(ValueError, match="OMD_REGISTER_THEMES"):
            settings_from({"OMD_PUBLIC_URL": BASE, "OMD_REGISTER_THEMES": bad})
    with pytest.raises(ValueError, match="PAGE_SIZE"):
        settings_from({"OMD_PUBLIC_URL": BASE, "OMD_REGISTER_CATALOG_PAGE_SIZE": 0})


def test_no_contact_email_still_gives_a_contact_point() -> None:
    graph = build_catalog([_entry()], CatalogSettings(base_url=BASE))
    contact = graph.value(_asset(1, 1), DCAT.contactPoint)
    assert contact is not None and check(graph)[0]
    assert "mailto:" not in graph.serialize(format="turtle")


def test_an_operator_checks_a_downloaded_catalogue(tmp_path: Any, capsys: Any) -> None:
    good, broken = tmp_path / "catalog.jsonld", tmp_path / "broken.ttl"
    graph = build_catalog([_entry()], SETTINGS)
    good.write_text(graph.serialize(format="json-ld"))
    graph.remove((_asset(1, 2), DCTERMS.description, None))
    broken.write_text(graph.serialize(format="turtle"))
    assert main([str(good)]) == 0
    assert main([str(good), str(broken)]) == 1
    out = capsys.readouterr().out
    assert f"{good}: conforms" in out and f"{broken}: DOES NOT CONFORM" in out
