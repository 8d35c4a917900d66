"""Publishing to the transparency register (issue 8): who may, what, the redaction policy and
its overrides, withdrawal with a tombstone, the entry following its agreement, and personal
data that no override lets out."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from omd_gov.auth.models import User
from omd_gov.db import db, transaction
from omd_gov.organizations.models import Organization
from omd_gov.register.policy import DEFAULTS, NEVER_PUBLIC
from tests.factories import Account
from tests.integration.conftest import World
from tests.integration.problems import world_payload
from tests.web_support import browser

LEGAL_REMARK = "Clause 7 is weak: the partner's counsel agreed off the record."


def _url(agreement_id: int) -> str:
    return f"/api/v1/agreements/{agreement_id}/publication"


def _publish(world: World, agreement_id: int, who: Account | None = None, **body: Any) -> Any:
    return world.api.as_(who or world.transparency).post(_url(agreement_id), json=body)


def _active(world: World, **overrides: Any) -> int:
    agreement_id = int(world.create_agreement(**overrides)["id"])
    world.to_state(agreement_id, "active")
    return agreement_id


def _active_with(world: World, parties: list[dict[str, Any]], **overrides: Any) -> int:
    payload = world_payload(world, parties, **overrides)
    created = world.api.as_(world.data_officer).post("/api/v1/agreements", json=payload)
    assert created.status_code == 201, created.json
    world.to_state(created.json["id"], "active")
    return int(created.json["id"])


def _feed_entry(app: Any, reference: str) -> dict[str, Any]:
    feed = json.loads(app.test_client().get("/register.json").get_data(as_text=True))
    (entry,) = [e for e in feed["entries"] if e["reference"] == reference]
    return dict(entry)


def _events(world: World, agreement_id: int) -> list[dict[str, Any]]:
    return list(world.api.as_(world.auditor).get(f"/api/v1/agreements/{agreement_id}/events").json)


def _publication_deadline(world: World, agreement_id: int) -> dict[str, Any]:
    deadlines = world.api.as_(world.auditor).get(f"/api/v1/agreements/{agreement_id}").json
    (found,) = [d for d in deadlines["deadlines"] if d["kind"] == "publication"]
    return dict(found)


def test_a_transparency_officer_publishes_a_signed_agreement(app: Any, world: World) -> None:
    agreement_id = _active(world, security_measures="VPN only; keys in the HSM.")
    assert _publication_deadline(world, agreement_id)["status"] == "open"
    published = _publish(world, agreement_id)
    assert published.status_code == 200, published.json
    entry = published.json["entry"]
    reference = world.api.as_(world.auditor).get(f"/api/v1/agreements/{agreement_id}").json
    assert entry["reference"] == reference["reference"]
    assert entry["uri"] == f"{app.config['OMD_PUBLIC_URL']}/register/{entry['reference']}"
    assert entry["status"] == "in_force" and entry["signing_body"] == "City"
    assert entry["parties"] == ["Partner Co", "Other Partner"]
    assert {s["office"] for s in entry["signatories"]} == {"City", "Partner Co"}
    assert all(set(s) == {"name", "office"} for s in entry["signatories"])
    assert entry["signature_date"] and entry["signed_document_sha256"]
    assert entry["personal_data"] is True and entry["purposes"] == [reference["purpose"]]
    assert entry["security_measures"] is None and "security_measures" in entry["redacted"]
    assert published.json["published_by_id"] == world.transparency.user_id
    assert _publication_deadline(world, agreement_id)["status"] == "closed"
    actions = [e["action"] for e in _events(world, agreement_id)]
    assert "publish" in actions and "complete_deadline" in actions
    again = world.api.as_(world.auditor).get(_url(agreement_id))
    assert again.status_code == 200 and again.json["entry"] == entry


def test_only_a_transparency_officer_publishes_and_only_signed_agreements(world: World) -> None:
    agreement_id = _active(world)
    for who in (world.admin, world.data_officer, world.legal, world.auditor, world.sign_partner):
        refused = _publish(world, agreement_id, who)
        assert refused.status_code == 403, who
        assert refused.headers["Content-Type"] == "application/problem+json"
    draft = world.create_agreement()["id"]
    assert _publish(world, draft).status_code == 409
    signing = world.create_agreement()["id"]
    world.to_state(signing, "signing")
    assert _publish(world, signing).status_code == 409
    assert _publish(world, 999_999).status_code == 404
    assert world.api.as_(world.auditor).get(_url(agreement_id)).status_code == 404
    assert "publish" not in [e["action"] for e in _events(world, agreement_id)]


def test_overrides_need_a_justification_and_change_what_is_shown(world: World) -> None:
    agreement_id = _active(world, security_measures="VPN only.")
    unjustified = {"party_tax_ids": {"public": False}}
    refused = _publish(world, agreement_id, overrides=unjustified)
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.json["errors"]}
    assert fields == {"overrides.party_tax_ids.justification"}
    unknown = _publish(
        world, agreement_id, overrides={"budget": {"public": True, "justification": "x"}}
    )
    assert unknown.status_code == 422
    identity = _publish(
        world, agreement_id, overrides={"status": {"public": False, "justification": "x"}}
    )
    assert identity.status_code == 422
    assert world.api.as_(world.auditor).get(_url(agreement_id)).status_code == 404  # nothing stored
    overrides = {
        "party_tax_ids": {
            "public": False,
            "justification": "Sole traders: their tax id is personal.",
        },
        "security_measures": {"public": True, "justification": "The council asked to show them."},
    }
    entry = _publish(world, agreement_id, overrides=overrides).json["entry"]
    assert entry["party_tax_ids"] is None and "party_tax_ids" in entry["redacted"]
    assert (
        entry["security_measures"] == "VPN only." and "security_measures" not in entry["redacted"]
    )
    changed = _publish(world, agreement_id)  # a live entry: the overrides are replaced
    assert changed.json["entry"]["party_tax_ids"] == {"Partner Co": "PT1", "Other Partner": "PT1"}
    actions = [e["action"] for e in _events(world, agreement_id)]
    assert actions.count("publish") == 1 and actions.count("update_publication") == 1


PARTY_CONTACT = {"name": "Eva Parte", "email": "eva@city.example", "phone": "+34 911 222 333"}
PARTY_DPO = {"name": "Dora Delegada", "email": "dpo@partner.example", "phone": "+351 213 000 111"}


def test_personal_data_never_reaches_the_register(app: Any, world: World) -> None:
    parties = world.parties()
    parties[0]["contact"] = PARTY_CONTACT
    parties[1]["dpo"] = PARTY_DPO
    agreement_id = _active_with(world, parties)
    with transaction(db.session):
        for org in db.session.execute(select(Organization)).scalars():
            org.contacts = [
                {"name": "Ana Contact", "email": "ana@partner.example", "phone": "+351 912 345 678"}
            ]
        for user in db.session.execute(select(User)).scalars():
            user.signing_identity = f"IDCPT-{user.id:08d}"
    assert world.fire(agreement_id, world.legal, "terminate", LEGAL_REMARK).status_code == 200
    for field in NEVER_PUBLIC:
        forced = {field: {"public": True, "justification": "The mayor insists."}}
        refused = _publish(world, agreement_id, overrides=forced)
        assert refused.status_code == 422, field
        assert refused.json["errors"][0]["field"] == f"overrides.{field}"
    everything = {name: {"public": True, "justification": "Show it all."} for name in DEFAULTS}
    published = _publish(world, agreement_id, overrides=everything)
    assert published.status_code == 200, published.json
    client = app.test_client()  # the public's feeds and pages too
    reference = published.json["entry"]["reference"]
    text = "\n".join([
        json.dumps(published.json),
        *(client.get(path).get_data(as_text=True) for path in (
            "/register.json", "/register.csv", f"/register/{reference}")),
    ])  # fmt: skip
    emails = [u.email for u in db.session.execute(select(User)).scalars()]
    for secret in (
        "ana@partner.example",
        "+351 912 345 678",
        "Ana Contact",
        "IDCPT-",
        LEGAL_REMARK,
        *PARTY_CONTACT.values(),
        *PARTY_DPO.values(),
    ):
        assert secret not in text, secret
    assert not [email for email in emails if email in text]
    assert published.json["entry"]["redacted"] == []


def test_the_entry_says_who_is_obliged_to_what_the_money_and_any_exclusivity(
    app: Any, world: World
) -> None:
    parties = world.parties()
    parties[0]["obligations"] = "Host the platform and keep it running"
    parties[1]["obligations"] = "Deliver the meter readings monthly"
    economic = {"currency": "EUR", "amount_per_annuity": "1200.5", "total_amount": 2401,
                "budget_line": "2026/920/227.06"}  # fmt: skip
    exclusive = {"exclusive": True, "justification": "Only the city hosts it", "period_months": 6}
    agreement_id = _active_with(world, parties, economic_terms=economic, exclusivity=exclusive)
    reference = _publish(world, agreement_id).json["entry"]["reference"]

    answer = world.api.as_(world.auditor).get(_url(agreement_id)).json["entry"]
    page = browser(app).get(f"/register/{reference}").get_data(as_text=True)
    assert "Partner Co: Deliver the meter readings monthly" in page
    assert "Total 2401.00 EUR; per year 1200.50 EUR; budget line 2026/920/227.06" in page
    assert "Exclusive for 6 months: Only the city hosts it" in page
    entry = _feed_entry(app, reference)
    assert {name: answer[name] for name in ("obligations", "economic_terms", "exclusivity")} == {
        name: entry[name] for name in ("obligations", "economic_terms", "exclusivity")}  # fmt: skip
    assert entry["obligations"] == [
        {"party": "City", "obligations": "Host the platform and keep it running"},
        {"party": "Partner Co", "obligations": "Deliver the meter readings monthly"},
    ]  # a party with no obligation stated is not listed
    assert entry["economic_terms"] == {"currency": "EUR", "amount_per_annuity": "1200.50",
        "total_amount": "2401.00", "budget_line": "2026/920/227.06"}  # fmt: skip
    assert entry["exclusivity"] == exclusive

    plain = _active(world)  # no money, no exclusivity: said so, not hidden
    plain_entry = _feed_entry(app, _publish(world, plain).json["entry"]["reference"])
    assert plain_entry["obligations"] == [] and plain_entry["economic_terms"] is None
    assert plain_entry["exclusivity"] == {"exclusive": False, "justification": None,
                                          "period_months": None}  # fmt: skip
    assert not {"obligations", "economic_terms", "exclusivity"} & set(plain_entry["redacted"])

    hidden = {"economic_terms": {"public": False, "justification": "Commercially sensitive."}}
    assert _publish(world, agreement_id, overrides=hidden).status_code == 200
    redacted = _feed_entry(app, reference)
    assert redacted["economic_terms"] is None and "economic_terms" in redacted["redacted"]


def test_withdrawal_needs_a_reason_and_leaves_a_tombstone(app: Any, world: World) -> None:
    agreement_id = _active(world)
    officer = world.api.as_(world.transparency)
    assert (
        officer.delete(_url(agreement_id), json={"reason": "x"}).status_code == 409
    )  # not published
    assert _publish(world, agreement_id).status_code == 200
    assert officer.delete(_url(agreement_id), json={}).status_code == 422
    assert officer.delete(_url(agreement_id), json={"reason": ""}).status_code == 422
    assert (
        world.api.as_(world.legal).delete(_url(agreement_id), json={"reason": "no"}).status_code
        == 403
    )
    withdrawn = officer.delete(_url(agreement_id), json={"reason": "Published by mistake."})
    assert withdrawn.status_code == 200, withdrawn.json
    tombstone = world.api.as_(world.auditor).get(_url(agreement_id)).json["entry"]
    assert (
        tombstone["status"] == "withdrawn"
        and tombstone["withdrawal_reason"] == "Published by mistake."
    )
    assert tombstone["withdrawn_at"] and tombstone["reference"]
    feed_tombstone = _feed_entry(app, tombstone["reference"])
    assert all(feed_tombstone[name] is None for name in DEFAULTS)
    assert all(tombstone[name] is None for name in DEFAULTS)
    (event,) = [e for e in _events(world, agreement_id) if e["action"] == "unpublish"]
    assert event["comment"] == "Published by mistake."
    assert officer.delete(_url(agreement_id), json={"reason": "again"}).status_code == 409
    again = _publish(world, agreement_id)
    assert again.status_code == 200 and again.json["entry"]["status"] == "in_force"
    assert again.json["entry"]["withdrawn_at"] is None


def test_the_entry_follows_its_agreement_and_lists_amendments_in_force(world: World) -> None:
    agreement_id = _active(world)
    assert _publish(world, agreement_id).status_code == 200
    amendment = world.api.as_(world.data_officer).post(
        f"/api/v1/agreements/{agreement_id}/amendments"
    )
    assert amendment.status_code == 201, amendment.json
    listed = world.api.as_(world.auditor).get(_url(agreement_id)).json["entry"]
    assert listed["modifications"] == []  # a draft amendment is not a modification yet
    world.to_state(amendment.json["id"], "active")
    entry = world.api.as_(world.auditor).get(_url(agreement_id)).json["entry"]
    assert entry["status"] == "superseded"
    (modification,) = entry["modifications"]
    assert modification["type"] == "amendment"
    assert modification["reference"] == amendment.json["reference"]
    assert modification["uri"].endswith(f"/register/{amendment.json['reference']}")
