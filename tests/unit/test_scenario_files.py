"""Scenario files: YAML 1.2 read faithfully, valid files round-trip, mistakes are named with file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import clinicsim
from clinicsim.scenario import ScenarioError, parse_scenario_text, scenario_to_yaml

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_scenarios_round_trip_yaml_model_yaml(path):
    scenario = clinicsim.load_scenario(path)
    again = parse_scenario_text(scenario_to_yaml(scenario))
    assert again == scenario
    assert again.content_hash == scenario.content_hash


def test_model_validate_and_load_agree(family_medicine):
    assert clinicsim.Scenario.model_validate(family_medicine.model_dump(mode="json")) == family_medicine


def test_yaml_1_2_keeps_unquoted_clock_times_and_no_as_text(small_clinic):
    text = scenario_to_yaml(clinicsim.Scenario.model_validate(small_clinic())).replace("'10:00'", "10:00")
    text = text.replace("est", "NO")
    scenario = parse_scenario_text(text)
    assert scenario.templates["am"].sessions[0].end == 600  # PyYAML (YAML 1.1) would read 10:00 as 600 seconds
    assert "NO" in scenario.visit_types  # and NO as False


def test_content_hash_changes_with_content(small_clinic):
    a = clinicsim.Scenario.model_validate(small_clinic())
    b = clinicsim.Scenario.model_validate(small_clinic(name="other"))
    assert a.content_hash != b.content_hash


GOOD = """\
name: t
clinic:
  opens: "08:00"
  closes: "12:00"
  exam_rooms: 2
visit_types:
  est:
    p_no_show: 0.1
    durations_min:
      check_in: 3
      provider_visit: {kind: lognormal, mean: 15, sd: 5}
templates:
  am:
    sessions:
      - {start: "08:00", end: "11:00"}
    slot_min: 20
    pattern: [est]
providers:
  - name: Dr A
    template: am
staff:
  - name: desk
    role: front_desk
    serves: [check_in]
    shifts:
      - {start: "07:45", end: "12:00"}
"""


def test_the_good_example_is_valid():
    assert parse_scenario_text(GOOD).providers[0].name == "Dr A"


@pytest.mark.parametrize(
    "old, new, line, field, message",
    [
        ("    p_no_show: 0.1", "    p_noshow: 0.1", 8, "visit_types.est.p_noshow", "unknown field"),
        ("      check_in: 3", "      check_in: -3", 10, "visit_types.est.durations_min.check_in", "cannot be negative"),
        ("    p_no_show: 0.1", "    p_no_show: 1.5", 8, "visit_types.est.p_no_show", "less than or equal to 1"),
        (
            '{start: "07:45", end: "12:00"}',
            '{start: "07:45", end: "07:00"}',
            26,
            "staff.0.shifts.0",
            "not after its start",
        ),
        ("    template: am", "    template: pm", 20, "providers.0.template", "unknown template 'pm'"),
        ("    pattern: [est]", "    pattern: [est, nwe]", 17, "templates.am.pattern.1", "unknown visit type 'nwe'"),
        (
            "      provider_visit: {kind: lognormal, mean: 15, sd: 5}",
            "      provider_visit: {kind: lognormal, mean: 15}",
            11,
            "visit_types.est.durations_min.provider_visit.sd",
            "Field required",
        ),
        ('  closes: "12:00"', "  closes: 1200", 4, "clinic.closes", 'written as "HH:MM"'),
        (
            "    serves: [check_in]",
            "    serves: [rooming]",
            10,
            "visit_types.est.durations_min.check_in",
            "nobody does check_in",
        ),
    ],
)
def test_a_mistake_is_reported_with_file_line_field_and_problem(old, new, line, field, message):
    assert old in GOOD
    with pytest.raises(ScenarioError) as caught:
        parse_scenario_text(GOOD.replace(old, new), source="clinic.yaml")
    problem = caught.value.problems[0]
    assert (problem.line, problem.field) == (line, field)
    assert message in problem.message
    assert str(caught.value).startswith(f"clinic.yaml:{line}: {field}: ")


def test_every_problem_is_reported_not_just_the_first():
    text = GOOD.replace("p_no_show: 0.1", "p_no_show: 2").replace("slot_min: 20", "slot_min: -20")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario_text(text)
    assert [p.field for p in caught.value.problems] == ["visit_types.est.p_no_show", "templates.am.slot_min"]


def test_broken_yaml_names_the_line():
    with pytest.raises(ScenarioError, match=r"clinic.yaml:3: not valid YAML"):
        parse_scenario_text("name: t\nclinic:\n  opens: [08:00\n", source="clinic.yaml")


def test_a_file_that_is_not_a_mapping_and_a_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="must be a mapping"):
        parse_scenario_text("- a\n- b\n")
    with pytest.raises(ScenarioError, match="cannot read the file"):
        clinicsim.load_scenario(tmp_path / "nope.yaml")


def test_a_missing_required_section_is_named():
    with pytest.raises(ScenarioError) as caught:
        parse_scenario_text("name: t\n")
    assert {p.field for p in caught.value.problems} >= {"clinic", "visit_types", "templates", "providers"}


def test_double_booking_must_name_a_slot_start():
    text = GOOD.replace("    pattern: [est]", '    pattern: [est]\n    double_book: ["08:10"]')
    with pytest.raises(ScenarioError, match="08:10 is not the start of a slot"):
        parse_scenario_text(text)


def test_committed_json_schema_is_current():
    committed = json.loads((ROOT / "schema" / "scenario.schema.json").read_text())
    assert committed == clinicsim.Scenario.model_json_schema(), (
        "regenerate with: clinicsim schema > schema/scenario.schema.json"
    )
