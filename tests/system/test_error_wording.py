"""Errors say what to write (issue 14's error items): a distribution written wrongly shows the forms accepted, a
known field in the wrong section says where it belongs, a misspelt one suggests the name meant, Python's
``with_changes`` raises the command line's ``ScenarioError``, ``--pareto`` lists the KPIs, and ``schema --sweep``
gives the sweep file's schema. Each through the command line (file, line, field, exit 2) where a file is read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import clinicsim
from clinicsim.cli import main
from clinicsim.scenario import ScenarioError

FAMILY = Path(__file__).resolve().parents[2] / "scenarios" / "family_medicine.yaml"


def validate(tmp_path, body: str):
    path = tmp_path / "clinic.yaml"
    path.write_text(f"extends: {FAMILY}\n{body}")
    return CliRunner().invoke(main, ["validate", str(path)]), str(path)


@pytest.mark.parametrize(
    "body, line, field, message",
    [
        ("clinic:\n  room_turnover_min: {kind: expo, mean: 3}\n", 3, "clinic.room_turnover_min",
         "unknown kind 'expo': write a number (15, a fixed time), or {kind: exponential, mean: 15}"),
        ("visit_types:\n  extra:\n    durations_min:\n      provider_visit: {mean: 3}\n", 5,
         "visit_types.extra.durations_min.provider_visit", "a distribution needs its kind: write a number"),
        ("clinic:\n  room_turnover_min: {mean: 3}\n", 3, "clinic.room_turnover_min.mean",
         "mean does not belong here: it is a field of "),  # merged into the base's triangular
        ("clinic:\n  room_turnover_min: three\n", 3, "clinic.room_turnover_min", "not a time: write a number"),
        ("visit_types:\n  new:\n    slot_min: 40\n", 4, "visit_types.new.slot_min",
         "slot_min does not belong here: it is a field of a template"),
        ("clinic:\n  exam_roms: 5\n", 3, "clinic.exam_roms", "unknown field (did you mean exam_rooms?)"),
        ("clinic:\n  xyzzy: 5\n", 3, "clinic.xyzzy", "unknown field (misspelt?)"),
    ],
)  # fmt: skip
def test_a_mistake_says_what_to_write(tmp_path, body, line, field, message):
    result, path = validate(tmp_path, body)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"error: {path}:{line}: {field}: {message}" in result.output, result.output


def test_with_changes_raises_the_command_lines_error():
    scenario = clinicsim.load_scenario(FAMILY)
    with pytest.raises(ScenarioError) as caught:
        scenario.with_changes({"clinic.exam_roms": 10, "providers.0.speed_factor": -1})
    text = str(caught.value)
    assert "with_changes: clinic.exam_roms: unknown field (did you mean exam_rooms?)" in text
    assert "with_changes: providers.0.speed_factor: Input should be greater than 0" in text
    assert "pydantic" not in text and "errors.pydantic.dev" not in text
    with pytest.raises(ScenarioError, match="providers has no item named 'Dr Zed'"):
        scenario.with_changes({"providers.Dr Zed.speed_factor": 1.0})


def test_pareto_with_an_unknown_kpi_lists_the_kpis(tmp_path):
    store = tmp_path / "store.db"
    store.write_bytes(b"")
    result = CliRunner().invoke(main, ["sweep-report", str(store), "--out", str(tmp_path / "out"),
                                       "--pareto", "wait", "margin"])  # fmt: skip
    assert result.exit_code == 2
    assert "unknown KPI 'wait' for --pareto; the KPIs are: patients_booked, " in result.output
    assert "provider_wait_mean_min" in result.output
    ranked = CliRunner().invoke(main, ["sweep-report", str(store), "--out", str(tmp_path / "out"), "--rank", "wait"])
    assert ranked.exit_code == 2 and "unknown KPI 'wait' for --rank; the KPIs are: " in ranked.output


def test_schema_of_sweep_files():
    schema = json.loads(CliRunner().invoke(main, ["schema", "--sweep"]).output)
    assert schema["title"] == "SweepSpec" and {"base", "design", "factors", "points"} <= set(schema["properties"])


def test_compare_warns_when_the_plans_are_different_clinics():
    scenarios = FAMILY.parent
    runner = CliRunner()
    unrelated = runner.invoke(main, ["compare", str(FAMILY), str(scenarios / "pediatrics.yaml"), "-n", "2"])
    assert unrelated.exit_code == 0, unrelated.output
    assert "warning: " in unrelated.output and "have different providers" in unrelated.output
    redesign = runner.invoke(
        main, ["compare", str(FAMILY), str(scenarios / "family_medicine_catch_up.yaml"), "-n", "2"]
    )
    assert redesign.exit_code == 0 and "warning: " not in redesign.output
