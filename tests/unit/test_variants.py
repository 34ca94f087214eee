"""Variants as data: `extends:` files and `with_changes` override only what changes, and are validated whole."""

from __future__ import annotations

from pathlib import Path

import pytest

import clinicsim
from clinicsim.scenario import ScenarioError
from clinicsim.scenario.changes import diff, merge

ROOT = Path(__file__).resolve().parents[2]


def test_merge_merges_mappings_and_replaces_lists_and_values():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert merge(base, {"a": {"c": [3]}, "e": 2}) == {"a": {"b": 1, "c": [3]}, "d": 1, "e": 2}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}


def test_a_bundled_variant_inherits_everything_it_does_not_override():
    base = clinicsim.load_scenario(ROOT / "scenarios" / "family_medicine.yaml")
    wave = clinicsim.load_scenario(ROOT / "scenarios" / "family_medicine_wave.yaml")
    changed = {path for path, _, _ in diff(base.model_dump(mode="json"), wave.model_dump(mode="json"))}
    assert changed == {"name", "description", "templates.fm_20.rule.kind", "templates.fm_20.rule.wave_min"}


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_extends_is_relative_to_the_file_and_errors_point_at_the_right_file(tmp_path):
    base_text = (ROOT / "scenarios" / "family_medicine.yaml").read_text()
    write(tmp_path, "base.yaml", base_text.replace("p_no_show: 0.18 ", "p_no_show: 1.8 "))
    (tmp_path / "variants").mkdir()
    variant = write(tmp_path, "variants/v.yaml", "extends: ../base.yaml\nname: v\nclinic:\n  exam_roms: 9\n")
    with pytest.raises(ScenarioError) as caught:
        clinicsim.load_scenario(variant)
    lines = caught.value.lines()
    assert any(line.startswith(f"{variant}:4: clinic.exam_roms: unknown field") for line in lines)
    base_line = next(i for i, text in enumerate(base_text.splitlines(), 1) if "p_no_show: 0.18 " in text)
    assert any(line.startswith(f"{tmp_path / 'base.yaml'}:{base_line}: visit_types.new.p_no_show") for line in lines)


@pytest.mark.parametrize(
    "text, message",
    [
        ("extends: missing.yaml\nname: v\n", "no scenario file at"),
        ("extends: [a.yaml]\nname: v\n", "must be the path of a scenario file"),
        ("extends: loop.yaml\nname: v\n", "a loop"),
    ],
)
def test_bad_extends(tmp_path, text, message):
    path = write(tmp_path, "loop.yaml", text)
    with pytest.raises(ScenarioError, match=message):
        clinicsim.load_scenario(path)


def test_with_changes_sets_dotted_paths_by_position_or_name(family_medicine):
    changed = family_medicine.with_changes(
        {"clinic.exam_rooms": 10, "providers.Dr Baker.speed_factor": 1.3, "staff.0.count": 3}
    )
    assert changed.clinic.exam_rooms == 10 and changed.staff[0].count == 3
    assert changed.provider("Dr Baker").speed_factor == 1.3
    assert family_medicine.clinic.exam_rooms == 8  # the original is untouched
    assert [path for path, _, _ in diff(family_medicine.model_dump(mode="json"), changed.model_dump(mode="json"))] == [
        "clinic.exam_rooms",
        "providers.Dr Baker.speed_factor",
        "staff.Front desk.count",
    ]


def test_with_changes_validates_the_whole_result(family_medicine):
    """The same ScenarioError the command line prints: each field and what is wrong, no pydantic links."""
    with pytest.raises(ScenarioError, match="clinic.exam_roms: unknown field .did you mean exam_rooms.") as caught:
        family_medicine.with_changes({"clinic.exam_roms": 10})
    assert "pydantic" not in str(caught.value) and str(caught.value).startswith("with_changes: ")
    with pytest.raises(ScenarioError, match="providers.0.template: unknown template"):
        family_medicine.with_changes({"providers.0.template": "nope"})
    with pytest.raises(ScenarioError, match="clinic.room_turnover_min: not a time: write a number"):
        family_medicine.with_changes({"clinic.room_turnover_min": "ten"})
    with pytest.raises(ValueError, match="no item named 'Dr Zed'"):
        family_medicine.with_changes({"providers.Dr Zed.speed_factor": 1.0})
    with pytest.raises(ValueError, match="there is no item 9"):
        family_medicine.with_changes({"providers.9.speed_factor": 1.0})


BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))


def _exam_rooms(scenario: clinicsim.Scenario) -> int:
    rooms = scenario.clinic.exam_rooms
    return rooms if isinstance(rooms, int) else sum(rooms.values())


def _one_more_room(scenario: clinicsim.Scenario) -> clinicsim.Scenario:
    rooms = scenario.clinic.exam_rooms
    if isinstance(rooms, int):
        return scenario.with_changes({"clinic.exam_rooms": rooms + 1})
    first = next(iter(rooms))  # dedicated rooms: one more for the first provider
    return scenario.with_changes({f"clinic.exam_rooms.{first}": rooms[first] + 1})


@pytest.mark.parametrize("path", BUNDLED, ids=lambda path: path.name)
def test_every_bundled_scenario_pays_for_its_rooms_and_its_site(path):
    """Rooms and the site have a sourced daily cost (see each file's finance comment), so a room is never free."""
    scenario = clinicsim.load_scenario(path)
    finance = scenario.finance
    assert finance is not None
    assert finance.overhead_per_room_per_day > 0 and finance.overhead_per_site_per_day > 0
    kpis = clinicsim.simulate(scenario, replications=1, seed=3).kpis
    expected = _exam_rooms(scenario) * finance.overhead_per_room_per_day + finance.overhead_per_site_per_day
    assert kpis["overhead_cost"].tolist() == [expected]


def test_a_room_nobody_waits_for_lowers_the_margin_by_exactly_its_overhead(family_medicine):
    """With twelve rooms for four providers no patient ever waits for a room, so a thirteenth changes nobody's day
    (the same patients, seen at the same times, on the same seeds): revenue and labor are bit-identical and the
    margin, net revenue - labor - overhead, drops by the room's overhead; only the last subtraction's rounding
    (about 1e-12 on margins of thousands) can differ from the exact figure."""
    twelve = family_medicine.with_changes({"clinic.exam_rooms": 12})
    before = clinicsim.simulate(twelve, replications=3, seed=11)
    after = clinicsim.simulate(_one_more_room(twelve), replications=3, seed=11)
    assert after.patients.equals(before.patients)
    assert after.kpis["net_revenue"].tolist() == before.kpis["net_revenue"].tolist()
    assert after.kpis["labor_cost"].tolist() == before.kpis["labor_cost"].tolist()
    room = family_medicine.finance.overhead_per_room_per_day
    assert (after.kpis["margin"] - before.kpis["margin"]).tolist() == pytest.approx([-room] * 3, abs=1e-9)


@pytest.mark.parametrize("path", [p for p in BUNDLED if "extends" not in p.read_text()], ids=lambda path: path.name)
def test_one_more_room_costs_its_overhead_on_top_of_what_it_changes(path):
    """Where patients do wait for rooms, a room also moves revenue (more seen) and labor (less overtime); on the same
    days (paired, same seed) the margin moves by exactly that change less the room's overhead."""
    scenario = clinicsim.load_scenario(path)
    before = clinicsim.simulate(scenario, replications=2, seed=5).kpis
    after = clinicsim.simulate(_one_more_room(scenario), replications=2, seed=5).kpis
    operating = (after["net_revenue"] - after["labor_cost"]) - (before["net_revenue"] - before["labor_cost"])
    room = scenario.finance.overhead_per_room_per_day
    assert (after["overhead_cost"] - before["overhead_cost"]).tolist() == pytest.approx([room] * 2, abs=1e-9)
    assert (after["margin"] - before["margin"] - operating).tolist() == pytest.approx([-room] * 2, abs=1e-9)
