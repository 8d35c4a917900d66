"""The agreement content form, both ways: an agreement as the form's flat
fields (``parties-0-role``, ``gdpr-retention``, …) and the posted form as the
input ``AgreementIn``/``AgreementPatch`` take. The new-draft page and the
workspace's edit form share it, so a field means the same on both.

A field or section (parties, data assets, GDPR profile) missing from a
posted form is left out of the input, never read as "empty": a partial form
cannot wipe what it did not show.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict

from omd_gov.agreements.models import (
    DELIVERIES,
    PARTY_ROLES,
    SHARING_MODELS,
    SIGNATURE_LEVELS,
    Agreement,
)
from omd_gov.agreements.schemas import DPIA_DECISIONS, LAWFUL_BASES
from omd_gov.auth.models import User
from omd_gov.db import db
from omd_gov.organizations.queries import list_visible as visible_organizations
from omd_gov.web.cooperation_forms import Errors

# Blank rows the forms offer below the filled ones (a new draft gets at least
# PARTY_ROWS/ASSET_ROWS in all); blank rows are left out of the input.
PARTY_ROWS = 4
ASSET_ROWS = 3
MAX_ROWS = 50  # rows read from one post, whatever it claims
SCALARS = ("title", "purpose", "sharing_model", "security_measures", "statutory_power",
           "renewal_terms", "review_interval_months", "signature_level")  # fmt: skip
DATES = ("start_date", "end_date")
GDPR_LISTS = ("personal_data_categories", "data_subject_categories", "special_categories",
              "recipients")  # fmt: skip
GDPR_TEXTS = ("lawful_basis", "art9_condition", "dpia", "dpia_reference", "retention",
              "transfer_mechanism")  # fmt: skip
_ROW = re.compile(r"^(parties|assets)-(\d+)-")
CONTACT_FIELDS = ("name", "email", "phone")
ECONOMIC_FIELDS = ("currency", "amount_per_annuity", "total_amount", "budget_line")

Form = MultiDict[str, str]


def _text(form: Form, name: str) -> str:
    return form.get(name, "").strip()


def _ticked(form: Form, name: str) -> bool:
    return name in form


def rows_in(form: Form | dict[str, Any], section: str) -> list[int]:
    """The row numbers a form holds for ``section`` ("parties" or "assets")."""
    found = {int(m.group(2)) for key in form if (m := _ROW.match(key)) and m.group(1) == section}
    return sorted(n for n in found if n < MAX_ROWS)


def row_range(form: dict[str, Any], section: str, blank: int) -> range:
    """Rows to show: every filled one, then blanks up to at least ``blank`` in all."""
    rows = rows_in(form, section)
    return range(max(blank, (rows[-1] + 2) if rows else 0))


def _parties(form: Form) -> tuple[list[dict[str, Any]], list[int]]:
    """The filled party rows, and the form row each came from."""
    parties, rows = [], []
    for row in rows_in(form, "parties"):
        organization = _text(form, f"parties-{row}-organization_id")
        if organization:
            role, signs = _text(form, f"parties-{row}-role"), _ticked(form, f"parties-{row}-signs")
            party = {"organization_id": organization, "role": role, "signs": signs}
            parties.append(party | _party_terms(form, f"parties-{row}-"))
            rows.append(row)
    return parties, rows


def _party_terms(form: Form, prefix: str) -> dict[str, Any]:
    """Obligations, contact and DPO, each only when the form shows it (an
    omitted one keeps what the party had); a contact left blank is none."""
    terms: dict[str, Any] = {}
    if f"{prefix}obligations" in form:
        terms["obligations"] = _text(form, f"{prefix}obligations")
    for part in ("contact", "dpo"):
        if _shows(form, f"{prefix}{part}-"):
            person: dict[str, str | None] = {
                name: _text(form, f"{prefix}{part}-{name}") for name in CONTACT_FIELDS
            }
            if part == "dpo":
                person["phone"] = person["phone"] or None  # a DPO's phone is optional
            terms[part] = person if any(person.values()) else None
    return terms


def _economic_terms(form: Form) -> dict[str, Any] | None:
    """None when every field is blank: the agreement moves no money."""
    terms: dict[str, Any] = {name: _text(form, f"economic-{name}") for name in ECONOMIC_FIELDS}
    if not any(terms.values()):
        return None
    terms["amount_per_annuity"] = terms["amount_per_annuity"] or None  # a one-off payment
    return terms


def _exclusivity(form: Form) -> dict[str, Any]:
    """An unticked box drops the justification and period typed beside it."""
    if not _ticked(form, "exclusivity-exclusive"):
        return {"exclusive": False}
    return {"exclusive": True,
            "justification": _text(form, "exclusivity-justification") or None,
            "period_months": _text(form, "exclusivity-period_months") or None}  # fmt: skip


def _assets(form: Form) -> tuple[list[dict[str, Any]], list[int]]:
    assets, rows = [], []
    for row in rows_in(form, "assets"):
        field = {name: _text(form, f"assets-{row}-{name}") for name in
                 ("name", "description", "standard", "delivery")}  # fmt: skip
        if field["name"] or field["standard"]:
            assets.append({**field, "personal_data": _ticked(form, f"assets-{row}-personal_data")})
            rows.append(row)
    return assets, rows


def _gdpr(form: Form) -> dict[str, Any]:
    profile: dict[str, Any] = {name: _text(form, f"gdpr-{name}") or None for name in GDPR_TEXTS}
    for name in GDPR_LISTS:  # one entry per line
        profile[name] = [line.strip() for line in form.get(f"gdpr-{name}", "").splitlines()
                         if line.strip()]  # fmt: skip
    profile["transfers_outside_eea"] = _ticked(form, "gdpr-transfers_outside_eea")
    return profile


def _shows(form: Form, prefix: str) -> bool:
    return any(key.startswith(prefix) for key in form)


def content_input(form: Form) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The content as the API's schemas take it, and for each list the form
    row of each entry (so that "parties.1.role" lands on the right row)."""
    data: dict[str, Any] = {name: _text(form, name) for name in SCALARS if name in form}
    data |= {name: _text(form, name) or None for name in DATES if name in form}
    rows: dict[str, list[int]] = {}
    if _shows(form, "parties-"):
        data["parties"], rows["parties"] = _parties(form)
    if _shows(form, "assets-"):
        data["data_assets"], rows["data_assets"] = _assets(form)
    if _shows(form, "gdpr-"):
        data["gdpr"] = _gdpr(form)
    if _shows(form, "economic-"):
        data["economic_terms"] = _economic_terms(form)
    if _shows(form, "exclusivity-"):
        data["exclusivity"] = _exclusivity(form)
    return data, rows


def agreement_input(form: Form, cooperation_id: int) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """A new draft of ``cooperation_id``, as ``AgreementIn`` takes it."""
    data, rows = content_input(form)
    return {"cooperation_id": cooperation_id, **data}, rows


def content_form(agreement: Agreement) -> dict[str, str]:
    """The agreement's content as the form's fields (a ticked box is "on",
    an unticked one absent, as a browser posts them)."""
    form: dict[str, str] = {}
    for name in (*SCALARS, *DATES):
        value = getattr(agreement, name)
        form[name] = value.isoformat() if isinstance(value, date) else str(value or "")
    for row, party in enumerate(agreement.parties):
        form |= {f"parties-{row}-organization_id": str(party.organization_id),
                 f"parties-{row}-role": party.role}  # fmt: skip
        if party.signs:
            form[f"parties-{row}-signs"] = "on"
        form[f"parties-{row}-obligations"] = party.obligations or ""
        for part in ("contact", "dpo"):
            person = getattr(party, part) or {}
            form |= {f"parties-{row}-{part}-{name}": str(person.get(name) or "")
                     for name in CONTACT_FIELDS}  # fmt: skip
    for row, asset in enumerate(agreement.data_assets):
        for name in ("name", "description", "standard", "delivery"):
            form[f"assets-{row}-{name}"] = getattr(asset, name) or ""
        if asset.personal_data:
            form[f"assets-{row}-personal_data"] = "on"
    return form | _gdpr_form(agreement.gdpr or {}) | _register_form(agreement)


def _register_form(agreement: Agreement) -> dict[str, str]:
    money = agreement.economic_terms or {}
    form = {f"economic-{name}": str(money.get(name) or "") for name in ECONOMIC_FIELDS}
    exclusivity = agreement.exclusivity or {}
    form["exclusivity-justification"] = str(exclusivity.get("justification") or "")
    form["exclusivity-period_months"] = str(exclusivity.get("period_months") or "")
    if exclusivity.get("exclusive"):
        form["exclusivity-exclusive"] = "on"
    return form


def _gdpr_form(profile: dict[str, Any]) -> dict[str, str]:
    form = {f"gdpr-{name}": str(profile.get(name) or "") for name in GDPR_TEXTS}
    form |= {f"gdpr-{name}": "\n".join(profile.get(name) or []) for name in GDPR_LISTS}
    if profile.get("transfers_outside_eea"):
        form["gdpr-transfers_outside_eea"] = "on"
    return form


def form_choices(user: User) -> dict[str, Any]:
    """What the agreement form's lists offer (``agreement_fields.html``)."""
    return {
        "organizations": visible_organizations(db.session, user),
        "party_roles": PARTY_ROLES,
        "sharing_models": SHARING_MODELS,
        "signature_levels": SIGNATURE_LEVELS,
        "deliveries": DELIVERIES,
        "lawful_bases": LAWFUL_BASES,
        "dpia_decisions": DPIA_DECISIONS,
    }


def on_form_rows(errors: Errors, rows: dict[str, list[int]]) -> Errors:
    """Renumber "parties.<entry>…" paths to the form row the entry came from."""
    out: Errors = {}
    for path, messages in errors.items():
        head, _, rest = path.partition(".")
        index, _, tail = rest.partition(".")
        if head in rows and index.isdigit() and int(index) < len(rows[head]):
            path = ".".join(part for part in (head, str(rows[head][int(index)]), tail) if part)
        out.setdefault(path, []).extend(messages)
    return out
