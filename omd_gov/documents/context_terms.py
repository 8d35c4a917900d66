"""The register's parts of the rendering context (issue 8): economic terms,
exclusivity, and each party's obligations, contact person and data
protection officer. Pure, like ``context``: plain values, never escaped."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_currency

from omd_gov.agreements.models import Agreement, Party
from omd_gov.documents import context_format as F

LOCALES = ("en_GB", "es_ES", "pt_PT")  # by F.index(language)


def _money(amount: str | None, currency: str, language: str) -> str:
    """``"1200.50"`` and EUR -> "€1,200.50" / "1.200,50 €"; blank when absent."""
    if amount in (None, ""):
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)  # shown as stored rather than guessed at
    return str(format_currency(value, currency, locale=LOCALES[F.index(language)]))


def economic_terms(agreement: Agreement, language: str) -> dict[str, Any]:
    terms = agreement.economic_terms or {}
    currency = str(terms.get("currency") or "")
    return {
        "has_terms": bool(terms),
        "currency": currency,
        "amount_per_annuity": _money(terms.get("amount_per_annuity"), currency, language),
        "total_amount": _money(terms.get("total_amount"), currency, language),
        "budget_line": str(terms.get("budget_line") or ""),
    }


def exclusivity(agreement: Agreement, language: str) -> dict[str, Any]:
    terms = agreement.exclusivity or {}
    exclusive = bool(terms.get("exclusive"))
    months = int(terms.get("period_months") or 0) if exclusive else 0
    return {
        "exclusive": exclusive,
        "exclusive_label": F.yes_no(exclusive, language),
        "justification": str(terms.get("justification") or "") if exclusive else "",
        "period_months": months,
        "period": F.quantity(months, "Mo", language) if months else "",
    }


def party_terms(party: Party) -> dict[str, Any]:
    """The party's contact person (else its organisation's first contact),
    its DPO where one is designated, and its obligations."""
    org = party.organization
    fallback = next(iter(org.contacts or []), {}) if org is not None else {}
    contact = getattr(party, "contact", None) or fallback
    dpo = getattr(party, "dpo", None) or {}
    return {
        "contact_name": str(contact.get("name") or ""),
        "contact_email": str(contact.get("email") or ""),
        "contact_phone": str(contact.get("phone") or ""),
        "has_dpo": bool(dpo),
        "dpo_name": str(dpo.get("name") or ""),
        "dpo_email": str(dpo.get("email") or ""),
        "dpo_phone": str(dpo.get("phone") or ""),
        "obligations": str(getattr(party, "obligations", "") or ""),
    }
