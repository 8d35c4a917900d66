"""What an agreement carries for the transparency register (issue 8): the
economic terms, each party's obligations, the exclusivity (at most 12
months, refused at submission), and each party's contact person and data
protection officer (personal data: only the agreement's parties see it)."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import World
from tests.integration.problems import assert_problem, counts, url, world_payload

CONTACT = {"name": "Ana Ruiz", "email": "ana.ruiz@city.example", "phone": "+34 912 345 678"}
DPO = {"name": "Luis Gil", "email": "dpo@city.example"}
ECONOMIC = {
    "currency": "EUR",
    "amount_per_annuity": 1200.5,
    "total_amount": "2401",
    "budget_line": "2026/920/227.06",
}
EXCLUSIVE = {"exclusive": True, "justification": "Only the city can host it", "period_months": 12}


def _parties(world: World, **city_extra: Any) -> list[dict[str, Any]]:
    parties = world.parties()
    parties[0].update(city_extra)
    parties[1]["obligations"] = "Deliver the meter readings every month"
    return parties


def _create(world: World, parties: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    payload = world_payload(world, parties, **overrides)
    response = world.api.as_(world.data_officer).post("/api/v1/agreements", json=payload)
    assert response.status_code == 201, response.json
    return dict(response.json)


def _patch(world: World, agreement_id: int, body: dict[str, Any]) -> Any:
    officer = world.api.as_(world.data_officer)
    current = officer.get(url(agreement_id))
    return officer.patch(
        url(agreement_id), json=body, headers={"If-Match": current.headers["ETag"]}
    )


def test_a_draft_carries_the_register_fields(world: World) -> None:
    parties = _parties(world, contact=CONTACT, dpo=DPO, obligations="Host the platform")
    created = _create(world, parties, economic_terms=ECONOMIC, exclusivity=EXCLUSIVE)

    assert created["economic_terms"] == {
        "currency": "EUR",
        "amount_per_annuity": "1200.50",  # exact text, two decimals
        "total_amount": "2401.00",
        "budget_line": "2026/920/227.06",
    }
    assert created["exclusivity"] == EXCLUSIVE
    by_org = {p["organization_id"]: p for p in created["parties"]}
    assert by_org[world.city]["contact"] == CONTACT
    assert by_org[world.city]["dpo"] == {**DPO, "phone": None}
    assert by_org[world.city]["obligations"] == "Host the platform"
    assert by_org[world.partner]["obligations"] == "Deliver the meter readings every month"
    assert by_org[world.partner]["contact"] is None and by_org[world.partner]["dpo"] is None


def test_defaults_are_no_money_and_no_exclusivity(world: World) -> None:
    created = world.create_agreement()
    assert created["economic_terms"] is None
    assert created["exclusivity"] == {"exclusive": False, "justification": None,
                                      "period_months": None}  # fmt: skip
    assert {p["obligations"] for p in created["parties"]} == {""}


def test_bad_register_fields_are_refused_field_by_field(world: World) -> None:
    before = counts()
    bad_contact = {"name": "", "email": "not-an-address", "phone": "call me"}
    payload_parties = _parties(world, contact=bad_contact, dpo={"email": "dpo@x.example"})
    response = world.api.as_(world.data_officer).post(
        "/api/v1/agreements",
        json={
            "cooperation_id": world.cooperation_id,
            "title": "T",
            "purpose": "P",
            "sharing_model": "B2G",
            "parties": payload_parties,
            "economic_terms": {
                "currency": "euro",
                "amount_per_annuity": -1,
                "total_amount": "10.005",
            },  # fmt: skip
            "exclusivity": {"exclusive": True},
        },
    )
    body = assert_problem(response, 422)
    assert {e["field"] for e in body["errors"]} == {
        "parties.0.contact.name",
        "parties.0.contact.email",
        "parties.0.contact.phone",
        "parties.0.dpo.name",
        "economic_terms.currency",
        "economic_terms.amount_per_annuity",
        "economic_terms.total_amount",
        "economic_terms.budget_line",
        "exclusivity.justification",
        "exclusivity.period_months",
    }
    assert counts() == before  # nothing written, nothing audited


def test_a_patch_part_is_checked_whole(world: World) -> None:
    agreement_id = world.create_agreement()["id"]
    for body, fields in (
        ({"exclusivity": {"justification": "why"}}, {"exclusivity.exclusive"}),
        ({"exclusivity": {"exclusive": False, "period_months": 6}}, {"exclusivity.period_months"}),
        ({"economic_terms": {"currency": "EUR"}},
         {"economic_terms.total_amount", "economic_terms.budget_line"}),
        ({"parties": [{"organization_id": world.city, "role": "controller",
                       "contact": {"name": "A"}}]},
         {"parties.0.contact.email", "parties.0.contact.phone"}),
    ):  # fmt: skip
        assert {e["field"] for e in assert_problem(_patch(world, agreement_id, body), 422)[
            "errors"]} == fields  # fmt: skip


def test_edits_are_audited_and_contacts_survive_a_party_edit(world: World) -> None:
    parties = _parties(world, contact=CONTACT)
    agreement_id = _create(world, parties)["id"]

    # A party list sent without contacts (as a form that does not show them) keeps them.
    changed = world.parties()
    changed[1]["role"] = "data_provider"
    edited = _patch(world, agreement_id, {"parties": changed, "economic_terms": ECONOMIC,
                                          "exclusivity": EXCLUSIVE})  # fmt: skip
    assert edited.status_code == 200, edited.json
    city = next(p for p in edited.json["parties"] if p["organization_id"] == world.city)
    assert city["contact"] == CONTACT
    assert edited.json["content_version"] == 2

    events = world.api.as_(world.data_officer).get(url(agreement_id, "/events")).json
    changes = events[-1]["changes"]
    assert changes["economic_terms"] == {"from": None, "to": {**ECONOMIC,
        "amount_per_annuity": "1200.50", "total_amount": "2401.00"}}  # fmt: skip
    assert changes["exclusivity"] == {"from": None, "to": EXCLUSIVE}
    assert [p["role"] for p in changes["parties"]["to"]][1] == "data_provider"
    created_parties = events[0]["changes"]["parties"]["to"]
    assert created_parties[0]["contact"] == CONTACT  # the creation's audit names it too

    # Null clears a contact; back to no exclusivity and no money.
    cleared = [dict(p, contact=None) if p["organization_id"] == world.city else p for p in changed]
    back = _patch(world, agreement_id, {"parties": cleared, "economic_terms": None,
                                        "exclusivity": {"exclusive": False}})  # fmt: skip
    assert back.status_code == 200, back.json
    assert all(p["contact"] is None for p in back.json["parties"])
    assert back.json["economic_terms"] is None and not back.json["exclusivity"]["exclusive"]
    last = world.api.as_(world.data_officer).get(url(agreement_id, "/events")).json[-1]
    assert last["changes"]["exclusivity"] == {"from": EXCLUSIVE, "to": None}


def test_submit_refuses_an_exclusivity_over_twelve_months(world: World) -> None:
    too_long = {**EXCLUSIVE, "period_months": 13}
    agreement_id = world.create_agreement(exclusivity=too_long)["id"]
    before = counts()

    body = assert_problem(world.fire(agreement_id, world.data_officer, "submit"), 422)
    assert body["type"].endswith("guard-failed")
    assert [(e["code"], e["field"]) for e in body["errors"]] == [
        ("exclusivity", "exclusivity.period_months")
    ]
    assert "12 months" in body["errors"][0]["message"]
    assert counts() == before

    assert _patch(world, agreement_id, {"exclusivity": EXCLUSIVE}).status_code == 200
    submitted = world.fire(agreement_id, world.data_officer, "submit")
    assert submitted.status_code == 200 and submitted.json["state"] == "legal_review"


def test_contacts_are_seen_only_by_the_agreements_parties(world: World) -> None:
    parties = _parties(world, contact=CONTACT, dpo=DPO)
    agreement_id = _create(world, parties)["id"]

    partner_view = world.api.as_(world.sign_partner).get(url(agreement_id))
    assert partner_view.status_code == 200  # a party sees the other parties' contacts
    outsider = world.api.as_(world.sign_outsider)
    assert outsider.get(url(agreement_id)).status_code == 404
    assert outsider.get(url(agreement_id, "/events")).status_code == 404
    listed = outsider.get("/api/v1/agreements").get_data(as_text=True)
    assert CONTACT["email"] not in listed and DPO["email"] not in listed
