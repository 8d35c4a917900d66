"""The agreement use cases that the API, the pages and the CLI call. Each is
one unit of work: it loads what the caller may see, checks, changes and
audits, and commits or not at all (a nested call joins its caller's unit of
work)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from omd_gov.agreements import editing, transitions
from omd_gov.agreements.models import Agreement
from omd_gov.agreements.queries import get_visible
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import Role
from omd_gov.db import transaction
from omd_gov.errors import Forbidden, GuardFailed, IllegalTrigger
from omd_gov.observability.metrics import TRANSITIONS
from omd_gov.preconditions import require_version


@contextmanager
def _locked(session: Session, actor: Actor, agreement_id: int) -> Iterator[Agreement]:
    """One unit of work on an agreement the actor may see, its row locked."""
    with transaction(session):
        yield get_visible(session, actor.require_user(), agreement_id, for_update=True)


def _signature_floor() -> str:
    return str(current_app.config["OMD_SIGNATURE_LEVEL"])


def create_draft(session: Session, actor: Actor, data: dict[str, Any], prefix: str) -> Agreement:
    floor = _signature_floor()
    data = {"signature_level": floor, **editing.check_signature_level(data, floor)}
    with transaction(session):
        return editing.create(session, actor, data, prefix)


def edit_draft(
    session: Session,
    actor: Actor,
    agreement_id: int,
    data: dict[str, Any],
    expected_version: int | None,
) -> Agreement:
    with _locked(session, actor, agreement_id) as agreement:
        if actor.role not in (Role.DATA_OFFICER, Role.ADMIN):
            raise Forbidden("only data officers edit agreement drafts")
        require_version(agreement.version, expected_version, "agreement", required=True)
        editing.check_signature_level(data, _signature_floor())
        return editing.update(session, actor, agreement, data)


def fire_trigger(
    session: Session, actor: Actor, agreement_id: int, trigger: str, comment: str
) -> Agreement:
    """Fire ``trigger``, counted by outcome (only triggers the lifecycle knows
    get this far, so the label stays a short list)."""
    try:
        with _locked(session, actor, agreement_id) as agreement:
            fired = transitions.transition(session, actor, agreement, trigger, comment)
    except IllegalTrigger:
        TRANSITIONS.labels(trigger, "illegal").inc()
        raise
    except (GuardFailed, Forbidden):
        TRANSITIONS.labels(trigger, "refused").inc()
        raise
    TRANSITIONS.labels(trigger, "fired").inc()
    return fired


def derive_draft(
    session: Session, actor: Actor, agreement_id: int, kind: str, prefix: str
) -> Agreement:
    """``kind`` is "amendment" or "renewal"."""
    with _locked(session, actor, agreement_id) as source:
        return transitions.derive(session, actor, source, kind, prefix)
