"""Several weekdays in one scenario: per-weekday templates and changes, `--weekday`, and a whole week."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import clinicsim
from clinicsim.cli import main
from clinicsim.week import WEEK_TOTALS, simulate_week, weekday_seed

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "family_medicine.yaml"


@pytest.fixture(scope="module")
def week_file(tmp_path_factory) -> Path:
    """Monday to Friday; on Friday afternoons nobody works and one front-desk clerk covers the morning."""
    path = tmp_path_factory.mktemp("week") / "week.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            extends: {BASE}
            weekday: mon
            templates:
              fm_friday:
                sessions: [{{start: "08:00", end: "12:00"}}]
                slot_min: 20
                pattern: [new, established, established, established, telehealth, established]
            weekday_changes:
              fri:
                staff.Front desk.count: 1
                providers.Dr Alvarez.template: {{mon: fm_20, tue: fm_20, wed: fm_20, thu: fm_20, fri: fm_friday}}
                providers.Dr Baker.template: {{mon: fm_20, tue: fm_20, wed: fm_20, thu: fm_20, fri: fm_friday}}
            """
        )
    )
    return path


def test_a_weekday_is_its_templates_and_changes(week_file):
    scenario = clinicsim.load_scenario(week_file)
    friday = scenario.on_weekday("fri")
    assert friday.weekday == "fri" and friday.weekday_changes == {}
    assert next(g for g in friday.staff if g.name == "Front desk").count == 1
    assert friday.provider("Dr Alvarez").template_on("fri") == "fm_friday"
    assert scenario.on_weekday() is scenario  # Monday has no changes: the scenario itself, bit for bit


def test_the_days_own_weekday_changes_are_made_when_it_is_simulated(week_file):
    friday_file = week_file.with_name("friday.yaml")
    friday_file.write_text(f"extends: {week_file}\nweekday: fri\n")
    results = clinicsim.simulate(friday_file, replications=2, seed=3)
    assert next(g for g in results.scenario.staff if g.name == "Front desk").count == 1
    monday = clinicsim.simulate(week_file, replications=2, seed=3)
    assert (results.kpis["patients_booked"] < monday.kpis["patients_booked"]).all()


def test_a_week_is_each_working_weekday_on_streams_of_its_own(week_file):
    scenario = clinicsim.load_scenario(week_file)
    week = simulate_week(scenario, weeks=3, seed=9)
    assert list(week.days) == scenario.working_weekdays() == ["mon", "tue", "wed", "thu", "fri"]
    alone = clinicsim.simulate(scenario.on_weekday("wed"), replications=3, seed=weekday_seed(9, "wed"))
    assert alone.kpis.equals(week.days["wed"].kpis)
    # Tuesday and Wednesday have the same plan but other patients: the days of a week are independent
    assert not week.days["tue"].kpis["provider_wait_mean_min"].equals(week.days["wed"].kpis["provider_wait_mean_min"])


def test_week_totals_add_the_days_of_each_week(week_file):
    week = simulate_week(week_file, weeks=3, seed=9)
    totals = week.totals()
    for kpi in ("patients_seen", "margin"):
        by_week = sum(r.kpis.set_index("replication")[kpi] for r in week.days.values())
        assert totals.loc[kpi, "mean"] == pytest.approx(by_week.mean())
        assert totals.loc[kpi, "ci_low"] < by_week.mean() < totals.loc[kpi, "ci_high"]
    assert set(totals.index) <= set(WEEK_TOTALS) and "provider_wait_mean_min" not in totals.index
    friday, monday = week.days["fri"].kpis, week.days["mon"].kpis
    assert np.mean(friday["patients_booked"]) < np.mean(monday["patients_booked"])


def test_run_week_prints_every_weekday_and_the_totals(week_file, tmp_path):
    result = CliRunner().invoke(main, ["run", str(week_file), "--week", "-n", "3", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    header = next(line for line in result.stdout.splitlines() if line.startswith("KPI"))
    assert header.split()[1:] == ["mon", "tue", "wed", "thu", "fri"]
    assert "Week totals (5 clinic days)" in result.stdout
    assert (tmp_path / "out" / "week_totals.csv").exists()


def test_run_and_compare_take_a_weekday(week_file):
    run = CliRunner().invoke(main, ["run", str(week_file), "--weekday", "fri", "-n", "2"])
    assert run.exit_code == 0 and run.stdout.startswith("Family medicine, current template (fri)")
    compared = CliRunner().invoke(main, ["compare", str(BASE), str(week_file), "--weekday", "fri", "-n", "3"])
    assert compared.exit_code == 0, compared.output
    assert "Patients booked" in compared.stdout


def test_a_weekday_nobody_works_is_a_clear_error(week_file):
    result = CliRunner().invoke(main, ["run", str(week_file), "--weekday", "sun"])
    assert result.exit_code == 2
    assert "no provider has a template on sun" in result.output and "Traceback" not in result.output


def test_a_weekday_change_that_makes_no_clinic_day_names_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: {BASE}\nweekday_changes:\n  fri:\n    clinic.exam_rooms: -1\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:4: weekday_changes.fri.clinic.exam_rooms: on fri" in result.output


def test_a_weekday_append_that_makes_no_clinic_day_names_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        f"extends: {BASE}\nweekday_changes:\n  fri:\n    clinic.exam_rooms: 6\n"
        "    staff+: [{name: Front desk 2, role: front_desk, serves: [check_in]}]\n"
    )
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:" in result.output and "weekday_changes.fri.staff" in result.output
    assert "on fri" in result.output and "shifts: Field required" in result.output


def test_a_week_with_work_carried_over_starts_each_day_with_the_day_befores_backlog(tmp_path):
    path = tmp_path / "inbox.yaml"
    path.write_text(
        f"extends: {BASE}\nwork:\n  - name: letters\n    rates: [{{start: '08:00', end: '17:00', per_hour: 14}}]\n"
        "    stages: [{by: {group: Front desk}, duration_min: 10}]\n"
    )
    carried = simulate_week(path, weeks=2, seed=4, carry_over=True)
    tuesday = carried.days["tue"].work
    assert (tuesday["arrival_min"] < 0).any()  # Monday's letters, waiting from opening
    assert not (carried.days["mon"].work["arrival_min"] < 0).any()  # each week starts with no backlog
    separate = simulate_week(path, weeks=2, seed=4)
    assert not (separate.days["tue"].work["arrival_min"] < 0).any()
    result = CliRunner().invoke(main, ["run", str(path), "--week", "--carry-over", "-n", "2"])
    assert result.exit_code == 0, result.output
