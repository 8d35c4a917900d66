"""The domain's coded values (states, triggers, roles, deadline kinds,
stages, party roles…) in the page's language: ``{{ value|term('state') }}``.

Values the documents and the notifications already name in en/es/pt are read
from their tables (one vocabulary for the documents and the pages); the rest
are message ids in the web catalogues. An unknown value shows as itself."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from omd_gov.documents import context_labels as labels
from omd_gov.notifications.messages import KIND_LABELS

STATES = {
    "draft": _l("draft"),
    "legal_review": _l("legal review"),
    "changes_requested": _l("changes requested"),
    "approved": _l("approved"),
    "signing": _l("signing"),
    "active": _l("active"),
    "expired": _l("expired"),
    "terminated": _l("terminated"),
    "superseded": _l("superseded"),
    "withdrawn": _l("withdrawn"),
}
TRIGGERS = {
    "submit": _l("submit"),
    "request_changes": _l("request changes"),
    "approve": _l("approve"),
    "send_for_signature": _l("send for signature"),
    "sign": _l("sign"),
    "decline": _l("decline"),
    "expire": _l("expire"),
    "terminate": _l("terminate"),
    "supersede": _l("supersede"),
    "withdraw": _l("withdraw"),
}
ROLES = {
    "admin": _l("admin"),
    "data_officer": _l("data officer"),
    "legal_officer": _l("legal officer"),
    "transparency_officer": _l("transparency officer"),
    "auditor": _l("auditor"),
    "signatory": _l("signatory"),
    "system": _l("system"),
}
# Audit event actions beyond the triggers (which are actions too).
ACTIONS = {
    **TRIGGERS,
    "create": _l("create"),
    "edit": _l("edit"),
    "generate_document": _l("generate document"),
    "request_documents": _l("request documents"),
    "freeze_document": _l("freeze document"),
    "deadlines": _l("deadlines"),
    "claim_deadline": _l("claim deadline"),
    "change_deadline": _l("change deadline"),
    "complete_deadline": _l("complete deadline"),
    "accept_signer_identity": _l("accept signer identity"),
    "derive_amendment": _l("derive amendment"),
    "derive_renewal": _l("derive renewal"),
    "publish": _l("publish in the register"),
    "update_publication": _l("change the register entry"),
    "unpublish": _l("withdraw from the register"),
}
REGISTER_STATUSES = {
    "in_force": _l("in force"),
    "expired": _l("expired"),
    "terminated": _l("terminated"),
    "superseded": _l("superseded"),
    "withdrawn": _l("withdrawn from the register"),
}
LAWFUL_BASES = {
    "consent": _l("consent"),
    "contract": _l("contract"),
    "legal_obligation": _l("legal obligation"),
    "vital_interests": _l("vital interests"),
    "public_task": _l("public task"),
    "legitimate_interests": _l("legitimate interests"),
}
DPIA_DECISIONS = {
    "required": _l("required"),
    "not_required": _l("not required"),
    "done": _l("done"),
}
GETTEXT_VOCABULARIES: Mapping[str, Mapping[str, object]] = {
    "state": STATES,
    "trigger": TRIGGERS,
    "action": ACTIONS,
    "role": ROLES,
    "lawful_basis": LAWFUL_BASES,
    "dpia": DPIA_DECISIONS,
    "register_status": REGISTER_STATUSES,
}
# Shared with the documents: code -> (en, es, pt).
LABEL_VOCABULARIES: Mapping[str, labels.Labels] = {
    "party_role": labels.PARTY_ROLES,
    "stage": labels.STAGES,
    "canvas_section": labels.CANVAS_SECTIONS,
    "canvas_group": labels.CANVAS_GROUPS,
    "delivery": labels.DELIVERIES,
    "sharing_model": labels.SHARING_MODELS,
    "signature_level": labels.SIGNATURE_LEVELS,
    "organization_kind": labels.ORGANIZATION_KINDS,
}


def language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "en"


def term(value: object, vocabulary: str) -> str:
    """``value`` of ``vocabulary`` in the page's language."""
    code = "" if value is None else str(value)
    if vocabulary == "deadline":
        return KIND_LABELS.get(language(), KIND_LABELS["en"]).get(code, code.replace("_", " "))
    if vocabulary in LABEL_VOCABULARIES:
        row = LABEL_VOCABULARIES[vocabulary].get(code)
        if row is None:
            return code.replace("_", " ")
        here = language()
        return row[labels.LANGUAGES.index(here)] if here in labels.LANGUAGES else row[0]
    found = GETTEXT_VOCABULARIES[vocabulary].get(code)
    return str(found) if found is not None else code.replace("_", " ")
