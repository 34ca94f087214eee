"""Validation: clinicsim's simulated output against exact queueing theory.

What is validated, and against what:

1. **M/M/c** (walk-ins seen by the first free provider, one shared first-come-first-served queue): the mean wait
   for the provider, the time-average number waiting and the providers' busy fraction, over a window after a
   warm-up, against Erlang's C formula. The start-up transient that the warm-up leaves is computed exactly (the
   birth-death chain from an empty clinic, ``exact.mmc_window``) and is the only bias allowance.
2. **One provider's appointment session** with exponential visit times and no-shows: ``provider_wait_mean_min``,
   ``provider_overtime_mean_min`` and ``provider_idle_mean_min`` against an exact recursion over the number of
   patients present at each appointment epoch (``exact.appointment_session``); no allowance is needed, the
   recursion describes a finite day exactly. One session, and a two-session day with blocked slots, a double
   booking and two no-show rates (its overtime includes a morning running into lunch, as the KPI defines it).
3. **Bailey-Welch against fixed-interval** booking: both agree with the recursion, and the simulated paired
   difference (common random numbers) has the sign theory gives: more waiting, less idle time and less overtime.
4. **Little's law** on the event log of a multi-step clinic: over a window that starts and ends with the clinic
   empty, the time-average number present equals the arrival rate times the mean time spent, on every sample path.

Statistics. Every comparison is over independent replications (simulated days) with a Student-t interval of
two-sided level 1 - ALPHA, ALPHA = 1e-5 (about 4.4 standard errors at these replication counts). With about
forty-five such comparisons in this file (slow ones included) the chance that a correct engine fails any of them
is below 5e-4 per run. The replication counts give standard errors of about 1-3% of the value in the quick tests
(so an error of 5-15% is caught) and 0.3-2% in the slow ones. No control variates: adjusting with the known mean
visit time or arrival rate would hide an engine that draws those wrongly, which is what validation must catch.
The seeds are fixed, so a run is reproducible; a failure means the engine's draws or its logic changed.

Tiers. Every case that simulates is marked ``slow``: the fast tier (``pytest -m "not slow"``) runs only the checks
of the exact formulas themselves; the full run (the README's command, and CI) runs everything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import clinicsim

from . import exact

ALPHA = 1e-5
SEED = 20261127


# -- statistics helpers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A simulated mean with its standard error over ``n`` independent replications."""

    mean: float
    se: float
    n: int

    @property
    def half_width(self) -> float:
        """Half-width of the two-sided 1 - ALPHA Student-t interval."""
        return float(stats.t.ppf(1 - ALPHA / 2, self.n - 1)) * self.se

    def __str__(self) -> str:
        return f"{self.mean:.4f} ± {self.half_width:.4f} (n={self.n})"


def mean_of(values) -> Estimate:
    """Mean of i.i.d. per-replication values with its standard error."""
    x = np.asarray(values, dtype=float)
    assert not np.isnan(x).any()
    return Estimate(float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x))), len(x))


def ratio_of(numerators, denominators) -> Estimate:
    """Pooled ratio sum(num) / sum(den) over replications, with the delta-method (ratio-estimator) standard error.

    Its expectation is E[num] / E[den] up to O(1/n), which is what theory gives for a mean over patients when the
    number of patients per day is random: e.g. E[sum of waits] / E[number of arrivals].
    """
    y, x = np.asarray(numerators, dtype=float), np.asarray(denominators, dtype=float)
    r = y.sum() / x.sum()
    residuals = y - r * x
    return Estimate(float(r), float(residuals.std(ddof=1) / math.sqrt(len(x)) / x.mean()), len(x))


def assert_agrees(simulated: Estimate, expected: float, *, what: str, bias: float = 0.0) -> None:
    """The exact value lies in the simulated interval, widened by a known ``bias`` allowance."""
    tolerance = simulated.half_width + abs(bias)
    assert abs(simulated.mean - expected) <= tolerance, (
        f"{what}: simulated {simulated} (tolerance {tolerance:.4f}, bias allowance {abs(bias):.2g}) "
        f"but exact {expected:.4f}"
    )


def clock(minutes: float) -> str:
    """Minutes from midnight as "HH:MM" (hours may pass 24)."""
    return f"{int(minutes) // 60:02d}:{int(minutes) % 60:02d}"


def overlap(start, end, lo: float, hi: float) -> np.ndarray:
    """Length of each [start, end) inside [lo, hi)."""
    return np.clip(np.minimum(np.asarray(end), hi) - np.maximum(np.asarray(start), lo), 0, None)


# -- exact theory sanity checks (no simulation) ----------------------------------------------------------------


def test_erlang_c_textbook_values():
    assert exact.erlang_c(1, 0.6) == pytest.approx(0.6)  # M/M/1: P(wait) = rho
    assert exact.erlang_c(2, 1.0) == pytest.approx(1 / 3)
    mm1 = exact.mmc_steady_state(1, arrival_rate=0.15, service_rate=0.25)
    assert mm1.wait_in_queue_mean_min == pytest.approx(0.6 / (0.25 - 0.15))
    assert mm1.queue_length_mean == pytest.approx(0.6**2 / 0.4)


def test_mmc_transient_converges_to_erlang_c():
    steady = exact.mmc_steady_state(2, arrival_rate=0.3, service_rate=0.2)
    late = exact.mmc_window(2, arrival_rate=0.3, service_rate=0.2, t0=5000, t1=6000)
    early = exact.mmc_window(2, arrival_rate=0.3, service_rate=0.2, t0=0, t1=60)
    assert late.wait_in_queue_mean_min == pytest.approx(steady.wait_in_queue_mean_min, rel=1e-8)
    assert late.queue_length_mean == pytest.approx(steady.queue_length_mean, rel=1e-8)
    assert late.utilization == pytest.approx(steady.utilization, rel=1e-8)
    assert early.wait_in_queue_mean_min < steady.wait_in_queue_mean_min  # an empty start waits less


def test_appointment_recursion_closed_forms():
    mean, d, q = 15.0, 40.0, 0.8
    one = exact.appointment_session([0.0], sessions=[(0.0, d)], p_no_show=1 - q, mean_service_min=mean)
    assert one.wait_mean_min == 0
    assert one.overtime_mean_min == pytest.approx(q * mean * math.exp(-d / mean))
    assert one.idle_mean_min == pytest.approx(d - q * mean + one.overtime_mean_min)
    # two booked at the same time: the second waits one visit when both come
    two = exact.appointment_session([0.0, 0.0], sessions=[(0.0, d)], p_no_show=1 - q, mean_service_min=mean)
    assert two.wait_mean_min == pytest.approx(q * q * mean / 2 / (1 - (1 - q) ** 2))
    assert two.wait_ratio_of_means_min == pytest.approx(q * q * mean / (2 * q))
    # one session: after its end everyone has arrived, so the provider works on without a gap until the last
    # visit ends, and idle = session length - total visit time + overtime
    day = exact.appointment_session(
        [480 + 15 * j for j in range(16)], sessions=[(480, 720)], p_no_show=0.1, mean_service_min=15
    )
    assert day.idle_mean_min == pytest.approx(240 - day.busy_mean_min + day.overtime_mean_min, rel=1e-10)
    assert day.overtime_mean_min == pytest.approx(day.overtime_after_last_session_mean_min, rel=1e-12)


# -- 1. M/M/c against Erlang C ---------------------------------------------------------------------------------


def mmc_scenario(*, c: int, arrival_per_hour: float, mean_service_min: float, hours: int) -> clinicsim.Scenario:
    """Walk-ins at a constant rate for the first free of ``c`` providers; exponential visits; nothing else."""
    end = clock(60 * hours)
    return clinicsim.Scenario.model_validate(
        {
            "name": f"M/M/{c}",
            "clinic": {"opens": "00:00", "closes": end, "exam_rooms": 1},
            "visit_types": {
                "walk_in": {
                    "needs_room": False,
                    "durations_min": {"provider_visit": {"kind": "exponential", "mean": mean_service_min}},
                }
            },
            # one long session of one blocked slot: on duty all day, nobody booked
            "templates": {
                "open": {"sessions": [{"start": "00:00", "end": end}], "slot_min": 60 * hours, "pattern": ["blocked"]}
            },
            "providers": [{"name": f"provider {i + 1}", "template": "open"} for i in range(c)],
            "walk_ins": [
                {
                    "name": "street",
                    "visit_type": "walk_in",
                    "rates": [{"start": "00:00", "end": end, "per_hour": arrival_per_hour}],
                }
            ],
        }
    )


def provider_visits(results: clinicsim.Results) -> pd.DataFrame:
    """One row per provider visit with the patient's arrival time."""
    events = results.events
    visits = events[events["step"] == "provider_visit"]
    arrivals = results.patients[["replication", "patient", "arrival_min"]]
    return visits.merge(arrivals, on=["replication", "patient"], validate="one_to_one")


# (c, rho, mean visit, hours, warm-up, replications). Warm-up: 4-8 relaxation times 1 / (c mu (1 - sqrt(rho))^2)
# of the empty-start transient; the bias it leaves (< 1e-4 relative here) is computed exactly and allowed for.
# Replications: the waits of one day are strongly autocorrelated, so precision comes from the total number of
# patients; these give standard errors of ~2-3% (fast) and ~0.7-2% (slow) of the mean wait, measured. The engine
# costs ~15-20 us of CPU per patient, so a fast case is ~4 s and a slow one ~20 s.
MMC_CASES = [
    pytest.param(1, 0.6, 4.0, 60, 600, 300, id="M/M/1 rho=0.6", marks=pytest.mark.slow),
    pytest.param(3, 0.7, 6.0, 60, 600, 160, id="M/M/3 rho=0.7", marks=pytest.mark.slow),
    pytest.param(1, 0.6, 4.0, 99, 600, 1000, id="M/M/1 rho=0.6 precise", marks=pytest.mark.slow),
    pytest.param(3, 0.75, 6.0, 99, 600, 400, id="M/M/3 rho=0.75 precise", marks=pytest.mark.slow),
    pytest.param(2, 0.85, 5.0, 99, 1500, 500, id="M/M/2 rho=0.85", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("c", "rho", "mean_service_min", "hours", "warm_up_min", "replications"), MMC_CASES)
def test_mmc_matches_erlang_c(c, rho, mean_service_min, hours, warm_up_min, replications):
    mu = 1 / mean_service_min
    lam = rho * c * mu
    end = 60.0 * hours
    steady = exact.mmc_steady_state(c, lam, mu)
    window = exact.mmc_window(c, lam, mu, t0=warm_up_min, t1=end)
    # the warm-up must leave a transient far below the statistical tolerance, or the comparison says little
    assert abs(window.wait_in_queue_mean_min / steady.wait_in_queue_mean_min - 1) < 2e-3

    scenario = mmc_scenario(c=c, arrival_per_hour=60 * lam, mean_service_min=mean_service_min, hours=hours)
    results = clinicsim.simulate(scenario, replications=replications, seed=SEED)
    visits = provider_visits(results)
    assert len(visits) == len(results.patients)  # every walk-in is seen

    # wait of the patients who arrive in the window; pooled over days (the number per day is random)
    inside = visits[(visits["arrival_min"] >= warm_up_min) & (visits["arrival_min"] < end)]
    per_day = (
        inside.assign(wait=inside["start_min"] - inside["arrival_min"])
        .groupby("replication")["wait"]
        .agg(["sum", "count"])
        .reindex(range(replications), fill_value=0)
    )
    wait = ratio_of(per_day["sum"], per_day["count"])
    assert_agrees(
        wait,
        steady.wait_in_queue_mean_min,
        what="mean wait in queue",
        bias=window.wait_in_queue_mean_min - steady.wait_in_queue_mean_min,
    )

    # time-average number waiting and fraction of providers busy over the same window, from the event log
    by_day = (
        visits.assign(
            waiting=overlap(visits["arrival_min"], visits["start_min"], warm_up_min, end),
            busy=overlap(visits["start_min"], visits["end_min"], warm_up_min, end),
        )
        .groupby("replication")[["waiting", "busy"]]
        .sum()
    )
    queue = mean_of(by_day["waiting"] / (end - warm_up_min))
    assert_agrees(
        queue,
        steady.queue_length_mean,
        what="time-average number waiting",
        bias=window.queue_length_mean - steady.queue_length_mean,
    )
    busy = mean_of(by_day["busy"] / (c * (end - warm_up_min)))
    assert_agrees(busy, steady.utilization, what="provider busy fraction", bias=window.utilization - rho)


# -- 2. one provider's appointment session against the exact recursion -----------------------------------------


def session_scenario(
    *,
    rule: dict,
    sessions: list[tuple[str, str]],
    slot_min: float,
    pattern: list[str],
    p_no_show: dict[str, float],
    mean_service_min: float,
    double_book: tuple[str, ...] = (),
) -> clinicsim.Scenario:
    """One provider, punctual patients, exponential visits and nothing else (no staff, no rooms, no charting)."""
    return clinicsim.Scenario.model_validate(
        {
            "name": "appointment session",
            "clinic": {"opens": sessions[0][0], "closes": sessions[-1][1], "exam_rooms": 1},
            "visit_types": {
                name: {
                    "p_no_show": p,
                    "needs_room": False,
                    "durations_min": {"provider_visit": {"kind": "exponential", "mean": mean_service_min}},
                }
                for name, p in p_no_show.items()
            },
            "templates": {
                "t": {
                    "sessions": [{"start": s, "end": e} for s, e in sessions],
                    "slot_min": slot_min,
                    "pattern": pattern,
                    "rule": rule,
                    "double_book": list(double_book),
                }
            },
            "providers": [{"name": "Dr Solo", "template": "t"}],
            "patients": {"lateness_min": 0},
        }
    )


MEAN_VISIT = 15.0
SESSION = [("08:00", "12:00")]
FIXED = {"kind": "fixed_interval"}
BAILEY_WELCH = {"kind": "bailey_welch", "k": 2}
# 16 slots of 15 minutes, one visit type with 10% no-shows; the visit mean equals the slot, as in many clinics
FIXED_TIMES = [480.0 + 15 * j for j in range(16)]
BAILEY_WELCH_TIMES = [480.0, 480.0] + [480.0 + 15 * j for j in range(1, 15)]  # two at the start, last slot closed


@cache
def single_session(rule_kind: str, replications: int) -> pd.DataFrame:
    """KPIs per replication of the one-session day under a rule; cached so tests 2 and 3 share the runs."""
    rule = FIXED if rule_kind == "fixed_interval" else BAILEY_WELCH
    scenario = session_scenario(
        rule=rule,
        sessions=SESSION,
        slot_min=15,
        pattern=["visit"],
        p_no_show={"visit": 0.1},
        mean_service_min=MEAN_VISIT,
    )
    plan = clinicsim.plan_day(scenario)
    times = [a.time_min for a in plan.providers[0].appointments]
    assert times == (FIXED_TIMES if rule_kind == "fixed_interval" else BAILEY_WELCH_TIMES)
    return clinicsim.simulate(scenario, replications=replications, seed=SEED).kpis


def session_exact(times: list[float]) -> exact.SessionExact:
    return exact.appointment_session(times, sessions=[(480, 720)], p_no_show=0.1, mean_service_min=MEAN_VISIT)


def assert_session_agrees(kpis: pd.DataFrame, theory: exact.SessionExact, label: str) -> None:
    # provider_wait_mean_min is a per-day mean over the patients seen, so the recursion gives the expectation of
    # that ratio itself (exact.SessionExact.wait_mean_min) and a plain t-interval over days applies. (Days with
    # nobody seen have no mean wait; their probability, p_nobody_seen, is conditioned on in the exact value.)
    assert_agrees(mean_of(kpis["patients_seen"]), theory.patients_seen_mean, what=f"{label}: patients seen")
    assert_agrees(mean_of(kpis["provider_wait_mean_min"]), theory.wait_mean_min, what=f"{label}: mean wait")
    assert_agrees(mean_of(kpis["provider_overtime_mean_min"]), theory.overtime_mean_min, what=f"{label}: overtime")
    assert_agrees(mean_of(kpis["provider_idle_mean_min"]), theory.idle_mean_min, what=f"{label}: idle time")


# Per-day sds are ~19 min (wait), ~37 min (overtime), ~36 min (idle): 4000 days give standard errors of 0.3-0.6 min,
# an interval of about +-1.3 min on the wait (7%) and +-2.5 min on overtime and idle time; 2.5 s of CPU per rule.
# The slow runs (20000 days) narrow that by sqrt(5). (The exact E[mean wait per day], 17.69 min, differs from the
# pooled ratio E[sum of waits] / E[number seen], 17.96 min, by about two slow standard errors: using the wrong one
# would pass here only by the slack of the 1 - ALPHA interval, which is why the exact per-day ratio is used.)
SESSION_REPLICATIONS = 4000
SESSION_REPLICATIONS_SLOW = 20000


@pytest.mark.parametrize(
    "replications",
    [pytest.param(n, marks=pytest.mark.slow) for n in (SESSION_REPLICATIONS, SESSION_REPLICATIONS_SLOW)],
)
def test_fixed_interval_session_matches_recursion(replications):
    assert_session_agrees(single_session("fixed_interval", replications), session_exact(FIXED_TIMES), "fixed")


def two_session_day() -> tuple[clinicsim.Scenario, list[float], list[float]]:
    """Two sessions with a lunch gap, blocked slots, a double booking and two visit types with their own no-shows."""
    scenario = session_scenario(
        rule=FIXED,
        sessions=[("08:00", "12:00"), ("13:00", "16:00")],
        slot_min=20,
        pattern=["new", "est", "est", "blocked"],
        p_no_show={"new": 0.25, "est": 0.1},
        mean_service_min=18.0,
        double_book=("08:20",),
    )
    times, p_no_show = [], []
    for start, n_slots in ((480, 12), (780, 9)):
        for j in range(n_slots):
            kind = ["new", "est", "est", "blocked"][j % 4]  # the pattern restarts at each session
            if kind != "blocked":
                times.append(start + 20.0 * j)
                p_no_show.append(0.25 if kind == "new" else 0.1)
                if start + 20 * j == 500:  # the double booking comes after the regular patient at 08:20
                    times.append(500.0)
                    p_no_show.append(0.1)
    return scenario, times, p_no_show


@pytest.mark.parametrize("replications", [pytest.param(n, marks=pytest.mark.slow) for n in (3000, 15000)])
def test_two_session_day_matches_recursion(replications):
    scenario, times, p_no_show = two_session_day()
    assert [a.time_min for a in clinicsim.plan_day(scenario).providers[0].appointments] == times
    theory = exact.appointment_session(
        times, sessions=[(480, 720), (780, 960)], p_no_show=p_no_show, mean_service_min=18.0
    )
    kpis = clinicsim.simulate(scenario, replications=replications, seed=SEED).kpis
    assert_session_agrees(kpis, theory, "two sessions")


# -- 3. Bailey-Welch against fixed interval --------------------------------------------------------------------


@pytest.mark.parametrize(
    "replications",
    [pytest.param(n, marks=pytest.mark.slow) for n in (SESSION_REPLICATIONS, SESSION_REPLICATIONS_SLOW)],
)
def test_bailey_welch_trades_waiting_for_idle_time_and_overtime(replications):
    fixed, bw = session_exact(FIXED_TIMES), session_exact(BAILEY_WELCH_TIMES)
    # theory first: booking two at the start and everyone after one slot earlier makes patients wait longer and
    # leaves the provider less idle time and less overtime
    assert bw.wait_mean_min > fixed.wait_mean_min
    assert bw.idle_mean_min < fixed.idle_mean_min
    assert bw.overtime_mean_min < fixed.overtime_mean_min

    fixed_kpis = single_session("fixed_interval", replications)
    bw_kpis = single_session("bailey_welch", replications)
    assert_session_agrees(bw_kpis, bw, "Bailey-Welch")
    # paired differences day by day: same seed, so each booked patient (by ordinal) has the same show draw and the
    # same visit time under both rules (common random numbers), which makes the difference precise
    assert (fixed_kpis["replication"] == bw_kpis["replication"]).all()
    for kpi, expected_sign, field in (
        ("provider_wait_mean_min", +1, "wait_mean_min"),
        ("provider_idle_mean_min", -1, "idle_mean_min"),
        ("provider_overtime_mean_min", -1, "overtime_mean_min"),
    ):
        difference = mean_of(bw_kpis[kpi] - fixed_kpis[kpi])
        assert_agrees(difference, getattr(bw, field) - getattr(fixed, field), what=f"Bailey-Welch - fixed: {kpi}")
        # the whole interval lies on the side theory predicts
        assert expected_sign * difference.mean > difference.half_width, f"{kpi}: {difference}"


# -- 4. Little's law on the event log ---------------------------------------------------------------------------


def time_average_count(entries: np.ndarray, exits: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    """Integrate the counting process N(t) = #entries <= t - #exits <= t over [lo, hi] step by step.

    Returns the time average of N over the window and the smallest N seen (entries before exits at equal times).
    """
    times = np.concatenate([entries, exits])
    steps = np.concatenate([np.ones(len(entries)), -np.ones(len(exits))])
    order = np.lexsort((-steps, times))  # by time; at equal times entries first
    times, count = times[order], np.cumsum(steps[order])
    assert lo <= times[0] and times[-1] <= hi
    area = float(np.sum(count[:-1] * np.diff(times)))
    return area / (hi - lo), float(count.min())


def lobby_spells(events: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """Per patient: entering the waiting room (check-in end, or arrival) and leaving it (taken to an exam room or to
    rooming), as clinicsim's ``lobby_wait_mean_min`` defines it; visits with neither have no waiting-room spell."""
    first = events.pivot_table(index="patient", columns="step", values=["start_min", "end_min"], aggfunc="first")
    pt = patients.set_index("patient")

    def column(kind: str, step: str) -> pd.Series:
        return first[(kind, step)].reindex(pt.index) if (kind, step) in first.columns else pd.Series(np.nan, pt.index)

    entry = column("end_min", "check_in").fillna(pt["arrival_min"])
    leave = pd.concat(
        [column("start_min", "exam_room"), column("start_min", "rooming")],
        axis=1,
    ).min(axis=1)
    spells = pd.DataFrame({"entry": entry, "exit": leave})
    return spells.dropna()


@pytest.mark.parametrize("clinic", ["family medicine", "M/M/3"])
def test_littles_law_holds_on_every_day(clinic, family_medicine):
    if clinic == "family medicine":
        scenario, replications = family_medicine, 40
    else:
        scenario, replications = mmc_scenario(c=3, arrival_per_hour=25, mean_service_min=6, hours=10), 40
    results = clinicsim.simulate(scenario, replications=replications, seed=SEED)
    events, patients, kpis = results.events, results.patients, results.kpis.set_index("replication")
    for replication, pt in patients.groupby("replication"):
        ev = events[events["replication"] == replication]
        came = pt[pt["status"] != "no_show"]
        # everyone who came has left (seen, turned away on arrival, or gave up waiting), so the window from the first
        # arrival to the last departure starts and ends with the clinic empty
        assert set(came["status"]) <= {"seen", "turned_away", "left_without_being_seen"}
        assert not came["departure_min"].isna().any()
        lo, hi = came["arrival_min"].min(), came["departure_min"].max()
        day = kpis.loc[replication]

        # in the clinic: time-average number present = arrival rate x mean time in the clinic
        in_clinic, fewest = time_average_count(came["arrival_min"].to_numpy(), came["departure_min"].to_numpy(), lo, hi)
        assert fewest >= 0
        time_in_clinic = came["departure_min"] - came["arrival_min"]
        assert in_clinic == pytest.approx(len(came) / (hi - lo) * time_in_clinic.mean(), rel=1e-9)
        # and the cycle-time KPI is that mean time over the patients seen
        assert day["cycle_time_mean_min"] == pytest.approx(time_in_clinic[came["status"] == "seen"].mean(), rel=1e-12)

        # in the waiting room, as the lobby-wait KPI defines it: the KPI times the entry rate is the time average
        spells = lobby_spells(ev, pt)
        if spells.empty:  # no exam rooms and no rooming (M/M/c): nobody is ever in a waiting room
            assert np.isnan(day["lobby_wait_mean_min"])
            continue
        assert (spells["exit"] >= spells["entry"]).all()
        in_lobby, fewest = time_average_count(spells["entry"].to_numpy(), spells["exit"].to_numpy(), lo, hi)
        assert fewest >= 0
        assert in_lobby == pytest.approx(len(spells) / (hi - lo) * day["lobby_wait_mean_min"], rel=1e-9)
