"""Declarative base and the Flask-SQLAlchemy handle.

Models subclass ``Base`` (plain SQLAlchemy 2, importable without Flask) so the
lifecycle and guards can be unit-tested on transient rows with no database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar, TypeVarTuple

from flask import current_app
from flask_sqlalchemy import SQLAlchemy
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import ColumnElement, DateTime, Dialect, MetaData, Select, event, tuple_
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute, Session, scoped_session
from sqlalchemy.types import TypeDecorator

from omd_gov.errors import Unprocessable

# Deterministic constraint names keep Alembic migrations portable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


Ts = TypeVarTuple("Ts")  # a Select's columns (SQLAlchemy 2.1 types them variadically)
R = TypeVar("R")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _SQLAlchemy(SQLAlchemy):
    # At runtime ``db.session`` is a scoped_session proxying the current
    # Session; typing it as Session lets services take a plain ``Session``.
    session: Session  # type: ignore[assignment]


# Each request or task has its own session, removed at the end; expiring on
# commit would only make the response re-read what was just written.
db = _SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def utcnow() -> datetime:
    """The one clock of the application (tests travel in time by patching it)."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """The one column type for moments: stored as UTC and read back as an
    aware UTC datetime on every database (SQLite drops the offset, PostgreSQL
    answers in the session's time zone), so the API shows one format."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def in_unit_of_work(session: Session) -> bool:
    return bool(session.info.get(_IN_UNIT_OF_WORK))


def end_read(session: Session, what: str) -> None:
    """End the session's read transaction before slow work or network I/O (a
    render, a conversion, an SMTP send, a publish), so no snapshot or lock is
    held meanwhile and the next read sees fresh rows. Refused inside a unit of
    work, whose changes a rollback would silently discard."""
    if in_unit_of_work(session):
        raise RuntimeError(
            f"{what} cannot run inside an open omd_gov.db.transaction(): it ends the "
            "session's transaction first; call it outside the block"
        )
    session.rollback()


@dataclass(frozen=True)
class Keyset(Generic[R]):
    """A list's order, made for cursor pages: columns that end in a unique one
    (the id), all ascending or all descending, served by an index, and how to
    read that key from one of the list's rows."""

    name: str  # a cursor is only good for the list that gave it out
    columns: tuple[QueryableAttribute[Any], ...]  # mapped columns
    key: Callable[[R], tuple[Any, ...]]
    descending: bool = False

    def order(self) -> list[ColumnElement[Any]]:
        return [column.desc() if self.descending else column.asc() for column in self.columns]

    def after(self, values: tuple[Any, ...]) -> ColumnElement[bool]:
        """Rows after ``values`` in this order: a range of the index, no OFFSET."""
        if len(values) == 1:
            here, there = self.columns[0], values[0]
            return here < there if self.descending else here > there
        row, other = tuple_(*self.columns), tuple_(*values)
        return row < other if self.descending else row > other

    def cursor(self, row: R) -> str:
        values = [v.isoformat() if isinstance(v, date) else v for v in self.key(row)]
        return _cursors().dumps([self.name, *values])

    def decode(self, cursor: str) -> tuple[Any, ...]:
        try:
            name, *raw = _cursors().loads(cursor)
            if name != self.name or len(raw) != len(self.columns):
                raise ValueError(f"not a cursor of {self.name}")
            return tuple(_typed(c, v) for c, v in zip(self.columns, raw, strict=True))
        except (BadData, ValueError, TypeError) as error:
            raise Unprocessable(
                "the cursor is not one this list gave out",
                [{"field": "cursor", "message": "malformed or altered cursor"}],
            ) from error


def _cursors() -> URLSafeSerializer:
    """Cursors are signed (base64url JSON plus an HMAC): opaque, and a forged
    one is refused before it reaches SQL."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="omd-gov.page-cursor")


def _typed(column: QueryableAttribute[Any], value: object) -> Any:
    expected = column.expression.type.python_type
    if expected in (int, str) and type(value) is expected:
        return value
    if expected is date and isinstance(value, str):
        return date.fromisoformat(value)
    raise TypeError(f"{value!r} is not a {expected.__name__}")


@dataclass(frozen=True)
class Page(Generic[R]):
    items: list[R]
    next_cursor: str | None  # where the next page starts; None on the last one

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


@dataclass(frozen=True)
class PageRequest:
    """One page of a list: by number (OFFSET) or after a cursor (keyset: it
    reads only the page's index entries, however deep). Fetching
    ``per_page + 1`` rows tells whether a next page exists without counting."""

    page: int = 1
    per_page: int = 20
    cursor: str | None = None

    def __post_init__(self) -> None:
        if self.cursor is not None and self.page > 1:
            raise Unprocessable(
                "a cursor page has no page number",
                [{"field": "cursor", "message": "give a cursor or a page number, not both"}],
            )

    def apply(self, statement: Select[*Ts], keyset: Keyset[Any]) -> Select[*Ts]:
        statement = statement.order_by(*keyset.order()).limit(self.per_page + 1)
        if self.cursor is not None:
            return statement.where(keyset.after(keyset.decode(self.cursor)))
        return statement.offset((self.page - 1) * self.per_page)

    def split(self, rows: Sequence[R], keyset: Keyset[R]) -> Page[R]:
        """The page's rows, and the cursor of the next page if there is one."""
        items = list(rows[: self.per_page])
        more = len(rows) > self.per_page
        return Page(items, keyset.cursor(items[-1]) if more else None)

    def answer(self, page: Page[Any], **extra: object) -> dict[str, object]:
        """The page as the list endpoints return it."""
        return {"items": page.items, "page": self.page, "per_page": self.per_page,
                "has_next": page.has_next, "next_cursor": page.next_cursor} | extra  # fmt: skip


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """Commit everything done in the block, or nothing. Services own this.

    A nested block joins the outer one, which commits. The block starts a
    fresh transaction that, on SQLite, takes the write lock up front
    (``BEGIN IMMEDIATE``): a deferred one that had read before another writer
    committed could only fail when it tries to write.
    """
    if session.info.get(_IN_UNIT_OF_WORK):
        yield session
        return
    session.info[_IN_UNIT_OF_WORK] = True
    try:
        _begin_for_writing(session)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_IN_UNIT_OF_WORK, None)


_IN_UNIT_OF_WORK = "omd_unit_of_work"
SQLITE_BEGIN_OPTION = "omd_sqlite_begin"


def _begin_for_writing(session: Session | scoped_session[Session]) -> None:
    if isinstance(session, scoped_session):
        session = session()  # the request's own Session behind the proxy
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("changes made outside a unit of work would be committed early")
        session.commit()  # only reads so far (e.g. the caller's authentication)
    session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})


def call_after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run ``callback`` once the current transaction has committed (and never
    if it rolls back). Use it to enqueue Celery tasks that read committed rows."""
    session.info.setdefault("after_commit", []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop("after_commit", []):
        callback()


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop("after_commit", None)
