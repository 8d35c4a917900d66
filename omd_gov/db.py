"""Declarative base and the Flask-SQLAlchemy handle.

Models subclass ``Base`` (plain SQLAlchemy 2, importable without Flask) so the
lifecycle and guards can be unit-tested on transient rows with no database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase, Session

# Deterministic constraint names keep Alembic migrations portable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


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


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """Commit everything done in the block, or nothing. Services own this."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def call_after_commit(session: Session, callback: Callable[[], None]) -> None:
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
