"""The admin pages for the office's set-up: organisations, municipal holidays,
the deadline policy, templates (a refused upload listed per variable),
webhooks and failed deliveries. Each change goes through its service and is
audited; a refused one shows the service's message and changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.factories import Factory
from tests.integration.conftest import World
from tests.web_admin_support import events, post, signed_in, text
from tests.web_support import Browser


@pytest.fixture
def admin(app: Any, factory: Factory, world: World) -> Browser:
    return signed_in(app, factory, "admin", world.city)


def test_an_organisation_is_created_and_bad_input_is_named_by_field(
    admin: Browser, world: World
) -> None:
    form = {"name": "Harbour Authority", "kind": "public_body", "country": "PT",
            "tax_id": "PT501234567", "contacts": "Ana Lima, ana@harbour.example\n\n"}  # fmt: skip
    bad = post(admin, "/admin/organizations", "/admin/organizations", form | {"country": "pt"})
    assert bad.status_code == 422
    assert 'id="f-err-country"' in text(bad) and "ISO 3166-1 alpha-2, e.g. PT" in text(bad)
    assert "Harbour Authority</td>" not in text(bad)
    created = post(admin, "/admin/organizations", "/admin/organizations", form)
    assert created.status_code == 303
    page = text(admin.get("/admin/organizations"))
    assert "Harbour Authority</td>" in page and "Ana Lima, ana@harbour.example" in page
    listed = world.api.as_(world.admin).get("/api/v1/organizations").json
    [harbour] = [o for o in listed if o["name"] == "Harbour Authority"]
    assert harbour["contacts"] == [{"name": "Ana Lima", "email": "ana@harbour.example"}]
    again = post(admin, "/admin/organizations", "/admin/organizations", form)
    assert again.status_code == 409 and "already exists" in text(again)
    assert [e.entity_id for e in events("organization", "create")][-1] == harbour["id"]


def test_a_municipal_holiday_is_added_and_removed(admin: Browser) -> None:
    page = "/admin/holidays?year=2031"
    form = {"date": "2031-06-13", "name": "Saint Anthony", "kind": "holiday"}
    added = post(admin, page, "/admin/holidays", form)
    assert added.status_code == 303 and added.headers["Location"] == "/admin/holidays?year=2031"
    listed = text(admin.get(page))
    assert "Saint Anthony" in listed and "Remove Saint Anthony (2031-06-13)" in listed
    assert "official" in listed  # the national holidays are listed beside it
    twice = post(admin, page, "/admin/holidays", form)
    assert twice.status_code == 409 and "already a municipal holiday" in text(twice)
    bad = post(admin, page, "/admin/holidays", {"date": "2031-02-30", "name": "", "kind": "x"})
    assert bad.status_code == 422
    assert all(f'id="f-err-{field}"' in text(bad) for field in ("date", "name", "kind"))
    [event] = events("municipal_holiday", "create")
    assert event.changes["date"]["to"] == date(2031, 6, 13).isoformat()
    removed = post(admin, page, f"/admin/holidays/{event.entity_id}/delete", {"year": "2031"})
    assert removed.status_code == 303
    assert "Saint Anthony" not in text(admin.get(page))
    assert len(events("municipal_holiday", "delete")) == 1
    assert admin.get("/admin/holidays?year=99999").status_code == 400


def _policy(world: World, kind: str) -> dict[str, Any]:
    policies = world.api.as_(world.admin).get("/api/v1/deadlines/policy").json
    return next(p for p in policies if p["kind"] == kind)


def test_the_deadline_policy_is_edited_and_a_bad_value_refused(
    admin: Browser, world: World
) -> None:
    before = _policy(world, "legal_review")
    form = {
        "due_business_days": "12",
        "remind_before_business_days": "0, 3",
        "remind_every_business_days": "",
        "escalate_after_business_days": "4",
        "notice_days_before": "",
        "review_every_months": "",
        "notify_on_start": "on",
    }
    url = "/admin/policy/legal_review"
    bad = post(admin, "/admin/policy", url, form | {"due_business_days": "0"})
    assert bad.status_code == 422
    assert 'id="legal_review-err-due_business_days"' in text(bad)
    assert "Must be greater than or equal to 1" in text(bad)
    items = post(admin, "/admin/policy", url, form | {"remind_before_business_days": "2, x"})
    assert items.status_code == 422 and "item 2: Not a valid integer." in text(items)
    assert _policy(world, "legal_review") == before
    saved = post(admin, "/admin/policy", url, form)
    assert saved.status_code == 303
    after = _policy(world, "legal_review")
    assert after["due_business_days"] == 12 and after["remind_before_business_days"] == [3, 0]
    assert after["escalate_after_business_days"] == 4 and after["notify_on_start"] is True
    [event] = events("deadline_policy", "update_policy")
    assert event.changes["due_business_days"] == {"from": before["due_business_days"], "to": 12}
    assert post(admin, "/admin/policy", "/admin/policy/nothing", form).status_code == 404
