"""The sweep report read at a glance (issue 14): short labels for long list and mapping levels with a legend,
named points by their names, a chart ranking the plans by one KPI with their intervals, and the answer first: the
Pareto front in words, from the numbers.

Exact wording is checked on hand-made snapshots (known means and intervals, no simulation); two small sweeps of
the bundled practice (two days a point, a few seconds) check the same on real results.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from html_checking import check_html

from clinicsim.formatting import format_interval, format_value
from clinicsim.reports.sweep import front_sentences, render_sweep_report, snapshot_of, write_sweep_report
from clinicsim.sweep_plots import plot_factor_heatmap, plot_main_effects, plot_ranking
from clinicsim.sweeps.analysis import (
    MAX_LABEL_CHARS,
    format_level,
    label_levels,
    level_legend,
    pareto_front,
    ranked_points,
)
from clinicsim.sweeps.runner import run_sweep
from clinicsim.sweeps.spec import SweepSpec, load_sweep
from clinicsim.sweeps.store import open_sweep

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BASE = (ROOT / "scenarios" / "family_medicine.yaml").as_posix()
KPIS = ["patients_seen", "provider_wait_mean_min", "margin"]
PATTERN = "templates.fm_20.pattern"
TODAY = ["new", "established", "established", "established", "telehealth"] + ["established"] * 7
TWO_NEW = ["new", "new", "established", "established", "telehealth"] + ["established"] * 7


def _sweep(tmp: Path, name: str, body: list[str]) -> Path:
    spec_path = tmp / f"{name}.yaml"
    head = [f"name: {name}", f"base: {BASE}"]
    spec_path.write_text("\n".join([*head, *body, "replications: 2", "seed: 11", f"kpis: {KPIS}"]) + "\n")
    spec, points = load_sweep(spec_path)
    run_sweep(spec, points, tmp / f"{name}.db", workers=1)
    return tmp / f"{name}.db"


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict[str, Path]:
    """A 2 x 2 grid of rooms and slot patterns (lists), with its report, and three named points, two days each."""
    tmp = tmp_path_factory.mktemp("glance")
    grid = _sweep(
        tmp,
        "patterns",
        ["design: grid", "factors:", "  - path: clinic.exam_rooms\n    values: [6, 8]",
         f"  - path: {PATTERN}\n    values: [{TODAY}, {TWO_NEW}]"],
    )  # fmt: skip
    named = _sweep(
        tmp,
        "plans",
        ["design: points", "points:", "  - name: Today",
         "  - name: Two more rooms\n    changes: {clinic.exam_rooms: 10}",
         "  - name: Wave\n    changes: {templates.fm_20.rule: {kind: bailey_welch, k: 2}, clinic.exam_rooms: 8}"],
    )  # fmt: skip
    return {"grid": grid, "named": named, "report": write_sweep_report(grid, tmp / "report")}


def _section(html: str, title: str) -> str:
    return html.split(f"<h2>{title}", 1)[1].split("<h2>", 1)[0]


def _words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# -- short labels -----------------------------------------------------------------------------------------------


def test_list_levels_are_shown_by_short_labels_with_a_legend(stores):
    html = stores["report"].read_text()
    assert check_html(stores["report"]).errors == []
    factors = _words(_section(html, "Factors"))
    assert f"{PATTERN} A, B 2" in factors
    assert f"{PATTERN} A {format_level(TODAY)}" in factors and f"{PATTERN} B {format_level(TWO_NEW)}" in factors
    for title in ("Pareto front", "All points"):
        table = _section(html, title)
        assert "[new" not in table and re.search(r"<td>[AB]</td>", table), title


def test_figure_tick_labels_are_short(stores):
    results = open_sweep(stores["grid"])
    panels = plot_main_effects(results, "margin")
    ticks = {panel.get_xlabel(): [t.get_text() for t in panel.get_xticklabels()] for panel in panels}
    assert ticks[PATTERN] == ["A", "B"] and ticks["clinic.exam_rooms"] == ["6", "8"]
    heatmap = plot_factor_heatmap(results, "margin", "clinic.exam_rooms", PATTERN)
    assert [t.get_text() for t in heatmap.get_yticklabels()] == ["A", "B"]
    ranking = plot_ranking(results, "margin")
    assert all(len(t.get_text()) <= MAX_LABEL_CHARS for t in ranking.get_yticklabels())
    assert {t.get_text() for t in ranking.get_yticklabels()} == {"P0", "P1", "P2", "P3"}
    plt.close("all")


def test_a_sweep_still_running_labels_its_levels_as_the_whole_design_does():
    design = pd.DataFrame({"point": [0, 1, 2], "name": ["a", "b", "c"], PATTERN: [TODAY, TWO_NEW, None]})
    running = design.iloc[[1, 2]]  # only the second pattern has finished
    labelled = label_levels(running, design)
    assert labelled[PATTERN].iloc[0] == "B" and pd.isna(labelled[PATTERN].iloc[1])
    assert list(labelled[PATTERN].cat.categories) == ["A", "B"]
    assert label_levels(running)[PATTERN].iloc[0] == "A"  # what the finished points alone would say


def test_named_mappings_keep_their_names_and_letters_run_past_z():
    groups = pd.Series([{"name": "Float MA", "role": "medical_assistant", "count": 1}, {"name": "Scribe", "count": 2}])
    assert level_legend(groups) == {format_level(groups[0]): "Float MA", format_level(groups[1]): "Scribe"}
    assert level_legend(pd.Series([{"kind": "fixed_interval"}, {"kind": "bailey_welch", "k": 2}])) == {}
    many = pd.Series([[k] * 20 for k in range(28)])
    assert list(level_legend(many).values())[24:] == ["Y", "Z", "AA", "AB"]


def test_named_points_are_labelled_by_their_names(stores, tmp_path):
    html = write_sweep_report(stores["named"], tmp_path, kpis=["margin"]).read_text()
    plans = re.findall(r"<tr><td>([^<]+)</td>", _section(html, "All points"))
    assert plans == ["Today", "Two more rooms", "Wave"]
    assert "Two more rooms" in _words(_section(html, "Summary"))
    ranking = plot_ranking(open_sweep(stores["named"]), "provider_wait_mean_min")
    means = open_sweep(stores["named"]).points().query("kpi == 'provider_wait_mean_min'")
    expected = means.sort_values(["mean", "point"])["name"].tolist()
    assert [t.get_text() for t in ranking.get_yticklabels()] == expected
    plt.close("all")


# -- the ranking --------------------------------------------------------------------------------------------------


def _long(means: dict[int, dict[str, float]]) -> pd.DataFrame:
    """A per-point table as SweepResults.points() gives it, intervals of +-1."""
    rows = [
        {"point": p, "name": f"plan {p}", "kpi": k, "mean": v, "n": 3, "ci_low": v - 1, "ci_high": v + 1}
        for p, kpis in means.items()
        for k, v in kpis.items()
    ]
    return pd.DataFrame(rows)


def test_the_ranking_puts_the_best_plan_at_the_top():
    table = _long({0: {"provider_wait_mean_min": 12.0, "margin": 900.0}, 1: {"provider_wait_mean_min": 7.0,
                   "margin": 1200.0}, 2: {"provider_wait_mean_min": 9.0, "margin": math.nan},
                   3: {"provider_wait_mean_min": 7.0, "margin": 1000.0}})  # fmt: skip
    assert ranked_points(table, "provider_wait_mean_min")["point"].tolist() == [1, 3, 2, 0]  # a tie by number
    assert ranked_points(table, "margin")["point"].tolist() == [1, 3, 0]  # higher is better; no mean, no rank
    ranked = ranked_points(table, "margin")
    assert ranked["rank"].tolist() == [1, 2, 3] and ranked["margin_ci_low"].tolist() == [1199, 999, 899]
    ax = plot_ranking(table, "provider_wait_mean_min")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["P1", "P3", "P2", "P0"]
    bottom, top = ax.get_ylim()
    assert top < 0 < len(table["point"].unique()) - 1 < bottom, "row 0, the best, is drawn at the top"
    assert "lower is better" in ax.get_xlabel()
    short = plot_ranking(table, "margin", labels={0: "Today", 1: "Wave", 3: "Rooms"}, top=2)
    assert [t.get_text() for t in short.get_yticklabels()] == ["Wave", "Rooms"]
    assert short.get_title().startswith("The best 2 of 3 plans")
    plt.close("all")


def test_the_report_ranks_the_plans_by_the_chosen_kpi(stores):
    assert "Plans ranked by provider wait, mean" in stores["report"].read_text()
    chosen = render_sweep_report(stores["grid"], kpis=["margin"], pareto=None, rank="margin")
    assert "Plans ranked by margin" in chosen and "Plans ranked by provider wait" not in chosen
    with pytest.raises(ValueError, match="unknown KPI"):
        render_sweep_report(stores["grid"], rank="wait")


# -- the answer in words ------------------------------------------------------------------------------------------


def _snapshot(means: dict[int, tuple[float, float]], *, days: int = 2):
    """A 2 x 2 grid (rooms x front desk) whose points have two days each, wait and margin at mean -+0.1 and -+10,
    so each interval is the mean +-1.27 min and +-127 (t(0.975, 1) = 12.706); a point absent from ``means`` has no
    days yet."""
    spec = SweepSpec.model_validate(
        {"name": "hand-made", "base": "base.yaml", "replications": days, "kpis": ["provider_wait_mean_min", "margin"],
         "factors": [{"path": "clinic.exam_rooms", "values": [6, 8]},
                     {"path": "staff.Front desk.count", "values": [1, 2]}]}
    )  # fmt: skip
    levels = [(6, 1), (6, 2), (8, 1), (8, 2)]
    table = pd.DataFrame(
        {"point": range(4), "name": [f"rooms={r}, desk={d}" for r, d in levels], "scenario_sha256": "0" * 64}
        | {"clinic.exam_rooms": [r for r, _ in levels], "staff.Front desk.count": [d for _, d in levels]}
    )
    rows = [
        {"point": p, "replication": k, "provider_wait_mean_min": wait + s * 0.1, "margin": margin + s * 10}
        for p, (wait, margin) in means.items()
        for k, s in enumerate((-1, 1))
    ]
    days = pd.DataFrame(rows, columns=["point", "replication", "provider_wait_mean_min", "margin"])
    days_table = table.drop(columns="scenario_sha256").merge(days, on="point")
    return snapshot_of(spec, ["provider_wait_mean_min", "margin"], table, days_table)


def test_the_front_in_words():
    snapshot = _snapshot({0: (20, 1000), 1: (15, 900), 2: (12, 1100), 3: (8, 1050)})
    assert front_sentences(snapshot, "provider_wait_mean_min", "margin") == [
        "2 of the 4 plans are on the Pareto front: no other plan beats them on both mean provider wait (lower is "
        "better) and margin (higher is better). The front runs from P3, with the lowest mean provider wait, to P2, "
        "with the highest margin.",
        "P3: mean provider wait 8.0 min (95% CI 6.7 to 9.3) and margin 1,050 per day (95% CI 923 to 1,177).",
        "P2: mean provider wait 12.0 min (95% CI 10.7 to 13.3) and margin 1,100 per day (95% CI 973 to 1,227).",
        "The 95% intervals of P3 and P2 overlap on margin, so the front's two ends may not truly differ there.",
        "Along the front, staff.Front desk.count goes from 2 to 1.",
        "Every plan on it has clinic.exam_rooms 8.",
    ]


def test_one_plan_that_beats_every_other_is_said_to():
    snapshot = _snapshot({0: (20, 1000), 1: (15, 900), 2: (12, 1100), 3: (8, 1200)})
    assert front_sentences(snapshot, "provider_wait_mean_min", "margin") == [
        "One plan, P3, is best on both mean provider wait and margin: no other of the 4 plans beats it on either. "
        "It has mean provider wait 8.0 min (95% CI 6.7 to 9.3) and margin 1,200 per day (95% CI 1,073 to 1,327). "
        "Its settings: clinic.exam_rooms 8 and staff.Front desk.count 2."
    ]


def test_an_unfinished_sweep_says_so_first():
    snapshot = _snapshot({0: (20, 1000), 1: (15, 900), 2: (12, 1100)})
    sentences = front_sentences(snapshot, "provider_wait_mean_min", "margin")
    assert sentences[0] == (
        "The sweep is not finished (6 of 8 simulated days done): this is the answer of the days done so far, and "
        "it may change."
    )
    assert sentences[1].startswith("One plan, P2, is best on both mean provider wait and margin: no other of the 3")
    alone = front_sentences(_snapshot({2: (12, 1100)}), "provider_wait_mean_min", "margin")
    assert alone[1].startswith("One plan, P2, is the only one with results. It has mean provider wait 12.0 min")
    empty = _snapshot({})
    assert front_sentences(empty, "provider_wait_mean_min", "margin")[1:] == ["No plan has results yet."]
    assert front_sentences(snapshot, "provider_wait_mean_min", "labor_cost") == [
        "No Pareto front: the sweep does not keep labor_cost."
    ]


def test_the_report_leads_with_the_front_of_a_real_sweep(stores):
    front = pareto_front(open_sweep(stores["grid"]).points(), "provider_wait_mean_min", "margin")
    html = stores["report"].read_text()
    assert re.search(r"</h1>\s*<p class=\"meta\">.*?</p>\s*<h2>Summary</h2>", html, re.S), "the answer comes first"
    answer = re.findall(r"<li>(.*?)</li>", _section(html, "Summary"), re.S)
    assert answer, "the summary states the front in words"
    labels = [f"P{p}" for p in front["point"]]
    for label, (_, row) in zip(labels, front.iterrows()):
        wait = format_value(row["provider_wait_mean_min"], "min")
        interval = format_interval(row["provider_wait_mean_min_ci_low"], row["provider_wait_mean_min_ci_high"], "min")
        assert any(s.startswith(f"{label}: ") or f", {label}," in s for s in answer), label
        assert any(f"{wait} min (95% CI {interval})" in s for s in answer), label
    differ = [f for f in ("clinic.exam_rooms", PATTERN) if front[f].map(format_level).nunique() > 1]
    along = next((s for s in answer if s.startswith("Along the front")), "")
    assert all(f in along for f in differ) and (not differ) == (along == "")
    if len(front) == 1:
        assert answer[0].startswith(f"One plan, {labels[0]}, is best on both")
    else:
        assert answer[0].startswith(f"{len(front)} of the 4 plans are on the Pareto front")
        assert f"runs from {labels[0]}," in answer[0] and f"to {labels[-1]}," in answer[0]
