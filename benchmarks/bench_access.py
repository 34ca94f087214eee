"""Access benchmark: a year of booking for eight providers, and the booked days simulated, against ``simulate``.

The clinic is ``access_clinic.yaml``: the family-medicine practice with eight providers on fm_20 templates (192
slots a clinic day) and its panel's requests at about 90% of template capacity, cancellations and rebooking on,
a week off per provider, three holidays. This script measures the two targets of the access issue:

  a. booking: ``clinicsim.access.run.run_access`` over ``--weeks`` weeks (default 52, no warm-up), one timing per
     replication (``--replications``, each its own random numbers): the median with min and max, requests handled
     and requests booked (booked or overbooked) per second; and, timed apart, the access KPIs of each run
     (``clinicsim.access.kpis.access_kpis``);
  b. the joined run's cost per clinic day: ``clinicsim.access.days.simulate_booked_days`` on the first
     replication's run (every reported clinic day's booked list simulated by the clinic-day engine, with fresh
     ``DayPlans``, as ``simulate_access`` does for its first replication), in milliseconds per simulated clinic
     day, against ``clinicsim.simulate`` of the same clinic's full-template day (the scenario without its access
     section, on its weekday, a Tuesday) for as many days. Also timed: the joined run with every day plan made
     and simulated once beforehand (what ``simulate`` has cached after its first day), so the price of making the
     plans and of the plan copies that do not inherit the base plan's derived tables shows apart. The variants
     run in ``--rounds`` interleaved rounds whose order alternates; per round the ratio joined / simulate, given
     as the median with min and max. Patients and SimPy events per day are given to read the ratio by.

``--profile PATH`` adds a cProfile of the joined run (fresh plans). Prints tables with the machine's description
and writes every figure to ``benchmarks/results/access.json``.

    python benchmarks/bench_access.py [--quick] [--weeks W] [--replications R] [--rounds N] [--profile PATH]
                                      [--out PATH]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from pathlib import Path

from bench_engine import git_state, table
from measure import machine, profile, profile_rows, save, simpy_events, warn_if_busy

import clinicsim
from clinicsim.access.days import simulate_booked_days
from clinicsim.access.kpis import BOOKED, access_kpis
from clinicsim.access.run import AccessRun, booked_days, run_access
from clinicsim.access.supply import weekday_of
from clinicsim.day_plans import DayPlans
from clinicsim.engine import simulate_day

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "access_clinic.yaml"
SEED = 20261129


def timed(work) -> tuple[float, object]:
    """Seconds ``work()`` takes (after a garbage collection), and what it returns."""
    gc.collect()
    start = time.perf_counter()
    out = work()
    return time.perf_counter() - start, out


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def primed_plans(run: AccessRun) -> tuple[DayPlans, int, float]:
    """The day plans of every reported clinic day of ``run``, each made and simulated once, so that the plan
    copies of a joined run find its derived tables cached, as ``simulate`` has them after a day; how many, and the
    seconds making them took."""
    scenario = run.scenario
    access = scenario.access
    assert access is not None
    away_on: dict[int, set[str]] = {}
    for off in access.days_off:
        for day in range((off.start - access.start).days, (off.end - access.start).days + 1):
            away_on.setdefault(day, set()).add(off.provider)
    plans = DayPlans(scenario)
    keys = {(weekday_of(access.start, d), frozenset(away_on.get(d, ()))) for d in run.reported_days
            if run.clinic_days[d]}  # fmt: skip
    seconds, made = timed(lambda: [plan for plan in (plans.plan(*key) for key in keys) if plan is not None])
    for plan in made:  # type: ignore[attr-defined]
        simulate_day(plan, seed=SEED, replication=0)
    return plans, len(made), seconds  # type: ignore[arg-type]


def booking(scenario, weeks: int, replications: int) -> tuple[dict, list[AccessRun]]:
    """Part a: each replication's booking run timed, then its KPIs."""
    seconds, kpi_seconds, requests, booked, runs = [], [], [], [], []
    for r in range(replications):
        s, run = timed(lambda r=r: run_access(scenario, weeks=weeks, warm_up=0, seed=SEED, replication=r))
        k, _ = timed(lambda run=run: access_kpis(run))
        seconds.append(s)
        kpi_seconds.append(k)
        requests.append(len(run.requests))
        booked.append(int(run.requests["outcome"].isin(BOOKED).sum()))
        runs.append(run)  # type: ignore[arg-type]
    first = runs[0]
    return {
        "weeks": weeks,
        "providers": len(scenario.providers),
        "clinic_days": first.reported_clinic_days,
        "template_positions": int(first.positions["template"].sum()),
        "seconds": seconds,
        "seconds_spread": spread(seconds),
        "requests": requests,
        "booked": booked,
        "requests_per_s": [n / s for n, s in zip(requests, seconds)],
        "booked_per_s": [n / s for n, s in zip(booked, seconds)],
        "kpi_seconds": kpi_seconds,
        "kpi_seconds_spread": spread(kpi_seconds),
    }, runs  # type: ignore[return-value]


def joined_against_simulate(scenario, day_scenario, run: AccessRun, rounds: int) -> dict:
    """Part b: ms per clinic day of the joined run (fresh plans, primed plans) and of ``simulate``, interleaved."""
    days = len(simulate_booked_days(run, SEED, DayPlans(scenario)))  # also a warm-up
    clinicsim.simulate(day_scenario, replications=2, seed=SEED)  # warm-up
    variants = {
        "joined": lambda: simulate_booked_days(run, SEED, DayPlans(scenario)),
        "joined, plans primed": None,  # made per round, untimed
        "simulate": lambda: clinicsim.simulate(day_scenario, replications=days, seed=SEED),
    }
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for k in range(rounds):
        for name in variants if k % 2 == 0 else reversed(variants):
            work = variants[name]
            if work is None:
                plans, _, _ = primed_plans(run)
                work = lambda plans=plans: simulate_booked_days(run, SEED, plans)  # noqa: E731
            seconds[name].append(timed(work)[0])
    _, plan_count, made = primed_plans(run)
    clinic_days = [d for d in run.reported_days if run.clinic_days[d]]
    lists = min(timed(lambda: booked_days(run))[0] for _ in range(3))
    joined_days: list = []
    full_days: list = []
    events = {
        "joined": simpy_events(lambda: joined_days.append(simulate_booked_days(run, SEED, DayPlans(scenario)))),
        "simulate": simpy_events(
            lambda: full_days.append(clinicsim.simulate(day_scenario, replications=days, seed=SEED))
        ),
    }
    patients = {
        "joined": float(joined_days[0]["patients_arrived"].mean()),
        "simulate": float(full_days[0].kpis["patients_arrived"].mean()),
    }
    out: dict = {
        "days": days,
        "rounds": rounds,
        "day_plans": plan_count,
        "day_plans_made_s": made,
        "booked_lists_ms_per_day": 1000 * lists / len(clinic_days),
    }
    for name in variants:
        per_day = [1000 * s / days for s in seconds[name]]
        ratio = [a / b for a, b in zip(seconds[name], seconds["simulate"])]
        base = "joined" if name.startswith("joined") else "simulate"
        out[name] = {
            "seconds": seconds[name],
            "ms_per_day": spread(per_day),
            "ratio_to_simulate": spread(ratio),
            "patients_per_day": patients[base],
            "simpy_events_per_day": events[base] / days,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (8 weeks, 2 replications, 2 rounds)")
    parser.add_argument("--weeks", type=int, help="weeks booked per replication (default 52; quick 8)")
    parser.add_argument("--replications", type=int, help="booking runs timed (default 5; quick 2)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds of the joined comparison (default 5; quick 2)")
    parser.add_argument("--profile", metavar="PATH", help="also cProfile the joined run into this text file")
    parser.add_argument("--out", default=str(HERE / "results" / "access.json"), help="JSON file of the results")
    args = parser.parse_args()

    weeks = args.weeks or (8 if args.quick else 52)
    replications = args.replications or (2 if args.quick else 5)
    rounds = args.rounds or (2 if args.quick else 5)
    started = time.perf_counter()
    scenario = clinicsim.load_scenario(SCENARIO)
    day_scenario = scenario.with_changes({"access": None})
    results: dict = {
        "machine": machine(),
        "git": git_state(),
        "settings": {
            "scenario": SCENARIO.name,
            "weeks": weeks,
            "replications": replications,
            "rounds": rounds,
            "seed": SEED,
            "simulate_weekday": day_scenario.weekday,
        },
    }
    about = results["machine"]
    print(
        f"Access benchmark on {about['cores']} cores ({about['processor']}, {about['platform']}), "
        f"Python {about['python']}, SimPy {about['simpy']}, numpy {about['numpy']}, clinicsim {about['clinicsim']}"
    )
    warn_if_busy(about)

    run_access(scenario, weeks=1, warm_up=0, seed=SEED, replication=999)  # warm-up: imports, caches
    book, runs = booking(scenario, weeks, replications)
    results["booking"] = book
    print(
        f"\na. booking: {weeks} weeks x {book['providers']} providers ({book['clinic_days']} clinic days, "
        f"{book['template_positions']:,} template positions), {replications} replications\n"
    )
    print(
        table(
            ["", "median", "min", "max"],
            [
                ["run_access, s", *book["seconds_spread"].values()],
                ["requests handled", *spread([float(n) for n in book["requests"]]).values()],
                ["requests handled / s", *spread(book["requests_per_s"]).values()],
                ["requests booked / s", *spread(book["booked_per_s"]).values()],
                ["access_kpis, s", *book["kpi_seconds_spread"].values()],
            ],
        )
    )

    joined = joined_against_simulate(scenario, day_scenario, runs[0], rounds)
    results["joined"] = joined
    print(
        f"\nb. per simulated clinic day: the joined run of replication 0 ({joined['days']} clinic days) against "
        f"simulate of the full-template {day_scenario.weekday} for as many days; {rounds} interleaved rounds\n"
    )
    print(
        table(
            ["variant", "ms/day median", "min", "max", "/ simulate", "(min-max)", "patients/day", "SimPy events/day"],
            [
                [
                    name,
                    *r["ms_per_day"].values(),
                    r["ratio_to_simulate"]["median"],
                    f"{r['ratio_to_simulate']['min']:.2f}-{r['ratio_to_simulate']['max']:.2f}",
                    f"{r['patients_per_day']:.1f}",
                    f"{r['simpy_events_per_day']:.0f}",
                ]
                for name, r in ((n, joined[n]) for n in ("joined", "joined, plans primed", "simulate"))
            ],
        )
    )
    print(
        f"\n{joined['day_plans']} day plans (weekday x providers away) made in {joined['day_plans_made_s']:.2f} s "
        f"({1000 * joined['day_plans_made_s'] / joined['days']:.2f} ms per clinic day); each day's booked list "
        f"taken from the bookings table (run.booked_days): {joined['booked_lists_ms_per_day']:.2f} ms per clinic "
        "day (best of 3)"
    )
    print(
        f"\ntargets: (1) {weeks} weeks x {book['providers']} providers booked in "
        f"{book['seconds_spread']['median']:.2f} s (median; 'a few seconds'); (2) joined / simulate per clinic day "
        f"{joined['joined']['ratio_to_simulate']['median']:.2f} (median; 'no worse': at most 1)"
    )

    if args.profile:
        top = profile(
            lambda: simulate_booked_days(runs[0], SEED, DayPlans(scenario)),
            args.profile,
            f"simulate_booked_days({SCENARIO.name}, {runs[0].days // 7} weeks, fresh DayPlans)",
            by="cumtime",
            top=20,
        )
        results["profile"] = {"path": args.profile, "top_by_cumulative_time": top}
        print(f"\nprofile of the joined run written to {args.profile}; top by cumulative time:")
        print(table(*profile_rows(top)))

    results["machine"]["load_average_after"] = os.getloadavg()
    save(results, args.out, started)


if __name__ == "__main__":
    main()
