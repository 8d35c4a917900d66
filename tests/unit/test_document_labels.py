"""Localised values in the rendering context: labels, dates and durations
in English, Spanish and European Portuguese."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from omd_gov.cooperations.canvas import SECTION_KEYS, STAGES
from omd_gov.documents import context_format as F
from omd_gov.documents import context_labels as L
from omd_gov.documents.context import build_context
from tests.unit.test_document_context import PROCESSOR, make_agreement


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            {
                "role": "Processor",
                "basis": "Art. 6(1)(e) GDPR",
                "stage": "Preparatory",
                "delivery": "Online",
                "yes": "Yes",
                "start": "1 January 2026",
                "term": "from 1 January 2026 to 31 December 2027",
                "retention": "2 years",
                "review": "12 months",
                "section": "Shared data flow",
                "dpia": "a DPIA has been carried out",
            },
        ),
        (
            "es",
            {
                "role": "Encargado del tratamiento",
                "basis": "art. 6.1.e) RGPD",
                "stage": "Preparatoria",
                "delivery": "En línea",
                "yes": "Sí",
                "start": "1 de enero de 2026",
                "term": "del 1 de enero de 2026 al 31 de diciembre de 2027",
                "retention": "2 años",
                "review": "12 meses",
                "section": "Flujo de datos compartido",
                "dpia": "se ha realizado una EIPD",
            },
        ),
        (
            "pt",
            {
                "role": "Subcontratante",
                "basis": "artigo 6.º, n.º 1, alínea e), do RGPD",
                "stage": "Preparatória",
                "delivery": "Em linha",
                "yes": "Sim",
                "start": "1 de janeiro de 2026",
                "term": "de 1 de janeiro de 2026 a 31 de dezembro de 2027",
                "retention": "2 anos",
                "review": "12 meses",
                "section": "Fluxo de dados partilhado",
                "dpia": "foi realizada uma AIPD",
            },
        ),
    ],
)
def test_labels_are_localised(language: str, expected: dict[str, str]) -> None:
    context = build_context(make_agreement(PROCESSOR), language)
    cooperation = context["cooperation"]
    titles = [s["title"] for group in cooperation["groups"] for s in group["sections"]]
    actual = {
        "role": context["processors"][0]["role_label"],
        "basis": context["gdpr"]["lawful_basis_article"],
        "stage": cooperation["stage_label"],
        "delivery": context["data_assets"][0]["delivery_label"],
        "yes": context["data_assets"][0]["personal_data_label"],
        "start": context["agreement"]["start_date"],
        "term": context["agreement"]["term"],
        "retention": context["gdpr"]["retention_label"],
        "review": context["agreement"]["review_interval"],
        "section": titles[SECTION_KEYS.index("shared_data_flow")],
        "dpia": context["gdpr"]["dpia_label"],
    }
    assert actual == expected
    assert len(titles) == len(SECTION_KEYS) and all(titles)
    assert [s["code"] for s in cooperation["stages"]] == list(STAGES)
    assert [s["current"] for s in cooperation["stages"]].count(True) == 1


def test_every_code_has_a_label_in_every_language() -> None:
    tables = [L.PARTY_ROLES, L.ORGANIZATION_KINDS, L.SHARING_MODELS, L.LAWFUL_BASES]
    tables += [L.DPIA_DECISIONS, L.DELIVERIES, L.STAGES, L.CANVAS_GROUPS, L.CANVAS_SECTIONS]
    for table in tables:
        for code, labels in table.items():
            assert len(labels) == len(L.LANGUAGES) and all(labels), code
    assert set(L.CANVAS_SECTIONS) == set(SECTION_KEYS)
    assert set(L.STAGES) == set(STAGES)


def test_mims_are_normalised_and_titled() -> None:
    mims = build_context(make_agreement(PROCESSOR), "es")["cooperation"]["mims"]
    assert mims == [
        {"code": "MIM1", "title": "Gestión de información de contexto"},
        {"code": "MIM2", "title": "Modelos de datos"},
        {"code": "MIMX", "title": ""},  # not an OASC MIM: no invented title
    ]


@pytest.mark.parametrize(
    ("iso", "en", "es", "pt"),
    [
        ("P2Y", "2 years", "2 años", "2 anos"),
        ("P1Y", "1 year", "1 año", "1 ano"),
        ("P18M", "18 months", "18 meses", "18 meses"),
        ("P1Y6M", "1 year and 6 months", "1 año y 6 meses", "1 ano e 6 meses"),
        ("P2W", "2 weeks", "2 semanas", "2 semanas"),
        (
            "P1Y2M3D",
            "1 year, 2 months and 3 days",
            "1 año, 2 meses y 3 días",
            "1 ano, 2 meses e 3 dias",
        ),
        ("PT36H", "36 hours", "36 horas", "36 horas"),
        ("P1DT30M", "1 day and 30 minutes", "1 día y 30 minutos", "1 dia e 30 minutos"),
        ("p90d", "90 days", "90 días", "90 dias"),
        ("two years", "two years", "two years", "two years"),  # shown as typed, never guessed
        ("P", "P", "P", "P"),
    ],
)
def test_iso_durations_read_aloud(iso: str, en: str, es: str, pt: str) -> None:
    assert [F.format_duration(iso, lang) for lang in L.LANGUAGES] == [en, es, pt]


def test_an_unsupported_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported language 'fr'"):
        build_context(make_agreement(PROCESSOR), "fr")


def test_generation_time() -> None:
    moment = datetime(2026, 5, 17, 8, 0, tzinfo=UTC)
    context = build_context(make_agreement(PROCESSOR), "es", generated_at=moment)
    assert context["generated_at"] == "2026-05-17T08:00:00+00:00"
    assert context["generated_on"] == "17 de mayo de 2026"
    before = datetime.now(UTC)
    now = datetime.fromisoformat(build_context(make_agreement(PROCESSOR), "en")["generated_at"])
    assert before <= now <= datetime.now(UTC)


def test_governing_law_is_the_municipal_partys_country() -> None:
    agreement = make_agreement([("Partner", "processor", True), ("City", "controller", True)])
    agreement.parties[0].organization.country = "ES"
    assert build_context(agreement, "pt")["agreement"]["governing_law"] == "Portugal"
    agreement.parties[1].organization.kind = "company"
    assert build_context(agreement, "pt")["agreement"]["governing_law"] == "Espanha"
