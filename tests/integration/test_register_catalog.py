"""The register as a DCAT-AP 3 catalogue over HTTP (issue 8): /register/catalog.ttl and
/register/catalog.jsonld answer without sign-in, conform to the official DCAT-AP 3.0.1
shapes, hold only live entries' assets and only public fields, page with Hydra, and are
cacheable and rate limited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rdflib import DCAT, DCTERMS, FOAF, RDF, Graph, URIRef
from rdflib.compare import isomorphic

from omd_gov.ratelimit import limiter
from omd_gov.register.dcat_terms import HYDRA, ODRL, VCARD
from omd_gov.register.dcat_validation import check
from tests.integration.conftest import World

TTL, JSONLD = "/register/catalog.ttl", "/register/catalog.jsonld"
SECRET = "VPN only; keys in the HSM."


@pytest.fixture(autouse=True)
def _fresh_limits() -> Iterator[None]:
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def config(app: Any) -> Iterator[dict[str, Any]]:
    """Change settings for one test; the app is shared, so they are put back."""
    before = dict(app.config)
    yield app.config
    app.config.clear()
    app.config.update(before)


def _published(world: World, **body: Any) -> dict[str, Any]:
    agreement_id = int(world.create_agreement(security_measures=SECRET)["id"])
    world.to_state(agreement_id, "active")
    url = f"/api/v1/agreements/{agreement_id}/publication"
    answer = world.api.as_(world.transparency).post(url, json=body)
    assert answer.status_code == 200, answer.json
    return dict(answer.json["entry"]) | {"agreement_id": agreement_id}


def _graph(response: Any, kind: str = "turtle") -> Graph:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return Graph().parse(data=response.get_data(as_text=True), format=kind)


def test_the_catalogue_conforms_and_holds_only_live_public_entries(app: Any, world: World) -> None:
    hidden = {"title": {"public": False, "justification": "Commercially sensitive name."}}
    live, private = _published(world), _published(world, overrides=hidden)
    withdrawn = _published(world)
    url = f"/api/v1/agreements/{withdrawn['agreement_id']}/publication"
    world.api.as_(world.transparency).delete(url, json={"reason": "Published twice."})
    client = app.test_client()  # nobody signed in
    response = client.get(TTL)
    assert response.mimetype == "text/turtle"
    graph = _graph(response)
    conforms, report = check(graph)
    assert conforms, report
    datasets = {str(d) for d in graph.subjects(RDF.type, DCAT.Dataset)}
    assets = {d.split("#")[0] for d in datasets if "#asset-" in d}
    assert assets == {live["uri"], private["uri"]}  # the tombstone is no dataset
    assert not any(withdrawn["reference"] in str(s) for s in graph.subjects())
    first = URIRef(f"{live['uri']}#asset-1")
    assert graph.value(first, ODRL.hasPolicy) == URIRef(f"{live['uri']}#policy")
    assert graph.value(graph.value(first, DCTERMS.publisher), FOAF.name).toPython() == "City"
    words = {str(o) for o in graph.objects()}
    assert any(live["title"] in word for word in words) and private["title"] is None
    assert not any(SECRET in word for word in words)  # an internal field stays internal
    hidden_title = world.api.as_(world.legal).get(f"/api/v1/agreements/{private['agreement_id']}")
    described = {str(o) for o in graph.objects(URIRef(f"{private['uri']}#asset-1"))}
    assert not any(hidden_title.json["title"] in word for word in described)
    assert any(private["reference"] in word for word in described)


def test_json_ld_is_the_same_catalogue(app: Any, world: World) -> None:
    _published(world)
    client = app.test_client()
    as_json_ld = client.get(JSONLD)
    assert as_json_ld.mimetype == "application/ld+json"
    turtle, json_ld = _graph(client.get(TTL)), _graph(as_json_ld, "json-ld")
    assert isomorphic(_no_paging(turtle), _no_paging(json_ld))
    assert check(json_ld)[0]


def _no_paging(graph: Graph) -> Graph:
    """The graph without its Hydra view (whose address names the format)."""
    out = Graph()
    for triple in graph:
        names_a_page = any(isinstance(t, URIRef) and "catalog." in str(t) for t in triple)
        if not names_a_page and triple[1] not in (HYDRA.view, HYDRA.totalItems):
            out.add(triple)
    return out


def test_an_empty_register_is_a_conforming_catalogue(app: Any) -> None:
    graph = _graph(app.test_client().get(TTL))
    assert check(graph)[0]
    assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == 1  # the register itself


def test_etags_and_cache_headers(app: Any, world: World) -> None:
    _published(world)
    client = app.test_client()
    first = client.get(TTL)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=300"
    again = client.get(TTL, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get(JSONLD).headers["ETag"] != etag  # another representation
    assert client.get(f"{TTL}?page=1", headers={"If-None-Match": etag}).status_code == 304
    _published(world)
    changed = client.get(TTL, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_pages_follow_each_other(app: Any, world: World, config: dict[str, Any]) -> None:
    entries = [_published(world) for _ in range(3)]
    config["OMD_REGISTER_CATALOG_PAGE_SIZE"] = 2
    client = app.test_client()
    seen: list[str] = []
    url: str | None = f"{app.config['OMD_PUBLIC_URL']}{TTL}?page=1"
    while url is not None:
        graph = _graph(client.get(url.replace(app.config["OMD_PUBLIC_URL"], "")))
        assert check(graph)[0]
        seen += sorted({str(d).split("#")[0] for d in graph.subjects(RDF.type, DCAT.Dataset)})
        view = URIRef(url)
        catalog = URIRef(f"{app.config['OMD_PUBLIC_URL']}/register/catalog")
        assert graph.value(catalog, HYDRA.totalItems).toPython() == 3
        following = graph.value(view, HYDRA.next)
        url = str(following) if following is not None else None
    register = f"{app.config['OMD_PUBLIC_URL']}/register"
    assert [uri for uri in seen if uri != register] == [e["uri"] for e in entries]


def test_bad_pages_are_refused_as_problems(app: Any, world: World) -> None:
    _published(world)
    client = app.test_client()
    for page in ("0", "-1", "abc", "1.5", "", "99999999999"):
        refused = client.get(f"{TTL}?page={page}")
        assert refused.status_code == 422, page
        assert refused.mimetype == "application/problem+json"
        assert refused.json["errors"][0]["field"] == "page"
    beyond = client.get(f"{JSONLD}?page=2")
    assert beyond.status_code == 404 and beyond.mimetype == "application/problem+json"


def test_the_catalogue_is_rate_limited_per_address(app: Any, config: dict[str, Any]) -> None:
    client = app.test_client()
    config["OMD_REGISTER_RATE_LIMIT"] = "2 per minute"
    answers = [client.get(TTL).status_code for _ in range(2)]
    refused = client.get(JSONLD)
    other = client.get(TTL, environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert answers == [200, 200]
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert other.status_code == 200


def test_the_configured_licence_themes_and_contact(
    app: Any, world: World, config: dict[str, Any]
) -> None:
    entry = _published(world)
    config["OMD_REGISTER_THEMES"] = "ENER ENVI"
    config["OMD_REGISTER_LICENSE"] = "http://publications.europa.eu/resource/authority/licence/CC0"
    config["OMD_REGISTER_CONTACT_EMAIL"] = "transparency@city.example"
    graph = _graph(app.test_client().get(TTL))
    asset = URIRef(f"{entry['uri']}#asset-1")
    assert {str(t)[-4:] for t in graph.objects(asset, DCAT.theme)} == {"ENER", "ENVI"}
    assert str(graph.value(asset, DCTERMS.license)).endswith("/CC0")
    contact = graph.value(asset, DCAT.contactPoint)
    emails = {str(e) for e in graph.objects(contact, VCARD.hasEmail)}
    assert emails == {"mailto:transparency@city.example"}
    assert check(graph)[0]


@pytest.mark.parametrize(
    ("setting", "value"),
    [("OMD_REGISTER_THEMES", "GOVE NOPE"), ("OMD_REGISTER_CATALOG_PAGE_SIZE", 0)],
)
def test_a_mistyped_catalogue_setting_stops_the_app_at_start_up(setting: str, value: Any) -> None:
    from omd_gov import create_app

    with pytest.raises(RuntimeError, match=setting):
        create_app({"TESTING": True, setting: value})
