"""Engine benchmarks (issue 7): clinicsim against the same clinic day in plain SimPy and in a heapq event loop.

The reference clinic day is ``reference_clinic.yaml``; ``plain_simpy.py`` and ``heapq_loop.py`` are the same model
hand-coded. This script measures

  a. clinicsim: ``clinicsim.simulate`` (event logs kept, KPI table built) and the sweep runner's KPI-only path
     ``clinicsim.sweeps.runner.run_chunk``: replications/s, patients/s, peak memory;
  b. plain SimPy and c. the heapq loop over as many days, and the time ratios;
  d. statistical agreement of the three models over 1,000 days (95% t-intervals, independent random numbers;
     the exact mean of patients seen alongside), and a day-by-day replay of clinicsim's own draws through the
     two hand-coded models (must match exactly);
  e. where a clinicsim day's time goes (draws, SimPy run, KPIs), SimPy events per day, and the objects a day
     leaves in reference cycles; then scaling: time per replication and per patient as providers grow
     2 -> 8 -> 32 -> 128 (clerks, medical assistants and rooms scaled with them), also with the cyclic garbage
     collector off for the whole run, to show what it still costs (clinicsim pauses it while each day runs, so
     what is left is the KPI computation's share);
  f. memory across many replications through ``run_chunk`` (RSS before and after a collection, allocated blocks
     and live objects after each chunk): it must stay flat.

Prints tables and writes every figure to ``benchmarks/results/engine.json``. Memory is measured in fresh child
processes (this script run with ``--child``), so timings and memory figures do not disturb each other.

    python benchmarks/bench_engine.py [--quick] [--profile /tmp/engine_profile.txt] [--out PATH]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import os
import pstats
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import heapq_loop
import numpy as np
import plain_simpy
from measure import machine, save, simpy_events, warn_if_busy
from scipy import stats

import clinicsim
from clinicsim.sweeps.runner import run_chunk

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "reference_clinic.yaml"
SEED = 20261126
COMPARED = (
    "patients_seen",
    "provider_wait_mean_min",
    "provider_wait_p90_min",
    "cycle_time_mean_min",
    "check_in_wait_mean_min",
    "lobby_wait_mean_min",
    "last_departure_min",
)
"""Per-day statistics that all three models report (clinicsim KPI names)."""
CHUNK_KPIS = [*COMPARED, "patients_arrived"]
SCALES = (2, 8, 32, 128)


# -- the models, run for a number of days -------------------------------------------------------------------


def run_simulate(scenario, replications: int) -> list[dict]:
    kpis = clinicsim.simulate(scenario, replications=replications, seed=SEED).kpis
    return kpis.to_dict("records")


def run_kpi_path(scenario, replications: int) -> list[dict]:
    return [row for _, row in run_chunk(scenario, SEED, list(range(replications)), CHUNK_KPIS)]


def run_plain(replications: int, providers: int = 8) -> list[dict]:
    return [plain_simpy.run_day(seed, providers=providers) for seed in range(replications)]


def run_heapq(replications: int, providers: int = 8) -> list[dict]:
    return [heapq_loop.run_day(seed, providers=providers) for seed in range(replications)]


def models(scenario) -> dict:
    """Name -> function(replications) -> per-day rows."""
    return {
        "clinicsim.simulate": lambda n: run_simulate(scenario, n),
        "clinicsim.run_chunk": lambda n: run_kpi_path(scenario, n),
        "plain_simpy": run_plain,
        "heapq_loop": run_heapq,
    }


def patients_came(row: dict) -> float:
    """Patients who came that day (clinicsim: arrived; the hand-coded models see everyone who comes)."""
    return row.get("patients_arrived", row["patients_seen"])


# -- helpers ------------------------------------------------------------------------------------------------


def timed(fn, *args, repeats: int = 1):
    """Run ``fn(*args)`` ``repeats`` times; return (the last result, every wall time in seconds)."""
    seconds, result = [], None
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        result = fn(*args)
        seconds.append(time.perf_counter() - start)
    return result, seconds


def t_interval(values) -> dict:
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    sd = float(x.std(ddof=1)) if n > 1 else math.nan
    half = float(stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)) if n > 1 else math.nan
    return {"mean": float(x.mean()), "half_width": half, "sd": sd, "n": n}


def welch(a, b) -> dict:
    """Difference of means a - b with its 95% Welch interval and the two-sided p-value."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    diff, se = float(a.mean() - b.mean()), math.sqrt(va + vb)
    if se == 0:
        return {"diff": diff, "half_width": 0.0, "p_value": 1.0 if diff == 0 else 0.0}
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return {
        "diff": diff,
        "half_width": float(stats.t.ppf(0.975, df) * se),
        "p_value": float(2 * stats.t.sf(abs(diff) / se, df)),
    }


def table(headers: list[str], rows: list[list]) -> str:
    cells = [headers] + [[c if isinstance(c, str) else f"{c:,.4g}" for c in row] for row in rows]
    widths = [max(len(r[k]) for r in cells) for k in range(len(headers))]
    lines = ["  ".join(c.rjust(w) if k else c.ljust(w) for k, (c, w) in enumerate(zip(r, widths))) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def rss_mb() -> float:
    """Current resident set size of this process (MB)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def scaled_scenario(base, providers: int):
    """The reference clinic with ``providers`` providers; clerks, MAs and rooms scaled as in plain_simpy."""
    data = base.model_dump(mode="json")
    template = data["providers"][0]
    data["providers"] = [{**template, "name": f"Provider {k + 1}"} for k in range(providers)]
    cap = plain_simpy.capacities(providers)
    counts = {"Check-in desk": cap["check_in"], "Medical assistants": cap["ma"], "Check-out desk": cap["check_out"]}
    for group in data["staff"]:
        group["count"] = counts[group["name"]]
    data["clinic"]["exam_rooms"] = cap["rooms"]
    data["name"] = f"Reference clinic x{providers} providers"
    return clinicsim.Scenario.model_validate(data)


def clinicsim_draws(scenario, replication: int) -> dict[str, np.ndarray]:
    """clinicsim's own patients of one replication, in the hand-coded models' ``draws`` format.

    Uses clinicsim internals (plan, streams, patients); the benchmark reports it as skipped if they change.
    """
    from clinicsim.patients import draw_patients
    from clinicsim.plan import plan_day
    from clinicsim.streams import Streams

    plan = plan_day(scenario)
    came = [p for p in draw_patients(plan, Streams(SEED, replication)) if p.shows]
    step = plan.step_index  # where each step's minutes are in Patient.minutes

    def minutes(name: str) -> np.ndarray:
        """Each patient's minutes of the step (the provider visit's already by their own provider's speed)."""
        return np.array([p.minutes[step[name]] for p in came])

    return {
        "provider": np.array([plan.provider_index[p.asked_for] for p in came]),
        "appointment": np.array([p.appointment_min for p in came]),
        "arrival": np.array([p.arrival_min for p in came]),
        "check_in": minutes("check_in"),
        "rooming": minutes("rooming"),
        "visit": minutes("provider_visit"),
        "check_out": minutes("check_out"),
    }


def git_state() -> dict:
    def git(*args: str) -> str:
        try:
            out = subprocess.run(["git", *args], cwd=HERE.parent, capture_output=True, text=True, timeout=10)
            return out.stdout.strip()
        except OSError:
            return ""

    return {"commit": git("rev-parse", "HEAD"), "src_changes": git("status", "--porcelain", "src").splitlines()}


# -- child processes: memory ---------------------------------------------------------------------------------


def child_peak(model: str, replications: int) -> dict:
    """In a fresh process: RSS over an untraced run, then the tracemalloc peak of a traced run.

    The tracemalloc peak is the Python heap a run needs at its worst (for ``simulate``: every event log kept);
    the RSS is mostly the imports (numpy, scipy, pandas, pydantic) and is reported for scale. (No maxRSS: Linux
    keeps it across the fork and exec that start the child, so it would show this script's own peak.)
    """
    scenario = clinicsim.load_scenario(SCENARIO)
    run = models(scenario)[model]
    run(2)  # warm-up: imports, caches
    gc.collect()
    before = rss_mb()
    kept = run(replications)
    after = rss_mb()
    del kept
    gc.collect()
    tracemalloc.start()
    run(replications)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "replications": replications,
        "tracemalloc_peak_mb": peak / 2**20,
        "rss_before_mb": before,
        "rss_after_mb": after,
    }


def child_flat(replications: int, chunk: int) -> list[dict]:
    """In a fresh process: many replications through run_chunk, memory recorded after every chunk."""
    scenario = clinicsim.load_scenario(SCENARIO)
    run_chunk(scenario, SEED, [0, 1], CHUNK_KPIS)
    rows = []
    for first in range(0, replications, chunk):
        run_chunk(scenario, SEED, list(range(first, min(first + chunk, replications))), CHUNK_KPIS)
        rss_uncollected = rss_mb()
        unreachable = gc.collect()
        rows.append(
            {
                "replications_done": min(first + chunk, replications),
                "rss_before_collect_mb": rss_uncollected,
                "unreachable_collected": unreachable,
                "rss_mb": rss_mb(),
                "allocated_blocks": sys.getallocatedblocks(),
                "gc_objects": len(gc.get_objects()),
            }
        )
    # one more chunk under tracemalloc: what a chunk allocates and keeps
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    run_chunk(scenario, SEED, list(range(replications, replications + chunk // 5)), CHUNK_KPIS)
    gc.collect()
    after, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows.append({"traced_chunk": chunk // 5, "kept_kb": (after - before) / 1024, "peak_mb": peak / 2**20})
    return rows


def in_child(*args: str) -> object:
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- the benchmark -------------------------------------------------------------------------------------------


def bench_speed(scenario, replications: int, repeats: int) -> dict:
    speed = {}
    for name, run in models(scenario).items():
        run(2)  # warm-up
        day_rows, seconds = timed(run, replications, repeats=repeats)
        best = min(seconds)
        came = sum(patients_came(r) for r in day_rows)
        speed[name] = {
            "replications": replications,
            "seconds": best,
            "seconds_all": seconds,
            "replications_per_s": replications / best,
            "ms_per_replication": 1000 * best / replications,
            "patients_per_day": came / replications,
            "patients_per_s": came / best,
            "us_per_patient": 1e6 * best / came,
        }
    return speed


def bench_agreement(rows: dict) -> dict:
    out = {}
    for kpi in COMPARED:
        entry = {name: t_interval([r[kpi] for r in model_rows]) for name, model_rows in rows.items()}
        a = [r[kpi] for r in rows["clinicsim.run_chunk"]]
        entry["clinicsim_minus_plain_simpy"] = welch(a, [r[kpi] for r in rows["plain_simpy"]])
        entry["clinicsim_minus_heapq_loop"] = welch(a, [r[kpi] for r in rows["heapq_loop"]])
        entry["simulate_vs_run_chunk_max_abs_diff"] = max(
            abs(x[kpi] - y[kpi]) for x, y in zip(rows["clinicsim.simulate"], rows["clinicsim.run_chunk"])
        )
        entry["plain_vs_heapq_max_abs_diff"] = max(
            abs(x[kpi] - y[kpi]) for x, y in zip(rows["plain_simpy"], rows["heapq_loop"])
        )
        out[kpi] = entry
    return out


def bench_same_draws(scenario, days: int) -> dict:
    """Replay clinicsim's own patients through the hand-coded models: every per-day statistic must match."""
    try:
        worst = {kpi: 0.0 for kpi in COMPARED}
        reference = dict(run_chunk(scenario, SEED, list(range(days)), list(COMPARED)))
        for r in range(days):
            draws = clinicsim_draws(scenario, r)
            for other in (plain_simpy.run_day(draws=draws), heapq_loop.run_day(draws=draws)):
                for kpi in COMPARED:
                    worst[kpi] = max(worst[kpi], abs(other[kpi] - reference[r][kpi]))
        return {"days": days, "max_abs_diff": worst}
    except Exception as error:  # clinicsim internals changed: report, do not fail the benchmark
        return {"days": days, "skipped": f"{type(error).__name__}: {error}"}


def bench_phases(scenario, days: int) -> dict:
    """Where a clinicsim day's time goes (draws, SimPy run, KPIs), SimPy events per day against plain SimPy's, and
    the objects a finished day leaves in reference cycles (freed only by the cyclic garbage collector).

    Uses clinicsim internals (plan, streams, patients, ClinicDay); reported as skipped if they change.
    """
    try:
        from clinicsim.engine import ClinicDay, late_starts
        from clinicsim.experiment import day_kpis
        from clinicsim.patients import draw_patients
        from clinicsim.plan import plan_day
        from clinicsim.streams import Streams

        plan = plan_day(scenario)
        spent = {"draws": 0.0, "engine": 0.0, "kpis": 0.0}
        for r in range(days):
            t0 = time.perf_counter()
            streams = Streams(SEED, r)
            day = ClinicDay(plan, draw_patients(plan, streams), late_starts(plan, streams), r)
            t1 = time.perf_counter()
            log = day.run()
            t2 = time.perf_counter()
            day_kpis(log, scenario)
            spent["draws"] += t1 - t0
            spent["engine"] += t2 - t1
            spent["kpis"] += time.perf_counter() - t2
        out = {f"{k}_ms_per_day": 1000 * v / days for k, v in spent.items()}

        out["clinicsim_events_per_day"] = simpy_events(lambda: run_kpi_path(scenario, 10)) / 10
        out["plain_simpy_events_per_day"] = simpy_events(lambda: run_plain(10)) / 10

        gc.collect()
        gc.disable()
        try:
            run_kpi_path(scenario, 1)
            out["clinicsim_cyclic_garbage_objects_per_day"] = gc.collect()
            run_plain(1)
            out["plain_simpy_cyclic_garbage_objects_per_day"] = gc.collect()
        finally:
            gc.enable()
        return {"days": days, **out}
    except Exception as error:  # clinicsim internals changed: report, do not fail the benchmark
        return {"days": days, "skipped": f"{type(error).__name__}: {error}"}


def without_gc(run):
    """``run`` with the cyclic garbage collector switched off (to show what the collector costs)."""

    def wrapped(*args):
        gc.disable()
        try:
            return run(*args)
        finally:
            gc.enable()

    return wrapped


def bench_scaling(base, replications: dict[int, int], repeats: int) -> list[dict]:
    out = []
    for providers in SCALES:
        scenario = scaled_scenario(base, providers)
        n = replications[providers]
        run_kpi_path(scenario, 1)  # warm-up
        row = {"providers": providers, "replications": n, **plain_simpy.capacities(providers)}
        for name, run in (
            ("clinicsim.run_chunk", lambda k, s=scenario: run_kpi_path(s, k)),
            ("clinicsim.run_chunk, gc off", without_gc(lambda k, s=scenario: run_kpi_path(s, k))),
            ("plain_simpy", lambda k, p=providers: run_plain(k, p)),
            ("heapq_loop", lambda k, p=providers: run_heapq(k, p)),
        ):
            result, seconds = timed(run, n, repeats=repeats)
            came = sum(patients_came(r) for r in result)
            row[name] = {
                "ms_per_replication": 1000 * min(seconds) / n,
                "us_per_patient": 1e6 * min(seconds) / came,
                "patients_per_day": came / n,
                "patients_seen_per_day": sum(r["patients_seen"] for r in result) / n,
            }
        out.append(row)
    return out


def profile(scenario, replications: int, path: str) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    clinicsim.simulate(scenario, replications=replications, seed=SEED)
    profiler.disable()
    buffer = io.StringIO()
    buffer.write(f"cProfile of clinicsim.simulate({SCENARIO.name}, replications={replications})\n\n")
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(25)
    buffer.write("\n---- the same, by cumulative time ----\n")
    pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(30)
    Path(path).write_text(buffer.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a fast smoke run with few replications")
    parser.add_argument("--out", default=str(HERE / "results" / "engine.json"), help="JSON file of the results")
    parser.add_argument("--profile", metavar="PATH", help="also cProfile clinicsim.simulate into this text file")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:  # internal: a memory measurement in a fresh process
        kind, *rest = args.child
        result = child_flat(int(rest[0]), int(rest[1])) if kind == "flat" else child_peak(kind, int(rest[0]))
        print(json.dumps(result))
        return

    quick = args.quick
    replications, repeats = (20, 1) if quick else (200, 3)
    scale_reps = {2: 10, 8: 5, 32: 2, 128: 1} if quick else {2: 100, 8: 40, 32: 10, 128: 3}
    flat_total, flat_chunk = (200, 50) if quick else (2000, 250)
    started = time.perf_counter()
    scenario = clinicsim.load_scenario(SCENARIO)
    results: dict = {
        "machine": {**machine(), "cpu_count": os.cpu_count()},
        "git": git_state(),
        "settings": {"quick": quick, "replications": replications, "repeats": repeats, "seed": SEED},
    }
    about = results["machine"]
    print(f"Engine benchmarks on {about['cores']} cores, Python {about['python']}, SimPy {about['simpy']}")
    warn_if_busy(about)
    print(f"reference clinic: {SCENARIO.name}, {replications} replications, best of {repeats}\n")

    speed = bench_speed(scenario, replications, repeats)
    results["speed"] = speed
    print(
        table(
            ["model", "replications/s", "ms/replication", "patients/s", "us/patient"],
            [
                [name, s["replications_per_s"], s["ms_per_replication"], s["patients_per_s"], s["us_per_patient"]]
                for name, s in speed.items()
            ],
        )
    )
    secs = {name: s["seconds"] for name, s in speed.items()}
    ratios = {
        f"{a}/{b}": secs[a] / secs[b]
        for a in ("clinicsim.simulate", "clinicsim.run_chunk")
        for b in ("plain_simpy", "heapq_loop")
    }
    ratios["plain_simpy/heapq_loop"] = secs["plain_simpy"] / secs["heapq_loop"]
    results["ratios"] = ratios
    print("\ntime ratios: " + ", ".join(f"{k} {v:.2f}x" for k, v in ratios.items()))

    print("\npeak memory (fresh process per model)")
    memory = {name: in_child(name, str(replications)) for name in speed}
    results["memory"] = memory
    print(
        table(
            ["model", "tracemalloc peak MB", "RSS before MB", "RSS after MB"],
            [[name, m["tracemalloc_peak_mb"], m["rss_before_mb"], m["rss_after_mb"]] for name, m in memory.items()],
        )
    )

    agreement_days = 100 if quick else 1000
    agreement = bench_agreement({name: run(agreement_days) for name, run in models(scenario).items()})
    expected_seen = plain_simpy.PROVIDERS * plain_simpy.SLOTS * (1 - plain_simpy.P_NO_SHOW)
    results["agreement"] = {"days": agreement_days, "patients_seen_exact_mean": expected_seen, **agreement}
    print(f"\nagreement over {agreement_days} days (mean +- 95% t half-width; independent random numbers)")
    shown = ("clinicsim.run_chunk", "plain_simpy", "heapq_loop")
    print(
        table(
            ["kpi", *shown, "clinicsim - plain (95% CI)", "p"],
            [
                [kpi]
                + [f"{e[m]['mean']:.3f} +- {e[m]['half_width']:.3f}" for m in shown]
                + [
                    f"{e['clinicsim_minus_plain_simpy']['diff']:+.3f} +- "
                    f"{e['clinicsim_minus_plain_simpy']['half_width']:.3f}",
                    f"{e['clinicsim_minus_plain_simpy']['p_value']:.2f}",
                ]
                for kpi, e in agreement.items()
            ],
        )
    )
    same = max(e["simulate_vs_run_chunk_max_abs_diff"] for e in agreement.values())
    twins = max(e["plain_vs_heapq_max_abs_diff"] for e in agreement.values())
    print(f"simulate vs run_chunk, same days: max |diff| {same:.3g}; plain SimPy vs heapq, same draws: {twins:.3g}")
    print(f"exact mean of patients_seen (everyone who comes is seen): {expected_seen:.1f}")

    replay = bench_same_draws(scenario, 10 if quick else 50)
    results["same_draws"] = replay
    if "skipped" in replay:
        print(f"replay of clinicsim's draws: skipped ({replay['skipped']})")
    else:
        worst = max(replay["max_abs_diff"].values())
        print(f"replay of clinicsim's own draws through both hand-coded models, {replay['days']} days: ", end="")
        print(f"max |diff| {worst:.3g}")

    phases = bench_phases(scenario, 10 if quick else 100)
    results["phases"] = phases
    if "skipped" in phases:
        print(f"\nclinicsim day breakdown: skipped ({phases['skipped']})")
    else:
        print(
            f"\nclinicsim day breakdown: draws {phases['draws_ms_per_day']:.2f} ms, SimPy run "
            f"{phases['engine_ms_per_day']:.2f} ms, KPIs {phases['kpis_ms_per_day']:.2f} ms; SimPy events per day "
            f"{phases['clinicsim_events_per_day']:.0f} (plain SimPy {phases['plain_simpy_events_per_day']:.0f}); "
            f"objects left in reference cycles per day {phases['clinicsim_cyclic_garbage_objects_per_day']} "
            f"(plain SimPy {phases['plain_simpy_cyclic_garbage_objects_per_day']})"
        )

    print("\nscaling (clerks, MAs and rooms scaled with providers; KPI-only path)")
    scaling = bench_scaling(scenario, scale_reps, repeats)
    results["scaling"] = scaling
    print(
        table(
            [
                "providers",
                "patients/day",
                "reps",
                "clinicsim ms/rep",
                "us/patient",
                "gc off us/patient",
                "plain us/patient",
                "heapq us/patient",
            ],
            [
                [
                    str(r["providers"]),
                    r["clinicsim.run_chunk"]["patients_per_day"],
                    str(r["replications"]),
                    r["clinicsim.run_chunk"]["ms_per_replication"],
                    r["clinicsim.run_chunk"]["us_per_patient"],
                    r["clinicsim.run_chunk, gc off"]["us_per_patient"],
                    r["plain_simpy"]["us_per_patient"],
                    r["heapq_loop"]["us_per_patient"],
                ]
                for r in scaling
            ],
        )
    )

    print(f"\nmemory over {flat_total} replications through run_chunk, chunks of {flat_chunk} (fresh process)")
    flat = in_child("flat", str(flat_total), str(flat_chunk))
    traced = flat.pop()
    results["memory_flat"] = {"chunks": flat, "traced_chunk": traced}
    print(
        table(
            ["replications", "RSS MB", "gc found", "RSS after gc MB", "allocated blocks", "gc objects"],
            [
                [
                    str(r["replications_done"]),
                    r["rss_before_collect_mb"],
                    str(r["unreachable_collected"]),
                    r["rss_mb"],
                    str(r["allocated_blocks"]),
                    str(r["gc_objects"]),
                ]
                for r in flat
            ],
        )
    )
    print(
        f"one more chunk of {traced['traced_chunk']} under tracemalloc: kept {traced['kept_kb']:.1f} KB, "
        f"peak {traced['peak_mb']:.2f} MB"
    )

    if args.profile:
        profile(scenario, 20 if quick else 100, args.profile)
        print(f"\nprofile written to {args.profile}")
        results["profile"] = args.profile

    save(results, args.out, started)


if __name__ == "__main__":
    main()
