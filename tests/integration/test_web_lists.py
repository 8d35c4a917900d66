"""The agreements list page and its CSV export: every filter narrows the rows,
the filters live in the URL and survive the page links, a partner sees only
their organisation's agreements (page and CSV), the CSV is RFC 4180 with a
BOM and no live formulas, and the page's statements do not grow with rows."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import update

from omd_gov.db import db
from omd_gov.deadlines.models import Deadline
from omd_gov.web import lists
from tests.factories import Factory, agreement_payload
from tests.integration.conftest import World
from tests.integration.test_statement_count import counted
from tests.web_support import Browser, browser, sign_in, web_user

_REFERENCES = re.compile(r'<a href="/agreements/\d+">([^<]+)</a>')


def _officer(app: Any, factory: Factory, role: str = "legal_officer", org: int | None = None):
    _account, email = web_user(factory, role, org)
    client = browser(app)
    assert sign_in(client, email).status_code == 303
    return client


def _shown(client: Browser, url: str) -> list[str]:
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)
    return _REFERENCES.findall(page.get_data(as_text=True))


def _csv(client: Browser, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def _make_overdue(agreement_id: int) -> None:
    db.session.execute(
        update(Deadline)
        .where(Deadline.agreement_id == agreement_id)
        .values(due_on=date(2001, 1, 2))
    )
    db.session.commit()


def _without_partner(world: World, **overrides: Any) -> dict[str, Any]:
    """Between the city and the other partner, with no personal data."""
    parties = [world.parties()[0], world.parties()[2]]
    payload = agreement_payload(world.cooperation_id, parties, personal=False, **overrides)
    response = world.api.as_(world.data_officer).post("/api/v1/agreements", json=payload)
    assert response.status_code == 201, response.json
    return dict(response.json)


@pytest.fixture
def rows(world: World) -> dict[str, dict[str, Any]]:
    """Four agreements that differ in one filter each."""
    made = {
        "plain": world.create_agreement(title="Plain pilot"),
        "b2b": world.create_agreement(title="Mobility exchange", sharing_model="B2B"),
        "anonymous": _without_partner(world, title="Open statistics"),
        "review": world.create_agreement(title="Reviewed waste data", end_date="2027-06-30"),
    }
    world.to_state(made["review"]["id"], "legal_review")
    return made


def _refs(rows: dict[str, dict[str, Any]], *names: str) -> set[str]:
    return {rows[name]["reference"] for name in names}


def test_each_filter_narrows_the_rows(app, factory, world, rows) -> None:
    client = _officer(app, factory)
    assert set(_shown(client, "/agreements")) == _refs(rows, "plain", "b2b", "anonymous", "review")
    cases = {
        "state=legal_review": ("review",),
        f"organization_id={world.partner}": ("plain", "b2b", "review"),
        "sharing_model=B2B": ("b2b",),
        "personal_data=no": ("anonymous",),
        "personal_data=yes": ("plain", "b2b", "review"),
        "q=mobility": ("b2b",),
        f"q={rows['plain']['reference']}": ("plain",),
        "state=draft&sharing_model=B2G&personal_data=yes": ("plain",),
        f"cooperation_id={world.cooperation_id}&q=pilot": ("plain",),
    }
    for query, expected in cases.items():
        assert set(_shown(client, f"/agreements?{query}")) == _refs(rows, *expected), query


def test_an_empty_form_field_means_any_and_the_form_shows_the_filters(
    app, factory, world, rows
) -> None:
    client = _officer(app, factory)
    url = "/agreements?q=&state=draft&organization_id=&sharing_model=B2B&personal_data=yes"
    assert set(_shown(client, url)) == _refs(rows, "b2b")
    html = client.get(url).get_data(as_text=True)
    assert '<option value="draft" selected>' in html and '<option value="B2B" selected>' in html
    assert re.search(r'<select id="f-personal_data"[^>]*>.*?value="yes" selected', html, re.S)
    assert '<label for="f-state">' in html and 'scope="col"' in html


def test_overdue_reads_open_deadlines_past_due_that_the_user_may_read(
    app, factory, world, rows
) -> None:
    office = _officer(app, factory)
    assert _shown(office, "/agreements?overdue=yes") == []
    _make_overdue(rows["review"]["id"])  # the legal review, assigned to the office
    assert set(_shown(office, "/agreements?overdue=yes")) == _refs(rows, "review")
    assert set(_shown(office, "/agreements?overdue=no")) == _refs(rows, "plain", "b2b", "anonymous")
    # The partner is a party of it, but the late deadline is not theirs to read.
    partner = _officer(app, factory, "signatory", world.partner)
    assert set(_shown(partner, "/agreements")) >= _refs(rows, "review")
    assert _shown(partner, "/agreements?overdue=yes") == []


def test_sorting_follows_a_whitelist(app, factory, world, rows) -> None:
    client = _officer(app, factory)
    made = [rows[name]["reference"] for name in ("plain", "b2b", "anonymous", "review")]
    assert _shown(client, "/agreements?sort=oldest") == made
    assert _shown(client, "/agreements") == made[::-1]
    assert _shown(client, "/agreements?sort=reference") == sorted(made)
    by_title = ["b2b", "anonymous", "plain", "review"]
    assert _shown(client, "/agreements?sort=title") == [rows[n]["reference"] for n in by_title]
    # The earliest end date first; the others share one, then newest id last.
    assert _shown(client, "/agreements?sort=end_date")[0] == rows["review"]["reference"]


def test_the_page_links_keep_the_filters(app, factory, world, rows) -> None:
    client = _officer(app, factory)
    first = client.get("/agreements?per_page=1&personal_data=yes&sort=oldest&q=a")
    html = first.get_data(as_text=True)
    found = re.search(r'<a rel="next" href="([^"]+)"', html)
    assert found, html
    following = found.group(1).replace("&amp;", "&")
    for part in ("per_page=1", "personal_data=yes", "sort=oldest", "q=a", "page=2"):
        assert part in following
    second = client.get(following).get_data(as_text=True)
    assert _REFERENCES.findall(second) == [rows["b2b"]["reference"]]
    back = re.search(r'<a rel="prev" href="([^"]+)"', second)
    assert back and "personal_data=yes" in back.group(1) and "page=1" in back.group(1)
    csv_link = re.search(r'href="(/agreements\.csv[^"]*)"', html)
    assert csv_link and "personal_data=yes" in csv_link.group(1) and "page" not in csv_link.group(1)


@pytest.mark.parametrize(
    "query", ["state=nonsense", "page=-1", "page=abc", "organization_id=0", "sort=purpose;drop"]
)
def test_a_bad_filter_is_a_400_page_naming_the_field(app, factory, world, query) -> None:
    client = _officer(app, factory)
    for url in (f"/agreements?{query}", f"/agreements.csv?{query}"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and response.mimetype == "text/html"
        field = query.split("=")[0].replace("_", " ")
        assert "These filters cannot be used" in html and field in html
        assert 'id="f-state"' in html  # the form is still there to fix it


def test_unknown_parameters_and_cursors_are_ignored(app, factory, world, rows) -> None:
    client = _officer(app, factory)
    assert len(_shown(client, "/agreements?utm_source=mail&cursor=forged")) == 4


def test_a_partner_never_sees_another_partners_agreement(app, factory, world, rows) -> None:
    partner = _officer(app, factory, "signatory", world.partner)
    hidden = rows["anonymous"]["reference"]
    for query in ("", "?q=statistics", f"?organization_id={world.other_partner}", "?sort=title"):
        assert hidden not in _shown(partner, f"/agreements{query}")
        assert hidden not in partner.get(f"/agreements.csv{query}").get_data(as_text=True)
    assert set(_shown(partner, "/agreements")) == _refs(rows, "plain", "b2b", "review")
    assert len(_csv(partner, "/agreements.csv")) == 1 + 3


def test_the_csv_is_rfc4180_with_a_bom_and_no_live_formulas(app, factory, world, rows) -> None:
    tricky = world.create_agreement(title='Comma, "quote"\nand a newline')
    formula = world.create_agreement(title='=HYPERLINK("http://x")')
    at = world.create_agreement(title="@SUM(A1)", sharing_model="B2B")
    client = _officer(app, factory)
    response = client.get("/agreements.csv?sort=oldest")
    assert response.headers["Content-Disposition"] == 'attachment; filename="agreements.csv"'
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    raw = response.get_data(as_text=True)
    assert '"Comma, ""quote""\nand a newline"' in raw and "\r\n" in raw
    table = _csv(client, "/agreements.csv?sort=oldest")
    assert table[0] == list(lists.CSV_HEADER)
    by_reference = {row[0]: row for row in table[1:]}
    assert by_reference[tricky["reference"]][1] == 'Comma, "quote"\nand a newline'
    assert by_reference[formula["reference"]][1] == '\'=HYPERLINK("http://x")'
    assert by_reference[at["reference"]][1] == "'@SUM(A1)"
    plain = by_reference[rows["plain"]["reference"]]
    assert plain[2:5] == ["draft", "B2G", str(world.cooperation_id)]
    assert plain[5] == "City; Partner Co; Other Partner"
    assert plain[6:9] == ["2026-01-01", "2027-12-31", "simple"] and plain[9].startswith("20")


def test_the_csv_streams_every_matching_row_in_batches(
    app, factory, world, rows, monkeypatch
) -> None:
    monkeypatch.setattr(lists, "CSV_BATCH", 2)
    for n in range(3):
        world.create_agreement(title=f"Extra {n}")
    client = _officer(app, factory)
    for sort in ("newest", "oldest", "reference", "title", "end_date"):
        table = _csv(client, f"/agreements.csv?sort={sort}&per_page=1&page=3")
        references = [row[0] for row in table[1:]]
        assert len(references) == len(set(references)) == 7, sort
        assert references == _shown(client, f"/agreements?sort={sort}&per_page=50"), sort
    assert [row[0] for row in _csv(client, "/agreements.csv?personal_data=no")[1:]] == [
        rows["anonymous"]["reference"]
    ]


def test_the_pages_statements_do_not_grow_with_the_agreements(app, factory, world) -> None:
    client = _officer(app, factory)

    def statements() -> int:
        with counted(app) as seen:
            assert client.get("/agreements?personal_data=yes&overdue=no").status_code == 200
        return len(seen["statements"])

    world.create_agreement()
    few = statements()
    for _ in range(5):
        world.create_agreement()
    assert statements() == few <= 6


def test_the_api_shares_the_filters_and_orders(world, rows) -> None:
    api = world.api.as_(world.legal)
    listed = api.get("/api/v1/agreements?personal_data=true&sharing_model=B2G&sort=title")
    assert [item["reference"] for item in listed.json["items"]] == [
        rows[name]["reference"] for name in ("plain", "review")
    ]
    refused = api.get("/api/v1/agreements?sort=purpose")
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "sort"


@pytest.mark.parametrize(
    "sort",
    ["newest", "oldest", "end_date", "reference", "title"],
)
def test_an_api_cursor_walks_every_order(world, rows, sort) -> None:
    api = world.api.as_(world.legal)
    everything = api.get(f"/api/v1/agreements?sort={sort}").json["items"]
    walked, cursor = [], ""
    for _ in everything:
        page = api.get(f"/api/v1/agreements?sort={sort}&per_page=1{cursor}")
        assert page.status_code == 200, page.json
        walked += page.json["items"]
        cursor = f"&cursor={page.json['next_cursor']}"
    assert [a["id"] for a in walked] == [a["id"] for a in everything]
    assert page.json["next_cursor"] is None
