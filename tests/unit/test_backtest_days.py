"""The back-test on hand-made exports: its observed KPIs, census by hour and provider overtime, the booked lists
it replays, and a replayed day's bands."""

from __future__ import annotations

import math

import numpy as np
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


# -- the census by hour and provider overtime: hand-made days ----------------------------------------------------

CENSUS_DAY = """\
date,appointment_time,visit_type,provider,status,arrived,checked_in,roomed,rooming_done,provider_in,provider_out,checked_out
2027-01-05,08:00,established,Dr Alvarez,arrived,08:00,08:03,08:10,08:15,08:20,08:40,09:00
2027-01-05,08:40,established,Dr Alvarez,arrived,08:30,08:35,09:20,09:25,09:30,10:05,10:15
2027-01-05,,established,Dr Baker,arrived,09:45,09:46,09:47,09:48,09:50,09:55,09:57
2027-01-05,09:20,established,Dr Alvarez,no_show,,,,,,,
2027-01-05,10:00,established,Dr Baker,arrived,10:00,10:02,10:05,10:09,10:10,10:30,
2027-01-05,10:20,telehealth,Dr Baker,arrived,,,,,10:20,10:35,
"""
"""Three patients with both ``arrived`` and ``checked_out``: 08:00-09:00, 08:30-10:15 and 09:45-09:57; a visit seen
in person without ``checked_out`` counts to its last stamp (10:00-10:30); a no-show and a video visit do not count."""


def read(tmp_path, text: str, name: str = "visits.csv"):
    path = tmp_path / name
    path.write_text(text)
    return read_visits(path)


def test_the_observed_census_is_the_time_average_of_patients_present_in_each_hour(tmp_path):
    from clinicsim.calibration.backtest import observed_census

    census = observed_census(read(tmp_path, CENSUS_DAY))
    (day,) = census.index
    expected = {7: 0.0, 8: (60 + 30) / 60, 9: (60 + 12) / 60, 10: (15 + 30) / 60, 11: 0.0}
    assert {hour: census.loc[day, hour] for hour in expected} == pytest.approx(expected)
    # summed over the day: each patient's minutes in the clinic, in patient-hours
    assert census.loc[day].sum() == pytest.approx((60 + 105 + 12 + 30) / 60)


def test_the_observed_census_leaves_out_a_duplicate_and_a_stamp_in_doubt(tmp_path):
    from clinicsim.calibration.backtest import observed_census
    from clinicsim.calibration.quality import check_visits

    broken = CENSUS_DAY + (
        "2027-01-05,08:00,established,Dr Alvarez,arrived,08:00,08:03,08:10,08:15,08:20,08:40,09:00\n"  # a duplicate
        "2027-01-05,11:00,established,Dr Baker,arrived,11:00,10:30,11:10,11:15,11:20,11:40,11:50\n"  # checked in early
    )
    visits = read(tmp_path, broken)
    assert observed_census(visits).iloc[0][8] == pytest.approx(2 * 60 / 60 + 30 / 60)  # unchecked: counted twice
    census = observed_census(visits, check_visits(visits)).iloc[0]
    # out of order at arrival (checked in before arriving): from its first trusted stamp, roomed at 11:10
    assert census[8] == pytest.approx(1.5) and census[11] == pytest.approx(40 / 60)


OVERTIME_DAY = """\
date,appointment_time,visit_type,provider,status,arrived,checked_in,roomed,rooming_done,provider_in,provider_out,checked_out
2027-01-05,11:40,established,Dr Alvarez,arrived,11:35,11:38,11:45,11:50,11:55,12:10,12:15
2027-01-05,16:40,new,Dr Alvarez,arrived,16:35,16:40,16:42,16:50,16:50,17:25,17:30
2027-01-05,16:20,established,Dr Alvarez,arrived,16:10,16:12,16:15,16:20,16:25,16:45,16:50
2027-01-05,11:20,established,Dr Baker,arrived,11:15,11:18,11:20,11:25,11:30,11:50,11:55
2027-01-05,,established,Dr Baker,arrived,12:10,12:12,12:15,12:18,12:20,12:30,12:35
2027-01-05,16:40,established,Dr Baker,arrived,16:50,16:55,16:58,17:05,17:10,,17:40
2027-01-05,16:40,established,Dr Chen,no_show,,,,,,,
"""
"""Sessions 08:00-12:00 and 13:00-17:00. Dr Alvarez: 10 minutes into lunch (out 12:10), 25 past 17:00 (out 17:25).
Dr Baker: a walk-in seen at lunch (out 12:30: 30 minutes), and a last visit without ``provider_out`` that began
at 17:10 (10 minutes at least). Dr Chen's only patient did not come: no overtime."""


def test_observed_overtime_counts_minutes_past_each_session_until_the_last_visit_out(tmp_path):
    from clinicsim.calibration.backtest import SessionBounds, observed_overtime
    from clinicsim.day_plans import DayPlans

    scenario = load_scenario("scenarios/family_medicine.yaml")
    plan = DayPlans(scenario).plan("tue", frozenset({"NP Diaz"}))
    bounds = SessionBounds.of(plan)
    assert bounds.ends[:, 0].tolist() == [720, 1020] and bounds.next_starts[:, 0].tolist() == [780, math.inf]
    visits = read(tmp_path, OVERTIME_DAY)
    assert observed_overtime(visits, bounds) == pytest.approx((10 + 25 + 30 + 10 + 0) / 3)


def test_observed_overtime_is_clipped_at_the_next_session_and_ignores_stamps_in_doubt(tmp_path):
    from clinicsim.calibration.backtest import SessionBounds, observed_overtime, overtime_by_visits
    from clinicsim.calibration.quality import check_visits
    from clinicsim.day_plans import DayPlans

    plan = DayPlans(load_scenario("scenarios/family_medicine.yaml")).plan("tue", frozenset({"Dr Chen", "NP Diaz"}))
    bounds = SessionBounds.of(plan)
    # a visit from 12:50 to 13:20 keeps Dr Alvarez on through lunch: the 60 minutes of it, not 80
    assert overtime_by_visits(bounds, np.array([0]), np.array([770.0]), np.array([800.0])) == pytest.approx(60 / 2)
    # one begun after 13:00 belongs to the afternoon, which it does not overrun
    assert overtime_by_visits(bounds, np.array([1]), np.array([790.0]), np.array([800.0])) == 0
    assert math.isnan(observed_overtime(read(tmp_path, OVERTIME_DAY).iloc[:0], bounds))  # no stamp: no data
    too_long = OVERTIME_DAY.replace("16:50,17:25,17:30", "16:50,23:25,17:30")  # out after check-out
    visits = read(tmp_path, too_long, "too_long.csv")
    assert observed_overtime(visits, bounds) == pytest.approx((10 + 6 * 60 + 25 + 30 + 10) / 2)  # taken as written
    # in doubt, 23:25 is left out and the visit counts to its provider_in (16:50): Dr Alvarez's afternoon ends in
    # time, leaving the 10 minutes of lunch
    assert observed_overtime(visits, bounds, check_visits(visits)) == pytest.approx((10 + 30 + 10) / 2)


def test_a_replayed_day_has_a_census_band_for_every_open_hour(visits):
    from clinicsim.calibration.backtest import BACKTEST_KPIS, OVERTIME_KPI, backtest

    scenario = load_scenario("scenarios/family_medicine.yaml")
    result = backtest(scenario, visits, replications=9, seed=1)
    census = result.days[result.days["kpi"].str.startswith("census_")].set_index("kpi")
    assert list(census.index) == [f"census_{h:02d}" for h in range(7, 18)]  # the clinic opens 07:30, closes 17:30
    assert (census["low"] <= census["median"]).all() and (census["median"] <= census["high"]).all()
    # replayed: Dr Alvarez's 08:00 and Dr Baker's 13:00, one patient in the building at a time at most
    assert (census["low"] >= 0).all() and (census["high"] <= 1).all()
    assert (census.loc[["census_10", "census_11", "census_16", "census_17"], "high"] == 0).all()
    assert census.loc["census_08", "median"] > 0.3 and census.loc["census_13", "median"] > 0.3
    # observed: the walk-in at 09:00-09:55 is in the clinic, but walk-ins are not replayed (the scenario has none)
    assert census.loc["census_09", "observed"] == pytest.approx(55 / 60) and census.loc["census_09", "where"] == "above"
    assert list(result.summary().index) == [*BACKTEST_KPIS, *census.index]
    overtime = result.days.set_index("kpi").loc[OVERTIME_KPI]
    assert overtime["observed"] == 0 and overtime["where"] == "inside"  # both finish long before their sessions end


def test_a_row_written_twice_is_replayed_once(tmp_path):
    from clinicsim.calibration.backtest import backtest
    from clinicsim.calibration.quality import check_visits

    scenario = load_scenario("scenarios/family_medicine.yaml")
    lines = EXPORT.splitlines()
    twice = tmp_path / "twice.csv"
    twice.write_text("\n".join([*lines[:2], lines[1], *lines[2:]]) + "\n")  # Dr Alvarez's 08:00 written twice
    once = tmp_path / "once.csv"
    once.write_text(EXPORT)
    results = []
    for path in (once, twice):
        visits = read_visits(path)
        results.append(backtest(scenario, visits, replications=5, seed=1, quality=check_visits(visits)).days)
    assert results[1].equals(results[0])


def test_the_census_figure_draws_the_mean_observed_census_and_each_hours_share_inside():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from clinicsim.calibration.backtest import Backtest
    from clinicsim.calibration.plots import plot_backtest_census

    dates = pd.to_datetime(["2027-01-04", "2027-01-05"])
    rows = [
        {"date": date, "kpi": f"census_{hour:02d}", "observed": observed, "median": 4.0, "low": 2.0, "high": 6.0,
         "where": "inside" if 2 <= observed <= 6 else "above"}
        for hour, values in ((9, (3.0, 5.0)), (8, (1.0, 7.0)))
        for date, observed in zip(dates, values)
    ]  # fmt: skip
    result = Backtest(days=pd.DataFrame(rows), replications=39, skipped=pd.DataFrame(columns=["date", "reason"]))
    table = result.census_by_hour()
    assert list(table.index) == [8, 9] and table["observed"].tolist() == [4.0, 4.0]
    assert table["inside_pct"].tolist() == [0.0, 100.0] and table["days"].tolist() == [2, 2]
    figure = plot_backtest_census(result)
    top, bottom = figure.axes
    (observed,) = [line for line in top.lines if line.get_label().startswith("observed")]
    assert list(observed.get_xdata()) == [8.5, 9.5] and list(observed.get_ydata()) == [4.0, 4.0]
    assert [bar.get_height() for bar in bottom.patches] == [0.0, 1.0]
    assert [tick.get_text() for tick in bottom.get_xticklabels()] == ["08:00", "09:00", "10:00"]
    plt.close(figure)
