"""From draft to active through the API, with the audit trail intact."""

from __future__ import annotations

from tests.integration.conftest import World


def test_draft_to_active(world: World) -> None:
    created = world.create_agreement()
    assert created["state"] == "draft" and created["reference"].startswith("OMD-")
    assert created["allowed_triggers"] == ["submit", "withdraw"]
    agreement_id = created["id"]

    steps = [
        ("submit", world.data_officer, "legal_review"),
        ("approve", world.legal, "approved"),
        ("send_for_signature", world.legal, "signing"),
        ("sign", world.sign_city, "signing"),
        ("sign", world.sign_partner, "active"),
    ]
    for trigger, account, expected in steps:
        if trigger == "send_for_signature":
            dsa = world.generate_dsa(agreement_id)
        response = world.fire(agreement_id, account, trigger)
        assert response.status_code == 200, response.json
        assert response.json["state"] == expected

    final = world.api.as_(world.legal).get(f"/api/v1/agreements/{agreement_id}")
    assert final.headers["ETag"] == f'"{final.json["version"]}"'
    assert final.json["allowed_triggers"] == ["terminate"]
    assert final.json["activated_at"]
    signed = {s["document_sha256"] for s in final.json["signatures"]}
    assert signed == {final.json["frozen_sha256"]} == {dsa["sha256"]}

    events = world.api.as_(world.auditor).get(f"/api/v1/agreements/{agreement_id}/events").json
    # Deadline bookkeeping has its own events; this checks the lifecycle's.
    assert [e["action"] for e in events if e["action"] != "deadlines"] == [
        "create",
        "submit",
        "approve",
        "generate_document",
        "freeze_document",
        "send_for_signature",
        "sign",
        "sign",
    ]
    last_sign = [e for e in events if e["action"] == "sign"][-1]
    assert last_sign["from_state"] == "signing" and last_sign["to_state"] == "active"
    verify = world.api.as_(world.auditor).get("/api/v1/audit/verify").json
    assert verify["ok"] is True and verify["events_checked"] >= 6
