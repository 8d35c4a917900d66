"""Every guard on transient rows (no database, no Flask), and that a guard
reports all unmet conditions at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from omd_gov.agreements import guards, lifecycle, rules
from omd_gov.agreements.guards import GuardContext
from omd_gov.agreements.models import Agreement, DataAsset, Party, Signature
from omd_gov.cooperations.canvas import SECTION_KEYS
from omd_gov.cooperations.models import Cooperation
from tests.factories import GDPR_COMPLETE

OWNER, SUBMITTER, OTHER = 1, 2, 3
CITY, PARTNER, NON_SIGNER, OUTSIDER = 10, 20, 30, 40


def _gdpr(**overrides: Any) -> dict[str, Any]:
    return {**GDPR_COMPLETE, **overrides}


def _agreement(*, personal: bool = True, **overrides: Any) -> Agreement:
    """A transient agreement that meets every submit condition."""
    agreement = Agreement(
        state="draft",
        title="Energy data",
        purpose="Plan the energy transition",
        start_date=date(2026, 1, 1),
        end_date=date(2027, 12, 31),
        owner_id=OWNER,
        submitted_by_id=SUBMITTER,
        gdpr=_gdpr(),
    )
    agreement.cooperation = Cooperation(canvas={key: "text" for key in SECTION_KEYS})
    agreement.parties = [
        Party(id=1, organization_id=CITY, role="controller", signs=True),
        Party(id=2, organization_id=PARTNER, role="processor", signs=True),
        Party(id=3, organization_id=NON_SIGNER, role="data_recipient", signs=False),
    ]
    agreement.data_assets = [
        DataAsset(name="Readings", standard="NGSI-LD", delivery="online", personal_data=personal)
    ]
    for name, value in overrides.items():
        setattr(agreement, name, value)
    return agreement


def _ctx(**overrides: Any) -> GuardContext:
    values: dict[str, Any] = {"user_id": OTHER, "role": "legal_officer", "organization_id": CITY}
    values.update(overrides)
    return GuardContext(**values)


def _fields(problems: list[guards.Problem]) -> set[tuple[str, str | None]]:
    return {(p.code, p.field) for p in problems}


def test_a_complete_agreement_passes_submit() -> None:
    assert guards.submit_guard(_agreement(), _ctx()) == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"title": "  "}, ("missing_field", "title")),
        ({"purpose": ""}, ("missing_field", "purpose")),
        ({"start_date": None}, ("missing_field", "end_date")),
        ({"end_date": None}, ("missing_field", "end_date")),
        ({"end_date": date(2025, 12, 31)}, ("invalid_dates", "end_date")),
        ({"end_date": date(2026, 1, 1)}, ("invalid_dates", "end_date")),
        ({"data_assets": []}, ("missing_field", "data_assets")),
        ({"cooperation": None}, ("canvas_incomplete", "cooperation.canvas")),
    ],
)
def test_submit_required_fields(overrides: dict[str, Any], expected: tuple[str, str]) -> None:
    problems = guards.submit_guard(_agreement(**overrides), _ctx())
    assert _fields(problems) == {expected}
    assert all(p.message for p in problems)


def test_submit_needs_two_parties_and_one_signer() -> None:
    one = _agreement()
    one.parties = [Party(id=1, organization_id=CITY, role="controller", signs=True)]
    assert [p.message for p in guards.submit_guard(one, _ctx())] == [
        "an agreement needs at least two parties"
    ]
    nobody_signs = _agreement()
    for party in nobody_signs.parties:
        party.signs = False
    assert [p.message for p in guards.submit_guard(nobody_signs, _ctx())] == [
        "at least one party must sign"
    ]


def test_submit_names_every_missing_canvas_section() -> None:
    agreement = _agreement()
    assert agreement.cooperation is not None
    agreement.cooperation.canvas = {
        key: "text" for key in SECTION_KEYS if key not in ("context", "resources")
    } | {"added_value": "   "}
    (problem,) = guards.submit_guard(agreement, _ctx())
    assert problem.code == "canvas_incomplete"
    for key in ("context", "resources", "added_value"):
        assert key in problem.message
    assert "governance_model" not in problem.message


@pytest.mark.parametrize(
    "key",
    [
        "lawful_basis",
        "dpia",
        "retention",
        "personal_data_categories",
        "data_subject_categories",
    ],
)
def test_gdpr_checklist_when_personal_data_is_shared(key: str) -> None:
    agreement = _agreement(gdpr=_gdpr(**{key: None}))
    assert _fields(guards.submit_guard(agreement, _ctx())) == {("gdpr", f"gdpr.{key}")}


def test_gdpr_checklist_is_not_needed_without_personal_data() -> None:
    assert guards.submit_guard(_agreement(personal=False, gdpr={}), _ctx()) == []


def test_a_completed_dpia_needs_its_reference() -> None:
    done = _agreement(gdpr=_gdpr(dpia="done", dpia_reference=None))
    assert _fields(guards.submit_guard(done, _ctx())) == {("gdpr", "gdpr.dpia_reference")}
    not_required = _agreement(gdpr=_gdpr(dpia="not_required", dpia_reference=None))
    assert guards.submit_guard(not_required, _ctx()) == []


def test_art9_data_needs_an_art9_condition() -> None:
    health = _agreement(gdpr=_gdpr(special_categories=["health"]))
    (problem,) = guards.submit_guard(health, _ctx())
    assert problem.field == "gdpr.art9_condition" and "Art. 9" in problem.message
    ok = _agreement(gdpr=_gdpr(special_categories=["health"], art9_condition="Art. 9(2)(g)"))
    assert guards.submit_guard(ok, _ctx()) == []


def test_transfers_outside_the_eea_need_a_mechanism() -> None:
    transfer = _agreement(gdpr=_gdpr(transfers_outside_eea=True))
    assert _fields(guards.submit_guard(transfer, _ctx())) == {("gdpr", "gdpr.transfer_mechanism")}
    ok = _agreement(gdpr=_gdpr(transfers_outside_eea=True, transfer_mechanism="SCCs"))
    assert guards.submit_guard(ok, _ctx()) == []


def test_submit_reports_every_unmet_condition_together() -> None:
    agreement = _agreement(
        title="",
        purpose=" ",
        end_date=date(2025, 1, 1),
        cooperation=Cooperation(canvas={}),
        gdpr={"special_categories": ["health"], "transfers_outside_eea": True, "dpia": "done"},
    )
    agreement.parties = [Party(id=1, organization_id=CITY, role="controller", signs=False)]
    problems = guards.submit_guard(agreement, _ctx())
    assert _fields(problems) == {
        ("missing_field", "title"),
        ("missing_field", "purpose"),
        ("invalid_dates", "end_date"),
        ("parties", "parties"),
        ("canvas_incomplete", "cooperation.canvas"),
        ("gdpr", "gdpr.lawful_basis"),
        ("gdpr", "gdpr.retention"),
        ("gdpr", "gdpr.personal_data_categories"),
        ("gdpr", "gdpr.data_subject_categories"),
        ("gdpr", "gdpr.dpia_reference"),
        ("gdpr", "gdpr.art9_condition"),
        ("gdpr", "gdpr.transfer_mechanism"),
    }
    assert len([p for p in problems if p.code == "parties"]) == 2  # two parties AND a signer
    assert len(problems) == 13


@pytest.mark.parametrize(
    ("user_id", "reasons"),
    [(OTHER, 0), (SUBMITTER, 1), (OWNER, 1), (None, 0)],
)
def test_four_eyes(user_id: int | None, reasons: int) -> None:
    problems = guards.approve_guard(_agreement(), _ctx(user_id=user_id))
    assert len(problems) == reasons
    assert all(p.code == "four_eyes" for p in problems)


def test_four_eyes_reports_submitter_and_drafter_together() -> None:
    agreement = _agreement(owner_id=OTHER, submitted_by_id=OTHER)
    problems = guards.approve_guard(agreement, _ctx(user_id=OTHER))
    assert len(problems) == 2
    assert {"submitted" in p.message or "drafted" in p.message for p in problems} == {True}


def test_send_for_signature_needs_a_document() -> None:
    (problem,) = guards.send_for_signature_guard(_agreement(), _ctx(facts={}))
    assert problem.code == "document"
    assert (
        guards.send_for_signature_guard(_agreement(), _ctx(facts={guards.DOCUMENT_READY: True}))
        == []
    )


@pytest.mark.parametrize(
    ("organization_id", "code"),
    [
        (CITY, None),
        (PARTNER, None),
        (NON_SIGNER, "signatory"),
        (OUTSIDER, "signatory"),
        (None, "signatory"),
    ],
)
def test_only_a_signing_partys_signatory_signs(organization_id: int | None, code: str) -> None:
    agreement = _agreement(state="signing")
    problems = guards.sign_guard(agreement, _ctx(role="signatory", organization_id=organization_id))
    assert [p.code for p in problems] == ([code] if code else [])


def test_an_advanced_agreement_signs_only_with_a_validated_pades_pdf() -> None:
    agreement = _agreement(state="signing", signature_level="advanced")
    click = guards.sign_guard(agreement, _ctx(role="signatory", organization_id=CITY))
    assert [(p.code, p.field) for p in click] == [("signature_level", "signature_level")]
    upload = _ctx(role="signatory", organization_id=CITY, facts={guards.PADES_SIGNED: True})
    assert guards.sign_guard(agreement, upload) == []
    simple = _agreement(state="signing", signature_level="simple")
    assert guards.sign_guard(simple, _ctx(role="signatory", organization_id=CITY)) == []


def test_one_live_signature_per_party() -> None:
    agreement = _agreement(state="signing")
    agreement.signatures = [Signature(party_id=1)]
    city, partner = _ctx(organization_id=CITY), _ctx(organization_id=PARTNER)
    assert [p.code for p in guards.sign_guard(agreement, city)] == ["already_signed"]
    assert guards.sign_guard(agreement, partner) == []
    agreement.signatures[0].voided_at = datetime(2026, 1, 1, tzinfo=UTC)
    assert guards.sign_guard(agreement, city) == []  # a declined round's signature is void


def test_decline_reports_signatory_and_reason_together() -> None:
    agreement = _agreement(state="signing")
    problems = guards.decline_guard(agreement, _ctx(organization_id=OUTSIDER, comment=" "))
    assert _fields(problems) == {("signatory", None), ("comment_required", "comment")}
    assert guards.decline_guard(agreement, _ctx(organization_id=PARTNER, comment="no")) == []


@pytest.mark.parametrize("trigger", ["request_changes", "terminate", "withdraw", "decline"])
@pytest.mark.parametrize("comment", ["", "   \n"])
def test_a_reason_is_required(trigger: str, comment: str) -> None:
    agreement = _agreement(state="signing")
    problems = rules.unmet_conditions(agreement, trigger, _ctx(comment=comment))
    assert ("comment_required", "comment") in _fields(problems)
    given = rules.unmet_conditions(agreement, trigger, _ctx(comment="because"))
    assert ("comment_required", "comment") not in _fields(given)


def test_every_trigger_has_a_rule_every_user_trigger_a_guard_system_triggers_none() -> None:
    assert set(rules.RULES) == set(lifecycle.Trigger)
    user_triggers = set(lifecycle.Trigger) - lifecycle.SYSTEM_TRIGGERS
    assert {
        t for t, rule in rules.RULES.items() if rule.guard is not guards.nothing
    } == user_triggers
    for trigger in lifecycle.SYSTEM_TRIGGERS:
        assert rules.unmet_conditions(_agreement(title=""), trigger, _ctx()) == []


def test_problems_render_with_code_message_and_field() -> None:
    (problem,) = rules.unmet_conditions(_agreement(), "terminate", _ctx())
    assert problem.as_dict() == {
        "code": "comment_required",
        "message": "a reason for termination is required",
        "field": "comment",
    }


@pytest.mark.parametrize("trigger", ["submit", "send_for_signature", "sign"])
def test_an_agreement_past_its_end_date_cannot_come_into_force(trigger: str) -> None:
    """Otherwise it would activate already expired and never be expired."""
    agreement = _agreement(state="signing", end_date=date(2026, 3, 31))
    ctx = _ctx(role="signatory", organization_id=PARTNER, facts={guards.DOCUMENT_READY: True})
    late = rules.unmet_conditions(agreement, trigger, replace(ctx, today=date(2026, 4, 1)))
    assert ("ended", "end_date") in _fields(late)
    on_the_day = rules.unmet_conditions(agreement, trigger, replace(ctx, today=date(2026, 3, 31)))
    assert ("ended", "end_date") not in _fields(on_the_day)


def test_a_party_may_still_decline_after_the_end_date() -> None:
    agreement = _agreement(state="signing", end_date=date(2026, 3, 31))
    ctx = _ctx(organization_id=PARTNER, comment="too late", today=date(2026, 6, 1))
    assert guards.decline_guard(agreement, ctx) == []
