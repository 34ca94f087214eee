"""Work benchmark: what the work between visits costs the engine, per simulated day.

The clinic with work is the bundled ``scenarios/family_medicine_inbox.yaml`` (the family-medicine practice with
about 340 work items a day: 168 phone calls with patience, portal and colleagues' messages, refills prepared and
signed, results from visits, referrals and prior authorizations; two phone receptionists and a referral
coordinator added to the staff); the clinic without it is the same practice as bundled,
``scenarios/family_medicine.yaml``. Both run the same days (the same seed and replications), in rounds whose order
alternates; each figure is the best of ``--repeat`` rounds of ``--days`` days (``clinicsim.simulate``: the event
logs kept and the KPI table built, work KPIs included). Also reported: SimPy events, patients and work items per
day, so that the ratio can be read against how much more the day holds.

Prints a table and writes every figure to ``benchmarks/results/work.json``.

    python benchmarks/bench_work.py [--quick] [--days N] [--repeat R] [--out PATH]
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from pathlib import Path

from bench_engine import git_state, table
from measure import machine, save, simpy_events, warn_if_busy

import clinicsim

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE.parent / "scenarios"
CLINICS = {
    "without work": SCENARIOS / "family_medicine.yaml",
    "with work": SCENARIOS / "family_medicine_inbox.yaml",
}
SEED = 20261126


def timed(scenario, days: int) -> float:
    """Seconds to simulate ``days`` days of ``scenario`` (event logs and KPIs included)."""
    gc.collect()
    start = time.perf_counter()
    clinicsim.simulate(scenario, replications=days, seed=SEED)
    return time.perf_counter() - start


def per_day(scenario, days: int) -> dict[str, float]:
    """What a day holds: SimPy events, patients who came, work items (means over ``days`` days)."""
    kept: list = []
    events = simpy_events(lambda: kept.append(clinicsim.simulate(scenario, replications=days, seed=SEED)))
    results = kept[0]
    work = results.work
    items = len(work.drop_duplicates(["replication", "item"])) if not work.empty else 0
    return {
        "simpy_events": events / days,
        "patients_arrived": float(results.kpis["patients_arrived"].mean()),
        "work_items": items / days,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (20 days, 2 rounds)")
    parser.add_argument("--days", type=int, help="simulated days per clinic per round (default 200; quick 20)")
    parser.add_argument("--repeat", type=int, help="rounds; the best is kept (default 3; quick 2)")
    parser.add_argument("--out", default=str(HERE / "results" / "work.json"), help="JSON file of the results")
    args = parser.parse_args()

    days = args.days or (20 if args.quick else 200)
    repeat = args.repeat or (2 if args.quick else 3)
    started = time.perf_counter()
    scenarios = {name: clinicsim.load_scenario(path) for name, path in CLINICS.items()}
    results: dict = {
        "machine": machine(),
        "git": git_state(),
        "settings": {"days": days, "repeat": repeat, "seed": SEED, "clinics": {k: v.name for k, v in CLINICS.items()}},
    }
    about = results["machine"]
    print(f"Work benchmark on {about['cores']} cores, Python {about['python']}, SimPy {about['simpy']}")
    warn_if_busy(about)
    print(f"{repeat} rounds of {days} days per clinic (the same seed and days), order alternating; best round kept\n")

    for scenario in scenarios.values():
        clinicsim.simulate(scenario, replications=2, seed=SEED)  # warm-up: imports, caches
    seconds: dict[str, list[float]] = {name: [] for name in scenarios}
    for k in range(repeat):
        for name in scenarios if k % 2 == 0 else reversed(scenarios):
            seconds[name].append(timed(scenarios[name], days))
    contents = {name: per_day(scenario, min(days, 50)) for name, scenario in scenarios.items()}

    for name in scenarios:
        best = min(seconds[name])
        results[name] = {
            "scenario": CLINICS[name].name,
            "seconds": seconds[name],
            "best_s": best,
            "ms_per_day": 1000 * best / days,
            **{f"{key}_per_day": value for key, value in contents[name].items()},
        }
    base, work = results["without work"], results["with work"]
    results["ratio_with_to_without"] = work["ms_per_day"] / base["ms_per_day"]
    results["events_ratio"] = work["simpy_events_per_day"] / base["simpy_events_per_day"]

    print(
        table(
            ["clinic", "scenario", "ms/day (best)", "rounds, s", "SimPy events/day", "patients/day", "work items/day"],
            [
                [
                    name,
                    r["scenario"],
                    r["ms_per_day"],
                    " ".join(f"{s:.2f}" for s in r["seconds"]),
                    f"{r['simpy_events_per_day']:.0f}",
                    f"{r['patients_arrived_per_day']:.1f}",
                    f"{r['work_items_per_day']:.1f}",
                ]
                for name, r in ((n, results[n]) for n in scenarios)
            ],
        )
    )
    print(
        f"\nwith work / without: {results['ratio_with_to_without']:.2f}x the time per day, for "
        f"{results['events_ratio']:.2f}x the SimPy events"
    )
    results["machine"]["load_average_after"] = os.getloadavg()
    save(results, args.out, started)


if __name__ == "__main__":
    main()
