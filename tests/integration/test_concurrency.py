"""Races through the real API: every thread has its own test client, app context
and database session, on a file SQLite database or PostgreSQL.

Exactly one writer wins; the losers get a clean 4xx (409 on a concurrent write,
412 on a stale If-Match); nothing is lost and no audit event is doubled."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

from omd_gov.db import db
from tests.factories import Account
from tests.integration.conftest import World
from tests.support import race

THREADS = 20


def _race(app: Any, requests: list[Callable[[Any], Any]]) -> list[Any]:
    """Run each request in its own thread (own test client), all released at once."""
    results = race(*(partial(_with_own_client, app, request) for request in requests))
    assert all(result is not None for result in results)
    # The test's own requests share one session: drop its (SQLite) read snapshot.
    db.session.rollback()
    return results


def _with_own_client(app: Any, request: Callable[[Any], Any]) -> Any:
    return request(app.test_client())


def _fire(agreement_id: int, account: Account, trigger: str) -> Callable[[Any], Any]:
    def call(client: Any) -> Any:
        return client.post(
            f"/api/v1/agreements/{agreement_id}/transitions",
            headers=account.headers,
            json={"trigger": trigger},
        )

    return call


def _events(world: World, agreement_id: int) -> list[dict[str, Any]]:
    response = world.api.as_(world.auditor).get(f"/api/v1/agreements/{agreement_id}/events")
    assert response.status_code == 200
    return list(response.json)


def _chain_ok(world: World) -> None:
    report = world.api.as_(world.auditor).get("/api/v1/audit/verify").json
    assert report["ok"] is True, report


def _statuses(results: list[Any]) -> Counter[int]:
    for result in results:
        if result.status_code != 200:
            assert result.mimetype == "application/problem+json", result.get_data(as_text=True)
    return Counter(result.status_code for result in results)


def test_twenty_threads_race_the_same_transition(app: Any, world: World) -> None:
    agreement_id = world.create_agreement()["id"]
    world.to_state(agreement_id, "legal_review")
    results = _race(app, [_fire(agreement_id, world.legal, "approve")] * THREADS)

    assert _statuses(results) == {200: 1, 409: THREADS - 1}
    winner = next(r for r in results if r.status_code == 200)
    assert (winner.json["state"], winner.json["version"]) == ("approved", 3)
    final = world.api.as_(world.legal).get(f"/api/v1/agreements/{agreement_id}").json
    assert (final["state"], final["version"]) == ("approved", 3)
    actions = [e["action"] for e in _events(world, agreement_id) if e["to_state"]]
    assert actions == ["create", "submit", "approve"]
    _chain_ok(world)


def test_racing_edits_lose_no_update(app: Any, world: World) -> None:
    created = world.create_agreement()
    url = f"/api/v1/agreements/{created['id']}"
    etag = {"If-Match": f'"{created["version"]}"', **world.data_officer.headers}

    def edit(title: str) -> Callable[[Any], Any]:
        return lambda client: client.patch(url, headers=etag, json={"title": title})

    results = _race(app, [edit(f"title {i}") for i in range(THREADS)])
    statuses = _statuses(results)
    assert statuses[200] == 1 and statuses[200] + statuses[409] + statuses[412] == THREADS
    winner = next(r for r in results if r.status_code == 200)
    final = world.api.as_(world.legal).get(url).json
    assert (final["title"], final["version"]) == (winner.json["title"], created["version"] + 1)
    edits = [e for e in _events(world, created["id"]) if e["action"] == "edit"]
    assert len(edits) == 1 and edits[0]["changes"]["title"]["to"] == final["title"]
    _chain_ok(world)


def test_two_parties_signing_at_once_activate_exactly_once(app: Any, world: World) -> None:
    """Either both signatures go through (serialised) or one gets a clean 409 and
    retries; the agreement ends active once, with both signatures."""
    for _round in range(3):
        agreement_id = world.create_agreement()["id"]
        world.to_state(agreement_id, "signing")
        signers = [world.sign_city, world.sign_partner]
        results = _race(app, [_fire(agreement_id, account, "sign") for account in signers])
        assert set(_statuses(results)) <= {200, 409}
        for account, result in zip(signers, results, strict=True):
            if result.status_code == 409:
                assert result.json["type"].endswith("concurrent-write"), result.json
                retry = world.fire(agreement_id, account, "sign")
                assert retry.status_code == 200, retry.json

        final = world.api.as_(world.legal).get(f"/api/v1/agreements/{agreement_id}").json
        assert final["state"] == "active" and final["activated_at"]
        signed = {s["party_id"] for s in final["signatures"] if s["voided_at"] is None}
        assert signed == {p["id"] for p in final["parties"] if p["signs"]}
        assert len(final["signatures"]) == 2
        signs = [e for e in _events(world, agreement_id) if e["action"] == "sign"]
        assert [e["to_state"] for e in signs] == ["signing", "active"]
    _chain_ok(world)
