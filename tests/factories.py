"""Test data factories and a small authenticated API client."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from flask import has_app_context
from sqlalchemy.orm import Session

from omd_gov.auth.actors import Actor
from omd_gov.auth.models import User
from omd_gov.cooperations.canvas import SECTION_KEYS
from omd_gov.db import db, transaction
from omd_gov.organizations.models import Organization
from omd_gov.users.services import create_user

_counter = itertools.count(1)

FULL_CANVAS = {key: f"Text for {key}" for key in SECTION_KEYS}
GDPR_COMPLETE = {
    "lawful_basis": "public_task",
    "personal_data_categories": ["energy readings"],
    "data_subject_categories": ["residents"],
    "special_categories": [],
    "art9_condition": None,
    "dpia": "done",
    "dpia_reference": "DPIA-1",
    "retention": "P2Y",
    "transfers_outside_eea": False,
    "transfer_mechanism": None,
}


@dataclass
class Account:
    user_id: int
    token: str
    organization_id: int | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Factory:
    """Creates rows through the services, committing each one."""

    def __init__(self, session: Session):
        self.session = session

    def organization(self, name: str | None = None, kind: str = "company") -> int:
        with transaction(self.session):
            org = Organization(
                name=name or f"Org {next(_counter)}", kind=kind, country="PT", tax_id="PT1"
            )
            self.session.add(org)
            self.session.flush()
            return org.id

    def user(self, role: str, organization_id: int | None = None, **kwargs: Any) -> Account:
        n = next(_counter)
        with transaction(self.session):
            user, token = create_user(
                self.session,
                Actor.system("cli"),
                email=f"user{n}@test.example",
                name=f"User {n}",
                role=role,
                organization_id=organization_id,
                **kwargs,
            )
            return Account(user.id, token, organization_id)

    def get_user(self, account: Account) -> User:
        user = self.session.get(User, account.user_id)
        assert user is not None
        return user


class ApiClient:
    """``api.as_(account).post(url, json=...)`` with the bearer header set."""

    def __init__(self, client: Any, account: Account | None = None):
        self.client = client
        self.account = account

    def as_(self, account: Account) -> ApiClient:
        return ApiClient(self.client, account)

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = dict(self.account.headers) if self.account else {}
        headers.update(extra or {})
        return headers

    def _send(self, method: str, url: str, headers: dict[str, str] | None, **kw: Any) -> Any:
        # A test holding an app context (the ``factory`` fixture) makes Flask
        # reuse it, and its session, for every request: start each request
        # from a fresh transaction, as a real request would.
        if has_app_context():
            db.session.rollback()
        return getattr(self.client, method)(url, headers=self._headers(headers), **kw)

    def get(self, url: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self._send("get", url, headers, **kw)

    def post(self, url: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self._send("post", url, headers, **kw)

    def put(self, url: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self._send("put", url, headers, **kw)

    def patch(self, url: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self._send("patch", url, headers, **kw)

    def delete(self, url: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self._send("delete", url, headers, **kw)


def agreement_payload(
    cooperation_id: int, parties: list[dict[str, Any]], *, personal: bool = True, **overrides: Any
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "cooperation_id": cooperation_id,
        "title": 'Energy data & <sharing> "pilot"',
        "purpose": "Plan the city's energy transition.",
        "sharing_model": "B2G",
        "parties": parties,
        "data_assets": [
            {
                "name": "Meter readings",
                "standard": "NGSI-LD",
                "delivery": "online",
                "personal_data": personal,
            },
            {"name": "Asset list", "standard": "CSV", "delivery": "batch", "personal_data": False},
        ],
        "gdpr": dict(GDPR_COMPLETE) if personal else {},
        "start_date": "2026-01-01",
        "end_date": "2027-12-31",
    }
    payload.update(overrides)
    return payload
