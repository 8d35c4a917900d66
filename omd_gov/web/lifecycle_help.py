"""'How agreements move' (``/help/lifecycle``): the lifecycle diagram and a
table of every state and trigger, generated from the machine's table
(``lifecycle.TRANSITIONS``) and the triggers' rules (``rules.RULES``: who
may fire them, ``rules.role_may_fire``, and their guards), so the page
cannot drift from the code. Only the words are written here: what a state
means and what a guard checks, keyed by the state and by the guard
function's name; a test checks that every one has its words."""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from flask import Response, render_template
from flask_babel import lazy_gettext as _l

from omd_gov.agreements.lifecycle import SYSTEM_TRIGGERS, State, Trigger
from omd_gov.agreements.rules import RULES, Guard, role_may_fire
from omd_gov.auth.models import Role
from omd_gov.web.accounts import login_required
from omd_gov.web.blueprint import bp
from omd_gov.web.diagram import Move, lifecycle_svg, moves
from omd_gov.web.problems import problem_text

STATE_MEANINGS = {
    "draft": _l("A data officer is writing the agreement; its content can be edited."),
    "legal_review": _l(
        "Submitted: a legal officer reviews it. The cooperation's canvas is "
        "locked from now until signature."
    ),
    "changes_requested": _l(
        "Legal review (or a signatory's decline) sent it back; the content "
        "can be edited again before it is resubmitted."
    ),
    "approved": _l("Legal approved this version. The document for signature is generated next."),
    "signing": _l("The document is frozen (its sha256 recorded) and the signing parties sign it."),
    "active": _l("Every signing party signed: the agreement is in force."),
    "expired": _l("Its end date passed while it was active."),
    "terminated": _l("A legal officer ended it early, with a reason."),
    "superseded": _l("An amendment to it came into force and replaced it."),
    "withdrawn": _l("Abandoned before it came into force, with a reason."),
}
# By guard function name (``Rule.guard.__qualname__``).
GUARD_WORDS = {
    "nothing": _l("none"),
    "reason_required.<locals>.guard": "{what} is required",
    "submit_guard": _l(
        "a title, a purpose, start and end dates (the end after the start, and "
        "not already passed), at least one data asset, at least two parties of which at least "
        "one signs, a complete cooperation canvas and, when personal data is shared, the GDPR "
        "checklist (lawful basis, DPIA decision and its reference when done, retention, "
        "categories of data and of data subjects, an Art. 9 condition for special categories, "
        "a transfer mechanism for transfers outside the EEA)"
    ),
    "approve_guard": _l(
        "four eyes: neither the officer who submitted this version nor the one "
        "who drafted the agreement may approve it"
    ),
    "send_for_signature_guard": _l(
        "a document generated for the current version exists (it is "
        "frozen, with its sha256), and the end date has not passed"
    ),
    "sign_guard": _l(
        "the signatory's organisation is a signing party that has not signed yet; "
        "an advanced-signature agreement needs the PAdES-signed PDF uploaded; the end date has "
        "not passed"
    ),
    "decline_guard": _l(
        "the signatory's organisation is a signing party that has not signed "
        "yet, and a reason for declining is required"
    ),
}


@dataclass(frozen=True)
class TriggerRow:
    trigger: str
    moves: list[Move]
    roles: list[str]  # empty: only the system fires it
    system: bool
    guard: str


def guard_key(guard: Guard) -> str:
    return str(getattr(guard, "__qualname__", guard))


def guard_words(guard: Guard) -> str:
    """The guard in words, in the page's language; a guard made by
    ``reason_required(what)`` names its ``what`` (in the words of its refusal)."""
    words = str(GUARD_WORDS[guard_key(guard)])
    if "{what}" not in words:
        return words
    what = str(inspect.getclosurevars(guard).nonlocals.get("what", "a comment"))
    sentence = problem_text({"code": "comment_required", "message": words.format(what=what)})
    return sentence[:1].upper() + sentence[1:]


def trigger_rows() -> list[TriggerRow]:
    """Every trigger, in the machine's order, with its moves, roles and guard."""
    table = moves()
    return [
        TriggerRow(
            trigger=str(trigger),
            moves=[move for move in table if move.trigger == trigger],
            roles=[str(role) for role in Role if role_may_fire(role, trigger)],
            system=trigger in SYSTEM_TRIGGERS,
            guard=guard_words(RULES[trigger].guard),
        )
        for trigger in Trigger
    ]


@bp.get("/help/lifecycle")
@login_required
def lifecycle_help() -> str:
    return render_template(
        "lifecycle_help.html",
        diagram=lifecycle_svg(),
        states=[(str(state), STATE_MEANINGS[str(state)]) for state in State],
        rows=trigger_rows(),
    )


@bp.get("/help/lifecycle.svg")
@login_required
def lifecycle_diagram() -> Response:
    return Response(str(lifecycle_svg()), mimetype="image/svg+xml")
