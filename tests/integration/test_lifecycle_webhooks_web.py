"""The webhooks admin page with office-wide endpoints: listed as such, in
every language, and never created by a form that left the organisation out."""

from __future__ import annotations

from typing import Any

from tests.factories import Factory
from tests.integration.conftest import World
from tests.integration.test_web_language_admin import _person, compiled_catalogues
from tests.web_admin_support import post, signed_in, text

__all__ = ["compiled_catalogues"]  # the .mo files, built when missing (a module fixture)


def test_office_wide_endpoints_are_listed_and_the_form_still_needs_an_organisation(
    app: Any, factory: Factory, world: World
) -> None:
    office = world.api.as_(world.admin).post(
        "/api/v1/webhooks", json={"url": "https://city-os.example/omd"}
    )
    assert office.status_code == 201
    admin = signed_in(app, factory, "admin", world.city)
    page = text(admin.get("/admin/webhooks"))
    assert "Office-wide</td>" in page and "https://city-os.example/omd" in page
    assert "Remove the webhook of Office-wide" in page and "None" not in page
    missing = post(admin, "/admin/webhooks", "/admin/webhooks",
                   {"organization_id": "", "url": "https://other.example/omd"})  # fmt: skip
    assert missing.status_code == 422 and 'id="f-err-organization_id"' in text(missing)
    assert len(world.api.as_(world.admin).get("/api/v1/webhooks").json) == 1
    for language, label in (("es", "Toda la oficina</td>"), ("pt", "Todo o gabinete</td>")):
        person = _person(app, factory, "admin", language, world.city)
        assert label in text(person.get("/admin/webhooks")), language
