"""The documented rendering context: every variable a template may use.

``VARIABLES`` declares names, types and meanings; :func:`context_spec` adds
an example to each from the sample context (built on first use, then kept),
so examples can never disagree with what ``build_context`` really produces.
``docs/TEMPLATES.md`` holds ``spec_markdown(context_spec())`` between two
markers; a test fails when they drift. Regenerate with
``python -m omd_gov.documents.context_spec``.
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from omd_gov.cooperations.canvas import CANVAS_SECTIONS
from omd_gov.documents.context_sample import sample_context


@dataclass(frozen=True)
class Var:
    name: str
    type: str  # str, int, bool, list[str], dict or list[dict]
    description: str
    fields: tuple[Var, ...] = ()
    example: Any = None
    same_as: str = ""  # documented once: "has the fields of <same_as>"


def _v(name: str, type_: str, description: str, *fields: Var) -> Var:
    return Var(name, type_, description, tuple(fields))


def _party_list(name: str, description: str) -> Var:
    return replace(_v(name, _PARTY_LIST, description, *PARTY_FIELDS), same_as="parties[]")


PARTY_FIELDS = (
    _v("name", "str", "Legal name of the organisation."),
    _v("kind", "str", "Organisation kind code: municipality, public_body, company, research, ngo."),
    _v("kind_label", "str", "Organisation kind, localised."),
    _v("country", "str", "ISO 3166-1 alpha-2 country code."),
    _v("tax_id", "str", "Tax identification number."),
    _v(
        "role",
        "str",
        "Role code: controller, joint_controller, processor, data_provider, data_recipient.",
    ),
    _v("role_label", "str", "Role, localised (e.g. 'Encargado del tratamiento')."),
    _v("signs", "bool", "Whether the party signs the agreement."),
    _v("signs_label", "str", "Yes/No, localised."),
    _v("contact_name", "str", "The party's contact person, else its organisation's first contact."),
    _v("contact_email", "str", "E-mail of that contact, or blank."),
    _v("contact_phone", "str", "Phone of that contact, or blank."),
    _v("has_dpo", "bool", "Whether the party names a data protection officer."),
    _v("dpo_name", "str", "Its data protection officer's name, or blank."),
    _v("dpo_email", "str", "Its data protection officer's e-mail, or blank."),
    _v("dpo_phone", "str", "Its data protection officer's phone, or blank."),
    _v("obligations", "str", "What the party is obliged to do, as typed, or blank."),
)
_PARTY_LIST = "list[dict]"

AGREEMENT = _v(
    "agreement",
    "dict",
    "The agreement itself.",
    _v("reference", "str", "Agreement reference."),
    _v("title", "str", "Title, exactly as typed."),
    _v("purpose", "str", "Purpose of the sharing, exactly as typed."),
    _v("version", "int", "Content version of the agreement (edits since its creation)."),
    _v("sharing_model", "str", "Sharing model code: B2G, G2B, G2G or B2B."),
    _v("sharing_model_label", "str", "Sharing model, localised."),
    _v("start_date", "str", "Start date, localised ('not yet set' when missing)."),
    _v("end_date", "str", "End date, localised ('not yet set' when missing)."),
    _v("start_date_iso", "str", "Start date as YYYY-MM-DD, or blank."),
    _v("end_date_iso", "str", "End date as YYYY-MM-DD, or blank."),
    _v("term", "str", "'from START to END', localised: the duration of the processing."),
    _v("review_interval_months", "int", "Months between reviews."),
    _v("review_interval", "str", "Review interval, localised (e.g. '12 meses')."),
    _v("renewal_terms", "str", "Renewal terms as typed, or blank."),
    _v("statutory_power", "str", "Statutory power of the public bodies, or blank."),
    _v("security_measures", "str", "Agreed security measures as typed, or blank."),
    _v("is_amendment", "bool", "Whether this agreement amends an earlier one."),
    _v("is_renewal", "bool", "Whether this agreement renews an earlier one."),
    _v("governing_law", "str", "Country whose law governs: the municipal party's, localised."),
    _v("signature_level", "str", "Signature level code: simple or advanced."),
    _v("signature_level_label", "str", "Signature level, localised (e.g. 'advanced (PAdES)')."),
    _v("economic_terms", "dict", "Money the agreement moves (amounts localised with currency).",
       _v("has_terms", "bool", "Whether it moves any; else the other fields are blank."),
       _v("currency", "str", "ISO 4217 currency code."),
       _v("amount_per_annuity", "str", "Amount per year, localised, or blank (one-off)."),
       _v("total_amount", "str", "Total amount, localised."),
       _v("budget_line", "str", "The budget line charged.")),
    _v("exclusivity", "dict", "An exclusive re-use arrangement (Data Governance Act art. 4).",
       _v("exclusive", "bool", "Whether the arrangement is exclusive."),
       _v("exclusive_label", "str", "Yes/No, localised."),
       _v("justification", "str", "Why it is exclusive, or blank."),
       _v("period_months", "int", "Its period in months (at most 12); 0 if not exclusive."),
       _v("period", "str", "Its period, localised (e.g. '12 meses'), or blank.")),
)  # fmt: skip
GDPR = _v(
    "gdpr",
    "dict",
    "The GDPR profile. Lists are empty and strings blank when not given.",
    _v("lawful_basis", "str", "Art. 6 lawful basis code (e.g. public_task), or blank."),
    _v("lawful_basis_label", "str", "Lawful basis, localised, lower case."),
    _v("lawful_basis_article", "str", "Art. 6(1) citation in the language's legal style."),
    _v("personal_data_categories", "list[str]", "Categories of personal data."),
    _v("data_subject_categories", "list[str]", "Categories of data subjects."),
    _v("special_categories", "list[str]", "Special categories of data (Art. 9)."),
    _v("has_special_categories", "bool", "Whether any special-category data is shared."),
    _v("art9_condition", "str", "The Art. 9(2) condition relied on, or blank."),
    _v("dpia", "str", "DPIA decision code: required, not_required or done; blank if undecided."),
    _v("dpia_label", "str", "DPIA decision as a clause, localised, lower case."),
    _v("dpia_reference", "str", "Reference of the completed DPIA, or blank."),
    _v("retention", "str", "Retention period as an ISO 8601 duration (e.g. P2Y)."),
    _v("retention_label", "str", "Retention period, localised (e.g. '2 anos e 6 meses')."),
    _v("transfers_outside_eea", "bool", "Whether data is transferred outside the EEA."),
    _v("transfers_label", "str", "Yes/No, localised."),
    _v("transfer_mechanism", "str", "Chapter V transfer mechanism, or blank."),
    _v("recipients", "list[str]", "Further recipients of the data."),
)
COOPERATION = _v(
    "cooperation",
    "dict",
    "The data cooperation and its canvas.",
    _v("title", "str", "Cooperation title."),
    _v("description", "str", "Cooperation description, or blank."),
    _v(
        "stage",
        "str",
        "Stage code: exploratory, preparatory, implementation, operational, scaling.",
    ),
    _v("stage_label", "str", "Current stage, localised."),
    _v(
        "stages",
        "list[dict]",
        "All stages in order.",
        _v("code", "str", "Stage code."),
        _v("label", "str", "Stage, localised."),
        _v("current", "bool", "Whether this is the cooperation's stage."),
    ),
    _v(
        "canvas",
        "dict",
        "Canvas text by section key (e.g. cooperation.canvas.shared_data_flow).",
        *(
            _v(key, "str", f"Canvas section '{label}', as typed.")
            for key, _, label in CANVAS_SECTIONS
        ),
    ),
    _v(
        "groups",
        "list[dict]",
        "Canvas sections grouped as the canvas shows them.",
        _v("key", "str", "Group key: data_technical, organisational, shared_process."),
        _v("title", "str", "Group title, localised."),
        _v(
            "sections",
            "list[dict]",
            "The group's sections in canvas order.",
            _v("key", "str", "Section key."),
            _v("title", "str", "Section title, localised."),
            _v("text", "str", "Section text as typed."),
        ),
    ),
    _v(
        "mims",
        "list[dict]",
        "OASC Minimal Interoperability Mechanisms used.",
        _v("code", "str", "MIM code, e.g. MIM1."),
        _v("title", "str", "MIM title, localised; blank for a code OASC does not define."),
    ),
)

VARIABLES: tuple[Var, ...] = (
    _v("language", "str", "Document language: en, es or pt."),
    _v("generated_at", "str", "Generation time, ISO 8601."),
    _v("generated_on", "str", "Generation date, localised."),
    AGREEMENT,
    _v("parties", _PARTY_LIST, "Every party, in agreement order.", *PARTY_FIELDS),
    _party_list("signing_parties", "Parties that sign (one signature block each)."),
    _party_list(
        "controllers",
        "Controllers and joint controllers; the data providers when no party is a controller.",
    ),
    _party_list(
        "joint_controllers",
        "Parties controlling jointly: every joint_controller, "
        "plus any controller when a joint controller is present.",
    ),
    _party_list("processors", "Parties acting as processors."),
    replace(
        _v(
            "contact_point",
            "dict",
            "The party data subjects contact: the municipality among "
            "the (joint) controllers, else the first of them (all blank if there is none).",
            *PARTY_FIELDS,
        ),
        same_as="parties[]",
    ),
    _v("shares_personal_data", "bool", "Whether any data asset holds personal data."),
    _v(
        "data_assets",
        "list[dict]",
        "The data assets, in agreement order.",
        _v("number", "int", "1-based position."),
        _v("name", "str", "Asset name."),
        _v("description", "str", "Description, or blank."),
        _v("standard", "str", "Standard or format (e.g. NGSI-LD, CSV)."),
        _v("delivery", "str", "Delivery code: batch or online."),
        _v("delivery_label", "str", "Delivery, localised."),
        _v("personal_data", "bool", "Whether the asset holds personal data."),
        _v("personal_data_label", "str", "Yes/No, localised."),
    ),
    GDPR,
    COOPERATION,
    _v(
        "annexes",
        "list[dict]",
        "The GDPR annexes that apply, in order.",
        _v("kind", "str", "annex_art28 or annex_art26."),
        _v("title", "str", "Annex title, localised."),
    ),
)


CONTEXT_VARIABLES: frozenset[str] = frozenset(var.name for var in VARIABLES)


@functools.cache
def context_spec() -> tuple[Var, ...]:
    """The documented context, each variable with its example from the English sample."""
    return with_examples(VARIABLES, sample_context("en"))


def with_examples(spec: tuple[Var, ...], sample: dict[str, Any]) -> tuple[Var, ...]:
    """Copy ``spec`` with each variable's example taken from ``sample``;
    nested fields take theirs from the first item of a list."""
    out = []
    for var in spec:
        value = sample[var.name]
        inner = value[0] if isinstance(value, list) and value else value
        fields = with_examples(var.fields, inner) if var.fields else ()
        out.append(replace(var, example=value, fields=fields))
    return tuple(out)


def _example(var: Var) -> str:
    if var.same_as:
        return f"same fields as `{var.same_as}`"
    if var.fields:
        return "see below"
    text = json.dumps(var.example, ensure_ascii=False)
    return f"`{text}`".replace("|", "\\|")


def _rows(spec: tuple[Var, ...], prefix: str = "") -> list[str]:
    rows = []
    for var in spec:
        path = f"{prefix}{var.name}"
        rows.append(f"| `{path}` | {var.type} | {var.description} | {_example(var)} |")
        if var.fields and not var.same_as:
            rows += _rows(var.fields, path + ("[].", ".")[var.type == "dict"])
    return rows


BEGIN = "<!-- context:begin (generated by python -m omd_gov.documents.context_spec) -->"
END = "<!-- context:end -->"


def spec_markdown(spec: tuple[Var, ...]) -> str:
    """The context reference table for ``docs/TEMPLATES.md``."""
    head = ["| variable | type | meaning | example |", "|---|---|---|---|"]
    return "\n".join([BEGIN, *head, *_rows(spec), END])


def write_docs(path: Path) -> None:
    """Replace the generated section of ``path`` with the current spec."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    path.write_text(text[:start] + spec_markdown(context_spec()) + text[end:], encoding="utf-8")


if __name__ == "__main__":
    write_docs(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/TEMPLATES.md"))
