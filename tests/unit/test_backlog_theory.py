"""The appointment-book theory of ``tests/validation/backlog_theory.py`` against a direct simulation of its own
recursion, against closed forms, and for its bookkeeping (probabilities sum to 1, unstable books are refused).

The Monte-Carlo comparison uses batch means: 200,000 simulated days after a burn-in, cut into 50 batches of 4,000
days (many times the backlog's correlation time, ~100 days at load 0.95 with c = 4), give each estimate a standard
error, and theory must lie within 5 of them. The same checks are shown to reject a formula that is one slot off,
so the tolerance is not so loose that it passes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest
from scipy import stats

from validation import backlog_theory as bt

DAYS = 200_000
BURN_IN = 5_000
BATCHES = 50
CASES = [(4, 0.8), (4, 0.95), (12, 0.8), (12, 0.95)]
CASE_IDS = [f"c{c}-load{load}" for c, load in CASES]


@dataclass(frozen=True)
class Estimate:
    value: float
    se: float

    def z(self, theory: float) -> float:
        return abs(self.value - theory) / self.se


@dataclass(frozen=True)
class PmfEstimate:
    value: np.ndarray
    se: np.ndarray

    def worst_z(self, theory: np.ndarray) -> float:
        """The largest |simulated - theory| / SE over the values with theory probability >= 1e-3 (an SE of 0 means
        the simulation never saw that value, and any difference is then huge)."""
        width = max(self.value.size, theory.size)
        simulated, se, exact = (np.pad(x, (0, width - x.size)) for x in (self.value, self.se, theory))
        seen = exact >= 1e-3
        return float((np.abs(simulated - exact)[seen] / np.maximum(se[seen], 1e-12)).max())

    def mass_where_rare(self, theory: np.ndarray) -> float:
        """The simulated probability of the values that theory gives less than 1e-3."""
        exact = np.pad(theory, (0, max(self.value.size - theory.size, 0)))[: self.value.size]
        return float(self.value[exact < 1e-3].sum())


@dataclass(frozen=True)
class Simulated:
    backlog: Estimate
    lead: Estimate
    tnaa: Estimate
    lead_pmf: PmfEstimate
    tnaa_pmf: PmfEstimate


def _batch_estimate(per_batch: np.ndarray) -> Estimate:
    return Estimate(float(per_batch.mean()), float(per_batch.std(ddof=1) / np.sqrt(len(per_batch))))


def _batch_pmf(batch: np.ndarray, values: np.ndarray) -> PmfEstimate:
    """The pmf of ``values`` in each batch (values of one kind: all requests, or all days), by batch means."""
    width = values.max() + 1
    counts = np.bincount(batch * width + values, minlength=BATCHES * width).reshape(BATCHES, width)
    per_batch = counts / counts.sum(axis=1, keepdims=True)
    return PmfEstimate(per_batch.mean(axis=0), per_batch.std(axis=0, ddof=1) / np.sqrt(BATCHES))


@cache
def simulate(c: int, load: float) -> Simulated:
    """Run Q_t = max(Q_{t-1} - c, 0) + A_t and book every request explicitly at its position in the book."""
    rate = load * c
    rng = np.random.default_rng(20240611 + 100 * c + int(100 * load))
    arrivals = rng.poisson(rate, BURN_IN + DAYS)
    carried = np.empty(arrivals.size, dtype=np.int64)  # max(Q_{t-1} - c, 0)
    start = np.empty(arrivals.size, dtype=np.int64)  # Q_{t-1}, the book at the start of day t
    q = 0
    for t, a in enumerate(arrivals.tolist()):
        start[t] = q
        q = max(q - c, 0)
        carried[t] = q
        q += a
    arrivals, carried, start = arrivals[BURN_IN:], carried[BURN_IN:], start[BURN_IN:]
    end = carried + arrivals  # Q_t
    batch_of_day = np.arange(DAYS) * BATCHES // DAYS

    # every request of day t, the j-th of the day, is booked at position max(Q_{t-1} - c, 0) + j
    day = np.repeat(np.arange(DAYS), arrivals)
    first = np.cumsum(arrivals) - arrivals
    position = carried[day] + np.arange(day.size) - first[day]
    lead = 1 + position // c
    batch = batch_of_day[day]
    requests = np.bincount(batch, minlength=BATCHES)
    tnaa = (start + 2) // c

    def per_batch_mean(values: np.ndarray) -> np.ndarray:
        return np.bincount(batch_of_day, weights=values) / np.bincount(batch_of_day)

    return Simulated(
        backlog=_batch_estimate(per_batch_mean(end)),
        lead=_batch_estimate(np.bincount(batch, weights=lead, minlength=BATCHES) / requests),
        tnaa=_batch_estimate(per_batch_mean(tnaa)),
        lead_pmf=_batch_pmf(batch, lead),
        tnaa_pmf=_batch_pmf(batch_of_day, tnaa),
    )


def _lead_pmf_with_offset(rate: float, c: int, offset: int) -> np.ndarray:
    """A wrong lead-time pmf for the power checks: lead = 1 + floor((B + offset) / c) with B = R + J as in theory
    (offset 0 reproduces the module, which is checked too)."""
    pi = bt.stationary_backlog(rate, c, tol=1e-16)
    carried = np.concatenate([[pi[: c + 1].sum()], pi[c + 1 :]])
    j = np.arange(200)
    booked = np.convolve(carried, stats.poisson.sf(j, rate) / rate)
    return np.bincount(1 + (np.arange(booked.size) + offset) // c, weights=booked)


def _tnaa_pmf_with_offset(rate: float, c: int, third: int) -> np.ndarray:
    """The pmf of floor((Q + third) / c): third = 2 is the third open slot (the module's), 1 or 3 are off by one."""
    pi = bt.stationary_backlog(rate, c, tol=1e-16)
    return np.bincount((np.arange(pi.size) + third) // c, weights=pi)


# -- against the simulated recursion -------------------------------------------------------------------------


@pytest.mark.parametrize(("c", "load"), CASES, ids=CASE_IDS)
def test_means_agree_with_the_simulated_recursion(c, load):
    rate = load * c
    sim = simulate(c, load)
    assert sim.backlog.z(bt.mean_backlog(rate, c)) < 5
    assert sim.lead.z(bt.mean_lead_time(rate, c)) < 5
    assert sim.tnaa.z(bt.mean_tnaa(rate, c)) < 5
    # the standard errors are small enough to matter: a tenth of a day at most (the slowest case, c = 4 at load
    # 0.95, has the most correlated days)
    assert sim.lead.se < 0.1 and sim.tnaa.se < 0.1


@pytest.mark.parametrize(("c", "load"), CASES, ids=CASE_IDS)
def test_lead_time_and_tnaa_pmfs_agree_with_the_simulated_recursion(c, load):
    rate = load * c
    sim = simulate(c, load)
    lead = bt.lead_time_distribution(rate, c)
    tnaa = bt.tnaa_distribution(rate, c)
    assert sim.lead_pmf.worst_z(lead) < 5 and sim.tnaa_pmf.worst_z(tnaa) < 5
    # the simulation seldom sees a value that theory calls rarer than 1e-3
    assert sim.lead_pmf.mass_where_rare(lead) < 5e-3 and sim.tnaa_pmf.mass_where_rare(tnaa) < 5e-3
    # the wrong-formula helpers of the next test reproduce the module with no offset
    np.testing.assert_allclose(_lead_pmf_with_offset(rate, c, 0)[: lead.size], lead, atol=1e-14)
    np.testing.assert_allclose(_tnaa_pmf_with_offset(rate, c, 2), tnaa, atol=1e-15)


@pytest.mark.parametrize(("c", "load"), CASES, ids=CASE_IDS)
def test_the_checks_reject_formulas_one_slot_off(c, load):
    """The means alone cannot tell one slot from the next at high load (a mean moves by at most 1/c of a day and
    the days are strongly correlated), but the pmfs can: each of these wrong formulas is far outside 5 SE."""
    rate = load * c
    sim = simulate(c, load)
    for offset in (-1, 1):  # one position too early or too late in the book
        assert sim.lead_pmf.worst_z(_lead_pmf_with_offset(rate, c, offset)) > 10
    for third in (1, 3):  # the second or the fourth open slot instead of the third
        assert sim.tnaa_pmf.worst_z(_tnaa_pmf_with_offset(rate, c, third)) > 10


# -- closed forms --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8, 0.95, 0.99])
def test_one_slot_a_day_is_the_md1_queue_at_departures(rate):
    """For c = 1, Q' = max(Q - 1, 0) + A is the number an M/D/1 departure leaves behind, E[Q] = r + r^2 / (2(1 - r)).
    The lead is 1 + R + J with R = max(Q - 1, 0): E[R] = E[Q] - r (from Q' = R + A) and E[J] = E[A(A-1)] / (2r)
    = r/2, so E[lead] = 1 + r/2 + r^2 / (2(1 - r)); and TNAA = Q + 2."""
    mean_q = rate + rate**2 / (2 * (1 - rate))
    assert bt.mean_backlog(rate, 1) == pytest.approx(mean_q, abs=1e-9)
    assert bt.mean_lead_time(rate, 1) == pytest.approx(1 + rate / 2 + rate**2 / (2 * (1 - rate)), abs=1e-9)
    assert bt.mean_tnaa(rate, 1) == pytest.approx(mean_q + 2, abs=1e-9)
    # a departure leaves the M/G/1 queue empty with probability 1 - rate
    assert bt.stationary_backlog(rate, 1)[0] == pytest.approx(1 - rate, abs=1e-12)


def _mean_backlog_by_roots(rate: float, c: int) -> float:
    """E[Q] from the generating function. P(z) = A(z) sum_{k<c} pi_k (z^c - z^k) / (z^c - A(z)), A(z) =
    exp(rate (z - 1)); the numerator polynomial vanishes at the c roots of z^c = A(z) in the closed unit disc, 1
    and z_1..z_{c-1}, so P(z) = (c - rate) (z - 1) A(z) / (z^c - A(z)) prod_j (z - z_j) / (1 - z_j) and
    E[Q] = P'(1) = rate + sum_j 1 / (1 - z_j) - (c (c - 1) - rate^2) / (2 (c - rate)).
    The roots solve z = w exp(rate (z - 1) / c) for the c-th roots of unity w != 1 (a contraction in the disc)."""
    w = np.exp(2j * np.pi * np.arange(1, c) / c)
    z = np.zeros(c - 1, dtype=complex)
    for _ in range(2000):
        z = w * np.exp(rate * (z - 1) / c)
    for _ in range(20):  # Newton polishing
        e = w * np.exp(rate * (z - 1) / c)
        z = z - (z - e) / (1 - rate / c * e)
    return float(rate + np.sum(1 / (1 - z)).real - (c * (c - 1) - rate**2) / (2 * (c - rate)))


@pytest.mark.parametrize("c", [2, 4, 12, 30])
@pytest.mark.parametrize("load", [0.5, 0.8, 0.95])
def test_mean_backlog_agrees_with_the_generating_function_roots(c, load):
    rate = load * c
    assert bt.mean_backlog(rate, c) == pytest.approx(_mean_backlog_by_roots(rate, c), abs=1e-9)


def test_the_stationary_pmf_is_a_fixed_point_of_the_recursion():
    rate, c = 9.5, 10
    pi = bt.stationary_backlog(rate, c)
    carried = np.concatenate([[pi[: c + 1].sum()], pi[c + 1 :]])
    after = np.convolve(carried, stats.poisson.pmf(np.arange(200), rate))[: pi.size]
    np.testing.assert_allclose(after, pi, atol=1e-13)


# -- bookkeeping ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("c", "load"), [(1, 0.5), (4, 0.95), (10, 0.9), (30, 0.95), (30, 0.02)])
def test_probabilities_sum_to_one(c, load):
    rate = load * c
    pi = bt.stationary_backlog(rate, c, tol=1e-13)
    assert 0 <= 1 - pi.sum() < 1e-13 and pi.min() >= 0
    lead = bt.lead_time_distribution(rate, c)
    assert lead[0] == 0 and lead.sum() == pytest.approx(1, abs=1e-10)
    assert bt.tnaa_distribution(rate, c).sum() == pytest.approx(1, abs=1e-10)
    assert bt.mean_backlog_at_start(rate, c) == bt.mean_backlog(rate, c)


@pytest.mark.parametrize("q", [0.5, 0.9, 0.99])
def test_lead_time_quantile_is_the_smallest_day_reaching_q(q):
    rate, c = 9.5, 10
    cdf = np.cumsum(bt.lead_time_distribution(rate, c))
    d = bt.lead_time_quantile(rate, c, q)
    assert d == int(d) and cdf[int(d)] >= q and cdf[int(d) - 1] < q


@pytest.mark.parametrize(
    "function",
    [
        bt.stationary_backlog,
        bt.mean_backlog,
        bt.lead_time_distribution,
        bt.mean_lead_time,
        bt.tnaa_distribution,
        bt.mean_tnaa,
    ],
)
@pytest.mark.parametrize(("rate", "c"), [(4, 4), (5, 4), (0, 4), (-1, 4), (float("nan"), 4), (0.5, 0), (1, 2.5)])
def test_an_unstable_or_meaningless_book_is_refused(function, rate, c):
    with pytest.raises(ValueError):
        function(rate, c)
    with pytest.raises(ValueError):
        bt.lead_time_quantile(rate, c, 0.9)
