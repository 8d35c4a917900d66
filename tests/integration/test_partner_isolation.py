"""A partner's signatory sees only what their organisation is party to;
everything else answers 404, exactly like something that does not exist."""

from __future__ import annotations

from typing import Any

from tests.factories import FULL_CANVAS, Factory, agreement_payload
from tests.integration.conftest import World


def _url(agreement_id: int, suffix: str = "") -> str:
    return f"/api/v1/agreements/{agreement_id}{suffix}"


def _ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.json
    return {item["id"] for item in response.json["items"]}


def _outsider_agreement(world: World) -> int:
    """An agreement between the city and the outsider only (not the partner)."""
    parties = [
        {"organization_id": world.city, "role": "controller", "signs": True},
        {"organization_id": world.outsider_org, "role": "processor", "signs": True},
    ]
    payload = agreement_payload(world.cooperation_id, parties, title="Outsider deal")
    response = world.api.as_(world.data_officer).post("/api/v1/agreements", json=payload)
    assert response.status_code == 201
    return int(response.json["id"])


def test_lists_show_only_the_partners_agreements(world: World) -> None:
    shared = world.create_agreement()["id"]
    private = _outsider_agreement(world)
    partner = world.api.as_(world.sign_partner)
    outsider = world.api.as_(world.sign_outsider)

    assert _ids(world.api.as_(world.auditor).get("/api/v1/agreements")) == {shared, private}
    assert _ids(partner.get("/api/v1/agreements")) == {shared}
    assert _ids(outsider.get("/api/v1/agreements")) == {private}
    # Filters cannot widen the view.
    by_org = f"/api/v1/agreements?organization_id={world.outsider_org}"
    assert _ids(partner.get(by_org)) == set()
    assert _ids(partner.get("/api/v1/agreements?q=Outsider")) == set()
    in_cooperation = f"/api/v1/agreements?state=draft&cooperation_id={world.cooperation_id}"
    assert _ids(partner.get(in_cooperation)) == {shared}


def test_every_agreement_route_answers_404_for_a_hidden_agreement(world: World) -> None:
    private = _outsider_agreement(world)
    world.to_state(private, "legal_review")
    partner = world.api.as_(world.sign_partner)
    etag = {"If-Match": '"2"'}
    responses = [
        partner.get(_url(private)),
        partner.get(_url(private, "/events")),
        partner.patch(_url(private), json={"title": "x"}, headers=etag),
        partner.post(_url(private, "/transitions"), json={"trigger": "sign"}),
        partner.post(_url(private, "/transitions"), json={"trigger": "decline", "comment": "x"}),
    ]
    for response in responses:
        assert response.status_code == 404, response.json
        assert response.mimetype == "application/problem+json"
    state = world.api.as_(world.legal).get(_url(private)).json
    assert (state["state"], state["version"]) == ("legal_review", 2)


def test_a_partner_signs_only_for_its_own_organisation(world: World, factory: Factory) -> None:
    agreement_id = world.create_agreement()["id"]
    world.to_state(agreement_id, "signing")
    partner = world.api.as_(world.sign_partner).get(_url(agreement_id))
    assert partner.json["allowed_triggers"] == ["sign", "decline"]
    # A party that does not sign sees the agreement but may not sign it.
    non_signer = world.api.as_(factory.user("signatory", world.other_partner))
    seen = non_signer.get(_url(agreement_id))
    assert seen.status_code == 200 and seen.json["allowed_triggers"] == []
    refused = non_signer.post(_url(agreement_id, "/transitions"), json={"trigger": "sign"})
    assert refused.status_code == 422
    assert refused.json["errors"][0]["code"] == "signatory"
    # An outsider cannot even learn that it exists.
    assert world.fire(agreement_id, world.sign_outsider, "sign").status_code == 404

    assert world.fire(agreement_id, world.sign_partner, "sign").status_code == 200
    again = world.fire(agreement_id, world.sign_partner, "sign")
    assert again.status_code == 422 and again.json["errors"][0]["code"] == "already_signed"
    after = world.api.as_(world.sign_partner).get(_url(agreement_id)).json
    assert after["allowed_triggers"] == [] and after["state"] == "signing"
    assert [s["party_id"] for s in after["signatures"]] == [
        p["id"] for p in after["parties"] if p["organization_id"] == world.partner
    ]


def test_partners_do_not_read_the_audit_trail_or_verify_it(world: World) -> None:
    agreement_id = world.create_agreement()["id"]
    partner = world.api.as_(world.sign_partner)
    assert partner.get(_url(agreement_id)).status_code == 200
    assert partner.get(_url(agreement_id, "/events")).status_code == 403
    assert partner.get("/api/v1/audit/verify").status_code == 403


def test_organisations_and_cooperations_are_isolated_too(world: World) -> None:
    partner = world.api.as_(world.sign_partner)
    outsider = world.api.as_(world.sign_outsider)
    orgs = partner.get("/api/v1/organizations").json
    assert [o["id"] for o in orgs] == [world.partner]
    assert partner.get(f"/api/v1/organizations/{world.partner}").status_code == 200
    assert partner.get(f"/api/v1/organizations/{world.city}").status_code == 404
    assert len(world.api.as_(world.auditor).get("/api/v1/organizations").json) == 4

    cooperation = f"/api/v1/cooperations/{world.cooperation_id}"
    assert partner.get(cooperation).status_code == 200
    assert [c["id"] for c in partner.get("/api/v1/cooperations").json] == [world.cooperation_id]
    assert outsider.get(cooperation).status_code == 404
    assert outsider.get("/api/v1/cooperations").json == []
    # Partners read, but never write, the canvas.
    put = partner.put(f"{cooperation}/canvas", json={"sections": FULL_CANVAS})
    assert put.status_code == 403


def test_a_partner_cannot_draft_edit_or_derive(world: World) -> None:
    agreement_id = world.create_agreement()["id"]
    partner = world.api.as_(world.sign_partner)
    payload = agreement_payload(world.cooperation_id, world.parties())
    assert partner.post("/api/v1/agreements", json=payload).status_code == 403
    edit = partner.patch(_url(agreement_id), json={"title": "x"}, headers={"If-Match": '"1"'})
    assert edit.status_code == 403
    assert partner.post(_url(agreement_id, "/amendments")).status_code == 403
    assert world.fire(agreement_id, world.sign_partner, "withdraw", "no").status_code == 403
    unchanged = world.api.as_(world.legal).get(_url(agreement_id)).json
    assert (unchanged["state"], unchanged["version"]) == ("draft", 1)
