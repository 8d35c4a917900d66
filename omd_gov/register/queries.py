"""Reads of the register: an agreement's entry, and entries as the public
sees them. A page of entries is read in a fixed number of statements (the
entries with their agreements, parties, organisations, assets and
signatures; the successors; the signers' names), whatever its size, so the
feeds stream the whole register in pages at a steady cost."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from omd_gov.agreements.models import Agreement, Party
from omd_gov.audit.models import AuditChainHead
from omd_gov.auth.models import User
from omd_gov.register.entries import STATUSES, public_entry
from omd_gov.register.models import RegisterEntry


def entry_of(session: Session, agreement_id: int) -> RegisterEntry | None:
    statement = select(RegisterEntry).where(RegisterEntry.agreement_id == agreement_id)
    return session.execute(statement).scalar_one_or_none()


def entry_by_reference(session: Session, reference: str) -> RegisterEntry | None:
    statement = select(RegisterEntry).where(RegisterEntry.reference == reference)
    return session.execute(statement).scalar_one_or_none()


def shown(session: Session, entry: RegisterEntry, base_url: str) -> dict[str, Any]:
    """One entry as the public sees it."""
    return public_page(session, [entry], base_url)[0]


def page_of_entries(
    session: Session, after_id: int = 0, limit: int = 500, live_only: bool = False
) -> list[RegisterEntry]:
    """The next ``limit`` entries after ``after_id`` (by id), tombstones too
    unless ``live_only``, with what their public view reads loaded."""
    statement = _with_content(
        select(RegisterEntry).where(RegisterEntry.id > after_id).order_by(RegisterEntry.id)
    ).limit(limit)
    if live_only:
        statement = statement.where(RegisterEntry.withdrawn_at.is_(None))
    return list(session.execute(statement).scalars().unique())


def _with_content(statement: Any) -> Any:
    return statement.options(
        joinedload(RegisterEntry.agreement).options(
            selectinload(Agreement.parties).joinedload(Party.organization),
            selectinload(Agreement.data_assets),
            selectinload(Agreement.signatures),
        )
    )


def public_page(
    session: Session, entries: Sequence[RegisterEntry], base_url: str
) -> list[dict[str, Any]]:
    """These entries as the public sees them, in their order."""
    ids = [entry.agreement_id for entry in entries]
    successors: dict[int, list[Agreement]] = defaultdict(list)
    if ids:
        later = or_(Agreement.amends_id.in_(ids), Agreement.renews_id.in_(ids))
        for agreement in session.execute(select(Agreement).where(later)).scalars():
            successors[agreement.amends_id or agreement.renews_id or 0].append(agreement)
    user_ids = {s.user_id for e in entries for s in e.agreement.live_signatures}
    names = session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
    signers = {user_id: name for user_id, name in names}
    return [
        public_entry(entry, successors[entry.agreement_id], signers, base_url) for entry in entries
    ]


# What the register page's status filter means in rows.
STATUS_STATES = {status: state for state, status in STATUSES.items()}


def search_entries(
    session: Session, text: str, status: str | None, page: int, per_page: int
) -> tuple[list[RegisterEntry], int]:
    """A page of entries, newest publication first, and how many match. The
    text is matched against the entries' public words only (``search_text``);
    ``status`` is one of STATUS_STATES or "withdrawn"."""
    statement = select(RegisterEntry).join(Agreement, Agreement.id == RegisterEntry.agreement_id)
    for word in text.lower().split()[:10]:
        statement = statement.where(RegisterEntry.search_text.contains(word, autoescape=True))
    if status == "withdrawn":
        statement = statement.where(RegisterEntry.withdrawn_at.is_not(None))
    elif status in STATUS_STATES:
        statement = statement.where(
            RegisterEntry.withdrawn_at.is_(None), Agreement.state == STATUS_STATES[status]
        )
    total = session.execute(statement.with_only_columns(func.count())).scalar_one()
    ordered = statement.order_by(RegisterEntry.published_at.desc(), RegisterEntry.id.desc())
    ids = (
        session.execute(
            ordered.with_only_columns(RegisterEntry.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        .scalars()
        .all()
    )
    return _loaded(session, list(ids)), int(total)


def _loaded(session: Session, ids: list[int]) -> list[RegisterEntry]:
    """These entries, in this order, with what their public view reads."""
    if not ids:
        return []
    found = session.execute(_with_content(select(RegisterEntry).where(RegisterEntry.id.in_(ids))))
    by_id = {entry.id: entry for entry in found.scalars().unique()}
    return [by_id[entry_id] for entry_id in ids]


def fingerprint(session: Session) -> tuple[Any, ...]:
    """What changes whenever any public entry may have (for the feeds'
    ETags): the entries' count and latest change, and the audit chain's head,
    which every change of state, publication and edit moves (an amendment
    coming into force changes its predecessor's entry without touching it)."""
    entries = session.execute(
        select(func.count(RegisterEntry.id), func.max(RegisterEntry.updated_at))
    ).one()
    head = session.execute(select(AuditChainHead.seq, AuditChainHead.hash)).first()
    return (int(entries[0]), entries[1], *(head or (0, "")))
