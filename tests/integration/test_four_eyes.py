"""Four-eyes: whoever drafted or submitted a version never approves it, even an
admin acting in an office role; and the audit trail records who acted as what."""

from __future__ import annotations

from typing import Any

from tests.factories import Account, Factory, agreement_payload
from tests.integration.conftest import World


def _url(agreement_id: int) -> str:
    return f"/api/v1/agreements/{agreement_id}"


def _create_as(world: World, account: Account) -> int:
    payload = agreement_payload(world.cooperation_id, world.parties())
    response = world.api.as_(account).post("/api/v1/agreements", json=payload)
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def _ok(response: Any, state: str) -> None:
    assert response.status_code == 200, response.json
    assert response.json["state"] == state


def _refused(response: Any, reasons: int) -> None:
    assert response.status_code == 422, response.json
    assert [e["code"] for e in response.json["errors"]] == ["four_eyes"] * reasons


def test_an_admin_who_drafted_and_submitted_cannot_approve(world: World, factory: Factory) -> None:
    agreement_id = _create_as(world, world.admin)
    _ok(world.fire(agreement_id, world.admin, "submit"), "legal_review")
    _refused(world.fire(agreement_id, world.admin, "approve"), 2)
    detail = world.api.as_(world.admin).get(_url(agreement_id)).json
    assert "approve" not in detail["allowed_triggers"]
    assert detail["state"] == "legal_review"
    # Another admin is another pair of eyes.
    other_admin = factory.user("admin", world.city)
    assert "approve" in world.api.as_(other_admin).get(_url(agreement_id)).json["allowed_triggers"]
    _ok(world.fire(agreement_id, other_admin, "approve"), "approved")


def test_the_submitter_cannot_approve(world: World) -> None:
    agreement_id = world.create_agreement()["id"]
    _ok(world.fire(agreement_id, world.admin, "submit"), "legal_review")
    _refused(world.fire(agreement_id, world.admin, "approve"), 1)
    _ok(world.fire(agreement_id, world.legal, "approve"), "approved")


def test_the_drafter_cannot_approve_someone_elses_submission(world: World) -> None:
    agreement_id = _create_as(world, world.admin)
    _ok(world.fire(agreement_id, world.data_officer, "submit"), "legal_review")
    _refused(world.fire(agreement_id, world.admin, "approve"), 1)
    _ok(world.fire(agreement_id, world.legal2, "approve"), "approved")


def test_the_rule_applies_to_the_version_under_review(world: World) -> None:
    """Whoever submitted an earlier version may approve a later one somebody else submitted."""
    agreement_id = world.create_agreement()["id"]
    _ok(world.fire(agreement_id, world.admin, "submit"), "legal_review")
    _ok(world.fire(agreement_id, world.legal, "request_changes", "fix it"), "changes_requested")
    _ok(world.fire(agreement_id, world.data_officer, "submit"), "legal_review")
    _ok(world.fire(agreement_id, world.admin, "approve"), "approved")


def test_an_admin_acts_in_office_roles_and_the_trail_says_so(world: World) -> None:
    agreement_id = world.create_agreement()["id"]
    _ok(world.fire(agreement_id, world.data_officer, "submit"), "legal_review")
    _ok(world.fire(agreement_id, world.admin, "approve"), "approved")
    events = world.api.as_(world.auditor).get(f"{_url(agreement_id)}/events").json
    approve = next(e for e in events if e["action"] == "approve")
    assert (approve["actor_id"], approve["acting_role"]) == (world.admin.user_id, "admin")
    assert "(admin)" in approve["actor_label"]
    submit = next(e for e in events if e["action"] == "submit")
    assert (submit["actor_id"], submit["acting_role"]) == (
        world.data_officer.user_id,
        "data_officer",
    )


def test_an_admin_never_signs_for_a_party(world: World) -> None:
    agreement_id = world.create_agreement()["id"]
    world.to_state(agreement_id, "signing")
    for trigger in ("sign", "decline"):
        refused = world.fire(agreement_id, world.admin, trigger, "no")
        assert refused.status_code == 403, refused.json
    detail = world.api.as_(world.admin).get(_url(agreement_id)).json
    assert detail["allowed_triggers"] == ["withdraw"] and detail["signatures"] == []
