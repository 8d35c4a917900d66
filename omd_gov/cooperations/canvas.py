"""The Data Cooperation Canvas: its sections and the cooperation stages.

Pure data and rules, no database: the lifecycle guards and the document
templates both read the section list from here.
"""

from __future__ import annotations

from collections.abc import Mapping

# (key, group, English label) in the order the canvas shows them.
CANVAS_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("governance_model", "data_technical", "Governance model"),
    ("implementation_model", "data_technical", "Implementation model"),
    ("technical_infrastructure", "data_technical", "Technical infrastructure"),
    ("technical_concepts", "data_technical", "Technical concepts / models (MIMs)"),
    ("key_partners", "organisational", "Key partners"),
    ("resources", "organisational", "Resources"),
    ("business_case", "organisational", "Business case"),
    ("shared_data_flow", "shared_process", "Shared data flow"),
    ("data_sources", "shared_process", "Data & data sources"),
    ("context", "shared_process", "Context"),
    ("interoperability", "shared_process", "Interoperability"),
    ("added_value", "shared_process", "Added value"),
    ("motivation_objectives", "shared_process", "Motivation & objectives"),
)
SECTION_KEYS: tuple[str, ...] = tuple(key for key, _, _ in CANVAS_SECTIONS)

STAGES: tuple[str, ...] = ("exploratory", "preparatory", "implementation", "operational", "scaling")


def missing_sections(sections: Mapping[str, str] | None) -> list[str]:
    """Canvas sections that are absent or blank."""
    sections = sections or {}
    return [key for key in SECTION_KEYS if not str(sections.get(key) or "").strip()]


def stage_change_problem(current: str, target: str, reason: str | None) -> str | None:
    """Why a stage change is refused, or None. Forward moves are one step at a
    time; stepping back (any distance) needs a reason."""
    if target not in STAGES:
        return f"unknown stage {target!r}; expected one of {', '.join(STAGES)}"
    here, there = STAGES.index(current), STAGES.index(target)
    if there == here:
        return f"the cooperation is already {current}"
    if there > here + 1:
        return f"stages advance one at a time: next after {current} is {STAGES[here + 1]}"
    if there < here and not (reason or "").strip():
        return "stepping back to an earlier stage needs a reason"
    return None
