"""The lifecycle machine on transient rows: no database, no Flask.

The expected tables below are written out by hand from the lifecycle table in
docs/LIFECYCLE.md, so a change to the machine that is not a change to the design fails.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from transitions import MachineError

from omd_gov.agreements import lifecycle, rules
from omd_gov.agreements.models import Agreement, Party, Signature

STATES = (
    "draft",
    "legal_review",
    "changes_requested",
    "approved",
    "signing",
    "active",
    "expired",
    "terminated",
    "superseded",
    "withdrawn",
)
TRIGGERS = (
    "submit",
    "request_changes",
    "approve",
    "send_for_signature",
    "sign",
    "decline",
    "expire",
    "terminate",
    "supersede",
    "withdraw",
)
# (state, trigger) -> destination; every pair not listed is illegal.
# "sign" from signing is tested separately: its destination depends on the signatures.
LEGAL = {
    ("draft", "submit"): "legal_review",
    ("changes_requested", "submit"): "legal_review",
    ("legal_review", "request_changes"): "changes_requested",
    ("legal_review", "approve"): "approved",
    ("approved", "send_for_signature"): "signing",
    ("signing", "sign"): "signing",
    ("signing", "decline"): "changes_requested",
    ("active", "expire"): "expired",
    ("active", "terminate"): "terminated",
    ("active", "supersede"): "superseded",
    **{
        (state, "withdraw"): "withdrawn"
        for state in ("draft", "legal_review", "changes_requested", "approved", "signing")
    },
}
# Who may fire what (admin is checked separately).
ROLES = {
    "submit": {"data_officer"},
    "request_changes": {"legal_officer"},
    "approve": {"legal_officer"},
    "send_for_signature": {"legal_officer"},
    "sign": {"signatory"},
    "decline": {"signatory"},
    "expire": set(),
    "terminate": {"legal_officer"},
    "supersede": set(),
    "withdraw": {"data_officer", "legal_officer"},
}
NON_ADMIN_ROLES = ("data_officer", "legal_officer", "transparency_officer", "auditor", "signatory")


def _agreement(state: str, signed_party_ids: tuple[int, ...] = ()) -> Agreement:
    """A transient agreement with two signing parties and one that does not sign."""
    agreement = Agreement(state=state)
    agreement.parties = [
        Party(id=1, organization_id=10, role="controller", signs=True),
        Party(id=2, organization_id=20, role="processor", signs=True),
        Party(id=3, organization_id=30, role="data_recipient", signs=False),
    ]
    agreement.signatures = [Signature(party_id=pid) for pid in signed_party_ids]
    return agreement


def test_the_machine_knows_exactly_the_designed_states_and_triggers() -> None:
    assert set(lifecycle.State) == set(STATES)
    assert set(lifecycle.Trigger) == set(TRIGGERS)
    assert set(lifecycle.EDITABLE_STATES) == {"draft", "changes_requested"}


@pytest.mark.parametrize(("state", "trigger"), list(itertools.product(STATES, TRIGGERS)))
def test_every_state_trigger_pair(state: str, trigger: str) -> None:
    agreement = _agreement(state)
    expected = LEGAL.get((state, trigger))
    assert (trigger in lifecycle.triggers_from(state)) is (expected is not None)
    if expected is None:
        with pytest.raises(MachineError):
            lifecycle.fire(agreement, trigger)
        assert agreement.state == state
    else:
        assert lifecycle.fire(agreement, trigger) == (state, expected)
        assert agreement.state == expected


def test_final_states_have_no_way_out() -> None:
    for state in ("expired", "terminated", "superseded", "withdrawn"):
        assert lifecycle.triggers_from(state) == []


def test_triggers_from_keeps_table_order() -> None:
    assert lifecycle.triggers_from("legal_review") == ["request_changes", "approve", "withdraw"]
    assert lifecycle.triggers_from("active") == ["expire", "terminate", "supersede"]


@pytest.mark.parametrize(
    ("signed_before", "expected"),
    [
        ((), "signing"),  # first of two signatures
        ((1,), "active"),  # the last signature activates
        ((2,), "active"),  # in either order
    ],
)
def test_the_last_signature_activates(signed_before: tuple[int, ...], expected: str) -> None:
    agreement = _agreement("signing", signed_before)
    # The service adds the new signature before firing, exactly like this.
    new_party = 2 if 1 in signed_before else 1
    agreement.signatures.append(Signature(party_id=new_party))
    assert lifecycle.fire(agreement, "sign") == ("signing", expected)


def test_a_non_signing_party_is_not_waited_for() -> None:
    agreement = _agreement("signing", (1, 2))
    assert lifecycle.fire(agreement, "sign") == ("signing", "active")


def test_voided_signatures_do_not_count() -> None:
    """After a decline the old round's signatures are voided; they must not activate."""
    agreement = _agreement("signing", (1, 2))
    for signature in agreement.signatures:
        signature.voided_at = datetime(2026, 1, 1, tzinfo=UTC)
    agreement.signatures.append(Signature(party_id=1))
    assert lifecycle.fire(agreement, "sign") == ("signing", "signing")


def test_firing_never_registers_rows_on_the_machine() -> None:
    for _ in range(3):
        lifecycle.fire(_agreement("draft"), "submit")
    assert lifecycle.MACHINE.models == []


@pytest.mark.parametrize(("role", "trigger"), list(itertools.product(NON_ADMIN_ROLES, TRIGGERS)))
def test_role_rules(role: str, trigger: str) -> None:
    assert rules.role_may_fire(role, trigger) is (role in ROLES[trigger])


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_admin_acts_in_office_roles_but_never_signs(trigger: str) -> None:
    office = {"data_officer", "legal_officer"}
    expected = bool(ROLES[trigger] & office)
    assert rules.role_may_fire("admin", trigger) is expected
    if trigger in ("sign", "decline", "expire", "supersede"):
        assert rules.role_may_fire("admin", trigger) is False


def test_system_triggers_are_fired_by_nobody() -> None:
    for trigger in lifecycle.SYSTEM_TRIGGERS:
        for role in (*NON_ADMIN_ROLES, "admin", "system"):
            assert not rules.role_may_fire(role, trigger)


def test_unknown_roles_and_triggers_may_fire_nothing() -> None:
    assert not rules.role_may_fire("mayor", "approve")
    assert not rules.role_may_fire("admin", "no_such_trigger")
