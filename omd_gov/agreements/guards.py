"""Guards: every condition that must hold before a trigger may fire.

Each guard returns *all* unmet conditions, so an officer fixes everything in
one pass. Guards read a loaded (or transient) agreement and a context; they
touch no database and no Flask, so unit tests build rows in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from omd_gov.agreements.models import MAX_EXCLUSIVITY_MONTHS, Agreement, Party
from omd_gov.cooperations.canvas import missing_sections


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    field: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "field": self.field}


# Facts that features contribute through ``hooks.provide_fact``.
DOCUMENT_READY = "document_ready"
# A validated PAdES-signed PDF for this signature is part of the unit of work.
PADES_SIGNED = "pades_signed"


@dataclass(frozen=True)
class GuardContext:
    user_id: int | None
    role: str
    organization_id: int | None
    comment: str = ""
    today: date | None = None  # None: date checks are skipped (pure unit tests)
    facts: Mapping[str, bool] = field(default_factory=dict)


def nothing(_agreement: Agreement, _ctx: GuardContext) -> list[Problem]:
    return []


def reason_required(what: str) -> Callable[[Agreement, GuardContext], list[Problem]]:
    def guard(_agreement: Agreement, ctx: GuardContext) -> list[Problem]:
        if ctx.comment.strip():
            return []
        return [Problem("comment_required", f"{what} is required", "comment")]

    return guard


def _required_fields(agreement: Agreement) -> list[Problem]:
    problems = [
        Problem("missing_field", f"{label} is required", name)
        for name, label in (("title", "a title"), ("purpose", "a purpose"))
        if not (getattr(agreement, name) or "").strip()
    ]
    if not agreement.start_date or not agreement.end_date:
        problems.append(Problem("missing_field", "start and end dates are required", "end_date"))
    elif agreement.end_date <= agreement.start_date:
        problems.append(
            Problem("invalid_dates", "the end date must follow the start date", "end_date")
        )
    if not agreement.data_assets:
        problems.append(
            Problem("missing_field", "at least one data asset is required", "data_assets")
        )
    return problems


def _parties(agreement: Agreement) -> list[Problem]:
    problems = []
    if len(agreement.parties) < 2:
        problems.append(Problem("parties", "an agreement needs at least two parties", "parties"))
    if not agreement.signing_parties:
        problems.append(Problem("parties", "at least one party must sign", "parties"))
    return problems


def _canvas(agreement: Agreement) -> list[Problem]:
    missing = missing_sections(agreement.cooperation.canvas if agreement.cooperation else None)
    if not missing:
        return []
    return [
        Problem(
            "canvas_incomplete",
            f"the cooperation canvas is missing: {', '.join(missing)}",
            "cooperation.canvas",
        )
    ]


def _gdpr(agreement: Agreement) -> list[Problem]:
    """The GDPR checklist, required only when personal data is shared."""
    if not agreement.shares_personal_data:
        return []
    gdpr = agreement.gdpr or {}
    checks = (
        ("lawful_basis", "a lawful basis (Art. 6) is required for personal data"),
        ("dpia", "a DPIA decision is required for personal data"),
        ("retention", "a retention period is required for personal data"),
        ("personal_data_categories", "the categories of personal data are required"),
        ("data_subject_categories", "the categories of data subjects are required"),
    )
    problems = [
        Problem("gdpr", message, f"gdpr.{key}") for key, message in checks if not gdpr.get(key)
    ]
    if gdpr.get("dpia") == "done" and not gdpr.get("dpia_reference"):
        problems.append(
            Problem("gdpr", "a completed DPIA needs its reference", "gdpr.dpia_reference")
        )
    if gdpr.get("special_categories") and not gdpr.get("art9_condition"):
        problems.append(
            Problem(
                "gdpr",
                "special-category data (Art. 9) needs an Art. 9 condition",
                "gdpr.art9_condition",
            )
        )
    if gdpr.get("transfers_outside_eea") and not gdpr.get("transfer_mechanism"):
        problems.append(
            Problem(
                "gdpr",
                "transfers outside the EEA need a transfer mechanism (Chapter V)",
                "gdpr.transfer_mechanism",
            )
        )
    return problems


def _exclusivity(agreement: Agreement) -> list[Problem]:
    """An exclusive re-use arrangement lasts at most 12 months (Data
    Governance Act art. 4(3)), and must be justified (art. 4(2))."""
    terms = agreement.exclusivity_terms
    if not terms["exclusive"]:
        return []
    problems = []
    if not str(terms.get("justification") or "").strip():
        message = "an exclusive arrangement needs a justification"
        problems.append(Problem("exclusivity", message, "exclusivity.justification"))
    months = terms.get("period_months")
    if not months or months > MAX_EXCLUSIVITY_MONTHS:
        message = (
            f"an exclusive arrangement may last at most {MAX_EXCLUSIVITY_MONTHS} months "
            f"(Data Governance Act art. 4); this one says {months or 'nothing'}"
        )
        problems.append(Problem("exclusivity", message, "exclusivity.period_months"))
    return problems


def _not_ended(agreement: Agreement, ctx: GuardContext) -> list[Problem]:
    """An agreement whose end date has passed can never come into force."""
    if ctx.today is None or agreement.end_date is None or agreement.end_date >= ctx.today:
        return []
    return [Problem("ended", "the end date has already passed; change it first", "end_date")]


def submit_guard(agreement: Agreement, ctx: GuardContext) -> list[Problem]:
    return (
        _required_fields(agreement)
        + _not_ended(agreement, ctx)
        + _parties(agreement)
        + _canvas(agreement)
        + _gdpr(agreement)
        + _exclusivity(agreement)
    )


def approve_guard(agreement: Agreement, ctx: GuardContext) -> list[Problem]:
    problems = []
    if ctx.user_id is not None and ctx.user_id == agreement.submitted_by_id:
        problems.append(
            Problem("four_eyes", "you submitted this version; another officer must approve it")
        )
    if ctx.user_id is not None and ctx.user_id == agreement.owner_id:
        problems.append(
            Problem("four_eyes", "you drafted this agreement; another officer must approve it")
        )
    return problems


def send_for_signature_guard(agreement: Agreement, ctx: GuardContext) -> list[Problem]:
    problems = _not_ended(agreement, ctx) + _exclusivity(agreement)
    if not ctx.facts.get(DOCUMENT_READY):
        problems.append(Problem("document", "no generated document exists for the current version"))
    return problems


def signing_party(agreement: Agreement, organization_id: int | None) -> Party | None:
    """The signing party that a signatory of ``organization_id`` signs for, if any."""
    for party in agreement.signing_parties:
        if organization_id is not None and party.organization_id == organization_id:
            return party
    return None


def signs_for_party(agreement: Agreement, ctx: GuardContext) -> list[Problem]:
    """Whether the caller may sign or decline for their organisation now."""
    party = signing_party(agreement, ctx.organization_id)
    if party is None:
        return [Problem("signatory", "your organisation is not a signing party of this agreement")]
    if any(sig.party_id == party.id for sig in agreement.live_signatures):
        return [Problem("already_signed", "your organisation has already signed this agreement")]
    return []


def _signature_level(agreement: Agreement, ctx: GuardContext) -> list[Problem]:
    if agreement.signature_level != "advanced" or ctx.facts.get(PADES_SIGNED):
        return []
    return [
        Problem(
            "signature_level",
            "this agreement requires an advanced electronic signature: download the PDF, "
            "sign it with your signing tool (PAdES) and upload it; a click cannot sign it",
            "signature_level",
        )
    ]


def sign_guard(agreement: Agreement, ctx: GuardContext) -> list[Problem]:
    return signs_for_party(agreement, ctx) or (
        _signature_level(agreement, ctx) + _not_ended(agreement, ctx)
    )


def decline_guard(agreement: Agreement, ctx: GuardContext) -> list[Problem]:
    return signs_for_party(agreement, ctx) + reason_required("a reason for declining")(
        agreement, ctx
    )
