"""Batch sweeps: many plans times many replications, in parallel, resumable, on Dask when one machine is not enough.

Work is cut into chunks (one point, a run of replications) big enough that a chunk takes a few hundred
milliseconds, since a clinic day is only a few milliseconds of CPU and each task costs the executor some
overhead. Chunks go to any ``concurrent.futures.Executor`` (a local process pool by default, or
``dask.distributed.Client.get_executor(pure=False)``), and each finished chunk is written to the result store in
one transaction as it arrives. A (point, replication) result depends only on the point's scenario, the seed and
the replication index, so it is the same whichever worker ran it, in whatever order; every point runs on the
same (seed, replication) pairs, so neighbouring points are paired (common random numbers).

Run the same sweep again on the same store and it resumes: finished pairs are skipped, nothing is lost or
duplicated.
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from clinicsim.engine import simulate_day
from clinicsim.experiment import day_kpis
from clinicsim.plan import plan_day
from clinicsim.scenario import Scenario
from clinicsim.sweeps.spec import AccessRuns, SweepPoint, SweepSpec, load_sweep, spec_hash
from clinicsim.sweeps.store import ResultStore, SweepResults, is_complete

logger = logging.getLogger(__name__)

TARGET_CHUNK_SECONDS = 0.3
"""Aim for chunks of about this much work: per-task overhead stays small, and results still stream back."""

SweepProgress = Callable[[int, int], None]
"""Called as ``progress(replications_done, replications_total)`` after each stored chunk."""

PR_SET_PDEATHSIG = 1
"""Linux prctl option: the signal a process gets when its parent ends."""

POOL_RESTARTS = 2
"""How many times a local pool whose worker died (killed, out of memory) is started again before giving up."""


class WorkersLost(RuntimeError):
    """Worker processes kept dying; the chunks finished before are stored, and running again resumes."""


def _exit_with_parent(sweep: int) -> None:
    """Pool-worker initializer: a worker ends when the sweep's process does, however it ends (SIGKILL too),
    instead of running on, orphaned (Linux: the kernel's parent-death signal; elsewhere, or when a fork server
    started the worker, a thread that watches the sweep). It leaves Ctrl-C to the sweep, which stops the pool,
    and ends quietly when the pool terminates it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if os.getppid() == sweep and _parent_death_signal():
        if os.getppid() != sweep:  # the sweep ended before the signal was asked for
            os._exit(1)
    else:
        threading.Thread(target=_watch, args=(sweep,), daemon=True).start()


def _parent_death_signal() -> bool:
    """Ask Linux to SIGKILL this process when its parent ends; whether that was granted."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL) == 0
    except (OSError, AttributeError):
        return False


def _watch(sweep: int) -> None:
    """End this process once the sweep's process has ended (a process descriptor, else a poll every second)."""
    try:
        select.select([os.pidfd_open(sweep)], [], [])
    except (AttributeError, OSError):  # no pidfd here, or the sweep is already gone
        while _alive(sweep):
            time.sleep(1.0)
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def local_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes that end with this one, however it ends."""
    return ProcessPoolExecutor(max_workers=workers, initializer=_exit_with_parent, initargs=(os.getpid(),))


def run_chunk(
    scenario: Scenario, seed: int, replications: list[int], kpis: list[str], access: AccessRuns | None = None
) -> list[tuple[int, dict]]:
    """Simulate some replications of one scenario (clinic days, or with ``access`` booking runs); only the chosen
    KPIs of each come back (no event logs)."""
    if access is not None:
        return _access_chunk(scenario, seed, replications, kpis, access)
    scenario = scenario.on_weekday()  # the day simulated: its weekday's changes made
    plan = plan_day(scenario)
    out = []
    for replication in replications:
        log = simulate_day(plan, seed=seed, replication=replication)
        values = day_kpis(log, scenario)
        out.append((replication, {k: values.get(k, math.nan) for k in kpis}))  # a point without that step: NaN
    return out


def _access_chunk(
    scenario: Scenario, seed: int, replications: list[int], kpis: list[str], access: AccessRuns
) -> list[tuple[int, dict]]:
    """Booking runs of one scenario (and their clinic days, if asked), the chosen KPIs of each."""
    from clinicsim.access.days import mean_per_day, simulate_booked_days
    from clinicsim.access.kpis import access_kpis
    from clinicsim.access.run import run_access
    from clinicsim.day_plans import DayPlans

    plans = DayPlans(scenario) if access.days else None
    out = []
    for replication in replications:
        run = run_access(scenario, weeks=access.weeks, warm_up=access.warm_up, seed=seed, replication=replication)
        values = access_kpis(run)
        if plans is not None:
            values.update(mean_per_day(simulate_booked_days(run, seed, plans)))
        out.append((replication, {k: values.get(k, math.nan) for k in kpis}))
    return out


@dataclass(frozen=True)
class Chunk:
    point: int
    replications: list[int]


def seconds_per_replication(point: SweepPoint, seed: int, access: AccessRuns | None = None) -> float:
    """Measured CPU time of one replication of a point (a short warm-up run)."""
    start = time.perf_counter()
    run_chunk(point.scenario, seed, [0, 1], [], access)
    return max((time.perf_counter() - start) / 2, 1e-4)


def plan_chunks(todo: dict[int, list[int]], per_replication_s: float, workers: int) -> list[Chunk]:
    """Cut each point's missing replications into chunks of about TARGET_CHUNK_SECONDS, with at least several
    chunks per worker in all."""
    total = sum(len(r) for r in todo.values())
    size = max(1, math.ceil(TARGET_CHUNK_SECONDS / per_replication_s))
    size = max(1, min(size, math.ceil(total / (4 * workers)))) if total else 1
    return [Chunk(p, reps[i : i + size]) for p, reps in sorted(todo.items()) for i in range(0, len(reps), size)]


def default_workers() -> int:
    """Processes for a local sweep: the cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def run_sweep(
    spec: SweepSpec,
    points: list[SweepPoint],
    store_path: str | Path,
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    new: bool = False,
    progress: SweepProgress | None = None,
) -> SweepResults:
    """Run (or resume) a sweep into the store at ``store_path`` and return its results.

    ``executor`` may be any concurrent.futures Executor; by default a local process pool of ``workers``
    processes (the machine's cores). With ``workers=1`` and no executor, chunks run in this process.
    """
    key, total = spec_hash(spec, points), len(points) * spec.replications
    if not new and is_complete(store_path, key, total):  # nothing to write: read-only media will do
        if progress is not None:
            progress(total, total)
        return SweepResults(store_path)
    store = ResultStore(store_path, spec, points, key, new=new)
    try:
        done = store.done()
        todo = {p.point: [r for r in range(spec.replications) if (p.point, r) not in done] for p in points}
        run_points(store, points, todo, spec, executor=executor, workers=workers, finished=len(done), total=total,
                   progress=progress)  # fmt: skip
    finally:
        store.close()
    return SweepResults(store_path)


def run_points(
    store: ResultStore,
    points: list[SweepPoint],
    todo: dict[int, list[int]],
    spec: SweepSpec,
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    finished: int = 0,
    total: int | None = None,
    progress: SweepProgress | None = None,
    per_replication_s: float | None = None,
) -> None:
    """Simulate the replications ``todo`` lists per point (index of ``points``) and write each finished chunk to
    ``store`` as it arrives, on ``executor`` or a local pool of ``workers`` (restarted if a worker dies). ``spec``
    gives the seed, the KPIs kept and the access runs; ``finished`` and ``total`` are what ``progress`` counts from
    and to; ``per_replication_s`` the seconds a replication takes, to cut chunks (measured when not given)."""
    todo = {p: reps for p, reps in todo.items() if reps}
    total = total if total is not None else finished + sum(len(r) for r in todo.values())
    if progress is not None:
        progress(finished, total)
    if not todo:
        return
    by_point = {p.point: p for p in points}
    workers = workers or default_workers()
    per_replication_s = per_replication_s or seconds_per_replication(by_point[min(todo)], spec.seed, spec.access)
    chunks = plan_chunks(todo, per_replication_s, workers)
    logger.info("%r: %d chunks for %d replications left", spec.name, len(chunks), total - finished)
    pending = {id(chunk): chunk for chunk in chunks}  # chunks not yet stored, in plan order
    for restart in range(POOL_RESTARTS + 1):
        own_pool = executor is None and workers > 1
        pool = local_pool(workers) if own_pool else executor
        try:
            for chunk, rows in _results(pool, list(pending.values()), by_point, spec):
                store.write(chunk.point, rows)
                finished += len(rows)
                del pending[id(chunk)]
                if progress is not None:
                    progress(finished, total)
            break
        except BrokenProcessPool:
            if not own_pool or restart == POOL_RESTARTS:
                times = "once" if restart == 0 else f"{restart + 1} times"
                raise WorkersLost(
                    f"a worker process died {times} (killed from outside, or out of memory?: a "
                    f"fault of the machine, not of the sweep); the {finished} finished replications are stored "
                    f"in {store.path}: run the same command again to resume"
                ) from None
            logger.warning("a worker process died; starting the pool again for %d chunks", len(pending))
        finally:
            if own_pool and pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)


def _results(pool: Executor | None, chunks: list[Chunk], by_point: dict[int, SweepPoint], spec: SweepSpec):
    """Yield (chunk, rows) as chunks finish (in this process when there is no pool)."""
    kpis = spec.kept_kpis
    if pool is None:
        for chunk in chunks:
            yield chunk, run_chunk(by_point[chunk.point].scenario, spec.seed, chunk.replications, kpis, spec.access)
        return
    futures: dict[Future, Chunk] = {
        pool.submit(run_chunk, by_point[c.point].scenario, spec.seed, c.replications, kpis, spec.access): c
        for c in chunks
    }
    try:
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        for future in futures:
            future.cancel()


def sweep(
    spec_path: str | Path,
    store_path: str | Path,
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    new: bool = False,
    progress: SweepProgress | None = None,
) -> SweepResults:
    """Load the sweep file at ``spec_path`` and run (or resume) it into ``store_path``."""
    spec, points = load_sweep(spec_path)
    return run_sweep(spec, points, store_path, executor=executor, workers=workers, new=new, progress=progress)
