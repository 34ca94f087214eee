"""Pathway benchmark: clinicsim against the same urgent-care clinic written by hand in plain SimPy.

The clinic is ``pathway_clinic.yaml`` (walk-ins only; triage, registration, examination by a pool of three
clinicians in an exam room kept until discharge, a branch to x-ray and a recheck by the same clinician, an
optional treatment, a procedure needing the clinician and a medical assistant together, four kinds of room);
``plain_simpy_pathways.py`` is the same clinic hand-written. This script measures

  a. speed: ``clinicsim.simulate`` (event logs kept, KPI table built), the sweep runner's KPI-only path
     ``run_chunk`` and the hand-written model over the same number of days, in interleaved rounds (the order
     alternating from round to round), and per round the ratio of clinicsim's time to the hand-written model's:
     median with min and max over the rounds;
  b. agreement: the statistics both report (mean wait before each step, share through the branch, the optional
     step and the visit-type mix, utilization of each role and room kind, patients, cycle time) over many days
     with independent random numbers: each model's mean with its 95% t-interval, and the difference with its 95%
     Welch interval and p-value;
  c. replay: clinicsim's own patients of some days (their arrivals, branches and durations, drawn by clinicsim)
     simulated by the hand-written model: the same statistics, day by day, up to rounding.

Prints tables and writes every figure to ``benchmarks/results/pathways.json``.

    python benchmarks/bench_pathways.py [--quick] [--rounds R] [--replications N] [--profile PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import time
from pathlib import Path

import numpy as np
import plain_simpy_pathways as twin
from bench_engine import git_state, t_interval, table, welch
from measure import machine, profile, profile_rows, save, simpy_events, warn_if_busy

import clinicsim
from clinicsim.sweeps.runner import run_chunk

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "pathway_clinic.yaml"
SEED = 20261126
COMPARED = (
    "patients_seen",
    *(f"wait_before_{step}_mean_min" for step in twin.STEPS),
    "provider_wait_mean_min",
    "cycle_time_mean_min",
    "share_procedure_visit_pct",
    "share_imaging_x_ray_pct",
    "share_treatment_pct",
    "provider_utilization",
    "nurse_utilization",
    "front_desk_utilization",
    "radiology_tech_utilization",
    "ma_utilization",
    "room_utilization",
    "triage_bay_room_utilization",
    "x_ray_room_utilization",
    "procedure_room_utilization",
    "last_departure_min",
)
"""Per-day statistics both models report (clinicsim KPI names; the three shares of the branch, the optional step
and the visit-type mix clinicsim has no KPI for are read from its event logs)."""
FROM_LOGS = ("share_procedure_visit_pct", "share_treatment_pct")
EXACT = {
    "patients_seen": sum(rate * (end - start) / 60 for start, end, rate in twin.WALK_INS),
    "share_procedure_visit_pct": 100 * twin.P_PROCEDURE,
    "share_imaging_x_ray_pct": 100 * twin.P_X_RAY,
    "share_treatment_pct": 100 * twin.P_TREATMENT,
}
"""The exact means of the statistics the scenario fixes (everyone who comes is seen)."""


# -- the models ---------------------------------------------------------------------------------------------


def shares_from_log(log) -> dict[str, float]:
    """Share of procedure visits among the patients, and of acute patients treated, from a clinicsim event log."""
    came = log.patients["status"] != "no_show"
    procedure = log.patients["visit_type"][came] == "procedure"
    acute = log.patients["patient"][came][~procedure]
    treated = np.unique(log.steps["patient"][log.steps["step"] == "treatment"])
    return {
        "share_procedure_visit_pct": 100 * float(procedure.mean()) if len(procedure) else math.nan,
        "share_treatment_pct": 100 * len(treated) / len(acute) if len(acute) else math.nan,
    }


def clinicsim_rows(scenario, replications: int, first: int = 0) -> list[dict]:
    """Per-day statistics of clinicsim: its KPIs, and the shares read from its event logs."""
    results = clinicsim.simulate(scenario, replications=replications, seed=SEED, first_replication=first)
    rows = results.kpis.to_dict("records")
    return [{**row, **shares_from_log(log)} for row, log in zip(rows, results.logs)]


def models(scenario) -> dict:
    """Name -> function(replications) running that many days (what is timed)."""
    kpis = [k for k in COMPARED if k not in FROM_LOGS]
    return {
        "clinicsim.simulate": lambda n: clinicsim.simulate(scenario, replications=n, seed=SEED),
        "clinicsim.run_chunk": lambda n: run_chunk(scenario, SEED, list(range(n)), kpis),
        "plain_simpy_pathways": lambda n: [twin.run_day(seed) for seed in range(n)],
    }


def clinicsim_draws(scenario, replication: int) -> dict[str, np.ndarray]:
    """clinicsim's own patients of one replication, in the hand-written model's ``draw_day`` format.

    Uses clinicsim internals (plan, streams, patients); the benchmark reports the replay as skipped if they change.
    The clinicians' steps of a pool's patient are timed from the patient's uniforms once a clinician is known; the
    three clinicians are alike (speed 1, the same charting), so the times are the same whoever it is.
    """
    from clinicsim.patients import draw_patients
    from clinicsim.plan import plan_day
    from clinicsim.scenario.vocabulary import stream_field
    from clinicsim.streams import Streams

    plan = plan_day(scenario)
    came = [p for p in draw_patients(plan, Streams(SEED, replication)) if p.shows]
    charting = plan.providers[0].provider.documentation_min
    assert all(d.provider.speed_factor == 1 and d.provider.documentation_min == charting for d in plan.providers)

    def column(values) -> np.ndarray:
        return np.array(list(values), dtype=float)

    def minutes(step: str) -> np.ndarray:
        """The step's minutes: drawn ahead, or (a clinician's step) from the patient's uniform."""
        if step not in plan.uniform_fields:
            return column(p.minutes[plan.step_index[step]] for p in came)
        u = column(p.uniforms[plan.uniform_fields.index(step)] for p in came)
        return plan.steps[step].duration.from_uniform(u)

    def charted(step: str) -> np.ndarray:
        field = plan.uniform_fields.index(stream_field(step, "documentation"))
        return charting.from_uniform(column(p.uniforms[field] for p in came))

    def took(step: str) -> np.ndarray:
        return np.array([any(s.name == step for s in p.path) for p in came], dtype=bool)

    def turnover(kind: str) -> np.ndarray:
        return column(p.turnover[plan.room_kinds.index(kind)] for p in came)

    draws = {
        "arrival": column(p.arrival_min for p in came),
        "procedure_visit": np.array([p.visit_type == "procedure" for p in came], dtype=bool),
        "x_rayed": took("x_ray"),
        "treated": took("treatment"),
        **{step: minutes(step) for step in twin.STEPS},
        **{f"charting_{step}": charted(step) for step in ("examination", "recheck", "procedure")},
        "exam_turnover": turnover("exam"),
        "procedure_turnover": turnover("procedure"),
    }
    assert not any(np.isnan(draws[step][took(step)]).any() for step in ("x_ray", "treatment"))
    return draws


# -- helpers ------------------------------------------------------------------------------------------------


def timed(fn, n: int) -> float:
    gc.collect()
    start = time.perf_counter()
    fn(n)
    return time.perf_counter() - start


def clock(minutes: float) -> str:
    return f"{int(minutes // 60):02d}:{int(minutes % 60):02d}"


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "all": values}


# -- the benchmark -------------------------------------------------------------------------------------------


def bench_speed(scenario, replications: int, rounds: int) -> dict:
    """Each model over the same ``replications`` days in each round, the order alternating round by round."""
    run = models(scenario)
    for fn in run.values():
        fn(2)  # warm-up: imports, caches
    seconds: dict[str, list[float]] = {name: [] for name in run}
    for k in range(rounds):
        for name in run if k % 2 == 0 else reversed(run):
            seconds[name].append(timed(run[name], replications))
    out: dict = {"replications": replications, "rounds": rounds}
    for name, times in seconds.items():
        out[name] = {"seconds": spread(times), "ms_per_replication": 1000 * statistics.median(times) / replications}
    for name in ("clinicsim.simulate", "clinicsim.run_chunk"):
        ratios = [a / b for a, b in zip(seconds[name], seconds["plain_simpy_pathways"])]
        out[f"{name}/plain_simpy_pathways"] = spread(ratios)
    return out


def bench_agreement(scenario, days: int) -> dict:
    """Both models over ``days`` days with independent random numbers: means, intervals, differences."""
    ours = []
    for first in range(0, days, 100):  # in chunks, so that not every event log is held at once
        ours += clinicsim_rows(scenario, min(100, days - first), first)
    theirs = [twin.run_day(seed) for seed in range(days)]
    out: dict = {
        "latest_departure_min": {
            "clinicsim": max(r["last_departure_min"] for r in ours),
            "plain_simpy_pathways": max(r["last_departure_min"] for r in theirs),
        }
    }
    for stat in COMPARED:
        a, b = [r[stat] for r in ours], [r[stat] for r in theirs]
        a_ok, b_ok = [x for x in a if not math.isnan(x)], [x for x in b if not math.isnan(x)]
        out[stat] = {
            "clinicsim": t_interval(a_ok),
            "plain_simpy_pathways": t_interval(b_ok),
            "clinicsim_minus_plain": welch(a_ok, b_ok),
        }
    return out


def bench_replay(scenario, days: int) -> dict:
    """clinicsim's own patients through the hand-written model: every per-day statistic must match."""
    try:
        reference = clinicsim_rows(scenario, days)
        worst = {stat: 0.0 for stat in COMPARED}
        for r in range(days):
            theirs = twin.run_day(draws=clinicsim_draws(scenario, r))
            for stat in COMPARED:
                a, b = reference[r][stat], theirs[stat]
                if not (math.isnan(a) and math.isnan(b)):
                    worst[stat] = max(worst[stat], abs(a - b))
        return {"days": days, "max_abs_diff": worst}
    except Exception as error:  # clinicsim internals changed: report, do not fail the benchmark
        return {"days": days, "skipped": f"{type(error).__name__}: {error}"}


def bench_phases(scenario, days: int) -> dict:
    """Where a day's time goes in each model (clinicsim: draws, SimPy run, KPIs, freeing the finished day; the
    hand-written model: draws, SimPy run with its statistics and freeing), and SimPy events per day in each.

    Uses clinicsim internals (plan, streams, patients, ClinicDay); reported as skipped if they change.
    """
    try:
        from clinicsim.engine import ClinicDay, late_starts, simulate_day
        from clinicsim.experiment import day_kpis
        from clinicsim.patients import draw_patients
        from clinicsim.plan import plan_day
        from clinicsim.streams import Streams

        plan = plan_day(scenario)
        simulate_day(plan, seed=SEED, replication=0)  # warm-up
        spent = {"clinicsim_draws": 0.0, "clinicsim_engine": 0.0, "clinicsim_kpis": 0.0, "clinicsim_free": 0.0}
        spent.update({"plain_simpy_draws": 0.0, "plain_simpy_run": 0.0})
        for r in range(days):
            gc.disable()  # as simulate_day does while a day is drawn and run
            t0 = time.perf_counter()
            streams = Streams(SEED, r)
            day = ClinicDay(plan, draw_patients(plan, streams), late_starts(plan, streams), r)
            t1 = time.perf_counter()
            log = day.run()
            t2 = time.perf_counter()
            gc.enable()
            day_kpis(log, scenario)
            t3 = time.perf_counter()
            del day, log  # a finished day is freed here, not inside the next day's draws
            t4 = time.perf_counter()
            draws = twin.draw_day(r)
            t5 = time.perf_counter()
            twin.run_day(draws=draws)
            t6 = time.perf_counter()
            for name, seconds in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)):
                spent[name] += seconds
        out: dict = {f"{k}_ms_per_day": 1000 * v / days for k, v in spent.items()}

        out["clinicsim_events_per_day"] = simpy_events(lambda: run_chunk(scenario, SEED, list(range(10)), [])) / 10
        out["plain_simpy_events_per_day"] = simpy_events(lambda: [twin.run_day(seed) for seed in range(10)]) / 10
        return {"days": days, **out}
    except Exception as error:  # clinicsim internals changed: report, do not fail the benchmark
        return {"days": days, "skipped": f"{type(error).__name__}: {error}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a fast smoke run with few replications")
    parser.add_argument("--rounds", type=int, help="timing rounds (default 9; quick 3)")
    parser.add_argument("--replications", type=int, help="days per model per round (default 100; quick 20)")
    parser.add_argument("--out", default=str(HERE / "results" / "pathways.json"), help="JSON file of the results")
    parser.add_argument("--profile", metavar="PATH", help="also cProfile clinicsim.simulate into this text file")
    args = parser.parse_args()

    quick = args.quick
    rounds = args.rounds or (3 if quick else 9)
    replications = args.replications or (20 if quick else 100)
    agreement_days, replay_days = (200, 10) if quick else (1000, 50)
    started = time.perf_counter()
    scenario = clinicsim.load_scenario(SCENARIO)
    results: dict = {
        "machine": machine(),
        "git": git_state(),
        "settings": {
            "quick": quick,
            "rounds": rounds,
            "replications": replications,
            "agreement_days": agreement_days,
            "replay_days": replay_days,
            "seed": SEED,
        },
    }
    about = results["machine"]
    print(f"Pathway benchmark on {about['cores']} cores, Python {about['python']}, SimPy {about['simpy']}")
    warn_if_busy(about)
    print(f"clinic: {SCENARIO.name}; {rounds} rounds of {replications} days per model, order alternating\n")

    speed = bench_speed(scenario, replications, rounds)
    results["speed"] = speed
    names = ("clinicsim.simulate", "clinicsim.run_chunk", "plain_simpy_pathways")
    print(
        table(
            ["model", "ms/day (median)", "s per round: median", "min", "max"],
            [
                [name, speed[name]["ms_per_replication"]]
                + [speed[name]["seconds"][k] for k in ("median", "min", "max")]
                for name in names
            ],
        )
    )
    for name in names[:2]:
        r = speed[f"{name}/plain_simpy_pathways"]
        print(f"{name} / plain SimPy: median {r['median']:.2f}x (min {r['min']:.2f}x, max {r['max']:.2f}x)")

    agreement = bench_agreement(scenario, agreement_days)
    results["agreement"] = {"days": agreement_days, "exact_means": EXACT, **agreement}
    print(f"\nagreement over {agreement_days} days (mean +- 95% t half-width; independent random numbers)")
    print(
        table(
            ["statistic", "exact", "clinicsim", "plain SimPy", "clinicsim - plain (95% CI)", "p"],
            [
                [stat, f"{EXACT[stat]:g}" if stat in EXACT else ""]
                + [f"{e[m]['mean']:.3f} +- {e[m]['half_width']:.3f}" for m in ("clinicsim", "plain_simpy_pathways")]
                + [
                    f"{e['clinicsim_minus_plain']['diff']:+.3f} +- {e['clinicsim_minus_plain']['half_width']:.3f}",
                    f"{e['clinicsim_minus_plain']['p_value']:.2f}",
                ]
                for stat, e in agreement.items()
                if stat != "latest_departure_min"
            ],
        )
    )
    print(f"({len(COMPARED)} statistics: at the 5% level about one p-value in twenty is below 0.05 by chance alone)")
    latest = agreement["latest_departure_min"]
    print(
        f"latest departure of any day: clinicsim {clock(latest['clinicsim'])}, plain SimPy "
        f"{clock(latest['plain_simpy_pathways'])} (everyone is on duty until 24:00)"
    )

    replay = bench_replay(scenario, replay_days)
    results["replay"] = replay
    if "skipped" in replay:
        print(f"\nreplay of clinicsim's patients: skipped ({replay['skipped']})")
    else:
        worst = max(replay["max_abs_diff"].values())
        print(f"\nreplay of clinicsim's own patients through the hand-written model, {replay_days} days: ", end="")
        print(f"max |diff| over every statistic {worst:.3g}")
        if worst > 1e-6:
            print(table(["statistic", "max |diff|"], [[k, v] for k, v in replay["max_abs_diff"].items() if v > 1e-6]))

    phases = bench_phases(scenario, 20 if quick else 100)
    results["phases"] = phases
    if "skipped" in phases:
        print(f"\nday breakdown: skipped ({phases['skipped']})")
    else:
        print(
            f"\nday breakdown (ms per day): clinicsim draws {phases['clinicsim_draws_ms_per_day']:.2f}, SimPy run "
            f"{phases['clinicsim_engine_ms_per_day']:.2f}, KPIs {phases['clinicsim_kpis_ms_per_day']:.2f}, freeing the "
            f"day {phases['clinicsim_free_ms_per_day']:.2f}; plain SimPy "
            f"draws {phases['plain_simpy_draws_ms_per_day']:.2f}, SimPy run with its statistics "
            f"{phases['plain_simpy_run_ms_per_day']:.2f}. SimPy events per day: clinicsim "
            f"{phases['clinicsim_events_per_day']:.0f}, plain SimPy {phases['plain_simpy_events_per_day']:.0f}"
        )

    if args.profile:
        results["profile"] = {
            "path": args.profile,
            "top_by_own_time": profile(
                lambda: clinicsim.simulate(scenario, replications=replications, seed=SEED),
                args.profile,
                f"clinicsim.simulate({SCENARIO.name}, replications={replications})",
            ),
        }
        print(f"\nprofile of clinicsim.simulate ({replications} days) written to {args.profile}; top by own time:")
        print(table(*profile_rows(results["profile"]["top_by_own_time"])))

    results["machine"]["load_average_after"] = os.getloadavg()
    save(results, args.out, started)


if __name__ == "__main__":
    main()
