"""The back-test against data the model itself made: a right scenario leaves about 95% of observed days inside
the 95% prediction band, and a wrong one (provider visits 20% longer) is caught, with the side it misses on."""

from __future__ import annotations

import datetime

import pytest

from clinicsim.calibration.backtest import BACKTEST_KPIS, backtest
from clinicsim.calibration.export import read_visits
from clinicsim.calibration.synthetic import synthetic_export, write_export
from clinicsim.scenario import load_scenario
from clinicsim.statistics import wilson_interval

pytestmark = pytest.mark.slow

WEEKS = 8  # 40 clinic days


@pytest.fixture(scope="module")
def observed(tmp_path_factory):
    scenario = load_scenario("scenarios/family_medicine.yaml")
    path = tmp_path_factory.mktemp("backtest") / "visits.csv"
    write_export(synthetic_export(scenario, weeks=WEEKS, seed=11, start=datetime.date(2027, 1, 4)), path)
    return scenario, read_visits(path)


def test_a_scenario_reproduces_the_days_it_made(observed):
    scenario, visits = observed
    result = backtest(scenario, visits, seed=3)
    assert result.skipped.empty and result.confidence == pytest.approx(0.95)
    compared = result.days[result.days["where"] != "no data"]
    assert len(compared) == 5 * WEEKS * len(BACKTEST_KPIS)
    inside = int((compared["where"] == "inside").sum())
    low, high = wilson_interval(inside, len(compared), confidence=0.99)
    assert low <= 0.95 <= high, f"{inside} of {len(compared)} inside"
    summary = result.summary()
    assert (summary["inside_pct"] >= 80).all(), summary  # each KPI: Binomial(40, 0.95) falls below 32 rarely
    assert summary["verdict"].str.startswith("reproduced").mean() >= 0.8


def test_a_scenario_with_longer_visits_is_caught(observed):
    scenario, visits = observed
    longer = scenario.with_changes(
        {
            f"visit_types.{name}.durations_min.provider_visit": {
                "kind": "lognormal",
                "mean": 1.2 * mean,
                "sd": 1.2 * sd,
            }
            for name, mean, sd in (("new", 30, 10), ("established", 16, 6), ("telehealth", 14, 5))
        }
    )
    summary = backtest(longer, visits, seed=3).summary()
    for kpi in ("provider_wait_mean_min", "cycle_time_mean_min"):
        assert summary.loc[kpi, "inside_high_pct"] < 95, summary  # the band no longer holds the observed days
        assert summary.loc[kpi, "below_pct"] > summary.loc[kpi, "above_pct"]  # observed faster than the model
        assert summary.loc[kpi, "verdict"].startswith("missed") and "below" in summary.loc[kpi, "verdict"]
