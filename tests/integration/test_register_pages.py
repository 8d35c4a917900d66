"""The public register's HTML pages (issue 8): no sign-in, search over public words only,
status filter, pages, an entry and a tombstone, three languages, cacheable; every internal
route still asks for sign-in."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from docx import Document

from omd_gov.ratelimit import limiter
from omd_gov.web import register_pages
from tests.integration.conftest import World
from tests.web_support import browser


@pytest.fixture(autouse=True)
def _fresh_limits() -> Iterator[None]:
    limiter.reset()
    yield
    limiter.reset()


def _published(world: World, name: str, **overrides: Any) -> str:
    agreement_id = int(world.create_agreement(title=name)["id"])
    world.to_state(agreement_id, "active")
    url = f"/api/v1/agreements/{agreement_id}/publication"
    answer = world.api.as_(world.transparency).post(url, json={"overrides": overrides})
    assert answer.status_code == 200, answer.json
    return str(answer.json["entry"]["reference"])


def _page(client: Any, url: str, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return str(response.get_data(as_text=True))


def test_the_register_lists_searches_and_filters_without_sign_in(app: Any, world: World) -> None:
    heating = _published(world, "District heating flows")
    hidden = {"title": {"public": False, "justification": "Commercially sensitive title."}}
    secret = _published(world, "Secret tariff study", **hidden)
    draft = world.create_agreement(title="Unsigned draft")["reference"]
    client = browser(app)
    everything = _page(client, "/register")
    assert heating in everything and secret in everything and draft not in everything
    assert "Secret tariff study" not in everything and "(not published)" in everything
    assert heating in _page(client, "/register?q=HEATING")
    assert secret not in _page(client, "/register?q=tariff")  # a hidden title finds nothing
    assert heating not in _page(client, "/register?q=heating+nothing-else")
    assert "2 entries" in everything
    assert heating not in _page(client, "/register?status=withdrawn")
    assert heating in _page(client, "/register?status=in_force")
    assert "No entry matches." in _page(client, "/register?q=%25")  # a % is no wildcard
    assert "No entry matches." in _page(client, "/register?q=_")


def test_the_register_pages_through_its_entries(
    app: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(register_pages, "PER_PAGE", 2)
    references = [_published(world, f"Agreement {n}") for n in range(3)]
    client = browser(app)
    first, second = _page(client, "/register"), _page(client, "/register?page=2")
    assert references[2] in first and references[1] in first and references[0] not in first
    assert references[0] in second and "Page 2 of 2" in second and 'rel="prev"' in second
    assert 'rel="next"' in first and "Page 1 of 2" in first
    assert "No entry matches." in _page(client, "/register?page=9")
    assert references[2] in _page(client, "/register?page=nonsense")  # read as page 1


def test_an_entry_page_shows_only_public_fields_and_a_tombstone_its_reason(
    app: Any, world: World
) -> None:
    hidden = {"party_tax_ids": {"public": False, "justification": "Sole traders."}}
    reference = _published(world, "Meter data", **hidden)
    client = browser(app)
    page = _page(client, f"/register/{reference}")
    assert "Meter data" in page and "Partner Co" in page and "City" in page
    assert "PT1" not in page and "party_tax_ids" in page  # named as not published
    assert client.get("/register/NOPE-1").status_code == 404
    agreement = world.api.as_(world.auditor).get("/api/v1/agreements?q=Meter").json["items"][0]
    url = f"/api/v1/agreements/{agreement['id']}/publication"
    world.api.as_(world.transparency).delete(url, json={"reason": "Signed twice by mistake."})
    tombstone = _page(client, f"/register/{reference}")
    assert "Signed twice by mistake." in tombstone and "Meter data" not in tombstone
    assert reference in _page(client, "/register?status=withdrawn")


def test_the_register_speaks_the_browsers_language_and_is_cacheable(app: Any, world: World) -> None:
    reference = _published(world, "Energy data")
    client = browser(app)
    assert "Registo de transparência" in _page(client, "/register", **{"Accept-Language": "pt"})
    assert "Registro de transparencia" in _page(client, "/register", **{"Accept-Language": "es"})
    spanish = _page(client, f"/register/{reference}", **{"Accept-Language": "es"})
    assert "en vigor" in spanish and 'lang="es"' in spanish
    first = client.get("/register")
    again = client.get("/register", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and first.headers["Cache-Control"] == "public, max-age=300"
    other = client.get("/register", headers={"Accept-Language": "pt"})
    assert other.headers["ETag"] != first.headers["ETag"]  # one per language


def test_every_internal_route_still_needs_sign_in(app: Any, world: World) -> None:
    agreement_id = world.create_agreement()["id"]
    client = browser(app)
    for page in ("/", "/agreements", f"/agreements/{agreement_id}", "/analytics", "/admin"):
        answer = client.get(page)
        assert answer.status_code in (302, 303) and "/login" in answer.headers["Location"], page
    for api in ("/api/v1/agreements", f"/api/v1/agreements/{agreement_id}/publication"):
        assert client.get(api).status_code == 401, api
    assert client.post(f"/api/v1/agreements/{agreement_id}/publication").status_code == 401


def test_the_published_document_is_written_from_the_public_view_only(
    app: Any, world: World
) -> None:
    hidden = {"party_tax_ids": {"public": False, "justification": "Sole traders."}}
    agreement_id = int(world.create_agreement(security_measures="Keys in the HSM.")["id"])
    world.to_state(agreement_id, "active")
    url = f"/api/v1/agreements/{agreement_id}/publication"
    entry = world.api.as_(world.transparency).post(url, json={"overrides": hidden}).json["entry"]
    client = browser(app)
    answer = client.get(f"/register/{entry['reference']}/document.docx")
    assert answer.status_code == 200
    assert answer.mimetype.endswith("wordprocessingml.document")
    text = _docx_text(answer.get_data())
    assert entry["reference"] in text and "Partner Co" in text and entry["object"] in text
    assert "Keys in the HSM." not in text and "PT1" not in text  # internal and overridden
    assert "Not published under the office's redaction policy: party tax ids" in text
    again = client.get(f"/register/{entry['reference']}/document.docx")
    assert again.get_data() == answer.get_data()  # the same entry, the same bytes
    assert client.get("/register/NOPE-1/document.docx").status_code == 404
    world.api.as_(world.transparency).delete(url, json={"reason": "Duplicate."})
    tombstone = _docx_text(client.get(f"/register/{entry['reference']}/document.docx").get_data())
    assert "Duplicate." in tombstone and "Partner Co" not in tombstone


def _docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [c.text for table in document.tables for row in table.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)
