"""What the benchmarks share: how busy the machine is, and how many SimPy events a piece of work schedules."""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import time
from collections.abc import Callable
from pathlib import Path

import simpy


def busy_cores(seconds: float = 1.0) -> float | None:
    """How many cores' worth of CPU the whole machine used over the next ``seconds`` (Linux /proc/stat)."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields) - idle, sum(fields)

    try:
        busy0, total0 = sample()
        time.sleep(seconds)
        busy1, total1 = sample()
    except OSError:
        return None
    return (os.cpu_count() or 1) * (busy1 - busy0) / max(total1 - total0, 1)


def simpy_events(work: Callable[[], object]) -> int:
    """How many events SimPy schedules while ``work()`` runs (every ``Environment.schedule`` call counted)."""
    count = [0]
    schedule = simpy.Environment.schedule

    def counting(self, *args, **kwargs):
        count[0] += 1
        return schedule(self, *args, **kwargs)

    simpy.Environment.schedule = counting  # type: ignore[method-assign]
    try:
        work()
    finally:
        simpy.Environment.schedule = schedule  # type: ignore[method-assign]
    return count[0]


def machine() -> dict:
    """The machine a benchmark runs on, and how busy it is before the benchmark starts (cores in use by others)."""
    import platform

    import numpy as np

    import clinicsim

    return {
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "simpy": simpy.__version__,
        "numpy": np.__version__,
        "clinicsim": clinicsim.__version__,
        "load_average_before": os.getloadavg(),
        "busy_cores_before": busy_cores(),
    }


def warn_if_busy(about: dict) -> None:
    """Say so when other work was using the machine as the benchmark started."""
    busy = about["busy_cores_before"]
    if busy is not None and busy > 0.2:
        print(f"warning: other work is using {busy:.1f} cores; it may slow some rounds")


def save(results: dict, path: str | Path, started: float) -> None:
    """Write a benchmark's results as JSON (with its elapsed time since ``started``) and say where."""
    results["elapsed_s"] = time.perf_counter() - started
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nwritten {out} in {results['elapsed_s']:.0f} s")


def profile(work: Callable[[], object], path: str | Path, title: str, *, by: str = "tottime", top: int = 15) -> list:
    """cProfile of ``work()`` written to ``path`` (by own and by cumulative time); the ``top`` functions by ``by``
    ("tottime" or "cumtime") returned with their calls, seconds and share of the run."""
    profiler = cProfile.Profile()
    profiler.enable()
    work()
    profiler.disable()
    buffer = io.StringIO()
    buffer.write(f"cProfile of {title}\n\n")
    stats = pstats.Stats(profiler, stream=buffer)
    stats.sort_stats("tottime").print_stats(30)
    buffer.write("\n---- the same, by cumulative time ----\n")
    stats.sort_stats("cumulative").print_stats(50)
    Path(path).write_text(buffer.getvalue())
    column = {"tottime": 2, "cumtime": 3}[by]
    rows = stats.stats.items()  # type: ignore[attr-defined]
    total = sum(r[2] for _, r in rows) if by == "tottime" else max(r[3] for _, r in rows)
    ranked = sorted(rows, key=lambda item: -item[1][column])[:top]
    return [
        {"function": f"{Path(f).name}:{line}({name})", "calls": row[1], f"{by}_s": row[column],
         "share": row[column] / total}
        for (f, line, name), row in ranked
    ]  # fmt: skip


def profile_rows(top: list) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a table of ``profile``'s top functions (own or cumulative seconds, as profiled)."""
    key = next((k for k in ("tottime_s", "cumtime_s") if top and k in top[0]), "tottime_s")
    header = ["function", "calls", "own s" if key == "tottime_s" else "cum s", "share"]
    return header, [[t["function"], str(t["calls"]), t[key], f"{100 * t['share']:.1f}%"] for t in top]
