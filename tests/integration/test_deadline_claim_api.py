"""``POST /api/v1/deadlines/{id}/claim``: a member of a deadline's team takes
it from the team's queue; it becomes theirs by name, the claim is audited,
and anyone else is refused (403 outside the team, 404 for a partner, 409 when
it is closed or already someone's). ``?assignment=`` lists the two apart."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from omd_gov.audit.models import AuditEvent
from omd_gov.db import db
from omd_gov.deadlines.models import Deadline
from omd_gov.deadlines.recipients import assignees
from tests.factories import Account
from tests.integration.conftest import World


def _in_review(world: World) -> tuple[int, int]:
    """An agreement in legal review and its (unclaimed) legal-review deadline."""
    agreement = world.create_agreement()
    world.to_state(agreement["id"], "legal_review")
    listed = world.api.as_(world.legal).get(
        f"/api/v1/deadlines?kind=legal_review&agreement_id={agreement['id']}"
    )
    (deadline,) = listed.json["items"]
    assert deadline["assignee_id"] is None and deadline["assignee_role"] == "legal_officer"
    return agreement["id"], deadline["id"]


def _claim(world: World, account: Account, deadline_id: int) -> Any:
    return world.api.as_(account).post(f"/api/v1/deadlines/{deadline_id}/claim")


def _claims(deadline_id: int) -> list[AuditEvent]:
    statement = select(AuditEvent).where(
        AuditEvent.entity_type == "deadline",
        AuditEvent.entity_id == deadline_id,
        AuditEvent.action == "claim_deadline",
    )
    return list(db.session.scalars(statement))


def _ids(world: World, account: Account, assignment: str) -> list[int]:
    url = f"/api/v1/deadlines?assignee=me&assignment={assignment}"
    response = world.api.as_(account).get(url)
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def test_a_legal_officer_claims_a_review_which_becomes_theirs_by_name(app, factory, world):
    agreement_id, deadline_id = _in_review(world)
    assert _ids(world, world.legal, "queue") == _ids(world, world.legal2, "queue") == [deadline_id]
    assert _ids(world, world.legal, "named") == []

    response = _claim(world, world.legal, deadline_id)

    assert response.status_code == 200, response.json
    assert response.json["assignee_id"] == world.legal.user_id
    assert response.json["assignee_role"] is None
    assert _ids(world, world.legal, "named") == [deadline_id]
    assert _ids(world, world.legal, "queue") == _ids(world, world.legal2, "queue") == []
    assert _ids(world, world.legal2, "any") == []
    (event,) = _claims(deadline_id)
    assert event.actor_id == world.legal.user_id and event.source == "api"
    assert event.agreement_id == agreement_id
    assert event.changes == {
        "assignee_id": {"from": None, "to": world.legal.user_id},
        "assignee_role": {"from": "legal_officer", "to": None},
    }
    # Its reminders now go to the claimer alone, not to the whole team.
    deadline = db.session.get(Deadline, deadline_id)
    assert [user.id for user in assignees(db.session, deadline)] == [world.legal.user_id]


def test_claiming_again_is_a_no_op_and_a_colleague_is_told_who_has_it(factory, world):
    _agreement_id, deadline_id = _in_review(world)
    assert _claim(world, world.legal, deadline_id).status_code == 200

    again = _claim(world, world.legal, deadline_id)
    late = _claim(world, world.legal2, deadline_id)

    assert again.status_code == 200 and again.json["assignee_id"] == world.legal.user_id
    assert late.status_code == 409
    holder = factory.get_user(world.legal).name
    assert late.json["detail"] == f"this deadline is already assigned to {holder}"
    assert len(_claims(deadline_id)) == 1  # neither wrote anything


def test_a_closed_deadline_cannot_be_claimed(factory, world):
    agreement_id, deadline_id = _in_review(world)
    assert world.fire(agreement_id, world.legal, "approve").status_code == 200

    response = _claim(world, world.legal, deadline_id)

    assert response.status_code == 409
    assert "closed" in response.json["detail"]
    assert _claims(deadline_id) == []


def test_only_the_team_claims_outside_the_office_nobody_sees_it(factory, world):
    _agreement_id, deadline_id = _in_review(world)

    data_officer = _claim(world, world.data_officer, deadline_id)
    transparency = _claim(world, world.transparency, deadline_id)
    partner = _claim(world, world.sign_partner, deadline_id)
    missing = _claim(world, world.legal, 999999)

    assert data_officer.status_code == transparency.status_code == 403
    assert "legal_officer" in data_officer.json["detail"]
    assert partner.status_code == missing.status_code == 404
    assert _claims(deadline_id) == []
    assert _claim(world, world.admin, deadline_id).status_code == 200  # admins: any office queue


def test_a_signatory_claims_their_organisations_signature_only(factory, world):
    agreement = world.create_agreement()
    world.to_state(agreement["id"], "signing")
    partner_queue = _ids(world, world.sign_partner, "queue")
    assert len(partner_queue) == 1

    outsider = _claim(world, world.sign_outsider, partner_queue[0])
    own = _claim(world, world.sign_partner, partner_queue[0])

    assert outsider.status_code == 404
    assert own.status_code == 200 and own.json["assignee_id"] == world.sign_partner.user_id
    assert _ids(world, world.sign_partner, "named") == partner_queue


def test_the_assignment_filter_is_validated(world):
    response = world.api.as_(world.legal).get("/api/v1/deadlines?assignee=me&assignment=mine")
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "assignment"
