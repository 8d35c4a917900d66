"""The lifecycle diagram and the help page's table, drawn from the machine's
own table: every state and trigger shows, exactly the current state is
highlighted, the SVG passes the pages' CSP, and every guard, condition and
state has its words. The expectations are derived from
``lifecycle.TRANSITIONS`` and ``rules.RULES`` here, not copied."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from omd_gov.agreements import lifecycle, rules
from omd_gov.auth.models import OFFICE_ROLES, Role
from omd_gov.web import diagram, lifecycle_help

SVG = "{http://www.w3.org/2000/svg}"
STATES = [str(state) for state in lifecycle.State]


def _listed(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _table() -> list[tuple[str, list[str], str]]:
    return [
        (str(row["trigger"]), _listed(row["source"]), str(row["dest"]))
        for row in lifecycle.TRANSITIONS
    ]


def _parse(current: str | None) -> ET.Element:
    return ET.fromstring(str(diagram.lifecycle_svg(current)))


def _texts(root: ET.Element) -> list[str]:
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def _groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if cls in (g.get("class") or "").split()]


def test_the_svg_names_every_state_and_every_trigger_of_the_machine() -> None:
    root = _parse(None)
    texts = _texts(root)
    for state in STATES:
        assert state.replace("_", " ") in texts, state
    labels = " | ".join(texts)
    drawn = {g.get("data-trigger") for g in _groups(root, "lc-arrow")}
    for trigger, _sources, _dest in _table():
        assert trigger.replace("_", " ") in labels, trigger
        assert trigger in drawn, trigger
    assert {g.get("data-state") for g in _groups(root, "lc-state")} == set(STATES)


def test_every_move_is_drawn_once_per_source_or_once_out_of_its_frame() -> None:
    root = _parse(None)
    arrows = _groups(root, "lc-arrow")
    expected = 0
    for _trigger, sources, _dest in _table():
        expected += 1 if len(sources) >= diagram.FAN_MIN else len(sources)
    assert len(arrows) == expected
    framed = [g for g in arrows if g.find(f"{SVG}rect") is not None]
    assert [g.get("data-trigger") for g in framed] == [
        trigger for trigger, sources, _dest in _table() if len(sources) >= diagram.FAN_MIN
    ]


def test_the_text_alternative_lists_every_state_and_move() -> None:
    root = _parse("signing")
    assert root.get("role") == "img" and root.find(f"{SVG}title") is not None
    desc = "".join(root.find(f"{SVG}desc").itertext())  # type: ignore[union-attr]
    for state in STATES:
        assert state.replace("_", " ") in desc
    for trigger, _sources, _dest in _table():
        assert trigger.replace("_", " ") in desc
    assert "The agreement is now signing." in desc


@pytest.mark.parametrize("current", STATES)
def test_exactly_the_current_state_is_highlighted(current: str) -> None:
    root = _parse(current)
    highlighted = _groups(root, "lc-current")
    assert [g.get("data-state") for g in highlighted] == [current]
    box = highlighted[0].find(f"{SVG}rect")
    assert box is not None and box.get("fill") == diagram.ACCENT
    others = [g for g in _groups(root, "lc-state") if g not in highlighted]
    assert all(g.find(f"{SVG}rect").get("fill") != diagram.ACCENT for g in others)  # type: ignore[union-attr]


def test_no_state_is_highlighted_on_the_help_page() -> None:
    assert _groups(_parse(None), "lc-current") == []


def test_the_svg_uses_no_inline_style_which_the_csp_forbids() -> None:
    text = str(diagram.lifecycle_svg("draft"))
    assert "style=" not in text and "<style" not in text and "<script" not in text
    root = ET.fromstring(text)
    assert all("style" not in node.attrib for node in root.iter())


def test_every_state_has_a_place_and_places_do_not_collide() -> None:
    places = diagram.places()
    assert set(places) == set(STATES)
    assert len(set(places.values())) == len(places)


def test_every_guard_condition_and_state_has_its_words() -> None:
    for trigger, rule in rules.RULES.items():
        assert lifecycle_help.guard_key(rule.guard) in lifecycle_help.GUARD_WORDS, trigger
        assert lifecycle_help.guard_words(rule.guard)
    for row in lifecycle.TRANSITIONS:
        conditions = row.get("conditions")
        for condition in conditions if isinstance(conditions, list) else [conditions]:
            if condition is not None:
                assert condition.__name__ in diagram.CONDITION_WORDS
    assert set(lifecycle_help.STATE_MEANINGS) == set(STATES)


def test_a_comment_guard_says_which_comment() -> None:
    words = lifecycle_help.guard_words(rules.RULES[lifecycle.Trigger.TERMINATE].guard)
    assert words == "A reason for termination is required"


def test_the_help_table_lists_every_trigger_with_its_moves_and_roles() -> None:
    rows = {row.trigger: row for row in lifecycle_help.trigger_rows()}
    assert list(rows) == [str(trigger) for trigger in lifecycle.Trigger]
    for trigger, sources, dest in _table():
        moves = rows[trigger].moves
        assert any(list(m.sources) == sources and m.dest == dest for m in moves), trigger
    for trigger, rule in rules.RULES.items():
        expected = {str(role) for role in rule.roles}
        if rule.roles & OFFICE_ROLES:
            expected.add(str(Role.ADMIN))  # an admin may act in any office role
        assert set(rows[str(trigger)].roles) == expected, trigger
    assert all(rows[str(t)].system and not rows[str(t)].roles for t in lifecycle.SYSTEM_TRIGGERS)
