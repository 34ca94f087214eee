"""Validation: a pathway of staff stations with probabilistic routing against Jackson-network theory.

The network. Walk-ins arrive as a Poisson process at rate lambda and visit stations written as pathway steps,
each served by its own staff group of c_i people from one first-come-first-served queue with exponential service:

    A (c=2) -> branch: 40% to B (c=1), 60% to C (c=2) -> D (c=1) with probability 1/2 -> leave

Nothing else holds the patients (no rooms, no provider step, nobody leaves unserved) and every person is on duty
the whole long day. This is an open feed-forward Jackson network: by Burke's theorem the departures of an M/M/c
queue in steady state are Poisson, and independent Bernoulli splitting (the branch, the optional step) keeps
streams Poisson, so in steady state each station is an M/M/c queue with arrival rate lambda_i = lambda times the
probability of visiting it; its mean wait in queue is Erlang C's. The branch and the optional step's coin are
drawn from their own streams, so the shares of patients through each option are binomial with the given
probabilities.

Transient. The day starts empty. Station A's input is exactly Poisson from time 0, so its window average is
computed exactly (``exact.mmc_window``) and its difference from the steady state is the bias allowance, as in the
M/M/c tests. A downstream station's input is the thinned output of the stations before it, which is Poisson only
in steady state. Its input starts once the first patients come through the stations before it, so its allowance is
the exact transient of an M/M/c with its own rates started empty two hours late (far longer than any upstream
delay here); with a warm-up of five or more relaxation times of every station, every allowance is below 2e-4
minutes, so the comparisons test the engine, not the warm-up.

Statistics as in ``test_theory``: Student-t intervals at ALPHA = 1e-5 over independent replications (ratio
estimators for means over a random number of patients), fixed seeds, no control variates.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import clinicsim

from . import exact
from .test_theory import ALPHA, assert_agrees, clock, mean_of, overlap, ratio_of

SEED = 20261129
HOURS = 60
WARM_UP_MIN = 900.0
ARRIVALS_PER_MIN = 0.25
P_LEFT = 0.4
P_D = 0.5
STATIONS = {  # name: (servers, mean service minutes, probability that a patient visits it)
    "station_a": (2, 6.0, 1.0),
    "station_b": (1, 5.0, P_LEFT),
    "station_c": (2, 8.0, 1 - P_LEFT),
    "station_d": (1, 4.0, P_D),
}


def network_scenario() -> clinicsim.Scenario:
    """The network above as a scenario: one staff group per station, a walk-in stream, a provider on duty who is
    never asked for (a scenario needs one)."""
    end = clock(60 * HOURS)

    def station(name: str) -> dict:
        return {"step": name, "by": {"group": name}, "duration_min": {"kind": "exponential", "mean": STATIONS[name][1]}}

    shift = [{"start": "00:00", "end": end}]
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
                        {**station("station_d"), "p": P_D},
                    ]
                }
            },
            "templates": {
                "open": {"sessions": [{"start": "00:00", "end": end}], "slot_min": 60 * HOURS, "pattern": ["blocked"]}
            },  # fmt: skip
            "providers": [{"name": "on call", "template": "open"}],
            "staff": [
                {"name": name, "role": "clerk", "count": servers, "shifts": shift}
                for name, (servers, _, _) in STATIONS.items()
            ],
            "walk_ins": [
                {
                    "name": "door",
                    "visit_type": "walk_in",
                    "rates": [{"start": "00:00", "end": end, "per_hour": 60 * ARRIVALS_PER_MIN}],
                }
            ],
        }
    )


def relaxation_min(c: int, arrival_rate: float, service_rate: float) -> float:
    """Relaxation time of an M/M/c queue, 1 / (c mu (1 - sqrt(rho))^2) (minutes)."""
    rho = arrival_rate / (c * service_rate)
    return 1 / (c * service_rate * (1 - math.sqrt(rho)) ** 2)


def test_the_warm_up_covers_several_relaxation_times_of_every_station():
    for servers, mean, p in STATIONS.values():
        assert WARM_UP_MIN >= 5 * relaxation_min(servers, ARRIVALS_PER_MIN * p, 1 / mean)


@pytest.fixture(scope="module")
def network() -> clinicsim.Results:
    return clinicsim.simulate(network_scenario(), replications=300, seed=SEED)  # ~2% standard error per wait


@pytest.mark.slow
@pytest.mark.parametrize("name", list(STATIONS))
def test_each_station_waits_and_works_as_erlang_c_says(network, name):
    servers, mean, p = STATIONS[name]
    lam, mu, end = ARRIVALS_PER_MIN * p, 1 / mean, 60.0 * HOURS
    steady = exact.mmc_steady_state(servers, lam, mu)
    lag = 0.0 if name == "station_a" else 120.0  # downstream: as if started empty two hours late
    window = exact.mmc_window(servers, lam, mu, t0=WARM_UP_MIN - lag, t1=end - lag)
    assert abs(window.wait_in_queue_mean_min - steady.wait_in_queue_mean_min) < 2e-4
    rows = network.events[network.events["step"] == name]
    assert (rows["resource"].str.split("#").str[0] == name).all()  # served by the station's own people

    inside = rows[(rows["queued_min"] >= WARM_UP_MIN) & (rows["queued_min"] < end)]
    per_day = (
        inside.assign(wait=inside["start_min"] - inside["queued_min"])
        .groupby("replication")["wait"]
        .agg(["sum", "count"])
        .reindex(range(network.replications), fill_value=0)
    )
    bias = window.wait_in_queue_mean_min - steady.wait_in_queue_mean_min
    assert_agrees(ratio_of(per_day["sum"], per_day["count"]), steady.wait_in_queue_mean_min, what=f"{name} wait",
                  bias=bias)  # fmt: skip

    busy = rows.assign(busy=overlap(rows["start_min"], rows["end_min"], WARM_UP_MIN, end))
    per_day_busy = busy.groupby("replication")["busy"].sum().reindex(range(network.replications), fill_value=0)
    fraction = mean_of(per_day_busy / (servers * (end - WARM_UP_MIN)))
    utilization_bias = window.utilization - steady.utilization
    assert_agrees(fraction, steady.utilization, what=f"{name} busy fraction", bias=utilization_bias)


def binomial_agrees(successes: int, trials: int, p: float, what: str) -> None:
    """The exact probability lies in the two-sided 1 - ALPHA Clopper-Pearson interval of the pooled share."""
    interval = stats.binomtest(successes, trials).proportion_ci(confidence_level=1 - ALPHA, method="exact")
    assert interval.low <= p <= interval.high, f"{what}: {successes}/{trials} = {successes / trials:.4f}, not {p}"


@pytest.mark.slow
def test_branch_and_optional_step_shares_match_their_probabilities(network):
    """Pooled over every patient of every day (the patients are independent, each with their own draws)."""
    branches = network.branches
    came = len(network.patients)
    assert len(branches) == came and set(branches["branch"]) == {"route"}
    binomial_agrees(int((branches["option"] == "left").sum()), came, P_LEFT, "share through the left option")
    visited_d = network.events.loc[network.events["step"] == "station_d", ["replication", "patient"]]
    binomial_agrees(len(visited_d.drop_duplicates()), came, P_D, "share visiting station D")
    # the KPI agrees with the table, day by day
    per_day = branches.assign(left=branches["option"] == "left").groupby("replication")["left"].mean() * 100
    assert np.allclose(network.kpis.set_index("replication")["share_route_left_pct"], per_day)


@pytest.mark.slow
def test_patients_are_conserved_through_each_branch(network):
    """Exact, every day: everyone arrives and is served; the left option's patients visit B and never C, the
    right option's visit C and never B; everyone visits A once."""
    events, patients = network.events, network.patients
    assert (patients["status"] == "seen").all()
    option = network.branches.set_index(["replication", "patient"])["option"]
    steps = events.groupby(["replication", "patient"])["step"].agg(frozenset)
    for key, visited in steps.items():
        assert "station_a" in visited
        assert ("station_b" in visited) == (option[key] == "left") != ("station_c" in visited)
    assert len(steps) == len(patients)
    assert pd.Index(events[events["step"] == "station_a"].set_index(["replication", "patient"]).index).is_unique
