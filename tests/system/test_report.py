"""The HTML report: one valid, self-contained file that shows every figure and says the result in words."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import matplotlib
import pytest
from click.testing import CliRunner
from html_checking import HtmlChecker, check_html

import clinicsim
from clinicsim.cli import main
from clinicsim.reports.comparison import figures

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[2]
CURRENT = ROOT / "scenarios" / "family_medicine.yaml"
CATCH_UP = ROOT / "scenarios" / "family_medicine_catch_up.yaml"


@pytest.fixture(scope="module")
def comparison():
    return clinicsim.compare([CURRENT, CATCH_UP], replications=6, seed=5)


@pytest.fixture(scope="module")
def report(comparison, tmp_path_factory) -> tuple[Path, HtmlChecker]:
    path = clinicsim.write_report(comparison, tmp_path_factory.mktemp("report"))
    return path, check_html(path)


def test_the_report_is_well_formed_html(report):
    path, checker = report
    assert path.read_text().startswith("<!DOCTYPE html>")
    assert checker.errors == [] and checker.stack == []


def test_the_report_is_self_contained(report):
    path, checker = report
    assert all(url.startswith("data:image/png;base64,") for url in checker.urls), checker.urls
    assert not re.search(r"https?://", path.read_text()), "no external address anywhere"


def test_the_report_shows_every_figure_as_a_png(report, comparison):
    _, checker = report
    expected = 1 + 2 + 4 * len(comparison.results)  # differences, waits, census; per plan heatmap, 2 Gantts, template
    assert len(checker.images) == expected == len(figures(comparison))
    for source in checker.images:
        png = base64.b64decode(source.removeprefix("data:image/png;base64,"))
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000


def test_the_report_opens_with_the_result_in_words(report, comparison):
    path, checker = report
    text = " ".join(" ".join(checker.text).split())
    verdict = text.split("Verdict", 1)[1].split("Summary", 1)[0]
    assert re.search(f"{re.escape(comparison.scenarios[1])} is .* provider wait", verdict)
    assert "(95% CI" in verdict and "clinic days" in verdict
    summary = text.split("Summary", 1)[1].split("Scenarios", 1)[0]
    assert "provider idle time" in summary and "is the wait before provider visit" in summary
    assert "mean provider wait by" not in summary  # said once, in the verdict
    assert re.search(r"labor cost [+-][\d,]+ USD/day; [+-][\d.]+ visits a day, worth [+-][\d,]+ USD", summary)
    assert "Money: where revenue is lost, what overtime costs" in text
    changed = text.split("What differs between the plans", 1)[1]
    assert "templates.fm_20.pattern" in changed and "staff.MA float" in changed


def test_csvs_of_every_table_sit_beside_the_report(report):
    path, _ = report
    names = {p.name for p in path.parent.glob("*.csv")}
    assert names == {"summary.csv", "kpis.csv", "differences.csv", "wait_attribution.csv"}


def test_run_writes_a_report_for_one_scenario(tmp_path):
    result = CliRunner().invoke(main, ["run", str(CURRENT), "-n", "3", "--out", str(tmp_path), "--report"])
    assert result.exit_code == 0, result.output
    checker = check_html(tmp_path / "report.html")
    assert len(checker.images) == 6 and checker.errors == []  # waits, census, heatmap, typical and worst day, template


def test_compare_command_prints_differences_and_writes_the_report(tmp_path):
    result = CliRunner().invoke(main, ["compare", str(CURRENT), str(CATCH_UP), "-n", "4", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "difference" in result.output and "95% CI" in result.output
    assert "- Catch-up slots and a float MA" in result.output
    assert (tmp_path / "report.html").exists()


def test_compare_with_precision_reports_the_advisor(tmp_path):
    result = CliRunner().invoke(main, ["compare", str(CURRENT), str(CATCH_UP), "--precision", "0.08"])
    assert result.exit_code == 0, result.output
    assert "replication advisor:" in result.output and "target +-8.0%, met" in result.output


def test_only_differences_whose_interval_excludes_zero_are_highlighted(report, comparison):
    path, _ = report
    highlighted = path.read_text().count('<tr class="clear">')
    assert highlighted == int(comparison.differences()["excludes_zero"].sum()) > 0
