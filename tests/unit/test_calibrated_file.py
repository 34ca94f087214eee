"""A calibrated scenario's file: the whole scenario, loading back to the same, each fitted value commented."""

from __future__ import annotations

from clinicsim.calibration.scenario_file import commented_yaml
from clinicsim.scenario import load_scenario, parse_scenario_text


def test_the_file_loads_back_and_says_where_each_value_comes_from():
    base = load_scenario("scenarios/family_medicine.yaml")
    fitted = base.with_changes({"visit_types.established.p_no_show": 0.11, "providers.Dr Baker.speed_factor": 1.07})
    text = commented_yaml(
        fitted,
        {
            "visit_types.established.p_no_show": "n=1,234; 95% CI 0.09 to 0.13",
            "providers.Dr Baker.speed_factor": "n=400",
        },
        header="Calibrated from visits.csv",
    )
    assert parse_scenario_text(text) == fitted
    lines = text.splitlines()
    assert "# Calibrated from visits.csv" in lines
    assert any(line.strip() == "p_no_show: 0.11  # n=1,234; 95% CI 0.09 to 0.13" for line in lines)
    assert any(line.strip() == "speed_factor: 1.07  # n=400" for line in lines)


def test_a_calibrated_value_equal_to_the_default_is_written_with_its_comment():
    base = load_scenario("scenarios/family_medicine.yaml")
    fitted = base.with_changes({"providers.Dr Alvarez.speed_factor": 1.0})  # the default: the file leaves it out
    text = commented_yaml(fitted, {"providers.Dr Alvarez.speed_factor": "n=10"})
    assert parse_scenario_text(text) == fitted
    assert any(line.strip() == "speed_factor: 1.0  # n=10" for line in text.splitlines())
