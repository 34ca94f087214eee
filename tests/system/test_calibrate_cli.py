"""clinicsim calibrate on the command line: the files it writes, and one clear line with exit 2 for an export that
cannot be read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from clinicsim.cli import main
from clinicsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
EXPORT = ROOT / "scenarios" / "calibration" / "family_medicine_visits.csv"
BASE = ROOT / "scenarios" / "family_medicine.yaml"


def test_calibrate_writes_the_scenario_the_tables_and_the_report(tmp_path):
    out = tmp_path / "cal"
    args = ["calibrate", str(EXPORT), "--base", str(BASE), "--out", str(out), "-n", "3", "--holdout", "0.25"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    defects = json.loads(EXPORT.with_suffix(".defects.json").read_text())
    assert f"duplicate {len(defects['defects']['duplicate'])}" in result.output
    assert "back-test, every day (3 replications a day):" in result.output and "hold-out back-test" in result.output
    for name in ("calibrated.yaml", "calibration.html", "problems.csv", "settings.csv", "backtest_summary.csv",
                 "holdout_summary.csv", "duration_fits.csv", "no_shows.csv", "provider_durations.csv",
                 "room_turnover.csv"):  # fmt: skip
        assert (out / name).is_file(), name
    calibrated = load_scenario(out / "calibrated.yaml")
    assert calibrated.name == "Family medicine, current template (calibrated)"
    assert "# Calibrated by clinicsim calibrate" in (out / "calibrated.yaml").read_text()


@pytest.mark.parametrize(
    ("make", "args", "said"),
    [
        (None, [], "no such file"),
        ("date,provider\n2027-01-04,Dr A\n", [], "no column 'appointment_time', 'visit_type', 'status'"),
        ("whatever", ["--map", "provider"], "--map 'provider': write ours=theirs"),
        ("whatever", ["--map", "doctor=Provider"], "'doctor' is not a column of the export"),
    ],
)
def test_an_export_that_cannot_be_read_gets_one_line_and_exit_2(tmp_path, make, args, said):
    path = tmp_path / "visits.csv"
    if make is not None:
        path.write_text(make)
    result = CliRunner().invoke(
        main, ["calibrate", str(path), "--base", str(BASE), "--out", str(tmp_path / "o"), *args]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and said in lines[0], result.output


def test_without_a_base_the_scenario_is_inferred_from_the_export(tmp_path):
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["calibrate", str(EXPORT), "--out", str(out), "-n", "3", "--holdout", "0"])
    assert result.exit_code == 0, result.output
    assert "base inferred from the export: 1 template of 4 providers" in result.output
    calibrated = load_scenario(out / "calibrated.yaml")
    assert [p.name for p in calibrated.providers] == [p.name for p in load_scenario(BASE).providers]
    assert "assumed" in (out / "inferred.csv").read_text()


def test_an_export_whose_templates_cannot_be_read_without_a_base_gets_one_line_and_exit_2(tmp_path):
    path = tmp_path / "walk_ins.csv"
    path.write_text("date,appointment_time,visit_type,provider,status,arrived\n2027-01-04,,acute,Dr A,arrived,09:00\n")
    result = CliRunner().invoke(main, ["calibrate", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "no booked appointments" in result.output and "give a base scenario" in result.output
