"""Rendering the agreement workspace: everything the page shows, read
through the features' queries (no rule of theirs is restated here). The
routes in ``workspace.py`` and ``workspace_documents.py`` render it, with
what their action adds (a refusal, a verification); the edit form has a page
of its own (``workspace_edit.py``), linked from here for those who may edit."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template

from omd_gov.agreements.lifecycle import EDITABLE_STATES, State
from omd_gov.agreements.models import Agreement, Party
from omd_gov.agreements.queries import get_visible, trail_of
from omd_gov.agreements.transitions import allowed_triggers
from omd_gov.auth.models import Role, User
from omd_gov.auth.security import has_role
from omd_gov.db import db
from omd_gov.deadlines.calendar import office_today
from omd_gov.deadlines.queries import of_agreement
from omd_gov.documents.models import Document
from omd_gov.documents.queries import documents_of
from omd_gov.errors import ServiceError
from omd_gov.web.accounts import web_actor, web_user
from omd_gov.web.diagram import lifecycle_svg
from omd_gov.web.workspace_timeline import chain_status, timeline

# The roles that may act (admin always may, ``auth.security.has_role``), so
# that the page offers only what would be accepted: ``edit_draft`` checks
# EDITORS itself; the documents API's view checks GENERATORS (so does ours).
EDITORS = (Role.DATA_OFFICER,)
GENERATORS = (Role.DATA_OFFICER, Role.LEGAL_OFFICER)


def may_edit(user: User, agreement: Agreement) -> bool:
    return has_role(user, *EDITORS) and agreement.state in EDITABLE_STATES


def still_to_sign(agreement: Agreement) -> list[Party]:
    """While signing: the signing parties without a live signature."""
    if agreement.state != State.SIGNING:
        return []
    signed = {signature.party_id for signature in agreement.live_signatures}
    return [party for party in agreement.signing_parties if party.id not in signed]


def _preview(agreement: Agreement, documents: list[Document]) -> Document | None:
    """The document to preview: the frozen one, else the newest DSA."""
    frozen = [d for d in documents if d.sha256 == agreement.frozen_sha256 and d.frozen_at]
    newest = [d for d in documents if d.kind == "dsa"]
    found = frozen or newest
    return found[0] if found else None


def _history(user: User, agreement: Agreement) -> dict[str, Any]:
    """The audit trail is for office staff (``events_of`` refuses partners)."""
    if not user.is_office:
        return {"entries": None, "chain": None}
    chain = chain_status(db.session)
    events = trail_of(db.session, user, agreement)
    return {"entries": timeline(events, chain), "chain": chain}


def render_workspace(
    agreement_id: int,
    *,
    status: int = 200,
    refusal: ServiceError | None = None,
    **extra: Any,
) -> tuple[str, int]:
    user = web_user()
    agreement = get_visible(db.session, user, agreement_id)
    documents = documents_of(db.session, agreement)
    today = office_today(current_app.config)
    deadlines = [
        d for d in of_agreement(db.session, user, agreement, today) if d["status"] == "open"
    ]
    page = render_template(
        "agreement.html",
        agreement=agreement,
        triggers=allowed_triggers(agreement, web_actor()),
        refusal=refusal,
        documents=documents,
        preview=_preview(agreement, documents),
        may_generate=has_role(user, *GENERATORS),
        deadlines=deadlines,
        organisations={p.organization_id: p.organization.name for p in agreement.parties},
        parties={p.id: p.organization.name for p in agreement.parties},
        unsigned=still_to_sign(agreement),
        may_edit=may_edit(user, agreement),
        diagram=lifecycle_svg(agreement.state),
        **_history(user, agreement),
        **extra,
    )
    return page, status
