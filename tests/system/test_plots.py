"""Every figure draws on a small comparison of the bundled family-medicine scenario with a ten-room variant.

Each plot function returns its Axes with the expected rows, lines and labels, draws on an Axes it is given, and
saves to PNG. The Agg backend is forced, so the tests run without a display.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle

import clinicsim
from clinicsim import plots
from clinicsim.comparison import Comparison, compare
from clinicsim.metrics import REGISTRY
from clinicsim.timeseries import utilization_by_hour

matplotlib.use("Agg")  # no display needed, whatever the environment says

FAMILY = Path(__file__).resolve().parents[2] / "scenarios" / "family_medicine.yaml"
CLOCK = re.compile(r"^\d\d:\d\d$")


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    current = clinicsim.load_scenario(FAMILY)
    return compare({"current": current, "10 rooms": current.with_changes({"clinic.exam_rooms": 10})}, replications=3)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(labels) -> list[str]:
    return [label.get_text() for label in labels]


def clock_ticks(ax: Axes) -> list[str]:
    """The x tick labels that are drawn (inside the view), after the figure is drawn."""
    ax.figure.canvas.draw()
    low, high = ax.get_xlim()
    return [t.get_text() for t in ax.get_xticklabels() if low <= t.get_position()[0] <= high]


FIGURES = {
    "differences": lambda c, ax: plots.plot_differences(c, ax=ax),
    "wait_distribution": lambda c, ax: plots.plot_wait_distribution(c, ax=ax),
    "census": lambda c, ax: plots.plot_census(c, ax=ax),
    "utilization_heatmap": lambda c, ax: plots.plot_utilization_heatmap(c.results["current"], ax=ax),
    "gantt": lambda c, ax: plots.plot_gantt(c.results["current"], replication=1, ax=ax),
    "template": lambda c, ax: plots.plot_template(c.results["current"].scenario, ax=ax),
}


@pytest.mark.parametrize("name", FIGURES)
def test_draws_on_a_given_axes_and_saves_to_png(name, comparison, tmp_path):
    fig, ax = plt.subplots()
    assert FIGURES[name](comparison, ax) is ax
    path = tmp_path / f"{name}.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", FIGURES)
def test_makes_its_own_figure_without_an_axes(name, comparison, tmp_path):
    ax = FIGURES[name](comparison, None)
    assert isinstance(ax, Axes)
    ax.figure.savefig(tmp_path / f"{name}.png")


def test_differences_have_a_row_per_kpi_with_its_registry_label(comparison):
    ax = plots.plot_differences(comparison)
    kpis = plots.DEFAULT_DIFFERENCE_KPIS
    assert texts(ax.get_yticklabels()) == [REGISTRY[k].label for k in kpis]
    (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]  # one non-baseline scenario
    assert len(bars.lines[0].get_xdata()) == len(kpis)
    assert texts(ax.get_legend().get_texts()) == ["10 rooms"]
    assert "% of its mean" in ax.get_xlabel()


def test_differences_of_chosen_kpis_show_the_absolute_difference_too(comparison):
    ax = plots.plot_differences(comparison, kpis=["room_utilization", "provider_wait_mean_min"])
    assert texts(ax.get_yticklabels()) == ["Exam room utilization", "Provider wait, mean"]
    (right,) = [other for other in ax.figure.axes if other is not ax]
    room, wait = texts(right.get_yticklabels())
    assert re.fullmatch(r"-\d+% \(-\d+\.\d pts\)", room)  # more rooms, each one less used: "-17% (-11.2 pts)"
    assert re.fullmatch(r"(0|[+-][\d.]+)% \((0\.0|[+-]\d+\.\d) min\)", wait)
    with pytest.raises(ValueError, match="unknown KPIs: no_such_kpi"):
        plots.plot_differences(comparison, kpis=["no_such_kpi"])


def test_wait_distribution_has_a_line_per_scenario_and_the_15_minute_mark(comparison):
    ax = plots.plot_wait_distribution(comparison)
    legend = texts(ax.get_legend().get_texts())
    assert [t.split(" (")[0] for t in legend] == ["current", "10 rooms"]
    assert all("seen within 15 min: " in t for t in legend)
    assert any(list(line.get_xdata()) == [15, 15] for line in ax.get_lines())
    assert ax.get_xlabel() == "Provider wait per seen patient (min)"
    single = plots.plot_wait_distribution(comparison.results["10 rooms"])
    assert len(single.get_legend().get_texts()) == 1


def test_census_has_a_mean_line_and_band_per_scenario_on_a_clock_axis(comparison):
    ax = plots.plot_census(comparison, place="exam_rooms_waiting")
    assert [line.get_label() for line in ax.get_lines()] == ["current", "10 rooms"]
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 2
    ticks = clock_ticks(ax)
    assert ticks and all(CLOCK.match(t) for t in ticks) and "12:00" in ticks
    assert ax.get_ylabel() == "Patients in an exam room waiting for the provider"
    with pytest.raises(ValueError, match="unknown place"):
        plots.plot_census(comparison, place="lobby")


def test_heatmap_shows_every_staffed_hour_as_a_percentage(comparison):
    results = comparison.results["current"]
    ax = plots.plot_utilization_heatmap(results)
    table = utilization_by_hour(results)
    (image,) = [a for a in ax.get_children() if isinstance(a, AxesImage)]
    assert image.get_clim() == (0, 100)
    assert texts(ax.get_yticklabels()) == ["Providers", "Medical assistants", "Front desk", "Exam rooms"]
    cells = [t.get_text() for t in ax.texts]
    percentages = [t for t in cells if t.endswith("%")]
    headcounts = [t for t in cells if not t.endswith("%")]  # the mean number on duty under each percentage
    assert len(percentages) == len(headcounts) == int(np.isfinite(table.to_numpy()).sum())
    assert all(re.fullmatch(r"\d+%", t) for t in percentages)
    assert all(re.fullmatch(r"\d+\.\d of \d+", t) for t in headcounts)
    assert texts(ax.get_xticklabels())[:2] == ["07:00", "08:00"]
    assert len(ax.figure.axes) == 2  # and its colour bar


def test_gantt_has_a_row_per_provider_with_appointments_and_visits(comparison):
    results = comparison.results["current"]
    ax = plots.plot_gantt(results, replication=1)
    plan = clinicsim.plan_day(results.scenario)
    assert texts(ax.get_yticklabels()) == ["Dr Alvarez", "Dr Baker", "Dr Chen", "NP Diaz"]
    boxes = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(boxes) == sum(len(day.appointments) for day in plan.providers)
    visits = results.events.query("replication == 1 and step in ('provider_visit', 'documentation')")
    bars = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert sum(len(c.get_paths()) for c in bars) == len(visits)
    legend = texts(ax.get_legend().get_texts())
    assert legend[:3] == ["new", "established", "telehealth"] and "documentation" in legend
    assert all(CLOCK.match(t) for t in clock_ticks(ax))
    assert "day 0 of 3" in plots.plot_gantt(results, replication=0).get_title()
    assert "(typical: " in plots.plot_gantt(results).get_title()  # the typical day by default
    with pytest.raises(ValueError, match="no replication 7"):
        plots.plot_gantt(results, replication=7)


def test_template_has_a_box_per_slot_and_marks_double_booking(comparison):
    scenario = comparison.results["current"].scenario.with_changes({"templates.fm_20.double_book": ["08:20"]})
    ax = plots.plot_template(scenario)
    assert texts(ax.get_yticklabels()) == [
        f"{name} (fm_20)" for name in ("Dr Alvarez", "Dr Baker", "Dr Chen", "NP Diaz")
    ]
    slots, hatched = 4 * 24, 4  # 24 twenty-minute slots a day; one double-booked slot per provider
    assert len(ax.patches) == slots + hatched
    assert [t.get_text() for t in ax.texts] == ["×2"] * 4
    legend = texts(ax.get_legend().get_texts())
    assert legend == ["new", "established", "telehealth", "×n patients at this time"]
    assert all(CLOCK.match(t) for t in clock_ticks(ax))
