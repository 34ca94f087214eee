"""The bundled sweep of named plans (one lever each) runs, and its report says what each plan on the front sets."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from clinicsim.cli import main
from clinicsim.reports.sweep import front_sentences, read_snapshot

ROOT = Path(__file__).resolve().parents[2]
LEVERS = ROOT / "scenarios" / "sweeps" / "family_medicine_levers.yaml"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("levers") / "levers.db"
    result = CliRunner().invoke(main, ["sweep", str(LEVERS), "--store", str(path), "--workers", "1"])
    assert result.exit_code == 0, result.output
    return path


def test_every_named_plan_runs_the_appended_float_ma_included(store):
    points = read_snapshot(store).point_table
    assert list(points["name"]) == [
        "today", "catch-up slot", "float MA", "third front desk", "two more rooms", "40-minute new visits"
    ]  # fmt: skip


def test_the_answer_says_what_each_plan_on_the_front_sets(store):
    sentences = front_sentences(read_snapshot(store), "provider_wait_mean_min", "margin")
    changes = next(s for s in sentences if s.startswith("What they change: "))
    assert "40-minute new visits sets templates.fm_20.slots_per_visit new=2" in changes
    assert "today is the base plan" in changes
    assert not any(s.startswith("Along the front") for s in sentences)


def test_the_report_ranks_the_plans_by_margin(store, tmp_path):
    result = CliRunner().invoke(main, ["sweep-report", str(store), "--out", str(tmp_path), "--rank", "margin"])
    assert result.exit_code == 0, result.output
    assert "Plans ranked by" in (tmp_path / "sweep_report.html").read_text()
