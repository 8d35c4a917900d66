"""Reads of user accounts for their administration (the admin pages)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.auth.models import User
from omd_gov.errors import NotFound
from omd_gov.organizations.models import Organization


def list_users(session: Session) -> list[tuple[User, str | None]]:
    """Every account with its organisation's name, by e-mail."""
    statement = (
        select(User, Organization.name)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .order_by(User.email)
    )
    return [(user, name) for user, name in session.execute(statement)]


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user
