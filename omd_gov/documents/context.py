"""The rendering context: the one place that turns an agreement into template data.

``build_context`` is pure: it reads a loaded agreement (parties with their
organisations, data assets, GDPR profile, cooperation) and returns plain
strings, booleans, ints, lists and dicts. It queries nothing and needs no
Flask app, so it runs the same in the API, the worker and unit tests.
Values are NOT escaped here: the sandboxed renderer autoescapes them, so
``&``, ``<`` and quotes come out exactly as typed.

Every key it returns is documented in ``context_spec.py``, which
``docs/TEMPLATES.md`` and the upload validation are checked against; the
sample context an upload is test-rendered with is in ``context_sample.py``.
Importing this module builds nothing.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from omd_gov.agreements.models import Agreement, DataAsset, Party
from omd_gov.cooperations.canvas import CANVAS_SECTIONS, STAGES
from omd_gov.db import utcnow
from omd_gov.documents import context_format as F
from omd_gov.documents import context_labels as L
from omd_gov.documents import context_terms as T

ANNEX_ART28 = "annex_art28"
ANNEX_ART26 = "annex_art26"
ANNEX_TITLES: dict[str, tuple[str, str, str]] = {
    ANNEX_ART28: (
        "Processing of personal data by a processor (Art. 28 GDPR)",
        "Tratamiento de datos personales por un encargado (art. 28 RGPD)",
        "Tratamento de dados pessoais por um subcontratante (artigo 28.º do RGPD)",
    ),
    ANNEX_ART26: (
        "Joint-controller arrangement (Art. 26 GDPR)",
        "Acuerdo de corresponsabilidad del tratamiento (art. 26 RGPD)",
        "Acordo entre responsáveis conjuntos pelo tratamento (artigo 26.º do RGPD)",
    ),
}


def applicable_annex_kinds(agreement: Agreement) -> list[str]:
    """The GDPR annexes the parties' roles call for, in document order.

    A processor brings the Art. 28 annex and a joint controller the Art. 26
    arrangement; an agreement that shares no personal data needs neither.
    """
    if not agreement.shares_personal_data:
        return []
    roles = {party.role for party in agreement.parties}
    kinds = []
    if "processor" in roles:
        kinds.append(ANNEX_ART28)
    if "joint_controller" in roles:
        kinds.append(ANNEX_ART26)
    return kinds


def build_context(
    agreement: Agreement, language: str, *, generated_at: datetime | None = None
) -> dict[str, Any]:
    """Everything a template may use, localised to ``language`` (en, es or pt)."""
    F.index(language)  # refuse an unsupported language before doing any work
    moment = generated_at or utcnow()
    parties = [_party(party, language) for party in agreement.parties]
    by_role = {role: [p for p in parties if p["role"] == role] for role in L.PARTY_ROLES}
    joint = by_role["joint_controller"]
    if joint:  # a plain controller alongside a joint controller controls jointly
        joint = by_role["controller"] + joint
    controllers = by_role["controller"] + by_role["joint_controller"] or by_role["data_provider"]
    return {
        "language": language,
        "generated_at": moment.isoformat(),
        "generated_on": F.format_date(moment.date(), language),
        "agreement": _agreement(agreement, language),
        "parties": parties,
        "signing_parties": [p for p in parties if p["signs"]],
        "controllers": controllers,
        "joint_controllers": joint,
        "processors": by_role["processor"],
        "contact_point": _contact_point(joint or controllers or parties, language),
        "shares_personal_data": agreement.shares_personal_data,
        "data_assets": [
            _asset(i, asset, language) for i, asset in enumerate(agreement.data_assets)
        ],
        "gdpr": _gdpr(agreement.gdpr or {}, language),
        "cooperation": _cooperation(agreement, language),
        "annexes": [
            {"kind": kind, "title": ANNEX_TITLES[kind][F.index(language)]}
            for kind in applicable_annex_kinds(agreement)
        ],
    }


def _agreement(agreement: Agreement, language: str) -> dict[str, Any]:
    start, end = agreement.start_date, agreement.end_date
    months = agreement.review_interval_months
    return {
        "reference": agreement.reference or "",
        "title": agreement.title or "",
        "purpose": agreement.purpose or "",
        "version": agreement.content_version or 1,
        "sharing_model": agreement.sharing_model or "",
        "sharing_model_label": F.label(L.SHARING_MODELS, agreement.sharing_model, language),
        "start_date": F.format_date(start, language),
        "end_date": F.format_date(end, language),
        "start_date_iso": start.isoformat() if start else "",
        "end_date_iso": end.isoformat() if end else "",
        "term": F.format_term(start, end, language),
        "review_interval_months": months or 0,
        "review_interval": F.quantity(months, "Mo", language) if months else "",
        "renewal_terms": agreement.renewal_terms or "",
        "statutory_power": agreement.statutory_power or "",
        "security_measures": agreement.security_measures or "",
        "is_amendment": agreement.amends_id is not None,
        "is_renewal": agreement.renews_id is not None,
        "governing_law": _governing_law(agreement.parties, language),
        "signature_level": agreement.signature_level or "simple",
        "signature_level_label": F.label(
            L.SIGNATURE_LEVELS, agreement.signature_level or "simple", language
        ),
        "economic_terms": T.economic_terms(agreement, language),
        "exclusivity": T.exclusivity(agreement, language),
    }


def _party(party: Party, language: str) -> dict[str, Any]:
    org = party.organization
    return {
        "name": org.name if org is not None else "",
        "kind": org.kind if org is not None else "",
        "kind_label": F.label(L.ORGANIZATION_KINDS, org.kind if org else "", language),
        "country": org.country if org is not None else "",
        "tax_id": org.tax_id if org is not None else "",
        "role": party.role,
        "role_label": F.label(L.PARTY_ROLES, party.role, language),
        "signs": bool(party.signs),
        "signs_label": F.yes_no(bool(party.signs), language),
        **T.party_terms(party),
    }


def _contact_point(candidates: list[dict[str, Any]], language: str) -> dict[str, Any]:
    """The party data subjects should turn to: a municipality if one is among
    the candidates (the office runs the register), else the first of them."""
    for party in candidates:
        if party["kind"] == "municipality":
            return party
    if candidates:
        return candidates[0]
    blank = {key: "" for key in _party(_NO_PARTY, language)}
    return blank | {"signs": False, "signs_label": F.yes_no(False, language), "has_dpo": False}


def _governing_law(parties: list[Party], language: str) -> str:
    """The country of the municipal party (the public body whose law applies),
    else of the first party."""
    orgs = [party.organization for party in parties if party.organization is not None]
    municipal = [org for org in orgs if org.kind == "municipality"]
    chosen = municipal or orgs
    return F.label(L.COUNTRIES, chosen[0].country if chosen else "", language)


def _asset(position: int, asset: DataAsset, language: str) -> dict[str, Any]:
    return {
        "number": position + 1,
        "name": asset.name or "",
        "description": asset.description or "",
        "standard": asset.standard or "",
        "delivery": asset.delivery or "",
        "delivery_label": F.label(L.DELIVERIES, asset.delivery, language),
        "personal_data": bool(asset.personal_data),
        "personal_data_label": F.yes_no(bool(asset.personal_data), language),
    }


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value or [] if str(item).strip()]


def _gdpr(gdpr: dict[str, Any], language: str) -> dict[str, Any]:
    basis, dpia = gdpr.get("lawful_basis") or "", gdpr.get("dpia") or ""
    special = _strings(gdpr.get("special_categories"))
    transfers = bool(gdpr.get("transfers_outside_eea"))
    return {
        "lawful_basis": basis,
        "lawful_basis_label": F.label(L.LAWFUL_BASES, basis, language),
        "lawful_basis_article": F.art6_citation(basis, language),
        "personal_data_categories": _strings(gdpr.get("personal_data_categories")),
        "data_subject_categories": _strings(gdpr.get("data_subject_categories")),
        "special_categories": special,
        "has_special_categories": bool(special),
        "art9_condition": gdpr.get("art9_condition") or "",
        "dpia": dpia,
        "dpia_label": F.label(L.DPIA_DECISIONS, dpia, language),
        "dpia_reference": gdpr.get("dpia_reference") or "",
        "retention": gdpr.get("retention") or "",
        "retention_label": F.format_duration(gdpr.get("retention"), language),
        "transfers_outside_eea": transfers,
        "transfers_label": F.yes_no(transfers, language),
        "transfer_mechanism": gdpr.get("transfer_mechanism") or "",
        "recipients": _strings(gdpr.get("recipients")),
    }


def _cooperation(agreement: Agreement, language: str) -> dict[str, Any]:
    cooperation = agreement.cooperation
    canvas = dict(cooperation.canvas or {}) if cooperation is not None else {}
    stage = cooperation.stage if cooperation is not None else ""
    texts = {key: str(canvas.get(key) or "") for key, _, _ in CANVAS_SECTIONS}
    groups: dict[str, list[dict[str, str]]] = {}
    for key, group, _ in CANVAS_SECTIONS:
        title = F.label(L.CANVAS_SECTIONS, key, language)
        groups.setdefault(group, []).append({"key": key, "title": title, "text": texts[key]})
    mims = [str(code).strip().upper() for code in (cooperation.mims or [])] if cooperation else []
    return {
        "title": cooperation.title if cooperation is not None else "",
        "description": (cooperation.description or "") if cooperation is not None else "",
        "stage": stage,
        "stage_label": F.label(L.STAGES, stage, language),
        "stages": [
            {"code": code, "label": F.label(L.STAGES, code, language), "current": code == stage}
            for code in STAGES
        ],
        "canvas": texts,
        "groups": [
            {"key": key, "title": F.label(L.CANVAS_GROUPS, key, language), "sections": sections}
            for key, sections in groups.items()
        ],
        "mims": [{"code": code, "title": _mim_title(code, language)} for code in mims if code],
    }


def _mim_title(code: str, language: str) -> str:
    """The OASC title of a MIM; blank for a code the canvas invented."""
    return F.label(L.MIMS, code, language) if code in L.MIMS else ""


# A party with no organisation: the shape of a blank contact point. A plain
# namespace, so importing this module never configures the ORM mappers.
_NO_PARTY = cast(Party, SimpleNamespace(organization=None, role="", signs=False))
