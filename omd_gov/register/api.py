"""/api/v1/agreements/{id}/publication: publish an agreement to the
transparency register, read its entry as the public sees it, withdraw it
(transparency officers; docs/REGISTER.md)."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import current_app

from omd_gov.agreements.queries import get_visible
from omd_gov.auth.security import auth, current_actor, current_user
from omd_gov.db import db
from omd_gov.errors import NotFound
from omd_gov.register import queries, services
from omd_gov.register.models import RegisterEntry
from omd_gov.register.public import public_bp  # noqa: F401 - the public feeds, registered by the app
from omd_gov.register.schemas import PublicationIn, PublicationOut, UnpublishIn

bp = APIBlueprint("register", __name__, tag="Register")

PUBLICATION = "/agreements/<int:agreement_id>/publication"


def _answer(entry: RegisterEntry) -> dict[str, Any]:
    return {
        "entry": queries.shown(db.session, entry, current_app.config["OMD_PUBLIC_URL"]),
        "overrides": entry.overrides or {},
        "published_by_id": entry.published_by_id,
    }


@bp.post(PUBLICATION)
@bp.auth_required(auth)
@bp.input(PublicationIn, arg_name="data")
@bp.output(PublicationOut)
@bp.doc(responses={403: "Not a transparency officer", 409: "Not signed yet"})
def publish(agreement_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Publish the agreement (or change a live entry's overrides)."""
    entry = services.publish(db.session, current_actor(), agreement_id, data["overrides"])
    return _answer(entry)


@bp.get(PUBLICATION)
@bp.auth_required(auth)
@bp.output(PublicationOut)
@bp.doc(responses={404: "Not published, or the agreement is not visible"})
def get_publication(agreement_id: int) -> dict[str, Any]:
    """The entry as the public sees it (a withdrawn one as its tombstone)."""
    agreement = get_visible(db.session, current_user(), agreement_id)
    entry = queries.entry_of(db.session, agreement.id)
    if entry is None:
        raise NotFound(f"agreement {agreement_id} is not in the register")
    return _answer(entry)


@bp.delete(PUBLICATION)
@bp.auth_required(auth)
@bp.input(UnpublishIn, arg_name="data")
@bp.output(PublicationOut)
@bp.doc(responses={403: "Not a transparency officer", 409: "Not published"})
def unpublish(agreement_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Withdraw the entry; the register keeps its tombstone."""
    entry = services.unpublish(db.session, current_actor(), agreement_id, data["reason"])
    return _answer(entry)
