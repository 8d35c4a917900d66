"""The office's redaction policy: which register fields the public sees.

Every field of a register entry is listed here with its default. A
transparency officer may depart from a default per entry (an *override*),
always with a written justification, except for the fields that identify
the entry (never hidden) and the personal data below (never shown: no
override can reach them, and ``entries.public_entry`` does not even read
them). docs/REGISTER.md explains each field.
"""

from __future__ import annotations

from typing import Any

from omd_gov.errors import Unprocessable

# Always public: what makes an entry an entry (Ley 19/2013 art. 8.1.b asks for
# the parties, the object and the term of every agreement signed).
IDENTITY = ("reference", "uri", "status", "published_at", "updated_at")

# field -> public by default?
DEFAULTS: dict[str, bool] = {
    "title": True,
    "object": True,
    "sharing_model": True,
    "gdpr_roles": True,
    "signing_body": True,
    "parties": True,
    "party_tax_ids": True,
    "signatories": True,  # name and office only, never anything else about them
    "signature_date": True,
    "start_date": True,
    "end_date": True,
    "modifications": True,
    # Ley 19/2013 art. 8.1.b: who is obliged to do what, and any economic
    # obligations; Data Governance Act art. 4: an exclusive re-use is public.
    "obligations": True,
    "economic_terms": True,
    "exclusivity": True,
    "data_assets": True,
    "personal_data": True,
    "purposes": True,
    "statutory_power": True,
    "retention": True,
    "signed_document_sha256": True,
    "security_measures": False,  # internal: describes the defences
    "renewal_terms": False,  # internal working text
}

# Personal data, never public whatever an override says (GDPR art. 5(1)(c)).
NEVER_PUBLIC = (
    "contact_persons",  # organisations' and parties' contacts: names, e-mails, phones
    "dpo_contacts",  # the parties' data protection officers
    "signatory_emails",
    "signatory_identities",  # national ids, certificate subjects
    "comments",  # the trail's free text (legal's remarks, reasons)
)


def check_overrides(overrides: dict[str, dict[str, Any]]) -> None:
    """Refuse, all at once, every override the policy does not allow."""
    problems = []
    for field, choice in overrides.items():
        where = f"overrides.{field}"
        if field in NEVER_PUBLIC:
            message = "personal data is never published, whatever the override"
            problems.append({"field": where, "message": message})
        elif field in IDENTITY:
            problems.append({"field": where, "message": "identifies the entry: always public"})
        elif field not in DEFAULTS:
            problems.append({"field": where, "message": "not a register field"})
        elif not str(choice.get("justification", "")).strip():
            problems.append(
                {"field": f"{where}.justification", "message": "a justification is required"}
            )
    if problems:
        raise Unprocessable("the overrides break the redaction policy", problems)


def public_fields(overrides: dict[str, dict[str, Any]]) -> set[str]:
    """The fields this entry shows: the defaults, then its overrides."""
    shown = {field for field, public in DEFAULTS.items() if public}
    for field, choice in overrides.items():
        if field in DEFAULTS:
            (shown.add if choice.get("public") else shown.discard)(field)
    return shown | set(IDENTITY)
