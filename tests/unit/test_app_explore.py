"""The Explore page's logic (``clinicsim.app.stores`` and ``analyses``) without a browser: a sweep made from two
factors runs through its job task into a store that opens with its table and figures; a wrong factor is refused
naming its field; an optimization's store is recognised and shows its finalists; other files are refused; an EHR
export is calibrated into a report and a scenario file, and an unreadable one is said plainly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import matplotlib
import pytest

from clinicsim.app.analyses import calibrate_export, calibration_outcome
from clinicsim.app.stores import (
    SWEEP_STORE,
    StoreProblem,
    allowed_store_path,
    factor_choices,
    open_store,
    parse_levels,
    problem_lines,
    run_explore_sweep,
    sweep_spec_text,
)
from clinicsim.app.workspace import Workspace
from clinicsim.scenario import ScenarioError, load_scenario

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
FAMILY = SCENARIOS / "family_medicine.yaml"


def no_progress(done: int, total: int) -> None:
    """A job's progress report that never asks to stop."""


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    """A 2 x 2 grid (rooms x slot length), 2 days a point, run by the job task itself."""
    folder = tmp_path_factory.mktemp("sweep")
    text = sweep_spec_text(
        FAMILY, [("clinic.exam_rooms", [6, 8]), ("templates.fm_20.slot_min", [15, 20])], days=2, seed=7, kpis=None
    )
    run_explore_sweep(folder, no_progress, spec_text=text)
    return folder / SWEEP_STORE


def test_a_two_factor_sweep_runs_into_a_store_with_four_plans_a_table_and_figures(swept):
    view = open_store(swept)
    assert view.kind == "sweep" and view.snapshot.complete
    table = view.table(["provider_wait_mean_min", "margin"])
    assert len(table) == 4 and set(table["days"]) == {2}
    assert {"clinic.exam_rooms", "templates.fm_20.slot_min", "margin_ci_low"} <= set(table.columns)
    assert view.factors == ["clinic.exam_rooms", "templates.fm_20.slot_min"]
    for fig in (
        view.main_effects_figure("provider_wait_mean_min"),
        view.heatmap_figure("margin"),
        view.pareto_figure("provider_wait_mean_min", "margin"),
    ):
        assert isinstance(fig, matplotlib.figure.Figure)
    assert "Pareto front" in " ".join(view.pareto_sentences("provider_wait_mean_min", "margin"))
    assert view.default_pareto == ("provider_wait_mean_min", "margin")


def test_progress_counts_replications_and_a_cancel_stops_the_sweep(tmp_path):
    text = sweep_spec_text(FAMILY, [("clinic.exam_rooms", [6, 7, 8])], days=4, seed=7)
    seen: list[tuple[int, int]] = []

    class Stop(Exception):
        pass

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if done > 0:
            raise Stop

    with pytest.raises(Stop):
        run_explore_sweep(tmp_path, progress, spec_text=text)
    assert seen[0] == (0, 12) and 0 < seen[-1][0] < 12
    view = open_store(tmp_path / SWEEP_STORE)  # what was finished is stored, and shows as not finished
    assert not view.snapshot.complete and "not finished" in view.facts[0]


def test_a_wrong_factor_path_is_refused_naming_the_field():
    with pytest.raises(ScenarioError) as caught:
        sweep_spec_text(FAMILY, [("clinic.exam_roomz", [6, 8])], days=2, seed=1)
    lines = problem_lines(caught.value)
    assert lines and lines[0].startswith("clinic.exam_roomz:")
    with pytest.raises(ScenarioError) as caught:
        sweep_spec_text(FAMILY, [("clinic.exam_rooms", [6, -1])], days=2, seed=1)
    assert any("exam_rooms" in line for line in problem_lines(caught.value))


def test_levels_and_factor_choices():
    assert parse_levels("6, 8, 10") == [6, 8, 10]
    assert parse_levels("{kind: fixed_interval}, {kind: bailey_welch, k: 2}")[1] == {"kind": "bailey_welch", "k": 2}
    with pytest.raises(ValueError):
        parse_levels("")
    choices = {c.path: c for c in factor_choices(load_scenario(FAMILY))}
    assert choices["clinic.exam_rooms"].levels == [6, 8, 10]
    assert choices["templates.fm_20.slot_min"].levels == [15, 20, 25]


def test_other_files_are_refused_with_a_plain_message(tmp_path):
    (tmp_path / "notes.db").write_text("not a database")
    with pytest.raises(StoreProblem, match="not a clinicsim sweep or optimization store"):
        open_store(tmp_path / "notes.db")
    with sqlite3.connect(tmp_path / "other.db") as connection:
        connection.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreProblem, match="not a clinicsim"):
        open_store(tmp_path / "other.db")
    with pytest.raises(StoreProblem, match="only stores inside"):
        allowed_store_path("/etc/passwd", [tmp_path])
    assert allowed_store_path(str(tmp_path / "other.db"), [tmp_path]) == (tmp_path / "other.db").resolve()


OPTIMIZATION = f"""\
name: tiny
base: {FAMILY}
variables:
  - {{path: templates.fm_20.slot_min, kind: int, low: 15, high: 25, step: 5, label: slot}}
  - {{path: clinic.exam_rooms, kind: int, low: 7, high: 8, label: rooms}}
objectives:
  - {{kpi: provider_wait_p90_min, direction: minimize}}
  - {{kpi: patients_seen, direction: maximize}}
constraints:
  - {{kpi: provider_overtime_mean_min, at_most: 60}}
search: {{sampler: grid, budget_days: 18, days_per_plan: 3, population: 6, seed: 7}}
selection: {{finalists: pareto, objective: provider_overtime_mean_min, alpha: 0.05, delta: 5, max_days_per_plan: 6}}
"""


def test_an_optimization_store_is_recognised_with_its_finalists(tmp_path):
    from clinicsim.optimization.run import optimize

    spec = tmp_path / "tiny.yaml"
    spec.write_text(OPTIMIZATION)
    optimize(spec, tmp_path / "tiny.db", workers=1)
    view = open_store(tmp_path / "tiny.db")
    assert view.kind == "optimization" and view.objectives == ("provider_wait_p90_min", "patients_seen")
    assert len(view.table()) == 6 and set(view.table()["days"]) == {3}  # the search's days, the same for every plan
    assert view.finalists is not None and len(view.finalists) >= 1
    assert "not the selection's outcome" in " ".join(view.facts)
    assert isinstance(view.pareto_figure(*view.default_pareto), matplotlib.figure.Figure)


@pytest.mark.slow  # a few seconds: runs simulations in worker processes
def test_an_export_is_calibrated_into_a_report_and_a_scenario_file(tmp_path):
    export = tmp_path / "visits.csv"
    lines = (SCENARIOS / "calibration" / "family_medicine_visits.csv").read_text().splitlines()
    export.write_text("\n".join(lines[:700]) + "\n")  # a week of the bundled export's four weeks
    base = load_scenario(FAMILY).model_dump(mode="json")
    out = tmp_path / "job"
    out.mkdir()
    calibrate_export(out, no_progress, export=str(export), base=base, holdout=0.0, replications=2, seed=1,
                     source="visits.csv")  # fmt: skip
    outcome = calibration_outcome(out)
    assert outcome.problem is None and outcome.report is not None and outcome.scenario_file is not None
    assert load_scenario(outcome.scenario_file).name  # the calibrated file is a scenario
    assert "sentence" in outcome.data_problems.columns and not outcome.backtest.empty
    assert any(line.startswith("calibrated ") for line in outcome.lines)


def test_an_export_that_cannot_be_read_is_said_plainly(tmp_path):
    export = tmp_path / "visits.csv"
    export.write_text("a,b\n1,2\n")
    calibrate_export(tmp_path, no_progress, export=str(export), base=None, holdout=0.3, replications=2, seed=1,
                     source="visits.csv")  # fmt: skip
    problem = calibration_outcome(tmp_path).problem
    assert problem is not None and problem.startswith("visits.csv: no column") and str(tmp_path) not in problem


def test_stores_made_in_a_tab_are_found_there(tmp_path, swept):
    from clinicsim.app.jobs import Jobs
    from clinicsim.app.stores import found_stores, remember

    jobs = Jobs(tmp_path / "jobs")
    workspace = Workspace(tmp_path / "workspaces")
    key_folder = jobs.path("abc")
    key_folder.mkdir(parents=True)
    (key_folder / SWEEP_STORE).write_bytes(swept.read_bytes())
    remember(workspace, "sweeps", "abc")
    (workspace.uploads / "mine.db").write_bytes(swept.read_bytes())
    found = found_stores(jobs, workspace)
    assert list(found.values()) == [key_folder / SWEEP_STORE, workspace.uploads / "mine.db"]
