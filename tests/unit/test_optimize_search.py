"""The search (``optimization.search``): plans proposed by NSGA-II, simulated once each into the store, told their
objectives and constraints; reproducible from its seed on any number of workers, and resumed from its store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clinicsim.optimization.search import STALLED_GENERATIONS, SearchResult, constraint_value, search
from clinicsim.optimization.spec import Constraint, load_optimization
from clinicsim.scenario import ScenarioError
from clinicsim.sweeps.store import open_sweep

ROOT = Path(__file__).resolve().parents[2]
SPEC = f"""\
name: tiny
base: {ROOT / "scenarios" / "family_medicine.yaml"}
variables:
  - {{path: templates.fm_20.slot_min, kind: int, low: 15, high: 25, step: 5, label: slot}}
  - {{path: clinic.exam_rooms, kind: int, low: 6, high: 9, label: rooms}}
objectives:
  - {{kpi: provider_wait_p90_min, direction: minimize}}
  - {{kpi: patients_seen, direction: maximize}}
constraints:
  - {{kpi: provider_overtime_mean_min, at_most: 30, on_share_of_days: 0.8}}
search: {{sampler: nsga2, budget_days: 48, days_per_plan: 4, population: 4, seed: 7}}
selection: {{finalists: pareto, objective: provider_overtime_mean_min, alpha: 0.05, delta: 5, max_days_per_plan: 40}}
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("search")
    path = folder / "spec.yaml"
    path.write_text(SPEC)
    spec, base = load_optimization(path)
    return spec, base, folder


@pytest.fixture(scope="module")
def searched(tiny) -> SearchResult:
    spec, base, folder = tiny
    return search(spec, base, folder / "one.db", workers=1)


def stored_days(store: Path) -> int:
    with sqlite3.connect(store) as connection:
        return connection.execute("SELECT COUNT(*) FROM results").fetchone()[0]


def test_the_search_starts_from_todays_plan_and_simulates_each_plan_once(searched):
    trials = searched.trials
    assert len(trials) == 12 and trials["generation"].tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert trials.loc[0, "name"] == "slot 20, rooms 8"  # today's plan first
    plans = trials["plan"].nunique()
    assert stored_days(searched.store) == 4 * plans < 4 * len(trials)  # a plan proposed twice ran once
    stored = open_sweep(searched.store).points()
    assert set(stored["point"]) == set(trials["plan"])  # every evaluated plan stays queryable


def test_each_trial_is_told_its_plans_means_and_constraint(searched):
    days = searched.days
    for row in searched.trials.itertuples():
        mine = days[days["point"] == row.plan]
        assert row.provider_wait_p90_min == pytest.approx(mine["provider_wait_p90_min"].mean())
        share = (mine["provider_overtime_mean_min"] <= 30).mean()
        assert row.constraint_0 == pytest.approx(0.8 - share) and row.feasible == (share >= 0.8)


def test_the_same_seed_gives_the_same_search_on_two_workers_and_a_rerun_resumes(tiny, searched):
    spec, base, folder = tiny
    parallel = search(spec, base, folder / "two.db", workers=2)
    pd.testing.assert_frame_equal(parallel.trials, searched.trials)
    pd.testing.assert_frame_equal(parallel.days, searched.days)
    before = stored_days(searched.store)
    again = search(spec, base, searched.store, workers=1)
    pd.testing.assert_frame_equal(again.trials, searched.trials)
    assert stored_days(searched.store) == before


def test_the_pareto_set_is_the_feasible_plans_no_other_beats_on_both_objectives(searched):
    plans = searched.plans()
    front = searched.pareto()
    assert len(front) and front["feasible"].all()
    feasible = plans[plans["feasible"]]
    for plan, row in feasible.iterrows():
        beaten = (
            (feasible["provider_wait_p90_min"] <= row["provider_wait_p90_min"])
            & (feasible["patients_seen"] >= row["patients_seen"])
            & (
                (feasible["provider_wait_p90_min"] < row["provider_wait_p90_min"])
                | (feasible["patients_seen"] > row["patients_seen"])
            )
        ).any()
        assert (plan in front.index) == (not beaten)


def test_constraint_values_are_met_at_or_below_zero():
    days = np.array([10.0, 20.0, 40.0, 25.0, np.nan])
    chance = Constraint(kpi="provider_overtime_mean_min", at_most=30, on_share_of_days=0.8)
    assert constraint_value(chance, days) == pytest.approx(0.8 - 0.75)
    mean = Constraint(kpi="patients_seen", at_least=20)
    assert constraint_value(mean, days) == pytest.approx(20 - 23.75)
    assert constraint_value(mean, np.array([np.nan])) == np.inf


def test_the_budget_is_in_simulated_days_and_a_settled_search_stops(tiny):
    spec, base, folder = tiny
    search_spec = spec.search.model_copy(update={"budget_days": 10_000})
    roomy = spec.model_copy(update={"search": search_spec})
    result = search(roomy, base, folder / "roomy.db", workers=1)
    plans = result.trials["plan"].nunique()
    assert plans * 4 <= 10_000 and len(result.days) == plans * 4
    # 3 slot lengths x 4 room counts: the search ends with the space simulated, or after 3 generations in a row
    # that proposed no new plan
    trials = result.trials
    first_seen = trials.groupby("plan")["generation"].min()
    last = trials["generation"].max()
    assert plans == 12 or (first_seen <= last - STALLED_GENERATIONS).all()


def test_a_rerun_after_the_selection_judges_plans_on_the_search_days_only(tiny, tmp_path):
    from clinicsim.optimization.select import select

    spec, base, _ = tiny
    first = search(spec, base, tmp_path / "r.db", workers=1)
    select(first, base, workers=1)  # more days of the finalists in the store
    again = search(spec, base, tmp_path / "r.db", workers=1)
    assert len(again.days) >= len(first.days)
    pd.testing.assert_frame_equal(again.trials, first.trials)


def test_a_grid_search_queues_every_plan_once_and_stops_when_the_grid_is_done(tiny, tmp_path):
    spec, base, _ = tiny
    grid = spec.model_copy(update={"search": spec.search.model_copy(update={"sampler": "grid", "budget_days": 400})})
    result = search(grid, base, tmp_path / "g.db", workers=1)
    assert result.trials["plan"].nunique() == 12 == len(result.trials)  # 3 slots x 4 room counts, each once


def test_a_longer_budget_resumes_the_store_and_another_sampler_reuses_its_plans(tiny, tmp_path):
    spec, base, _ = tiny
    store = tmp_path / "longer.db"
    first = search(spec, base, store, workers=1)
    longer = spec.model_copy(update={"search": spec.search.model_copy(update={"budget_days": 96})})
    more = search(longer, base, store, workers=1)
    pd.testing.assert_frame_equal(more.trials.head(len(first.trials)), first.trials)  # the same start, then more
    assert more.trials["plan"].nunique() > first.trials["plan"].nunique()
    other = spec.model_copy(update={"search": spec.search.model_copy(update={"sampler": "random", "seed": 99})})
    before = len(more.days)
    reused = search(other, base, store, workers=1)
    known = set(more.trials["plan"])
    new = set(reused.trials["plan"]) - known
    assert len(reused.days) == before + 4 * len(new)  # only the plans not simulated before cost days


def test_an_optimization_over_weeks_of_booking_searches_on_access_kpis(tmp_path):
    path = tmp_path / "access.yaml"
    path.write_text(f"""\
name: access
base: {ROOT / "scenarios" / "family_medicine_access.yaml"}
variables:
  - {{path: templates.fm_20.slot_min, kind: int, low: 15, high: 20, step: 5, label: slot}}
objectives:
  - {{kpi: third_next_available_days, direction: minimize}}
constraints:
  - {{kpi: lead_time_mean_days, at_most: 30}}
search: {{sampler: grid, budget_days: 8, days_per_plan: 2, population: 2, seed: 1}}
selection: {{finalists: 2, alpha: 0.05, delta: 1, max_days_per_plan: 4}}
access: {{weeks: 2, warm_up: 0}}
""")
    spec, base = load_optimization(path)
    result = search(spec, base, tmp_path / "access.db", workers=1)
    assert result.trials["plan"].nunique() == 2 and len(result.days) == 4
    assert result.days["third_next_available_days"].notna().all()
    slots = {row.name: row.third_next_available_days for row in result.trials.itertuples()}
    assert slots["slot 15"] <= slots["slot 20"]  # more slots a day: the third open one is sooner
    bad = path.read_text().replace("access: {weeks: 2, warm_up: 0}\n", "")
    path.write_text(bad)
    with pytest.raises(ScenarioError, match="third_next_available_days"):  # no booking runs: not computed
        load_optimization(path)
