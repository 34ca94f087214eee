"""Figures that read right: what each figure says agrees with what it draws (issue 14).

- The differences chart: axis, ticks and labels all in % of the baseline mean, with the absolute difference beside
  each label; whiskers never leave the axis (cut with an arrow instead); KPIs without a meaningful percentage (a
  baseline of 0, a clock time) are a note in absolute terms. Hand-made differences, so each case is certain.
- The utilization heatmap: the mean number on duty under each percentage, and hours with fewer than half of a role
  on duty (the providers' lunch hour in family_medicine.yaml) greyed and hatched instead of coloured.
- The Gantt: which day it draws ("typical", "worst" or an id) and why, from hand-made KPIs and from a simulation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle

import clinicsim
from clinicsim import plots
from clinicsim.experiment import Results

matplotlib.use("Agg")

FAMILY = Path(__file__).resolve().parents[2] / "scenarios" / "family_medicine.yaml"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def family() -> Results:
    return clinicsim.simulate(FAMILY, replications=3)


@dataclass
class HandMadeComparison:
    """What ``plot_differences`` reads of a Comparison, with differences written by hand."""

    rows: dict[str, tuple[float, float, float, float]]  # kpi: baseline mean, difference, ci low, ci high
    baseline: str = "today"
    scenarios: tuple[str, ...] = ("today", "plan")

    def differences(self, *, confidence: float = 0.95) -> pd.DataFrame:
        frame = pd.DataFrame(
            [(("plan", kpi), *values) for kpi, values in self.rows.items()],
            columns=["key", "baseline_mean", "difference", "ci_low", "ci_high"],
        )
        frame.index = pd.MultiIndex.from_tuples(frame.pop("key"), names=["scenario", "kpi"])
        return frame


def texts(labels) -> list[str]:
    return [label.get_text() for label in labels]


def right_labels(ax) -> list[str]:
    (right,) = [other for other in ax.figure.axes if other is not ax]
    return texts(right.get_yticklabels())


def whisker_xs(ax) -> np.ndarray:
    (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    xs = np.concatenate([np.asarray(s).reshape(-1, 2)[:, 0] for s in bars.lines[2][0].get_segments()])
    return xs[np.isfinite(xs)]


def arrows(ax, marker: str) -> list[tuple[float, float]]:
    return [(x, y) for line in ax.get_lines() if line.get_marker() == marker for x, y in line.get_xydata()]


def test_differences_read_in_percent_and_whiskers_stay_on_the_axis():
    comparison = HandMadeComparison(
        {
            "provider_wait_mean_min": (10.0, -5.0, -12.0, 2.0),  # -50%, interval -120% to +20%
            "cycle_time_mean_min": (40.0, 4.0, 1.0, 7.0),  # +10%
            "room_utilization": (0.6, -0.1, -0.12, -0.08),  # -17%, -10 percentage points
            "patients_seen": (80.0, 0.0, 0.0, 0.0),
        }
    )
    ax = plots.plot_differences(comparison, kpis=list(comparison.rows))  # type: ignore[arg-type]
    ax.figure.canvas.draw()
    low, high = ax.get_xlim()
    ticks = [t.get_text() for t in ax.get_xticklabels() if low <= t.get_position()[0] <= high]
    assert ticks and all(t.endswith("%") for t in ticks)
    assert right_labels(ax) == ["-50% (-5.0 min)", "+10% (+4.0 min)", "-17% (-10.0 pts)", "0% (0.0 patients)"]
    xs = whisker_xs(ax)
    assert xs.min() >= plots.PERCENT_FLOOR and low <= xs.min() and xs.max() <= high  # cut at -100%, not -120%
    assert arrows(ax, "<") == [(plots.PERCENT_FLOOR, 0.0)]  # the wait's interval runs on to the left
    assert arrows(ax, ">") == []
    assert "% of its mean" in ax.get_xlabel() and "beyond the axis" in ax.get_xlabel()


def test_differences_without_a_percentage_are_a_note_and_far_estimates_an_arrow():
    comparison = HandMadeComparison(
        {
            "staff_overtime_mean_min": (0.01, 1.2, 0.2, 2.2),  # a baseline of 0.0 min: no percentage
            "last_departure_min": (1050.0, -6.0, -10.0, -2.0),  # a clock time: no percentage
            "lobby_wait_mean_min": (1.0, 9.0, 8.0, 10.0),  # +900%: beyond the axis's ceiling
            "provider_wait_mean_min": (10.0, -2.0, -3.0, -1.0),
        }
    )
    ax = plots.plot_differences(comparison, kpis=list(comparison.rows))  # type: ignore[arg-type]
    notes = texts(ax.texts)
    assert notes == [
        "baseline 0.0, so no %: +1.2 min (+0.2 to +2.2)",
        "a clock time, so no %: -6.0 min (-10.0 to -2.0)",
    ]
    assert right_labels(ax) == ["+1.2 min", "-6.0 min", "+900% (+9.0 min)", "-20% (-2.0 min)"]
    (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    markers = bars.lines[0].get_xdata()
    assert np.isnan(markers[:3]).all() and markers[3] == pytest.approx(-20)  # no marker off the axis's scale
    low, high = ax.get_xlim()
    assert high < plots.PERCENT_CEILING + 20 and arrows(ax, ">") == [(plots.PERCENT_CEILING, 2.0)]
    assert whisker_xs(ax).max() <= high


def test_which_kpis_are_shown_as_percent():
    assert plots.shown_as_percent(0.05, "min") and not plots.shown_as_percent(0.04, "min")
    assert plots.shown_as_percent(0.01, "fraction") and not plots.shown_as_percent(0.0004, "fraction")
    assert not plots.shown_as_percent(0.0, "patients") and plots.shown_as_percent(-500.0, "currency")
    assert not plots.shown_as_percent(1050.0, "clock min") and not plots.shown_as_percent(np.nan, "min")


def test_heatmap_greys_the_providers_lunch_hour_and_shows_who_is_on_duty(family):
    ax = plots.plot_utilization_heatmap(family)
    rows = texts(ax.get_yticklabels())
    hours = [label.get_text() for label in ax.get_xticklabels()][:-1]  # each cell's start
    providers, noon, ten = rows.index("Providers"), hours.index("12:00"), hours.index("10:00")
    hatched = {
        (round(p.get_y() + 0.5), round(p.get_x() + 0.5))
        for p in ax.patches
        if isinstance(p, Rectangle) and p.get_hatch()
    }
    assert (providers, noon) in hatched  # the morning's last visits run into the lunch hour: few on duty
    assert (providers, ten) not in hatched
    (image,) = [a for a in ax.get_children() if isinstance(a, AxesImage)]
    assert image.get_array().mask[providers, noon] and not image.get_array().mask[providers, ten]
    under = {(round(t.get_position()[1] - 0.24), round(t.get_position()[0])): t.get_text() for t in ax.texts}
    assert under[(providers, ten)] == "4.0 of 4"
    assert float(under[(providers, noon)].split(" of ")[0]) < 2
    assert texts(ax.get_legend().get_texts()) == ["fewer than half the role on duty: % of the few still there"]


def hand_made_results(waits: list[float], ids: list[int] | None = None) -> Results:
    ids = list(range(len(waits))) if ids is None else ids
    kpis = pd.DataFrame({"replication": ids, "provider_wait_mean_min": waits})
    return Results(scenario=clinicsim.load_scenario(FAMILY), seed=1, logs=[], kpis=kpis)


def test_choose_day_picks_the_median_and_the_worst_day():
    results = hand_made_results([10.0, 30.0, 12.0, 11.0, np.nan, 50.0])  # a day without a seen patient: passed over
    assert plots.choose_day(results, "typical") == 2  # median of 10, 11, 12, 30, 50 is 12
    assert plots.choose_day(results) == 2
    assert plots.choose_day(results, "worst") == 5
    assert plots.choose_day(results, 4) == 4
    assert plots.describe_day(results, "typical") == "day 2 of 6 (typical: mean provider wait 12.0 min, the median day)"
    assert (
        plots.describe_day(results, "worst")
        == "day 5 of 6 (worst: mean provider wait 50.0 min, the longest of the 6 days)"
    )
    assert plots.describe_day(results, 4) == "day 4 of 6 (no patient seen; median of the 6 days 12.0 min)"
    with pytest.raises(ValueError, match="no replication 9"):
        plots.choose_day(results, 9)
    with pytest.raises(ValueError, match="'typical' or 'worst'"):
        plots.choose_day(results, "best")  # type: ignore[arg-type]


def test_choose_day_between_two_middle_days_takes_the_first_and_says_so():
    results = hand_made_results([20.0, 10.0, 40.0, 30.0], ids=[30, 31, 32, 33])  # median 25: 20 and 30 are as near
    assert plots.choose_day(results) == 30
    assert plots.describe_day(results) == (
        "day 30, one of 4 simulated (typical: mean provider wait 20.0 min, nearest the median of the 4 days, 25.0 min)"
    )
    assert plots.choose_day(hand_made_results([np.nan, np.nan]), "worst") == 0


def test_gantt_draws_the_chosen_day_and_says_which(family):
    waits = family.kpis.set_index("replication")["provider_wait_mean_min"]
    worst = int(waits.idxmax())
    ax = plots.plot_gantt(family, day="worst")
    assert f"on day {worst} of 3\n(worst: mean provider wait {waits[worst]:.1f} min" in ax.get_title()
    visits = family.events.query(f"replication == {worst} and step in ('provider_visit', 'documentation')")
    bars = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert sum(len(c.get_paths()) for c in bars) == len(visits)
    typical = plots.choose_day(family)
    assert waits[typical] == waits.median()  # three days: the typical one is the median day
    assert re.search(rf"on day {typical} of 3\n\(typical: .*the median day\)", plots.plot_gantt(family).get_title())
    assert "on day 0 of 3" in plots.plot_gantt(family, day="worst", replication=0).get_title()  # the old name wins
