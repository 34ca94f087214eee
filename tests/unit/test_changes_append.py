"""Adding one person is one line, and changes append to lists: ``staff+:`` in a file that extends another,
``{"staff+": {...}}`` and ``{"staff.MA.count": 5}`` in ``with_changes``; a name already taken is an error naming it.

Taxonomy: the merge and set-path functions on plain data; ``with_changes`` on a bundled scenario; ``extends:``
files written in ``tmp_path``, with the line of each mistake in the file that writes it; the bundled catch-up
variant, which appends its float MA instead of repeating the base's staff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import clinicsim
from clinicsim.scenario import ScenarioError
from clinicsim.scenario.changes import ChangeError, merge, set_path

ROOT = Path(__file__).resolve().parents[2]
FAMILY = ROOT / "scenarios" / "family_medicine.yaml"

FLOAT_MA = {
    "name": "MA float",
    "role": "medical_assistant",
    "serves": ["rooming"],
    "shifts": [{"start": "08:00", "end": "12:15"}, {"start": "12:45", "end": "17:00"}],
}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def variant(tmp_path: Path, body: str, name: str = "variant.yaml") -> Path:
    """A file extending the bundled family-medicine scenario, with ``body`` after its first two lines."""
    return write(tmp_path, name, f"extends: {FAMILY}\nname: variant\n{body}")


# --- plain data ---------------------------------------------------------------------------------------------------


def test_a_key_ending_in_plus_appends_and_one_without_replaces():
    base = {"staff": [{"name": "A"}], "clinic": {"pattern": [1, 2]}}
    assert merge(base, {"staff+": [{"name": "B"}]}) == {
        "staff": [{"name": "A"}, {"name": "B"}],
        "clinic": base["clinic"],
    }
    assert merge(base, {"staff+": {"name": "B"}})["staff"] == [{"name": "A"}, {"name": "B"}]  # one item, no list
    assert merge(base, {"clinic": {"pattern+": [3]}})["clinic"] == {"pattern": [1, 2, 3]}
    assert merge(base, {"staff": [{"name": "B"}]})["staff"] == [{"name": "B"}]
    assert merge({}, {"staff+": [{"name": "B"}]}) == {"staff": [{"name": "B"}]}  # nothing to append to: a new list
    assert base == {"staff": [{"name": "A"}], "clinic": {"pattern": [1, 2]}}  # the base is untouched


def test_merge_records_where_each_appended_list_starts():
    appended: dict[tuple, int] = {}
    merge({"staff": [1, 2, 3], "t": {"p": [1]}}, {"staff+": [4], "t": {"p+": [2, 3]}}, appended=appended)
    assert appended == {("staff",): 3, ("t", "p"): 1}


@pytest.mark.parametrize(
    "override, where, message",
    [
        ({"staff+": [{"name": "B"}, {"name": "A"}]}, ("staff+", 1, "name"), "staff already has an item named 'A'"),
        ({"staff+": [{"name": "B"}, {"name": "B"}]}, ("staff+", 1, "name"), "already has an item named 'B'"),
        ({"staff+": {"name": "A"}}, ("staff+", "name"), "already has an item named 'A'"),
        ({"staff": [], "staff+": []}, ("staff+",), "give staff .the whole list. or staff\\+ .items to append., not"),
        ({"clinic+": {"x": 1}}, ("clinic+",), "clinic is a section, not a list"),
        ({"clinic": {"rooms+": 1}}, ("clinic", "rooms+"), "clinic.rooms is a value, not a list"),
    ],
)
def test_what_cannot_be_appended_is_said_where_it_is_written(override, where, message):
    with pytest.raises(ChangeError, match=message) as caught:
        merge({"staff": [{"name": "A"}], "clinic": {"rooms": 2}}, override)
    assert caught.value.where == where


def test_set_path_appends_at_a_path_ending_in_plus():
    data = {"staff": [{"name": "A", "serves": ["check_in"]}], "assigned_to": None}
    set_path(data, "staff+", {"name": "B"})
    set_path(data, "staff.A.serves+", "check_out")
    set_path(data, "assigned_to+", ["Dr X"])  # nothing yet (null): a new list
    assert data == {
        "staff": [{"name": "A", "serves": ["check_in", "check_out"]}, {"name": "B"}],
        "assigned_to": ["Dr X"],
    }
    with pytest.raises(ChangeError, match="'\\+' goes at the end of a path") as caught:
        set_path(data, "staff+.0.name", "C")
    assert caught.value.field == "staff+.0.name"


# --- with_changes -------------------------------------------------------------------------------------------------


def test_adding_one_person_to_a_group_with_a_count_is_one_line(family_medicine):
    with_ma = family_medicine.with_changes({"staff+": {**FLOAT_MA, "name": "MA", "count": 4}})
    five = with_ma.with_changes({"staff.MA.count": 5})
    assert [(g.name, g.count) for g in five.staff][-1] == ("MA", 5)
    assert five.with_changes({"staff.MA.count": 4}) == with_ma  # and back: only the count changed
    assert family_medicine.with_changes({"staff.Front desk.count": 3}).staff[0].count == 3


def test_an_unknown_group_lists_the_known_ones_and_a_role_names_its_groups(family_medicine):
    with pytest.raises(ScenarioError) as caught:
        family_medicine.with_changes({"clinic.exam_rooms": 9, "staff.MA.count": 5})
    assert caught.value.lines() == [
        "with_changes: staff.MA.count: staff has no item named 'MA' "
        "(known: 'Front desk', 'MA Evans', 'MA Flores', 'MA Garcia', 'MA Hughes')"
    ]
    with pytest.raises(ScenarioError, match="front_desk is the role of the group 'Front desk': name the group"):
        family_medicine.with_changes({"staff.front_desk.count": 3})
    with pytest.raises(ScenarioError, match="medical_assistant is the role of the groups 'MA Evans', 'MA Flores', "):
        family_medicine.with_changes({"staff.medical_assistant.count": 2})


def test_with_changes_appends_a_staff_group_a_provider_and_to_nested_lists(family_medicine):
    changed = family_medicine.with_changes(
        {
            "staff+": FLOAT_MA,
            "providers+": [{"name": "Dr New", "template": "fm_20"}],
            "clinic.exam_rooms": 10,
            "templates.fm_20.pattern+": ["established"],
            "staff.MA float.count": 2,  # named by a later change of the same call
        }
    )
    assert [g.name for g in changed.staff] == [g.name for g in family_medicine.staff] + ["MA float"]
    assert changed.staff[-1].count == 2
    assert [p.name for p in changed.providers] == [p.name for p in family_medicine.providers] + ["Dr New"]
    assert changed.templates["fm_20"].pattern == [*family_medicine.templates["fm_20"].pattern, "established"]
    assert len(family_medicine.staff) == 5  # the original is untouched


def test_appending_a_name_already_taken_is_an_error_naming_it(family_medicine):
    with pytest.raises(ScenarioError) as caught:
        family_medicine.with_changes({"staff+": {**FLOAT_MA, "name": "MA Evans"}})
    [line] = caught.value.lines()
    assert line.startswith("with_changes: staff+: staff already has an item named 'MA Evans'")
    assert "'staff.MA Evans.<field>'" in line
    with pytest.raises(ScenarioError, match="providers\\+: providers already has an item named 'Dr Chen'"):
        family_medicine.with_changes({"providers+": [{"name": "Dr New", "template": "fm_20"}, {"name": "Dr Chen"}]})


def test_an_appended_item_is_validated_with_the_rest(family_medicine):
    with pytest.raises(ScenarioError, match="providers.4.template: unknown template 'nope'"):
        family_medicine.with_changes({"providers+": {"name": "Dr New", "template": "nope"}})
    with pytest.raises(ScenarioError, match="clinic.exam_rooms is a value, not a list"):
        family_medicine.with_changes({"clinic.exam_rooms+": 2})


# --- extends: files -----------------------------------------------------------------------------------------------


def test_a_file_appends_to_the_lists_of_the_file_it_extends(tmp_path, family_medicine):
    path = variant(
        tmp_path,
        "staff+:\n"
        "  - name: MA float\n"
        "    role: medical_assistant\n"
        "    serves: [rooming]\n"
        '    shifts: [{start: "08:00", end: "12:15"}, {start: "12:45", end: "17:00"}]\n'
        "providers+: [{name: Dr New, template: fm_20}]\n"
        "templates:\n"
        "  fm_20:\n"
        "    pattern+: [established]\n",
    )
    loaded = clinicsim.load_scenario(path)
    expected = family_medicine.with_changes(
        {
            "name": "variant",
            "staff+": FLOAT_MA,
            "providers+": {"name": "Dr New", "template": "fm_20"},
            "templates.fm_20.pattern+": "established",
        }
    )
    assert loaded == expected


def test_a_duplicate_name_in_an_appended_item_is_at_its_line(tmp_path):
    path = variant(tmp_path, "staff+:\n  - name: MA float\n    role: medical_assistant\n  - name: MA Evans\n")
    with pytest.raises(ScenarioError) as caught:
        clinicsim.load_scenario(path)
    [line] = caught.value.lines()
    assert line.startswith(f"{path}:6: staff+.1.name: staff already has an item named 'MA Evans'")


def test_a_mistake_in_an_appended_item_is_at_its_line_in_the_file_that_appends_it(tmp_path):
    """Through a chain: the middle file appends one group and the child another; each mistake is found where it
    is written (the merged list has them at positions 5 and 6)."""
    write(
        tmp_path,
        "middle.yaml",
        f"extends: {FAMILY}\nname: middle\nstaff+:\n  - name: Nurse\n    role: nurse\n"
        '    shifts: [{start: "08:00", end: "07:00"}]\n',
    )
    child = write(
        tmp_path,
        "child.yaml",
        "extends: middle.yaml\nname: child\nstaff+:\n"
        "  name: MA float\n  role: medical_assistant\n  serves: [rooming]\n  count: 0\n"
        '  shifts: [{start: "08:00", end: "17:00"}]\n',
    )
    with pytest.raises(ScenarioError) as caught:
        clinicsim.load_scenario(child)
    lines = caught.value.lines()
    assert (
        f"{tmp_path / 'middle.yaml'}:6: staff+.0.shifts.0: ends at 07:00, which is not after its start 08:00" in lines
    )
    assert any(line.startswith(f"{child}:7: staff+.count: ") for line in lines), lines


def test_a_list_a_later_file_replaces_no_longer_points_at_the_appending_base(tmp_path):
    write(
        tmp_path, "middle.yaml", f"extends: {FAMILY}\nname: middle\nproviders+: [{{name: Dr New, template: fm_20}}]\n"
    )
    child = write(
        tmp_path,
        "child.yaml",
        "extends: middle.yaml\nname: child\nproviders:\n  - {name: A, template: fm_20}\n  - {name: B, template: x}\n",
    )
    with pytest.raises(ScenarioError) as caught:
        clinicsim.load_scenario(child)
    assert caught.value.lines()[0].startswith(f"{child}:5: providers.1.template: unknown template 'x'")


def test_giving_a_list_and_appending_to_it_in_one_file_is_refused_at_the_line(tmp_path):
    path = variant(tmp_path, "staff: []\nstaff+: []\n")
    with pytest.raises(ScenarioError, match=r":4: staff\+: give staff \(the whole list\) or staff\+"):
        clinicsim.load_scenario(path)


def test_an_appended_walk_in_stream_may_read_its_rates_from_a_csv_file(tmp_path):
    write(tmp_path, "rates.csv", "start,end,per_hour\n08:00,12:00,1.5\n13:00,17:00,0.5\n")
    path = variant(tmp_path, "walk_ins+:\n  - {name: walk-in, visit_type: established, rates_file: rates.csv}\n")
    [stream] = clinicsim.load_scenario(path).walk_ins
    assert [(r.start, r.end, r.per_hour) for r in stream.rates] == [(480, 720, 1.5), (780, 1020, 0.5)]


def test_the_bundled_catch_up_variant_appends_its_float_ma_to_the_base_staff(family_medicine):
    catch_up = clinicsim.load_scenario(ROOT / "scenarios" / "family_medicine_catch_up.yaml")
    assert "staff+:" in (ROOT / "scenarios" / "family_medicine_catch_up.yaml").read_text()
    assert catch_up.staff == family_medicine.with_changes({"staff+": FLOAT_MA}).staff
