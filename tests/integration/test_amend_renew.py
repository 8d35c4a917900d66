"""Amendments and renewals are linked new drafts; an amendment that becomes
active supersedes the agreement it amends."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from omd_gov.agreements import transitions
from omd_gov.agreements.lifecycle import Trigger
from omd_gov.agreements.models import Agreement
from omd_gov.db import transaction
from tests.factories import Factory
from tests.integration.conftest import World

COPIED = ("title", "purpose", "sharing_model", "gdpr", "cooperation_id", "security_measures")


def _url(agreement_id: int, suffix: str = "") -> str:
    return f"/api/v1/agreements/{agreement_id}{suffix}"


def _get(world: World, agreement_id: int) -> dict[str, Any]:
    response = world.api.as_(world.auditor).get(_url(agreement_id))
    assert response.status_code == 200
    return dict(response.json)


def _events(world: World, agreement_id: int) -> list[dict[str, Any]]:
    return list(world.api.as_(world.auditor).get(_url(agreement_id, "/events")).json)


def _derive(world: World, agreement_id: int, kind: str) -> Any:
    return world.api.as_(world.data_officer).post(_url(agreement_id, f"/{kind}"))


def _active(world: World) -> dict[str, Any]:
    agreement_id = world.create_agreement()["id"]
    world.to_state(agreement_id, "active")
    return _get(world, agreement_id)


def _org_roles(agreement: dict[str, Any]) -> list[tuple[int, str, bool]]:
    return [(p["organization_id"], p["role"], p["signs"]) for p in agreement["parties"]]


def _assets(agreement: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in a.items() if k != "id"} for a in agreement["data_assets"]]


def test_an_amendment_is_a_linked_copy_in_draft(world: World) -> None:
    source = _active(world)
    response = _derive(world, source["id"], "amendments")
    assert response.status_code == 201, response.json
    draft = response.json
    assert (draft["state"], draft["version"], draft["amends_id"], draft["renews_id"]) == (
        "draft",
        1,
        source["id"],
        None,
    )
    assert draft["reference"] != source["reference"] and draft["id"] != source["id"]
    assert {k: draft[k] for k in COPIED} == {k: source[k] for k in COPIED}
    assert (draft["start_date"], draft["end_date"]) == (source["start_date"], source["end_date"])
    assert _org_roles(draft) == _org_roles(source)
    assert _assets(draft) == _assets(source)
    assert draft["signatures"] == [] and draft["frozen_sha256"] is None
    assert draft["allowed_triggers"] == ["submit", "withdraw"]
    (create,) = [e for e in _events(world, draft["id"]) if e["action"] == "create"]
    assert create["changes"]["amends_id"] == {"from": None, "to": source["id"]}
    # The source is untouched, but its trail says what was derived from it.
    after = _get(world, source["id"])
    assert (after["state"], after["version"]) == ("active", source["version"])
    events = world.api.as_(world.auditor).get(_url(source["id"], "/events")).json
    (derived,) = [e for e in events if e["action"] == "derive_amendment"]
    assert derived["changes"] == {"new_agreement": draft["reference"]}


def test_a_renewal_is_linked_and_needs_new_dates(world: World) -> None:
    source = _active(world)
    response = _derive(world, source["id"], "renewals")
    assert response.status_code == 201, response.json
    draft = response.json
    assert (draft["renews_id"], draft["amends_id"]) == (source["id"], None)
    assert (draft["start_date"], draft["end_date"]) == (None, None)
    assert draft["title"] == source["title"] and _org_roles(draft) == _org_roles(source)
    assert draft["version"] == 1
    (create,) = [e for e in _events(world, draft["id"]) if e["action"] == "create"]
    assert create["changes"]["renews_id"] == {"from": None, "to": source["id"]}
    refused = world.fire(draft["id"], world.data_officer, "submit")
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json["errors"]} == {"end_date"}


def test_an_expired_agreement_can_be_renewed_but_not_amended(
    world: World, factory: Factory
) -> None:
    source = _active(world)
    with transaction(factory.session):
        row = factory.session.get(Agreement, source["id"])
        assert row is not None
        transitions.fire_system(factory.session, row, Trigger.EXPIRE, "the end date has passed")
    assert _get(world, source["id"])["state"] == "expired"
    assert _derive(world, source["id"], "amendments").status_code == 409
    assert _derive(world, source["id"], "renewals").status_code == 201


def test_only_active_agreements_are_amended(world: World, factory: Factory) -> None:
    draft = world.create_agreement()
    factory.session.rollback()
    before = factory.session.execute(select(func.count()).select_from(Agreement)).scalar_one()
    for kind in ("amendments", "renewals"):
        response = _derive(world, draft["id"], kind)
        assert response.status_code == 409, response.json
        assert response.json["state"] == "draft"
    factory.session.rollback()
    after = factory.session.execute(select(func.count()).select_from(Agreement)).scalar_one()
    assert after == before


def test_an_active_amendment_supersedes_the_old_agreement(world: World) -> None:
    source = _active(world)
    amendment = _derive(world, source["id"], "amendments").json
    world.to_state(amendment["id"], "signing")
    assert _get(world, source["id"])["state"] == "active"  # not before the amendment is in force
    for signatory in (world.sign_city, world.sign_partner):
        assert world.fire(amendment["id"], signatory, "sign").status_code == 200

    assert _get(world, amendment["id"])["state"] == "active"
    old = _get(world, source["id"])
    assert old["state"] == "superseded"
    assert amendment["reference"] in old["closed_reason"]
    assert world.api.as_(world.legal).get(_url(source["id"])).json["allowed_triggers"] == []
    events = world.api.as_(world.auditor).get(_url(source["id"], "/events")).json
    (event,) = [e for e in events if e["action"] == "supersede"]
    assert (event["from_state"], event["to_state"]) == ("active", "superseded")
    assert (event["actor_id"], event["acting_role"]) == (None, "system")
    verify = world.api.as_(world.auditor).get("/api/v1/audit/verify").json
    assert verify["ok"] is True


def test_an_amendment_does_not_revive_a_terminated_agreement(world: World) -> None:
    source = _active(world)
    amendment = _derive(world, source["id"], "amendments").json
    assert world.fire(source["id"], world.legal, "terminate", "ended").status_code == 200
    world.to_state(amendment["id"], "active")
    assert _get(world, amendment["id"])["state"] == "active"
    assert _get(world, source["id"])["state"] == "terminated"


def test_an_active_renewal_leaves_the_renewed_agreement_alone(world: World) -> None:
    source = _active(world)
    renewal = _derive(world, source["id"], "renewals").json
    dates = {"start_date": "2028-01-01", "end_date": "2029-12-31"}
    edited = world.api.as_(world.data_officer).patch(
        _url(renewal["id"]), json=dates, headers={"If-Match": f'"{renewal["version"]}"'}
    )
    assert edited.status_code == 200, edited.json
    world.to_state(renewal["id"], "active")
    assert _get(world, source["id"])["state"] == "active"
    assert _get(world, renewal["id"])["renews_id"] == source["id"]
