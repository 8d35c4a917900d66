"""Canvas completeness and the cooperation stage rules (pure functions)."""

from __future__ import annotations

import pytest

from omd_gov.cooperations.canvas import (
    CANVAS_SECTIONS,
    SECTION_KEYS,
    STAGES,
    missing_sections,
    stage_change_problem,
)

# The section keys are a contract with the acceptance checks (issue 2).
CONTRACT_KEYS = (
    "governance_model",
    "implementation_model",
    "technical_infrastructure",
    "technical_concepts",
    "key_partners",
    "resources",
    "business_case",
    "shared_data_flow",
    "data_sources",
    "context",
    "interoperability",
    "added_value",
    "motivation_objectives",
)


def test_the_canvas_has_exactly_the_contract_sections() -> None:
    assert SECTION_KEYS == CONTRACT_KEYS
    assert all(label.strip() for _key, _group, label in CANVAS_SECTIONS)


def test_stages_in_order() -> None:
    assert STAGES == ("exploratory", "preparatory", "implementation", "operational", "scaling")


@pytest.mark.parametrize("sections", [None, {}])
def test_an_empty_canvas_misses_every_section(sections: dict[str, str] | None) -> None:
    assert missing_sections(sections) == list(CONTRACT_KEYS)


def test_blank_sections_count_as_missing() -> None:
    sections = {key: "text" for key in CONTRACT_KEYS}
    sections.update({"context": "  \n\t", "resources": ""})
    del sections["added_value"]
    assert missing_sections(sections) == ["resources", "context", "added_value"]


def test_a_full_canvas_misses_nothing() -> None:
    assert missing_sections({key: "x" for key in CONTRACT_KEYS} | {"extra": ""}) == []


@pytest.mark.parametrize(("current", "target"), list(zip(STAGES, STAGES[1:], strict=False)))
def test_forward_one_step_needs_no_reason(current: str, target: str) -> None:
    assert stage_change_problem(current, target, None) is None


@pytest.mark.parametrize(
    ("current", "target"),
    [("exploratory", "implementation"), ("exploratory", "scaling"), ("preparatory", "operational")],
)
def test_forward_skipping_a_stage_is_refused(current: str, target: str) -> None:
    problem = stage_change_problem(current, target, "we are in a hurry")
    assert problem is not None and "one at a time" in problem


@pytest.mark.parametrize(
    ("current", "target"),
    [("preparatory", "exploratory"), ("scaling", "exploratory"), ("operational", "implementation")],
)
def test_stepping_back_needs_a_reason(current: str, target: str) -> None:
    for blank in (None, "", "   "):
        problem = stage_change_problem(current, target, blank)
        assert problem is not None and "reason" in problem
    assert stage_change_problem(current, target, "the pilot failed") is None


def test_staying_put_and_unknown_stages_are_refused() -> None:
    assert "already" in (stage_change_problem("preparatory", "preparatory", "x") or "")
    assert "unknown stage" in (stage_change_problem("preparatory", "finished", "x") or "")
