"""The register's public feeds (issue 8): /register.json and /register.csv answer without
sign-in, carry the same fields, keep the redaction, list tombstones, and are cacheable and
rate limited."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from omd_gov.db import db, transaction
from omd_gov.organizations.models import Organization
from omd_gov.ratelimit import limiter
from omd_gov.register.entries import FIELDS
from omd_gov.register.feeds import BOM, cell
from tests.integration.conftest import World
from tests.integration.problems import world_payload


@pytest.fixture(autouse=True)
def _fresh_limits() -> Iterator[None]:
    limiter.reset()
    yield
    limiter.reset()


def _published(world: World, **overrides: Any) -> dict[str, Any]:
    agreement_id = int(world.create_agreement()["id"])
    world.to_state(agreement_id, "active")
    url = f"/api/v1/agreements/{agreement_id}/publication"
    answer = world.api.as_(world.transparency).post(url, json={"overrides": overrides})
    assert answer.status_code == 200, answer.json
    return dict(answer.json["entry"]) | {"agreement_id": agreement_id}


def _feeds(client: Any) -> tuple[dict[str, Any], list[dict[str, str]], Any, Any]:
    as_json = client.get("/register.json")
    document = json.loads(as_json.get_data(as_text=True))  # read it whole: it streams
    as_csv = client.get("/register.csv")
    assert as_json.status_code == 200 and as_csv.status_code == 200
    text = as_csv.get_data(as_text=True)
    assert text.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(text[len(BOM) :], newline="")))
    return document, rows, as_json, as_csv


def test_the_feeds_answer_without_sign_in_and_agree_field_by_field(app: Any, world: World) -> None:
    hidden = {"party_tax_ids": {"public": False, "justification": "Sole traders."}}
    first, second = _published(world), _published(world, **hidden)
    withdrawn = _published(world)
    url = f"/api/v1/agreements/{withdrawn['agreement_id']}/publication"
    world.api.as_(world.transparency).delete(url, json={"reason": "Published twice."})
    client = app.test_client()  # nobody signed in
    document, rows, as_json, as_csv = _feeds(client)
    assert as_json.mimetype == "application/json" and as_csv.mimetype == "text/csv"
    assert as_csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert document["register"].endswith("/register")
    entries = document["entries"]
    assert [e["reference"] for e in entries] == [
        first["reference"], second["reference"], withdrawn["reference"]]  # fmt: skip
    assert [row["reference"] for row in rows] == [e["reference"] for e in entries]
    assert list(rows[0]) == list(FIELDS) and all(list(e) == list(FIELDS) for e in entries)
    for entry, row in zip(entries, rows, strict=True):
        for field in FIELDS:
            assert row[field] == cell(field, entry[field]), (entry["reference"], field)
    assert entries[1]["party_tax_ids"] is None and rows[1]["party_tax_ids"] == ""
    assert "party_tax_ids" in rows[1]["redacted"]
    assert (
        entries[2]["status"] == "withdrawn" and rows[2]["withdrawal_reason"] == "Published twice."
    )
    assert rows[0]["parties"] == "Partner Co; Other Partner"
    assert "\r\n" in as_csv.get_data(as_text=True)  # RFC 4180 line ends


def test_obligations_money_and_exclusivity_read_well_in_a_cell(app: Any, world: World) -> None:
    parties = world.parties()
    parties[1]["obligations"] = "Deliver the readings; monthly"
    parties[0]["contact"] = {"name": "Rita Feed", "email": "rita@x.example", "phone": "+34 600 1"}
    economic = {"currency": "EUR", "total_amount": "9000", "budget_line": "920.227"}
    exclusive = {"exclusive": True, "justification": "Sole host", "period_months": 12}
    payload = world_payload(world, parties, economic_terms=economic, exclusivity=exclusive)
    agreement_id = (
        world.api.as_(world.data_officer).post("/api/v1/agreements", json=payload).json["id"]
    )
    world.to_state(agreement_id, "active")
    url = f"/api/v1/agreements/{agreement_id}/publication"
    assert world.api.as_(world.transparency).post(url, json={}).status_code == 200

    document, rows, _, _ = _feeds(app.test_client())
    (entry,), (row,) = document["entries"], rows
    assert row["obligations"] == "Partner Co: Deliver the readings; monthly"
    assert row["economic_terms"] == (
        "currency: EUR; amount_per_annuity: ; total_amount: 9000.00; budget_line: 920.227"
    )
    assert row["exclusivity"] == "exclusive: true; justification: Sole host; period_months: 12"
    for field in ("obligations", "economic_terms", "exclusivity"):
        assert row[field] == cell(field, entry[field])
    assert "Rita Feed" not in json.dumps(document) and "Rita Feed" not in json.dumps(rows)


def test_personal_data_is_in_neither_feed(app: Any, world: World) -> None:
    with transaction(db.session):
        for org in db.session.execute(select(Organization)).scalars():
            org.contacts = [{"name": "Rui Contact", "email": "rui@x.example", "phone": "+351 900"}]
    everything = {
        name: {"public": True, "justification": "All of it."}
        for name in ("security_measures", "renewal_terms")
    }
    _published(world, **everything)
    client = app.test_client()
    for path in ("/register.json", "/register.csv"):
        text = client.get(path).get_data(as_text=True)
        for secret in ("rui@x.example", "+351 900", "Rui Contact", "@example"):
            assert secret not in text


def test_the_feeds_are_cacheable_until_the_register_changes(app: Any, world: World) -> None:
    _published(world)
    client = app.test_client()
    for path in ("/register.json", "/register.csv"):
        first = client.get(path)
        first.get_data()
        etag = first.headers["ETag"]
        assert first.headers["Cache-Control"] == "public, max-age=300"
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.get_data() == b""
    as_json, as_csv = client.get("/register.json"), None
    json_etag = as_json.headers["ETag"]
    as_json.get_data()
    as_csv = client.get("/register.csv")
    as_csv.get_data()
    assert json_etag != as_csv.headers["ETag"]
    _published(world)
    changed = client.get("/register.json", headers={"If-None-Match": json_etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != json_etag
    assert len(json.loads(changed.get_data(as_text=True))["entries"]) == 2


def test_an_empty_register_is_a_valid_empty_feed(app: Any) -> None:
    client = app.test_client()
    assert json.loads(client.get("/register.json").get_data(as_text=True))["entries"] == []
    text = client.get("/register.csv").get_data(as_text=True)
    assert text == BOM + ",".join(FIELDS) + "\r\n"


def _read(response: Any) -> int:
    response.get_data()  # a streamed body is read before the next request
    return int(response.status_code)


def test_the_feeds_are_rate_limited_per_address(app: Any) -> None:
    client = app.test_client()
    before = app.config["OMD_REGISTER_RATE_LIMIT"]
    app.config["OMD_REGISTER_RATE_LIMIT"] = "3 per minute"
    try:
        answers = [_read(client.get("/register.json")) for _ in range(3)]
        refused = client.get("/register.csv")
        other = client.get("/register.json", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    finally:
        app.config["OMD_REGISTER_RATE_LIMIT"] = before
    assert answers == [200, 200, 200]
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert refused.headers["Retry-After"] == "60" and refused.json["status"] == 429
    assert other.status_code == 200  # another address has its own allowance


def test_a_cell_that_looks_like_a_formula_is_shown_as_text(app: Any, world: World) -> None:
    agreement_id = int(world.create_agreement(title='=HYPERLINK("http://x","open")')["id"])
    world.to_state(agreement_id, "active")
    url = f"/api/v1/agreements/{agreement_id}/publication"
    assert world.api.as_(world.transparency).post(url, json={}).status_code == 200
    document, rows, _json, _csv = _feeds(app.test_client())
    assert document["entries"][0]["title"] == '=HYPERLINK("http://x","open")'
    assert rows[0]["title"] == "'" + '=HYPERLINK("http://x","open")'
