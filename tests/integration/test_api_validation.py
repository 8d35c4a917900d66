"""Bad request shapes (400/422 with field-level detail), guard failures that
list every reason, and failed requests that leave no row or audit event behind."""

from __future__ import annotations

from typing import Any

import pytest

from omd_gov.agreements import hooks
from omd_gov.errors import Unprocessable
from tests.integration.conftest import World
from tests.integration.problems import assert_problem, counts, url, world_payload

# --- 400 / 422: request shape --------------------------------------------------


def test_malformed_json_is_400_with_detail(world: World) -> None:
    created = world.create_agreement()
    before = counts()
    officer = world.api.as_(world.data_officer)
    for route, send in (
        ("/api/v1/agreements", officer.post),
        (url(created["id"], "/transitions"), officer.post),
        (f"/api/v1/cooperations/{world.cooperation_id}/canvas", officer.put),
    ):
        response = send(route, data='{"title": ', headers={"Content-Type": "application/json"})
        body = assert_problem(response, 400)
        assert "JSON" in body["detail"] and body["errors"][0]["message"] == body["detail"]
    assert counts() == before


def test_wrong_types_name_each_field(world: World) -> None:
    before = counts()
    response = world.api.as_(world.data_officer).post(
        "/api/v1/agreements",
        json={
            "cooperation_id": "one",
            "title": 5,
            "purpose": ["x"],
            "sharing_model": "P2P",
            "parties": [{"organization_id": "city", "role": "owner", "signs": "maybe"}],
            "data_assets": "all of them",
            "gdpr": {"retention": "two years", "transfers_outside_eea": "no idea"},
            "start_date": "2026-13-45",
        },
    )
    body = assert_problem(response, 422)
    fields = {e["field"] for e in body["errors"]}
    assert fields == {
        "cooperation_id",
        "title",
        "purpose",
        "sharing_model",
        "parties.0.organization_id",
        "parties.0.role",
        "parties.0.signs",
        "data_assets",
        "gdpr.retention",
        "gdpr.transfers_outside_eea",
        "start_date",
    }
    assert all(e["message"] for e in body["errors"])
    assert counts() == before


def test_wrong_query_parameters_name_each_field(world: World) -> None:
    response = world.api.as_(world.legal).get(
        "/api/v1/agreements?page=first&per_page=1000&state=lost&organization_id=x"
    )
    body = assert_problem(response, 422)
    assert {e["field"] for e in body["errors"]} == {"page", "per_page", "state", "organization_id"}


def test_a_json_body_that_is_not_an_object(world: World) -> None:
    response = world.api.as_(world.data_officer).post("/api/v1/agreements", json=[1, 2])
    assert assert_problem(response, 422)["errors"]


def test_unknown_fields_are_refused_top_level_and_nested(world: World) -> None:
    created = world.create_agreement()
    officer = world.api.as_(world.data_officer)
    payload = {
        "cooperation_id": world.cooperation_id,
        "title": "t",
        "purpose": "p",
        "sharing_model": "B2G",
        "titel": "typo",
        "parties": [{"organization_id": world.city, "role": "controller", "colour": "red"}],
        "data_assets": [
            {"name": "n", "standard": "CSV", "delivery": "batch", "size": 3},
        ],
        "gdpr": {"lawful_basis": "consent", "legal_basis": "consent"},
    }
    before = counts()
    body = assert_problem(officer.post("/api/v1/agreements", json=payload), 422)
    assert {(e["field"], e["message"]) for e in body["errors"]} == {
        ("titel", "Unknown field."),
        ("parties.0.colour", "Unknown field."),
        ("data_assets.0.size", "Unknown field."),
        ("gdpr.legal_basis", "Unknown field."),
    }
    etag = {"If-Match": f'"{created["version"]}"'}
    patch = officer.patch(url(created["id"]), json={"cooperation_id": 2}, headers=etag)
    assert {e["field"] for e in assert_problem(patch, 422)["errors"]} == {"cooperation_id"}
    fire = officer.post(url(created["id"], "/transitions"), json={"trigger": "submit", "x": 1})
    assert {e["field"] for e in assert_problem(fire, 422)["errors"]} == {"x"}
    org = officer.post(
        "/api/v1/organizations",
        json={"name": "N", "kind": "company", "country": "PT", "tax_id": "1", "vat": "x"},
    )
    assert {e["field"] for e in assert_problem(org, 422)["errors"]} == {"vat"}
    assert counts() == before


# --- 422: guards ---------------------------------------------------------------


def test_a_guard_failure_lists_every_reason(world: World) -> None:
    payload = world_payload(
        world,
        parties=[{"organization_id": world.city, "role": "controller", "signs": True}],
        gdpr={"special_categories": ["health"], "transfers_outside_eea": True},
        end_date=None,
    )
    created = world.api.as_(world.data_officer).post("/api/v1/agreements", json=payload).json
    before = counts()
    body = assert_problem(world.fire(created["id"], world.data_officer, "submit"), 422)
    assert body["type"].endswith("guard-failed")
    assert {e["field"] for e in body["errors"]} == {
        "end_date",
        "parties",
        "gdpr.lawful_basis",
        "gdpr.dpia",
        "gdpr.retention",
        "gdpr.personal_data_categories",
        "gdpr.data_subject_categories",
        "gdpr.art9_condition",
        "gdpr.transfer_mechanism",
    }
    assert all(e["message"] and e["code"] for e in body["errors"])
    assert str(len(body["errors"])) in body["detail"]
    assert counts() == before
    assert world.api.as_(world.legal).get(url(created["id"])).json["state"] == "draft"


def test_a_missing_reason_is_a_field_error(world: World) -> None:
    created = world.create_agreement()
    body = assert_problem(world.fire(created["id"], world.data_officer, "withdraw", "  "), 422)
    assert body["errors"] == [
        {"code": "comment_required", "field": "comment", "message": body["errors"][0]["message"]}
    ]


# --- nothing half-written ------------------------------------------------------


def test_a_failing_side_effect_rolls_back_the_transition_and_its_event(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = world.create_agreement()

    def refuse(_session: Any, step: Any) -> None:
        assert step.to_state == "legal_review"  # runs after the state change and the event
        raise Unprocessable("a side effect failed", [{"field": None, "message": "boom"}])

    monkeypatch.setattr(hooks, "_AFTER", [*hooks._AFTER, refuse])
    before = counts()
    assert_problem(world.fire(created["id"], world.data_officer, "submit"), 422)
    assert counts() == before
    monkeypatch.setattr(hooks, "_AFTER", [h for h in hooks._AFTER if h is not refuse])
    after = world.api.as_(world.legal).get(url(created["id"])).json
    assert (after["state"], after["version"], after["submitted_by_id"]) == ("draft", 1, None)
    verify = world.api.as_(world.auditor).get("/api/v1/audit/verify").json
    assert verify["ok"] is True


def test_a_refused_create_leaves_no_rows(world: World) -> None:
    officer = world.api.as_(world.data_officer)
    before = counts()
    parties = [
        {"organization_id": world.city, "role": "controller"},
        {"organization_id": 987654, "role": "processor"},
    ]
    body = assert_problem(
        officer.post("/api/v1/agreements", json=world_payload(world, parties=parties)), 422
    )
    assert body["errors"][0]["field"] == "parties.organization_id"
    duplicate = [parties[0], parties[0]]
    response = officer.post("/api/v1/agreements", json=world_payload(world, parties=duplicate))
    assert_problem(response, 422)
    unknown_cooperation = world_payload(world, cooperation_id=987654)
    response = officer.post("/api/v1/agreements", json=unknown_cooperation)
    assert assert_problem(response, 422)["errors"][0]["field"] == "cooperation_id"
    assert counts() == before


def test_a_refused_edit_changes_nothing(world: World) -> None:
    created = world.create_agreement()
    before = counts()
    twice = [{"organization_id": world.city, "role": "controller"}] * 2
    response = world.api.as_(world.data_officer).patch(
        url(created["id"]),
        json={"title": "new", "parties": twice},
        headers={"If-Match": f'"{created["version"]}"'},
    )
    assert_problem(response, 422)
    assert counts() == before
    after = world.api.as_(world.legal).get(url(created["id"])).json
    assert (after["title"], after["version"]) == (created["title"], created["version"])
    assert len(after["parties"]) == 3
