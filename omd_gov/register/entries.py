"""What the public sees of a register entry: built from the agreement each
time it is read, then cut down to the fields the redaction policy and the
entry's overrides make public. The builder reads only what may ever be
public: no contact, e-mail, identity or comment is read here at all (a
party's ``contact`` and ``dpo`` included), so no override can let one out.

Every entry has every field name (a hidden field is null and listed in
``redacted``), so the JSON and the CSV share one set of columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from omd_gov.agreements.models import Agreement, Party
from omd_gov.register.models import RegisterEntry
from omd_gov.register.policy import DEFAULTS, IDENTITY, public_fields

# The entry's status follows its agreement's state.
STATUSES = {"active": "in_force", "expired": "expired", "terminated": "terminated",
            "superseded": "superseded"}  # fmt: skip
FIELDS = (*IDENTITY, *DEFAULTS, "redacted", "withdrawn_at", "withdrawal_reason")


def public_entry(
    entry: RegisterEntry,
    successors: Sequence[Agreement],
    signers: Mapping[int, str],
    base_url: str,
) -> dict[str, Any]:
    """The entry as published. ``successors``: the agreement's amendments and
    renewals (any state: only those that came into force are listed);
    ``signers``: user id -> name, for the live signatures."""
    agreement = entry.agreement
    identity = {
        "reference": entry.reference,
        "uri": f"{base_url.rstrip('/')}/register/{entry.reference}",
        "status": STATUSES.get(agreement.state, agreement.state) if entry.is_live else "withdrawn",
        "published_at": entry.published_at,
        "updated_at": max(entry.updated_at, agreement.updated_at),
        "withdrawn_at": entry.withdrawn_at,
        "withdrawal_reason": entry.withdrawal_reason or None,
    }
    if not entry.is_live:  # a tombstone: the reference stays, nothing else
        return {name: identity.get(name) for name in FIELDS} | {"redacted": sorted(DEFAULTS)}
    content = _content(agreement, successors, signers, base_url)
    shown = public_fields(entry.overrides or {})
    hidden = sorted(field for field in DEFAULTS if field not in shown)
    visible = {field: (None if field in hidden else content[field]) for field in DEFAULTS}
    return {name: identity.get(name) for name in FIELDS} | visible | {"redacted": hidden}


def _content(
    agreement: Agreement, successors: Sequence[Agreement], signers: Mapping[int, str], base: str
) -> dict[str, Any]:
    municipal = [p for p in agreement.parties if p.organization.kind == "municipality"]
    others = [p for p in agreement.parties if p not in municipal]
    personal = agreement.shares_personal_data
    return {
        "title": agreement.title,
        "object": agreement.purpose,
        "sharing_model": agreement.sharing_model,
        "gdpr_roles": [{"party": p.organization.name, "role": p.role} for p in agreement.parties],
        "signing_body": municipal[0].organization.name if municipal else None,
        "parties": [p.organization.name for p in others],
        "party_tax_ids": {p.organization.name: p.organization.tax_id for p in others},
        "signatories": _signatories(agreement, signers),
        "signature_date": _signature_date(agreement),
        "start_date": agreement.start_date,
        "end_date": agreement.end_date,
        "modifications": _modifications(successors, base),
        "obligations": [
            {"party": p.organization.name, "obligations": p.obligations}
            for p in agreement.parties
            if p.obligations
        ],
        "economic_terms": _economic_terms(agreement),
        "exclusivity": agreement.exclusivity_terms,
        "data_assets": [
            {
                "name": a.name,
                "standard": a.standard,
                "delivery": a.delivery,
                "personal_data": a.personal_data,
            }  # fmt: skip
            for a in agreement.data_assets
        ],
        "personal_data": personal,
        "purposes": [agreement.purpose] if personal else [],
        "statutory_power": agreement.statutory_power or None,
        "retention": (agreement.gdpr or {}).get("retention"),
        "signed_document_sha256": _signed_sha256(agreement),
        "security_measures": agreement.security_measures or None,
        "renewal_terms": agreement.renewal_terms or None,
    }


def _economic_terms(agreement: Agreement) -> dict[str, Any] | None:
    """None: the agreement moves no money (``redacted`` tells a hidden one apart)."""
    terms = agreement.economic_terms
    if not terms:
        return None
    keys = ("currency", "amount_per_annuity", "total_amount", "budget_line")
    return {key: terms.get(key) for key in keys}


def _signatories(agreement: Agreement, signers: Mapping[int, str]) -> list[dict[str, str]]:
    """Name and office (the organisation signed for): nothing else about them."""
    parties: dict[int | None, Party] = {p.id: p for p in agreement.parties}
    out = []
    for signature in agreement.live_signatures:
        party = parties.get(signature.party_id)
        office = party.organization.name if party is not None else ""
        out.append({"name": signers.get(signature.user_id, ""), "office": office})
    return out


def _signature_date(agreement: Agreement) -> Any:
    signed = [s.signed_at for s in agreement.live_signatures]
    return max(signed).date() if signed else None


def _signed_sha256(agreement: Agreement) -> str | None:
    """The frozen document every party signed (for advanced signatures the
    frozen PDF, before the signatures were added to it)."""
    if agreement.signature_level == "advanced":
        return agreement.frozen_pdf_sha256
    return agreement.frozen_sha256


def _modifications(successors: Sequence[Agreement], base: str) -> list[dict[str, Any]]:
    """Amendments in force as modifications, renewals as extensions of the term."""
    out = []
    for later in sorted(successors, key=lambda a: (a.activated_at is None, a.activated_at, a.id)):
        if later.activated_at is None:
            continue
        kind = "amendment" if later.amends_id is not None else "extension"
        out.append({
            "type": kind,
            "date": later.activated_at.date(),
            "reference": later.reference,
            "summary": later.title,
            "end_date": later.end_date if kind == "extension" else None,
            "uri": f"{base.rstrip('/')}/register/{later.reference}",
        })  # fmt: skip
    return out


def search_text(shown: Mapping[str, Any]) -> str:
    """What the register's search matches: public fields only (a word of a
    hidden title must not find its entry), lower-cased."""
    words = [shown.get("reference"), shown.get("title"), shown.get("object"),
             shown.get("signing_body"), *(shown.get("parties") or []),
             *(asset["name"] for asset in shown.get("data_assets") or [])]  # fmt: skip
    return " ".join(str(word) for word in words if word).lower()
