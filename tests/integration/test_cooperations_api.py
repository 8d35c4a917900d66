"""Cooperations: create and edit, the canvas (known sections only), and the
stage machine (forward one step at a time, back only with a reason)."""

from __future__ import annotations

from typing import Any

from tests.factories import FULL_CANVAS
from tests.integration.conftest import World

BASE = "/api/v1/cooperations"


def _events(world: World) -> int:
    """How many audit events exist (the verify report counts them all)."""
    report = world.api.as_(world.auditor).get("/api/v1/audit/verify").json
    assert report["ok"] is True
    return int(report["events_checked"])


def _new(world: World, **extra: Any) -> dict[str, Any]:
    body = {"title": "Mobility", "organization_ids": [world.city, world.partner], **extra}
    response = world.api.as_(world.data_officer).post(BASE, json=body)
    assert response.status_code == 201, response.json
    return dict(response.json)


def test_create_read_list_and_edit(world: World) -> None:
    created = _new(world, description="Traffic data")
    assert (created["stage"], created["canvas"], created["mims"]) == ("exploratory", {}, [])
    assert [o["id"] for o in created["organizations"]] == [world.city, world.partner]
    assert created["owner_id"] == world.data_officer.user_id

    office = world.api.as_(world.legal)
    assert office.get(f"{BASE}/{created['id']}").json["title"] == "Mobility"
    assert {c["id"] for c in office.get(BASE).json} == {created["id"], world.cooperation_id}

    patched = world.api.as_(world.data_officer).patch(
        f"{BASE}/{created['id']}",
        json={"title": "Urban mobility", "organization_ids": [world.city]},
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["title"] == "Urban mobility"
    assert [o["id"] for o in patched.json["organizations"]] == [world.city]
    assert patched.json["description"] == "Traffic data"


def test_unknown_organisations_are_refused(world: World) -> None:
    before = _events(world)
    body = {"title": "X", "organization_ids": [world.city, 424242]}
    response = world.api.as_(world.data_officer).post(BASE, json=body)
    assert response.status_code == 422
    assert response.json["errors"] == [
        {"field": "organization_ids", "message": "organisation 424242 does not exist"}
    ]
    assert _events(world) == before
    assert len(world.api.as_(world.legal).get(BASE).json) == 1


def test_the_canvas_is_replaced_and_audited(world: World) -> None:
    created = _new(world)
    url = f"{BASE}/{created['id']}/canvas"
    sections = {"governance_model": "A board", "context": "Porto"}
    response = world.api.as_(world.data_officer).put(
        url, json={"sections": sections, "mims": ["MIM1", "MIM2", "MIM1"]}
    )
    assert response.status_code == 200, response.json
    assert response.json["canvas"] == sections
    assert response.json["mims"] == ["MIM1", "MIM2"]
    # PUT replaces: a section left out is gone.
    again = world.api.as_(world.data_officer).put(url, json={"sections": FULL_CANVAS})
    assert again.json["canvas"] == FULL_CANVAS and again.json["mims"] == []
    smaller = world.api.as_(world.data_officer).put(url, json={"sections": {"context": "x"}})
    assert smaller.json["canvas"] == {"context": "x"}


def test_unknown_canvas_sections_are_422_and_change_nothing(world: World) -> None:
    created = _new(world)
    url = f"{BASE}/{created['id']}/canvas"
    before = _events(world)
    sections = {**FULL_CANVAS, "vision": "x", "Context": "y"}
    response = world.api.as_(world.data_officer).put(url, json={"sections": sections})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert {e["field"] for e in response.json["errors"]} == {"sections.vision", "sections.Context"}
    assert response.json["section_keys"] == list(FULL_CANVAS)
    assert _events(world) == before
    assert world.api.as_(world.legal).get(f"{BASE}/{created['id']}").json["canvas"] == {}


def test_canvas_shape_errors(world: World) -> None:
    url = f"{BASE}/{world.cooperation_id}/canvas"
    officer = world.api.as_(world.data_officer)
    cases = [
        ({"mims": ["MIM1"]}, "sections"),
        ({"sections": {"context": 5}}, "sections.context.value"),
        ({"sections": {}, "mims": "MIM1"}, "mims"),
        ({"sections": {}, "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        response = officer.put(url, json=body)
        assert response.status_code == 422, body
        assert field in {e["field"] for e in response.json["errors"]}, response.json


def test_an_incomplete_canvas_blocks_submission(world: World) -> None:
    agreement_id = world.create_agreement()["id"]
    url = f"{BASE}/{world.cooperation_id}/canvas"
    partial = {k: v for k, v in FULL_CANVAS.items() if k not in ("context", "added_value")}
    assert world.api.as_(world.data_officer).put(url, json={"sections": partial}).status_code == 200
    refused = world.fire(agreement_id, world.data_officer, "submit")
    assert refused.status_code == 422
    (problem,) = refused.json["errors"]
    assert problem["code"] == "canvas_incomplete"
    assert "context" in problem["message"] and "added_value" in problem["message"]


def _stage(world: World, cooperation_id: int, to: str, reason: str = "") -> Any:
    return world.api.as_(world.data_officer).post(
        f"{BASE}/{cooperation_id}/stage", json={"to": to, "reason": reason}
    )


def test_stages_move_forward_one_step_at_a_time(world: World) -> None:
    cooperation_id = _new(world)["id"]
    skip = _stage(world, cooperation_id, "implementation")
    assert skip.status_code == 422 and skip.json["stage"] == "exploratory"
    assert skip.json["errors"][0]["field"] == "to"
    same = _stage(world, cooperation_id, "exploratory")
    assert same.status_code == 422
    for stage in ("preparatory", "implementation", "operational", "scaling"):
        response = _stage(world, cooperation_id, stage)
        assert response.status_code == 200, response.json
        assert response.json["stage"] == stage


def test_stepping_back_needs_a_reason_that_is_audited(world: World) -> None:
    cooperation_id = _new(world)["id"]
    for stage in ("preparatory", "implementation"):
        assert _stage(world, cooperation_id, stage).status_code == 200
    before = _events(world)
    for blank in ("", "   "):
        refused = _stage(world, cooperation_id, "exploratory", blank)
        assert refused.status_code == 422 and "reason" in refused.json["detail"]
    assert _events(world) == before
    back = _stage(world, cooperation_id, "exploratory", "the partner left")
    assert back.status_code == 200 and back.json["stage"] == "exploratory"
    assert _events(world) == before + 1


def test_stage_input_is_validated(world: World) -> None:
    unknown = _stage(world, world.cooperation_id, "finished")
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "to"
    missing = world.api.as_(world.data_officer).post(
        f"{BASE}/{world.cooperation_id}/stage", json={}
    )
    assert missing.status_code == 422


def test_only_data_officers_write_cooperations(world: World) -> None:
    url = f"{BASE}/{world.cooperation_id}"
    for account in (world.legal, world.auditor, world.transparency, world.sign_city):
        api = world.api.as_(account)
        assert api.post(BASE, json={"title": "x"}).status_code == 403
        assert api.patch(url, json={"title": "x"}).status_code == 403
        assert api.put(f"{url}/canvas", json={"sections": {}}).status_code == 403
        assert api.post(f"{url}/stage", json={"to": "preparatory"}).status_code == 403
    assert (
        world.api.as_(world.admin).post(f"{url}/stage", json={"to": "preparatory"}).json["stage"]
        == "preparatory"
    )
    assert world.api.as_(world.legal).get(f"{BASE}/424242").status_code == 404
