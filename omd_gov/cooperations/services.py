"""Cooperation commands: create, edit, fill the canvas, change stage."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from omd_gov.agreements.models import Agreement
from omd_gov.audit.chain import append_event
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import User
from omd_gov.cooperations.canvas import SECTION_KEYS, stage_change_problem
from omd_gov.cooperations.models import Cooperation, cooperation_organizations
from omd_gov.db import transaction
from omd_gov.errors import Conflict, NotFound, Unprocessable
from omd_gov.organizations.models import Organization
from omd_gov.preconditions import require_version


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


def _organizations(session: Session, ids: list[int]) -> list[Organization]:
    found = {
        o.id: o
        for o in session.execute(select(Organization).where(Organization.id.in_(ids))).scalars()
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise Unprocessable(
            f"unknown organisations: {missing}",
            [
                {"field": "organization_ids", "message": f"organisation {i} does not exist"}
                for i in missing
            ],
        )
    return [found[i] for i in dict.fromkeys(ids)]


def _audit(
    session: Session,
    actor: Actor,
    cooperation: Cooperation,
    action: str,
    changes: dict[str, Any],
    comment: str = "",
) -> None:
    session.flush()
    append_event(
        session,
        actor,
        entity_type="cooperation",
        entity_id=cooperation.id,
        action=action,
        changes=changes,
        comment=comment,
    )


# While an agreement is between submission and signature, its documents quote
# the canvas as legal reviewed it: the canvas must not move under them.
FROZEN_CANVAS_STATES = ("legal_review", "approved", "signing")


def _refuse_while_in_review(session: Session, cooperation: Cooperation) -> None:
    references = (
        session.execute(
            select(Agreement.reference).where(
                Agreement.cooperation_id == cooperation.id,
                Agreement.state.in_(FROZEN_CANVAS_STATES),
            )
        )
        .scalars()
        .all()
    )
    if references:
        raise Conflict(
            "the canvas cannot change while agreements built on it are in review or signing: "
            + ", ".join(references),
            agreements=list(references),
        )


def create(session: Session, actor: Actor, owner_id: int, data: dict[str, Any]) -> Cooperation:
    with transaction(session):
        cooperation = Cooperation(
            title=data["title"],
            description=data.get("description", ""),
            owner_id=owner_id,
            canvas={},
            mims=[],
        )
        cooperation.organizations = _organizations(session, data.get("organization_ids", []))
        session.add(cooperation)
        _audit(
            session, actor, cooperation, "create", {"title": {"from": None, "to": data["title"]}}
        )
        return cooperation


@contextmanager
def _writing(
    session: Session, user: User, cooperation_id: int, expected_version: int | None
) -> Iterator[Cooperation]:
    """One unit of work on a cooperation the caller may see, at the version
    their (optional) If-Match names."""
    with transaction(session):
        cooperation = get_visible(session, user, cooperation_id)
        require_version(cooperation.version, expected_version, "cooperation", required=False)
        yield cooperation


def update(
    session: Session,
    user: User,
    actor: Actor,
    cooperation_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Cooperation:
    with _writing(session, user, cooperation_id, expected_version) as cooperation:
        if any(
            data.get(name, getattr(cooperation, name)) != getattr(cooperation, name)
            for name in ("title", "description")
        ):
            _refuse_while_in_review(session, cooperation)
        changes: dict[str, Any] = {}
        for name in ("title", "description"):
            if name in data and data[name] != getattr(cooperation, name):
                changes[name] = {"from": getattr(cooperation, name), "to": data[name]}
                setattr(cooperation, name, data[name])
        if "organization_ids" in data:
            before = [o.id for o in cooperation.organizations]
            cooperation.organizations = _organizations(session, data["organization_ids"])
            after = [o.id for o in cooperation.organizations]
            changes["organization_ids"] = {"from": before, "to": after}
        _audit(session, actor, cooperation, "edit", changes)
    return cooperation


def put_canvas(
    session: Session,
    user: User,
    actor: Actor,
    cooperation_id: int,
    sections: dict[str, str],
    mims: list[str],
    expected_version: int | None = None,
) -> Cooperation:
    unknown = sorted(set(sections) - set(SECTION_KEYS))
    if unknown:
        raise Unprocessable(
            f"unknown canvas sections: {', '.join(unknown)}",
            [{"field": f"sections.{key}", "message": "not a canvas section"} for key in unknown],
            section_keys=list(SECTION_KEYS),
        )
    with _writing(session, user, cooperation_id, expected_version) as cooperation:
        _refuse_while_in_review(session, cooperation)
        before = {"sections": cooperation.canvas, "mims": cooperation.mims}
        cooperation.canvas = {key: sections[key] for key in SECTION_KEYS if key in sections}
        cooperation.mims = list(dict.fromkeys(mims))
        after = {"sections": cooperation.canvas, "mims": cooperation.mims}
        _audit(session, actor, cooperation, "canvas", {"canvas": {"from": before, "to": after}})
    return cooperation


def change_stage(
    session: Session,
    user: User,
    actor: Actor,
    cooperation_id: int,
    target: str,
    reason: str,
    expected_version: int | None = None,
) -> Cooperation:
    with _writing(session, user, cooperation_id, expected_version) as cooperation:
        problem = stage_change_problem(cooperation.stage, target, reason)
        if problem:
            raise Unprocessable(
                problem, [{"field": "to", "message": problem}], stage=cooperation.stage
            )
        before, cooperation.stage = cooperation.stage, target
        changes = {"stage": {"from": before, "to": target}}
        _audit(session, actor, cooperation, "stage", changes, reason)
    return cooperation
