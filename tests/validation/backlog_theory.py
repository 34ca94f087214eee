"""Exact theory for one provider's appointment book with Poisson requests (numpy and scipy, no simulation).

**The model.** One provider works every day and has ``c`` identical appointment slots a day. On day t,
A_t ~ Poisson(rate) requests arrive, independent over days. Each request is booked first come, first served into
the earliest open slot on day t+1 or later (never the same day); there are no cancellations or no-shows and the
horizon is unlimited, so the book is always filled contiguously from the earliest day. Let Q_t be the number of
appointments booked for days >= t+1 at the end of day t. Day t's c slots use up to c of the book, so

    Q_t = max(Q_{t-1} - c, 0) + A_t,

a Markov chain that is positive recurrent exactly when rate < c. Everything below is in the chain's stationary
state: Q has the stationary distribution of the end-of-day backlog, which is also the backlog at the start of the
next day, before its slots and requests.

**Stationary backlog** (``stationary_backlog``). Solved as a linear system on a truncated chain 0..N, in which
the probability of jumping above N is kept in state N. N is chosen from the geometric decay of the tail,
P(Q > n) ~ z0^-n with z0 > 1 the root of z^c = exp(rate (z - 1)), and is doubled until the mass near the
truncation is negligible, so the truncation changes the solution by far less than ``tol``. The returned pmf is
cut where the remaining tail mass is below ``tol``.

**Lead time of a request** (``lead_time_distribution``, ``mean_lead_time``, ``lead_time_quantile``). A request
that arrives on day t as the j-th (0-based) arrival of the day finds B = max(Q_{t-1} - c, 0) + j appointments
already booked on days >= t+1, so it gets position B in the book and its slot is on day t + 1 + floor(B / c):

    lead = 1 + floor(B / c) days.

For a randomly chosen request, j has the size-biased law P(J = j) = P(A > j) / E[A], independent of the stationary
Q_{t-1} (day t's requests do not depend on the past). The lead is never 0 days. Its quantile is that of a discrete
distribution, the smallest d with P(lead <= d) >= q; a simulated p90 that interpolates between order statistics
(numpy's default percentile) can fall between two whole days.

**Third next available appointment** (``tnaa_distribution``, ``mean_tnaa``), measured at the start of day t,
before day t's requests, counting open slots from day t itself: the Q_{t-1} booked slots fill the book from day
t's first slot, so the third open slot is at 0-based position Q_{t-1} + 2 and

    TNAA = floor((Q + 2) / c) days.

**Mean backlog** (``mean_backlog``): E[Q]. For c = 1 the chain is the M/D/1 queue seen at departures and
E[Q] = rate + rate^2 / (2 (1 - rate)).

All rates are requests per day, all times in days.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from scipy import optimize, sparse, stats
from scipy.sparse import linalg as sparse_linalg

_POISSON_CUT = 1e-30
"""Poisson jumps whose tail probability is below this are lumped with the truncation state (far below any tol)."""


def _poisson_support(rate: float) -> int:
    """The number of values 0..k-1 of a Poisson(rate) variable outside which its mass is below _POISSON_CUT."""
    k = int(rate + 20 * math.sqrt(rate) + 40)
    sf = stats.poisson.sf(np.arange(k), rate)
    while sf[-1] >= _POISSON_CUT:  # never for rates of practical size; kept so the bound is not an assumption
        k *= 2
        sf = stats.poisson.sf(np.arange(k), rate)
    return int(np.argmax(sf < _POISSON_CUT)) + 1


def _check(rate: float, c: int) -> tuple[float, int]:
    if isinstance(c, bool) or int(c) != c:
        raise ValueError(f"the number of slots a day must be a whole number, got {c!r}")
    c = int(c)
    rate = float(rate)
    if c < 1:
        raise ValueError(f"the provider needs at least one slot a day, got c = {c}")
    if not math.isfinite(rate) or rate <= 0:
        raise ValueError(f"the request rate must be a positive number, got {rate}")
    if rate >= c:
        raise ValueError(f"the book is stable only when rate < c, got rate = {rate} with c = {c} (load {rate / c:.3g})")
    return rate, c


def tail_decay(rate: float, c: int) -> float:
    """z0 > 1 with z0^c = exp(rate (z0 - 1)): the stationary tail P(Q > n) decays like z0^-n."""
    rate, c = _check(rate, c)

    def f(z: float) -> float:
        return c * math.log(z) - rate * (z - 1)

    low = 2 - rate / c  # f(low) > 0 because ln(1 + e) >= e - e^2/2 and (1 - e/2) > rate/c for e = 1 - rate/c
    high = 2 * low
    while f(high) > 0:
        high *= 2
    return optimize.brentq(f, low, high, xtol=1e-15, rtol=1e-15)


def _solve_truncated(rate: float, c: int, size: int) -> np.ndarray:
    """Stationary pmf of the chain on 0..size-1, with every jump above size-1 kept in state size-1."""
    last = size - 1
    jumps = _poisson_support(rate)  # A takes values 0..jumps-1 in the stored rows
    a = stats.poisson.pmf(np.arange(jumps), rate)
    state = np.arange(size)
    base = np.maximum(state - c, 0)  # where state's row starts: max(Q - c, 0) + A
    rows, cols, vals = [], [], []
    for k in range(jumps):
        keep = base + k < last
        rows.append(state[keep])
        cols.append(base[keep] + k)
        vals.append(np.full(int(keep.sum()), a[k]))
    # the rest of each row (A >= last - base, or beyond the stored jumps) goes to the truncation state
    stored = np.minimum(last - base, jumps)  # number of stored jumps in each row
    rows.append(state)
    cols.append(np.full(size, last))
    vals.append(stats.poisson.sf(stored - 1, rate))
    transition = sparse.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(size, size)
    )
    # The balance equations pi = pi P for the states 1..last with pi_0 = 1 fixed, then normalised. I - P^T on the
    # states 1..last is a nonsingular M-matrix: Gaussian elimination in the natural order without pivoting is
    # stable on it and keeps the tiny tail probabilities accurate relative to their size. (Replacing a balance
    # equation by sum(pi) = 1, or letting SuperLU reorder the columns, leaves a noise floor of ~1e-17..1e-16 in
    # every entry, which adds up to ~1e-10 in the mean at high load.)
    inner = (sparse.eye_array(size - 1) - transition[1:, 1:].T).tocsc()
    factors = sparse_linalg.splu(inner, permc_spec="NATURAL", diag_pivot_thresh=0.0)
    rest = factors.solve(transition[[0], 1:].toarray().ravel())
    pi = np.clip(np.concatenate([[1.0], rest]), 0.0, None)
    return pi / pi.sum()


@cache
def _stationary(rate: float, c: int, tol: float) -> np.ndarray:
    # Kingman's bound for the Lindley recursion W_t = max(W_{t-1} + A_t - c, 0), W_t = max(Q_t - c, 0), gives
    # P(W >= x) <= z0^-x, hence P(Q >= n) <= E[z0^A] z0^-n = z0^(c - n): far beyond n ~ c + log(1/tol) / log(z0)
    # the chain is not seen, and truncating it there changes nothing that matters.
    decay = math.log(tail_decay(rate, c))
    size = c + 64 + int(math.ceil(1.5 * (math.log(1e3 / tol) / decay + c)))
    for _ in range(8):
        pi = _solve_truncated(rate, c, size)
        tail = np.cumsum(pi[::-1])[::-1]  # tail[n] = P(Q >= n), summed from the top for accuracy
        if tail[(3 * size) // 4] < 1e-3 * tol:
            break
        size *= 2
    else:
        raise RuntimeError(f"the truncated backlog chain did not settle (rate {rate}, c {c}, {size} states)")
    cut = int(np.argmax(tail < tol))  # the first n with P(Q >= n) < tol; keep 0..cut-1
    result = pi[:cut].copy()
    result.flags.writeable = False
    return result


def stationary_backlog(rate: float, c: int, *, tol: float = 1e-13) -> np.ndarray:
    """P(Q = n) for n = 0..N, Q the stationary end-of-day backlog (appointments booked for later days).

    N is chosen so that the tail mass left out, P(Q > N), is below ``tol``; the pmf is not renormalised, so it sums
    to 1 - P(Q > N). Raises ValueError unless 0 < rate < c with c a whole number >= 1.
    """
    rate, c = _check(rate, c)
    if not 0 < tol < 1e-3:
        raise ValueError(f"tol must be in (0, 1e-3), got {tol}")
    return np.array(_stationary(rate, c, float(tol)))


def mean_backlog(rate: float, c: int) -> float:
    """E[Q]: the mean number of appointments booked for later days at the end of a day (stationary)."""
    pi = stationary_backlog(rate, c, tol=1e-16)
    return float(np.arange(pi.size) @ pi)


def mean_backlog_at_start(rate: float, c: int) -> float:
    """The mean backlog at the start of a day, before its slots and requests: the same as ``mean_backlog``,
    because nothing happens between the end of day t and the start of day t + 1."""
    return mean_backlog(rate, c)


def _size_biased_position(rate: float) -> np.ndarray:
    """P(J = j) = P(A > j) / E[A]: the 0-based position of a random request among its day's requests."""
    top = _poisson_support(rate)
    return stats.poisson.sf(np.arange(top), rate) / rate


def lead_time_distribution(rate: float, c: int) -> np.ndarray:
    """P(lead = d) for d = 0, 1, 2, ... days (index = days; index 0 is 0): the days from a random request's
    arrival to its appointment, lead = 1 + floor((max(Q - c, 0) + J) / c) with Q stationary and J size-biased."""
    rate, c = _check(rate, c)
    pi = stationary_backlog(rate, c, tol=1e-16)
    # R = max(Q - c, 0): the part of yesterday's book not used by today's slots
    r = np.zeros(max(pi.size - c, 1))
    r[0] = pi[: c + 1].sum()
    r[1:] = pi[c + 1 :]
    booked_ahead = np.convolve(r, _size_biased_position(rate))  # pmf of B = R + J
    lead = 1 + np.arange(booked_ahead.size) // c
    return np.bincount(lead, weights=booked_ahead)


def mean_lead_time(rate: float, c: int) -> float:
    """Mean days from a random request's arrival to its appointment."""
    pmf = lead_time_distribution(rate, c)
    return float(np.arange(pmf.size) @ pmf)


def _quantile(pmf: np.ndarray, q: float) -> float:
    if not 0 < q <= 1:
        raise ValueError(f"q must be in (0, 1], got {q}")
    # a rounding allowance, so that a CDF that reaches q exactly in theory is not missed by 1e-16
    reached = np.cumsum(pmf) >= q - 1e-12
    if not reached.any():
        raise ValueError(f"the computed distribution does not reach q = {q}")
    return float(np.argmax(reached))


def lead_time_quantile(rate: float, c: int, q: float) -> float:
    """The smallest d with P(lead <= d) >= q (q = 0.9 gives the p90 lead), in days."""
    return _quantile(lead_time_distribution(rate, c), q)


def tnaa_distribution(rate: float, c: int) -> np.ndarray:
    """P(TNAA = d) for d = 0, 1, 2, ... days: the third next available appointment at the start of a day, before
    its requests, counted from that day (0 = today), TNAA = floor((Q + 2) / c) with Q stationary."""
    rate, c = _check(rate, c)
    pi = stationary_backlog(rate, c, tol=1e-16)
    return np.bincount((np.arange(pi.size) + 2) // c, weights=pi)


def mean_tnaa(rate: float, c: int) -> float:
    """Mean third next available appointment, in days from the start of the day (before its requests)."""
    pmf = tnaa_distribution(rate, c)
    return float(np.arange(pmf.size) @ pmf)
