"""Calibration recovers the truth: duration fits over many seeds choose the family the values came from and their
95% intervals cover the true parameters about 95% of the time; and the fits of a synthetic export of a known
scenario recover its durations, speed factors, lateness, no-show rates and late starts, and bound its room
turnover from above.

False alarms: a coverage check over 60 seeds fails when 51 or fewer cover, which a true 95% interval does with
probability 0.3%; single-export checks compare with intervals widened to twice their half width (about 4 standard
errors: a false alarm about once in 16,000 per check).
"""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from pydantic import TypeAdapter

from clinicsim.calibration.export import read_visits
from clinicsim.calibration.fit import (
    fit_by_group,
    fit_duration,
    late_starts,
    lateness,
    no_show_rates,
    provider_speed_factors,
    room_turnover,
)
from clinicsim.calibration.synthetic import synthetic_export, write_export
from clinicsim.distributions import Distribution
from clinicsim.scenario import load_scenario

pytestmark = pytest.mark.slow

ANY = TypeAdapter(Distribution)
SEEDS = 60
COVERED_AT_LEAST = 52  # of 60: P(Binomial(60, 0.95) <= 51) = 0.3%

TRUTHS = [
    {"kind": "lognormal", "mean": 16, "sd": 6},
    {"kind": "gamma", "mean": 20, "cv": 0.5},
    {"kind": "weibull", "mean": 12, "cv": 0.6},
    {"kind": "lognormal", "mean": 30, "sd": 10},
    {"kind": "gamma", "mean": 6, "cv": 0.35},
]


@pytest.mark.parametrize("truth", TRUTHS, ids=lambda t: "-".join(str(v) for v in t.values()))
def test_duration_fits_choose_the_family_and_their_intervals_cover_the_truth(truth):
    dist = ANY.validate_python(truth)
    chosen, covered = 0, {"mean_ci": 0} | {name: 0 for name in truth if name != "kind"}
    for seed in range(SEEDS):
        fit = fit_duration(dist.sample(np.random.default_rng([seed, 2027]), 3000))
        chosen += fit.chosen == truth["kind"]
        covered["mean_ci"] += fit.mean_ci[0] <= truth["mean"] <= fit.mean_ci[1]
        own = fit.candidate(truth["kind"])
        for name, (low, high) in own.intervals.items():
            covered[name] += low <= truth[name] <= high
    assert chosen >= SEEDS - 3, f"{chosen} of {SEEDS} chose {truth['kind']}"
    assert all(k >= COVERED_AT_LEAST for k in covered.values()), covered


def within(value: float, low: float, high: float, estimate: float) -> bool:
    """Whether ``value`` is inside the interval widened to twice its half width around ``estimate``."""
    return estimate - 2 * (estimate - low) <= value <= estimate + 2 * (high - estimate)


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """20 weeks of the family-medicine scenario, as an EHR would export them (no defects)."""
    scenario = load_scenario("scenarios/family_medicine.yaml")
    path = tmp_path_factory.mktemp("recovery") / "visits.csv"
    write_export(synthetic_export(scenario, weeks=20, seed=41, start=datetime.date(2027, 1, 4)), path)
    return scenario, read_visits(path)


def test_a_synthetic_clinic_gives_back_its_durations_and_speed_factors(clinic):
    scenario, visits = clinic
    factors = {p.name: p.speed_factor for p in scenario.providers}
    # each provider sees the same template, so a visit type's pooled mean is the mean over providers of mean / f
    pooled = np.mean([1 / f for f in factors.values()])
    fits = fit_by_group(visits, ("provider_in", "provider_out"), ["visit_type"])
    # the pooled visits are a mix of each provider's (scaled) visits; with about 7,000 established visits the
    # truth's family wins, with a few hundred new or video visits it need only not be clearly worse (AIC within 10)
    assert fits["established"].chosen == "lognormal"
    for name, visit_type in scenario.visit_types.items():
        truth = visit_type.durations_min.provider_visit
        fit = fits[name]
        table = fit.table().set_index("distribution")
        assert table.loc[truth.kind, "delta_aic"] < 10 and not fit.candidate(fit.chosen).rejected, name
        assert within(truth.mean * pooled, *fit.mean_ci, fit.mean_min), name
    speed = provider_speed_factors(visits, prior_visits=0)
    for provider, f in factors.items():
        row = speed.loc[provider]
        assert within(f * pooled, row["ci_low"], row["ci_high"], row["raw_factor"]), provider
    rooming = fit_by_group(visits, ("roomed", "rooming_done"), ["visit_type"])
    assert rooming["established"].chosen == "lognormal"
    for name in ("new", "established"):
        truth = scenario.visit_types[name].durations_min.rooming
        assert rooming[name].table().set_index("distribution").loc["lognormal", "delta_aic"] < 10, name
        assert within(truth.mean, *rooming[name].mean_ci, rooming[name].mean_min), name


def test_a_synthetic_clinic_gives_back_its_lateness_no_shows_and_late_starts(clinic):
    scenario, visits = clinic
    truth = scenario.patients.lateness_min
    fit = lateness(visits)
    assert fit.distribution == fit.normal and within(truth.mean, *fit.mean_ci, fit.normal.mean)
    assert fit.normal.sd == pytest.approx(truth.sd, rel=0.05)
    rates = no_show_rates(visits).set_index(["by", "group"])
    for name, visit_type in scenario.visit_types.items():
        row = rates.loc[("visit_type", name)]
        assert within(visit_type.p_no_show, row["p_no_show_low"], row["p_no_show_high"], row["p_no_show"]), name
    late = late_starts(visits).table().set_index("provider").loc["all"]
    true_late = scenario.providers[0].late_start_min  # the same for every provider
    assert within(true_late.mean, late["mean_delay_low"], late["mean_delay_high"], late["mean_delay_min"])
    assert late["mean_raw_delay_min"] > 2 * true_late.mean  # the raw delay holds the patients' own delays


def test_room_turnover_from_the_rooms_of_a_synthetic_clinic_is_a_tight_upper_bound(clinic):
    scenario, visits = clinic
    truth = scenario.clinic.room_turnover_min.mean  # triangular(1, 2, 5): 2.67 minutes
    turnover = room_turnover(visits)
    assert turnover.fit is not None and turnover.n > 1000
    low, _ = turnover.fit.mean_ci
    assert low > truth - 0.1  # an upper bound: a gap can include a wait for the medical assistant
    assert turnover.fit.mean_min < truth + 0.6  # but only a small one in this clinic
