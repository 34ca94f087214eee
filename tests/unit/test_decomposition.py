"""A plan's settings split into the changes an administrator would name, and each change made on its own."""

from __future__ import annotations

import copy

from clinicsim.decomposition import changes_between

BEFORE = {
    "name": "current",
    "clinic": {"rooms": 6, "opens_min": 480},
    "templates": {"am": {"slot_min": 20}, "pm": {"slot_min": 20}},
    "providers": [{"name": "A", "late": 5, "speed": 1.0}, {"name": "B", "late": 5}],
    "staff": [{"name": "MA 1", "count": 1}],
}


def plan(**changes) -> dict:
    after = copy.deepcopy(BEFORE)
    after.update(copy.deepcopy(changes))
    return after


def made(before: dict, after: dict, change) -> dict:
    data = copy.deepcopy(before)
    change.apply(data, after)
    return data


def test_one_entry_of_a_section_is_one_change():
    after = plan(templates={"am": {"slot_min": 15}, "pm": {"slot_min": 20}}, clinic={"rooms": 8, "opens_min": 480})
    changes = changes_between(BEFORE, after)
    assert [c.label for c in changes] == ["clinic.rooms", "templates.am"]
    assert changes[1].settings == (("templates.am.slot_min", 20, 15),)
    assert made(BEFORE, after, changes[0])["clinic"] == {"rooms": 8, "opens_min": 480}
    assert made(BEFORE, after, changes[0])["templates"] == BEFORE["templates"]


def test_a_field_changed_in_every_item_of_a_list_is_one_change():
    after = plan(providers=[{"name": "A", "late": 1, "speed": 1.0}, {"name": "B", "late": 1}])
    (change,) = changes_between(BEFORE, after)
    assert change.label == "providers: late" and len(change.settings) == 2
    assert made(BEFORE, after, change) == after


def test_an_added_and_a_removed_item_are_changes_of_their_own():
    after = plan(
        providers=[{"name": "B", "late": 5}, {"name": "C", "late": 0}],
        staff=[{"name": "MA 1", "count": 1}, {"name": "MA float", "count": 1}],
    )
    labels = [c.label for c in changes_between(BEFORE, after)]
    assert labels == ["providers: add C", "providers: remove A", "staff: add MA float"]
    data = copy.deepcopy(BEFORE)
    for change in changes_between(BEFORE, after):
        change.apply(data, after)
    assert data == after


def test_a_field_only_one_side_has_is_set_or_removed():
    after = plan(providers=[{"name": "A", "late": 5}, {"name": "B", "late": 5, "speed": 0.9}])
    (change,) = changes_between(BEFORE, after)
    assert change.label == "providers: speed"
    assert made(BEFORE, after, change) == after


def test_labels_of_a_plan_are_not_changes():
    assert changes_between(BEFORE, plan(name="redesign", description="new")) == []
