"""The compare command and report lead with the verdict: trade-off, money per day, month and year, and noise."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import clinicsim
from clinicsim.cli import main
from clinicsim.reports.comparison import render_report

ROOT = Path(__file__).resolve().parents[2]
CURRENT = str(ROOT / "scenarios" / "family_medicine.yaml")
CATCH_UP = str(ROOT / "scenarios" / "family_medicine_catch_up.yaml")
URGENT = str(ROOT / "scenarios" / "urgent_care.yaml")


def compare_output(*args: str) -> str:
    result = CliRunner().invoke(main, ["compare", *args, "-n", "6", "--seed", "3"])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_verdict_comes_before_the_differences_table():
    out = compare_output(CURRENT, CATCH_UP)
    assert out.index("is a trade-off against") < out.index("Margin ") < out.index("\nKPI ")


def test_working_days_set_the_year():
    def year(out: str) -> float:
        found = re.search(r"a month, ([+-][\d,]+) USD a year over (\d+) clinic days", out)
        assert found, out
        return float(found.group(1).replace(",", "")), int(found.group(2))

    default, days = year(compare_output(CURRENT, CATCH_UP))
    fewer, fewer_days = year(compare_output(CURRENT, CATCH_UP, "--working-days", "200"))
    assert (days, fewer_days) == (250, 200)
    assert fewer == pytest.approx(default * 200 / 250, abs=100)  # each rounded to the nearest hundred


def test_the_report_opens_with_the_verdict_and_warns_about_unrelated_clinics():
    comparison = clinicsim.compare([CURRENT, URGENT], replications=4, seed=2)
    html = render_report(comparison)
    assert html.index("<h2>Verdict</h2>") < html.index("<h2>Summary</h2>")
    verdict = html[html.index("<h2>Verdict</h2>") : html.index("<h2>Summary</h2>")]
    assert "different providers" in verdict and "pairing" not in verdict.split("Note:")[0]
    assert "clinic days" in verdict
