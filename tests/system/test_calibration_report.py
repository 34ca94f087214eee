"""The calibration report: one valid, self-contained HTML page that states the export's data problems, every
exclusion with its reason, every calibrated setting, every fit, and the back-tests' verdicts in words.

One calibration serves the page's tests: the bundled synthetic demo export (``scenarios/calibration``; its
``.defects.json`` says which lines hold which planted defect) fitted into ``scenarios/family_medicine.yaml``,
back-tested on every day and on a hold-out (the last 30% of the dates, against a scenario fitted on the rest)
with 9 replications a day (as ``clinicsim calibrate`` does it: the rows with a problem touching arrival or
check-out left out of the observed KPIs). The report's tables are read back and checked against the calibration's
own (``quality.table()``, ``settings``, ``summary()``). The same export calibrated without a base shows the base
inferred from it, and without its room column says no rooms are named (neither back-tested: their sections do not
depend on it). The wording of the back-test verdicts, a provider whose visits of one type one speed factor does not
describe, the figure of a duration fit and the short form of settings are checked on hand-made inputs.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from html_checking import HtmlChecker, check_html, table_rows

from clinicsim.calibration.backtest import BACKTEST_KPIS, Backtest, backtest, census_hour, kpi_label
from clinicsim.calibration.calibrate import Calibration, calibrate, split_by_date
from clinicsim.calibration.export import read_visits
from clinicsim.calibration.fit import fit_duration
from clinicsim.calibration.fit_plots import plot_duration_fit
from clinicsim.calibration.quality import INTERVALS, check_visits
from clinicsim.metrics import find_metric
from clinicsim.reports.calibration import (
    backtest_sentences,
    render_calibration_report,
    short_value,
    write_calibration_report,
)
from clinicsim.scenario import load_scenario

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[2]
EXPORT = ROOT / "scenarios" / "calibration" / "family_medicine_visits.csv"
BASE = ROOT / "scenarios" / "family_medicine.yaml"
REPLICATIONS = 9

DEFECT_REASONS = {
    "missing": "missing_step",
    "swapped": "out_of_order",
    "duplicate": "duplicate",
    "zero": "zero_duration",
    "too_long": "over_limit",
    "midnight": "crosses_midnight",
}
"""The problem ``quality`` reports for each defect the demo's generator planted."""


@pytest.fixture(scope="module")
def calibrated() -> tuple[pd.DataFrame, Calibration, Backtest, Backtest]:
    visits = read_visits(EXPORT)
    base = load_scenario(BASE)
    calibration = calibrate(visits, base)
    everyday = backtest(calibration.scenario, visits, replications=REPLICATIONS,
                        quality=calibration.quality)  # fmt: skip
    first, rest = split_by_date(visits, 0.7)
    held = backtest(calibrate(first, base).scenario, rest, replications=REPLICATIONS,
                    quality=check_visits(rest))  # fmt: skip
    return visits, calibration, everyday, held


@pytest.fixture(scope="module")
def report(calibrated, tmp_path_factory) -> tuple[Path, HtmlChecker]:
    _, calibration, everyday, held = calibrated
    path = write_calibration_report(calibration, tmp_path_factory.mktemp("calibration report"), backtest=everyday,
                                    holdout=held, source="family_medicine_visits.csv")  # fmt: skip
    return path, check_html(path)


@pytest.fixture(scope="module")
def inferred(tmp_path_factory) -> tuple[Calibration, Path, HtmlChecker]:
    """The demo export calibrated without a base, its report (no back-test)."""
    calibration = calibrate(read_visits(EXPORT))
    path = write_calibration_report(calibration, tmp_path_factory.mktemp("inferred report"))
    return calibration, path, check_html(path)


# -- the page ------------------------------------------------------------------------------------------------------


def test_the_report_is_valid_html_with_every_figure_embedded(report, calibrated):
    path, checker = report
    _, calibration, _, _ = calibrated
    assert path.name == "calibration.html"
    assert checker.errors == [] and checker.stack == []
    fitted = len(calibration.provider_visit.fits) + (len(calibration.rooming.fits) if calibration.rooming else 0)
    assert len(checker.images) == fitted + 4  # a figure per duration fit, two per back-test (KPIs, census by hour)
    for source in checker.images:
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert all(url.startswith("data:") for url in checker.urls)  # nothing fetched from anywhere


def test_the_export_is_named_with_its_dates_and_rows(report, calibrated):
    path, checker = report
    visits = calibrated[0]
    export = {row[0]: row[1] for row in table_rows(path, "export")}
    assert export["Source"] == "family_medicine_visits.csv"
    assert export["Dates"].startswith("2027-01-04 to 2027-01-29 (20 dates")
    assert export["Rows"].startswith(f"{len(visits):,}:")
    samples = {row[0]: row[1:] for row in table_rows(path, "samples")[1:]}
    assert samples["Lateness"][0] == f"{calibrated[1].lateness.n:,}"
    assert samples["Provider-visit durations"][0] == f"{int(calibrated[1].provider_visit.counts['n'].sum()):,}"


def test_the_problems_table_lists_every_planted_defect(report, calibrated):
    path, _ = report
    visits, calibration, _, _ = calibrated
    planted = json.loads(EXPORT.with_suffix(".defects.json").read_text())["defects"]
    shown = {row[0]: row[1:] for row in table_rows(path, "problems")[1:]}
    expected = calibration.quality.table()
    assert len(shown) == len(expected)
    for line in expected.itertuples(index=False):
        sentence, rows, examples = shown[line.reason.replace("_", " ")]
        assert (sentence, rows, examples) == (line.sentence, f"{line.rows:,}", ", ".join(map(str, line.examples)))
    for defect, lines in planted.items():
        reason = DEFECT_REASONS[defect]
        assert lines and reason.replace("_", " ") in shown, defect
        flagged = set(visits.loc[calibration.quality.mask(reason).to_numpy(), "row"])
        duplicates = set(planted["duplicate"])  # a duplicated line is reported as a duplicate only
        assert set(lines) - duplicates <= flagged, defect
        assert int(shown[reason.replace("_", " ")][1].replace(",", "")) >= len(set(lines) - duplicates)


def test_every_exclusion_is_stated_with_its_reason(report, calibrated):
    path, _ = report
    quality = calibrated[1].quality
    rows = table_rows(path, "exclusions")[1:]
    by_columns = {row[1]: row for row in rows}
    exclusions = quality.exclusions()
    assert len(rows) == exclusions["interval"].nunique()
    for interval, group in exclusions.groupby("interval", sort=False):
        row = by_columns[" to ".join(INTERVALS[interval])]
        assert row[3] == f"{int(quality.excluded(interval).sum()):,}"
        assert row[4] == "; ".join(f"{r.replace('_', ' ')}: {n:,}" for r, n in zip(group["reason"], group["rows"]))
    fitted = {row[1]: row[2] for row in rows}
    assert fitted["provider_in to provider_out"].startswith("provider-visit durations")
    assert fitted["checked_in to roomed"].startswith("not fitted")


def test_the_settings_table_has_every_calibrated_path(report, calibrated):
    path, _ = report
    calibration = calibrated[1]
    rows = table_rows(path, "settings")[1:]
    assert [row[0] for row in rows] == list(calibration.settings["path"])
    shown = {row[0]: row for row in rows}
    assert shown["visit_types.new.p_no_show"][1] == "0.18"  # the base scenario's value beside the fitted one
    for setting in calibration.settings.itertuples(index=False):
        assert shown[setting.path][2] == short_value(setting.value)
        assert shown[setting.path][3] == setting.comment


def test_each_duration_group_has_its_candidates(report, calibrated):
    path, checker = report
    calibration = calibrated[1]
    candidates = table_rows(path, "candidates")
    headers = [i for i, row in enumerate(candidates) if row[0] == "Distribution"]
    assert len(headers) == len(calibration.provider_visit.fits) + len(calibration.rooming.fits)
    first = candidates[headers[0] + 1 : headers[1]]
    fit = next(iter(calibration.provider_visit.fits.values()))
    assert [row[0] for row in first] == [c.name for c in fit.candidates]
    assert [row[8] for row in first] == ["chosen" if c.name == fit.chosen else "" for c in fit.candidates]
    for section in ("Provider speed", "Lateness", "No-shows", "Late session starts", "Walk-ins"):
        assert section in checker.words
    no_shows = table_rows(path, "no-shows")[1:]
    assert [row[1] for row in no_shows if row[0] == "Visit type"] == ["established", "new", "telehealth"]
    assert [row[1] for row in no_shows if row[0] == "Lead time"] == ["0 days", "1-7 days", "8-30 days", "31+ days"]


def test_the_back_test_verdicts_are_in_words(report, calibrated):
    path, checker = report
    _, _, everyday, held = calibrated
    words = checker.words
    assert "Back-test: every observed day" in words and "Hold-out back-test" in words
    for result in (everyday, held):
        summary = result.summary()
        for verdict in summary["verdict"]:
            assert verdict in words
        for kpi, sentence in zip(summary.index, backtest_sentences(result)):
            folded = census_hour(kpi) is not None and sentence.split(": ", 1)[1].startswith("reproduced")
            assert folded or sentence in words  # the census hours reproduced share one sentence
        assert "Patients in the clinic by clock hour: reproduced in" in words
    rows = table_rows(path, "backtest")
    assert len([r for r in rows if r[0] == "KPI"]) == 2
    assert len(rows) == 2 + len(everyday.summary()) + len(held.summary())
    # the KPIs first, then the census of every hour the clinic is open, each named in words
    labels = [row[0] for row in rows[1 : 1 + len(everyday.summary())]]
    assert labels[: len(BACKTEST_KPIS)] == [kpi_label(kpi) for kpi in BACKTEST_KPIS]
    assert labels[len(BACKTEST_KPIS) :] == [f"Patients in the clinic {h:02d}:00-{h + 1:02d}:00" for h in range(7, 18)]
    assert words.count("the share of days whose observed census falls inside that day's own band") == 2
    # the demo's bands come from 9 replications: 80% prediction intervals, said so
    assert (
        "a prediction interval with 80% coverage" in words and "39 replications give a distribution-free 95%" in words
    )


def test_without_a_back_test_the_report_says_so():
    visits = read_visits(EXPORT)
    calibration = calibrate(visits, load_scenario(BASE))
    checker = HtmlChecker()
    checker.feed(render_calibration_report(calibration))
    assert checker.errors == []
    assert "No back-test was run" in checker.words and "Hold-out back-test" not in checker.words
    assert EXPORT.name in checker.words  # the export read names itself


# -- charting, room turnover, the late policy, providers by visit type, the inferred base -----------------------


def test_charting_room_turnover_and_the_late_policy_are_shown(report, calibrated):
    path, checker = report
    calibration = calibrated[1]
    charting = calibration.charting
    rows = {row[0]: row for row in table_rows(path, "charting")[1:]}
    used = charting.gaps[charting.gaps["used"]]
    assert set(rows) == {*used["provider"].unique(), "All (pooled)"}
    for provider, fit in charting.fits.items():
        row = rows["All (pooled)" if provider == "all" else provider]
        n_used = len(used) if provider == "all" else int((used["provider"] == provider).sum())
        assert row[1:6] == [f"{n_used:,}", f"{fit.n:,}", f"{fit.mean_min:.1f}",
                            f"{fit.mean_ci[0]:.1f} to {fit.mean_ci[1]:.1f}", fit.chosen]  # fmt: skip
        assert row[8] == ("for providers without a fit of their own" if provider == "all" else "own")
    assert "the gap from the provider leaving one patient to seeing the next who was already ready" in checker.words
    assert "it includes the walk to the room" in checker.words
    # the demo export names its rooms: the turnover is fitted, and said to be an upper bound
    turnover = calibration.room_turnover.fit
    assert turnover is not None
    (row,) = table_rows(path, "room-turnover")[1:]
    assert row[2:6] == [f"{turnover.n:,}", f"{turnover.mean_min:.1f}",
                        f"{turnover.mean_ci[0]:.1f} to {turnover.mean_ci[1]:.1f}", turnover.chosen]  # fmt: skip
    assert "It is an upper bound: a gap can include a wait for the medical assistant." in checker.words
    assert "names no rooms" not in checker.words
    # the demo's clinic turns away patients more than 15 minutes late, and the export shows it
    policy = calibration.settings.set_index("path").loc["patients.turn_away_if_late_by_min"]
    assert policy["value"] == 15
    assert f"Late policy: patients more than 15 min late are turned away ({policy['comment']})" in checker.words


def test_the_providers_by_visit_type_table_matches_the_calibration(report, calibrated):
    path, checker = report
    durations = calibrated[1].provider_durations
    rows = table_rows(path, "provider-types")[1:]
    assert [(row[0], row[1], row[2]) for row in rows] == [
        (r.provider, r.visit_type, f"{r.n:,}") for r in durations.itertuples(index=False)
    ]
    assert [row[8] for row in rows] == ["yes" if inside else "no" for inside in durations["model_inside"]]
    if durations["model_inside"].all():
        assert "one speed factor per provider describes their visits" in checker.words


def test_a_provider_one_speed_factor_does_not_describe_is_highlighted_and_named(calibrated):
    """Dr Chen's new visits made slower than the scenario's by hand: the row is bold, and a sentence names it."""
    calibration = calibrated[1]
    durations = calibration.provider_durations.copy()
    chen_new = (durations["provider"] == "Dr Chen") & (durations["visit_type"] == "new")
    assert chen_new.sum() == 1
    durations.loc[chen_new, ["mean_min", "ci_low", "ci_high", "model_mean_min", "model_inside"]] = [
        38.0, 35.0, 41.0, 30.0, False]  # fmt: skip
    durations.loc[~chen_new, "model_inside"] = True
    page = render_calibration_report(dataclasses.replace(calibration, provider_durations=durations))
    checker = HtmlChecker()
    checker.feed(page)
    assert checker.errors == []
    highlighted = re.findall(r'<tr class="clear"><td>([^<]*)</td><td>([^<]*)</td>', page)
    assert highlighted == [("Dr Chen", "new")]  # the only bold row with a provider in front
    assert (
        "Dr Chen's new visits average 38.0 min (95% CI 35.0 to 41.0) where the calibrated scenario gives 30.0: one "
        "speed factor does not describe them." in checker.words
    )
    assert "one speed factor per provider describes their visits" not in checker.words


def test_without_a_base_the_report_shows_the_inferred_base(inferred):
    calibration, path, checker = inferred
    assert calibration.inferred is not None and checker.errors == [] and checker.stack == []
    words = checker.words
    assert "No base scenario was given" in words and "The base, inferred from the export" in words
    assert "replace them with the clinic's own in the calibrated scenario; a back-test shows what they cost" in words
    (template,) = calibration.base.templates
    (row,) = table_rows(path, "inferred-templates")[1:]
    assert row == [template, "Dr Alvarez, Dr Baker, Dr Chen, NP Diaz: mon to fri", "08:00-12:00, 13:00-17:00", "20",
                   row[4], "none"]  # fmt: skip
    assert row[4].startswith("new, established ×3, telehealth, established ×7 (12 slots")
    comments = calibration.inferred.comments
    assert f"Slot length: {comments[f'templates.{template}.slot_min']}" in words
    clinic = {row[0]: row[1:] for row in table_rows(path, "inferred-clinic")[1:]}
    assert clinic["Exam rooms"] == [str(calibration.base.clinic.exam_rooms), comments["clinic.exam_rooms"]]
    assert clinic["Opens"][1] == comments["clinic.opens"] and clinic["Closes"][1] == comments["clinic.closes"]
    for sentence in calibration.inferred.assumed:
        assert sentence in words
    # the demo export times the gaps between visits and names its rooms: two assumptions are replaced by fits
    assert "The calibration replaced 2 of these with their fits from the export: the providers' charting" in words
    assert calibration.inferred.left_out == [] and "None: every provider of the export has a template" in words


def test_an_export_without_rooms_keeps_the_base_turnover(tmp_path):
    table = pd.read_csv(EXPORT, dtype=str, keep_default_na=False)
    (tmp_path / "no_rooms.csv").write_text(table.drop(columns="room").to_csv(index=False))
    calibration = calibrate(read_visits(tmp_path / "no_rooms.csv"), load_scenario(BASE))
    assert calibration.room_turnover.fit is None
    assert "clinic.room_turnover_min" not in set(calibration.settings["path"])
    checker = HtmlChecker()
    checker.feed(render_calibration_report(calibration))
    assert checker.errors == []
    assert "The export names no rooms; the base's turnover is kept." in checker.words


# -- the verdicts' words, on hand-made back-tests --------------------------------------------------------------


def made_backtest(wheres: dict[str, list[str]], *, replications: int = 39) -> Backtest:
    """A back-test whose days fall ``inside``, ``above`` or ``below`` as given, per KPI."""
    rows = []
    for kpi, places in wheres.items():
        for day, where in enumerate(places):
            observed = {"inside": 5.0, "above": 20.0, "below": -10.0}[where]
            rows.append({"date": pd.Timestamp("2027-01-04") + pd.Timedelta(days=day), "kpi": kpi,
                         "observed": observed, "median": 5.0, "low": 0.0, "high": 10.0, "where": where})  # fmt: skip
    skipped = pd.DataFrame([{"date": pd.Timestamp("2027-01-09"), "reason": "the scenario has no clinic on saturday"}])
    return Backtest(days=pd.DataFrame(rows), replications=replications, skipped=skipped)


def test_verdict_words_say_which_side_the_model_misses():
    result = made_backtest(
        {
            "provider_wait_mean_min": ["above"] * 15 + ["inside"] * 5,
            "cycle_time_mean_min": ["above"] * 6 + ["below"] * 6 + ["inside"] * 8,
            "patients_seen": ["inside"] * 19 + ["below"],
            "last_departure_min": ["below"] * 12 + ["inside"] * 7 + ["above"],
        }
    )
    sentences = dict(zip(result.summary().index, backtest_sentences(result)))
    wait = sentences["provider_wait_mean_min"]
    assert wait.startswith(f"{find_metric('provider_wait_mean_min').label}: observed values consistently above")
    assert "above on 75% of 20 days, inside on only 25%" in wait and "too low" in wait
    assert "outside the simulated band on both sides" in sentences["cycle_time_mean_min"]
    assert sentences["patients_seen"].startswith("Patients seen: reproduced. 95% of 20 observed days")
    late = sentences["last_departure_min"]
    assert "consistently below" in late and "too high" in late  # 12 below against 1 above: consistently


def test_skipped_days_are_listed_with_their_reason(calibrated):
    calibration = calibrated[1]
    result = made_backtest({kpi: ["inside"] * 4 for kpi in BACKTEST_KPIS})
    checker = HtmlChecker()
    checker.feed(render_calibration_report(calibration, backtest=result))
    assert checker.errors == []
    assert "Days not replayed" in checker.words
    assert "2027-01-09 the scenario has no clinic on saturday" in checker.words
    assert "a prediction interval with 95% coverage" in checker.words


def test_the_census_hours_reproduced_share_a_sentence_and_a_missed_hour_has_its_own(calibrated):
    calibration = calibrated[1]
    result = made_backtest(
        {
            "cycle_time_mean_min": ["inside"] * 20,
            "census_09": ["inside"] * 20,
            "census_08": ["inside"] * 19 + ["above"],
            "census_10": ["below"] * 12 + ["inside"] * 8,
        }
    )
    assert list(result.summary().index) == ["cycle_time_mean_min", "census_08", "census_09", "census_10"]
    checker = HtmlChecker()
    checker.feed(render_calibration_report(calibration, backtest=result))
    assert checker.errors == [] and len(checker.images) >= 2  # the KPIs' figure and the census figure
    words = checker.words
    assert "Patients in the clinic by clock hour: reproduced in 2 of 3 hours (08:00, 09:00)" in words
    missed = dict(zip(result.summary().index, backtest_sentences(result)))["census_10"]
    assert missed.startswith("Patients in the clinic 10:00-11:00: observed values consistently below") and (
        missed in words
    )
    assert "1 of 4 KPIs missed (Patients in the clinic 10:00-11:00)" in words
    assert "the share of days whose observed census falls inside that day's own band" in words


# -- the duration figure, and settings in short ----------------------------------------------------------------


@pytest.mark.parametrize("bimodal", [False, True], ids=["lognormal sample", "two humps: empirical chosen"])
def test_duration_figure_draws_every_candidate_and_the_qq_of_the_chosen(bimodal):
    rng = np.random.default_rng(7)
    values = rng.lognormal(2.7, 0.35, 400)
    if bimodal:
        values = np.concatenate([rng.lognormal(2.0, 0.2, 300), rng.lognormal(3.3, 0.15, 300)])
    fit = fit_duration(values)
    assert (fit.chosen == "empirical") == bimodal
    figure = plot_duration_fit(fit, "Provider visit: test")
    histogram, qq = figure.axes
    labels = [line.get_label() for line in histogram.get_lines()]
    drawn = labels + [p.get_label() for p in histogram.patches if p.get_label().startswith("empirical")]
    assert sorted(label.split(":")[0].removesuffix(" (chosen)") for label in drawn) == sorted(
        c.name for c in fit.candidates
    )
    assert sum("(chosen)" in label for label in drawn) == 1
    points, expected = qq.get_lines()[0], fit.qq()
    assert np.allclose(points.get_xdata(), expected["theoretical_min"])
    assert np.allclose(points.get_ydata(), expected["sample_min"])
    assert "Provider visit: test" in figure.get_suptitle() and fit.chosen in figure.get_suptitle()
    # the chosen density integrates to about 1 over the plotted range
    if not bimodal:
        chosen = next(line for line in histogram.get_lines() if "(chosen)" in line.get_label())
        x, y = chosen.get_xdata(), chosen.get_ydata()
        assert math.isclose(float(np.sum((y[1:] + y[:-1]) / 2 * np.diff(x))), 1.0, abs_tol=0.01)
    plt.close(figure)


def test_settings_in_short():
    assert short_value({"kind": "lognormal", "mean": 16.048, "sd": 6.03}) == "lognormal: mean 16.05, sd 6.03"
    assert short_value({"kind": "normal", "mean": -8.0, "sd": 10.0, "truncated_below": None}) == (
        "normal: mean -8, sd 10"
    )
    assert short_value({"kind": "empirical", "values": [0.0, 2.0, 4.0], "weights": [2.0, 1.0, 1.0]}) == (
        "empirical: 3 values from 0 to 4 (mean 1.5)"
    )
    assert short_value({"kind": "fixed", "value": 0}) == "fixed 0"
    stream = {"name": "Walk-ins", "visit_type": {"established": 0.75, "new": 0.25},
              "rates": [{"start": "08:00", "end": "09:00", "per_hour": 1.25}]}  # fmt: skip
    assert short_value([stream]) == "Walk-ins: 08:00-09:00 1.25/h; visit types established 75%, new 25%"
    assert short_value([]) == "(none)" and short_value(None) == "(not set)" and short_value(0.1138) == "0.1138"
