"""A scenario calibrated to the bundled synthetic export (made from family_medicine.yaml) gets the generating
scenario's numbers back, within their intervals, and says what it could not use."""

from __future__ import annotations

import re

import pytest

from clinicsim.calibration.calibrate import calibrate, split_by_date
from clinicsim.calibration.export import read_visits
from clinicsim.scenario import load_scenario

EXPORT = "scenarios/calibration/family_medicine_visits.csv"


@pytest.fixture(scope="module")
def calibrated():
    return calibrate(read_visits(EXPORT), load_scenario("scenarios/family_medicine.yaml"))


def test_the_generating_scenario_is_found_again(calibrated):
    truth, fitted = calibrated.base, calibrated.scenario
    for name in ("new", "established", "telehealth"):
        fit = calibrated.provider_visit[name]
        true_mean = truth.visit_types[name].durations_min.provider_visit.mean
        low, high = fit.mean_ci
        # the fit is of durations at speed 1 (each provider's stretched by their factor): the truth's mean is the
        # scenario's; allow the factors' own uncertainty (a few %) around the sample mean's interval
        assert 0.95 * low <= true_mean <= 1.05 * high, (name, fit.mean_ci, true_mean)
        rate = calibrated.no_shows.query("by == 'visit_type' and group == @name").iloc[0]
        assert rate["p_no_show_low"] <= truth.visit_types[name].p_no_show <= rate["p_no_show_high"]
    for provider in truth.providers:
        row = calibrated.speed.loc[provider.name]
        assert row["ci_low"] <= provider.speed_factor <= row["ci_high"], provider.name
        assert fitted.provider(provider.name).speed_factor == pytest.approx(row["speed_factor"], abs=1e-3)
    lateness = fitted.patients.lateness_min
    assert lateness.mean == pytest.approx(-8, abs=1.0) and lateness.sd == pytest.approx(10, abs=1.0)
    assert fitted.patients.turn_away_if_late_by_min == truth.patients.turn_away_if_late_by_min == 15
    for provider in fitted.providers:  # charting between visits: lognormal, mean 4 minutes
        low, high = calibrated.charting.fits[provider.name].mean_ci
        assert low - 0.3 <= 4 <= high + 0.3 and provider.documentation_min.mean == pytest.approx(4, abs=0.6)
    turnover = calibrated.room_turnover.fit  # an upper bound of triangular(1, 2, 5), mean 2.67
    assert fitted.clinic.room_turnover_min.mean == pytest.approx(turnover.distribution.mean, abs=1e-3)
    assert turnover.mean_ci[0] > 2.67 - 0.1 and turnover.mean_min < 2.67 + 0.6


def test_without_a_base_the_templates_are_inferred_and_said_so():
    inferred = calibrate(read_visits(EXPORT))
    truth = load_scenario("scenarios/family_medicine.yaml")
    template = next(iter(inferred.scenario.templates.values()))
    assert template.pattern == truth.templates["fm_20"].pattern and template.slot_min == 20
    assert inferred.inferred is not None and inferred.inferred.assumed
    assert "templates.mon_to_fri_20min.slot_min" in inferred.comments  # where it came from, in the file
    assert inferred.comments["visit_types.new.durations_min.provider_visit"].startswith("n=")  # the fit wins


def test_every_changed_setting_is_listed_with_its_sample(calibrated):
    paths = set(calibrated.settings["path"])
    assert "visit_types.established.durations_min.provider_visit" in paths
    assert "providers.Dr Baker.speed_factor" in paths and "patients.lateness_min" in paths
    assert all(re.match(r"n=|[\d,]+ ", comment) for comment in calibrated.settings["comment"])
    assert calibrated.scenario.name.endswith("(calibrated)") and calibrated.not_used == []
    # what an export cannot say (check-in and check-out service times, staff, templates) stays the base's
    assert calibrated.scenario.staff == calibrated.base.staff
    assert calibrated.scenario.templates == calibrated.base.templates


def test_what_the_base_has_no_place_for_is_said(tmp_path):
    text = open(EXPORT).read().replace("Dr Chen", "Dr Zhou")
    path = tmp_path / "visits.csv"
    path.write_text(text)
    result = calibrate(read_visits(path), load_scenario("scenarios/family_medicine.yaml"))
    assert "provider 'Dr Zhou': not in the base scenario" in result.not_used
    assert "providers.Dr Chen.speed_factor" not in set(result.settings["path"])


def test_a_holdout_keeps_the_last_dates_apart():
    visits = read_visits(EXPORT)
    first, rest = split_by_date(visits, 0.75)
    assert first["date"].max() < rest["date"].min()
    assert first["date"].nunique() == 15 and rest["date"].nunique() == 5 and len(first) + len(rest) == len(visits)
