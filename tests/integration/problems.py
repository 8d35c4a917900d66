"""Assertions shared by the API error tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from omd_gov.db import db
from tests.factories import agreement_payload
from tests.integration.conftest import World

COUNTED = (
    "agreements",
    "agreement_parties",
    "agreement_data_assets",
    "agreement_signatures",
    "documents",
    "audit_events",
    "cooperations",
    "organizations",
)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.json
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"] and body["detail"]
    assert isinstance(body["errors"], list)
    return body


def counts() -> dict[str, Any]:
    """Row counts and the chain head, read on a fresh connection (never a stale snapshot)."""
    with db.engine.connect() as connection:
        out: dict[str, Any] = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in COUNTED
        }
        out["head"] = connection.execute(text("SELECT seq, hash FROM audit_chain_head")).first()
    return out


def url(agreement_id: int, suffix: str = "") -> str:
    return f"/api/v1/agreements/{agreement_id}{suffix}"


def world_payload(
    world: World, parties: list[dict[str, Any]] | None = None, **overrides: Any
) -> dict[str, Any]:
    payload = agreement_payload(world.cooperation_id, parties or world.parties())
    payload.update(overrides)
    return payload
