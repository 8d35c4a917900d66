"""The rendering context: pure, documented, localised, never pre-escaped.

Agreements here are transient ORM rows (no session, no database, no Flask):
``build_context`` must work on them exactly as on loaded rows.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from omd_gov.agreements.models import Agreement, DataAsset, Party
from omd_gov.cooperations.canvas import SECTION_KEYS
from omd_gov.cooperations.models import Cooperation
from omd_gov.documents import context_labels as L
from omd_gov.documents.context import applicable_annex_kinds, build_context
from omd_gov.documents.context_sample import sample_context
from omd_gov.documents.context_spec import CONTEXT_VARIABLES, Var, context_spec, spec_markdown
from omd_gov.organizations.models import Organization

DOCS = Path(__file__).resolve().parents[2] / "docs" / "TEMPLATES.md"
TRICKY = """Águas & Saneamento <Norte> "AdN" 'Lda'"""
GDPR = {
    "lawful_basis": "public_task",
    "personal_data_categories": ["meter readings", "postal address"],
    "data_subject_categories": ["residents"],
    "special_categories": [],
    "dpia": "done",
    "dpia_reference": "DPIA-1",
    "retention": "P2Y",
    "transfers_outside_eea": False,
}


def org(name: str, kind: str = "company", contacts: list[dict[str, str]] | None = None) -> Any:
    return Organization(name=name, kind=kind, country="PT", tax_id="PT1", contacts=contacts or [])


def make_agreement(
    roles: list[tuple[str, str, bool]], *, personal: bool = True, **fields: Any
) -> Agreement:
    """A transient agreement; ``roles`` are (organisation name, role, signs)."""
    kinds = {"City": "municipality"}
    values: dict[str, Any] = {
        "reference": "OMD-2026-0001",
        "title": "Energy data",
        "purpose": "Plan the energy transition.",
        "sharing_model": "B2G",
        "version": 2,
        "review_interval_months": 12,
        "start_date": date(2026, 1, 1),
        "end_date": date(2027, 12, 31),
        "gdpr": dict(GDPR) if personal else {},
        "cooperation": Cooperation(
            title="Energy",
            stage="preparatory",
            canvas={key: f"Text for {key}" for key in SECTION_KEYS},
            mims=["MIM1", "mim2 ", "MIMX"],
        ),
        "parties": [
            Party(organization=org(name, kinds.get(name, "company")), role=role, signs=signs)
            for name, role, signs in roles
        ],
        "data_assets": [
            DataAsset(
                name="Readings", standard="NGSI-LD", delivery="online", personal_data=personal
            ),
            DataAsset(name="Assets", standard="CSV", delivery="batch", personal_data=False),
        ],
    }
    values.update(fields)
    return Agreement(**values)


PROCESSOR = [("City", "controller", True), ("Partner", "processor", True)]
JOINT = [("City", "joint_controller", True), ("Partner", "joint_controller", True)]


def spec_problems(value: Any, var: Var, path: str) -> list[str]:
    """Where ``value`` does not have the shape ``var`` documents."""
    simple = {"str": str, "int": int, "bool": bool}
    if var.type in simple:
        ok = isinstance(value, simple[var.type]) and (var.type == "bool") == isinstance(value, bool)
        return [] if ok else [f"{path}: expected {var.type}, got {value!r}"]
    if var.type == "list[str]":
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
        return [] if ok else [f"{path}: expected list[str], got {value!r}"]
    items = [value] if var.type == "dict" else value
    if not isinstance(items, list):
        return [f"{path}: expected {var.type}, got {value!r}"]
    problems = []
    for index, item in enumerate(items):
        where = path if var.type == "dict" else f"{path}[{index}]"
        problems += context_problems(item, var.fields, where + ".")
    return problems


def context_problems(context: Any, spec: tuple[Var, ...], prefix: str = "") -> list[str]:
    if not isinstance(context, dict):
        return [f"{prefix}: expected a dict, got {context!r}"]
    names = {var.name for var in spec}
    problems = [f"{prefix}{key}: not in the spec" for key in sorted(set(context) - names)]
    problems += [f"{prefix}{key}: missing" for key in sorted(names - set(context))]
    for var in spec:
        if var.name in context:
            problems += spec_problems(context[var.name], var, prefix + var.name)
    return problems


# --- the annexes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "personal", "expected"),
    [
        (PROCESSOR, True, ["annex_art28"]),
        (JOINT, True, ["annex_art26"]),
        (JOINT + [("Cloud", "processor", True)], True, ["annex_art28", "annex_art26"]),
        (PROCESSOR + JOINT[1:], False, []),  # no personal data: no GDPR annex at all
        ([("City", "controller", True), ("Partner", "data_recipient", True)], True, []),
    ],
)
def test_the_annexes_follow_the_parties_roles(
    roles: list[tuple[str, str, bool]], personal: bool, expected: list[str]
) -> None:
    agreement = make_agreement(roles, personal=personal)
    assert applicable_annex_kinds(agreement) == expected
    assert [a["kind"] for a in build_context(agreement, "en")["annexes"]] == expected


# --- the shape is the documented one --------------------------------------------------


@pytest.mark.parametrize("language", L.LANGUAGES)
@pytest.mark.parametrize(
    "agreement",
    [
        pytest.param(lambda: make_agreement(PROCESSOR), id="processor"),
        pytest.param(lambda: make_agreement(JOINT), id="joint"),
        pytest.param(lambda: make_agreement(PROCESSOR, personal=False), id="no-personal-data"),
        pytest.param(
            lambda: Agreement(reference="", title="", purpose="", sharing_model="B2G"),
            id="empty-draft",
        ),
    ],
)
def test_every_context_has_exactly_the_documented_shape(agreement: Any, language: str) -> None:
    context = build_context(agreement(), language)
    assert context_problems(context, context_spec()) == []
    json.dumps(context)  # plain data: safe to pickle to the render process


@pytest.mark.parametrize("language", L.LANGUAGES)
def test_the_sample_context_is_complete_in_every_language(language: str) -> None:
    sample = sample_context(language)
    assert context_problems(sample, context_spec()) == []
    # every list a template may loop over has items, so a test render reaches every field
    lists = [sample["parties"], sample["processors"], sample["joint_controllers"]]
    lists += [sample["data_assets"], sample["annexes"], sample["cooperation"]["mims"]]
    lists += [sample["gdpr"]["special_categories"], sample["gdpr"]["recipients"]]
    assert all(lists)
    sample["parties"].clear()  # a caller that changes its copy leaves the next one whole
    assert sample_context(language)["parties"]


def test_the_spec_documents_every_variable_with_an_example() -> None:
    def walk(spec: tuple[Var, ...], prefix: str = "") -> list[str]:
        problems = []
        for var in spec:
            if not var.description.strip():
                problems.append(f"{prefix}{var.name}: no description")
            if var.example is None or (var.type == "list[dict]" and not var.example):
                problems.append(f"{prefix}{var.name}: no example")
            problems += walk(var.fields, f"{prefix}{var.name}.")
        return problems

    assert walk(context_spec()) == []
    assert {var.name for var in context_spec()} == CONTEXT_VARIABLES
    assert len(CONTEXT_VARIABLES) == len(context_spec())


def test_the_documentation_matches_the_spec() -> None:
    expected = spec_markdown(context_spec())
    assert expected in DOCS.read_text(encoding="utf-8"), (
        "docs/TEMPLATES.md is out of date: run "
        "`.venv/bin/python -m omd_gov.documents.context_spec docs/TEMPLATES.md`"
    )
    for name in CONTEXT_VARIABLES:
        assert f"| `{name}` |" in expected


# --- values ------------------------------------------------------------------


def test_values_are_plain_text_exactly_as_typed() -> None:
    """Escaping is the renderer's job; escaping here too would print '&amp;'."""
    title = """Energy & <water> "pilot" 'phase 1'"""
    agreement = make_agreement([(TRICKY, "controller", True)], title=title)
    context = build_context(agreement, "en")
    assert context["agreement"]["title"] == title
    assert context["parties"][0]["name"] == TRICKY
    assert context["signing_parties"][0]["name"] == TRICKY


def test_party_lists() -> None:
    roles = [
        ("City", "controller", True),
        ("Energy Agency", "joint_controller", True),
        ("Cloud", "processor", True),
        ("University", "data_recipient", False),
    ]
    context = build_context(make_agreement(roles), "en")
    lists = ("parties", "signing_parties", "controllers", "joint_controllers", "processors")
    names = {key: [p["name"] for p in context[key]] for key in lists}
    assert names["parties"] == ["City", "Energy Agency", "Cloud", "University"]
    assert names["signing_parties"] == ["City", "Energy Agency", "Cloud"]
    assert names["controllers"] == ["City", "Energy Agency"]
    # a plain controller next to a joint controller controls jointly with it
    assert names["joint_controllers"] == ["City", "Energy Agency"]
    assert names["processors"] == ["Cloud"]
    assert context["contact_point"]["name"] == "City"  # the municipality


def test_data_providers_stand_in_when_no_party_is_a_controller() -> None:
    roles = [("Utility", "data_provider", True), ("Cloud", "processor", True)]
    context = build_context(make_agreement(roles), "en")
    assert [p["name"] for p in context["controllers"]] == ["Utility"]
    assert context["joint_controllers"] == []
    assert context["contact_point"]["name"] == "Utility"


def test_first_contact_of_each_organisation() -> None:
    agreement = make_agreement(PROCESSOR)
    agreement.parties[0].organization.contacts = [
        {"name": "Ana", "email": "ana@city.example"},
        {"name": "Rui", "email": "rui@city.example"},
    ]
    city, partner = build_context(agreement, "en")["parties"]
    assert (city["contact_name"], city["contact_email"]) == ("Ana", "ana@city.example")
    assert (partner["contact_name"], partner["contact_email"]) == ("", "")


def test_a_draft_without_data_gives_blanks_not_errors() -> None:
    context = build_context(Agreement(reference="", title="", purpose="", sharing_model=""), "pt")
    assert context["agreement"]["start_date"] == "por determinar"
    assert context["agreement"]["term"] == "de por determinar a por determinar"
    assert context["contact_point"]["name"] == ""
    assert context["gdpr"]["retention_label"] == "por determinar"
    assert context["cooperation"]["canvas"] == {key: "" for key in SECTION_KEYS}
    assert context["shares_personal_data"] is False
