"""Validation: the work between visits (``work:`` streams) against exact queueing theory.

What is validated, and against what:

1. **M/M/c**: a work stream with Poisson arrivals done by a staff group of c people who see no patients, with
   exponential work times: the items' mean wait for their first (only) stage, the probability of waiting, the
   time-average number waiting and the group's busy fraction over a window after a warm-up, against Erlang C
   (``exact.mmc_steady_state``), the start-up transient left by the warm-up computed exactly (``exact.mmc_window``;
   the probability of waiting from ``exact.erlang_a_window`` with no hang-ups, which is the same chain).
2. **Erlang A (M/M/c+M)**: phone calls with exponential patience (``patience_min``) answered by c clerks: the
   probability that a caller hangs up, the mean answer time of the answered calls, the mean time in queue of all
   calls (until answered or hanging up), the probability of finding every clerk busy, the time-average number
   waiting and the busy fraction, against the exact birth-death chain with abandonment (``exact.erlang_a_*``),
   including its exact transient from the empty start.
3. **Two-class non-preemptive priority M/M/1**: walk-in patients for one provider (exponential visits, no other
   step, no charting) and a work stream for the same provider (Poisson, exponential): each class's mean wait
   against W_q1 = W0 / (1 - rho1), W_q2 = W0 / ((1 - rho1)(1 - rho1 - rho2)), W0 = sum_i lam_i E[S_i^2] / 2
   (``exact.priority_mm1_steady_state``), with the exact transient of the priority chain on (class-1 queue,
   class-2 queue, class in service) as the bias allowance (``exact.priority_mm1_window``), and the busy fraction
   by class. Both ways round: work after patients (the default: patients are class 1), and work before patients
   (the work is class 1). And, exactly and day by day, the queue discipline the formulas assume: one job at a time,
   never interrupted, never idle while someone waits, first come first served within a class, and a class-2 job
   never started while a class-1 job waits.

The end of the day. Items and walk-ins arrive from 00:00 until each case's end of arrivals (30 to 86 hours);
everyone is on duty twelve hours longer (``SLACK_MIN``), and every item is done or abandoned by then (checked:
nothing is left as backlog, and every patient is seen). Work is never a reason to stay, so a provider leaves at the
end of the session with inbox items still waiting (backlog, by design): with three hours of slack that happened
to a few items in about one day in fifty of the priority case, whose class-2 waits have long busy-period tails.
An item's wait (and whether it is answered) depends only on what is ahead of it at its arrival, never on later
arrivals, so once everything arriving is served the end of the shifts plays no part. Waits and shares are over the
items arriving in the window [warm-up, end of arrivals); busy fractions and queue lengths are time averages over
that window.

Transient. Every day starts empty; what an item arriving at t can expect is a function of the state it finds,
which Poisson arrivals see with the time-t distribution, so the window averages are exact time integrals of the
chain's state distribution (``exact.ctmc_window``). The difference between those and the steady-state formulas is
the only bias allowance; the warm-ups keep it far below the statistical tolerance (asserted).

Statistics as in ``test_theory``: Student-t intervals of two-sided level 1 - ALPHA, ALPHA = 1e-5, over independent
replications (pooled ratio estimators for means over a random number of items or patients). With 28 comparisons
in this file, the chance that a correct engine fails any of them is below 3e-4 a run. The replication counts give
standard errors (measured) of 1.4-1.7% of the mean waits and queue lengths under Erlang C, 0.5-0.7% of the Erlang
A quantities, 0.5-0.7% of the priority class-1 waits and 1.2-1.3% of the class-2 waits (whose busy-period tails
make them the noisiest), 0.15-0.3% of the busy fractions: intervals of about +-2-8%. No control variates (they
would hide an engine that draws arrivals or work times wrongly). Seeds fixed.

Tiers. Every test that simulates is marked ``slow``: about 70 s on one core (measured; 60 s of it simulation,
the rest the exact transients of the priority chain); the fast tier (about 5 s) checks the exact formulas
themselves: Erlang A reduces to Erlang C without hang-ups (and its sparse transient to ``mmc_window``) and satisfies
Little's law and the hang-up balance, a closed form for one clerk whose callers leave as fast as they are served,
and the priority chain reproduces Cobham's formulas and Kleinrock's conservation law, which reduce to M/M/1 when
one class vanishes.
"""

from __future__ import annotations

import math
from functools import cache
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest

import clinicsim

from . import exact
from .test_theory import assert_agrees, clock, mean_of, overlap, ratio_of

SEED = 20261203
SLACK_MIN = 720.0
"""On duty this long after the last arrival (nothing is left undone: checked)."""


# -- exact formulas (no simulation) ------------------------------------------------------------------------------


@pytest.mark.parametrize(("c", "lam", "mu"), [(1, 0.15, 0.25), (3, 0.4, 1 / 6), (5, 0.9, 0.2)])
def test_erlang_a_without_hang_ups_is_erlang_c(c, lam, mu):
    steady, no_hang_ups = exact.mmc_steady_state(c, lam, mu), exact.erlang_a_steady_state(c, lam, mu, 0.0)
    assert no_hang_ups.p_abandon == pytest.approx(0.0, abs=1e-12)
    assert no_hang_ups.answer_time_mean_min == pytest.approx(steady.wait_in_queue_mean_min, rel=1e-9)
    assert no_hang_ups.wait_mean_min == pytest.approx(steady.wait_in_queue_mean_min, rel=1e-9)
    assert no_hang_ups.p_wait == pytest.approx(steady.p_wait, rel=1e-9)
    assert no_hang_ups.queue_length_mean == pytest.approx(steady.queue_length_mean, rel=1e-9)
    assert no_hang_ups.utilization == pytest.approx(steady.utilization, rel=1e-9)
    # and the general sparse transient agrees with mmc_window's dense one, early in the day too
    for t0, t1 in ((0.0, 60.0), (100.0, 400.0)):
        dense = exact.mmc_window(c, lam, mu, t0=t0, t1=t1)
        sparse = exact.erlang_a_window(c, lam, mu, 0.0, t0=t0, t1=t1)
        assert sparse.answer_time_mean_min == pytest.approx(dense.wait_in_queue_mean_min, rel=1e-8)
        assert sparse.queue_length_mean == pytest.approx(dense.queue_length_mean, rel=1e-8)
        assert sparse.utilization == pytest.approx(dense.utilization, rel=1e-8)
    # a little patience changes little: continuous in theta at 0
    nearly = exact.erlang_a_steady_state(c, lam, mu, 1e-7)
    assert nearly.answer_time_mean_min == pytest.approx(steady.wait_in_queue_mean_min, rel=1e-4)


@pytest.mark.parametrize(("c", "lam", "mu", "theta"), [(3, 0.75, 0.25, 0.2), (1, 0.24, 0.2, 0.1), (4, 0.5, 0.2, 1.0)])
def test_erlang_a_balance_laws(c, lam, mu, theta):
    """The per-caller formulas (what a caller finding n present can expect) against the chain's time averages,
    two independent computations: hang-ups per minute, theta E[number waiting] = lam P(abandon); Little's law for
    the queue, E[number waiting] = lam E[time in queue]; answered calls per minute, (1 - P(abandon)) lam = c mu x
    utilization; and the time in queue of all callers includes the answered callers' waits."""
    a = exact.erlang_a_steady_state(c, lam, mu, theta)
    assert theta * a.queue_length_mean == pytest.approx(lam * a.p_abandon, rel=1e-9)
    assert a.queue_length_mean == pytest.approx(lam * a.wait_mean_min, rel=1e-9)
    assert (1 - a.p_abandon) * lam == pytest.approx(c * mu * a.utilization, rel=1e-9)
    assert a.wait_mean_min >= (1 - a.p_abandon) * a.answer_time_mean_min
    # a late window of the transient is the steady state
    late = exact.erlang_a_window(c, lam, mu, theta, t0=1000, t1=1100)
    assert late.p_abandon == pytest.approx(a.p_abandon, rel=1e-8)
    assert late.answer_time_mean_min == pytest.approx(a.answer_time_mean_min, rel=1e-8)


def test_erlang_a_with_one_server_and_patience_as_fast_as_service():
    """c = 1 and theta = mu: every caller present leaves at rate mu, so the number present is that of M/M/infinity,
    Poisson(a) with a = lam / mu, and P(abandon) = theta E[(N - 1)^+] / lam = (a - 1 + e^-a) / a."""
    lam, mu = 0.3, 0.2
    a = lam / mu
    result = exact.erlang_a_steady_state(1, lam, mu, mu)
    assert result.p_abandon == pytest.approx((a - 1 + math.exp(-a)) / a, rel=1e-12)
    assert result.utilization == pytest.approx(1 - math.exp(-a), rel=1e-12)


@pytest.mark.parametrize(
    ("lam1", "mu1", "lam2", "mu2"),
    [(1.6 / 60, 1 / 15, 4.2 / 60, 1 / 5), (0.04, 0.2, 0.02, 0.05), (0.1, 0.25, 0.05, 0.25)],
)
def test_priority_chain_reproduces_the_closed_forms(lam1, mu1, lam2, mu2):
    closed = exact.priority_mm1_steady_state(lam1, mu1, lam2, mu2)
    chain = exact.priority_mm1_chain_steady_state(lam1, mu1, lam2, mu2)
    for field in ("wait_1_mean_min", "wait_2_mean_min", "busy_1", "busy_2"):
        assert getattr(chain, field) == pytest.approx(getattr(closed, field), rel=1e-9), field
    # Kleinrock's conservation law: the work-weighted waits are those of any work-conserving discipline
    rho1, rho2 = lam1 / mu1, lam2 / mu2
    w0 = lam1 / mu1**2 + lam2 / mu2**2
    assert rho1 * closed.wait_1_mean_min + rho2 * closed.wait_2_mean_min == pytest.approx(
        (rho1 + rho2) * w0 / (1 - rho1 - rho2)
    )
    if mu1 == mu2:  # equal work times: the mean over both classes is M/M/1's first-come-first-served wait
        mm1 = exact.mmc_steady_state(1, lam1 + lam2, mu1)
        mean = (lam1 * closed.wait_1_mean_min + lam2 * closed.wait_2_mean_min) / (lam1 + lam2)
        assert mean == pytest.approx(mm1.wait_in_queue_mean_min)


def test_priority_formulas_reduce_to_mm1_when_a_class_vanishes():
    lam, mu = 0.15, 0.25
    mm1 = exact.mmc_steady_state(1, lam, mu)
    no_work = exact.priority_mm1_steady_state(lam, mu, 0.0, 0.1)
    assert no_work.wait_1_mean_min == pytest.approx(mm1.wait_in_queue_mean_min)
    assert no_work.busy_2 == 0
    # no class 1: class 2 is M/M/1
    no_patients = exact.priority_mm1_steady_state(0.0, 0.1, lam, mu)
    assert no_patients.wait_2_mean_min == pytest.approx(mm1.wait_in_queue_mean_min)
    # the transient from empty converges to the closed forms, and starts below them
    args = (0.1, 0.25, 0.05, 0.25)
    steady = exact.priority_mm1_steady_state(*args)
    late = exact.priority_mm1_window(*args, t0=2500, t1=2600)
    early = exact.priority_mm1_window(*args, t0=0, t1=60)
    assert late.wait_1_mean_min == pytest.approx(steady.wait_1_mean_min, rel=1e-7)
    assert late.wait_2_mean_min == pytest.approx(steady.wait_2_mean_min, rel=1e-7)
    assert early.wait_2_mean_min < steady.wait_2_mean_min


# -- scenarios ---------------------------------------------------------------------------------------------------


def staff_work_scenario(
    *, c: int, per_hour: float, mean_min: float, arrivals_end_min: float, patience_mean_min: float | None = None
) -> clinicsim.Scenario:
    """A staff group ``desk`` of c clerks on duty all day who do no patient step, and one work stream ``calls`` for
    them: Poisson arrivals, exponential work, exponential patience if given. A scenario needs a provider who sees
    somebody: one patient booked at 00:00, whom no clerk serves."""
    end = clock(arrivals_end_min + SLACK_MIN)
    stream: dict[str, object] = {
        "name": "calls",
        "kind": "phone_call",
        "rates": [{"start": "00:00", "end": clock(arrivals_end_min), "per_hour": per_hour}],
        "stages": [{"by": {"group": "desk"}, "duration_min": {"kind": "exponential", "mean": mean_min}}],
    }
    if patience_mean_min is not None:
        stream["patience_min"] = {"kind": "exponential", "mean": patience_mean_min}
    return clinicsim.Scenario.model_validate(
        {
            "name": "work at the desk",
            "clinic": {"opens": "00:00", "closes": end, "exam_rooms": 0},
            "visit_types": {"v": {"needs_room": False, "durations_min": {"provider_visit": 10}}},
            "templates": {
                "open": {
                    "sessions": [{"start": "00:00", "end": end}],
                    "slot_min": arrivals_end_min + SLACK_MIN,
                    "pattern": ["v"],
                }
            },
            "providers": [{"name": "Dr Elsewhere", "template": "open"}],
            "staff": [{"name": "desk", "role": "clerk", "count": c, "shifts": [{"start": "00:00", "end": end}]}],
            "work": [stream],
        }
    )


def window_items(work: pd.DataFrame, t0: float, t1: float) -> pd.DataFrame:
    """The first stage of the items arriving in [t0, t1), with their time in queue (until started, or until the
    caller hung up) and whether they were answered."""
    first = work[(work["stage"] == 0) & (work["arrival_min"] >= t0) & (work["arrival_min"] < t1)]
    answered = first["status"] == "done"
    left_queue = np.where(answered, first["start_min"], first["end_min"])
    return first.assign(answered=answered, in_queue=left_queue - first["queued_min"])


def per_day(items: pd.DataFrame, replications: int, **columns: pd.Series) -> pd.DataFrame:
    """Per-replication sums of the given columns (days with no rows: zeros)."""
    frame = pd.DataFrame({"replication": items["replication"], **columns})
    return frame.groupby("replication").sum().reindex(range(replications), fill_value=0)


def time_averages(work: pd.DataFrame, t0: float, t1: float, servers: int, replications: int) -> pd.DataFrame:
    """Per day: the time-average number of items waiting over [t0, t1) and the servers' busy fraction."""
    left_queue = work["start_min"].where(work["status"] == "done", work["end_min"])
    frame = pd.DataFrame(
        {
            "replication": work["replication"],
            "waiting": overlap(work["queued_min"], left_queue, t0, t1) / (t1 - t0),
            "busy": overlap(work["start_min"].fillna(0), work["end_min"].where(work["status"] == "done", 0), t0, t1)
            / (servers * (t1 - t0)),
        }
    )
    return frame.groupby("replication").sum().reindex(range(replications), fill_value=0)


def assert_first_come_first_served(work: pd.DataFrame) -> None:
    """Within a day, answered items start in order of arrival (one queue, no overtaking)."""
    done = work[work["status"] == "done"].sort_values(["replication", "arrival_min"])
    for _, day in done.groupby("replication"):
        assert (np.diff(day["start_min"].to_numpy()) >= 0).all()


class StaffCase(NamedTuple):
    c: int
    per_hour: float
    mean_min: float
    patience_mean_min: float | None
    arrivals_end_min: float
    warm_up_min: float
    replications: int

    @property
    def rates(self) -> tuple[float, float, float]:
        """lam, mu, theta per minute."""
        theta = 0.0 if self.patience_mean_min is None else 1 / self.patience_mean_min
        return self.per_hour / 60, 1 / self.mean_min, theta


@cache
def simulate_staff_case(case: StaffCase) -> clinicsim.Results:
    scenario = staff_work_scenario(
        c=case.c,
        per_hour=case.per_hour,
        mean_min=case.mean_min,
        arrivals_end_min=case.arrivals_end_min,
        patience_mean_min=case.patience_mean_min,
    )
    results = clinicsim.simulate(scenario, replications=case.replications, seed=SEED)
    work = results.work
    assert set(work["status"]) <= {"done", "abandoned"}  # nothing left at the end of the shifts
    assert set(work["resource"][work["status"] == "done"]) <= {f"desk#{i + 1}" for i in range(case.c)} | {"desk"}
    return results


# -- 1. M/M/c: work for a staff group ------------------------------------------------------------------------------

# (c, items per hour, mean work, -, arrivals until, warm-up, days). Warm-ups of five relaxation times
# 1 / (c mu (1 - sqrt(rho))^2) of the empty start; the bias they leave is computed and allowed for.
MMC_CASES = [
    pytest.param(StaffCase(1, 9.0, 5.0, None, 60 * 60.0, 1400.0, 1000), id="one clerk rho=0.75"),
    pytest.param(StaffCase(3, 24.0, 6.0, None, 60 * 60.0, 900.0, 800), id="three clerks rho=0.8"),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", MMC_CASES)
def test_work_for_a_staff_group_matches_erlang_c(case: StaffCase):
    lam, mu, _ = case.rates
    t0, t1 = case.warm_up_min, case.arrivals_end_min
    steady = exact.mmc_steady_state(case.c, lam, mu)
    window = exact.mmc_window(case.c, lam, mu, t0=t0, t1=t1)
    window_p_wait = exact.erlang_a_window(case.c, lam, mu, 0.0, t0=t0, t1=t1).p_wait
    assert abs(window.wait_in_queue_mean_min / steady.wait_in_queue_mean_min - 1) < 2e-3

    results = simulate_staff_case(case)
    work = results.work
    assert (work["status"] == "done").all()
    assert_first_come_first_served(work)
    items = window_items(work, t0, t1)
    days = per_day(items, case.replications, wait=items["in_queue"], waited=items["in_queue"] > 0, n=1)
    assert_agrees(
        ratio_of(days["wait"], days["n"]),
        steady.wait_in_queue_mean_min,
        what="mean wait of an item",
        bias=window.wait_in_queue_mean_min - steady.wait_in_queue_mean_min,
    )
    assert_agrees(
        ratio_of(days["waited"], days["n"]),
        steady.p_wait,
        what="probability that an item waits",
        bias=window_p_wait - steady.p_wait,
    )
    averages = time_averages(work, t0, t1, case.c, case.replications)
    assert_agrees(
        mean_of(averages["waiting"]),
        steady.queue_length_mean,
        what="time-average number of items waiting",
        bias=window.queue_length_mean - steady.queue_length_mean,
    )
    assert_agrees(
        mean_of(averages["busy"]),
        steady.utilization,
        what="busy fraction of the group",
        bias=window.utilization - steady.utilization,
    )


# -- 2. Erlang A: phones with hang-ups ------------------------------------------------------------------------------

# (c, calls per hour, mean call, mean patience, calls until, warm-up, days). Hang-ups make the chain relax fast.
ERLANG_A_CASES = [
    pytest.param(StaffCase(3, 45.0, 4.0, 5.0, 30 * 60.0, 120.0, 400), id="three clerks, offered load = c"),
    pytest.param(StaffCase(1, 14.4, 5.0, 10.0, 30 * 60.0, 240.0, 400), id="one clerk overloaded rho=1.2"),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", ERLANG_A_CASES)
def test_phones_with_patience_match_erlang_a(case: StaffCase):
    lam, mu, theta = case.rates
    t0, t1 = case.warm_up_min, case.arrivals_end_min
    steady = exact.erlang_a_steady_state(case.c, lam, mu, theta)
    window = exact.erlang_a_window(case.c, lam, mu, theta, t0=t0, t1=t1)
    assert abs(window.answer_time_mean_min / steady.answer_time_mean_min - 1) < 2e-3
    assert abs(window.p_abandon / steady.p_abandon - 1) < 2e-3

    results = simulate_staff_case(case)
    work = results.work
    assert_first_come_first_served(work)
    abandoned = work[work["status"] == "abandoned"]
    assert abandoned["start_min"].isna().all() and (abandoned["resource"] == "").all()
    items = window_items(work, t0, t1)
    answered = items["answered"]
    days = per_day(
        items,
        case.replications,
        n=1,
        hung_up=~answered,
        answered=answered,
        answer_wait=items["in_queue"].where(answered, 0.0),
        in_queue=items["in_queue"],
        found_all_busy=items["in_queue"] > 0,
    )

    def check(simulated, field: str, what: str) -> None:
        expected, transient = getattr(steady, field), getattr(window, field)
        assert_agrees(simulated, expected, what=what, bias=transient - expected)

    check(ratio_of(days["hung_up"], days["n"]), "p_abandon", "probability that a caller hangs up")
    check(ratio_of(days["answer_wait"], days["answered"]), "answer_time_mean_min", "mean answer time")
    check(ratio_of(days["in_queue"], days["n"]), "wait_mean_min", "mean time in queue of all callers")
    check(ratio_of(days["found_all_busy"], days["n"]), "p_wait", "probability of finding every clerk busy")
    averages = time_averages(work, t0, t1, case.c, case.replications)
    check(mean_of(averages["waiting"]), "queue_length_mean", "time-average number of callers waiting")
    check(mean_of(averages["busy"]), "utilization", "busy fraction of the clerks")


# -- 3. two-class non-preemptive priority M/M/1: patients and the provider's own work ------------------------------


def provider_work_scenario(
    *,
    patients_per_hour: float,
    visit_mean_min: float,
    items_per_hour: float,
    work_mean_min: float,
    priority: str,
    arrivals_end_min: float,
) -> clinicsim.Scenario:
    """One provider on duty all day (a session of one blocked slot: nobody booked), walk-ins for the first free
    provider with exponential visits and no other step (no room, no charting), and a work stream ``inbox`` for
    the provider at the given priority."""
    end, stop = clock(arrivals_end_min + SLACK_MIN), clock(arrivals_end_min)
    return clinicsim.Scenario.model_validate(
        {
            "name": "a provider between patients and the inbox",
            "clinic": {"opens": "00:00", "closes": end, "exam_rooms": 0},
            "visit_types": {
                "walk_in": {
                    "needs_room": False,
                    "durations_min": {"provider_visit": {"kind": "exponential", "mean": visit_mean_min}},
                }
            },
            "templates": {
                "open": {
                    "sessions": [{"start": "00:00", "end": end}],
                    "slot_min": arrivals_end_min + SLACK_MIN,
                    "pattern": ["blocked"],
                }
            },
            "providers": [{"name": "Dr Solo", "template": "open", "documentation_min": 0}],
            "walk_ins": [
                {
                    "name": "street",
                    "visit_type": "walk_in",
                    "rates": [{"start": "00:00", "end": stop, "per_hour": patients_per_hour}],
                }
            ],
            "work": [
                {
                    "name": "inbox",
                    "rates": [{"start": "00:00", "end": stop, "per_hour": items_per_hour}],
                    "stages": [{"by": "provider", "duration_min": {"kind": "exponential", "mean": work_mean_min}}],
                    "priority": priority,
                }
            ],
        }
    )


class PriorityCase(NamedTuple):
    patients_per_hour: float
    visit_mean_min: float
    items_per_hour: float
    work_mean_min: float
    priority: str
    arrivals_end_min: float
    warm_up_min: float
    replications: int


def provider_jobs(results: clinicsim.Results) -> pd.DataFrame:
    """Every job of the provider: patients' visits and work items, with class, arrival, start and end."""
    events = results.events
    visits = events[events["step"] == "provider_visit"].merge(
        results.patients[["replication", "patient", "arrival_min"]], on=["replication", "patient"], validate="1:1"
    )
    work = results.work
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "replication": visits["replication"],
                    "job": "patient",
                    "arrival": visits["arrival_min"],
                    "start": visits["start_min"],
                    "end": visits["end_min"],
                }
            ),
            pd.DataFrame(
                {
                    "replication": work["replication"],
                    "job": "work",
                    "arrival": work["queued_min"],
                    "start": work["start_min"],
                    "end": work["end_min"],
                }
            ),
        ],
        ignore_index=True,
    )


@cache
def simulate_priority_case(case: PriorityCase) -> pd.DataFrame:
    scenario = provider_work_scenario(
        patients_per_hour=case.patients_per_hour,
        visit_mean_min=case.visit_mean_min,
        items_per_hour=case.items_per_hour,
        work_mean_min=case.work_mean_min,
        priority=case.priority,
        arrivals_end_min=case.arrivals_end_min,
    )
    results = clinicsim.simulate(scenario, replications=case.replications, seed=SEED)
    assert (results.patients["status"] == "seen").all()
    assert (results.work["status"] == "done").all() and (results.work["resource"] == "Dr Solo").all()
    assert (results.events["step"] == "provider_visit").all()  # no charting, no other step
    return provider_jobs(results)


# (patients per hour, mean visit, items per hour, mean work, priority, arrivals until, warm-up, days)
PRIORITY_CASES = [
    # patients first: visits of 15 minutes (rho1 = 0.4) over 5-minute inbox items (rho2 = 0.35)
    pytest.param(PriorityCase(1.6, 15.0, 4.2, 5.0, "after_patients", 86 * 60.0, 1500.0, 3000), id="patients first"),
    # work first: 8-minute calls (rho = 0.3) before patients of 12 minutes (rho = 0.45)
    pytest.param(PriorityCase(2.25, 12.0, 2.25, 8.0, "before_patients", 86 * 60.0, 1500.0, 2400), id="work first"),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", PRIORITY_CASES)
def test_patients_and_provider_work_match_the_priority_formulas(case: PriorityCase):
    classes = ("patient", "work") if case.priority == "after_patients" else ("work", "patient")
    rates = {
        "patient": (case.patients_per_hour / 60, 1 / case.visit_mean_min),
        "work": (case.items_per_hour / 60, 1 / case.work_mean_min),
    }
    args = (*rates[classes[0]], *rates[classes[1]])
    t0, t1 = case.warm_up_min, case.arrivals_end_min
    steady = exact.priority_mm1_steady_state(*args)
    window = exact.priority_mm1_window(*args, t0=t0, t1=t1)
    assert abs(window.wait_2_mean_min / steady.wait_2_mean_min - 1) < 5e-3

    jobs = simulate_priority_case(case)
    inside = jobs[(jobs["arrival"] >= t0) & (jobs["arrival"] < t1)]
    for k, job in enumerate(classes, start=1):
        mine = inside[inside["job"] == job]
        days = per_day(mine, case.replications, wait=mine["start"] - mine["arrival"], n=1)
        field = f"wait_{k}_mean_min"
        expected = getattr(steady, field)
        assert_agrees(
            ratio_of(days["wait"], days["n"]),
            expected,
            what=f"class {k} ({job}) mean wait",
            bias=getattr(window, field) - expected,
        )
        everyone = jobs[jobs["job"] == job]
        busy = per_day(
            everyone, case.replications, busy=overlap(everyone["start"], everyone["end"], t0, t1) / (t1 - t0)
        )
        expected = getattr(steady, f"busy_{k}")
        assert_agrees(
            mean_of(busy["busy"]),
            expected,
            what=f"busy fraction with class {k} ({job})",
            bias=getattr(window, f"busy_{k}") - expected,
        )


@pytest.mark.slow
@pytest.mark.parametrize("case", PRIORITY_CASES)
def test_the_provider_keeps_the_queue_discipline_the_formulas_assume(case: PriorityCase):
    """Day by day, exactly: one job at a time and never interrupted (each starts after the one before ends); never
    idle while someone waits (each starts when it arrives or when the one before ends); first come, first served
    within a class; and no job of the lower class starts while one of the higher class waits."""
    high = "patient" if case.priority == "after_patients" else "work"
    jobs = simulate_priority_case(case)
    tol = 1e-9
    for _, day in jobs.groupby("replication"):
        day = day.sort_values(["start", "end"])
        start, end, arrival = (day[c].to_numpy() for c in ("start", "end", "arrival"))
        assert (start >= arrival - tol).all()
        assert (start[1:] >= end[:-1] - tol).all()  # one at a time, never interrupted
        came_free = np.concatenate([[-np.inf], end[:-1]])
        assert (np.isclose(start, arrival, atol=tol) | np.isclose(start, came_free, atol=tol)).all()
        for _, mine in day.groupby("job"):
            assert (np.diff(mine.sort_values("arrival")["start"].to_numpy()) >= 0).all()
        waiting_high = day[day["job"] == high]
        low_starts = day.loc[day["job"] != high, "start"].to_numpy()
        # a higher-class job waiting at a lower-class start: arrived before it and started after it
        arrived = waiting_high["arrival"].to_numpy()[:, None] < low_starts[None, :] - tol
        started_after = waiting_high["start"].to_numpy()[:, None] > low_starts[None, :] + tol
        assert not (arrived & started_after).any()
