"""The access report: one valid, self-contained HTML file that says per plan what is better and worse on access.

One small comparison serves every test: the bundled family-medicine booking scenario against the same with 30% of
the fm_20 slots held for same-day requests (released 2 h before), 3 reported weeks after 1 of warm-up, 3
replications, booked only and with the clinic days simulated. The report's words and numbers are checked against
the comparison's own tables (``differences()``, ``summary()``); the command line is checked to write the report
and the figures' PNG files beside the CSVs.
"""

from __future__ import annotations

import base64
import re
from html import unescape
from pathlib import Path

import matplotlib
import pytest
from click.testing import CliRunner
from html_checking import HtmlChecker, check_html, table_rows

from clinicsim.access import compare_access
from clinicsim.access.names import access_metric
from clinicsim.access.tables import no_shows_by_lead_time
from clinicsim.cli import main
from clinicsim.comparison import Comparison
from clinicsim.formatting import format_difference, format_interval, format_value
from clinicsim.metrics import lower_is_better
from clinicsim.reports.access import ACCESS_VERDICT_KPIS, render_access_report, write_access_report
from clinicsim.scenario import load_scenario

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[2]
ACCESS = ROOT / "scenarios" / "family_medicine_access.yaml"
HOLDS = [{"template": "fm_20", "urgency": "same_day", "share": 0.3, "release_hours_before": 2}]
PLAN = "same-day holds"
RUN = {"weeks": 3, "warm_up": 1, "replications": 3}


@pytest.fixture(scope="module", params=[False, True], ids=["booking only", "with clinic days"])
def comparison(request) -> Comparison:
    current = load_scenario(ACCESS)
    held = current.with_changes({"access.holds": HOLDS})
    return compare_access({"current": current, PLAN: held}, days=request.param, **RUN)


@pytest.fixture(scope="module")
def report(comparison, tmp_path_factory) -> tuple[Path, HtmlChecker]:
    path = write_access_report(comparison, tmp_path_factory.mktemp("access report"))
    return path, check_html(path)


def section(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


# -- a valid, self-contained page --------------------------------------------------------------------------------


def test_the_report_is_well_formed_html(report):
    path, checker = report
    assert path.name == "report.html" and path.read_text().startswith("<!DOCTYPE html>")
    assert checker.errors == [] and checker.stack == []


def test_every_image_is_an_embedded_png_and_nothing_is_fetched(report):
    path, checker = report
    assert len(checker.images) == 2 * 2 + 1 + 1  # per plan: weeks, lead times; the baseline's demand; differences
    for source in checker.images:
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.removeprefix("data:image/png;base64,")).startswith(b"\x89PNG\r\n\x1a\n")
    assert all(url.startswith("data:image/png;base64,") for url in checker.urls), checker.urls
    assert not re.search(r"https?://", path.read_text()), "no external address anywhere"


def test_the_sections_come_in_order(report, comparison):
    _, checker = report
    text = checker.words
    headings = ["Verdict", "Access KPIs", "Figures", "No-shows by lead time", "What differs between the plans",
                "How to read this report"]  # fmt: skip
    places = [text.index(heading) for heading in headings]
    assert places == sorted(places)
    meta = text[: places[0]]
    assert "3 weeks reported after 1 week of warm-up" in meta and "3 replications per plan" in meta
    assert f"seed {comparison.seed}" in meta and "current (baseline)" in meta and PLAN in meta
    days = comparison.results["current"].days is not None  # type: ignore[attr-defined]
    assert ("clinic days simulated" in meta) is days and ("clinic days not simulated" in meta) is not days


# -- the verdict --------------------------------------------------------------------------------------------------


def verdict_lines(path: Path, which: str) -> dict[str, str]:
    """The lines of a plan's verdict ("access" or "days") by what they start with ("Better", "Worse", "Not
    distinguishable from noise")."""
    found = re.search(rf'<div class="verdict {which}-verdict">(.*?)</div>', path.read_text(), re.S)
    assert found, f"no {which} verdict"
    items = [unescape(item) for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)]
    return dict(item.split(": ", 1) for item in items)


def test_the_verdict_puts_same_day_requests_met_on_the_side_its_interval_says(report, comparison):
    path, _ = report
    lines = verdict_lines(path, "access")
    row = comparison.differences().loc[(PLAN, "same_day_requests_met_pct")]
    said = (
        f"same-day requests met {format_difference(row['difference'], '%')} (95% CI "
        f"{format_difference(row['ci_low'], '%')} to {format_difference(row['ci_high'], '%')})"
    )
    if not row["excludes_zero"]:
        side = "Not distinguishable from noise"
    else:
        side = "Better" if row["difference"] > 0 else "Worse"  # more requests met is better
    assert said in lines[side], lines
    assert [other for other, line in lines.items() if "same-day requests met" in line] == [side]


def test_every_clear_access_difference_is_better_or_worse_by_its_direction(report, comparison):
    path, _ = report
    lines = verdict_lines(path, "access")
    table = comparison.differences().loc[PLAN]
    clear = [kpi for kpi in ACCESS_VERDICT_KPIS if table.at[kpi, "excludes_zero"]]
    assert clear, "the holds change access clearly somewhere in 3 weeks"
    for kpi in clear:
        side = "Better" if (table.at[kpi, "difference"] < 0) == lower_is_better(kpi) else "Worse"
        said = f"{ACCESS_VERDICT_KPIS[kpi]} {format_difference(table.at[kpi, 'difference'], table.at[kpi, 'unit'])}"
        assert re.search(rf"(^|; ){re.escape(said)}\b", lines[side]), (kpi, lines)
    headline = re.search(r'<p class="headline">Access: (.*?)</p>', path.read_text())
    assert headline and headline.group(1).startswith(f"{PLAN} is "), headline


def test_with_clinic_days_the_verdict_adds_the_days_and_their_money(report, comparison):
    _, checker = report
    verdict = section(checker.words, "Verdict", "Access KPIs")
    if comparison.results["current"].days is None:  # type: ignore[attr-defined]
        assert "Clinic days:" not in verdict and "Clinic days were not simulated" in verdict
        return
    margin = comparison.differences().loc[(PLAN, "margin")]
    assert "Clinic days:" in verdict and "provider wait" in verdict
    assert re.search(rf"Margin {margin['difference']:+,.0f} USD a day .* USD a month, .* USD a year", verdict)


# -- tables -------------------------------------------------------------------------------------------------------


def test_the_access_kpi_table_shows_the_summary(report, comparison):
    path, _ = report
    rows = {row[0]: row[1:] for row in table_rows(path, "access-kpis")[1:]}
    summary = comparison.summary()
    kpis = [kpi for kpi in dict.fromkeys(k for _, k in summary.index) if access_metric(kpi) is not None]
    assert len(rows) == len(kpis)
    for kpi in kpis:
        metric = access_metric(kpi)
        assert metric is not None
        expected = []
        for plan in comparison.scenarios:
            s = summary.loc[(plan, kpi)]
            expected += [format_value(s["mean"], metric.unit), format_interval(s["ci_low"], s["ci_high"], metric.unit)]
        assert rows[metric.label][:-1] == expected, kpi


def test_no_shows_by_lead_time_per_plan(report, comparison):
    path, _ = report
    rows = table_rows(path, "no-shows")
    assert rows[0][1::2] == [f"{plan}: appointments" for plan in comparison.scenarios]
    for plan_index, plan in enumerate(comparison.scenarios):
        table = no_shows_by_lead_time(comparison.results[plan])
        assert len(rows) - 1 == len(table)
        assert [row[1 + 2 * plan_index] for row in rows[1:]] == [f"{n:,}" for n in table["appointments"]]


def test_the_settings_that_differ_and_how_to_read(report):
    _, checker = report
    text = checker.words
    assert "access.holds" in section(text, "What differs between the plans", "How to read")
    note = text.split("How to read this report", 1)[1]
    assert "07:30" in note and "121 days (censored)" in note and "follow-ups are left out" in note
    assert "per clinic day" in note and "warm-up" in note


def test_one_plan_alone_has_no_verdict(comparison, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(render_access_report(comparison.results["current"]), encoding="utf-8")  # type: ignore[arg-type]
    checker = check_html(path)
    assert checker.errors == [] and len(checker.images) == 3
    assert "Verdict" not in checker.words and "What differs" not in checker.words


# -- the command line ---------------------------------------------------------------------------------------------


def test_the_access_command_writes_the_report_and_the_figures(tmp_path):
    plan = tmp_path / "holds.yaml"
    plan.write_text(
        f"extends: {ACCESS}\nname: Same-day holds\naccess:\n  holds:\n"
        "    - {template: fm_20, urgency: same_day, share: 0.3, release_hours_before: 2}\n"
    )
    out = tmp_path / "out"
    arguments = ["access", str(ACCESS), str(plan), "--weeks", "2", "--warm-up", "1", "-n", "2", "--out", str(out)]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    assert f"report: {out / 'report.html'}" in result.output
    checker = check_html(out / "report.html")
    assert checker.errors == [] and all(url.startswith("data:image/png;base64,") for url in checker.urls)
    assert "Access: Same-day holds" in checker.words  # the plan's verdict, whatever two replications can tell
    folders = sorted(p for p in out.iterdir() if p.is_dir())
    assert len(folders) == 2
    for folder in folders:
        for name in ("tnaa_backlog.png", "lead_times.png", "demand_capacity.png"):
            assert (folder / name).read_bytes().startswith(b"\x89PNG"), folder / name
    assert (out / "access_differences.png").exists()
