"""The cooperation pages: a new cooperation, its canvas filled section by
section with a completeness indicator, the lock while an agreement is in
review or signing, the stage stepper and its rules, partner visibility, and a
new agreement draft that can be submitted."""

from __future__ import annotations

import re
from typing import Any

import pytest

from omd_gov.cooperations.canvas import CANVAS_SECTIONS, SECTION_KEYS
from tests.factories import Factory
from tests.integration.conftest import World
from tests.web_support import Browser, browser, csrf_of, sign_in, web_user

TOTAL = len(SECTION_KEYS)


def _signed_in(app: Any, factory: Factory, role: str, org: int | None) -> Browser:
    _account, email = web_user(factory, role, org)
    client = browser(app)
    assert sign_in(client, email).status_code == 303
    return client


@pytest.fixture
def officer(app: Any, factory: Factory, world: World) -> Browser:
    return _signed_in(app, factory, "data_officer", world.city)


def _text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def _post(client: Browser, page_url: str, url: str, data: dict[str, Any]) -> Any:
    """Post a form as the browser does: with the token of the page it is on."""
    token = csrf_of(client.get(page_url))
    return client.post(url, data={"csrf_token": token, **data})


def _cooperation(world: World, cooperation_id: int) -> dict[str, Any]:
    response = world.api.as_(world.admin).get(f"/api/v1/cooperations/{cooperation_id}")
    assert response.status_code == 200
    return dict(response.json)


def _empty_cooperation(world: World, title: str = "Mobility", orgs: list[int] | None = None) -> int:
    response = world.api.as_(world.data_officer).post(
        "/api/v1/cooperations",
        json={"title": title, "organization_ids": orgs or [world.city, world.partner]},
    )
    assert response.status_code == 201
    return int(response.json["id"])


def test_a_data_officer_creates_a_cooperation_through_the_page(
    officer: Browser, world: World
) -> None:
    page = officer.get("/cooperations")
    assert page.status_code == 200 and "New cooperation" in _text(page)
    data = {"title": "Street lighting", "organization_ids": [str(world.city), str(world.partner)]}
    created = _post(officer, "/cooperations", "/cooperations", data)
    assert created.status_code == 303
    cooperation_id = int(created.headers["Location"].rsplit("/", 1)[1])
    cooperation = _cooperation(world, cooperation_id)
    assert cooperation["title"] == "Street lighting" and cooperation["stage"] == "exploratory"
    assert [o["id"] for o in cooperation["organizations"]] == [world.city, world.partner]
    page = officer.get(created.headers["Location"])
    assert "Street lighting" in _text(page) and f"0 of {TOTAL} sections filled" in _text(page)
    assert "Street lighting" in _text(officer.get("/cooperations"))


def test_a_bad_cooperation_form_says_why_and_creates_nothing(
    officer: Browser, world: World
) -> None:
    before = world.api.as_(world.admin).get("/api/v1/cooperations").json
    refused = _post(officer, "/cooperations", "/cooperations", {"title": ""})
    assert refused.status_code == 422 and "Length must be between 1 and 300" in _text(refused)
    unknown = _post(
        officer, "/cooperations", "/cooperations", {"title": "X", "organization_ids": "999999"}
    )
    assert unknown.status_code == 422 and "organisation 999999 does not exist" in _text(unknown)
    assert world.api.as_(world.admin).get("/api/v1/cooperations").json == before


def test_the_canvas_fills_section_by_section_with_its_completeness(
    officer: Browser, world: World
) -> None:
    cooperation_id = _empty_cooperation(world)
    url = f"/cooperations/{cooperation_id}"
    page = _text(officer.get(url))
    assert f"0 of {TOTAL} sections filled" in page and "Still missing" in page
    assert page.count('name="section"') == TOTAL  # every section editable in place
    assert 'class="canvas"' in page and "Data &amp; technical" in page
    for filled, (key, _group, label) in enumerate(CANVAS_SECTIONS, start=1):
        data = {"section": key, "text": f"About {label}"}
        if key == "technical_concepts":
            data["mims"] = "MIM1, MIM2"
        saved = _post(officer, url, f"{url}/canvas", data)
        assert saved.status_code == 303 and saved.headers["Location"].endswith(f"#cell-{key}")
        page = _text(officer.get(url))
        assert f"{filled} of {TOTAL} sections filled" in page
        assert f'href="#cell-{key}"' not in page  # no longer listed as missing
    assert "The canvas is complete." in page and "Still missing" not in page
    cooperation = _cooperation(world, cooperation_id)
    assert cooperation["canvas"] == {key: f"About {label}" for key, _g, label in CANVAS_SECTIONS}
    assert cooperation["mims"] == ["MIM1", "MIM2"]
    # Saving one section again keeps the others.
    _post(officer, url, f"{url}/canvas", {"section": "context", "text": ""})
    after = _cooperation(world, cooperation_id)
    assert after["canvas"]["context"] == "" and after["canvas"]["resources"] == "About Resources"
    assert f"{TOTAL - 1} of {TOTAL} sections filled" in _text(officer.get(url))


def test_a_canvas_section_refused_by_the_schema_shows_its_message_in_place(
    officer: Browser, world: World
) -> None:
    cooperation_id = _empty_cooperation(world)
    url = f"/cooperations/{cooperation_id}"
    version = _cooperation(world, cooperation_id)["version"]
    refused = _post(officer, url, f"{url}/canvas", {"section": "context", "text": "x" * 20001})
    page = _text(refused)
    assert refused.status_code == 422
    cell = page.split('id="cell-context"', 1)[1].split("</section>", 1)[0]
    assert "Longer than maximum length 20000" in cell and 'aria-invalid="true"' in cell
    unknown = _post(officer, url, f"{url}/canvas", {"section": "horoscope", "text": "x"})
    assert unknown.status_code == 422 and "not a canvas section" in _text(unknown)
    assert _cooperation(world, cooperation_id)["version"] == version


def test_a_locked_canvas_says_why_and_refuses_a_post(officer: Browser, world: World) -> None:
    agreement = world.create_agreement()
    world.to_state(agreement["id"], "legal_review")
    url = f"/cooperations/{world.cooperation_id}"
    before = _cooperation(world, world.cooperation_id)
    page = _text(officer.get(url))
    assert "The canvas is locked." in page and agreement["reference"] in page
    assert 'name="text"' not in page and f'action="{url}/canvas"' not in page  # nothing to edit
    refused = _post(officer, url, f"{url}/canvas", {"section": "context", "text": "changed"})
    assert refused.status_code == 409
    assert "cannot change while agreements built on it" in _text(refused)
    assert _cooperation(world, world.cooperation_id) == before


def test_the_stage_stepper_moves_one_step_and_refuses_an_illegal_move(
    officer: Browser, world: World
) -> None:
    url = f"/cooperations/{world.cooperation_id}"
    page = _text(officer.get(url))
    current = re.search(r'aria-current="step">\s*<span[^>]*>1</span>\s*<span>Exploratory', page)
    assert current and "after exploratory comes preparatory" in page
    moved = _post(officer, url, f"{url}/stage", {"to": "preparatory"})
    assert moved.status_code == 303
    page = _text(officer.get(url))
    assert re.search(r'aria-current="step">\s*<span[^>]*>2</span>\s*<span>Preparatory', page)
    jump = _post(officer, url, f"{url}/stage", {"to": "operational"})
    assert jump.status_code == 422
    assert "stages advance one at a time: next after preparatory is implementation" in _text(jump)
    back = _post(officer, url, f"{url}/stage", {"to": "exploratory", "reason": ""})
    assert back.status_code == 422 and "stepping back" in _text(back)
    nowhere = _post(officer, url, f"{url}/stage", {"to": "nowhere"})
    assert nowhere.status_code == 422 and "Must be one of" in _text(nowhere)
    assert _cooperation(world, world.cooperation_id)["stage"] == "preparatory"
    back = _post(officer, url, f"{url}/stage", {"to": "exploratory", "reason": "new partner"})
    assert back.status_code == 303
    assert _cooperation(world, world.cooperation_id)["stage"] == "exploratory"


def test_a_partner_sees_only_the_cooperations_of_their_organisation(
    app: Any, factory: Factory, world: World
) -> None:
    hidden = _empty_cooperation(world, "City only", [world.city])
    partner = _signed_in(app, factory, "signatory", world.partner)
    listing = _text(partner.get("/cooperations"))
    assert "Energy" in listing and "City only" not in listing
    assert "New cooperation" not in listing
    assert partner.get(f"/cooperations/{hidden}").status_code == 404
    page = partner.get(f"/cooperations/{world.cooperation_id}")
    assert page.status_code == 200 and 'name="text"' not in _text(page)
    url = f"/cooperations/{world.cooperation_id}"
    refused = _post(partner, url, f"{url}/canvas", {"section": "context", "text": "mine"})
    assert refused.status_code == 403
    outsider = _signed_in(app, factory, "signatory", world.outsider_org)
    assert "Energy" not in _text(outsider.get("/cooperations"))
    assert outsider.get(url).status_code == 404


def _draft_form(world: World) -> dict[str, str]:
    return {
        "title": "Energy data pilot",
        "purpose": "Plan the energy transition.",
        "sharing_model": "B2G",
        "start_date": "2027-01-01",
        "end_date": "2028-12-31",
        "parties-0-organization_id": str(world.city),
        "parties-0-role": "controller",
        "parties-0-signs": "on",
        "parties-1-organization_id": str(world.partner),
        "parties-1-role": "processor",
        "parties-1-signs": "on",
        "assets-0-name": "Meter readings",
        "assets-0-standard": "NGSI-LD",
        "assets-0-delivery": "online",
        "assets-0-personal_data": "on",
        "gdpr-lawful_basis": "public_task",
        "gdpr-personal_data_categories": "energy readings\naddresses",
        "gdpr-data_subject_categories": "residents",
        "gdpr-dpia": "done",
        "gdpr-dpia_reference": "DPIA-7",
        "gdpr-retention": "P2Y",
    }


def test_the_new_agreement_form_creates_a_draft_that_can_be_submitted(
    officer: Browser, world: World
) -> None:
    url = f"/cooperations/{world.cooperation_id}/agreements/new"
    form = officer.get(url)
    assert form.status_code == 200 and "<legend>GDPR profile</legend>" in _text(form)
    created = _post(
        officer, url, f"/cooperations/{world.cooperation_id}/agreements", _draft_form(world)
    )
    assert created.status_code == 303
    location = created.headers["Location"]
    assert re.fullmatch(r"/agreements/\d+", location)
    agreement_id = int(location.rsplit("/", 1)[1])
    detail = world.api.as_(world.admin).get(f"/api/v1/agreements/{agreement_id}").json
    assert detail["state"] == "draft" and detail["reference"].startswith("OMD-")
    assert [(p["organization_id"], p["role"], p["signs"]) for p in detail["parties"]] == [
        (world.city, "controller", True),
        (world.partner, "processor", True),
    ]
    assert detail["gdpr"]["personal_data_categories"] == ["energy readings", "addresses"]
    assert officer.get(location).status_code == 200
    page = _text(officer.get(f"/cooperations/{world.cooperation_id}"))
    assert f'href="{location}"' in page
    submitted = world.fire(agreement_id, world.data_officer, "submit")
    assert submitted.status_code == 200, submitted.json
    assert submitted.json["state"] == "legal_review"


def test_a_bad_agreement_form_shows_the_schema_messages_and_creates_nothing(
    officer: Browser, world: World
) -> None:
    url = f"/cooperations/{world.cooperation_id}/agreements/new"
    data = _draft_form(world) | {
        "title": "",
        # The second party on the form's third row: its message lands on that row.
        "parties-1-organization_id": "",
        "parties-2-organization_id": str(world.partner),
        "parties-2-role": "king",
        "gdpr-retention": "two years",
    }
    refused = _post(officer, url, f"/cooperations/{world.cooperation_id}/agreements", data)
    page = _text(refused)
    assert refused.status_code == 422
    assert 'id="err-title"' in page and "Length must be between 1 and 300" in page
    assert 'id="err-parties-2-role"' in page and "Must be one of" in page
    assert 'id="err-gdpr-retention"' in page and "an ISO 8601 duration, e.g. P2Y" in page
    assert 'value="Meter readings"' in page  # what was typed is kept
    # The schema's own checks across fields (they run once the fields are valid).
    dates = _draft_form(world) | {"end_date": "2026-12-31"}
    refused = _post(officer, url, f"/cooperations/{world.cooperation_id}/agreements", dates)
    page = _text(refused)
    assert refused.status_code == 422
    assert 'id="err-end_date"' in page and "the end date must follow the start date" in page
    listed = world.api.as_(world.admin).get("/api/v1/agreements").json
    assert listed["items"] == []
