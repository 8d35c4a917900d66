"""The five ways the API once broke its published contract, one test each
(the generated contract test in test_contract.py covers the rest)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from omd_gov.api_contract import MAX_INT
from omd_gov.db import db
from omd_gov.notifications.models import Webhook
from tests.integration.conftest import World
from tests.integration.problems import assert_problem

TOO_BIG = str(MAX_INT + 1)
HUGE = "9" * 30
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")


@pytest.fixture
def spec(client: Any) -> dict[str, Any]:
    return dict(client.get("/openapi.json").json)


@pytest.mark.parametrize("value", [TOO_BIG, HUGE, "0"])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/agreements/{}",
        "/api/v1/agreements/1/documents/{}/verify",
        "/api/v1/agreements/1/documents/jobs/{}",
        "/api/v1/deadlines/{}",
        "/api/v1/cooperations/{}",
        "/api/v1/organizations/{}",
    ],
)
def test_an_id_no_row_can_have_is_404_not_500(world: World, path: str, value: str) -> None:
    response = world.api.as_(world.admin).get(path.format(value))
    assert_problem(response, 404)


def test_an_out_of_range_id_is_404_for_writes_too(world: World) -> None:
    api = world.api.as_(world.admin)
    assert_problem(api.patch(f"/api/v1/agreements/{HUGE}", json={}), 404)
    assert_problem(api.post(f"/api/v1/notifications/{TOO_BIG}/read"), 404)


@pytest.mark.parametrize("value", [TOO_BIG, HUGE, "-1"])
@pytest.mark.parametrize(
    ("path", "field"),
    [("/api/v1/agreements", "cooperation_id"), ("/api/v1/deadlines", "agreement_id")],
)
def test_an_out_of_range_query_id_is_422_naming_it(
    world: World, path: str, field: str, value: str
) -> None:
    body = assert_problem(world.api.as_(world.admin).get(f"{path}?{field}={value}"), 422)
    assert [error["field"] for error in body["errors"]] == [field]


def test_an_out_of_range_body_id_is_422_and_nothing_is_written(world: World) -> None:
    api = world.api.as_(world.data_officer)
    payload = {"title": "T", "organization_ids": [int(HUGE)]}
    body = assert_problem(api.post("/api/v1/cooperations", json=payload), 422)
    assert body["errors"][0]["field"].startswith("organization_ids")
    draft = {"cooperation_id": MAX_INT + 1, "title": "x"}
    body = assert_problem(api.post("/api/v1/agreements", json=draft), 422)
    assert "cooperation_id" in [error["field"] for error in body["errors"]]
    hook = {"organization_id": int(HUGE), "url": "https://hooks.example/x"}
    body = assert_problem(world.api.as_(world.admin).post("/api/v1/webhooks", json=hook), 422)
    assert [error["field"] for error in body["errors"]] == ["organization_id"]


def test_the_bounds_are_published(spec: dict[str, Any]) -> None:
    detail = spec["paths"]["/api/v1/agreements/{agreement_id}"]["get"]
    (parameter,) = [p for p in detail["parameters"] if p["name"] == "agreement_id"]
    assert (parameter["schema"]["minimum"], parameter["schema"]["maximum"]) == (1, MAX_INT)
    query = spec["paths"]["/api/v1/agreements"]["get"]["parameters"]
    (cooperation,) = [p for p in query if p["name"] == "cooperation_id"]
    assert cooperation["schema"]["maximum"] == MAX_INT


@pytest.mark.parametrize("url", ["https://[::1/hook", "https://[v1.x]:x/", "http://host:99999/"])
def test_a_malformed_webhook_url_is_422_and_nothing_is_stored(world: World, url: str) -> None:
    hook = {"organization_id": world.partner, "url": url}
    body = assert_problem(world.api.as_(world.admin).post("/api/v1/webhooks", json=hook), 422)
    assert body["errors"][0]["field"] == "url"
    assert db.session.scalar(select(func.count()).select_from(Webhook)) == 0


def test_every_timestamp_is_utc_with_an_offset(world: World) -> None:
    agreement = world.create_agreement()
    world.fire(agreement["id"], world.data_officer, "submit")
    api = world.api.as_(world.admin)
    detail = api.get(f"/api/v1/agreements/{agreement['id']}").json
    events = api.get(f"/api/v1/agreements/{agreement['id']}/events").json
    cooperation = api.get(f"/api/v1/cooperations/{world.cooperation_id}").json
    stamps = [detail["created_at"], detail["updated_at"], cooperation["updated_at"]]
    stamps += [event["occurred_at"] for event in events]
    assert stamps and all(RFC3339_UTC.match(stamp) for stamp in stamps), stamps


def test_nullable_fields_are_declared_and_secrets_only_where_shown(
    world: World, spec: dict[str, Any]
) -> None:
    schemas = spec["components"]["schemas"]
    assert "null" in schemas["AgreementSummary"]["properties"]["end_date"]["type"]
    assert "null" in schemas["FileCheckOut"]["properties"]["problem"]["type"]
    assert "secret" not in schemas["WebhookOut"]["properties"]
    assert "secret" in schemas["WebhookCreated"]["properties"]
    draft = world.create_agreement(end_date=None)
    assert draft["end_date"] is None
    api = world.api.as_(world.admin)
    created = api.post(
        "/api/v1/webhooks", json={"organization_id": world.partner, "url": "https://h.example/"}
    )
    assert created.status_code == 201 and created.json["secret"].startswith("whsec_")
    assert all("secret" not in hook for hook in api.get("/api/v1/webhooks").json)


def test_every_operation_declares_its_errors_as_problems(spec: dict[str, Any]) -> None:
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "errors"} <= set(problem["required"])
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            errors = {status for status in responses if status[0] in "45"}
            expected = {"400", "422"} | ({"401", "403"} if operation.get("security") else set())
            assert expected <= errors, (method, path, sorted(errors))
            for status in errors:
                assert list(responses[status]["content"]) == ["application/problem+json"]


def test_a_body_that_is_not_json_is_415(world: World) -> None:
    api = world.api.as_(world.admin)
    text = {"Content-Type": "text/plain"}
    assert_problem(api.post("/api/v1/organizations", data="name=x", headers=text), 415)
