"""The optimization report: a tiny search and selection (the command line test's file, and the same with two
objectives and the Pareto set as finalists) rendered to one self-contained HTML file that leads with the guarantee,
shows what the chosen plan changes, lists every evaluated plan, never writes an uncertain constraint as met, and
embeds its figures as PNG."""

from __future__ import annotations

import base64
import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
from html_checking import check_html, table_rows
from test_optimize_cli import SPEC

from clinicsim.optimization.run import Optimization, optimize
from clinicsim.optimization.search import read_days
from clinicsim.optimization.select import label_and_unit
from clinicsim.optimization.spec import plan_scenario
from clinicsim.reports.comparison import scenario_diff
from clinicsim.reports.optimization import VERDICT_WORDS, render_optimization_report, write_optimization_report
from clinicsim.selection import chance_constraint

PNG = "data:image/png;base64,"
TWO_OBJECTIVES = (
    SPEC.replace(
        "  - {kpi: provider_wait_p90_min, direction: minimize}\n",
        "  - {kpi: provider_wait_p90_min, direction: minimize}\n  - {kpi: patients_seen, direction: maximize}\n",
    )
    .replace("finalists: 3,", "finalists: pareto,")
    .replace("at_most: 60, on_share_of_days: 0.5", "at_most: 90, on_share_of_days: 0.3")
)


def _run(tmp: Path, text: str) -> tuple[Optimization, Path]:
    spec = tmp / "spec.yaml"
    spec.write_text(text)
    result = optimize(spec, tmp / "store.db", out=tmp / "plans", workers=1)
    return result, write_optimization_report(result, tmp / "plans")


@pytest.fixture(scope="module")
def one(tmp_path_factory) -> tuple[Optimization, Path]:
    """One objective, the top 3 as finalists."""
    return _run(tmp_path_factory.mktemp("one"), SPEC)


@pytest.fixture(scope="module")
def two(tmp_path_factory) -> tuple[Optimization, Path]:
    """Two objectives, the estimated Pareto set as finalists."""
    return _run(tmp_path_factory.mktemp("two"), TWO_OBJECTIVES)


@pytest.fixture(params=["one", "two"])
def report(request) -> tuple[Optimization, Path]:
    return request.getfixturevalue(request.param)


def _words(path: Path) -> str:
    return check_html(path).words


def test_the_guarantee_leads_with_the_chosen_plans_verdicts(report):
    result, path = report
    words = _words(path)
    assert result.finalists.sentence in words
    assert words.index(result.finalists.sentence) < words.index("The finalists")
    for sentence in result.finalists.verdicts.query("plan == @result.best")["sentence"]:
        assert sentence in words


def test_the_chosen_plans_diff_shows_the_settings_it_changes(report):
    result, path = report
    params = dict(result.finalists.plans.loc[result.best, "params"])
    expected = [
        row for row in scenario_diff(result.base, plan_scenario(result.spec, result.base, params)) if row[0] != "name"
    ]
    rows = table_rows(path, "diff")[1:]
    assert [tuple(r) for r in rows] == expected
    assert rows or result.finalists.plans.loc[result.best, "name"] == "slot 20, front desk 2"  # the base's own plan
    slot = params["templates.fm_20.slot_min"]
    if slot != result.base.templates["fm_20"].slot_min:  # the chosen plan's slot, as a setting row
        assert any(path == "templates.fm_20.slot_min" and float(after) == slot for path, _, after in rows)
    desks = params["staff.Front desk.count"]
    if desks != 2:  # the base has 2 at the front desk
        assert any(path == "staff.Front desk.count" and float(after) == desks for path, _, after in rows)


def test_every_evaluated_plan_is_in_the_all_plans_table(report):
    result, path = report
    rows = table_rows(path, "plans")[1:]
    plans = result.search.plans()
    assert sorted(int(r[0]) for r in rows) == sorted(int(p) for p in plans.index)
    assert {r[1] for r in rows} == set(plans["name"])
    assert str(result.search.store) in _words(path)  # and where they stay queryable


def test_each_finalists_verdict_is_written_in_its_own_words(report):
    result, path = report
    rows = table_rows(path, "finalists")
    constraint = result.spec.constraints[0]
    column = next(i for i, h in enumerate(rows[0]) if "of days" in h and h != "Days")
    judged = result.finalists.verdicts.set_index(["plan", "constraint"])
    for row, plan in zip(rows[1:], result.finalists.plans.index):
        verdict = judged.loc[(plan, constraint.describe())]
        assert row[column].startswith(VERDICT_WORDS[verdict["verdict"]])
        if verdict["verdict"] == "uncertain":
            assert row[column].startswith("uncertain: not established")


def test_an_uncertain_constraint_never_reads_as_met(one, tmp_path):
    result, _ = one
    constraint = result.spec.constraints[0]
    judged = chance_constraint(np.r_[np.zeros(6), np.full(4, 500.0)], constraint.limit, probability=0.5)
    assert judged.verdict == "uncertain"  # 6 of 10 days against 50%: the Wilson interval straddles it
    verdicts = result.finalists.verdicts.copy()
    mine = verdicts["plan"] == result.best
    verdicts.loc[mine, ["verdict", "value", "low", "high", "days", "sentence"]] = [
        "uncertain",
        judged.share,
        judged.low,
        judged.high,
        judged.n_days,
        judged.sentence(*label_and_unit(constraint.kpi)),
    ]
    uncertain = dataclasses.replace(result, finalists=dataclasses.replace(result.finalists, verdicts=verdicts))
    path = tmp_path / "report.html"
    path.write_text(render_optimization_report(uncertain), encoding="utf-8")
    words = _words(path)
    assert "against the 50% required: not established; more days needed" in words
    assert "1 of its constraints is not established" in words and "Do not read it as met" in words
    rows = table_rows(path, "finalists")
    chosen = next(r for r in rows[1:] if "(chosen)" in r[0])
    assert "uncertain: not established" in " ".join(chosen) and " met " not in f" {' '.join(chosen)} "


def test_the_figures_are_embedded_pngs(report):
    result, path = report
    images = check_html(path).images
    assert len(images) == 1 + len(result.spec.objectives)  # the front or ranking, and a convergence per objective
    for src in images:
        assert src.startswith(PNG) and base64.b64decode(src[len(PNG) :])[:8] == b"\x89PNG\r\n\x1a\n"
    title = "Pareto front" if len(result.spec.objectives) > 1 else "Plans ranked by"
    assert title in _words(path)


def test_the_report_is_one_valid_self_contained_file(report):
    result, path = report
    checked = check_html(path)
    assert not checked.errors and not checked.stack
    assert not re.search(r"https?://", path.read_text(encoding="utf-8")), "no external address anywhere"
    assert all(u.startswith("data:") for u in checked.urls)
    for name in ("plans.csv", "finalists.csv", "verdicts.csv"):
        assert (path.parent / name).is_file()


def test_the_days_add_up_to_the_store(report):
    result, path = report
    rows = table_rows(path, "days")[1:]
    stored = read_days(result.search.store).groupby("point").size()
    for row, (plan, _) in zip(rows, result.finalists.plans.iterrows()):
        search, kn, settle, total = (int(x) for x in row[1:5])
        assert search == result.spec.search.days_per_plan and total == stored[plan] == search + kn + settle
    assert f"In all, {int(stored.sum()):,} simulated days are in the store" in _words(path)
