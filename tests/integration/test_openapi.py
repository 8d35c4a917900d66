"""The OpenAPI 3.1 document lists the contract routes, and the docs page answers."""

from __future__ import annotations

import re
from typing import Any

import pytest

CONTRACT = {
    "/api/v1/organizations": {"get", "post"},
    "/api/v1/organizations/{organization_id}": {"get"},
    "/api/v1/cooperations": {"get", "post"},
    "/api/v1/cooperations/{cooperation_id}": {"get", "patch"},
    "/api/v1/cooperations/{cooperation_id}/canvas": {"put"},
    "/api/v1/cooperations/{cooperation_id}/stage": {"post"},
    "/api/v1/agreements": {"get", "post"},
    "/api/v1/agreements/{agreement_id}": {"get", "patch"},
    "/api/v1/agreements/{agreement_id}/transitions": {"post"},
    "/api/v1/agreements/{agreement_id}/events": {"get"},
    "/api/v1/audit/verify": {"get"},
}


@pytest.fixture
def spec(client: Any) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return dict(response.json)


def test_the_document_is_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1.")
    assert spec["info"]["title"] and spec["info"]["version"]


def test_every_contract_route_is_documented(spec: dict[str, Any]) -> None:
    for path, methods in CONTRACT.items():
        assert path in spec["paths"], path
        assert methods <= set(spec["paths"][path]), (path, set(spec["paths"][path]))


def test_routes_declare_bearer_auth(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    (bearer,) = [s for s in schemes.values() if s.get("scheme", "").lower() == "bearer"]
    assert bearer["type"] == "http"
    for path, methods in CONTRACT.items():
        for method in methods:
            assert spec["paths"][path][method].get("security"), (method, path)


def test_request_shapes_are_documented(spec: dict[str, Any]) -> None:
    post = spec["paths"]["/api/v1/agreements"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    ref = schema["$ref"].rsplit("/", 1)[-1]
    properties = spec["components"]["schemas"][ref]["properties"]
    expected = {
        "cooperation_id",
        "title",
        "purpose",
        "sharing_model",
        "parties",
        "data_assets",
        "gdpr",
        "start_date",
        "end_date",
    }
    assert expected <= set(properties)
    listing = spec["paths"]["/api/v1/agreements"]["get"]
    parameters = {p["name"] for p in listing["parameters"]}
    assert {"state", "organization_id", "cooperation_id", "q", "page", "per_page"} <= parameters


def test_the_docs_page_answers(client: Any) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "/openapi.json" in response.get_data(as_text=True)


def test_the_docs_page_works_offline(client: Any) -> None:
    """Swagger UI comes from the app itself, not from a CDN."""
    page = client.get("/docs").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', page), "the page loads something remote"
    for asset, mimetype in [
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui-standalone-preset.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
    ]:
        assert f"/docs/assets/{asset}" in page
        response = client.get(f"/docs/assets/{asset}")
        assert response.status_code == 200 and response.mimetype == mimetype
        assert len(response.data) > 10_000
        response.close()
    assert client.get("/docs/assets/../../pyproject.toml").status_code == 404
