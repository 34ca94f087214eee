"""Walk-in arrivals: a Poisson process whose hourly rate changes over the day."""

from __future__ import annotations

import numpy as np

from clinicsim.patients import poisson_times
from clinicsim.scenario import WalkIns


def source(*rates) -> WalkIns:
    return WalkIns.model_validate(
        {"name": "w", "visit_type": "v", "rates": [{"start": s, "end": e, "per_hour": r} for s, e, r in rates]}
    )


def test_counts_per_period_are_poisson_with_the_given_rates():
    walk_ins = source(("08:00", "10:00", 6), ("10:00", "11:00", 0), ("11:00", "12:30", 2), ("11:30", "12:30", 4))
    days = [poisson_times(walk_ins.rates, np.random.default_rng(day)) for day in range(4000)]
    edges = [480, 600, 660, 690, 750]
    counts = np.array([np.histogram(t, bins=edges)[0] for t in days])
    expected = np.array([12, 0, 1, 6])  # 6/h for 2 h; nothing; 2/h for 30 min; 6/h for an hour
    se = np.sqrt(expected / len(days))  # Poisson: variance equals the mean
    assert np.all(np.abs(counts.mean(axis=0) - expected) <= 5 * se + 1e-12)
    assert np.allclose(counts.var(axis=0)[[0, 3]], expected[[0, 3]], rtol=0.1)
    assert all(np.all(np.diff(t) >= 0) for t in days)


def test_a_rate_change_late_in_the_day_leaves_earlier_arrivals_unchanged():
    before = poisson_times(source(("08:00", "10:00", 6), ("10:00", "12:00", 3)).rates, np.random.default_rng(5))
    after = poisson_times(source(("08:00", "10:00", 6), ("10:00", "12:00", 9)).rates, np.random.default_rng(5))
    assert np.array_equal(before[before < 600], after[after < 600])
    assert len(after[after >= 600]) > len(before[before >= 600])
