"""Organisation use cases, each one unit of work."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.audit.chain import record
from omd_gov.auth.actors import Actor
from omd_gov.db import transaction
from omd_gov.errors import Conflict
from omd_gov.organizations.models import Organization


def create(session: Session, actor: Actor, data: dict[str, Any]) -> Organization:
    with transaction(session):
        if session.execute(
            select(Organization.id).where(Organization.name == data["name"])
        ).first():
            raise Conflict(f"an organisation named {data['name']!r} already exists")
        organization = Organization(**data)
        session.add(organization)
        session.flush()
        changes = {key: {"from": None, "to": value} for key, value in data.items()}
        record(session, actor, organization, "create", changes=changes)
        return organization
