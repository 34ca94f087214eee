"""clinicsim optimize on the command line: search, selection with its guarantee in words, the finalists written as
files extending the base that load to the plans' scenarios, a rerun that resumes, and bad input as exit 2."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from clinicsim.cli import main
from clinicsim.optimization.run import optimize
from clinicsim.optimization.spec import load_optimization, plan_scenario
from clinicsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SPEC = f"""\
name: tiny
base: {ROOT / "scenarios" / "family_medicine.yaml"}
variables:
  - {{path: templates.fm_20.slot_min, kind: int, low: 15, high: 25, step: 5, label: slot}}
  - {{path: staff.Front desk.count, kind: int, low: 1, high: 2, label: front desk}}
objectives:
  - {{kpi: provider_wait_p90_min, direction: minimize}}
constraints:
  - {{kpi: provider_overtime_mean_min, at_most: 60, on_share_of_days: 0.5}}
search: {{sampler: nsga2, budget_days: 32, days_per_plan: 4, population: 4, seed: 3}}
selection: {{finalists: 3, alpha: 0.05, delta: 5, max_days_per_plan: 24}}
"""


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("optimize") / "spec.yaml"
    path.write_text(SPEC)
    return path


def days_in(store: Path) -> int:
    with sqlite3.connect(store) as connection:
        return connection.execute("SELECT COUNT(*) FROM results").fetchone()[0]


def test_optimize_searches_selects_and_writes_the_finalists(spec_path, tmp_path):
    store, out = tmp_path / "o.db", tmp_path / "plans"
    args = ["optimize", str(spec_path), "--store", str(store), "--out", str(out), "--workers", "1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "search: 8 trials" in result.output and "finalists:" in result.output
    assert "with probability at least 95% unless another is within 5 min" in result.output or (
        "No plan was shown to be the best" in result.output
    )
    files = sorted(out.glob("plan_*.yaml"))
    assert files and "extends:" in files[0].read_text()
    spec, base = load_optimization(spec_path)
    again = optimize(spec_path, store, workers=1)  # resumes: nothing simulated again
    assert days_in(store) == len(again.search.days)
    for plan, row in again.finalists.plans.iterrows():
        written = load_scenario(out / f"plan_{plan}.yaml")
        expected = plan_scenario(spec, base, dict(row["params"]))
        assert written.model_dump(exclude={"name", "description"}) == expected.model_dump(
            exclude={"name", "description"}
        )


def test_a_plan_file_writes_what_changes_and_a_staff_group_changed_by_name_as_the_whole_list(spec_path, tmp_path):
    result = optimize(spec_path, tmp_path / "s.db", out=tmp_path / "plans", workers=1)
    for plan, row in result.finalists.plans.iterrows():
        text = (tmp_path / "plans" / f"plan_{plan}.yaml").read_text()
        params = dict(row["params"])
        assert ("slot_min:" in text) == (params["templates.fm_20.slot_min"] != 20)  # today's 20 is not written
        front_desk = params["staff.Front desk.count"]
        assert ("staff:" in text) == (front_desk != 2)
        if front_desk != 2:  # the list whole: every group, the changed one with its new count
            assert "name: MA Hughes" in text and "count: 2" not in text


def test_a_bad_optimization_file_gets_its_line_and_exit_2(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(SPEC.replace("provider_wait_p90_min", "provider_wiat_p90_min"))
    result = CliRunner().invoke(main, ["optimize", str(path), "--store", str(tmp_path / "b.db")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{path}:7:" in result.output and "provider_wiat_p90_min" in result.output


def test_resume_needs_a_store(spec_path, tmp_path):
    result = CliRunner().invoke(main, ["optimize", str(spec_path), "--store", str(tmp_path / "x.db"), "--resume"])
    assert result.exit_code == 2 and "no store to resume" in result.output


def test_an_optimization_store_is_queryable_but_is_no_sweep_for_its_report(spec_path, tmp_path):
    from clinicsim.sweeps.store import open_sweep

    store = tmp_path / "q.db"
    result = optimize(spec_path, store, workers=1)
    stored = open_sweep(store)
    assert set(stored.points()["point"]) == set(result.search.trials["plan"])
    report = CliRunner().invoke(main, ["sweep-report", str(store), "--out", str(tmp_path / "r")])
    assert report.exit_code == 2 and "holds an optimization" in report.output


def test_ocba_spreads_a_fixed_budget_and_gives_an_estimate_not_a_guarantee(tmp_path):
    path = tmp_path / "ocba.yaml"
    path.write_text(SPEC.replace("max_days_per_plan: 24}", "max_days_per_plan: 24, procedure: ocba, ocba_days: 30}"))
    result = optimize(path, tmp_path / "ocba.db", workers=1)
    ocba = result.finalists.ocba
    assert result.finalists.selection is None and ocba is not None
    k = len(result.finalists.plans)
    assert int(ocba.counts.sum()) == k * 4 + 30 and ocba.counts.min() >= 4
    assert "spread by OCBA" in result.finalists.sentence and "not a guarantee" in result.finalists.sentence
    assert "100%" not in result.finalists.sentence  # an estimate never reads as a certainty
