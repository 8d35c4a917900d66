"""Reads for the DCAT-AP catalogue's pages: only live entries become
datasets, so a page is counted among them (tombstones skipped), then read
with ``queries.page_of_entries`` from the id just before it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omd_gov.register.models import RegisterEntry

LIVE = RegisterEntry.withdrawn_at.is_(None)


def live_count(session: Session) -> int:
    return int(session.execute(select(func.count(RegisterEntry.id)).where(LIVE)).scalar_one())


def live_id_before(session: Session, offset: int) -> int:
    """The id of the ``offset``-th live entry by id (0 before the first):
    the ``after_id`` of the page that starts just after it."""
    if offset <= 0:
        return 0
    statement = (
        select(RegisterEntry.id).where(LIVE).order_by(RegisterEntry.id).offset(offset - 1).limit(1)
    )
    return int(session.execute(statement).scalar_one_or_none() or 0)
