"""Comparing plans honestly: paired differences under common random numbers, and the replication advisor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import clinicsim
from clinicsim.comparison import compare, paired_difference

ROOT = Path(__file__).resolve().parents[2]
CURRENT = ROOT / "scenarios" / "family_medicine.yaml"
CATCH_UP = ROOT / "scenarios" / "family_medicine_catch_up.yaml"


@pytest.fixture(scope="module")
def current():
    return clinicsim.load_scenario(CURRENT)


def test_a_plan_compared_with_itself_differs_by_exactly_zero(current):
    comparison = compare({"a": current, "b": current}, replications=8, seed=4)
    differences = comparison.differences()
    assert (differences["difference"].fillna(0) == 0).all()
    assert not differences["excludes_zero"].any()


def test_common_random_numbers_narrow_the_paired_interval(current):
    catch_up = clinicsim.load_scenario(CATCH_UP)
    paired = compare([current, catch_up], replications=30, seed=11).differences()
    independent = compare([current, catch_up], replications=30, seed=11, crn=False).differences()
    kpi = (catch_up.name, "provider_wait_mean_min")
    assert paired.at[kpi, "method"] == "paired" and independent.at[kpi, "method"] == "welch"
    # measured: about 1.2 min paired against 3 min independent; require at least a 1.8-fold narrowing
    assert paired.at[kpi, "half_width"] * 1.8 < independent.at[kpi, "half_width"]
    assert paired.at[kpi, "excludes_zero"]


def test_the_paired_difference_is_the_t_interval_of_day_by_day_differences(current):
    other = current.with_changes({"clinic.exam_rooms": 5})
    comparison = compare({"now": current, "fewer rooms": other}, replications=12, seed=2)
    kpis = comparison.kpis["provider_wait_mean_min"]
    d = kpis.loc["fewer rooms"].to_numpy() - kpis.loc["now"].to_numpy()
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    row = comparison.differences().loc[("fewer rooms", "provider_wait_mean_min")]
    assert row["difference"] == pytest.approx(d.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((d.mean() - half, d.mean() + half))


def test_interval_widths_shrink_like_one_over_root_n(current):
    results = clinicsim.simulate(current, replications=80, seed=9)
    summary = results.summary()
    for kpi in ("provider_wait_mean_min", "cycle_time_mean_min"):
        values = results.kpis[kpi].to_numpy()
        assert summary.at[kpi, "half_width"] == pytest.approx(stats.t.ppf(0.975, 79) * values.std(ddof=1) / np.sqrt(80))
        quarter = clinicsim.summarize(results.kpis.iloc[:20])
        ratio = quarter.at[kpi, "half_width"] / summary.at[kpi, "half_width"]
        # 4x the days: about half the width (t quantiles and the sd estimate move it a little)
        assert 1.4 < ratio < 3.0


def test_paired_difference_ignores_days_where_a_kpi_is_undefined():
    stat = paired_difference(np.array([1.0, np.nan, 3.0, 5.0]), np.array([2.0, 1.0, np.nan, 7.0]))
    assert stat["n"] == 2 and stat["difference"] == pytest.approx(1.5)


def test_the_advisor_adds_days_until_the_target_is_met(current):
    catch_up = clinicsim.load_scenario(CATCH_UP)
    comparison = compare([current, catch_up], precision=0.04, seed=3)
    advice = comparison.advice
    assert advice.met and max(advice.achieved.values()) <= 0.04
    assert comparison.replications == advice.replications > advice.target.initial
    for results in comparison.results.values():
        summary = results.summary()
        for kpi in advice.target.kpis:
            assert summary.at[kpi, "half_width"] <= 0.04 * abs(summary.at[kpi, "mean"])


def test_the_advisor_stops_at_its_cap_and_says_the_target_was_not_met(current):
    comparison = compare([current, current.with_changes({"name": "copy"})], precision=0.001, max_replications=15)
    assert comparison.replications == 15 and not comparison.advice.met
    assert "not met" in comparison.advice.describe()


def test_wait_attribution_adds_up_to_the_whole_wait(current):
    comparison = compare([current, clinicsim.load_scenario(CATCH_UP)], replications=5, seed=1)
    waits = comparison.wait_attribution()
    for name in comparison.scenarios:
        assert waits.loc[name, "share"].sum() == pytest.approx(1)
        assert waits.loc[(name, "provider_visit"), "share"] > 0.5  # most waiting is for the provider
