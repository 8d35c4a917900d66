"""A refused transition's unmet guards in the page's language.

The guards (``omd_gov/agreements/guards.py``) speak English and give each
problem a ``code``. Their fixed messages are message ids here, so English
pages show them unchanged; a message this table does not know (a new guard,
or one with specifics) keeps its English text after a translated lead-in
chosen by its code, so nothing is ever hidden."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from omd_gov.errors import GuardFailed, ServiceError
from omd_gov.web.terms import term

# The guards' fixed messages (their English is the message id).
MESSAGES = {
    "a title is required": _l("a title is required"),
    "a purpose is required": _l("a purpose is required"),
    "start and end dates are required": _l("start and end dates are required"),
    "at least one data asset is required": _l("at least one data asset is required"),
    "the end date must follow the start date": _l("the end date must follow the start date"),
    "an agreement needs at least two parties": _l("an agreement needs at least two parties"),
    "at least one party must sign": _l("at least one party must sign"),
    "a lawful basis (Art. 6) is required for personal data": _l(
        "a lawful basis (Art. 6) is required for personal data"
    ),
    "a DPIA decision is required for personal data": _l(
        "a DPIA decision is required for personal data"
    ),
    "a retention period is required for personal data": _l(
        "a retention period is required for personal data"
    ),
    "the categories of personal data are required": _l(
        "the categories of personal data are required"
    ),
    "the categories of data subjects are required": _l(
        "the categories of data subjects are required"
    ),
    "a completed DPIA needs its reference": _l("a completed DPIA needs its reference"),
    "special-category data (Art. 9) needs an Art. 9 condition": _l(
        "special-category data (Art. 9) needs an Art. 9 condition"
    ),
    "transfers outside the EEA need a transfer mechanism (Chapter V)": _l(
        "transfers outside the EEA need a transfer mechanism (Chapter V)"
    ),
    "the end date has already passed; change it first": _l(
        "the end date has already passed; change it first"
    ),
    "you submitted this version; another officer must approve it": _l(
        "you submitted this version; another officer must approve it"
    ),
    "you drafted this agreement; another officer must approve it": _l(
        "you drafted this agreement; another officer must approve it"
    ),
    "no generated document exists for the current version": _l(
        "no generated document exists for the current version"
    ),
    "generate the DSA first": _l("generate the DSA first"),
    "your organisation is not a signing party of this agreement": _l(
        "your organisation is not a signing party of this agreement"
    ),
    "your organisation has already signed this agreement": _l(
        "your organisation has already signed this agreement"
    ),
    "this agreement requires an advanced electronic signature: download the PDF, sign it with "
    "your signing tool (PAdES) and upload it; a click cannot sign it": _l(
        "this agreement requires an advanced electronic signature: download the PDF, sign it "
        "with your signing tool (PAdES) and upload it; a click cannot sign it"
    ),
    "a comment explaining the changes is required": _l(
        "a comment explaining the changes is required"
    ),
    "a reason for termination is required": _l("a reason for termination is required"),
    "a reason for withdrawal is required": _l("a reason for withdrawal is required"),
    "a reason for declining is required": _l("a reason for declining is required"),
}
# Lead-ins for the messages above does not know, by the problem's code.
LEADS = {
    "missing_field": _l("Missing information"),
    "invalid_dates": _l("Dates"),
    "parties": _l("Parties"),
    "canvas_incomplete": _l("The cooperation canvas is incomplete"),
    "gdpr": _l("GDPR"),
    "ended": _l("End date"),
    "four_eyes": _l("Four-eyes principle"),
    "document": _l("Document"),
    "signature_level": _l("Signature level"),
    "signatory": _l("Signatory"),
    "already_signed": _l("Already signed"),
    "comment_required": _l("A comment is required"),
}
CANVAS_MISSING = "the cooperation canvas is missing: "
TRIGGER_IN_DETAIL = re.compile(r"for '(?P<trigger>[a-z_]+)'$")


def problem_text(problem: Mapping[str, Any]) -> str:
    """One problem (``code``, ``message``, ``field``) as the page shows it."""
    message = str(problem.get("message") or "")
    known = MESSAGES.get(message)
    if known is not None:
        return str(known)
    if problem.get("code") == "canvas_incomplete" and message.startswith(CANVAS_MISSING):
        keys = message.removeprefix(CANVAS_MISSING).split(", ")
        sections = ", ".join(term(key, "canvas_section") for key in keys)
        return gettext("the cooperation canvas is missing: %(sections)s", sections=sections)
    lead = LEADS.get(str(problem.get("code") or ""))
    if lead is None or not message:
        return message or str(lead or "")
    return gettext("%(lead)s: %(detail)s", lead=lead, detail=message)


def problems_of(error: ServiceError) -> list[str]:
    """A refusal's problems, each in the page's language (its detail when it has none)."""
    return [problem_text(problem) for problem in error.errors] or [error.detail]


def refusal_text(error: ServiceError) -> str:
    """The refusal's headline: a guard refusal counts its problems in the page's
    language; other refusals keep the service's (English) detail."""
    found = TRIGGER_IN_DETAIL.search(error.detail)
    if not isinstance(error, GuardFailed) or found is None:
        return error.detail
    action = term(found["trigger"], "trigger")
    return ngettext(
        "%(num)d condition is not met for “%(action)s”:",
        "%(num)d conditions are not met for “%(action)s”:",
        len(error.errors),
        action=action,
    )
