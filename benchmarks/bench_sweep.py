"""Benchmark of batch sweeps: throughput, scaling over local processes, and what the store, Dask and chunking cost.

    python benchmarks/bench_sweep.py [--repeat N] [--no-dask]

Measures, on the bundled family-medicine practice (a few milliseconds of CPU per simulated day):

a. replications per second of a 100-point grid x 10 days in this process (1 worker) and on a local process pool
   of 2 workers, and the scaling efficiency rate2 / (2 * rate1);
b. the result store's overhead: the same chunks run with ``run_chunk`` in a loop and nothing written, against
   ``run_sweep`` (1 worker) writing every chunk to the SQLite store, as a percentage; and, since that difference
   is within the run-to-run noise, the store's own cost measured directly: the time of ``ResultStore.write`` per
   chunk against the time to compute a chunk;
c. the Dask path: ``run_sweep`` on a 2-process ``dask.distributed.LocalCluster`` through
   ``client.get_executor(pure=False)``, against the local process pool timed alongside it, as an overhead
   percentage (the cluster is started and warmed up first; its start-up time is given apart);
d. chunk size: a 25-point x 40-day grid on 2 workers with 1, 5, 20 and 40 days per chunk, and the size
   ``run_sweep`` picks itself (about ``TARGET_CHUNK_SECONDS`` of work).

The runs compared in each part alternate, and each timing is the best of ``--repeat`` runs (default 3), so a
burst of other work on the machine hits every variant alike. Results are printed and written to
``benchmarks/results/sweep.json`` with the machine's core count. About two minutes on two cores.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import contextmanager
from pathlib import Path

from measure import busy_cores

import clinicsim
from clinicsim.scenario import load_scenario
from clinicsim.sweeps import runner as sweep_runner
from clinicsim.sweeps.runner import Chunk, default_workers, plan_chunks, run_chunk, run_sweep
from clinicsim.sweeps.spec import SweepPoint, SweepSpec, expand, spec_hash
from clinicsim.sweeps.store import ResultStore

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "family_medicine.yaml"
RESULTS = Path(__file__).resolve().parent / "results" / "sweep.json"
SEED = 20261126
SCRATCH = Path(tempfile.gettempdir())
"""Where the runs' stores go: a temporary directory while ``main`` runs."""
_RUNS = itertools.count(1)


def grid_100(replications: int = 10) -> tuple[SweepSpec, list[SweepPoint]]:
    """100 plans: rooms (5) x front-desk staff (2) x slot length (2) x established no-show rate (5)."""
    return _grid(
        "benchmark: 100 points",
        replications,
        {
            "clinic.exam_rooms": [6, 7, 8, 9, 10],
            "staff.Front desk.count": [1, 2],
            "templates.fm_20.slot_min": [15, 20],
            "visit_types.established.p_no_show": [0.06, 0.09, 0.12, 0.15, 0.18],
        },
    )


def grid_25(replications: int = 40) -> tuple[SweepSpec, list[SweepPoint]]:
    """25 plans (rooms x established no-show rate), 40 days each: room for chunks of up to 40 days."""
    return _grid(
        "benchmark: 25 points",
        replications,
        {"clinic.exam_rooms": [6, 7, 8, 9, 10], "visit_types.established.p_no_show": [0.06, 0.09, 0.12, 0.15, 0.18]},
    )


def _grid(name: str, replications: int, factors: dict[str, list]) -> tuple[SweepSpec, list[SweepPoint]]:
    spec = SweepSpec(
        name=name,
        base=BASE.as_posix(),
        design="grid",
        factors=[{"path": path, "values": values} for path, values in factors.items()],
        replications=replications,
        seed=SEED,
    )
    return spec, expand(spec, load_scenario(BASE))


def fresh_store() -> Path:
    return SCRATCH / f"run{next(_RUNS)}.db"


def best_of(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Best wall time (s) of each run over ``repeat`` rounds, the runs alternating within each round."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: min(values) for name, values in times.items()}


def sweep_run(spec: SweepSpec, points: list[SweepPoint], *, workers: int, executor: Executor | None = None):
    def run() -> None:
        results = run_sweep(spec, points, fresh_store(), workers=workers, executor=executor, new=True)
        assert len(results.replications()) == len(points) * spec.replications

    return run


@contextmanager
def fixed_chunks(size: int):
    """Make ``run_sweep`` cut every point's days into chunks of ``size`` (the last one shorter)."""

    def plan(todo, _per_replication_s, _workers):
        return [Chunk(p, reps[i : i + size]) for p, reps in sorted(todo.items()) for i in range(0, len(reps), size)]

    saved = sweep_runner.plan_chunks
    sweep_runner.plan_chunks = plan
    try:
        yield
    finally:
        sweep_runner.plan_chunks = saved


def with_chunks(size: int | None, run: Callable[[], None]) -> Callable[[], None]:
    """``run`` with chunks of ``size`` days (None: the size ``run_sweep`` picks)."""
    if size is None:
        return run

    def sized() -> None:
        with fixed_chunks(size):
            run()

    return sized


def throughput(spec: SweepSpec, points: list[SweepPoint], repeat: int) -> dict:
    n = len(points) * spec.replications
    t = best_of({"1": sweep_run(spec, points, workers=1), "2": sweep_run(spec, points, workers=2)}, repeat)
    rate1, rate2 = n / t["1"], n / t["2"]
    print(f"\n(a) {len(points)} points x {spec.replications} days = {n} replications")
    print(f"    1 worker (in process): {t['1']:6.2f} s  {rate1:6.1f} replications/s")
    print(f"    2 workers (processes): {t['2']:6.2f} s  {rate2:6.1f} replications/s")
    print(f"    scaling efficiency rate2 / (2 rate1): {rate2 / (2 * rate1):.1%}")
    return {
        "points": len(points),
        "replications_per_point": spec.replications,
        "replications": n,
        "seconds_1_worker": t["1"],
        "seconds_2_workers": t["2"],
        "replications_per_second_1_worker": rate1,
        "replications_per_second_2_workers": rate2,
        "scaling_efficiency_2_workers": rate2 / (2 * rate1),
    }


def store_overhead(spec: SweepSpec, points: list[SweepPoint], repeat: int) -> dict:
    per_replication = sweep_runner.seconds_per_replication(points[0], spec.seed)
    chunks = plan_chunks({p.point: list(range(spec.replications)) for p in points}, per_replication, 1)
    size = len(chunks[0].replications)
    by_point = {p.point: p for p in points}
    kpis = spec.kept_kpis
    computed: list[tuple[Chunk, list]] = []

    def direct() -> None:
        computed.clear()
        for chunk in chunks:
            computed.append((chunk, run_chunk(by_point[chunk.point].scenario, spec.seed, chunk.replications, kpis)))

    t = best_of({"direct": direct, "store": with_chunks(size, sweep_run(spec, points, workers=1))}, repeat)
    # the store's own cost: write the same computed chunks into a new store, timing only the writes
    writes = []
    for _ in range(repeat):
        store = ResultStore(fresh_store(), spec, points, spec_hash(spec, points), new=True)
        start = time.perf_counter()
        for chunk, rows in computed:
            store.write(chunk.point, rows)
        writes.append(time.perf_counter() - start)
        store.close()
    write_s = min(writes)
    overhead = 100 * (t["store"] / t["direct"] - 1)
    print(f"\n(b) store overhead, 1 worker, {len(chunks)} chunks of {size} days, {len(kpis)} KPIs kept:")
    print(f"    run_chunk only: {t['direct']:6.2f} s; run_sweep with the SQLite store: {t['store']:6.2f} s")
    print(f"    end to end: {overhead:+.1f}% (within the run-to-run noise)")
    print(
        f"    the writes alone: {1000 * write_s / len(chunks):.2f} ms per chunk, "
        f"{100 * write_s / t['direct']:.2f}% of the compute time"
    )
    return {
        "chunks": len(chunks),
        "replications_per_chunk": size,
        "kpis_kept": len(kpis),
        "seconds_without_store": t["direct"],
        "seconds_with_store": t["store"],
        "overhead_percent": overhead,
        "write_seconds_total": write_s,
        "write_ms_per_chunk": 1000 * write_s / len(chunks),
        "write_percent_of_compute": 100 * write_s / t["direct"],
    }


def dask_overhead(spec: SweepSpec, points: list[SweepPoint], repeat: int) -> dict | None:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        print('\n(c) skipped: dask.distributed is not installed (pip install "clinicsim[dask]")')
        return None
    import logging

    logging.getLogger("distributed").setLevel(logging.ERROR)
    n = len(points) * spec.replications
    start = time.perf_counter()
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        startup = time.perf_counter() - start
        executor = client.get_executor(pure=False)
        warm = spec.model_copy(update={"replications": 2})
        sweep_run(warm, points[:4], workers=2, executor=executor)()  # the workers import clinicsim
        t = best_of(
            {
                "pool": sweep_run(spec, points, workers=2),
                "dask": sweep_run(spec, points, workers=2, executor=executor),
            },
            repeat,
        )
    overhead = 100 * (t["dask"] / t["pool"] - 1)
    print(f"\n(c) Dask LocalCluster, 2 processes x 1 thread (started in {startup:.1f} s, then warmed up):")
    print(f"    Dask: {t['dask']:6.2f} s  {n / t['dask']:6.1f} replications/s")
    print(f"    process pool: {t['pool']:6.2f} s  {n / t['pool']:6.1f} replications/s")
    print(f"    overhead against the process pool: {overhead:+.1f}%")
    return {
        "cluster_start_seconds": startup,
        "seconds_dask": t["dask"],
        "seconds_process_pool": t["pool"],
        "replications_per_second_dask": n / t["dask"],
        "replications_per_second_process_pool": n / t["pool"],
        "overhead_percent": overhead,
    }


def chunk_sizes(spec: SweepSpec, points: list[SweepPoint], repeat: int) -> dict:
    n = len(points) * spec.replications
    per_replication = sweep_runner.seconds_per_replication(points[0], spec.seed)
    todo = {p.point: list(range(spec.replications)) for p in points}
    auto = len(plan_chunks(todo, per_replication, 2)[0].replications)
    runs = {str(size): with_chunks(size, sweep_run(spec, points, workers=2)) for size in (1, 5, 20, 40)}
    runs["auto"] = sweep_run(spec, points, workers=2)
    t = best_of(runs, repeat)
    print(f"\n(d) chunk size: {len(points)} points x {spec.replications} days = {n} replications, 2 workers")
    sizes = {}
    for name, seconds in t.items():
        label = f"auto: {auto} days (~{sweep_runner.TARGET_CHUNK_SECONDS} s)" if name == "auto" else f"{name} days"
        print(f"    {label + ' per chunk:':<30} {seconds:6.2f} s  {n / seconds:6.1f} replications/s")
        sizes[name] = {"seconds": seconds, "replications_per_second": n / seconds}
    sizes["auto"]["days_per_chunk"] = auto
    return {
        "points": len(points),
        "replications_per_point": spec.replications,
        "seconds_per_replication": per_replication,
        "sizes": sizes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing; the best is kept (default 3)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask comparison")
    args = parser.parse_args()
    started = time.perf_counter()
    busy = busy_cores()
    out: dict = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "usable_cores": default_workers(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "busy_cores_before": busy,
        },
        "clinicsim": clinicsim.__version__,
        "repeat": args.repeat,
    }
    print(f"cores: {os.cpu_count()} ({default_workers()} usable); Python {platform.python_version()}")
    if busy is not None and busy > 0.2:
        print(f"warning: other work is using {busy:.1f} cores; it lowers these numbers")
    global SCRATCH
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as scratch:
        SCRATCH = Path(scratch)
        spec, points = grid_100()
        out["throughput"] = throughput(spec, points, args.repeat)
        out["store_overhead"] = store_overhead(spec, points, args.repeat)
        out["dask"] = None if args.no_dask else dask_overhead(spec, points, args.repeat)
        out["chunk_size"] = chunk_sizes(*grid_25(), args.repeat)
    out["machine"]["busy_cores_after"] = busy_cores()
    out["total_seconds"] = time.perf_counter() - started
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(f"\ntotal {out['total_seconds']:.0f} s; written to {RESULTS}")


if __name__ == "__main__":
    main()
