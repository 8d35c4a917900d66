"""Every built-in template, in every language, rendered for real agreements.

Agreements are created through the API and loaded from the database; the
templates are rendered by the service's sandboxed renderer
(``omd_gov.documents.rendering.render_docx``) and the result is read back
with python-docx, so the assertions are on the text a reader would see.
"""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment

from omd_gov.agreements.models import Agreement
from omd_gov.cooperations.canvas import SECTION_KEYS
from omd_gov.db import db
from omd_gov.documents import context_labels as L
from omd_gov.documents.context import applicable_annex_kinds, build_context
from omd_gov.documents.context_sample import sample_context
from omd_gov.documents.context_spec import CONTEXT_VARIABLES
from omd_gov.documents.rendering import Limits, render_docx
from tests.factories import Factory, agreement_payload
from tests.integration.conftest import World

TEMPLATES = Path(__file__).resolve().parents[2] / "agreement_templates"
MANIFEST = json.loads((TEMPLATES / "manifest.json").read_text(encoding="utf-8"))["templates"]
KINDS = ("dsa", "annex_art28", "annex_art26", "canvas")
LIMITS = Limits(timeout=60.0)

TITLE = 'Energy data & <sharing> "pilot"'  # the factories' default title
SPECIAL = """Águas & Energia <Norte> "AEN" 'Lda'"""
CANVAS_TEXT = "Text for {} & <b>bold</b> \"quoted\" 'single'"
ART28 = {
    "en": "Art. 28(3)({}) GDPR",
    "es": "art. 28.3.{}) RGPD",
    "pt": "artigo 28.º, n.º 3, alínea {}), do RGPD",
}
ESSENCE = {
    "en": "The essence of the arrangement",
    "es": "Aspectos esenciales del acuerdo",
    "pt": "Aspetos essenciais do acordo",
}
NO_PERSONAL_DATA = {
    "en": "No data asset contains personal data",
    "es": "Ningún activo de datos contiene datos personales",
    "pt": "Nenhum ativo de dados contém dados pessoais",
}
SIGN_FOR = {"en": "For {}", "es": "Por {}", "pt": "Por {}"}
# The DSA's clauses that cover the ICO data-sharing-agreement checklist.
CHECKLIST = {
    "en": [
        "1. Parties",
        "3. Purpose of the sharing",
        "4. The data flow and what happens to the data at each stage",
        "5. The data shared",
        "6. Lawful basis and statutory power",
        "7. Data protection impact assessment",
        "10. Security",
        "11. Retention and deletion",
        "12. Data subjects' rights and transparency",
        "13. Dates and frequency of sharing",
        "14. Review",
        "16. Variation and amendment",
        "17. Term and termination",
        "19. Disputes and governing law",
        "Signatures",
    ],
    "es": [
        "1. Partes",
        "3. Finalidad del intercambio",
        "4. Flujo de datos y tratamiento en cada etapa",
        "5. Datos compartidos",
        "6. Base jurídica y habilitación legal",
        "7. Evaluación de impacto relativa a la protección de datos",
        "10. Seguridad",
        "11. Conservación y supresión",
        "12. Derechos de los interesados y transparencia",
        "13. Fechas y periodicidad del intercambio",
        "14. Revisión",
        "16. Modificación",
        "17. Vigencia y resolución",
        "19. Controversias y legislación aplicable",
        "Firmas",
    ],
    "pt": [
        "1. Partes",
        "3. Finalidade da partilha",
        "4. Fluxo de dados e tratamento em cada fase",
        "5. Dados partilhados",
        "6. Fundamento de licitude e habilitação legal",
        "7. Avaliação de impacto sobre a proteção de dados",
        "10. Segurança",
        "11. Conservação e apagamento",
        "12. Direitos dos titulares dos dados e transparência",
        "13. Datas e periodicidade da partilha",
        "14. Revisão",
        "16. Alteração",
        "17. Vigência e cessação",
        "19. Litígios e lei aplicável",
        "Assinaturas",
    ],
}
# scenario -> (personal data?, [(organisation, role, signs)])
SCENARIOS: dict[str, tuple[bool, list[tuple[str, str, bool]]]] = {
    "processor": (
        True,
        [
            ("city", "controller", True),
            ("special", "processor", True),
            ("other", "data_recipient", False),
        ],
    ),
    "joint_controllers": (
        True,
        [
            ("city", "joint_controller", True),
            ("special", "joint_controller", True),
            ("other", "data_recipient", False),
        ],
    ),
    "no_personal_data": (
        False,
        [
            ("city", "controller", True),
            ("special", "data_provider", True),
            ("partner", "data_recipient", True),
        ],
    ),
}


def document_text(data: bytes) -> str:
    """All the text of a .docx, one paragraph a line: body, tables, headers, footers."""
    document = docx.Document(io.BytesIO(data))
    roots = [document.element.body]
    for section in document.sections:
        roots += [section.header._element, section.footer._element]
    lines = []
    for root in roots:
        for paragraph in root.iter(qn("w:p")):
            lines.append("".join(t.text or "" for t in paragraph.iter(qn("w:t"))))
    return "\n".join(lines)


def render(entry: dict[str, Any], context: dict[str, Any]) -> str:
    data = render_docx((TEMPLATES / entry["file"]).read_bytes(), context, LIMITS)
    text = document_text(data)
    for leftover in ("{{", "}}", "{%", "%}"):
        assert leftover not in text, f"{entry['name']}: template syntax left in the output"
    assert "&amp;" not in text and "&lt;" not in text, f"{entry['name']}: double escaping"
    return text


def create_agreement(world: World, factory: Factory, scenario: str) -> Agreement:
    personal, roles = SCENARIOS[scenario]
    orgs = {
        "city": world.city,
        "partner": world.partner,
        "other": world.other_partner,
        "special": factory.organization(SPECIAL),
    }
    canvas = {key: CANVAS_TEXT.format(key) for key in SECTION_KEYS}
    officer = world.api.as_(world.data_officer)
    response = officer.put(
        f"/api/v1/cooperations/{world.cooperation_id}/canvas",
        json={"sections": canvas, "mims": ["MIM1", "MIM4"]},
    )
    assert response.status_code == 200, response.json
    parties = [{"organization_id": orgs[o], "role": r, "signs": s} for o, r, s in roles]
    payload = agreement_payload(world.cooperation_id, parties, personal=personal)
    response = officer.post("/api/v1/agreements", json=payload)
    assert response.status_code == 201, response.json
    db.session.expire_all()
    agreement = db.session.get(Agreement, response.json["id"])
    assert agreement is not None
    return agreement


def names(parties: list[dict[str, Any]]) -> list[str]:
    return [party["name"] for party in parties]


def test_the_manifest_lists_every_kind_in_every_language() -> None:
    found = {(entry["kind"], entry["language"]) for entry in MANIFEST}
    assert found == {(kind, language) for kind in KINDS for language in L.LANGUAGES}
    assert len(MANIFEST) == len(found) == 12
    for entry in MANIFEST:
        assert entry["name"] == f"{entry['kind']}_{entry['language']}"
        assert isinstance(entry["version"], int) and entry["version"] >= 1
        assert entry["title"].strip()
        assert (TEMPLATES / entry["file"]).stat().st_size < 64 * 1024  # committed: keep small


def test_the_templates_are_built_from_their_sources() -> None:
    """The committed .docx and manifest are exactly what the sources produce."""
    spec = importlib.util.spec_from_file_location(
        "build_templates", TEMPLATES / "build_templates.py"
    )
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.differences() == []


@pytest.mark.parametrize("entry", MANIFEST, ids=[entry["name"] for entry in MANIFEST])
def test_templates_use_only_documented_variables(entry: dict[str, Any]) -> None:
    template = DocxTemplate(str(TEMPLATES / entry["file"]))
    used = template.get_undeclared_template_variables(jinja_env=SandboxedEnvironment())
    assert used <= CONTEXT_VARIABLES, f"undocumented: {sorted(used - CONTEXT_VARIABLES)}"
    assert sorted(used) == entry["variables"]


def test_every_template_renders_the_complete_sample() -> None:
    """The sample fills every list, so every nested field a template reads is
    resolved under StrictUndefined: a misspelt field would fail here."""
    for entry in MANIFEST:
        context = sample_context(entry["language"])
        text = render(entry, context)
        assert context["agreement"]["title"] in text
        for party in context["parties"]:
            if entry["kind"] in ("dsa", "canvas"):
                assert party["name"] in text


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_template_in_every_language(world: World, factory: Factory, scenario: str) -> None:
    agreement = create_agreement(world, factory, scenario)
    kinds = applicable_annex_kinds(agreement)
    assert kinds == {"processor": ["annex_art28"], "joint_controllers": ["annex_art26"]}.get(
        scenario, []
    )
    for entry in MANIFEST:
        language = entry["language"]
        context = build_context(agreement, language)
        text = render(entry, context)
        check = {
            "dsa": check_dsa,
            "annex_art28": check_art28,
            "annex_art26": check_art26,
            "canvas": check_canvas,
        }[entry["kind"]]
        check(text, context, scenario)


def check_dsa(text: str, context: dict[str, Any], scenario: str) -> None:
    language = context["language"]
    lines = text.splitlines()
    assert [heading for heading in CHECKLIST[language] if heading not in lines] == []
    assert TITLE in text
    assert SPECIAL in text
    for name in names(context["parties"]):
        assert name in text
    for party in context["signing_parties"]:  # one signature block per signing party
        assert SIGN_FOR[language].format(party["name"]) in lines
    for party in context["parties"]:
        if not party["signs"]:
            assert SIGN_FOR[language].format(party["name"]) not in lines
    for asset in context["data_assets"]:
        assert asset["name"] in text and asset["standard"] in text
        assert asset["delivery_label"] in text and asset["personal_data_label"] in text
    assert "MIM1" in text and "MIM4" in text
    assert context["agreement"]["start_date"] in text and context["agreement"]["end_date"] in text
    assert context["agreement"]["review_interval"] in text
    assert (NO_PERSONAL_DATA[language] in text) == (scenario == "no_personal_data")
    if scenario != "no_personal_data":
        gdpr = context["gdpr"]
        assert gdpr["lawful_basis_article"] in text and gdpr["retention_label"] in text
        assert "energy readings" in text and "residents" in text
    for annex in context["annexes"]:
        assert annex["title"] in text


def check_art28(text: str, context: dict[str, Any], scenario: str) -> None:
    language = context["language"]
    assert TITLE in text
    for point in "abcdefgh":  # every mandatory Art. 28(3) clause
        assert ART28[language].format(point) in text
    for name in names(context["controllers"]) + names(context["processors"]):
        assert name in text
    if scenario == "processor":
        assert names(context["processors"]) == [SPECIAL]
        # the details Art. 28(3) requires, filled from the agreement
        assert context["agreement"]["term"] in text  # duration
        assert context["agreement"]["purpose"] in text
        assert "energy readings" in text and "residents" in text
        assert context["gdpr"]["retention_label"] in text


def check_art26(text: str, context: dict[str, Any], scenario: str) -> None:
    assert TITLE in text
    assert ESSENCE[context["language"]] in text
    assert context["contact_point"]["name"] in text
    for name in names(context["joint_controllers"]):
        assert name in text
    if scenario == "joint_controllers":
        assert names(context["joint_controllers"]) == ["City", SPECIAL]
        assert "energy readings" in text and context["agreement"]["purpose"] in text


def check_canvas(text: str, context: dict[str, Any], _scenario: str) -> None:
    cooperation = context["cooperation"]
    assert TITLE in text
    assert cooperation["stage_label"] in text
    for group in cooperation["groups"]:
        assert group["title"] in text
        for section in group["sections"]:
            assert section["title"] in text
            assert CANVAS_TEXT.format(section["key"]) in text  # special characters as typed
    for name in names(context["parties"]):
        assert name in text
    assert SPECIAL in text
