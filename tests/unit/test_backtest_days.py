"""The back-test's observed KPIs and replayed booked lists, on a hand-made export."""

from __future__ import annotations

import math

import pytest

from clinicsim.calibration.backtest import day_appointments, observed_kpis
from clinicsim.calibration.export import read_visits
from clinicsim.scenario import load_scenario

EXPORT = """\
date,appointment_time,visit_type,provider,status,arrived,checked_in,roomed,rooming_done,provider_in,provider_out,checked_out
2027-01-05,08:00,established,Dr Alvarez,arrived,07:50,07:54,08:02,08:08,08:10,08:26,08:30
2027-01-05,08:20,new,Dr Alvarez,no_show,,,,,,,
2027-01-05,13:00,established,Dr Baker,arrived,13:05,13:08,13:10,13:16,13:20,13:40,13:45
2027-01-05,,established,Dr Baker,arrived,09:00,09:03,09:30,09:35,09:40,09:50,09:55
2027-01-05,08:40,established,Dr Baker,cancelled,,,,,,,
"""


@pytest.fixture
def visits(tmp_path):
    path = tmp_path / "visits.csv"
    path.write_text(EXPORT)
    return read_visits(path)


def test_observed_kpis_follow_the_simulated_definitions(visits):
    day = observed_kpis(visits).iloc[0]
    assert day["patients_seen"] == 3
    # waits from the later of arrival and appointment (a walk-in from arrival): 10, 15 and 40 minutes
    assert day["provider_wait_mean_min"] == pytest.approx((10 + 15 + 40) / 3)
    assert day["lobby_wait_mean_min"] == pytest.approx((8 + 2 + 27) / 3)
    assert day["cycle_time_mean_min"] == pytest.approx((40 + 40 + 55) / 3)
    assert day["last_departure_min"] == 13 * 60 + 45


def test_a_day_is_replayed_with_its_own_bookings_and_attendance(visits):
    scenario = load_scenario("scenarios/family_medicine.yaml")
    booked = day_appointments(scenario, visits, "tue")
    assert set(booked) == {"Dr Alvarez", "Dr Baker"}  # the walk-in and the cancellation are not booked
    first, missed = booked["Dr Alvarez"]
    assert (first.time_min, first.session, first.p_no_show) == (480.0, 0, 0.0)
    assert (missed.visit_type, missed.p_no_show) == ("new", 1.0)
    (afternoon,) = booked["Dr Baker"]
    assert afternoon.session == 1 and afternoon.length_min == 20 and not math.isnan(afternoon.time_min)


def test_the_backtest_figure_draws_each_day_against_its_band():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from clinicsim.calibration.backtest import Backtest
    from clinicsim.calibration.plots import plot_backtest

    dates = pd.to_datetime(["2027-01-04", "2027-01-05", "2027-01-06"])
    days = pd.DataFrame(
        {"date": dates, "kpi": "provider_wait_mean_min", "observed": [10.0, 30.0, 2.0], "median": [12.0, 12.0, 12.0],
         "low": [5.0, 5.0, 5.0], "high": [20.0, 20.0, 20.0], "where": ["inside", "above", "below"]}
    )  # fmt: skip
    result = Backtest(days=days, replications=39, skipped=pd.DataFrame(columns=["date", "reason"]))
    figure = plot_backtest(result, kpis=("provider_wait_mean_min",))
    (ax,) = figure.axes
    observed = {line.get_label(): list(line.get_ydata()) for line in ax.lines if line.get_label().startswith("obs")}
    assert observed == {"observed, inside": [10.0], "observed, above": [30.0], "observed, below": [2.0]}
    assert "33% of 3 days inside" in ax.get_title()
    assert result.summary().loc["provider_wait_mean_min", "verdict"].startswith("missed")
    plt.close(figure)


def test_a_data_problem_leaves_a_row_out_only_of_the_waits_it_touches(tmp_path):
    from clinicsim.calibration.quality import check_visits

    broken = EXPORT + (
        "2027-01-05,08:00,established,Dr Alvarez,arrived,07:50,07:54,08:02,08:08,08:10,08:26,08:30\n"  # a duplicate
        "2027-01-05,09:00,established,Dr Alvarez,arrived,08:55,08:58,09:05,09:10,,09:30,23:59\n"  # no provider_in
    )
    path = tmp_path / "broken.csv"
    path.write_text(broken)
    visits = read_visits(path)
    day = observed_kpis(visits, check_visits(visits)).iloc[0]
    assert day["patients_seen"] == 4  # the duplicate counted once; a missing provider_in is still a visit seen
    assert day["provider_wait_mean_min"] == pytest.approx((10 + 15 + 40) / 3)  # no provider_in: no wait to count
    assert day["lobby_wait_mean_min"] == pytest.approx((8 + 2 + 27 + 7) / 4)  # its lobby wait is sound
