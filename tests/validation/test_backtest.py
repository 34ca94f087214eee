"""The back-test against data the model itself made: a right scenario leaves about 95% of observed days inside
the 95% prediction band, for each day KPI (provider overtime included) and each hour's census, and a wrong one
(provider visits 20% longer) is caught, with the side it misses on.

The pooled checks treat the KPIs of a day as independent, which they are not (a slow day is slow in every KPI and
hour); a 99% Wilson interval leaves room for that."""

from __future__ import annotations

import datetime

import pytest

from clinicsim.calibration.backtest import BACKTEST_KPIS, OVERTIME_KPI, backtest, census_hour, census_kpi
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


OPEN_HOURS = range(7, 18)  # the clinic opens at 07:30 and closes at 17:30


@pytest.fixture(scope="module")
def right(observed):
    scenario, visits = observed
    return backtest(scenario, visits, seed=3)


def test_a_scenario_reproduces_the_days_it_made(right):
    assert right.skipped.empty and right.confidence == pytest.approx(0.95)
    compared = right.days[right.days["where"] != "no data"]
    census = compared["kpi"].map(census_hour).notna()
    assert len(compared) == 5 * WEEKS * (len(BACKTEST_KPIS) + len(OPEN_HOURS))
    for rows in (compared[~census], compared[census]):  # the day KPIs, and the census hours
        inside = int((rows["where"] == "inside").sum())
        low, high = wilson_interval(inside, len(rows), confidence=0.99)
        assert low <= 0.95 <= high, f"{inside} of {len(rows)} inside"
    summary = right.summary()
    assert list(summary.index) == [*BACKTEST_KPIS, *(census_kpi(h) for h in OPEN_HOURS)]
    assert (summary["inside_pct"] >= 80).all(), summary  # each KPI: Binomial(40, 0.95) falls below 32 rarely
    assert summary["verdict"].str.startswith("reproduced").mean() >= 0.8


def test_provider_overtime_from_visits_is_reproduced_without_a_side(right):
    """The observed overtime and the simulated one are the same measure of the same stamps: no bias to a side."""
    days = right.days[right.days["kpi"] == OVERTIME_KPI]
    assert (days["where"] != "no data").all() and (days["observed"] >= 0).all()
    assert days["observed"].gt(0).mean() > 0.5  # most days run past the last session: a test with something in it
    inside = int((days["where"] == "inside").sum())
    assert wilson_interval(inside, len(days), confidence=0.99)[1] >= 0.95, f"{inside} of {len(days)} inside"
    # the observed value as often above the day's median as below it
    above = int((days["observed"] > days["median"]).sum())
    low, high = wilson_interval(above, len(days), confidence=0.99)
    assert low <= 0.5 <= high, f"{above} of {len(days)} above the median"


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
    # longer visits make waits, time in clinic, provider overtime and the afternoon's crowd too big
    for kpi in ("provider_wait_mean_min", "cycle_time_mean_min", OVERTIME_KPI, "census_16", "census_17"):
        assert summary.loc[kpi, "inside_high_pct"] < 95, summary  # the band no longer holds the observed days
        assert summary.loc[kpi, "below_pct"] > summary.loc[kpi, "above_pct"]  # observed faster than the model
        assert summary.loc[kpi, "verdict"].startswith("missed") and "below" in summary.loc[kpi, "verdict"]
