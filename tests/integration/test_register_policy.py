"""``GET /api/v1/agreements/{id}/policy.jsonld``: a signed agreement as an
ODRL Agreement (Eclipse Dataspace Protocol 2025-1), validated against the
protocol's schema and read by rdflib from the local contexts; who may read
it, and what is refused."""

from __future__ import annotations

from datetime import date
from typing import Any

import jsonschema
import pytest
from rdflib import RDF, Graph, URIRef
from sqlalchemy import select

from omd_gov.agreements.models import Agreement
from omd_gov.db import db
from omd_gov.demo.services import load_demo
from omd_gov.organizations.models import Organization
from tests.factories import Factory, agreement_payload
from tests.integration.conftest import World
from tests.integration.problems import assert_problem
from tests.unit.test_odrl import ODRL, to_graph, validate

JSON_LD = "application/ld+json"


def _url(agreement_id: int) -> str:
    return f"/api/v1/agreements/{agreement_id}/policy.jsonld"


def _signed(world: World, **overrides: Any) -> dict[str, Any]:
    agreement = world.create_agreement(**overrides)
    world.to_state(agreement["id"], "active")
    return agreement


def _document(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == JSON_LD
    document: dict[str, Any] = response.get_json(force=True)
    return document


def test_the_demo_agreements_as_odrl_agreements(app: Any, api: Any, factory: Factory) -> None:
    """The one in force in detail; every signed one validates; the rest are 409."""
    assert load_demo(db.session)
    orgs = {o.name: o.id for o in db.session.scalars(select(Organization))}
    officer = factory.user("legal_officer", orgs["Câmara Municipal do Porto"])
    base = app.config["OMD_PUBLIC_URL"].rstrip("/")
    for agreement in db.session.scalars(select(Agreement).order_by(Agreement.id)).all():
        response = api.as_(officer).get(_url(agreement.id))
        if agreement.title == "Public building consumption (in force)":
            _check_in_force(_document(response), agreement, orgs, base)
        elif agreement.state in ("active", "expired", "terminated", "superseded"):
            validate(_document(response))
        else:
            body = assert_problem(response, 409)
            assert f"is {agreement.state}" in body["detail"]


def _check_in_force(
    document: dict[str, Any], agreement: Agreement, orgs: dict[str, int], base: str
) -> None:
    validate(document)
    entry = f"{base}/register/{agreement.reference}"
    assert document["@id"] == f"{entry}#policy"
    assert document["assigner"] == f"{base}/organizations/{orgs['EFACEC']}"  # data_provider
    recipient = orgs["AdEPorto - Agência de Energia do Porto"]  # data_recipient
    assert document["assignee"] == f"{base}/organizations/{recipient}"
    assert document["target"] == f"{entry}#assets"
    last_signature = max(s.signed_at for s in agreement.live_signatures)
    assert document["timestamp"] == last_signature.strftime("%Y-%m-%dT%H:%M:%SZ")
    _check_rules(to_graph(document), URIRef(f"{entry}#policy"), entry, agreement.purpose)
    broken = {k: v for k, v in document.items() if k != "assignee"}
    with pytest.raises(jsonschema.ValidationError, match="'assignee' is a required property"):
        validate(broken)


def _check_rules(graph: Graph, policy: URIRef, entry: str, purpose: str) -> None:
    assert (policy, RDF.type, ODRL.Agreement) in graph
    permissions = list(graph.objects(policy, ODRL.permission))
    assert {str(graph.value(p, ODRL.target)) for p in permissions} == {
        f"{entry}#asset-0",
        f"{entry}#asset-1",
    }
    for permission in permissions:
        values = {
            (graph.value(c, ODRL.leftOperand), graph.value(c, ODRL.operator)):
                graph.value(c, ODRL.rightOperand).toPython()
            for c in graph.objects(permission, ODRL.constraint)
        }  # fmt: skip
        assert values == {
            (ODRL.dateTime, ODRL.gteq): date(2026, 1, 1),
            (ODRL.dateTime, ODRL.lteq): date(2027, 12, 31),
            (ODRL.purpose, ODRL.eq): purpose,
        }
    duty = graph.value(policy, ODRL.obligation)
    assert graph.value(duty, ODRL.action) == ODRL.delete  # P2Y after the end date
    deadline = graph.value(graph.value(duty, ODRL.constraint), ODRL.rightOperand)
    assert deadline.toPython() == date(2029, 12, 31)
    # The demo lists a recipient and no transfer outside the EEA.
    prohibition = graph.value(policy, ODRL.prohibition)
    assert graph.value(prohibition, ODRL.action) == ODRL.distribute
    spatial = graph.value(prohibition, ODRL.constraint)
    assert graph.value(spatial, ODRL.leftOperand) == ODRL.spatial
    assert len(list(graph.objects(spatial, ODRL.rightOperand))) == 30


def test_a_partner_reads_its_own_agreement_and_nobody_else_does(world: World) -> None:
    agreement = _signed(world)
    url = _url(agreement["id"])
    document = _document(world.api.as_(world.sign_partner).get(url))
    validate(document)
    # world: city controller, partner processor, other partner data_recipient.
    assert document["assigner"].endswith(f"/organizations/{world.city}")
    assert document["assignee"].endswith(f"/organizations/{world.other_partner}")
    # The GDPR profile lists no further recipients: no onward transfer at all.
    assert document["prohibition"] == [{"action": "odrl:distribute"}]
    assert_problem(world.api.as_(world.sign_outsider).get(url), 404)
    assert_problem(world.api.get(url), 401)
    assert_problem(world.api.as_(world.legal).get(_url(999_999)), 404)


def test_an_agreement_still_being_signed_is_refused(world: World) -> None:
    agreement = world.create_agreement()
    world.to_state(agreement["id"], "signing")
    body = assert_problem(world.api.as_(world.legal).get(_url(agreement["id"])), 409)
    assert "is signing" in body["detail"]


def test_two_providers_cannot_be_one_assigner(world: World) -> None:
    parties = [
        {"organization_id": world.city, "role": "data_recipient", "signs": True},
        {"organization_id": world.partner, "role": "data_provider", "signs": True},
        {"organization_id": world.other_partner, "role": "data_provider", "signs": False},
    ]
    payload = agreement_payload(world.cooperation_id, parties)
    agreement = world.api.as_(world.data_officer).post("/api/v1/agreements", json=payload).json
    world.to_state(agreement["id"], "active")
    body = assert_problem(world.api.as_(world.legal).get(_url(agreement["id"])), 409)
    assert "2 parties in the role data_provider" in body["detail"]
    assert "Partner Co" in body["detail"] and "Other Partner" in body["detail"]


def test_non_personal_data_without_retention_has_no_duty_or_prohibition(world: World) -> None:
    agreement = _signed(world, **{"gdpr": {}, "data_assets": [
        {"name": "Timetables", "standard": "GTFS", "delivery": "batch", "personal_data": False}
    ]})  # fmt: skip
    document = _document(world.api.as_(world.data_officer).get(_url(agreement["id"])))
    validate(document)
    assert "obligation" not in document and "prohibition" not in document
    assert [p["target"] for p in document["permission"]] == [
        f"{document['@id'].removesuffix('#policy')}#asset-0"
    ]
