"""Reads of organisations, with partner visibility written once."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.auth.models import User
from omd_gov.errors import NotFound, Unprocessable
from omd_gov.organizations.models import Organization


def list_visible(session: Session, user: User) -> list[Organization]:
    """Office staff see every organisation; a partner only their own."""
    statement = select(Organization).order_by(Organization.name)
    if not user.is_office:
        statement = statement.where(Organization.id == user.organization_id)
    return list(session.execute(statement).scalars())


def get_visible(session: Session, user: User, organization_id: int) -> Organization:
    """The organisation, or 404 when it is missing or not the partner's own."""
    organization = session.get(Organization, organization_id)
    if organization is None or (not user.is_office and user.organization_id != organization_id):
        raise NotFound(f"organisation {organization_id} not found")
    return organization


def existing(session: Session, ids: Sequence[int], field: str) -> list[Organization]:
    """The organisations with these ids, in the given order without repeats;
    a 422 naming every id that does not exist (``field`` is the input's name)."""
    rows = session.execute(select(Organization).where(Organization.id.in_(ids))).scalars()
    found = {organization.id: organization for organization in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise Unprocessable(
            f"unknown organisations: {missing}",
            [{"field": field, "message": f"organisation {i} does not exist"} for i in missing],
        )
    return [found[i] for i in dict.fromkeys(ids)]
