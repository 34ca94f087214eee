"""Distributions in domain terms: parameters mean what an analyst means, moments match theory."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from clinicsim.distributions import Distribution, Duration, Fixed

ANY = TypeAdapter(Distribution)
DURATION = TypeAdapter(Duration)

SPECS = [
    {"kind": "fixed", "value": 7},
    {"kind": "exponential", "mean": 15},
    {"kind": "normal", "mean": -8, "sd": 10},
    {"kind": "lognormal", "mean": 18, "sd": 8},
    {"kind": "gamma", "mean": 12, "cv": 0.5},
    {"kind": "weibull", "mean": 14, "cv": 0.6},
    {"kind": "triangular", "low": 1, "mode": 2, "high": 6},
    {"kind": "uniform", "low": 2, "high": 5},
    {"kind": "empirical", "values": [5, 10, 20], "weights": [1, 2, 1]},
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s["kind"])
def test_sample_moments_match_theory(spec):
    dist = ANY.validate_python(spec)
    n = 200_000
    x = dist.sample(np.random.default_rng(12345), n)
    sd = np.sqrt(dist.variance)
    # the sample mean is within 5 standard errors; the sample variance within 5% (plus an absolute floor for fixed)
    assert abs(x.mean() - dist.mean) <= 5 * sd / np.sqrt(n) + 1e-12
    assert x.var() == pytest.approx(dist.variance, rel=0.05, abs=1e-12)


def test_lognormal_is_given_by_its_own_mean_and_sd_not_numpys_parameters():
    dist = ANY.validate_python({"kind": "lognormal", "mean": 18, "sd": 8})
    assert (dist.mean, dist.variance) == (18, 64)
    x = dist.sample(np.random.default_rng(1), 100_000)
    assert x.mean() == pytest.approx(18, rel=0.01)


@pytest.mark.parametrize("cv", [0.05, 0.3, 0.5227232008770634, 1.0, 2.5])
def test_a_weibull_given_by_mean_and_cv_is_scipys_weibull_with_the_solved_shape_and_scale(cv):
    """The shape solved from the cv gives scipy's Weibull that mean and cv; draws are its inverse distribution
    function (cv 1 is the exponential, cv 0.5227 the Rayleigh, shape 2)."""
    dist = ANY.validate_python({"kind": "weibull", "mean": 14, "cv": cv})
    scipy_weibull = stats.weibull_min(dist.shape, scale=dist.scale)
    assert scipy_weibull.mean() == pytest.approx(14, rel=1e-9)
    assert scipy_weibull.std() / scipy_weibull.mean() == pytest.approx(cv, rel=1e-9)
    u = np.linspace(0.001, 0.999, 101)
    assert dist.from_uniform(u) == pytest.approx(scipy_weibull.ppf(u), rel=1e-9)
    assert dist.minimum == 0


def test_weibull_shapes_of_known_cvs():
    exponential = ANY.validate_python({"kind": "weibull", "mean": 10, "cv": 1})
    rayleigh = ANY.validate_python({"kind": "weibull", "mean": 10, "cv": 0.5227232008770634})
    assert (exponential.shape, exponential.scale) == (pytest.approx(1, rel=1e-9), pytest.approx(10, rel=1e-9))
    assert rayleigh.shape == pytest.approx(2, rel=1e-9)


def test_a_bare_number_means_fixed():
    assert ANY.validate_python(3) == Fixed(value=3)


def test_inverse_transform_is_monotone_so_common_random_numbers_couple_samples():
    u = np.linspace(0.01, 0.99, 50)
    for spec in SPECS:
        values = ANY.validate_python(spec).from_uniform(u)
        assert np.all(np.diff(values) >= 0), spec["kind"]


@pytest.mark.parametrize(
    "spec, message",
    [
        (-3, "cannot be negative"),
        ({"kind": "uniform", "low": -1, "high": 2}, "can go below 0"),
        ({"kind": "normal", "mean": 10, "sd": 2, "truncated_below": -1}, "can go below 0"),
    ],
)
def test_durations_cannot_be_negative(spec, message):
    with pytest.raises(ValidationError, match=message):
        DURATION.validate_python(spec)


@pytest.mark.parametrize("mean, sd", [(10, 2), (10, 8), (3, 6)])
def test_a_normal_duration_is_truncated_at_zero_with_the_truncated_moments(mean, sd):
    """A normal from the literature is accepted as a duration, truncated at 0 (draws below 0 are left out, not
    set to 0); its mean and variance are those of the truncated normal, and 400,000 draws agree with them."""
    dist = DURATION.validate_python({"kind": "normal", "mean": mean, "sd": sd})
    assert dist.minimum == 0
    x = dist.sample(np.random.default_rng(7), 400_000)
    assert x.min() >= 0
    alpha = -mean / sd
    lam = stats.norm.pdf(alpha) / stats.norm.sf(alpha)
    assert dist.mean == pytest.approx(mean + sd * lam, rel=1e-12)
    assert dist.variance == pytest.approx(sd**2 * (1 + alpha * lam - lam**2), rel=1e-12)
    assert x.mean() == pytest.approx(stats.truncnorm(alpha, np.inf, loc=mean, scale=sd).mean(), abs=5 * x.std() / 630)
    assert x.var() == pytest.approx(dist.variance, rel=0.02)


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "lognormal", "mean": 10},
        {"kind": "lognormal", "mean": -1, "sd": 2},
        {"kind": "triangular", "low": 5, "mode": 2, "high": 6},
        {"kind": "uniform", "low": 3, "high": 3},
        {"kind": "empirical", "values": [1, 2], "weights": [1]},
        {"kind": "gamma", "mean": 10, "cv": 0.5, "shape": 4},
        {"kind": "weibull", "mean": 10},
        {"kind": "weibull", "mean": 10, "cv": 0},
        {"kind": "weibull", "mean": 10, "shape": 2, "scale": 11},
    ],
)
def test_invalid_parameters_are_rejected(spec):
    with pytest.raises(ValidationError):
        ANY.validate_python(spec)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s["kind"])
def test_round_trip_through_plain_data(spec):
    dist = ANY.validate_python(spec)
    assert ANY.validate_python(ANY.dump_python(dist, mode="json")) == dist
