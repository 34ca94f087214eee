"""The access figures draw what their tables say, on a small booking run of the bundled access scenario.

One run of the family-medicine access scenario (6 reported weeks after 2 of warm-up, 3 replications) and one
comparison with a variant serve every test. Each figure is read back from its Axes: the number of lines or bars
is what the data says (one line per provider, one bar per lead time and urgency class, one bar per weekday and
stream), the drawn values equal the table's, and titles and axis labels are there. The Agg backend is forced, so
the tests run without a display.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure

from clinicsim.access import AccessResults, compare_access, simulate_access
from clinicsim.access import plots as access_plots
from clinicsim.access.tables import lead_time_distribution
from clinicsim.comparison import Comparison
from clinicsim.metrics import find_metric, p90
from clinicsim.scenario import load_scenario

matplotlib.use("Agg")  # no display needed, whatever the environment says

ACCESS = Path(__file__).resolve().parents[2] / "scenarios" / "family_medicine_access.yaml"
WEEKS, WARM_UP, REPLICATIONS = 6, 2, 3


@pytest.fixture(scope="module")
def results() -> AccessResults:
    return simulate_access(ACCESS, weeks=WEEKS, warm_up=WARM_UP, replications=REPLICATIONS)


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    current = load_scenario(ACCESS)
    more = current.with_changes({"access.same_day.overbooks_per_provider": 4})
    return compare_access({"current": current, "4 overbooks": more}, weeks=3, warm_up=1, replications=3)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def providers(results: AccessResults) -> list[str]:
    return [p.name for p in results.scenario.providers]


# -- third-next-available and backlog over weeks ---------------------------------------------------------------


def test_weekly_intervals_have_the_means_of_weekly(results):
    """The figure's table has weekly()'s means, and its interval holds the mean (3 replications: finite)."""
    table = access_plots.weekly_access_intervals(results, visit_type="new").set_index(["week", "provider"])
    weekly = results.weekly()
    new = weekly[weekly["visit_type"] == "new"].set_index(["week", "provider"])
    assert len(table) == WEEKS * len(providers(results))
    np.testing.assert_allclose(table["third_next_available_days"], new["third_next_available_days"].loc[table.index])
    np.testing.assert_allclose(table["backlog"], new["backlog"].loc[table.index])
    assert (table["n_replications"] == REPLICATIONS).all()
    for column in ("third_next_available_days", "backlog"):
        assert (table[f"{column}_low"] <= table[column]).all() and (table[column] <= table[f"{column}_high"]).all()
        assert (table[f"{column}_high"] > table[f"{column}_low"]).any()


def test_weekly_intervals_over_every_visit_type_pool_the_measurements(results):
    """Without a visit type, third-next-available is the mean over every visit type (each measured every day)."""
    table = access_plots.weekly_access_intervals(results).set_index(["week", "provider"])
    pooled = results.weekly().groupby(["week", "provider"])["third_next_available_days"].mean()
    np.testing.assert_allclose(table["third_next_available_days"], pooled.loc[table.index])


def test_tnaa_and_backlog_draw_one_line_per_provider_with_the_table_values(results):
    fig = access_plots.tnaa_and_backlog_over_weeks(results)
    assert isinstance(fig, Figure)
    top, bottom = fig.axes[:2]
    assert top.get_shared_x_axes().joined(top, bottom)
    table = access_plots.weekly_access_intervals(results)
    names = providers(results)
    for ax, column in ((top, "third_next_available_days"), (bottom, "backlog")):
        assert len(ax.lines) == len(names)
        assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == len(names)  # one band each
        for line, provider in zip(ax.lines, names):
            mine = table[table["provider"] == provider]
            assert line.get_label() == provider
            np.testing.assert_array_equal(line.get_xdata(), np.arange(1, WEEKS + 1))
            np.testing.assert_allclose(line.get_ydata(), mine[column])
    assert top.get_ylabel() == f"{find_metric('third_next_available_days').label} (days)"
    assert "Backlog" in bottom.get_ylabel() and "appointments" in bottom.get_ylabel()
    assert "week" in bottom.get_xlabel().lower()
    assert results.scenario.name in fig.get_suptitle()
    assert top.get_title(loc="left") and bottom.get_title(loc="left")
    legend = [t.get_text() for t in top.get_legend().get_texts()]
    assert legend == [*names, "95% interval over 3 replications"]


def test_tnaa_of_one_visit_type(results):
    fig = access_plots.tnaa_and_backlog_over_weeks(results, visit_type="telehealth")
    top = fig.axes[0]
    weekly = results.weekly()
    telehealth = weekly[weekly["visit_type"] == "telehealth"]
    for line, provider in zip(top.lines, providers(results)):
        np.testing.assert_allclose(
            line.get_ydata(), telehealth.loc[telehealth["provider"] == provider, "third_next_available_days"]
        )
    assert "telehealth" in top.get_ylabel() and "telehealth" in top.get_title(loc="left")
    with pytest.raises(ValueError, match="visit type 'house call'"):
        access_plots.tnaa_and_backlog_over_weeks(results, visit_type="house call")


def test_one_replication_draws_no_band():
    one = simulate_access(ACCESS, weeks=2, warm_up=1, replications=1)
    fig = access_plots.tnaa_and_backlog_over_weeks(one)
    assert not any(isinstance(c, PolyCollection) for ax in fig.axes for c in ax.collections)
    assert len(fig.axes[0].lines) == len(providers(one))


# -- lead time ----------------------------------------------------------------------------------------------


def test_lead_time_bars_are_the_distribution_table(results):
    table = lead_time_distribution(results)
    fig = access_plots.lead_time_distribution_plot(results)
    classes = [u for u in ("same_day", "routine", "follow_up", "new_patient") if u in table.columns]
    assert len(fig.axes) == len(classes) == 4
    for ax, urgency in zip(fig.axes, classes):
        assert len(ax.patches) == len(table)
        np.testing.assert_allclose([p.get_height() for p in ax.patches], table[urgency])
        np.testing.assert_allclose([p.get_x() + p.get_width() / 2 for p in ax.patches], table.index)
        assert urgency.replace("_", "-") in ax.get_title(loc="left").lower()
        assert ax.get_ylabel()
    assert "Lead time" in fig.axes[-1].get_xlabel() and "days" in fig.axes[-1].get_xlabel()
    assert results.scenario.name in fig.get_suptitle()


def test_lead_time_marks_the_routine_mean_and_p90(results):
    fig = access_plots.lead_time_distribution_plot(results)
    routine = fig.axes[1]
    requests = results.requests
    booked = requests[
        (requests["day"] >= WARM_UP * 7)
        & requests["outcome"].isin(["booked", "overbooked"])
        & (requests["urgency"] == "routine")
    ]["lead_days"].to_numpy(dtype=float)
    table = lead_time_distribution(results)
    mean, ninetieth = (line.get_xdata()[0] for line in routine.lines)
    assert mean == pytest.approx(booked.mean())
    assert mean == pytest.approx((table.index * table["routine"]).sum())  # the bars' own mean
    assert ninetieth == pytest.approx(p90(booked))
    legend = [t.get_text() for t in routine.get_legend().get_texts()]
    assert f"mean {booked.mean():.1f} days" in legend and f"90th percentile {p90(booked):.1f} days" in legend


def test_lead_time_clipped(results):
    fig = access_plots.lead_time_distribution_plot(results, max_days=10)
    assert all(len(ax.patches) == 11 for ax in fig.axes)
    follow_up = fig.axes[2]
    assert follow_up.patches[-1].get_height() == pytest.approx(1.0)  # every follow-up is 28 days or more ahead


# -- demand against capacity by weekday -------------------------------------------------------------------------


def test_demand_and_capacity_table_counts_by_hand(results):
    table = access_plots.demand_and_capacity_by_weekday(results)
    assert list(table.index) == ["mon", "tue", "wed", "thu", "fri"]
    stack = [
        "requests_same_day_per_day",
        "requests_routine_per_day",
        "requests_follow_up_per_day",
        "requests_new_patient_per_day",
    ]
    assert list(table.columns) == [
        *stack,
        "requests_per_day",
        "template_slots_per_day",
        "appointments_kept_per_day",
        "n_clinic_days",
    ]
    np.testing.assert_allclose(table[stack].sum(axis=1), table["requests_per_day"])
    run = results.runs[0]
    days = [d for d in run.reported_days if run.clinic_days[d]]
    assert table["n_clinic_days"].sum() == len(days)
    mondays = [d for d in days if d % 7 == 0]  # access.start is a Monday
    assert table.loc["mon", "n_clinic_days"] == len(mondays)
    requests = results.requests
    on_mondays = requests["day"].isin(mondays).sum() / (len(mondays) * REPLICATIONS)
    assert table.loc["mon", "requests_per_day"] == pytest.approx(on_mondays)
    positions = run.positions
    slots = (positions["day"].isin(mondays) & positions["template"]).sum() / len(mondays)
    assert table.loc["mon", "template_slots_per_day"] == pytest.approx(slots)
    b = results.bookings
    kept = (b["day"].isin(mondays) & b["cancelled_at_min"].isna()).sum() / (len(mondays) * REPLICATIONS)
    assert table.loc["mon", "appointments_kept_per_day"] == pytest.approx(kept)
    # every request made on a clinic day is in the table
    all_days = table["requests_per_day"] * table["n_clinic_days"] * REPLICATIONS
    assert all_days.sum() == pytest.approx(requests["day"].isin(days).sum())


def test_demand_and_capacity_by_visit_type_has_the_same_totals(results):
    by_urgency = access_plots.demand_and_capacity_by_weekday(results)
    by_type = access_plots.demand_and_capacity_by_weekday(results, by="visit_type")
    assert [c for c in by_type.columns if c.startswith("requests_") and c != "requests_per_day"] == [
        f"requests_{v}_per_day" for v in results.scenario.visit_types if v in set(results.requests["visit_type"])
    ]
    shared = ["requests_per_day", "template_slots_per_day", "appointments_kept_per_day", "n_clinic_days"]
    pd.testing.assert_frame_equal(by_urgency[shared], by_type[shared])
    with pytest.raises(ValueError, match="by must be"):
        access_plots.demand_and_capacity_by_weekday(results, by="provider")  # type: ignore[arg-type]


def test_demand_vs_capacity_draws_the_table(results):
    table = access_plots.demand_and_capacity_by_weekday(results)
    fig = access_plots.demand_vs_capacity_by_weekday(results)
    ax = fig.axes[0]
    stack = [c for c in table.columns if c.startswith("requests_") and c != "requests_per_day"]
    n = len(table)
    assert len(ax.patches) == n * len(stack)
    bottom = np.zeros(n)
    for k, column in enumerate(stack):
        bars = ax.patches[k * n : (k + 1) * n]
        np.testing.assert_allclose([p.get_height() for p in bars], table[column])
        np.testing.assert_allclose([p.get_y() for p in bars], bottom)
        bottom += table[column].to_numpy()
    np.testing.assert_allclose(bottom, table["requests_per_day"])  # the stack's top is every request
    slots, kept = ax.lines
    np.testing.assert_allclose(slots.get_ydata()[::3], table["template_slots_per_day"])
    np.testing.assert_allclose(kept.get_ydata(), table["appointments_kept_per_day"])
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert [t.split("\n")[0] for t in ticks] == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    assert ax.get_ylabel() and ax.get_xlabel()
    assert "template slots" in ax.get_title() and results.scenario.name in ax.get_title()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        "requests: new-patient",
        "requests: follow-up",
        "requests: routine",
        "requests: same-day",
        "template slots",
        "appointments kept",
    ]


def test_demand_vs_capacity_on_a_given_axes(results):
    fig, (left, right) = plt.subplots(1, 2)
    assert access_plots.demand_vs_capacity_by_weekday(results, ax=right) is fig
    assert not left.patches and right.patches


# -- plans compared -----------------------------------------------------------------------------------------


def test_access_differences_has_a_row_per_kpi_and_a_marker_per_plan(comparison):
    fig = access_plots.access_differences(comparison)
    ax = fig.axes[0]
    kpis = access_plots.ACCESS_DIFFERENCE_KPIS
    assert [t.get_text() for t in ax.get_yticklabels()] == [find_metric(k).label for k in kpis]
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 1  # one plan besides the baseline
    differences = comparison.differences().loc["4 overbooks"].reindex(list(kpis))
    base = differences["baseline_mean"].to_numpy(dtype=float)
    drawn = bars[0].lines[0].get_xdata()
    expected = 100 * differences["difference"].to_numpy(dtype=float) / np.abs(base)
    shown = np.isfinite(drawn)
    assert shown.any()
    np.testing.assert_allclose(drawn[shown], expected[shown])
    assert "current" in ax.get_title() and "current" in ax.get_xlabel()
