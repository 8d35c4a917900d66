"""Reads of the register: an agreement's entry, and an entry as the public
sees it (with what ``entries.public_entry`` needs, read in three statements)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from omd_gov.agreements.models import Agreement, Party
from omd_gov.auth.models import User
from omd_gov.register.entries import public_entry
from omd_gov.register.models import RegisterEntry


def entry_of(session: Session, agreement_id: int) -> RegisterEntry | None:
    statement = select(RegisterEntry).where(RegisterEntry.agreement_id == agreement_id)
    return session.execute(statement).scalar_one_or_none()


def shown(session: Session, entry: RegisterEntry, base_url: str) -> dict[str, Any]:
    """The entry as the public sees it."""
    agreement = session.execute(
        select(Agreement)
        .where(Agreement.id == entry.agreement_id)
        .options(
            selectinload(Agreement.parties).selectinload(Party.organization),
            selectinload(Agreement.data_assets),
            selectinload(Agreement.signatures),
        )
    ).scalar_one()
    successors = (
        session.execute(
            select(Agreement).where(
                or_(Agreement.amends_id == agreement.id, Agreement.renews_id == agreement.id)
            )
        )
        .scalars()
        .all()
    )
    ids = [s.user_id for s in agreement.live_signatures]
    names = session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    signers = {user_id: name for user_id, name in names}
    return public_entry(entry, successors, signers, base_url)
