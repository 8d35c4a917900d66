"""The workspace timeline's diffs: nested content shown down to the key that changed."""

from __future__ import annotations

from omd_gov.web.workspace_timeline import Change, changes_of, shown


def _rows(changes: list[Change]) -> list[tuple[str, str | None, str]]:
    return [(c.field, c.before, c.after) for c in changes]


def test_a_profile_shows_only_its_changed_keys() -> None:
    before = {"retention": "P2Y", "dpia": "done", "recipients": []}
    after = {"retention": "P3Y", "dpia": "done", "recipients": ["Energy agency", "Lab"]}
    rows = _rows(changes_of({"gdpr": {"from": before, "to": after}}))
    assert rows == [
        ("gdpr › retention", "P2Y", "P3Y"),
        ("gdpr › recipients", "—", "Energy agency · Lab"),
    ]


def test_list_entries_are_compared_by_position_and_added_or_removed_whole() -> None:
    one = {"name": "Meter readings", "standard": "NGSI-LD"}
    two = {"name": "Asset list", "standard": "CSV"}
    moved = {"name": "Asset list", "standard": "GeoJSON"}
    rows = _rows(changes_of({"data_assets": {"from": [one, two], "to": [one, moved, one]}}))
    assert rows == [
        ("data_assets 2 › standard", "CSV", "GeoJSON"),
        ("data_assets 3", "—", "name: Meter readings; standard: NGSI-LD"),
    ]
    removed = _rows(changes_of({"data_assets": {"from": [one, two], "to": [one]}}))
    assert removed == [("data_assets 2", "name: Asset list; standard: CSV", "—")]


def test_plain_values_and_a_key_that_disappears() -> None:
    rows = _rows(changes_of({"title": {"from": "A", "to": "B"}, "g": {"from": {"x": 1}, "to": {}}}))
    assert rows == [("title", "A", "B"), ("g › x", "1", "—")]
    assert changes_of({"frozen_sha256": "ab" * 32})[0] == Change(
        "frozen_sha256", None, "ab" * 32, False
    )
    assert shown(True) == "true" and shown(None) == "—" and shown([]) == "—"
