"""Redrafting after a decline, and the canvas held still during review."""

from __future__ import annotations

from tests.factories import FULL_CANVAS
from tests.integration.conftest import World


def _patch(world: World, agreement_id: int, body: dict) -> object:
    current = world.api.as_(world.data_officer).get(f"/api/v1/agreements/{agreement_id}")
    return world.api.as_(world.data_officer).patch(
        f"/api/v1/agreements/{agreement_id}",
        json=body,
        headers={"If-Match": current.headers["ETag"]},
    )


def test_parties_can_change_after_a_decline(world: World) -> None:
    agreement_id = world.create_agreement()["id"]
    world.to_state(agreement_id, "signing")
    assert world.fire(agreement_id, world.sign_city, "sign").status_code == 200
    declined = world.fire(agreement_id, world.sign_partner, "decline", "Wrong processor")
    assert declined.json["state"] == "changes_requested"
    kept = {p["organization_id"]: p["id"] for p in declined.json["parties"]}

    parties = [
        {"organization_id": world.city, "role": "controller", "signs": True},
        {"organization_id": world.other_partner, "role": "processor", "signs": True},
    ]
    response = _patch(world, agreement_id, {"parties": parties})

    assert response.status_code == 200, response.json
    after = {p["organization_id"]: p for p in response.json["parties"]}
    assert set(after) == {world.city, world.other_partner}
    assert after[world.city]["id"] == kept[world.city]  # the same party row, kept
    assert after[world.other_partner]["role"] == "processor"
    # The voided signature of the first round stays on record.
    voided = [s for s in response.json["signatures"] if s["voided_at"]]
    assert len(voided) == 1 and voided[0]["party_id"] == kept[world.city]


def test_the_canvas_holds_still_while_an_agreement_is_in_review(world: World) -> None:
    agreement_id = world.create_agreement()["id"]
    reference = world.fire(agreement_id, world.data_officer, "submit").json["reference"]
    url = f"/api/v1/cooperations/{world.cooperation_id}"
    officer = world.api.as_(world.data_officer)

    refused = officer.put(f"{url}/canvas", json={"sections": FULL_CANVAS, "mims": ["MIM2"]})
    assert refused.status_code == 409
    assert refused.content_type == "application/problem+json"
    assert refused.json["agreements"] == [reference]
    assert officer.patch(url, json={"title": "Renamed"}).status_code == 409
    assert officer.get(url).json["mims"] == ["MIM1"]  # nothing was written

    world.fire(agreement_id, world.legal, "request_changes", "Narrow the purpose")
    assert (
        officer.put(f"{url}/canvas", json={"sections": FULL_CANVAS, "mims": ["MIM2"]}).status_code
        == 200
    )


def test_cooperation_writes_honour_if_match(world: World) -> None:
    url = f"/api/v1/cooperations/{world.cooperation_id}"
    officer = world.api.as_(world.data_officer)
    current = officer.get(url)
    tag = current.headers["ETag"]
    assert tag == f'"{current.json["version"]}"'

    renamed = officer.patch(url, json={"title": "Energy 2"}, headers={"If-Match": tag})
    assert renamed.status_code == 200 and renamed.headers["ETag"] != tag
    stale = officer.patch(url, json={"title": "Energy 3"}, headers={"If-Match": tag})
    assert stale.status_code == 412 and stale.json["current_etag"] == renamed.headers["ETag"]
    stale_stage = officer.post(
        f"{url}/stage", json={"to": "preparatory"}, headers={"If-Match": tag}
    )
    assert stale_stage.status_code == 412
    assert officer.get(url).json["title"] == "Energy 2"
    # Clients that send no If-Match still work (the header is optional here).
    assert officer.post(f"{url}/stage", json={"to": "preparatory"}).status_code == 200


def test_the_dsa_legal_reviewed_is_the_one_that_is_frozen(world: World) -> None:
    """Transitions do not change the content version: a DSA generated during
    review is frozen at send_for_signature; an edit makes it stale."""
    agreement_id = world.create_agreement()["id"]
    assert world.fire(agreement_id, world.data_officer, "submit").status_code == 200
    reviewed = world.generate_dsa(agreement_id)
    assert world.fire(agreement_id, world.legal, "approve").status_code == 200

    sent = world.fire(agreement_id, world.legal, "send_for_signature")
    assert sent.status_code == 200, sent.json
    assert sent.json["frozen_sha256"] == reviewed["sha256"]
    assert sent.json["content_version"] == reviewed["agreement_version"] == 1

    declined = world.fire(agreement_id, world.sign_partner, "decline", "Clause 7")
    assert declined.json["state"] == "changes_requested"
    edited = _patch(world, agreement_id, {"purpose": "A narrower purpose."})
    assert edited.json["content_version"] == 2
    world.fire(agreement_id, world.data_officer, "submit")
    world.fire(agreement_id, world.legal, "approve")
    stale = world.fire(agreement_id, world.legal, "send_for_signature")
    assert stale.status_code == 422  # the reviewed DSA predates the edit
