"""Exact queueing results that clinicsim's simulated output is validated against (numpy and scipy, no simulation).

Two models are solved exactly here.

**M/M/c with a shared first-come-first-served queue** (walk-ins seen by the first free provider). Steady state by
Erlang's C formula; and, because a simulated clinic day starts empty, also the exact *transient* from an empty
clinic: the number of patients present is a birth-death chain whose distribution at time t is ``p0 exp(Qt)``, so
the expected wait of a patient arriving at t (Poisson arrivals see the time-t distribution) and its average over a
window of the day are computed exactly. Comparing that window average with Erlang C measures how much of the
start-up transient a warm-up leaves, instead of guessing it.

**One provider's appointment session with exponential visit times and no-shows.** Let the appointment epochs be
t_1 < t_2 < ... (several patients may share an epoch). Track N_j, the number of patients present (in the visit or
waiting) just before epoch j. At an epoch the booked patients arrive one by one in booking order, each coming
with probability 1 - p_no_show; a patient who finds n patients present waits for n visit completions, which are
Erlang(n, mu) distributed, so the expected wait is n / mu. Between epochs the provider works without a break
while anyone is present, so N falls as a pure-death process with rate mu: from n, the number left after d
minutes is n - min(n, Poisson(mu d)). From the distribution of N at each epoch follow the expected waits, the
expected time with nobody present within the sessions (idle time), and the expected overtime. Overtime is what
clinicsim's ``provider_overtime_mean_min`` measures: per session, the time on duty past the session's end, up to
the next session's start (a morning running into lunch), summed over the sessions. After a session's end no more
of its patients arrive, so the provider works without a gap until the room is empty: with n present at the last
epoch t before the end e, the session's overtime is min(t + T_n, next start) - e, clipped at 0, where T_n is
Erlang(n, mu).

clinicsim's ``provider_wait_mean_min`` is, per replication, the mean over the patients seen that day, so its
expectation is E[(sum of waits) / (number seen)], not E[sum of waits] / E[number seen]. The recursion therefore
runs over the joint distribution of (patients present, patients who came so far) and carries, for each state, the
expected sum of the waits so far restricted to that state; dividing by the number who came at the end gives the
expectation of the per-replication ratio exactly. (The expected wait of a patient given everything up to their
arrival, n / mu, does not depend on later no-shows, which are independent of the visit times; so this carried
quantity is exact, not an approximation.)

Times are in minutes and rates per minute throughout.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import linalg, stats

# -- M/M/c ---------------------------------------------------------------------------------------------------


def erlang_b(c: int, offered_load: float) -> float:
    """Erlang's B formula (blocking probability of M/M/c/c) by the stable recursion B_k = aB_{k-1}/(k + aB_{k-1})."""
    b = 1.0
    for k in range(1, c + 1):
        b = offered_load * b / (k + offered_load * b)
    return b


def erlang_c(c: int, offered_load: float) -> float:
    """Erlang's C formula: probability that an arriving patient waits in an M/M/c queue (offered load a = lam/mu)."""
    rho = offered_load / c
    if not 0 <= rho < 1:
        raise ValueError(f"an M/M/c queue is stable only for lam / (c mu) < 1, got {rho}")
    b = erlang_b(c, offered_load)
    return b / (1 - rho * (1 - b))


@dataclass(frozen=True)
class MMcSteadyState:
    """Steady state of an M/M/c queue (minutes, patients)."""

    p_wait: float
    """Probability that an arriving patient has to wait (Erlang C)."""
    wait_in_queue_mean_min: float
    """Mean time from arrival to the start of service, C / (c mu - lam)."""
    queue_length_mean: float
    """Time-average number waiting (not in service), lam times the mean wait (Little)."""
    utilization: float
    """Time-average fraction of busy servers, lam / (c mu)."""


def mmc_steady_state(c: int, arrival_rate: float, service_rate: float) -> MMcSteadyState:
    """Steady state of M/M/c with arrival rate ``arrival_rate`` and service rate ``service_rate`` per server."""
    p_wait = erlang_c(c, arrival_rate / service_rate)
    wq = p_wait / (c * service_rate - arrival_rate)
    return MMcSteadyState(
        p_wait=p_wait,
        wait_in_queue_mean_min=wq,
        queue_length_mean=arrival_rate * wq,
        utilization=arrival_rate / (c * service_rate),
    )


@dataclass(frozen=True)
class MMcWindow:
    """Averages over a window [t0, t1] of an M/M/c queue that was empty at time 0 (exact transient)."""

    wait_in_queue_mean_min: float
    """Time-average over the window of the expected wait of a patient arriving at t; because arrivals are Poisson
    with a constant rate, this is also E[sum of waits of the window's arrivals] / E[number of them]."""
    queue_length_mean: float
    """Time-average of the expected number waiting."""
    utilization: float
    """Time-average of the expected fraction of busy servers."""


def mmc_capacity(c: int, arrival_rate: float, service_rate: float, *, tail: float = 1e-16) -> int:
    """A state-space size for the M/M/c chain whose steady-state probability beyond it is below ``tail``.

    Started empty, the number present is stochastically smaller at every time than in steady state (a birth-death
    chain started in its lowest state), so truncating there changes every transient probability by less than that.
    """
    rho = arrival_rate / (c * service_rate)
    return c + 1 + math.ceil(math.log(tail) / math.log(rho))


def mmc_window(c: int, arrival_rate: float, service_rate: float, *, t0: float, t1: float) -> MMcWindow:
    """Exact averages over [t0, t1] of an M/M/c queue empty at time 0, from the transient of its birth-death chain.

    With the generator Q and p(t) = p(0) exp(Qt), the window integral of p is p(t0) times the top-right block of
    exp([[Q, I], [0, 0]] (t1 - t0)) (Van Loan's block-matrix identity for the integral of a matrix exponential).
    """
    if not 0 <= t0 < t1:
        raise ValueError("need 0 <= t0 < t1")
    k = mmc_capacity(c, arrival_rate, service_rate)
    n = np.arange(k + 1)
    q = np.zeros((k + 1, k + 1))
    q[n[:-1], n[:-1] + 1] = arrival_rate
    q[n[1:], n[1:] - 1] = service_rate * np.minimum(n[1:], c)
    q[n, n] = -q.sum(axis=1)
    p0 = np.zeros(k + 1)
    p0[0] = 1.0
    p_t0 = p0 @ linalg.expm(q * t0) if t0 > 0 else p0
    h = t1 - t0
    block = np.zeros((2 * (k + 1), 2 * (k + 1)))
    block[: k + 1, : k + 1] = q * h
    block[: k + 1, k + 1 :] = np.eye(k + 1) * h
    integral = p_t0 @ linalg.expm(block)[: k + 1, k + 1 :]
    average = integral / h
    return MMcWindow(
        wait_in_queue_mean_min=float(average @ (np.maximum(n - c + 1, 0) / (c * service_rate))),
        queue_length_mean=float(average @ np.maximum(n - c, 0)),
        utilization=float(average @ np.minimum(n, c)) / c,
    )


# -- one provider's appointment session ------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionExact:
    """Exact expectations for one provider's appointment day (minutes, patients)."""

    patients_booked: int
    patients_seen_mean: float
    """Expected number who come (all of them are seen)."""
    p_nobody_seen: float
    """Probability that every booked patient is a no-show (the per-replication mean wait is then undefined)."""
    wait_sum_mean_min: float
    """E[sum of provider waits over the day]."""
    wait_mean_min: float
    """E[sum of waits / number seen | at least one seen]: what clinicsim's ``provider_wait_mean_min`` estimates."""
    wait_ratio_of_means_min: float
    """E[sum of waits] / E[number seen]: the expected wait of a random patient pooled over many days."""
    idle_mean_min: float
    """E[time within the sessions with nobody present], from the state distribution between epochs."""
    overtime_mean_min: float
    """E[sum over sessions of the time on duty past the session's end, up to the next session's start]; with one
    session, E[max(0, end of the last visit - end of the session)]."""
    overtime_after_last_session_mean_min: float
    """E[max(0, end of the last visit - end of the last session)]: the overtime past the end of the day only."""
    busy_mean_min: float
    """E[total visit minutes] = E[number seen] / mu."""


def _gamma_sf(n: int, rate: float, x: float) -> float:
    """P(Erlang(n, rate) > x) = P(Poisson(rate x) < n); 0 for n = 0."""
    return float(stats.poisson.cdf(n - 1, rate * x)) if n > 0 else 0.0


def _empty_time_until(n: int, rate: float, x: float) -> float:
    """E[(x - T_n)^+], T_n ~ Erlang(n, rate): expected time in [0, x] with nobody left, starting with n present."""
    if x <= 0:
        return 0.0
    if n == 0:
        return x
    return x * (1 - _gamma_sf(n, rate, x)) - n / rate * (1 - _gamma_sf(n + 1, rate, x))


def _overrun(n: int, rate: float, x: float) -> float:
    """E[(T_n - x)^+], T_n ~ Erlang(n, rate), x >= 0: how far the last of n visits runs past x."""
    if n == 0 or x == math.inf:
        return 0.0
    return n / rate * _gamma_sf(n + 1, rate, x) - x * _gamma_sf(n, rate, x)


def _death_matrix(size: int, rate: float, minutes: float) -> np.ndarray:
    """D[n, m] = P(m present after ``minutes`` | n present), pure death at ``rate`` (one provider)."""
    d = np.zeros((size, size))
    d[0, 0] = 1.0
    for n in range(1, size):
        done = np.arange(n)  # completions 0..n-1 leave m = n - done >= 1
        d[n, n - done] = stats.poisson.pmf(done, rate * minutes)
        d[n, 0] = stats.poisson.sf(n - 1, rate * minutes)  # n or more completions empty the room
    return d


def _overlap(a: float, b: float, sessions: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The parts of [a, b] inside the sessions."""
    parts = [(max(a, s), min(b, e)) for s, e in sessions]
    return [(lo, hi) for lo, hi in parts if hi > lo]


def appointment_session(
    appointment_min: Sequence[float],
    *,
    sessions: Sequence[tuple[float, float]],
    p_no_show: float | Sequence[float],
    mean_service_min: float,
) -> SessionExact:
    """Exact expectations for one provider who sees punctual booked patients first come, first served.

    ``appointment_min`` are the appointment times in booking order (sorted by time); ``p_no_show`` is one
    probability for all or one per appointment; visit times are exponential with mean ``mean_service_min``. The
    provider is present from the start of each session (no late start, no documentation) and stays until the
    patients present are seen; ``sessions`` are the scheduled sessions (start, end), in time order, over which
    idle time counts and past whose ends overtime counts.
    """
    times = np.asarray(appointment_min, dtype=float)
    if len(times) == 0 or np.any(np.diff(times) < 0):
        raise ValueError("need at least one appointment, in time order")
    p_show = 1 - np.broadcast_to(np.asarray(p_no_show, dtype=float), times.shape)
    mu = 1.0 / mean_service_min
    size = len(times) + 1
    # f[n, k]: P(n present, k came so far); g[n, k]: E[sum of the waits so far; n present, k came so far]
    f = np.zeros((size, size))
    g = np.zeros((size, size))
    f[0, 0] = 1.0
    n_grid = np.arange(size)[:, None]
    idle = sum(hi - lo for lo, hi in _overlap(-math.inf, times[0], sessions))
    overtime = 0.0
    next_starts = [s for s, _ in sessions[1:]] + [math.inf]
    epochs = np.unique(times)
    for j, epoch in enumerate(epochs):
        for q in p_show[times == epoch]:  # this epoch's patients, in booking order
            came_f = np.zeros_like(f)
            came_g = np.zeros_like(g)
            came_f[1:, 1:] = f[:-1, :-1]
            came_g[1:, 1:] = g[:-1, :-1] + f[:-1, :-1] * n_grid[:-1] / mu  # she waits for the n ahead of her
            f = (1 - q) * f + q * came_f
            g = (1 - q) * g + q * came_g
        present = f.sum(axis=1)
        following = epochs[j + 1] if j + 1 < len(epochs) else math.inf
        for lo, hi in _overlap(epoch, following, sessions):
            idle += sum(
                present[n] * (_empty_time_until(n, mu, hi - epoch) - _empty_time_until(n, mu, lo - epoch))
                for n in range(size)
                if present[n] > 0
            )
        for (_, end), next_start in zip(sessions, next_starts):
            if epoch <= end < following:  # this epoch is the session's last: overtime min(T_n, next start) - end
                to_end, gap = end - epoch, next_start - end
                overtime += sum(
                    present[n] * (_overrun(n, mu, to_end) - _overrun(n, mu, to_end + gap)) for n in range(size)
                )
        if j + 1 < len(epochs):
            death = _death_matrix(size, mu, following - epoch)
            f = death.T @ f
            g = death.T @ g
    session_end = max(e for _, e in sessions)
    last = epochs[-1]
    if last > session_end:
        raise ValueError("appointments must fall within the sessions")
    present = f.sum(axis=1)
    overtime_past_last = sum(present[n] * _overrun(n, mu, session_end - last) for n in range(size))
    came = np.arange(size)
    seen_mean = float(p_show.sum())
    wait_sum = float(g.sum())
    by_count = g.sum(axis=0)
    p_nobody = float(f[:, 0].sum())
    return SessionExact(
        patients_booked=len(times),
        patients_seen_mean=seen_mean,
        p_nobody_seen=p_nobody,
        wait_sum_mean_min=wait_sum,
        wait_mean_min=float((by_count[1:] / came[1:]).sum() / (1 - p_nobody)),
        wait_ratio_of_means_min=wait_sum / seen_mean,
        idle_mean_min=float(idle),
        overtime_mean_min=float(overtime),
        overtime_after_last_session_mean_min=float(overtime_past_last),
        busy_mean_min=seen_mean * mean_service_min,
    )
