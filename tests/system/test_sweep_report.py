"""The sweep report: one valid, self-contained HTML file with every figure as a PNG, also for a sweep that is not
finished; and the Pareto front, exactly right on hand-made points (ties, dominated points, missing values)."""

from __future__ import annotations

import base64
import re
from itertools import product
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from html_checking import check_html

from clinicsim.metrics import lower_is_better
from clinicsim.reports.sweep import render_sweep_report, write_sweep_report
from clinicsim.sweep_plots import plot_factor_heatmap, plot_main_effects, plot_pareto
from clinicsim.sweeps.analysis import factor_levels, format_level, main_effects, pareto_front
from clinicsim.sweeps.runner import run_sweep
from clinicsim.sweeps.spec import load_sweep
from clinicsim.sweeps.store import open_sweep

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BASE = (ROOT / "scenarios" / "family_medicine.yaml").as_posix()
KPIS = ["patients_seen", "provider_wait_mean_min", "provider_overtime_mean_min", "margin"]
PNG = "data:image/png;base64,"


class _Stop(Exception):
    """Stops a sweep part-way, as a crash or Ctrl-C would."""


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """A 2 x 2 grid, 3 days a point: the report of the sweep stopped after two points, then of the whole sweep."""
    tmp = tmp_path_factory.mktemp("sweep")
    spec_path = tmp / "spec.yaml"
    spec_path.write_text(
        "\n".join(
            [
                "name: Report test sweep",
                f"base: {BASE}",
                "design: grid",
                "factors:",
                "  - path: clinic.exam_rooms\n    values: [6, 8]",
                "  - path: templates.fm_20.slot_min\n    values: [15, 20]",
                "replications: 3",
                "seed: 11",
                f"kpis: {KPIS}",
            ]
        )
        + "\n"
    )
    spec, points = load_sweep(spec_path)
    store = tmp / "sweep.db"

    def stop_after_two_points(done: int, total: int) -> None:
        if 6 <= done < total:
            raise _Stop

    with pytest.raises(_Stop):
        run_sweep(spec, points, store, workers=1, progress=stop_after_two_points)
    partial = write_sweep_report(store, tmp / "partial")
    run_sweep(spec, points, store, workers=1)  # resumes
    full = write_sweep_report(store, tmp / "full")
    return {"store": store, "partial": partial, "full": full}


def test_the_report_is_well_formed_html(reports):
    path = reports["full"]
    assert path.name == "sweep_report.html" and path.read_text().startswith("<!DOCTYPE html>")
    checker = check_html(path)
    assert checker.errors == [] and checker.stack == []


def test_the_report_is_self_contained(reports):
    for key in ("full", "partial"):
        checker = check_html(reports[key])
        assert all(url.startswith(PNG) for url in checker.urls), checker.urls
        assert not re.search(r"https?://", reports[key].read_text()), "no external address anywhere"


def test_the_report_shows_every_figure_as_a_png(reports):
    checker = check_html(reports["full"])
    assert len(checker.images) == len(KPIS) + 3  # main effects per KPI, the heatmap, the Pareto front, the ranking
    for source in checker.images:
        png = base64.b64decode(source.removeprefix(PNG))
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    words = checker.words
    titles = ("Main effects on provider wait, mean", "Main effects on margin", "Pareto front: provider wait")
    for title in (*titles, "Plans ranked by provider wait, mean"):
        assert title in words
    assert "Provider wait, mean by clinic.exam_rooms and templates.fm_20.slot_min" in words


def test_the_report_names_the_sweep_its_progress_and_factors(reports):
    words = check_html(reports["full"]).words
    assert "Sweep: Report test sweep" in words
    assert "4 points (plans) × 3 simulated days: 12 of 12 replications done (100%); 4 points complete" in words
    factors = words.split("Factors", 1)[1].split("KPIs", 1)[0]
    assert "clinic.exam_rooms 6, 8 2" in factors and "templates.fm_20.slot_min 15, 20 2" in factors
    assert "not finished" not in words


def test_the_pareto_table_lists_the_front(reports):
    text = reports["full"].read_text()
    front = pareto_front(open_sweep(reports["store"]).points(), "provider_wait_mean_min", "margin")
    section = text.split("<h2>Pareto front", 1)[1].split("<h2>", 1)[0]
    rows = re.findall(r"<tr><td>P(\d+)</td>", section)
    assert [int(r) for r in rows] == front["point"].tolist() and rows
    assert "95% CI" in section and " to " in section


def test_csvs_sit_beside_the_report(reports):
    out = reports["full"].parent
    replications = pd.read_csv(out / "replications.csv")
    points = pd.read_csv(out / "points.csv")
    assert len(replications) == 12 and set(KPIS) <= set(replications.columns)
    assert len(points) == 4 * len(KPIS) and {"point", "kpi", "mean", "ci_low", "ci_high"} <= set(points.columns)
    stored = open_sweep(reports["store"]).points()
    assert np.allclose(points["mean"], stored["mean"]) and np.allclose(points["ci_low"], stored["ci_low"])


def test_a_partial_store_gives_a_report_of_what_is_done(reports):
    checker = check_html(reports["partial"])
    words = checker.words
    assert checker.errors == [] and checker.stack == []
    assert "6 of 12 replications done (50%); 2 points complete" in words and "not finished" in words
    # two points done, both with 6 rooms: only slot length varies, so no heatmap, but main effects and a front
    assert "Heatmap: skipped, it needs two factors that vary" in words
    assert len(checker.images) == len(KPIS) + 2
    assert all(base64.b64decode(s.removeprefix(PNG)).startswith(b"\x89PNG") for s in checker.images)
    assert len(pd.read_csv(reports["partial"].parent / "replications.csv")) == 6


def test_figures_of_kpis_the_sweep_did_not_keep_are_skipped_with_a_note(reports):
    html = render_sweep_report(
        reports["store"],
        kpis=["room_utilization", "margin"],
        pareto=("provider_wait_mean_min", "labor_cost"),
        heatmap=("front_desk_utilization", "clinic.exam_rooms", "templates.fm_20.slot_min"),
    )
    assert "Main effects on Exam room utilization: skipped, the sweep does not keep room_utilization." in html
    assert "Heatmap: skipped, the sweep does not keep front_desk_utilization." in html
    assert "Pareto front: skipped, the sweep does not keep labor_cost." in html
    assert "No Pareto front: the sweep does not keep labor_cost." in html
    assert html.count(PNG) == 2  # margin's main effects, the ranking by provider wait


# -- the figures and their numbers ----------------------------------------------------------------------------


def test_plot_functions_draw_on_the_given_axes(reports):
    results = open_sweep(reports["store"])
    fig, axes = plt.subplots(1, 3)
    assert plot_main_effects(results, "margin", ax=axes[:2]) == list(axes[:2])
    assert (
        plot_factor_heatmap(results, "margin", "clinic.exam_rooms", "templates.fm_20.slot_min", ax=axes[2]) is axes[2]
    )
    assert plot_pareto(results, "provider_wait_mean_min", "margin", ax=axes[0]) is axes[0]
    plt.close(fig)
    with pytest.raises(ValueError, match="not in these results"):
        plot_pareto(results, "provider_wait_mean_min", "labor_cost")


def long_table(means: dict[int, dict[str, float]], factors: dict[int, dict]) -> pd.DataFrame:
    """A per-point table in the layout of SweepResults.points() from point means (intervals of +-1)."""
    rows = [
        {
            "point": p,
            "name": f"p{p}",
            **factors.get(p, {}),
            "kpi": k,
            "mean": v,
            "n": 3,
            "ci_low": v - 1,
            "ci_high": v + 1,
        }
        for p, kpis in means.items()
        for k, v in kpis.items()
    ]
    return pd.DataFrame(rows)


def test_main_effects_average_the_point_means_at_each_level():
    factors = {p: {"a": a, "b": b} for p, (a, b) in enumerate(product([1, 2], ["x", "y", "z"]))}
    values = [10.0, 12.0, 17.0, 20.0, 21.0, 25.0]
    table = long_table({p: {"margin": v} for p, v in enumerate(values)}, factors)
    effects = main_effects(table, "margin").set_index(["factor", "level"])
    low = effects.loc[("a", "1")]
    assert low["mean"] == pytest.approx(13.0) and low["n"] == 3
    half = 4.302652729911275 * np.std([10, 12, 17], ddof=1) / np.sqrt(3)  # t(0.975, 2)
    assert low["ci_high"] - low["mean"] == pytest.approx(half)
    assert effects.loc[("b", "z"), "mean"] == pytest.approx(21.0)
    assert list(effects.loc["b"].index) == ["x", "y", "z"]


def test_the_pareto_front_is_exact_with_ties_and_dominated_points():
    # (provider wait, margin): lower wait and higher margin are better
    points = {
        0: (10, 100),  # on the front
        1: (10, 100),  # tied with 0 on both: neither beats the other, both on the front
        2: (10, 90),  # beaten by 0: same wait, lower margin
        3: (20, 150),  # on the front
        4: (25, 150),  # beaten by 3: longer wait, same margin
        5: (5, 50),  # on the front: the shortest wait
        6: (30, 140),  # beaten by 3
        7: (np.nan, 500),  # no wait measured: left out
        8: (40, 200),  # on the front: the highest margin
        9: (5, 40),  # beaten by 5: same wait, lower margin
    }
    table = long_table({p: {"provider_wait_mean_min": w, "margin": m} for p, (w, m) in points.items()}, {})
    front = pareto_front(table, "provider_wait_mean_min", "margin")
    assert front["point"].tolist() == [5, 0, 1, 3, 8]
    assert front["margin"].tolist() == [50, 100, 100, 150, 200]
    assert front["margin_ci_low"].tolist() == [49, 99, 99, 149, 199]
    # the same front read the other way round, best margin first
    assert pareto_front(table, "margin", "provider_wait_mean_min")["point"].tolist() == [8, 3, 0, 1, 5]
    # a wide table (a row per point) gives the same points
    wide = pd.DataFrame([{"point": p, "provider_wait_mean_min": w, "margin": m} for p, (w, m) in points.items()])
    assert pareto_front(wide, "provider_wait_mean_min", "margin")["point"].tolist() == [5, 0, 1, 3, 8]
    # both "lower is better": wait against overtime
    both = pd.DataFrame(
        {"point": range(5), "provider_wait_mean_min": [1, 2, 3, 1, 2], "provider_overtime_mean_min": [5, 3, 4, 6, 3]}
    )
    assert pareto_front(both, "provider_wait_mean_min", "provider_overtime_mean_min")["point"].tolist() == [0, 1, 4]


def test_the_pareto_front_matches_the_definition_on_many_ties():
    rng = np.random.default_rng(3)
    for _ in range(50):
        wait, margin = rng.integers(0, 6, size=(2, 40)).astype(float)
        wide = pd.DataFrame({"point": range(40), "provider_wait_mean_min": wait, "margin": margin})
        dominated = {
            i
            for i in range(40)
            for j in range(40)
            if wait[j] <= wait[i] and margin[j] >= margin[i] and (wait[j] < wait[i] or margin[j] > margin[i])
        }
        front = pareto_front(wide, "provider_wait_mean_min", "margin")
        assert set(front["point"]) == set(range(40)) - dominated
        assert front["provider_wait_mean_min"].is_monotonic_increasing


def test_the_direction_of_each_kpi():
    lower = ["provider_wait_mean_min", "provider_overtime_mean_min", "labor_cost", "overtime_cost", "cost_per_visit"]
    lower += ["lost_revenue_no_shows", "provider_idle_mean_min", "cycle_time_mean_min", "left_without_being_seen"]
    higher = ["patients_seen", "net_revenue", "margin", "provider_utilization", "room_utilization"]
    higher += ["pct_seen_within_15_min", "wrvu_total", "revenue_per_visit"]
    assert all(lower_is_better(k) for k in lower)
    assert not any(lower_is_better(k) for k in higher)


def test_factor_levels_of_mappings_unset_values_and_samples():
    rules = pd.Series([{"kind": "fixed_interval"}, {"kind": "bailey_welch", "k": 2}, None])
    levels = factor_levels(rules)
    assert list(levels.cat.categories) == ["(base)", "kind=fixed_interval", "kind=bailey_welch, k=2"]
    assert format_level(20.0) == "20" and format_level(0.125) == "0.125"
    sample = pd.Series(np.linspace(2.0, 9.0, 20))
    binned = factor_levels(sample)
    assert len(binned.cat.categories) == 4 and binned.cat.categories[0].startswith("2 to ")
    assert binned.value_counts().tolist() == [5, 5, 5, 5]
