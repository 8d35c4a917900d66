"""The workspace's edit form, posted as a browser posts it (every field the page shows, with
its current values, then the test's changes): parties, data assets and the GDPR profile as
well as the scalar fields, the API schema's messages next to the right row, stale versions,
and only the changed parts sent."""

from __future__ import annotations

import re
from typing import Any

from tests.factories import Factory
from tests.integration.conftest import World
from tests.integration.test_web_workspace import _agreement, _page, _patch, _signed_in
from tests.web_support import Browser, form_of


def _edit(client: Browser, agreement_id: int, **fields: str | None) -> Any:
    """Post the edit page's form; a field given None is left out (an unticked box)."""
    page = client.get(f"/agreements/{agreement_id}/edit")
    assert page.status_code == 200, page.status_code
    form = form_of(page, f"/agreements/{agreement_id}/edit") | fields
    posted = {name: value for name, value in form.items() if value is not None}
    return client.post(f"/agreements/{agreement_id}/edit", data=posted)


def _edits(world: World, agreement_id: int) -> list[dict[str, Any]]:
    events = world.api.as_(world.legal).get(f"/api/v1/agreements/{agreement_id}/events").json
    return [event for event in events if event["action"] == "edit"]


def test_the_page_edits_parties_data_assets_and_the_gdpr_profile(
    app: Any, world: World, factory: Factory
) -> None:
    agreement = world.create_agreement()
    client = _signed_in(app, factory, "data_officer", world.city)
    page = client.get(f"/agreements/{agreement['id']}/edit").get_data(as_text=True)
    assert 'name="parties-3-organization_id"' in page  # a blank row after the three parties
    saved = _edit(
        client,
        agreement["id"],
        **{"parties-2-role": "controller", "parties-2-signs": "on"},
        **{"assets-1-standard": "GeoJSON", "assets-1-description": "One row per meter."},
        **{"gdpr-retention": "P3Y", "gdpr-recipients": "Energy agency\nUniversity lab"},
    )
    assert saved.status_code == 303, saved.get_data(as_text=True)[:3000]
    after = _agreement(world, agreement["id"])
    third = after["parties"][2]
    assert (third["organization_id"], third["role"], third["signs"]) == (
        world.other_partner, "controller", True)  # fmt: skip
    asset = after["data_assets"][1]
    assert (asset["standard"], asset["description"]) == ("GeoJSON", "One row per meter.")
    assert after["gdpr"]["retention"] == "P3Y"
    assert after["gdpr"]["recipients"] == ["Energy agency", "University lab"]
    assert after["gdpr"]["lawful_basis"] == agreement["gdpr"]["lawful_basis"]  # kept
    assert set(_edits(world, agreement["id"])[-1]["changes"]) == {"parties", "data_assets", "gdpr"}
    shown = _page(client, agreement["id"])
    assert "One row per meter." in shown and "Retention" in shown and "P3Y" in shown
    timeline = re.sub(r">\s+<", "><", shown.split('id="timeline"')[1])  # the edit, by key
    assert "<td>gdpr › retention</td><td><del>P2Y</del></td><td><ins>P3Y</ins></td>" in timeline
    assert "<td>data assets 2 › standard</td><td><del>CSV</del></td>" in timeline


def test_a_row_is_added_and_a_party_removed_by_emptying_its_row(
    app: Any, world: World, factory: Factory
) -> None:
    agreement = world.create_agreement()
    client = _signed_in(app, factory, "data_officer", world.city)
    removed = _edit(client, agreement["id"], **{"parties-2-organization_id": ""})
    assert removed.status_code == 303
    assert [p["organization_id"] for p in _agreement(world, agreement["id"])["parties"]] == [
        world.city, world.partner]  # fmt: skip
    added = _edit(
        client,
        agreement["id"],
        **{"assets-2-name": "Tariffs", "assets-2-standard": "CSV", "assets-2-delivery": "batch"},
    )
    assert added.status_code == 303, added.get_data(as_text=True)[:3000]
    assets = _agreement(world, agreement["id"])["data_assets"]
    assert [a["name"] for a in assets] == ["Meter readings", "Asset list", "Tariffs"]


def test_bad_rows_show_the_schemas_messages_on_the_row_and_save_nothing(
    app: Any, world: World, factory: Factory
) -> None:
    agreement = world.create_agreement()
    client = _signed_in(app, factory, "data_officer", world.city)
    refused = _edit(
        client,
        agreement["id"],
        **{"parties-0-organization_id": "", "parties-3-organization_id": str(world.partner)},
        **{"parties-3-role": "", "gdpr-retention": "two years", "assets-0-delivery": "pigeon"},
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    # The fourth row was the third entry sent: its message lands on row 4, not row 3.
    assert 'id="err-parties-3-role">Must be one of:' in text
    assert 'id="err-parties-2-role"' not in text
    assert 'id="err-gdpr-retention">an ISO 8601 duration, e.g. P2Y' in text
    assert 'id="err-data_assets-0-delivery">Must be one of:' in text
    assert "Party 4 › role: Must be one of:" in text  # the summary names the row
    assert 'aria-invalid="true" aria-describedby="err-gdpr-retention"' in text
    assert 'value="two years"' in text
    after = _agreement(world, agreement["id"])
    assert after["version"] == agreement["version"] and after["gdpr"]["retention"] == "P2Y"
    assert len(after["parties"]) == 3 and not _edits(world, agreement["id"])


def test_scalar_fields_keep_the_schemas_messages(app: Any, world: World, factory: Factory) -> None:
    agreement = world.create_agreement()
    client = _signed_in(app, factory, "data_officer", world.city)
    refused = _edit(client, agreement["id"], title="x" * 301, sharing_model="P2P")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'id="err-title">Length must be between 1 and 300.' in text
    assert 'id="err-sharing_model">Must be one of: B2G, G2B, G2G, B2B.' in text
    assert 'aria-invalid="true" aria-describedby="err-title"' in text
    assert f'value="{"x" * 301}"' in text  # what was typed stays in the form
    dates = _edit(client, agreement["id"], end_date="2025-01-01")
    assert dates.status_code == 422
    assert 'id="err-end_date">the end date must follow the start date' in dates.get_data(True)
    interval = _edit(client, agreement["id"], review_interval_months="0")
    assert 'id="err-review_interval_months">Must be greater than or equal to 1' in (
        interval.get_data(True))  # fmt: skip
    after = _agreement(world, agreement["id"])
    assert after["title"] == agreement["title"] and after["version"] == agreement["version"]


def test_only_editors_get_the_form_and_only_while_editable(
    app: Any, world: World, factory: Factory
) -> None:
    agreement = world.create_agreement()
    edit_url = f"/agreements/{agreement['id']}/edit"
    legal = _signed_in(app, factory, "legal_officer", world.city)
    assert edit_url not in _page(legal, agreement["id"])
    assert legal.get(edit_url).status_code == 403
    client = _signed_in(app, factory, "data_officer", world.city)
    assert edit_url in _page(client, agreement["id"])
    world.to_state(agreement["id"], "legal_review")
    assert edit_url not in _page(client, agreement["id"])
    assert client.get(edit_url).status_code == 303  # back to the workspace, which says why
    token = form_of(client.get("/"), "/logout")["csrf_token"]
    version = str(_agreement(world, agreement["id"])["version"])
    late = client.post(edit_url, data={"title": "Late", "version": version, "csrf_token": token})
    assert late.status_code == 303 and _agreement(world, agreement["id"])["title"] != "Late"
    said = client.get(late.headers["Location"]).get_data(as_text=True)
    assert "This agreement cannot be edited in its current state." in said


def test_an_untouched_form_saves_nothing_and_a_partial_one_wipes_no_list(
    app: Any, world: World, factory: Factory
) -> None:
    agreement = world.create_agreement()
    client = _signed_in(app, factory, "data_officer", world.city)
    untouched = _edit(client, agreement["id"])
    assert untouched.status_code == 303 and not _edits(world, agreement["id"])
    assert "Nothing changed." in client.get(untouched.headers["Location"]).get_data(True)
    form = form_of(client.get("/"), "/logout")  # only a token
    partial = client.post(
        f"/agreements/{agreement['id']}/edit",
        data={**form, "title": "Only the title", "purpose": agreement["purpose"],
              "sharing_model": "B2G", "version": str(agreement["version"])},
    )  # fmt: skip
    assert partial.status_code == 303, partial.get_data(as_text=True)[:2000]
    after = _agreement(world, agreement["id"])
    assert after["title"] == "Only the title" and len(after["parties"]) == 3
    assert len(after["data_assets"]) == 2 and after["gdpr"] == agreement["gdpr"]


def test_an_edit_saves_shows_its_diff_and_a_stale_version_is_refused(
    app: Any, world: World, factory: Factory
) -> None:
    agreement = world.create_agreement()
    client = _signed_in(app, factory, "data_officer", world.city)
    saved = _edit(client, agreement["id"], title="Energy data, second pilot")
    assert saved.status_code == 303, saved.get_data(as_text=True)[:2000]
    after = _agreement(world, agreement["id"])
    assert after["title"] == "Energy data, second pilot"
    assert set(_edits(world, agreement["id"])[-1]["changes"]) == {"title"}  # only what changed
    timeline = _page(client, agreement["id"]).split('id="timeline"')[1]
    assert "<del>Energy data &amp; &lt;sharing&gt; &#34;pilot&#34;</del>" in timeline
    assert "<ins>Energy data, second pilot</ins>" in timeline
    stale = str(after["version"])  # then someone else edits it meanwhile
    _patch(world, agreement["id"], purpose="Changed meanwhile.")
    refused = _edit(client, agreement["id"], title="Mine", version=stale)
    assert refused.status_code == 409 and "changed meanwhile" in refused.get_data(True)
    after = _agreement(world, agreement["id"])
    assert (after["title"], after["purpose"]) == ("Energy data, second pilot", "Changed meanwhile.")
