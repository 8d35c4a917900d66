"""Cooperation use cases, each one unit of work: create, edit, fill the
canvas, change stage."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from omd_gov.audit.chain import record
from omd_gov.auth.actors import Actor
from omd_gov.cooperations.canvas import SECTION_KEYS, stage_change_problem
from omd_gov.cooperations.hooks import canvas_holders
from omd_gov.cooperations.models import Cooperation
from omd_gov.cooperations.queries import get_visible
from omd_gov.db import transaction
from omd_gov.errors import Conflict, Unprocessable
from omd_gov.organizations.queries import existing
from omd_gov.preconditions import require_version


def _audit(
    session: Session,
    actor: Actor,
    cooperation: Cooperation,
    action: str,
    changes: dict[str, Any],
    comment: str = "",
) -> None:
    session.flush()  # a new cooperation needs its id
    record(session, actor, cooperation, action, changes=changes, comment=comment)


def _refuse_while_held(session: Session, cooperation: Cooperation) -> None:
    holders = canvas_holders(session, cooperation.id)
    if holders:
        raise Conflict(
            "the canvas cannot change while agreements built on it are in review or signing: "
            + ", ".join(holders),
            agreements=holders,
        )


def create(session: Session, actor: Actor, data: dict[str, Any]) -> Cooperation:
    with transaction(session):
        cooperation = Cooperation(
            title=data["title"],
            description=data.get("description", ""),
            owner_id=actor.require_user().id,
            canvas={},
            mims=[],
        )
        cooperation.organizations = existing(
            session, data.get("organization_ids", []), "organization_ids"
        )
        session.add(cooperation)
        _audit(
            session, actor, cooperation, "create", {"title": {"from": None, "to": data["title"]}}
        )
        return cooperation


@contextmanager
def _writing(
    session: Session, actor: Actor, cooperation_id: int, expected_version: int | None
) -> Iterator[Cooperation]:
    """One unit of work on a cooperation the caller may see, at the version
    their (optional) If-Match names."""
    with transaction(session):
        cooperation = get_visible(session, actor.require_user(), cooperation_id)
        require_version(cooperation.version, expected_version, "cooperation", required=False)
        yield cooperation


def update(
    session: Session,
    actor: Actor,
    cooperation_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Cooperation:
    with _writing(session, actor, cooperation_id, expected_version) as cooperation:
        if any(
            data.get(name, getattr(cooperation, name)) != getattr(cooperation, name)
            for name in ("title", "description")
        ):
            _refuse_while_held(session, cooperation)
        changes: dict[str, Any] = {}
        for name in ("title", "description"):
            if name in data and data[name] != getattr(cooperation, name):
                changes[name] = {"from": getattr(cooperation, name), "to": data[name]}
                setattr(cooperation, name, data[name])
        if "organization_ids" in data:
            before = [o.id for o in cooperation.organizations]
            cooperation.organizations = existing(
                session, data["organization_ids"], "organization_ids"
            )
            after = [o.id for o in cooperation.organizations]
            changes["organization_ids"] = {"from": before, "to": after}
        _audit(session, actor, cooperation, "edit", changes)
    return cooperation


def put_canvas(
    session: Session,
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
    with _writing(session, actor, cooperation_id, expected_version) as cooperation:
        _refuse_while_held(session, cooperation)
        before = {"sections": cooperation.canvas, "mims": cooperation.mims}
        cooperation.canvas = {key: sections[key] for key in SECTION_KEYS if key in sections}
        cooperation.mims = list(dict.fromkeys(mims))
        after = {"sections": cooperation.canvas, "mims": cooperation.mims}
        _audit(session, actor, cooperation, "canvas", {"canvas": {"from": before, "to": after}})
    return cooperation


def change_stage(
    session: Session,
    actor: Actor,
    cooperation_id: int,
    target: str,
    reason: str,
    expected_version: int | None = None,
) -> Cooperation:
    with _writing(session, actor, cooperation_id, expected_version) as cooperation:
        problem = stage_change_problem(cooperation.stage, target, reason)
        if problem:
            raise Unprocessable(
                problem, [{"field": "to", "message": problem}], stage=cooperation.stage
            )
        before, cooperation.stage = cooperation.stage, target
        changes = {"stage": {"from": before, "to": target}}
        _audit(session, actor, cooperation, "stage", changes, reason)
    return cooperation
