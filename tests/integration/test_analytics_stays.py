"""The analytics' stays (``agreement_stays``) follow every state change in its
own unit of work, system ones included, and the ``omd-gov init`` catch-up
rebuilds, from the audit trail alone, exactly the rows the transitions wrote."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from omd_gov.agreements import stays, transitions
from omd_gov.agreements.lifecycle import Trigger
from omd_gov.agreements.models import Agreement, AgreementStay
from omd_gov.agreements.stays.services import catch_up_stays
from omd_gov.db import transaction
from tests.factories import Factory
from tests.integration.conftest import World

Row = tuple[str, Any, Any, int]


def _stays(factory: Factory, agreement_id: int) -> list[Row]:
    factory.session.rollback()  # a fresh read of what the requests committed
    statement = (
        select(AgreementStay.state, AgreementStay.entered_at, AgreementStay.left_at,
               AgreementStay.entered_seq)
        .where(AgreementStay.agreement_id == agreement_id)
        .order_by(AgreementStay.entered_seq)
    )  # fmt: skip
    return [tuple(row) for row in factory.session.execute(statement)]  # type: ignore[misc]


def _trail(factory: Factory, agreement_id: int) -> list[Row]:
    """The same stays, read from the audit trail (what the catch-up writes)."""
    moves = stays.moves([agreement_id]).subquery()
    rows = factory.session.execute(select(moves).order_by(moves.c.seq))
    return [(state, entered, left, seq) for _id, state, entered, left, seq in rows]


def _fire(world: World, agreement_id: int, *steps: tuple[str, Any]) -> None:
    for trigger, account in steps:
        if trigger == "send_for_signature":
            world.generate_dsa(agreement_id)
        response = world.fire(agreement_id, account, trigger, comment="stays test")
        assert response.status_code == 200, (trigger, response.json)


def _expire(factory: Factory, agreement_id: int) -> None:
    with transaction(factory.session):
        row = factory.session.get(Agreement, agreement_id)
        assert row is not None
        transitions.fire_system(factory.session, row, Trigger.EXPIRE, "the end date has passed")


def test_a_stay_per_state_change_through_a_decline_loop_and_an_expiry(world, factory) -> None:
    aid = world.create_agreement()["id"]
    assert [(state, left) for state, _at, left, _seq in _stays(factory, aid)] == [("draft", None)]
    _fire(world, aid, ("submit", world.data_officer), ("request_changes", world.legal),
          ("submit", world.data_officer), ("approve", world.legal2),
          ("send_for_signature", world.legal), ("sign", world.sign_city),
          ("decline", world.sign_partner), ("submit", world.data_officer),
          ("approve", world.legal), ("send_for_signature", world.legal),
          ("sign", world.sign_city), ("sign", world.sign_partner))  # fmt: skip
    _expire(factory, aid)
    rows = _stays(factory, aid)
    assert [row[0] for row in rows] == [
        "draft", "legal_review", "changes_requested", "legal_review", "approved", "signing",
        "changes_requested", "legal_review", "approved", "signing", "active", "expired",
    ]  # fmt: skip
    # One stay follows the other: each ends when the next begins; only the last is open.
    assert [left for _s, _at, left, _seq in rows[:-1]] == [at for _s, at, _l, _q in rows[1:]]
    assert rows[-1][2] is None
    assert rows == _trail(factory, aid)


def test_a_superseded_agreement_and_its_amendment(world, factory) -> None:
    source = world.create_agreement()["id"]
    world.to_state(source, "active")
    amendment = world.api.as_(world.data_officer).post(f"/api/v1/agreements/{source}/amendments")
    assert amendment.status_code == 201, amendment.json
    world.to_state(amendment.json["id"], "active")
    assert [row[0] for row in _stays(factory, source)][-2:] == ["active", "superseded"]
    assert [row[0] for row in _stays(factory, amendment.json["id"])][-1] == "active"
    for agreement_id in (source, amendment.json["id"]):
        assert _stays(factory, agreement_id) == _trail(factory, agreement_id)


def test_a_refused_transition_writes_no_stay(world, factory) -> None:
    aid = world.create_agreement()["id"]
    assert world.fire(aid, world.data_officer, "approve").status_code in (403, 409)
    assert len(_stays(factory, aid)) == 1


def test_the_catch_up_rebuilds_the_rows_the_transitions_wrote(world, factory) -> None:
    ids = [world.create_agreement()["id"] for _ in range(3)]
    world.to_state(ids[0], "active")
    _fire(world, ids[1], ("submit", world.data_officer), ("request_changes", world.legal))
    _expire(factory, ids[0])
    written = {aid: _stays(factory, aid) for aid in ids}
    with transaction(factory.session):  # an existing database: the table is new and empty
        factory.session.execute(delete(AgreementStay))
    assert catch_up_stays(factory.session) == sum(len(rows) for rows in written.values())
    assert {aid: _stays(factory, aid) for aid in ids} == written
    assert catch_up_stays(factory.session) == 0  # every agreement has its stays now
    total = factory.session.scalar(select(func.count()).select_from(AgreementStay))
    assert total == sum(len(rows) for rows in written.values())
