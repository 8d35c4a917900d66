"""Read-side queries for agreements, with partner isolation built in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, exists, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session, aliased, joinedload, selectinload

from omd_gov.agreements.lifecycle import CANVAS_FROZEN_STATES
from omd_gov.agreements.models import Agreement, DataAsset, Party
from omd_gov.audit.models import AuditEvent
from omd_gov.auth.models import User
from omd_gov.db import Keyset, Page, PageRequest
from omd_gov.errors import Forbidden, NotFound

T = TypeVar("T")


def party_of(
    organization_id: int | None, agreement_id: SQLColumnExpression[int] | None = None
) -> ColumnElement[bool]:
    """SQL: the organisation is a party of the agreement ``agreement_id`` (by
    default the ``Agreement`` the statement selects). The one place that says
    so; partner visibility of agreements and their deadlines builds on it."""
    of_agreement = Agreement.id if agreement_id is None else agreement_id
    return exists().where(
        Party.agreement_id == of_agreement, Party.organization_id == organization_id
    )


def visible(statement: Select[T], user: User) -> Select[T]:
    """Office staff see every agreement; a partner only their organisation's."""
    if user.is_office:
        return statement
    return statement.where(party_of(user.organization_id))


# What the detail view, the guards and the document snapshot read, in one
# statement: the children joined (parties x data assets x signatures rows,
# all of one agreement) rather than a query per collection.
FULL_AGREEMENT = (
    joinedload(Agreement.parties).joinedload(Party.organization),
    joinedload(Agreement.data_assets),
    joinedload(Agreement.signatures),
)
# A unit of work also reads the cooperation (the canvas guard).
LOCKED_AGREEMENT = (joinedload(Agreement.cooperation, innerjoin=True), *FULL_AGREEMENT)


def get_visible(
    session: Session, user: User, agreement_id: int, *, for_update: bool = False
) -> Agreement:
    """The agreement, or 404 whether it is missing or hidden (existence must not leak).
    ``for_update`` locks its row (only that row) for a unit of work."""
    statement = visible(select(Agreement).where(Agreement.id == agreement_id), user)
    if for_update:
        return _locked(session, statement, agreement_id)
    agreement = session.execute(statement.options(*FULL_AGREEMENT)).unique().scalar_one_or_none()
    if agreement is None:
        raise NotFound(f"agreement {agreement_id} not found")
    return agreement


def _locked(session: Session, statement: Select[Agreement], agreement_id: int) -> Agreement:
    """The agreement and its children, its row locked. A lock that waited for
    another writer (PostgreSQL, read committed) yields the row as that writer
    left it, but the joined children as the statement's snapshot saw them:
    the version the snapshot saw tells, and then the children are read again.
    Every write to a child bumps the agreement's version."""
    before = aliased(Agreement)
    seen = select(before.version).where(before.id == Agreement.id).scalar_subquery()
    found = (
        session.execute(
            statement.add_columns(seen)
            .options(*LOCKED_AGREEMENT)
            .with_for_update(of=Agreement)
            .execution_options(populate_existing=True)
        )
        .unique()
        .one_or_none()
    )
    if found is None:
        raise NotFound(f"agreement {agreement_id} not found")
    agreement: Agreement = found[0]
    if found[1] != agreement.version:
        session.execute(
            select(Agreement)
            .where(Agreement.id == agreement.id)
            .options(*LOCKED_AGREEMENT)
            .execution_options(populate_existing=True)
        ).unique().one()
    return agreement


@dataclass(frozen=True)
class AgreementFilter:
    state: str | None = None
    organization_id: int | None = None
    cooperation_id: int | None = None
    sharing_model: str | None = None
    personal_data: bool | None = None  # shares personal data (any data asset does)
    q: str | None = None
    sort: str = "newest"  # a key of SORTS
    # Conditions on the Agreement row that features built on agreements pass
    # in (the web list's "overdue" is an EXISTS over deadlines): agreements
    # imports none of them.
    conditions: tuple[ColumnElement[bool], ...] = ()


# Newest first: id order, served by the primary key and by (state, id) and
# (cooperation_id, id) when those filters apply.
NEWEST_FIRST: Keyset[Agreement] = Keyset(
    "agreements", (Agreement.id,), key=lambda agreement: (agreement.id,), descending=True
)
# No end date sorts last on both databases (SQLite puts NULL first, PostgreSQL
# last), and a keyset needs a key without NULLs.
_ENDS = func.coalesce(Agreement.end_date, date.max)
# Each order ends in the unique id, so pages never skip or repeat a row.
SORTS: dict[str, Keyset[Agreement]] = {
    "newest": NEWEST_FIRST,
    "oldest": Keyset("agreements-oldest", (Agreement.id,), key=lambda a: (a.id,)),
    "reference": Keyset(
        "agreements-reference",
        (Agreement.reference, Agreement.id),
        key=lambda a: (a.reference, a.id),
    ),
    "title": Keyset(
        "agreements-title", (Agreement.title, Agreement.id), key=lambda a: (a.title, a.id)
    ),
    "end_date": Keyset(
        "agreements-end-date",
        (cast(QueryableAttribute[date], _ENDS), Agreement.id),
        key=lambda a: (a.end_date or date.max, a.id),
    ),
}


def _filtered(statement: Select[T], flt: AgreementFilter) -> Select[T]:
    if flt.state:
        statement = statement.where(Agreement.state == flt.state)
    if flt.cooperation_id:
        statement = statement.where(Agreement.cooperation_id == flt.cooperation_id)
    if flt.organization_id:
        statement = statement.where(party_of(flt.organization_id))
    if flt.sharing_model:
        statement = statement.where(Agreement.sharing_model == flt.sharing_model)
    if flt.personal_data is not None:
        # SQL for Agreement.shares_personal_data.
        personal = exists().where(
            DataAsset.agreement_id == Agreement.id, DataAsset.personal_data.is_(True)
        )
        statement = statement.where(personal if flt.personal_data else ~personal)
    if flt.q and flt.q.strip():
        pattern = f"%{flt.q.strip()}%"
        statement = statement.where(
            or_(
                Agreement.reference.ilike(pattern),
                Agreement.title.ilike(pattern),
                Agreement.purpose.ilike(pattern),
            )
        )
    return statement.where(*flt.conditions)


def list_visible(
    session: Session,
    user: User,
    flt: AgreementFilter,
    page: PageRequest,
    *,
    after: tuple[Any, ...] | None = None,
) -> Page[Agreement]:
    """One page of agreements in ``flt.sort`` order, and where the next one
    starts. ``after``: the sort key of the last row already read (a server-side
    keyset walk, e.g. a CSV export; clients use cursors)."""
    keyset = SORTS[flt.sort]
    statement = _filtered(visible(select(Agreement), user), flt)
    if after is not None:
        statement = statement.where(keyset.after(after))
    # Deferred join: the page is found on a narrow index (e.g. (state, id)),
    # by OFFSET or after a cursor, without reading table rows; only the
    # page's own rows are fetched.
    page_ids = page.apply(statement.with_only_columns(Agreement.id), keyset).subquery()
    statement = (
        select(Agreement)
        .join(page_ids, Agreement.id == page_ids.c.id)
        .order_by(*keyset.order())
        .options(selectinload(Agreement.parties).joinedload(Party.organization))
    )
    return page.split(session.execute(statement).scalars().all(), keyset)


def events_of(session: Session, user: User, agreement_id: int) -> list[AuditEvent]:
    """An agreement's audit trail, oldest first: office staff only (it holds
    legal's internal comments); partners get 403 on what they may see."""
    return trail_of(session, user, get_visible(session, user, agreement_id))


def trail_of(session: Session, user: User, agreement: Agreement) -> list[AuditEvent]:
    """``events_of`` for an agreement already loaded through ``get_visible``."""
    if not user.is_office:
        raise Forbidden("the audit trail is for office staff and auditors")
    statement = select(AuditEvent).where(AuditEvent.agreement_id == agreement.id)
    return list(session.execute(statement.order_by(AuditEvent.seq)).scalars())


def holding_canvas(session: Session, cooperation_id: int) -> list[str]:
    """References of the cooperation's agreements whose documents quote its
    canvas as legal reviewed it (registered as the cooperations' canvas lock)."""
    statement = select(Agreement.reference).where(
        Agreement.cooperation_id == cooperation_id,
        Agreement.state.in_(CANVAS_FROZEN_STATES),
    )
    return list(session.execute(statement).scalars())


def recent_events(session: Session, user: User, limit: int = 10) -> list[tuple[AuditEvent, str]]:
    """The latest audit events on agreements the user may see, newest first,
    each with its agreement's reference. A partner gets only their agreements'
    moves from state to state: the rest of the trail (edits, deadlines,
    legal's comments) is the office's, as in ``events_of``."""
    statement = (
        visible(select(Agreement), user)
        .with_only_columns(AuditEvent, Agreement.reference)
        .select_from(AuditEvent)
        .join(Agreement, Agreement.id == AuditEvent.agreement_id)
    )
    if not user.is_office:
        statement = statement.where(
            AuditEvent.entity_type == Agreement.audit_entity,
            AuditEvent.from_state.is_distinct_from(AuditEvent.to_state),
        )
    rows = session.execute(statement.order_by(AuditEvent.seq.desc()).limit(limit)).all()
    return [(event, reference) for event, reference in rows]
