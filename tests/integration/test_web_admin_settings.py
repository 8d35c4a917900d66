"""The admin pages for the office's set-up: organisations, municipal holidays,
the deadline policy, templates (a refused upload listed per variable),
webhooks and failed deliveries. Each change goes through its service and is
audited; a refused one shows the service's message and changes nothing."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest

from omd_gov.db import db, transaction, utcnow
from omd_gov.notifications.models import Delivery, DeliveryFailure
from tests.documents_support import BUILTIN_TEMPLATES, docx_bytes
from tests.factories import Factory
from tests.integration.conftest import World
from tests.web_admin_support import events, post, signed_in, text, token_on
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


def _upload(admin: Browser, data: bytes, **fields: str) -> Any:
    form = {"name": "custom_dsa_en", "kind": "dsa", "language": "en", **fields}
    files = {"file": (io.BytesIO(data), "custom.docx")} if data else {}
    return post(
        admin, "/admin/templates", "/admin/templates", form | files,
        content_type="multipart/form-data",
    )  # fmt: skip


def test_a_template_version_is_uploaded_and_a_hostile_one_refused_per_variable(
    admin: Browser, world: World
) -> None:
    hostile = docx_bytes("{{ agreement.title }} {{ config }}", "{{ request.environ }}{{ secrets }}")
    refused = _upload(admin, hostile)
    assert refused.status_code == 422
    page = text(refused)
    assert "The template was refused." in page
    for name in ("config", "request", "secrets"):
        assert f"<li>Variable <code>{name}</code>: unknown variable &#39;{name}&#39;</li>" in page
    assert "Traceback" not in page
    missing = _upload(admin, b"")
    assert missing.status_code == 422 and 'id="f-err-file"' in text(missing)
    badly_named = _upload(admin, hostile, name="Bad Name")
    assert badly_named.status_code == 422 and 'id="f-err-name"' in text(badly_named)
    versions = world.api.as_(world.admin).get("/api/v1/templates/custom_dsa_en/versions")
    assert versions.status_code == 404  # nothing was registered
    valid = (BUILTIN_TEMPLATES / "dsa_en.docx").read_bytes()
    uploaded = _upload(admin, valid)
    assert uploaded.status_code == 303
    listed = text(admin.get("/admin/templates"))
    assert "custom_dsa_en version 1 is registered" in listed
    assert "<td>custom_dsa_en</td>" in listed
    [event] = events("template", "upload_template")
    assert event.source == "ui"
    again = _upload(admin, valid)
    assert again.status_code == 422 and "already custom_dsa_en version 1" in text(again)


def test_a_webhook_is_added_with_its_secret_shown_once_and_removed(
    admin: Browser, world: World
) -> None:
    page = "/admin/webhooks"
    bad = post(admin, page, page, {"organization_id": "", "url": "ftp://hooks.example.org"})
    assert bad.status_code == 422
    assert 'id="f-err-organization_id"' in text(bad) and "http(s) URL" in text(bad)
    plain = post(admin, page, page, {"organization_id": world.partner, "url": "http://a.example"})
    assert plain.status_code == 422 and "https only" in text(plain)  # the service's rule
    form = {"organization_id": world.partner, "url": "https://user:pw@hooks.example.org/omd"}
    added = post(admin, page, page, form)
    assert added.status_code == 201 and added.headers["Cache-Control"] == "no-store"
    secret = token_on(added)
    assert secret.startswith("whsec_")
    listed = text(admin.get(page))
    assert "https://***@hooks.example.org/omd" in listed and secret not in listed
    assert "pw@" not in listed
    twice = post(admin, page, page, form)
    assert twice.status_code == 409 and "already has a webhook" in text(twice)
    [hook] = world.api.as_(world.admin).get("/api/v1/webhooks").json
    assert hook["active"] is True
    removed = post(admin, page, f"/admin/webhooks/{hook['id']}/delete", {})
    assert removed.status_code == 303
    assert world.api.as_(world.admin).get("/api/v1/webhooks").json[0]["active"] is False
    assert post(admin, page, f"/admin/webhooks/{hook['id']}/delete", {}).status_code == 404
    assert [e.action for e in events("webhook", "create") + events("webhook", "deactivate")] == [
        "create",
        "deactivate",
    ]


def test_unresolved_failed_deliveries_are_listed(admin: Browser) -> None:
    with transaction(db.session):
        for key, resolved in (("open", None), ("done", utcnow())):
            delivery = Delivery(channel="email", dedupe_key=f"admin-test-{key}", status="failed")
            db.session.add(delivery)
            db.session.flush()
            db.session.add(
                DeliveryFailure(
                    delivery_id=delivery.id, channel="email", recipient=f"{key}@city.example",
                    attempts=5, permanent=False, error=f"SMTP said no ({key})",
                    resolved_at=resolved,
                )
            )  # fmt: skip
    page = text(admin.get("/admin/webhooks"))
    assert "open@city.example" in page and "SMTP said no (open)" in page
    assert "done@city.example" not in page
