"""Validation: a pathway of staff stations with probabilistic routing against Jackson-network theory.

The network. Walk-ins arrive as a Poisson process at rate lambda = 0.25 a minute and go through stations written
as pathway steps, each served by its own staff group of c people from one first-come-first-served queue, with
exponential service; a branch and an optional step route them:

    A (c=2) -> branch "route": left 40% to B (c=1), right 60% to C (c=3) -> D (c=1) with p = 1/2 -> leave

Nothing else holds a patient (no rooms, no provider step, nobody leaves unserved). This is an open feed-forward
Jackson network. By Burke's theorem the departures of an M/M/c queue in steady state are a Poisson process (and
independent of its present state); splitting a Poisson stream by independent coins (the branch, the optional
step) gives independent Poisson streams, and merging independent ones (B's and C's patients at D) a Poisson stream
again. So in steady state each station is an M/M/c queue with arrival rate lambda_i = lambda x the probability of
visiting it (A 1, B 0.4, C 0.6, D 0.5; loads 0.75, 0.6, 0.7, 0.625): its mean wait in queue, probability of
waiting and time-average queue are Erlang C's, its busy fraction is rho_i, and its service times are its own
exponential. The engine draws each patient's option and optional-step coin from their own streams, so the
shares of patients through each option are binomial with the written probabilities, and the coin is independent
of the option.

The end of the day. Walk-ins come for 90 hours and everyone is on duty for 99. At the end of their last shift a
person goes home unless waiting work needs them that no colleague still on duty can do, so a station may lose
people while patients still come to it (seen at C when shifts ended with the walk-ins: one of its three people
left at once) and is no longer M/M/c. Nine hours of slack make that irrelevant: every patient has left before
99:00 (checked), and a station's input before 90:00 does not depend on whether anyone comes after 90:00.

Transient and warm-up. Every day starts empty, so each station is compared over the patients who reach it (by the
time they join its queue, the row's ``queued_min``) in a window [W, 90:00) after a warm-up W. Station A's input
is Poisson from time 0, so the average over the window from an empty start is known exactly (the birth-death
transient, as for M/M/c in ``test_theory``). A downstream station's input is the thinned output of the stations
before it, which is Poisson only in steady state. Its window average is estimated as if its input were Poisson
with its exact expected rate at each moment (the expected departure rate of the stations feeding it):
``network_window`` integrates the forward equations of the four stations' distributions together. That is exact
for A (checked against ``exact.mmc_window``) and an estimate downstream: for B, against the exact transient of the
two-station chain (A, B) computed once with a short 300-minute warm-up, it overstates the remaining bias (3.9e-4 of
the mean wait, exact 4e-5). The transient dies out as fast as the slowest station relaxes (feed-forward: no
feedback slows the inputs), and W = 900 minutes is over five relaxation times 1 / (c mu (1 - sqrt(rho))^2) of
every station: the estimated bias is below 5e-5 of every mean, against a statistical tolerance of about 5%,
so even an estimate wrong a hundredfold could not change a verdict. As in ``test_theory``, the interval is
widened by it.

Statistics as in ``test_theory``: Student-t intervals of two-sided level 1 - ALPHA, ALPHA = 1e-5, over independent
replications (pooled ratio estimators for means over a random number of patients), and Clopper-Pearson intervals
at the same level for the shares (each patient's draws are independent of everyone else's, so the counts pooled
over all days are binomial). With 25 such comparisons the chance that a correct engine fails one is below 3e-4 a
run. 700 days of 90 hours of walk-ins (about 945,000 patients, 2.4 million steps) give standard errors of 1-1.6% of
each mean wait, an interval of about +-5-7%; no control variates (they would hide an engine that draws the arrival
or service times wrongly). The conservation and queue-discipline checks are exact, day by day. The seed is fixed.

Tiers. Every test that simulates is marked ``slow`` and shares one module-scoped run (about 18 s of simulation,
30 s for the file on one core); the fast tier checks the scenario's plan and the transient estimate only.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.integrate import solve_ivp

import clinicsim
from clinicsim.eventlog import STATUSES

from . import exact
from .test_theory import ALPHA, assert_agrees, clock, mean_of, overlap, ratio_of

SEED = 20261129
ARRIVALS_END_MIN = 90 * 60.0
"""Walk-ins come from 00:00 until 90:00 (the simulated day is 99 hours long)."""
DUTY_END_MIN = 99 * 60.0
"""Everyone is on duty from 00:00 until 99:00, nine hours after the last walk-in (see the module docstring)."""
WARM_UP_MIN = 900.0
REPLICATIONS = 700
ARRIVALS_PER_MIN = 0.25
P_LEFT = 0.4
P_D = 0.5


class Station(NamedTuple):
    servers: int
    mean_min: float
    """Mean service time (minutes)."""
    share: float
    """Probability that a patient visits the station."""

    @property
    def arrival_rate(self) -> float:
        return ARRIVALS_PER_MIN * self.share

    @property
    def service_rate(self) -> float:
        return 1 / self.mean_min


STATIONS = {
    "station_a": Station(2, 6.0, 1.0),  # rho 0.75
    "station_b": Station(1, 6.0, P_LEFT),  # rho 0.6
    "station_c": Station(3, 14.0, 1 - P_LEFT),  # rho 0.7
    "station_d": Station(1, 5.0, P_D),  # rho 0.625
}
OPTIONS = {"left": "station_b", "right": "station_c"}
"""The options of the branch and the one station each sends its patients to."""


def network_scenario() -> clinicsim.Scenario:
    """The network above: one staff group per station (the group's name is the step's), one walk-in stream, and a
    provider on duty whom no step asks for (a scenario needs one)."""
    end = clock(DUTY_END_MIN)

    def station(name: str, **more) -> dict:
        mean = STATIONS[name].mean_min
        return {"step": name, "by": {"group": name}, "duration_min": {"kind": "exponential", "mean": mean}, **more}

    return clinicsim.Scenario.model_validate(
        {
            "name": "Jackson network",
            "clinic": {"opens": "00:00", "closes": end, "exam_rooms": 0},
            "visit_types": {
                "walk_in": {
                    "pathway": [
                        station("station_a"),
                        {
                            "choose": "route",
                            "options": {
                                "left": {"p": P_LEFT, "steps": [station("station_b")]},
                                "right": {"p": 1 - P_LEFT, "steps": [station("station_c")]},
                            },
                        },
                        station("station_d", p=P_D),
                    ]
                }
            },
            # one long session of one blocked slot: on duty all day, nobody booked
            "templates": {
                "open": {"sessions": [{"start": "00:00", "end": end}], "slot_min": DUTY_END_MIN, "pattern": ["blocked"]}
            },
            "providers": [{"name": "on call", "template": "open"}],
            "staff": [
                {"name": name, "role": name, "count": s.servers, "shifts": [{"start": "00:00", "end": end}]}
                for name, s in STATIONS.items()
            ],
            "walk_ins": [
                {
                    "name": "door",
                    "visit_type": "walk_in",
                    "rates": [{"start": "00:00", "end": clock(ARRIVALS_END_MIN), "per_hour": 60 * ARRIVALS_PER_MIN}],
                }
            ],
        }
    )


# -- the transient from an empty start (no simulation) ----------------------------------------------------------


@dataclass(frozen=True)
class StationWindow:
    """Averages over a window of one station, the network empty at time 0 (minutes, patients)."""

    wait_in_queue_mean_min: float
    """E[sum of the waits of the patients joining the queue in the window] / E[their number]."""
    p_wait: float
    """The same ratio for the indicator that the patient waits (finds every server busy)."""
    queue_length_mean: float
    """Time-average of the expected number waiting."""
    utilization: float
    """Time-average of the expected fraction of busy servers."""


def relaxation_min(s: Station) -> float:
    """Relaxation time of an M/M/c queue, 1 / (c mu (1 - sqrt(rho))^2) (minutes)."""
    rho = s.arrival_rate / (s.servers * s.service_rate)
    return 1 / (s.servers * s.service_rate * (1 - math.sqrt(rho)) ** 2)


@cache
def network_window(t0: float, t1: float) -> dict[str, StationWindow]:
    """Each station's averages over [t0, t1] with every station empty at time 0.

    The forward (Kolmogorov) equations of each station's number present, truncated where its steady-state tail is
    below 1e-16 (``exact.mmc_capacity``), are integrated together: station A's births at rate lambda, a downstream
    station's at its share of the expected departure rate of the stations feeding it. For A this is its exact
    transient; downstream it treats the input as Poisson with that time-varying rate (see the module docstring).
    Patients joining a queue at t see the distribution at t, and wait (n - c + 1)^+ / (c mu) on average with n
    present; the window sums are integrated alongside (five accumulators per station). The routing is the
    network's, stations in the order of ``STATIONS``.
    """
    names, stations = list(STATIONS), list(STATIONS.values())
    sizes = [exact.mmc_capacity(s.servers, s.arrival_rate, s.service_rate) + 1 for s in stations]
    cuts = np.cumsum([0, *sizes])
    parts = [slice(lo, hi) for lo, hi in zip(cuts[:-1], cuts[1:])]
    size = int(cuts[-1])
    present = [np.arange(k) for k in sizes]
    departure = [np.minimum(n, s.servers) * s.service_rate for n, s in zip(present, stations)]
    # what each state means for a patient joining then (mean wait, waits at all) and for the time averages
    joining = [
        np.stack([np.maximum(n - s.servers + 1, 0) / (s.servers * s.service_rate), n >= s.servers])
        for n, s in zip(present, stations)
    ]
    averaged = [
        np.stack([np.maximum(n - s.servers, 0), np.minimum(n, s.servers) / s.servers])
        for n, s in zip(present, stations)
    ]

    def derivative(_t: float, y: np.ndarray) -> np.ndarray:
        p = [y[part] for part in parts]
        a, b, c, _ = (departure[k] @ p[k] for k in range(4))  # expected departure rate of each station
        rates = (ARRIVALS_PER_MIN, P_LEFT * a, (1 - P_LEFT) * a, P_D * (b + c))  # into A, B, C, D
        dy = np.empty_like(y)
        for k, (part, rate) in enumerate(zip(parts, rates)):
            births, deaths = rate * p[k], departure[k] * p[k]
            births[-1] = 0.0  # truncated: no birth from the last state
            change = -births - deaths
            change[1:] += births[:-1]
            change[:-1] += deaths[1:]
            dy[part] = change
            dy[size + 5 * k : size + 5 * (k + 1)] = (*(rate * (joining[k] @ p[k])), rate, *(averaged[k] @ p[k]))
        return dy

    y = np.zeros(size + 5 * len(names))
    y[cuts[:-1]] = 1.0  # every station empty
    tolerances = {"method": "DOP853", "rtol": 1e-10, "atol": 1e-14}
    y = solve_ivp(derivative, (0.0, t0), y, **tolerances).y[:, -1] if t0 > 0 else y
    y[size:] = 0.0
    sums = solve_ivp(derivative, (t0, t1), y, **tolerances).y[size:, -1].reshape(len(names), 5)
    return {
        name: StationWindow(
            wait_in_queue_mean_min=w / arrivals,
            p_wait=p_wait / arrivals,
            queue_length_mean=q / (t1 - t0),
            utilization=u / (t1 - t0),
        )
        for name, (w, p_wait, arrivals, q, u) in zip(names, sums)
    }


def test_the_scenario_plans_the_network():
    plan = clinicsim.plan_day(network_scenario())
    assert list(plan.steps) == list(STATIONS)
    assert [step.p for step in plan.steps.values()] == [1, 1, 1, P_D]
    assert plan.branches == (("route", tuple(OPTIONS)),)
    for name, s in STATIONS.items():  # each station by its own people only
        members = [k for k, m in enumerate(plan.staff) if m.group == name]
        assert len(members) == s.servers
        assert plan.staff_eligible[(name, None)] == tuple(members)


def test_the_transient_estimate_is_exact_for_the_first_station():
    a = STATIONS["station_a"]
    for t0, t1 in ((0.0, 60.0), (120.0, 600.0), (WARM_UP_MIN, ARRIVALS_END_MIN)):
        estimate = network_window(t0, t1)["station_a"]
        truth = exact.mmc_window(a.servers, a.arrival_rate, a.service_rate, t0=t0, t1=t1)
        assert estimate.wait_in_queue_mean_min == pytest.approx(truth.wait_in_queue_mean_min, rel=1e-7)
        assert estimate.queue_length_mean == pytest.approx(truth.queue_length_mean, rel=1e-7)
        assert estimate.utilization == pytest.approx(truth.utilization, rel=1e-7)


def test_the_warm_up_leaves_a_negligible_transient():
    late = network_window(WARM_UP_MIN, ARRIVALS_END_MIN)
    early = network_window(0.0, 120.0)
    for name, s in STATIONS.items():
        assert WARM_UP_MIN >= 5 * relaxation_min(s)
        steady = exact.mmc_steady_state(s.servers, s.arrival_rate, s.service_rate)
        assert early[name].wait_in_queue_mean_min < 0.8 * steady.wait_in_queue_mean_min  # the estimate sees a start
        assert abs(late[name].wait_in_queue_mean_min / steady.wait_in_queue_mean_min - 1) < 5e-5
        assert abs(late[name].p_wait / steady.p_wait - 1) < 5e-5
        assert abs(late[name].queue_length_mean / steady.queue_length_mean - 1) < 5e-5
        assert abs(late[name].utilization - steady.utilization) < 5e-6


# -- the simulated network --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def network() -> clinicsim.Results:
    return clinicsim.simulate(network_scenario(), replications=REPLICATIONS, seed=SEED)


def per_day(values: pd.Series, replications: int) -> pd.DataFrame:
    """Sum and count of ``values`` (indexed by replication) per day, days without any as zeros."""
    return values.groupby(level="replication").agg(["sum", "count"]).reindex(range(replications), fill_value=0)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(STATIONS))
def test_each_station_is_an_erlang_c_queue(network, name):
    s = STATIONS[name]
    steady = exact.mmc_steady_state(s.servers, s.arrival_rate, s.service_rate)
    window = network_window(WARM_UP_MIN, ARRIVALS_END_MIN)[name]
    n, span = network.replications, ARRIVALS_END_MIN - WARM_UP_MIN
    rows = network.events[network.events["step"] == name].set_index("replication")
    inside = rows[(rows["queued_min"] >= WARM_UP_MIN) & (rows["queued_min"] < ARRIVALS_END_MIN)]
    wait = inside["start_min"] - inside["queued_min"]

    # per patient joining the queue in the window, pooled over days (the number per day is random)
    days = per_day(wait, n)
    assert_agrees(
        ratio_of(days["sum"], days["count"]),
        steady.wait_in_queue_mean_min,
        what=f"{name}: mean wait in queue",
        bias=window.wait_in_queue_mean_min - steady.wait_in_queue_mean_min,
    )
    days = per_day((wait > 0).astype(float), n)
    assert_agrees(
        ratio_of(days["sum"], days["count"]),
        steady.p_wait,
        what=f"{name}: probability of waiting",
        bias=window.p_wait - steady.p_wait,
    )
    days = per_day(inside["end_min"] - inside["start_min"], n)
    assert_agrees(ratio_of(days["sum"], days["count"]), s.mean_min, what=f"{name}: mean service time")

    # time averages over the window: the number waiting and the fraction of the station's people busy
    by_day = (
        rows.assign(
            waiting=overlap(rows["queued_min"], rows["start_min"], WARM_UP_MIN, ARRIVALS_END_MIN),
            busy=overlap(rows["start_min"], rows["end_min"], WARM_UP_MIN, ARRIVALS_END_MIN),
        )
        .groupby(level="replication")[["waiting", "busy"]]
        .sum()
        .reindex(range(n), fill_value=0.0)
    )
    assert_agrees(
        mean_of(by_day["waiting"] / span),
        steady.queue_length_mean,
        what=f"{name}: time-average number waiting",
        bias=window.queue_length_mean - steady.queue_length_mean,
    )
    assert_agrees(
        mean_of(by_day["busy"] / (s.servers * span)),
        steady.utilization,
        what=f"{name}: busy fraction",
        bias=window.utilization - steady.utilization,
    )


def binomial_agrees(successes: int, trials: int, p: float, what: str) -> None:
    """``p`` lies in the two-sided 1 - ALPHA Clopper-Pearson interval of successes / trials."""
    interval = stats.binomtest(successes, trials).proportion_ci(confidence_level=1 - ALPHA, method="exact")
    assert interval.low <= p <= interval.high, (
        f"{what}: {successes}/{trials} = {successes / trials:.5f}, interval [{interval.low:.5f}, {interval.high:.5f}]"
        f" does not hold {p}"
    )


def visitors(events: pd.DataFrame, step: str) -> pd.MultiIndex:
    """(replication, patient) of every row of ``step``."""
    return pd.MultiIndex.from_frame(events.loc[events["step"] == step, ["replication", "patient"]])


@pytest.mark.slow
def test_branch_and_optional_step_shares_match_their_probabilities(network):
    """Pooled over every patient of every day: each patient's option and coin are their own draws."""
    branches, events = network.branches, network.events
    reached = branches[branches["branch"] == "route"]
    assert len(reached) == len(network.patients)  # everyone passes the branch
    left = int((reached["option"] == "left").sum())
    binomial_agrees(left, len(reached), P_LEFT, "share through the left option (branches table)")
    through_a = visitors(events, "station_a")
    binomial_agrees(len(visitors(events, "station_b")), len(through_a), P_LEFT, "share of A's patients going to B")
    visited_d = visitors(events, "station_d")
    binomial_agrees(len(visited_d), len(through_a), P_D, "share visiting D")
    # the coin is independent of the option: half of each option's patients visit D
    option = reached.set_index(["replication", "patient"])["option"]
    for name in OPTIONS:
        took = option.index[option == name]
        binomial_agrees(len(took.intersection(visited_d)), len(took), P_D, f"share visiting D after {name}")

    # the share KPIs are the table's, day by day
    kpis = network.kpis.set_index("replication")
    for name in OPTIONS:
        share = (reached["option"] == name).groupby(reached["replication"]).mean() * 100
        assert np.allclose(kpis[f"share_route_{name}_pct"], share.reindex(kpis.index), rtol=0, atol=1e-9)
    assert np.allclose(kpis["share_route_left_pct"] + kpis["share_route_right_pct"], 100)


@pytest.mark.slow
def test_patients_are_conserved_through_each_branch(network):
    """Exact, every day: everyone who arrives is served and leaves; each option's patients are exactly the rows of
    its station (one each) and never the other option's; every step starts the moment the one before ends."""
    events, patients = network.events, network.patients
    assert set(patients["status"]) <= set(STATUSES)
    assert (patients["status"] == "seen").all() and (patients["source"] == "door").all()
    assert set(events["step"]) == set(STATIONS)  # no other steps (no rooms, no documentation)
    everyone = pd.MultiIndex.from_frame(patients[["replication", "patient"]])
    assert everyone.is_unique
    option = network.branches.set_index(["replication", "patient"])["option"]
    assert option.index.sort_values().equals(everyone.sort_values())

    for name in STATIONS:  # one row per patient and station, by one of the station's own people
        rows = events[events["step"] == name]
        assert visitors(events, name).is_unique
        assert rows["resource"].str.fullmatch(rf"{name}(#\d+)?").all()
    assert visitors(events, "station_a").sort_values().equals(everyone.sort_values())
    counts = option.groupby(level="replication").value_counts().unstack(fill_value=0)
    for name, station in OPTIONS.items():
        took = option.index[option == name].sort_values()
        assert visitors(events, station).sort_values().equals(took)
        rows_per_day = events[events["step"] == station].groupby("replication").size()
        assert rows_per_day.reindex(counts.index, fill_value=0).equals(counts[name])
    assert visitors(events, "station_d").isin(everyone).all()

    # each patient's rows in pathway order: the first queued at arrival, each next queued when the last ended
    order = {name: k for k, name in enumerate(STATIONS)}
    walk = events.assign(order=events["step"].map(order)).sort_values(["replication", "patient", "order"])
    same = (walk["replication"].to_numpy()[1:] == walk["replication"].to_numpy()[:-1]) & (
        walk["patient"].to_numpy()[1:] == walk["patient"].to_numpy()[:-1]
    )
    assert (walk["queued_min"].to_numpy()[1:][same] == walk["end_min"].to_numpy()[:-1][same]).all()
    assert (walk["queued_min"] <= walk["start_min"]).all() and (walk["start_min"] <= walk["end_min"]).all()
    first = walk.groupby(["replication", "patient"]).first()
    last = walk.groupby(["replication", "patient"]).last()
    pt = patients.set_index(["replication", "patient"]).loc[first.index]
    assert np.allclose(first["queued_min"], pt["arrival_min"], rtol=0, atol=1e-9)
    assert (last["end_min"] == pt["departure_min"]).all()
    assert pt["departure_min"].max() < DUTY_END_MIN  # so every station had all its people throughout


def fifo_starts(queued: np.ndarray, service: np.ndarray, servers: int) -> np.ndarray:
    """Start times in one first-come-first-served queue of ``servers`` people who never idle while someone waits
    (Kiefer-Wolfowitz): in order of joining, each patient starts when they join or when the earliest of the
    people comes free, whichever is later. ``queued`` is sorted."""
    free = [0.0] * servers
    starts = np.empty(len(queued))
    for k, (q, duration) in enumerate(zip(queued.tolist(), service.tolist())):
        start = max(q, heapq.heappop(free))
        starts[k] = start
        heapq.heappush(free, start + duration)
    return starts


@pytest.mark.slow
def test_each_station_serves_first_come_first_served_without_idling(network):
    """Exact, every day: given when the patients joined a station's queue and how long each was served, one FIFO
    queue of c people who never idle while someone waits determines every start; the log must have those starts.
    And the step KPIs are the log's waits."""
    kpis = network.kpis.set_index("replication")
    for name, s in STATIONS.items():
        rows = network.events[network.events["step"] == name].sort_values(["replication", "queued_min"])
        for replication, day in rows.groupby("replication"):
            queued, start, end = (day[c].to_numpy() for c in ("queued_min", "start_min", "end_min"))
            expected = fifo_starts(queued, end - start, s.servers)
            assert np.allclose(start, expected, rtol=1e-12, atol=1e-9), f"{name}, day {replication}"
        mean_wait = (rows["start_min"] - rows["queued_min"]).groupby(rows["replication"]).mean()
        assert np.allclose(kpis[f"wait_before_{name}_mean_min"], mean_wait.reindex(kpis.index), rtol=1e-9, atol=1e-9)
