"""Each row of the error table (401, 403, 404, 409, 412/428), answered as RFC
9457 problem+json; tests/integration/test_api_validation.py has the 400/422 rows
and the "nothing half-written" checks."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import text
from werkzeug.routing import AnyConverter, IntegerConverter

from omd_gov.agreements import hooks, transitions
from omd_gov.db import db, transaction
from tests.factories import Account, Factory
from tests.integration.conftest import World
from tests.integration.problems import assert_problem, counts, url

# --- 401 -------------------------------------------------------------------


def _api_urls(app: Any) -> list[tuple[str, str]]:
    """Every (method, url) of the API, with placeholder path arguments."""
    adapter = app.url_map.bind("localhost")
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        values: dict[str, Any] = {}
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                values[name] = 1
            elif isinstance(converter, AnyConverter):
                values[name] = sorted(converter.items)[0]
            else:
                values[name] = "x"
        built = adapter.build(rule.endpoint, values)
        out += [(m, built) for m in sorted(rule.methods or ()) if m not in ("HEAD", "OPTIONS")]
    return out


# Routes that calendar apps fetch with a secret of their own in the URL, not a bearer token.
OWN_SECRET_ROUTES = frozenset({"/api/v1/calendar.ics"})


def test_every_api_route_needs_a_token(app: Any, client: Any) -> None:
    routes = _api_urls(app)
    assert len(routes) >= 15
    for method, route in routes:
        for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic x"}):
            response = client.open(route, method=method, headers=headers, json={})
            if route in OWN_SECRET_ROUTES:
                assert response.status_code in (401, 403, 404), route
                continue
            body = assert_problem(response, 401)
            assert body["title"] == "Unauthorized", (method, route)
            assert "Bearer" in response.headers.get("WWW-Authenticate", ""), (method, route)


def test_inactive_users_are_refused(world: World, factory: Factory) -> None:
    assert world.api.as_(world.legal).get("/api/v1/agreements").status_code == 200
    user = factory.get_user(world.legal)
    with transaction(factory.session):
        user.active = False
    assert_problem(world.api.as_(world.legal).get("/api/v1/agreements"), 401)


def test_demo_tokens_work_only_in_demo_mode(
    app: Any, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = factory.user("legal_officer", world.city, token="demo-legal-test")
    assert demo.token == "demo-legal-test"
    assert_problem(world.api.as_(demo).get("/api/v1/agreements"), 401)
    monkeypatch.setitem(app.config, "OMD_DEMO", True)
    assert world.api.as_(demo).get("/api/v1/agreements").status_code == 200


# --- 403 -------------------------------------------------------------------


def test_roles_are_enforced_on_the_server(world: World) -> None:
    created = world.create_agreement()
    before = counts()
    refused: list[tuple[Account, str, str, dict[str, Any]]] = [
        (world.sign_partner, "post", "/api/v1/agreements", {"json": {}}),
        (world.auditor, "post", "/api/v1/organizations", {"json": {}}),
        (world.legal, "post", "/api/v1/cooperations", {"json": {"title": "x"}}),
        (world.sign_city, "get", "/api/v1/audit/verify", {}),
        (world.legal, "patch", url(created["id"]), {"json": {"title": "x"}, "headers": {}}),
    ]
    for account, method, route, kwargs in refused:
        response = getattr(world.api.as_(account), method)(route, **kwargs)
        assert_problem(response, 403)
    for account, trigger in [
        (world.transparency, "submit"),
        (world.auditor, "submit"),
        (world.legal, "submit"),
        (world.sign_city, "submit"),
    ]:
        body = assert_problem(world.fire(created["id"], account, trigger, "x"), 403)
        assert "submit" not in body["allowed_triggers"]
    assert counts() == before


# --- 404 -------------------------------------------------------------------


def test_unknown_ids_answer_404(world: World) -> None:
    office = world.api.as_(world.legal)
    for route in (
        url(999999),
        url(999999, "/events"),
        "/api/v1/cooperations/999999",
        "/api/v1/organizations/999999",
    ):
        assert_problem(office.get(route), 404)
    assert_problem(world.fire(999999, world.legal, "approve"), 404)
    patch = world.api.as_(world.data_officer).patch(
        url(999999), json={"title": "x"}, headers={"If-Match": '"1"'}
    )
    assert_problem(patch, 404)


def test_a_hidden_agreement_looks_exactly_like_a_missing_one(world: World) -> None:
    created = world.create_agreement()
    outsider = world.api.as_(world.sign_outsider)
    hidden = assert_problem(outsider.get(url(created["id"])), 404)
    missing = assert_problem(outsider.get(url(created["id"] + 1000)), 404)
    assert hidden["detail"] == missing["detail"].replace(
        str(created["id"] + 1000), str(created["id"])
    )
    assert {k: v for k, v in hidden.items() if k != "detail"} == {
        k: v for k, v in missing.items() if k != "detail"
    }


# --- 409 -------------------------------------------------------------------


def test_an_illegal_trigger_lists_the_callers_allowed_triggers(world: World) -> None:
    created = world.create_agreement()
    before = counts()
    as_legal = assert_problem(world.fire(created["id"], world.legal, "approve"), 409)
    assert as_legal["allowed_triggers"] == ["withdraw"] and as_legal["state"] == "draft"
    as_officer = assert_problem(world.fire(created["id"], world.data_officer, "sign"), 409)
    assert as_officer["allowed_triggers"] == ["submit", "withdraw"]
    assert counts() == before


def test_an_unknown_trigger_is_422_and_lists_the_allowed_ones(world: World) -> None:
    created = world.create_agreement()
    for trigger in ("launch", "expire", "supersede"):  # system triggers are not for callers
        body = assert_problem(world.fire(created["id"], world.data_officer, trigger), 422)
        assert body["errors"][0]["field"] == "trigger"
        assert body["allowed_triggers"] == ["submit", "withdraw"]


def test_only_drafts_can_be_edited(world: World) -> None:
    created = world.create_agreement()
    world.to_state(created["id"], "legal_review")
    current = world.api.as_(world.data_officer).get(url(created["id"]))
    before = counts()
    response = world.api.as_(world.data_officer).patch(
        url(created["id"]), json={"title": "late"}, headers={"If-Match": current.headers["ETag"]}
    )
    assert assert_problem(response, 409)["state"] == "legal_review"
    assert counts() == before


def _lock_waiters() -> int:
    with db.engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()


def test_a_concurrent_write_is_a_clean_409(
    app: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first submit pauses inside its transaction (after its state change and
    audit event); a second submit of the same version races it and must get 409."""
    agreement_id = world.create_agreement()["id"]
    first_inside, release, second_loaded = threading.Event(), threading.Event(), threading.Event()

    def pause_first(_session: Any, _step: Any) -> None:
        if threading.current_thread().name == "first":
            first_inside.set()
            assert release.wait(10)

    real_unmet = transitions.unmet_conditions

    def note_second(*args: Any) -> Any:
        if threading.current_thread().name == "second":
            second_loaded.set()
        return real_unmet(*args)

    monkeypatch.setattr(hooks, "_AFTER", [*hooks._AFTER, pause_first])
    monkeypatch.setattr(transitions, "unmet_conditions", note_second)
    results: dict[str, Any] = {}

    def submit() -> None:
        results[threading.current_thread().name] = app.test_client().post(
            url(agreement_id, "/transitions"),
            headers=world.data_officer.headers,
            json={"trigger": "submit"},
        )

    first = threading.Thread(target=submit, name="first")
    first.start()
    assert first_inside.wait(10)
    second = threading.Thread(target=submit, name="second")
    second.start()
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:  # the second waits on the agreement's row lock
        deadline = time.monotonic() + 10
        while not _lock_waiters():
            assert time.monotonic() < deadline, "the second request never reached the race"
            time.sleep(0.01)
    else:  # the second waits for the write lock (BEGIN IMMEDIATE), before reading
        time.sleep(0.5)
        assert not second_loaded.is_set(), "the second read while the first was writing"
    release.set()
    first.join(10)
    second.join(10)

    assert results["first"].status_code == 200, results["first"].json
    body = assert_problem(results["second"], 409)
    # Writers are serialised: the second sees the new state, not a stale one.
    assert body["type"].endswith("illegal-trigger") and body["state"] == "legal_review"
    # The test's requests share one session (the factory's app context): end its
    # read snapshot so that SQLite shows what the threads committed.
    db.session.rollback()
    agreement = world.api.as_(world.legal).get(url(agreement_id)).json
    assert (agreement["state"], agreement["version"]) == ("legal_review", 2)
    events = world.api.as_(world.auditor).get(url(agreement_id, "/events")).json
    assert [e["action"] for e in events if e["action"] in ("create", "submit")] == [
        "create",
        "submit",
    ]


# --- 412 / 428 ---------------------------------------------------------------


def test_if_match_protects_edits(world: World) -> None:
    created = world.create_agreement()
    officer = world.api.as_(world.data_officer)
    first = officer.get(url(created["id"]))
    etag = first.headers["ETag"]
    assert etag == f'"{first.json["version"]}"'

    before = counts()
    missing = assert_problem(officer.patch(url(created["id"]), json={"title": "A"}), 428)
    assert "If-Match" in missing["detail"]
    garbage = officer.patch(url(created["id"]), json={"title": "A"}, headers={"If-Match": "*x"})
    assert_problem(garbage, 412)
    assert counts() == before

    ok = officer.patch(url(created["id"]), json={"title": "A"}, headers={"If-Match": etag})
    assert ok.status_code == 200 and ok.json["title"] == "A"
    assert ok.headers["ETag"] != etag

    stale = officer.patch(url(created["id"]), json={"title": "B"}, headers={"If-Match": etag})
    body = assert_problem(stale, 412)
    assert body["current_etag"] == ok.headers["ETag"]
    weak = officer.patch(
        url(created["id"]), json={"title": "C"}, headers={"If-Match": "W/" + ok.headers["ETag"]}
    )
    assert weak.status_code == 200
    assert officer.get(url(created["id"])).json["title"] == "C"
