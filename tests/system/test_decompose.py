"""`compare --decompose`: which of a bundled plan's changes buys what, on the same days as the plan itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import clinicsim
from clinicsim.cli import main
from clinicsim.decomposition import decompose

ROOT = Path(__file__).resolve().parents[2]
CURRENT = ROOT / "scenarios" / "family_medicine.yaml"
CATCH_UP = ROOT / "scenarios" / "family_medicine_catch_up.yaml"
KPIS = ["provider_wait_mean_min", "patients_seen", "provider_overtime_mean_min", "margin"]


@pytest.fixture(scope="module")
def split():
    return decompose(clinicsim.load_scenario(CURRENT), clinicsim.load_scenario(CATCH_UP), replications=8, seed=5)


def test_the_redesign_is_its_three_changes(split):
    assert [c.label for c in split.changes] == [
        "templates.fm_20",
        "providers: late_start_min",
        "staff: add MA float",
    ]
    assert split.not_alone == {}


def test_the_changes_added_in_order_sum_to_the_whole_plan_day_by_day(split):
    table = split.table(KPIS)
    for kpi in KPIS:
        added = sum(table.loc[(c.label, kpi), "added_difference"] for c in split.changes)
        assert added == pytest.approx(table.loc[("all changes", kpi), "added_difference"], abs=1e-9)


def test_the_last_step_is_the_plan_on_the_plain_comparisons_days(split):
    plain = clinicsim.compare([CURRENT, CATCH_UP], replications=8, seed=5)
    last = split.comparison.results[split.order[-1][1]].kpis
    pd.testing.assert_frame_equal(last, plain.results[plain.scenarios[1]].kpis)


def test_the_changes_alone_add_up_to_the_plan_but_for_an_interaction_within_noise(split):
    """Slots, huddle and float MA barely interact: the interaction interval covers zero or is tiny."""
    table = split.table(KPIS)
    for kpi in KPIS:
        row = table.loc[("interaction", kpi)]
        total = table.loc[("all changes", kpi)]
        assert row["alone_ci_low"] <= 0 <= row["alone_ci_high"] or abs(row["alone_difference"]) < 0.05 * abs(
            total["added_difference"]
        )


def test_the_slots_buy_the_wait_and_the_float_ma_costs_money(split):
    table = split.table(KPIS)
    assert table.loc[("templates.fm_20", "provider_wait_mean_min"), "alone_ci_high"] < 0
    assert table.loc[("staff: add MA float", "margin"), "alone_ci_high"] < 0
    assert np.isclose(table.loc[("staff: add MA float", "provider_wait_mean_min"), "alone_difference"], 0, atol=1.0)


def test_a_change_that_is_no_plan_alone_is_measured_only_as_added():
    current = clinicsim.load_scenario(CURRENT)
    data = current.model_dump(mode="json")
    data["templates"]["fm_15"] = {**data["templates"]["fm_20"], "slot_min": 15}
    for provider in data["providers"]:
        provider["template"] = "fm_15"
    split = decompose(current, clinicsim.Scenario.model_validate(data), replications=3, seed=1)
    assert list(split.not_alone) == ["providers: template"]
    assert "fm_15" in split.not_alone["providers: template"]
    assert [label for label, _ in split.order] == ["templates.fm_15", "providers: template"]


def test_the_command_prints_the_levers_and_writes_them(tmp_path):
    result = CliRunner().invoke(
        main, ["compare", str(CURRENT), str(CATCH_UP), "-n", "4", "--decompose", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    assert "Which change buys what" in result.stdout and "staff: add MA float" in result.stdout
    assert (tmp_path / "out" / "decomposition.csv").exists()
    assert "<h2>Which change buys what</h2>" in (tmp_path / "out" / "report.html").read_text()


def test_decompose_needs_exactly_one_plan():
    result = CliRunner().invoke(main, ["compare", str(CURRENT), str(CATCH_UP), str(CATCH_UP), "--decompose"])
    assert result.exit_code == 2
    assert "--decompose takes one plan" in result.output
