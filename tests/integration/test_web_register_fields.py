"""The agreement form carries what the register asks of an agreement (issue 8): the economic
terms, the exclusivity, and each party's obligations, contact person and DPO, posted as a
browser posts them, with the schema's messages on the right field and row."""

from __future__ import annotations

from typing import Any

from tests.factories import Factory
from tests.integration.conftest import World
from tests.integration.test_web_language import _person, compiled_catalogues
from tests.integration.test_web_workspace import _agreement, _signed_in
from tests.integration.test_web_workspace_edit import _edit, _edits
from tests.web_support import Browser

CONTACT = {"name": "Ana Ruiz", "email": "ana@city.example", "phone": "+34 912 345 678"}
TERMS = {
    "economic-currency": "EUR",
    "economic-amount_per_annuity": "1200.5",
    "economic-total_amount": "2401",
    "economic-budget_line": "2026/920/227.06",
    "exclusivity-exclusive": "on",
    "exclusivity-justification": "Only the city can host it",
    "exclusivity-period_months": "12",
    "parties-0-obligations": "Host the platform",
    **{f"parties-0-contact-{key}": value for key, value in CONTACT.items()},
    "parties-1-dpo-name": "Luis Gil",
    "parties-1-dpo-email": "dpo@partner.example",
}


__all__ = ["compiled_catalogues"]  # the .mo files, built when missing (a module fixture)


def _client(app: Any, factory: Factory, world: World) -> Browser:
    return _signed_in(app, factory, "data_officer", world.city)


def test_the_form_saves_and_shows_the_register_fields(
    app: Any, world: World, factory: Factory
) -> None:
    agreement = world.create_agreement()
    client = _client(app, factory, world)
    saved = _edit(client, agreement["id"], **TERMS)
    assert saved.status_code == 303, saved.get_data(as_text=True)[:3000]
    after = _agreement(world, agreement["id"])
    assert after["economic_terms"] == {"currency": "EUR", "amount_per_annuity": "1200.50",
                                       "total_amount": "2401.00",
                                       "budget_line": "2026/920/227.06"}  # fmt: skip
    assert after["exclusivity"] == {"exclusive": True, "period_months": 12,
                                    "justification": "Only the city can host it"}  # fmt: skip
    city, partner = after["parties"][0], after["parties"][1]
    assert city["obligations"] == "Host the platform" and city["contact"] == CONTACT
    assert partner["dpo"] == {"name": "Luis Gil", "email": "dpo@partner.example", "phone": None}
    changes = set(_edits(world, agreement["id"])[-1]["changes"])
    assert changes == {"economic_terms", "exclusivity", "parties"}

    page = client.get(f"/agreements/{agreement['id']}/edit").get_data(as_text=True)
    assert 'value="1200.50"' in page and 'value="ana@city.example"' in page
    again = _edit(client, agreement["id"])  # the page as shown changes nothing
    assert again.status_code == 303 and len(_edits(world, agreement["id"])) == 1

    cleared = _edit(client, agreement["id"], **{"exclusivity-exclusive": None,
                    **{f"economic-{k}": "" for k in ("currency", "amount_per_annuity",
                                                     "total_amount", "budget_line")}})  # fmt: skip
    assert cleared.status_code == 303
    after = _agreement(world, agreement["id"])
    assert after["economic_terms"] is None and after["exclusivity"]["exclusive"] is False


def test_bad_register_fields_keep_the_schemas_messages_and_save_nothing(
    app: Any, world: World, factory: Factory
) -> None:
    agreement = world.create_agreement()
    client = _client(app, factory, world)
    refused = _edit(
        client,
        agreement["id"],
        **{"economic-currency": "euro", "economic-total_amount": "-3",
           "exclusivity-exclusive": "on", "parties-2-contact-email": "not-an-address"},
    )  # fmt: skip
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'id="err-economic_terms-currency">an ISO 4217 currency code' in text
    assert 'id="err-economic_terms-total_amount">Must be greater than or equal to 0' in text
    assert 'id="err-economic_terms-budget_line">' in text
    assert 'id="err-exclusivity-justification">required for an exclusive arrangement' in text
    assert 'id="err-parties-2-contact-email">Not a valid email address.' in text
    assert 'id="err-parties-2-contact-name">' in text
    assert 'value="not-an-address"' in text  # what was typed stays in the form
    after = _agreement(world, agreement["id"])
    assert after["version"] == agreement["version"] and not _edits(world, agreement["id"])


def test_the_form_is_translated(app: Any, world: World, factory: Factory) -> None:
    agreement = world.create_agreement()
    url = f"/agreements/{agreement['id']}/edit"
    expected = {
        "es": ("Condiciones económicas y exclusividad", "Delegado de protección de datos"),
        "pt": ("Condições económicas e exclusividade", "Encarregado da proteção de dados"),
    }
    for language, words in expected.items():
        _account, client = _person(app, factory, "data_officer", language, world.city)
        page = client.get(url).get_data(as_text=True)
        assert all(word in page for word in words), language
