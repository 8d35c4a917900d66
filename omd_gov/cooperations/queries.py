"""Reads of cooperations, with partner visibility written once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from omd_gov.auth.models import User
from omd_gov.cooperations.models import Cooperation, cooperation_organizations
from omd_gov.errors import NotFound


def visible(statement: Select[Any], user: User) -> Select[Any]:
    """Office staff see every cooperation; a partner only those it belongs to."""
    if user.is_office:
        return statement
    return statement.where(
        exists().where(
            cooperation_organizations.c.cooperation_id == Cooperation.id,
            cooperation_organizations.c.organization_id == user.organization_id,
        )
    )


def get_visible(session: Session, user: User, cooperation_id: int) -> Cooperation:
    statement = visible(select(Cooperation).where(Cooperation.id == cooperation_id), user)
    cooperation = session.execute(statement).scalar_one_or_none()
    if cooperation is None:
        raise NotFound(f"cooperation {cooperation_id} not found")
    return cooperation


def list_visible(session: Session, user: User, limit: int = 500) -> list[Cooperation]:
    statement = visible(select(Cooperation).order_by(Cooperation.id.desc()).limit(limit), user)
    return list(session.execute(statement).scalars())
