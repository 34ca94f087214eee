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
from scipy import linalg, optimize, sparse, stats
from scipy.sparse import linalg as sparse_linalg

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


# -- work between visits: Erlang A and the two-class priority queue ----------------------------------------------
#
# Both are continuous-time Markov chains on a finite (truncated) state space, started empty like a simulated day.
# What a job arriving at t can expect (its wait, whether it is answered) is a function of the state it finds (Poisson
# arrivals see the time-t distribution) and of nothing that arrives after it, so the window averages follow from the
# time integral of the state distribution over the window, as for ``mmc_window``.


def ctmc_window(
    generator: sparse.spmatrix, start: np.ndarray, functions: np.ndarray, *, t0: float, t1: float
) -> np.ndarray:
    """Time averages over [t0, t1] of E[f(X_t)] for each column f of ``functions``, X_0 distributed as ``start``.

    p(t) = p(0) exp(Qt) is taken to t0 with ``expm_multiply``; the window integral of p(t) f comes from the same
    augmented-matrix identity as in ``mmc_window``: the row vector [p(t0), 0] times exp([[Q, F], [0, 0]] h) is
    [p(t0 + h), int_0^h p(t0 + s) F ds]. Sparse throughout, so chains of tens of thousands of states are cheap.
    """
    if not 0 <= t0 < t1:
        raise ValueError("need 0 <= t0 < t1")
    q = sparse.csr_matrix(generator)
    f = np.asarray(functions, dtype=float).reshape(q.shape[0], -1)
    k, m = f.shape
    p_t0 = sparse_linalg.expm_multiply(q.T * t0, np.asarray(start, dtype=float)) if t0 > 0 else np.asarray(start)
    h = t1 - t0
    augmented = sparse.bmat([[q, sparse.csr_matrix(f)], [None, sparse.csr_matrix((m, m))]], format="csr")
    state = sparse_linalg.expm_multiply(augmented.T * h, np.concatenate([p_t0, np.zeros(m)]))
    return np.asarray(state[k:]) / h


def ctmc_stationary(generator: sparse.spmatrix) -> np.ndarray:
    """The stationary distribution pi of an irreducible finite chain: pi Q = 0, sum pi = 1 (sparse LU)."""
    q = sparse.csr_matrix(generator)
    a = sparse.vstack([q.T[:-1], np.ones((1, q.shape[0]))], format="csc")  # one balance equation is redundant
    b = np.zeros(q.shape[0])
    b[-1] = 1.0
    return np.asarray(sparse_linalg.spsolve(a, b))


def _truncation(ratios, *, tail: float, start: int) -> int:
    """Smallest K >= start with pi_K / pi_max * r / (1 - r) < tail, where pi_{n+1} / pi_n = ratios(n) is
    eventually decreasing below r < 1: beyond K the unnormalized steady-state mass is below ``tail``."""
    log_pi, log_max, n = 0.0, 0.0, 0
    while True:
        r = ratios(n)
        if n >= start and r < 1 and log_pi - log_max + math.log(r / (1 - r)) < math.log(tail):
            return n
        log_pi += math.log(r)
        log_max = max(log_max, log_pi)
        n += 1


@dataclass(frozen=True)
class ErlangA:
    """Erlang A (M/M/c+M) quantities for arriving callers (minutes, callers)."""

    p_abandon: float
    """Probability that a caller hangs up before being answered."""
    answer_time_mean_min: float
    """Mean wait of the answered callers: E[W; answered] / P(answered)."""
    wait_mean_min: float
    """Mean time in queue of all callers, until answered or hanging up (Little: E[number waiting] / lam)."""
    p_wait: float
    """Probability that a caller finds every server busy."""
    queue_length_mean: float
    """Time-average number waiting."""
    utilization: float
    """Time-average fraction of busy servers, (1 - p_abandon) lam / (c mu) in steady state."""


def erlang_a_chain(
    c: int, arrival_rate: float, service_rate: float, abandon_rate: float, *, tail: float = 1e-16
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The number of callers present in M/M/c+M as a birth-death chain, truncated where its steady-state tail is
    below ``tail`` (started empty, the chain is stochastically below its steady state, so no transient probability
    moves by more than that); returns the generator and, per state, the callers' arrival functions (columns:
    answered, wait if answered, time in queue, finds every server busy, number waiting, busy servers / c).

    A caller who finds n >= c present has j = n - c callers ahead in the queue. While i are ahead the queue moves
    up at rate c mu + i theta (an answer or a hang-up ahead) and the caller hangs up at rate theta, each phase an
    exponential time of rate c mu + (i + 1) theta whatever ends it. So, with r_i = (c mu + i theta) / (c mu + (i + 1)
    theta), P(answered | n) = prod_{i=0..j} r_i, E[W; answered | n] = P(answered | n) sum_{i=0..j} 1 / (c mu +
    (i + 1) theta), and E[time in queue | n] = sum_{i=0..j} (prod_{l>i, l<=j} r_l) / (c mu + (i + 1) theta) (the
    phase with i ahead is reached if nobody hung up in the phases before it, those with more ahead). With n < c
    the caller is answered at once. For theta = 0 these are Erlang C's: answered, wait (j + 1) / (c mu).
    """
    if service_rate <= 0 or abandon_rate < 0 or (abandon_rate == 0 and arrival_rate >= c * service_rate):
        raise ValueError("M/M/c+M needs mu > 0 and theta > 0, or theta = 0 and lam < c mu")

    def death(n: int) -> float:
        return min(n, c) * service_rate + max(n - c, 0) * abandon_rate

    k = _truncation(lambda n: arrival_rate / death(n + 1), tail=tail, start=c + 1)
    n = np.arange(k + 1)
    deaths = np.array([death(int(m)) for m in n])
    q = sparse.diags([np.full(k, arrival_rate), deaths[1:]], [1, -1], shape=(k + 1, k + 1), format="lil")
    q.setdiag(-np.asarray(q.sum(axis=1)).ravel())
    answered = np.ones(k + 1)
    answer_wait = np.zeros(k + 1)
    in_queue = np.zeros(k + 1)
    for m in range(c, k + 1):
        rates = c * service_rate + abandon_rate * np.arange(1, m - c + 2)  # phases i = 0..j: c mu + (i + 1) theta
        moves_up = (c * service_rate + abandon_rate * np.arange(m - c + 1)) / rates
        answered[m] = float(np.prod(moves_up))
        answer_wait[m] = answered[m] * float(np.sum(1 / rates))
        reached = np.append(np.cumprod(moves_up[::-1])[::-1][1:], 1.0)  # P(the phase with i ahead is reached)
        in_queue[m] = float(np.sum(reached / rates))
    functions = np.column_stack(
        [answered, answer_wait, in_queue, (n >= c).astype(float), np.maximum(n - c, 0), np.minimum(n, c) / c]
    )
    return q.tocsr(), functions


def _erlang_a_from(averages: np.ndarray) -> ErlangA:
    answered, answer_wait, in_queue, busy_all, waiting, busy = averages
    return ErlangA(
        p_abandon=float(1 - answered),
        answer_time_mean_min=float(answer_wait / answered),
        wait_mean_min=float(in_queue),
        p_wait=float(busy_all),
        queue_length_mean=float(waiting),
        utilization=float(busy),
    )


def erlang_a_steady_state(c: int, arrival_rate: float, service_rate: float, abandon_rate: float) -> ErlangA:
    """Steady state of M/M/c+M: Poisson arrivals at lam, c servers with exponential times at mu, exponential
    patience at theta per waiting caller (``erlang_a_chain``).

    With pi the steady state of the number present (pi_{n+1} / pi_n = lam / (min(n + 1, c) mu + (n + 1 - c)^+
    theta)), arrivals see pi (PASTA): P(abandon) = sum_n pi_n (1 - P(answered | n)), which also equals theta
    E[number waiting] / lam (hang-ups per minute over arrivals per minute; checked in the fast tests), and the mean
    answer time is sum_n pi_n E[W; answered | n] / (1 - P(abandon)).
    """
    q, functions = erlang_a_chain(c, arrival_rate, service_rate, abandon_rate)
    return _erlang_a_from(ctmc_stationary(q) @ functions)


def erlang_a_window(
    c: int, arrival_rate: float, service_rate: float, abandon_rate: float, *, t0: float, t1: float
) -> ErlangA:
    """The callers arriving in [t0, t1] of an M/M/c+M queue empty at time 0 (exact transient): each field is
    E[sum over those callers] / E[their number] (the answer time: over the answered ones), and the queue length and
    utilization are time averages over the window."""
    q, functions = erlang_a_chain(c, arrival_rate, service_rate, abandon_rate)
    start = np.zeros(q.shape[0])
    start[0] = 1.0
    return _erlang_a_from(ctmc_window(q, start, functions, t0=t0, t1=t1))


@dataclass(frozen=True)
class PriorityMM1:
    """Two-class non-preemptive priority M/M/1 (class 1 first; first come, first served within a class)."""

    wait_1_mean_min: float
    """Mean wait in queue of class 1, W0 / (1 - rho1)."""
    wait_2_mean_min: float
    """Mean wait in queue of class 2, W0 / ((1 - rho1)(1 - rho1 - rho2))."""
    busy_1: float
    """Time-average fraction of time serving class 1 (rho1 in steady state)."""
    busy_2: float
    """Time-average fraction of time serving class 2 (rho2 in steady state)."""


def priority_mm1_steady_state(
    arrival_rate_1: float, service_rate_1: float, arrival_rate_2: float, service_rate_2: float
) -> PriorityMM1:
    """The non-preemptive priority formulas (Cobham 1954): with W0 = sum_i lam_i E[S_i^2] / 2 the mean residual work
    in service (exponential: E[S_i^2] = 2 / mu_i^2), W_q1 = W0 / (1 - rho1), W_q2 = W0 / ((1 - rho1)(1 - rho1 -
    rho2))."""
    rho1, rho2 = arrival_rate_1 / service_rate_1, arrival_rate_2 / service_rate_2
    if not rho1 + rho2 < 1:
        raise ValueError(f"stable only for rho1 + rho2 < 1, got {rho1 + rho2}")
    w0 = arrival_rate_1 / service_rate_1**2 + arrival_rate_2 / service_rate_2**2
    return PriorityMM1(
        wait_1_mean_min=w0 / (1 - rho1),
        wait_2_mean_min=w0 / ((1 - rho1) * (1 - rho1 - rho2)),
        busy_1=rho1,
        busy_2=rho2,
    )


def priority_mm1_chain(
    arrival_rate_1: float, service_rate_1: float, arrival_rate_2: float, service_rate_2: float, *, tail: float = 1e-12
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The two-class non-preemptive priority M/M/1 as a Markov chain on (n1 waiting, n2 waiting, class in service
    s = 1 or 2) plus the empty state (index 0); returns the generator and, per state, the arrival functions
    (columns: expected wait of a class-1 arrival, of a class-2 arrival, serving class 1, serving class 2).

    A class-1 job arriving in a state waits for the residual service (exponential: 1 / mu_s) and the n1 class-1
    jobs ahead; a class-2 job waits for the work V ahead of it (residual, n1 / mu1 + n2 / mu2) plus every class-1
    job arriving before it starts, a busy period of class-1 arrivals started by V: E[W2 | state] = E[V] / (1 -
    rho1). Both depend only on the state found, so their window averages follow from the state distribution.

    Truncation: queue i is cut at K_i, an arrival to a full queue is lost. The work in the system is an M/G/1
    workload (hyperexponential work), whose tail falls as exp(-gamma v) (Cramer-Lundberg; gamma > 0 solves
    lam1 mu1 / (mu1 - gamma) + lam2 mu2 / (mu2 - gamma) = lam1 + lam2 + gamma), and n waiting jobs of class i
    carry n exponential works of rate mu_i, so P(n_i >= n) falls like (mu_i / (mu_i + gamma))^n: K_i is where
    that is below ``tail``. (The number present is not geometric in rho unless mu1 = mu2: a cut by rho^K leaves
    1e-5 errors.) The fast tests check that the truncated chain's steady state reproduces the closed forms to 1e-9,
    and an empty start only makes the cut matter less (the workload from empty grows stochastically towards its
    steady state).
    """
    lam1, mu1, lam2, mu2 = arrival_rate_1, service_rate_1, arrival_rate_2, service_rate_2
    rho1, rho = lam1 / mu1, lam1 / mu1 + lam2 / mu2
    if not rho < 1:
        raise ValueError(f"stable only for rho1 + rho2 < 1, got {rho}")
    gamma = optimize.brentq(
        lambda g: lam1 * mu1 / (mu1 - g) + lam2 * mu2 / (mu2 - g) - (lam1 + lam2 + g),
        1e-12 * min(mu1, mu2),
        min(mu1, mu2) * (1 - 1e-12),
    )
    k1, k2 = (math.ceil(math.log(tail) / math.log(mu / (mu + gamma))) for mu in (mu1, mu2))
    size = 1 + 2 * (k1 + 1) * (k2 + 1)

    def index(n1: int, n2: int, s: int) -> int:
        return 1 + ((s - 1) * (k1 + 1) + n1) * (k2 + 1) + n2

    moves = [(0, index(0, 0, 1), lam1), (0, index(0, 0, 2), lam2)]  # (from, to, rate)
    functions = np.zeros((size, 4))
    mus = {1: mu1, 2: mu2}
    for s in (1, 2):
        for n1 in range(k1 + 1):
            for n2 in range(k2 + 1):
                i = index(n1, n2, s)
                residual = 1 / mus[s] + n1 / mu1
                functions[i] = (residual, (residual + n2 / mu2) / (1 - rho1), s == 1, s == 2)
                if n1 < k1:
                    moves.append((i, index(n1 + 1, n2, s), lam1))
                if n2 < k2:
                    moves.append((i, index(n1, n2 + 1, s), lam2))
                done = index(n1 - 1, n2, 1) if n1 > 0 else index(0, n2 - 1, 2) if n2 > 0 else 0
                moves.append((i, done, mus[s]))
    rows, cols, rates = zip(*moves)
    q = sparse.csr_matrix((rates, (rows, cols)), shape=(size, size))
    q = q - sparse.diags(np.asarray(q.sum(axis=1)).ravel())
    return q.tocsr(), functions


def _priority_from(averages: np.ndarray) -> PriorityMM1:
    w1, w2, busy1, busy2 = (float(x) for x in averages)
    return PriorityMM1(wait_1_mean_min=w1, wait_2_mean_min=w2, busy_1=busy1, busy_2=busy2)


def priority_mm1_window(
    arrival_rate_1: float,
    service_rate_1: float,
    arrival_rate_2: float,
    service_rate_2: float,
    *,
    t0: float,
    t1: float,
) -> PriorityMM1:
    """The jobs of each class arriving in [t0, t1] of the priority M/M/1 empty at time 0 (exact transient of
    ``priority_mm1_chain``): E[sum of their waits] / E[their number] per class (arrivals at a constant rate: the
    time average of the expected wait of an arrival at t), and the time-average busy fractions."""
    q, functions = priority_mm1_chain(arrival_rate_1, service_rate_1, arrival_rate_2, service_rate_2)
    start = np.zeros(q.shape[0])
    start[0] = 1.0
    return _priority_from(ctmc_window(q, start, functions, t0=t0, t1=t1))


def priority_mm1_chain_steady_state(
    arrival_rate_1: float, service_rate_1: float, arrival_rate_2: float, service_rate_2: float
) -> PriorityMM1:
    """The steady state of ``priority_mm1_chain`` (to check the closed forms against, independently)."""
    q, functions = priority_mm1_chain(arrival_rate_1, service_rate_1, arrival_rate_2, service_rate_2)
    return _priority_from(ctmc_stationary(q) @ functions)
