"""Benchmark of the optimization search (issue #18): what a search costs per plan, and Optuna against pymoo.

    python benchmarks/bench_optimize.py [--quick] [--repeat N] [--workers 1,2] [--seeds N] [--pymoo [PATH]]

On the bundled example, ``scenarios/optimize/family_medicine_template.yaml`` (216 plans: slot length x appointment
rule x overbooking x a float medical assistant x exam rooms; two objectives, three constraints; NSGA-II with a
population of 16, 20 days per plan, a budget of 2,000 simulated days; ``--quick``: 10 days per plan, 480 days):

a. The search end to end (``search(...)`` into a fresh result store) against the raw simulations of the same plans:
   the same scenario objects, seed and days run with ``sweeps.runner.run_chunk``, cut into the runner's chunks, on
   the same number of workers (in this process for 1; for more, on a process pool, every plan's chunks at once,
   and generation by generation as the search must). Seconds per evaluated plan, simulated days per second,
   and the search's extra time over the raw simulations. The variants alternate, in reverse every other round;
   each timing is the best of ``--repeat`` rounds. The raw simulations' KPIs are checked equal to the stored ones,
   and the searches on every worker count to have the same trials.
b. Where the search's own time goes: one run on 1 worker with the search's steps timed (each step's time less the
   timed steps it calls): Optuna's ask (and the parameters' suggestions) and tell (and the constraints), the plans'
   scenarios built and validated (``plan_scenario``), their names and content hashes, the store (opened, plans
   added, days written), the warm-up days timed to cut chunks, the days simulated, reading the stored days back,
   and the rest of the loop (each plan's means, in pandas).
c. A resumed run on the finished store: every plan asked again, found stored, nothing simulated; the time to
   replay, and whether the trials and days are the same.
d. Optuna against pymoo on the same problem and budget. The objective is the example itself, tabulated: all 216
   plans simulated once up front on the search's days (common random numbers, so a plan's values are the ones
   the search gets: checked), then looked up, so that the samplers' own cost is not hidden by the simulation and
   the true Pareto front is known. Per sampler (Optuna NSGA-II exactly as ``search`` drives it: ask a population,
   suggest each variable, ``trial.set_constraint``, tell; Optuna TPE and random as references; pymoo's
   ``MixedVariableGA`` with NSGA-II's rank-and-crowding survival, by ``ask``/``tell`` with a ``StaticProblem``),
   each run stopping where ``search`` would (the budget in simulated days spent on distinct plans, the space
   simulated, or ``STALLED_GENERATIONS`` generations without a new plan), over ``--seeds`` seeds: the hypervolume
   of the feasible front found, as a share of the true front's (the objectives scaled so that the feasible plans'
   ideal is 0 and nadir 1, reference point 1.1), at the end and after the first third, two thirds and all of the
   fewest distinct plans a search spends its budget on (what costs simulated days), with each sampler's difference
   from Optuna NSGA-II and its 95% Welch interval; the true Pareto plans found; the generations and proposals it
   takes; the ask and tell time per generation (and in generations 26-30 of a longer run); how many proposals
   repeat a plan; whether two runs from one seed propose the same plans; what each library brings (required
   distributions, those clinicsim does not already require, licence, import time) and how each handles mixed
   integer and categorical variables, constraints, failed plans and resuming. pymoo is no dependency of
   clinicsim: give ``--pymoo`` to compare it, after installing it apart, e.g.
   ``python3 -m pip install --target /tmp/pymoo_site pymoo==0.6.2`` (that folder is put at the end of
   ``sys.path``, so the packages clinicsim uses are not replaced by the copies pip put beside it).

Prints tables with the machine's description (and a warning when other work is using it) and writes every figure
to ``benchmarks/results/optimize.json``. About 2.5 minutes on two cores with ``--pymoo`` (``--quick``: half a
minute).
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from bench_engine import git_state, table
from measure import machine, save, warn_if_busy

from clinicsim.optimization import search as search_module
from clinicsim.optimization.search import STALLED_GENERATIONS, SearchResult, _suggest, constraint_value, search
from clinicsim.optimization.spec import OptimizeSpec, load_optimization, plan_scenario
from clinicsim.scenario import Scenario
from clinicsim.scenario.files import ScenarioError
from clinicsim.sweeps import runner
from clinicsim.sweeps.runner import plan_chunks, run_chunk
from clinicsim.sweeps.store import ResultStore

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "scenarios" / "optimize" / "family_medicine_template.yaml"
PYMOO_SITE = "/tmp/pymoo_site"
"""Where ``--pymoo`` looks for pymoo when no folder is given (installed there apart: no dependency of clinicsim)."""
REFERENCE = 1.1
"""Hypervolume reference point, per objective, on the scale where the feasible plans' ideal is 0 and nadir 1."""
LONG_GENERATIONS = 30
"""Generations of the runs that test determinism and time the later generations."""

_RUNS = itertools.count(1)


# -- the problem ---------------------------------------------------------------------------------------------------


def quick_spec(spec: OptimizeSpec) -> OptimizeSpec:
    """The example with 10 days per plan and a budget of 480 days (48 plans)."""
    data = spec.model_dump(mode="json")
    search = data["search"]
    search.update(days_per_plan=10, budget_days=3 * 10 * search["population"])
    return OptimizeSpec.model_validate(data)


def least_plans(spec: OptimizeSpec) -> int:
    """The fewest distinct plans a search that spends its budget evaluates: it goes on while a generation of new
    plans still fits in what is left (unless the sampler stalls or the space runs out)."""
    search = spec.search
    return search.budget_days // search.days_per_plan - search.population + 1


@dataclass
class Plan:
    """One plan of the space, simulated on the search's days: its objectives' means and constraints' values, as
    ``search`` tells them (None for a plan that is no valid scenario)."""

    key: tuple
    values: tuple[float, ...] | None
    constraints: tuple[float, ...]

    @property
    def feasible(self) -> bool:
        return self.values is not None and all(c <= 0 for c in self.constraints)


@dataclass
class Space:
    """Every plan of the example, tabulated: the objective the samplers are compared on."""

    spec: OptimizeSpec
    plans: dict[tuple, Plan]
    signs: np.ndarray
    """+1 for an objective minimized, -1 for one maximized (so that signs * values is minimized)."""
    ideal: np.ndarray
    nadir: np.ndarray

    def scaled(self, keys) -> np.ndarray:
        """The feasible plans among ``keys``, objectives minimized and scaled (ideal 0, nadir 1)."""
        rows = [self.signs * np.array(self.plans[k].values) for k in keys if self.plans[k].feasible]
        if not rows:
            return np.empty((0, len(self.signs)))
        return (np.array(rows) - self.ideal) / np.where(self.nadir > self.ideal, self.nadir - self.ideal, 1.0)

    def hypervolume(self, keys) -> float:
        return hypervolume_2d(self.scaled(keys), np.full(len(self.signs), REFERENCE))

    def front(self, keys) -> set[tuple]:
        """The feasible plans among ``keys`` that no other feasible one among them beats on every objective."""
        feasible = [k for k in dict.fromkeys(keys) if self.plans[k].feasible]
        scores = {k: self.signs * np.array(self.plans[k].values) for k in feasible}
        return {
            k
            for k in feasible
            if not any(np.all(scores[o] <= scores[k]) and np.any(scores[o] < scores[k]) for o in feasible)
        }


def hypervolume_2d(points: np.ndarray, reference: np.ndarray) -> float:
    """Area dominated by ``points`` (two objectives, both minimized) and bounded by ``reference``."""
    points = points[np.all(points < reference, axis=1)]
    area, lowest = 0.0, reference[1]
    for x, y in points[np.argsort(points[:, 0], kind="stable")]:
        if y < lowest:
            area += (reference[0] - x) * (lowest - y)
            lowest = y
    return area


def tabulate(spec: OptimizeSpec, base: Scenario, workers: int) -> tuple[Space, dict]:
    """Every plan of the space simulated on the search's days (seed, days 0 to days_per_plan - 1)."""
    if len(spec.objectives) != 2:
        raise SystemExit("this benchmark's hypervolume is for two objectives, as in the bundled example")
    start = time.perf_counter()
    keys = list(itertools.product(*(v.parameters() for v in spec.variables)))
    scenarios: dict[tuple, Scenario | None] = {}
    for key in keys:
        try:
            scenarios[key] = plan_scenario(spec, base, dict(zip((v.path for v in spec.variables), key)))
        except (ScenarioError, ValueError):
            scenarios[key] = None
    built_s = time.perf_counter() - start
    days = list(range(spec.search.days_per_plan))
    kpis = spec.kept_kpis
    valid = [k for k in keys if scenarios[k] is not None]
    rows: dict[tuple, list] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(run_chunk, scenarios[k], spec.seed, days, kpis): k for k in valid}
        for future in as_completed(futures):
            rows[futures[future]] = future.result()
    plans: dict[tuple, Plan] = {}
    for key in keys:
        if scenarios[key] is None:
            plans[key] = Plan(key, None, tuple(float("inf") for _ in spec.constraints))
            continue
        frame = pd.DataFrame([values for _, values in rows[key]])
        plans[key] = Plan(
            key,
            tuple(float(frame[o.kpi].mean()) for o in spec.objectives),
            tuple(constraint_value(c, frame[c.kpi].to_numpy(dtype=float)) for c in spec.constraints),
        )
    signs = np.array([1.0 if o.minimize else -1.0 for o in spec.objectives])
    feasible = np.array([signs * np.array(p.values) for p in plans.values() if p.feasible])
    space = Space(spec, plans, signs, feasible.min(axis=0), feasible.max(axis=0))
    front = space.front(keys)
    about = {
        "plans": len(keys),
        "invalid_plans": len(keys) - len(valid),
        "feasible_plans": len(feasible),
        "pareto_plans": len(front),
        "days_per_plan": len(days),
        "seconds_to_build_scenarios": built_s,
        "seconds": time.perf_counter() - start,
        "true_front": [
            {"plan": plan_label(spec, k), **dict(zip((o.kpi for o in spec.objectives), plans[k].values))}
            for k in sorted(front, key=lambda k: plans[k].values)
        ],
    }
    return space, about


def plan_label(spec: OptimizeSpec, key: tuple) -> str:
    from clinicsim.optimization.spec import plan_name

    return plan_name(spec, dict(zip((v.path for v in spec.variables), key)))


# -- (a) the search against the raw simulations --------------------------------------------------------------------


@dataclass
class Generation:
    """The plans one generation of a search simulated: the store's points, and the days each lacked."""

    points: list
    todo: dict[int, list[int]]


class Timers:
    """Wall time and calls of patched functions, each call's time less that of the patched calls it makes; an
    opaque function's inner calls are not timed apart (they count as its own time)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: Counter = Counter()
        self._stack: list[float] = []
        self._opaque = 0
        self._patched: list[tuple[Any, str, Any]] = []

    def patch(self, owner: Any, name: str, label: str, *, opaque: bool = False, count: bool = True) -> None:
        """Time ``owner.name`` under ``label`` (its calls counted unless ``count`` is false: a helper of a step
        whose calls are counted by another function)."""
        original = getattr(owner, name)
        timers = self

        @functools.wraps(original)
        def timed(*args, **kwargs):
            if timers._opaque:
                return original(*args, **kwargs)
            timers._stack.append(0.0)
            timers._opaque += opaque
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                timers._opaque -= opaque
                inner = timers._stack.pop()
                timers.seconds[label] += elapsed - inner
                timers.calls[label] += count
                if timers._stack:
                    timers._stack[-1] += elapsed

        setattr(owner, name, timed)
        self._patched.append((owner, name, original))

    def restore(self) -> None:
        for owner, name, original in reversed(self._patched):
            setattr(owner, name, original)
        self._patched.clear()


STEPS = [
    ("Optuna: study and sampler made", "optuna_setup"),
    ("today's plan found and enqueued", "today"),
    ("Optuna: ask, and suggest each variable", "ask"),
    ("Optuna: tell, and set the constraints", "tell"),
    ("plan scenario built and validated (plan_scenario)", "plan_scenario"),
    ("plan name", "plan_name"),
    ("plan identity (content hash, store index)", "plan_point"),
    ("store: opened, spec hash, closed", "store_open"),
    ("store: plans added, days done read", "store_points"),
    ("store: days written", "store_write"),
    ("warm-up: 2 days timed to cut chunks, not stored", "warm_up"),
    ("simulation: the stored days (run_chunk)", "simulate"),
    ("stored days read back (each generation's, and all at the end)", "read_days"),
]


def timed_search(spec: OptimizeSpec, base: Scenario, store: Path, *, new: bool) -> tuple[SearchResult, dict, list]:
    """A search on 1 worker with its steps timed; the result, the seconds per step, and the generations' plans."""
    import optuna
    from optuna.study import Study
    from optuna.trial import Trial

    timers = Timers()
    generations: list[Generation] = []
    patches = [  # (owner, function, step, whether its calls are the step's count)
        (optuna, "create_study", "optuna_setup", True),
        (search_module, "_sampler", "optuna_setup", False),
        (search_module, "base_params", "today", True),
        (Study, "enqueue_trial", "today", False),
        (Study, "ask", "ask", True),
        (search_module, "_suggest", "ask", False),
        (Study, "tell", "tell", True),
        (Trial, "set_constraint", "tell", False),
        (search_module, "plan_scenario", "plan_scenario", True),
        (search_module, "plan_name", "plan_name", True),
        (search_module.Plans, "point", "plan_point", True),
        (search_module, "spec_hash", "store_open", False),
        (ResultStore, "__init__", "store_open", True),
        (ResultStore, "close", "store_open", False),
        (search_module.Plans, "__init__", "store_points", False),
        (ResultStore, "add_points", "store_points", True),
        (ResultStore, "done", "store_points", False),
        (ResultStore, "write", "store_write", True),
        (runner, "run_chunk", "simulate", True),
        (search_module, "read_days", "read_days", True),
    ]
    run_points = search_module.run_points

    def recorded(store_, points, todo, *args, **kwargs):
        generations.append(Generation(list(points), {p: list(r) for p, r in todo.items() if r}))
        return run_points(store_, points, todo, *args, **kwargs)

    search_module.run_points = recorded
    for owner, name, label, count in patches:
        timers.patch(owner, name, label, count=count)
    for owner in (runner, search_module):  # the search measures it once, and passes it on to run_points
        if hasattr(owner, "seconds_per_replication"):
            timers.patch(owner, "seconds_per_replication", "warm_up", opaque=True)
    try:
        start = time.perf_counter()
        result = search(spec, base, store, workers=1, new=new)
        total = time.perf_counter() - start
    finally:
        timers.restore()
        search_module.run_points = run_points
    steps = {key: {"seconds": timers.seconds.get(key, 0.0), "calls": timers.calls.get(key, 0)} for _, key in STEPS}
    steps["loop"] = {"seconds": total - sum(timers.seconds.values()), "calls": 0}
    return result, {"total_seconds": total, "steps": steps}, generations


def direct_run(
    generations: list[Generation], spec: OptimizeSpec, *, workers: int, per_generation: bool, per_replication_s: float
) -> Callable[[], list]:
    """The same plans' days with ``run_chunk`` and nothing else: in this process for 1 worker; else on a process
    pool started once, with every plan's chunks at once or, ``per_generation``, one generation's chunks after
    another (the search's rhythm: it needs a generation's results to ask the next)."""
    points = {p.point: p for g in generations for p in g.points}
    kpis = spec.kept_kpis
    todos = [g.todo for g in generations if g.todo]
    if not per_generation:
        todos = [{p: r for todo in todos for p, r in todo.items()}]

    def run() -> list:
        rows = []
        if workers == 1:
            for todo in todos:
                for chunk in plan_chunks(todo, per_replication_s, 1):
                    out = run_chunk(points[chunk.point].scenario, spec.seed, chunk.replications, kpis)
                    rows += [(chunk.point, r, values) for r, values in out]
            return rows
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for todo in todos:
                futures = {
                    pool.submit(run_chunk, points[c.point].scenario, spec.seed, c.replications, kpis): c.point
                    for c in plan_chunks(todo, per_replication_s, workers)
                }
                for future in as_completed(futures):
                    rows += [(futures[future], r, values) for r, values in future.result()]
        return rows

    return run


def search_run(spec: OptimizeSpec, base: Scenario, scratch: Path, workers: int, kept: dict) -> Callable[[], None]:
    def run() -> None:
        store = scratch / f"search{next(_RUNS)}.db"
        kept[workers] = search(spec, base, store, workers=workers, new=True)

    return run


def best_of(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Wall times (s) of each run over ``repeat`` rounds, the runs alternating (in reverse every other round)."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for k in range(repeat):
        for name in runs if k % 2 == 0 else reversed(runs):
            start = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - start)
    return times


def same_days(rows: list, days: pd.DataFrame, kpis: list[str]) -> bool:
    """Whether the raw simulations' KPIs equal the stored ones, day by day."""
    direct = pd.DataFrame([{"point": p, "replication": r, **values} for p, r, values in rows])
    direct = direct.sort_values(["point", "replication"]).reset_index(drop=True)
    stored = days.sort_values(["point", "replication"]).reset_index(drop=True)
    if (
        len(direct) != len(stored)
        or not (direct[["point", "replication"]].values == stored[["point", "replication"]].values).all()
    ):
        return False
    return all(np.allclose(direct[k].to_numpy(float), stored[k].to_numpy(float), equal_nan=True) for k in kpis)


def search_cost(spec: OptimizeSpec, base: Scenario, scratch: Path, workers: list[int], repeat: int) -> dict:
    """Parts (a), (b), (c)."""
    warm = spec.model_copy(
        update={
            "search": spec.search.model_copy(update={"days_per_plan": 2, "budget_days": 2 * spec.search.population})
        }
    )
    search(warm, base, scratch / "warm.db", workers=1, new=True)  # imports, caches
    result, split, generations = timed_search(spec, base, scratch / f"timed{next(_RUNS)}.db", new=True)
    days_simulated = sum(len(r) for g in generations for r in g.todo.values())
    plans = sum(len(g.todo) for g in generations)
    trials = len(result.trials)
    first = next(p for g in generations for p in g.points)
    per_replication_s = runner.seconds_per_replication(first, spec.seed)
    checked = same_days(
        direct_run(generations, spec, workers=1, per_generation=False, per_replication_s=per_replication_s)(),
        result.days,
        spec.kept_kpis,
    )

    kept: dict[int, SearchResult] = {}
    runs: dict[str, Callable[[], object]] = {}
    for w in workers:
        runs[f"search|{w}"] = search_run(spec, base, scratch, w, kept)
        runs[f"direct|{w}"] = direct_run(
            generations, spec, workers=w, per_generation=False, per_replication_s=per_replication_s
        )
        if w > 1:
            runs[f"direct per generation|{w}"] = direct_run(
                generations, spec, workers=w, per_generation=True, per_replication_s=per_replication_s
            )
    times = best_of(runs, repeat)
    reproducible = all(kept[w].trials.equals(result.trials) for w in workers)

    labels = {
        "search": "search (fresh store)",
        "direct": "raw: run_chunk, one pool, all plans at once",
        "direct per generation": "raw: run_chunk, one pool, generation by generation",
    }
    rows, timings = [], {}
    for name, seconds in times.items():
        kind, w = name.split("|")
        best = min(seconds)
        raw = min(times[f"direct|{w}"])
        label = "raw: run_chunk, in this process" if kind == "direct" and w == "1" else labels[kind]
        timings[name] = {
            "run": label,
            "workers": int(w),
            "seconds": seconds,
            "best_s": best,
            "s_per_plan": best / plans,
            "days_per_s": days_simulated / best,
            "extra_over_raw_s": best - raw,
            "extra_over_raw_percent": 100 * (best / raw - 1),
        }
        rows.append(
            [
                label,
                w,
                best,
                1000 * best / plans,
                days_simulated / best,
                "" if kind == "direct" else f"{100 * (best / raw - 1):+.1f}%",
            ]
        )
    print(
        f"\n(a) the search against the raw simulations of its plans: {trials} trials ({len(generations)} "
        f"generations of {spec.search.population}), {plans} distinct plans simulated ({trials - plans} proposals "
        f"repeated a plan), {days_simulated:,} days of the {spec.search.budget_days:,} budgeted; best of {repeat} "
        f"alternating rounds"
    )
    print(table(["run", "workers", "s", "ms per plan", "days/s", "vs raw"], rows))
    print(
        f"    raw KPIs equal the stored ones: {'yes' if checked else 'NO'}; the same trials on "
        f"{' and '.join(map(str, workers))} workers: {'yes' if reproducible else 'NO'}"
    )

    total = split["total_seconds"]
    print(f"\n(b) where a search's time goes, 1 worker, one run with its steps timed ({total:.2f} s):")
    step_rows = []
    for label, key in STEPS + [("the loop's own work (each plan's days, means, in pandas)", "loop")]:
        step = split["steps"][key]
        step["share"] = step["seconds"] / total
        step["ms_per_plan"] = 1000 * step["seconds"] / plans
        step_rows.append(
            [
                label,
                str(step["calls"]) if step["calls"] else "",
                step["seconds"],
                f"{100 * step['share']:.1f}%",
                step["ms_per_plan"],
            ]
        )
    print(table(["step", "calls", "s", "share", "ms per plan"], step_rows))
    simulate = split["steps"]["simulate"]["seconds"]
    overhead = total - simulate
    print(
        f"    everything but the stored days' simulation: {overhead:.2f} s, {100 * overhead / total:.1f}% of the run "
        f"({1000 * overhead / plans:.1f} ms per plan), done in this process whatever the workers"
    )
    built = split["steps"]["plan_scenario"]
    new_plans = [len(g.todo) for g in generations]
    later = new_plans[1:] or [0]
    print(
        f"    plan_scenario: {1000 * built['seconds'] / max(built['calls'], 1):.1f} ms a call, for every proposal "
        f"({built['calls']} calls for {plans} plans); new plans per generation: {new_plans[0]} in the first, then "
        f"{statistics.mean(later):.1f} on average ({statistics.mean(later) * spec.search.days_per_plan:.0f} days "
        f"to share among the workers)"
    )

    finished = next(iter(kept.values())).store
    resumed_kept: dict[int, SearchResult] = {}

    def resume() -> None:
        resumed_kept[0] = search(spec, base, finished, workers=1)

    resume_times = best_of({"resume": resume}, repeat)["resume"]
    same = resumed_kept[0].trials.equals(result.trials) and len(resumed_kept[0].days) == len(result.days)
    _, resume_split, resumed_generations = timed_search(spec, base, finished, new=False)
    simulated_again = sum(len(r) for g in resumed_generations for r in g.todo.values())
    resume_s = min(resume_times)
    top = sorted(
        ((label, resume_split["steps"][key]["seconds"]) for label, key in STEPS + [("the loop's own work", "loop")]),
        key=lambda item: -item[1],
    )[:3]
    print(
        f"\n(c) resumed on the finished store: {resume_s:.2f} s ({1000 * resume_s / trials:.1f} ms per trial, "
        f"{100 * resume_s / min(times[f'search|{workers[0]}']):.0f}% of the fresh search on {workers[0]} "
        f"worker{'s' if workers[0] > 1 else ''}); days simulated again: "
        f"{simulated_again}; the same trials and days: {'yes' if same else 'NO'}"
    )
    print("    mostly: " + "; ".join(f"{label} {s:.2f} s" for label, s in top))
    return {
        "trials": trials,
        "generations": len(generations),
        "distinct_plans": plans,
        "repeated_proposals": trials - plans,
        "days_simulated": days_simulated,
        "budget_days": spec.search.budget_days,
        "raw_equals_stored": checked,
        "same_trials_on_every_worker_count": reproducible,
        "timings": timings,
        "split_1_worker": split,
        "overhead_1_worker_s": overhead,
        "overhead_1_worker_percent": 100 * overhead / total,
        "resume": {
            "seconds": resume_times,
            "best_s": resume_s,
            "ms_per_trial": 1000 * resume_s / trials,
            "days_simulated_again": simulated_again,
            "same_trials_and_days": same,
            "split": resume_split,
        },
        "result": result,
    }


# -- (d) the samplers ----------------------------------------------------------------------------------------------


@dataclass
class Run:
    """One sampler's run: every proposal in order, and per generation its size, new plans, ask and tell seconds."""

    keys: list[tuple] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    new: list[int] = field(default_factory=list)
    ask_s: list[float] = field(default_factory=list)
    tell_s: list[float] = field(default_factory=list)
    seen: set = field(default_factory=set, repr=False)

    def add(self, keys: list[tuple], ask_s: float, tell_s: float) -> None:
        self.keys += keys
        self.sizes.append(len(keys))
        self.new.append(len(set(keys) - self.seen))
        self.seen |= set(keys)
        self.ask_s.append(ask_s)
        self.tell_s.append(tell_s)

    def distinct(self, n: int | None = None) -> list[tuple]:
        """The distinct plans in the order first proposed (the first ``n``)."""
        return list(dict.fromkeys(self.keys))[:n]


def search_rule(spec: OptimizeSpec) -> Callable[[Run], bool]:
    """Whether ``search`` would stop after this run: no room left in the budget for a generation of new plans, the
    space simulated, or ``STALLED_GENERATIONS`` generations without a new plan."""
    search_ = spec.search
    size = spec.size or float("inf")

    def done(run: Run) -> bool:
        plans = len(run.seen)
        left = search_.budget_days - plans * search_.days_per_plan
        stalled = len(run.new) >= STALLED_GENERATIONS and not any(run.new[-STALLED_GENERATIONS:])
        return left < search_.population * search_.days_per_plan or plans >= size or stalled

    return done


def optuna_run(space: Space, sampler: str, seed: int, *, until: Callable[[Run], bool]) -> Run:
    """Optuna driven as ``search`` drives it: ask a population, suggest each variable, tell each trial its
    objectives and (``trial.set_constraint``) constraints, a plan that is no scenario told as failed."""
    import optuna
    from optuna.trial import TrialState

    spec = space.spec
    population = spec.search.population
    samplers = {
        "nsga2": lambda: optuna.samplers.NSGAIISampler(population_size=population, seed=seed),
        "tpe": lambda: optuna.samplers.TPESampler(seed=seed, multivariate=True),
        "random": lambda: optuna.samplers.RandomSampler(seed=seed),
    }
    study = optuna.create_study(directions=[o.direction for o in spec.objectives], sampler=samplers[sampler]())
    run = Run()
    while not until(run):
        start = time.perf_counter()
        asked = []
        for _ in range(population):
            trial = study.ask()
            asked.append((trial, tuple(_suggest(trial, v) for v in spec.variables)))
        asked_s = time.perf_counter()
        plans = [space.plans[key] for _, key in asked]
        told = time.perf_counter()
        for (trial, _), plan in zip(asked, plans):
            if plan.values is None:
                study.tell(trial, state=TrialState.FAIL)
                continue
            for k, (constraint, value) in enumerate(zip(spec.constraints, plan.constraints)):
                trial.set_constraint(f"{k} {constraint.kpi}", value)
            study.tell(trial, list(plan.values))
        run.add([key for _, key in asked], asked_s - start, time.perf_counter() - told)
    return run


def pymoo_run(space: Space, seed: int, *, until: Callable[[Run], bool]) -> Run:
    """pymoo's mixed-variable GA with NSGA-II's survival (rank, then crowding), by ask and tell: each proposal's
    objectives (minimized) and constraints set through a ``StaticProblem``. An int variable is its position in
    the domain (pymoo's ``Integer`` has no step), a categorical one a ``Choice`` of positions; a plan that is no
    scenario gets infinite constraint values."""
    from pymoo.algorithms.moo.nsga2 import RankAndCrowdingSurvival
    from pymoo.core.mixed import MixedVariableGA
    from pymoo.core.problem import Problem
    from pymoo.core.variable import Choice, Integer, Real
    from pymoo.problems.static import StaticProblem

    spec = space.spec
    domains = [v.parameters() for v in spec.variables]
    variables: dict[str, Any] = {}
    for v, domain in zip(spec.variables, domains):
        if v.kind == "categorical":
            variables[v.path] = Choice(options=list(range(len(domain or []))))
        elif domain is None:
            variables[v.path] = Real(bounds=v.bounds)
        else:
            variables[v.path] = Integer(bounds=(0, len(domain) - 1))
    problem = Problem(vars=variables, n_obj=len(spec.objectives), n_ieq_constr=len(spec.constraints))
    algorithm = MixedVariableGA(pop_size=spec.search.population, survival=RankAndCrowdingSurvival())
    algorithm.setup(problem, termination=("n_gen", 10**9), seed=seed, verbose=False)
    run = Run()
    while not until(run):
        start = time.perf_counter()
        population = algorithm.ask()
        keys = [tuple(d[int(x[v.path])] for v, d in zip(spec.variables, domains)) for x in population.get("X")]
        asked_s = time.perf_counter()
        plans = [space.plans[key] for key in keys]
        told = time.perf_counter()
        worst = np.full(len(space.signs), 1e12)
        objectives = np.array([space.signs * np.array(p.values) if p.values is not None else worst for p in plans])
        constraints = np.array([p.constraints for p in plans], dtype=float)
        algorithm.evaluator.eval(StaticProblem(problem, F=objectives, G=constraints), population)
        algorithm.tell(infills=population)
        run.add(keys, asked_s - start, time.perf_counter() - told)
    return run


def load_pymoo(site: str | None) -> tuple[str | None, str]:
    """pymoo's version (None if it cannot be imported), and why not. ``site`` goes at the end of ``sys.path``."""
    if site is None:
        return None, "not asked (--pymoo)"
    if site not in sys.path:
        sys.path.append(site)
    try:
        import pymoo
        from pymoo.core.mixed import MixedVariableGA  # noqa: F401
    except ImportError as error:
        return (
            None,
            f"cannot import pymoo from {site} ({error}); install it apart: "
            f"python3 -m pip install --target {site} pymoo==0.6.2",
        )
    return getattr(pymoo, "__version__", "?"), ""


def footprint(package: str, code: str, site: str | None) -> dict:
    """What installing ``package`` brings (its required distributions, transitively, extras left out, and those
    clinicsim does not already require), its licence, and the seconds ``code`` takes to import it in a fresh
    interpreter (best of 3)."""
    from packaging.requirements import Requirement

    def closure(name: str) -> set[str]:
        seen: set[str] = set()
        todo = [name]
        while todo:
            current = todo.pop()
            try:
                requires = importlib.metadata.distribution(current).requires or []
            except importlib.metadata.PackageNotFoundError:
                continue
            for text in requires:
                requirement = Requirement(text)
                if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                    continue
                key = requirement.name.lower().replace("_", "-")
                if key not in seen:
                    seen.add(key)
                    todo.append(requirement.name)
        return seen

    meta = importlib.metadata.distribution(package).metadata
    licence = meta.get("License-Expression") or meta.get("License") or ""
    if not licence:
        licence = next(
            (c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License")), ""
        )
    brings = closure(package)
    prelude = f"import sys; sys.path.append({site!r}); " if site else ""
    program = f"{prelude}import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    seconds = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
        if out.returncode == 0:
            seconds.append(float(out.stdout.strip().splitlines()[-1]))
    return {
        "version": importlib.metadata.version(package),
        "licence": licence[:60],
        "requires": sorted(brings),
        "not_already_required_by_clinicsim": sorted(brings - closure("clinicsim") - {"clinicsim"}),
        "import_s": min(seconds) if seconds else None,
    }


def mean_sd(values: list[float]) -> str:
    values = [v for v in values if v == v]
    if not values:
        return "n/a"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {sd:.3f}"


def samplers(space: Space, seeds: int, pymoo_version: str | None, search_result: SearchResult) -> dict:
    """Part (d)."""
    spec = space.spec
    population = spec.search.population
    least = least_plans(spec)
    checkpoints = [round(least * k / 3) for k in (1, 2, 3)]
    names = {"nsga2": "Optuna NSGA-II", "tpe": "Optuna TPE", "random": "Optuna random"}
    makers: dict[str, Callable[[int, Callable[[Run], bool]], Run]] = {
        name: functools.partial(lambda s, u, name: optuna_run(space, name, s, until=u), name=name) for name in names
    }
    if pymoo_version is not None:
        names["pymoo"] = f"pymoo {pymoo_version} MixedVariableGA"
        makers["pymoo"] = lambda s, u: pymoo_run(space, s, until=u)
    budget = search_rule(spec)
    every = list(space.plans)
    true_hv = space.hypervolume(every)
    true_front = space.front(every)
    out: dict[str, Any] = {
        "checkpoints_distinct_plans": checkpoints,
        "seeds": seeds,
        "true_front": len(true_front),
        "true_hypervolume_scaled": true_hv,
        "samplers": {},
    }
    rows, time_rows = [], []
    for name, make in makers.items():
        per_seed = []
        for seed in range(seeds):
            run = make(seed, budget)
            row = {
                "generations": len(run.sizes),
                "proposals": len(run.keys),
                "distinct_plans": len(run.seen),
                "hv_share": space.hypervolume(run.keys) / true_hv,
                "true_front_found": len(space.front(run.keys) & true_front),
                "ask_ms_per_generation": 1000 * statistics.mean(run.ask_s),
                "tell_ms_per_generation": 1000 * statistics.mean(run.tell_s),
            }
            for n in checkpoints:
                distinct = run.distinct(n)
                row[f"hv_share_at_{n}_distinct"] = (
                    space.hypervolume(distinct) / true_hv if len(distinct) == n else float("nan")
                )
            per_seed.append(row)
        first, second = (make(0, lambda r: len(r.sizes) >= LONG_GENERATIONS) for _ in range(2))
        other = make(1, lambda r: len(r.sizes) >= LONG_GENERATIONS)
        late = slice(LONG_GENERATIONS - 5, LONG_GENERATIONS)
        summary = {
            "label": names[name],
            "per_seed": per_seed,
            "same_proposals_from_one_seed": first.keys == second.keys,
            "another_seed_differs": first.keys != other.keys,
            "repeated_share_in_long_run": 1 - len(first.seen) / len(first.keys),
            "ask_tell_ms_per_generation_last_5_of_long_run": 1000
            * statistics.mean(a + t for a, t in zip(first.ask_s[late], first.tell_s[late])),
        }
        out["samplers"][name] = summary
        column = functools.partial(lambda key, rows: [r[key] for r in rows], rows=per_seed)
        ask_tell = [a + t for a, t in zip(column("ask_ms_per_generation"), column("tell_ms_per_generation"))]
        rows.append(
            [
                names[name],
                f"{statistics.mean(column('generations')):.1f}",
                f"{statistics.mean(column('proposals')):.0f}",
                f"{statistics.mean(column('distinct_plans')):.1f}",
                mean_sd(column("hv_share")),
                f"{statistics.mean(column('true_front_found')):.1f} of {len(true_front)}",
            ]
            + [mean_sd(column(f"hv_share_at_{n}_distinct")) for n in checkpoints]
            + ["yes" if summary["same_proposals_from_one_seed"] else "NO"]
        )
        time_rows.append(
            [
                names[name],
                statistics.median(column("ask_ms_per_generation")),
                statistics.median(column("tell_ms_per_generation")),
                statistics.median(ask_tell),
                statistics.median(ask_tell) / population,
                summary["ask_tell_ms_per_generation_last_5_of_long_run"],
                f"{100 * summary['repeated_share_in_long_run']:.0f}%",
            ]
        )
    reference = "nsga2"
    differences = {}
    for name in makers:
        if name == reference:
            continue
        ours, theirs = out["samplers"][reference]["per_seed"], out["samplers"][name]["per_seed"]
        differences[name] = {
            key: welch([r[key] for r in theirs], [r[key] for r in ours])
            for key in ["hv_share"] + [f"hv_share_at_{n}_distinct" for n in checkpoints]
        }
    out["differences_from_optuna_nsga2"] = differences
    params = _search_params(search_result)
    key_of = {row["plan"]: tuple(int(row[v.path]) for v in spec.variables) for _, row in params.iterrows()}
    searched = list(key_of.values())
    out["the_search_itself"] = {
        "distinct_plans": len(searched),
        "hv_share": space.hypervolume(searched) / true_hv,
        "true_front_found": len(space.front(searched) & true_front),
        "its_pareto_is_the_front_of_its_plans": {key_of[p] for p in search_result.pareto().index}
        == space.front(searched),
        "its_values_equal_the_table": _same_values(space, search_result, key_of),
    }
    print(
        f"\n(d) samplers on the example tabulated: {len(space.plans)} plans, {len(true_front)} on the true Pareto "
        f"front. Each sampler runs as search does, until a budget of {spec.search.budget_days:,} days at "
        f"{spec.search.days_per_plan} a plan is spent (a repeated plan costs nothing). Hypervolume of the feasible "
        f"front found as a share of the true front's, mean ± sd over {seeds} seeds, at the end and after the first "
        f"{', '.join(map(str, checkpoints))} distinct plans"
    )
    print(
        table(
            ["sampler", "generations", "proposals", "distinct plans", "HV share", "true front found"]
            + [f"HV share, {n} plans" for n in checkpoints]
            + ["same from a seed"],
            rows,
        )
    )
    print(f"    difference from Optuna NSGA-II, HV share: mean and 95% Welch interval over {seeds} seeds each")
    print(
        table(
            ["sampler", "at the end"] + [f"{n} plans" for n in checkpoints],
            [
                [names[name]] + [f"{d['diff']:+.3f} ({d['low']:+.3f}, {d['high']:+.3f})" for d in diff.values()]
                for name, diff in differences.items()
            ],
        )
    )
    itself = out["the_search_itself"]
    print(
        f"    the search of (a) itself (NSGA-II from today's plan, seed {spec.search.seed}): "
        f"{itself['distinct_plans']} plans, HV share {itself['hv_share']:.3f}, {itself['true_front_found']} of "
        f"{len(true_front)} true Pareto plans found; its values equal the table's: "
        f"{'yes' if itself['its_values_equal_the_table'] else 'NO'}"
    )
    print(f"\n    sampler time (median over seeds), ms, for a population of {population}:")
    print(
        table(
            [
                "sampler",
                "ask / gen",
                "tell / gen",
                "ask + tell / gen",
                "per proposal",
                f"ask + tell / gen, gens {LONG_GENERATIONS - 4}-{LONG_GENERATIONS}",
                f"repeats in {LONG_GENERATIONS} gens",
            ],
            time_rows,
        )
    )
    return out


def welch(a: list[float], b: list[float]) -> dict:
    """mean(a) - mean(b) with its 95% Welch t-interval (NaNs left out)."""
    from scipy import stats

    x, y = np.array([v for v in a if v == v]), np.array([v for v in b if v == v])
    diff = float(x.mean() - y.mean()) if len(x) and len(y) else float("nan")
    if len(x) < 2 or len(y) < 2:
        return {"diff": diff, "low": float("nan"), "high": float("nan")}
    va, vb = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    if va + vb == 0:
        return {"diff": diff, "low": diff, "high": diff}
    df = (va + vb) ** 2 / (va**2 / (len(x) - 1) + vb**2 / (len(y) - 1))
    half = float(stats.t.ppf(0.975, df) * np.sqrt(va + vb))
    return {"diff": diff, "low": diff - half, "high": diff + half}


def _search_params(result: SearchResult) -> pd.DataFrame:
    """The search's plans with their parameters (read from the store's points)."""
    import json
    import sqlite3

    connection = sqlite3.connect(f"file:{result.store}?mode=ro", uri=True)
    try:
        points = pd.read_sql_query("SELECT point, factors FROM points", connection)
    finally:
        connection.close()
    params = pd.DataFrame([json.loads(f) for f in points["factors"]])
    params["plan"] = points["point"]
    return params


def _same_values(space: Space, result: SearchResult, key_of: dict[int, tuple]) -> bool:
    """Whether the search's objective means equal the tabulated ones (the same plans on the same days)."""
    for plan, row in result.plans().iterrows():
        tabulated = space.plans[key_of[plan]].values
        if tabulated is None or not np.allclose([row[o.kpi] for o in space.spec.objectives], tabulated):
            return False
    return True


def libraries(site: str | None, pymoo_version: str | None) -> dict:
    """(d, continued) what each library needs, measured where it can be."""
    about = {"optuna": footprint("optuna", "import optuna", None)}
    if pymoo_version is not None:
        about["pymoo"] = footprint(
            "pymoo",
            "import pymoo.core.mixed, pymoo.algorithms.moo.nsga2, pymoo.problems.static",
            site,
        )
    print("\n    the libraries:")
    rows = [
        [
            name,
            a["version"],
            a["licence"],
            str(len(a["requires"])),
            ", ".join(a["not_already_required_by_clinicsim"]) or "none",
            "" if a["import_s"] is None else f"{a['import_s']:.2f}",
        ]
        for name, a in about.items()
    ]
    print(table(["library", "version", "licence", "requires", "new to clinicsim", "import s"], rows))
    return about


HANDLING = [
    (
        "mixed int + categorical",
        "suggest_int(low, high, step) and suggest_categorical per variable, by name, in one trial",
        "MixedVariableGA over a dict of Integer / Choice / Real; NSGA2 itself is for real vectors",
    ),
    (
        "stepped int (slot 15..30 by 5)",
        "native: suggest_int(..., step=5)",
        "no step: the position in the domain as an Integer, mapped back by hand",
    ),
    (
        "constraints",
        "trial.set_constraint(key, value), value <= 0 met; NSGA-II and TPE use them",
        "G <= 0 per proposal; CV = sum of violations ranks infeasible ones (same rule as Optuna's NSGA-II)",
    ),
    (
        "a plan that is no scenario",
        "tell(trial, state=FAIL): left out of the population",
        "no failed state: give it an infinite constraint value",
    ),
    (
        "ask/tell, external evaluator",
        "study.ask() one trial at a time, study.tell(trial, values)",
        "algorithm.ask() a population; set F and G by StaticProblem + evaluator, algorithm.tell(infills=pop)",
    ),
    (
        "repeated proposals",
        "not avoided: the same plan is asked again (search simulates it once)",
        "duplicates removed against the current population and offspring, not against the whole history",
    ),
    (
        "resume",
        "re-ask from the seed (what search does), or a database storage (RDBStorage)",
        "pickle the algorithm object (checkpoint); no store of its own",
    ),
    (
        "other samplers behind the same loop",
        "TPE and random by the same ask/tell; a grid as queued trials (GridSampler stops the study "
        "from inside a trial, which ask/tell cannot take)",
        "NSGA-III, MOEA/D, ... each with its own operators, mixed variables only in a few",
    ),
]


def print_handling() -> None:
    print("\n    how each handles the problem (read from the libraries; determinism and repeats are measured above):")
    for what, optuna_way, pymoo_way in HANDLING:
        print(f"    - {what}\n        Optuna: {optuna_way}\n        pymoo:  {pymoo_way}")


# -- main ----------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 days per plan, 480 days, 1 round, 5 seeds")
    parser.add_argument("--repeat", type=int, help="rounds of (a); the best is kept (default 3; quick 1)")
    parser.add_argument("--workers", default="1,2", help="worker counts of (a), comma-separated (default 1,2)")
    parser.add_argument("--seeds", type=int, help="seeds per sampler in (d) (default 20; quick 5)")
    parser.add_argument(
        "--pymoo",
        nargs="?",
        const=PYMOO_SITE,
        default=None,
        metavar="PATH",
        help=f"compare pymoo, imported from PATH (default {PYMOO_SITE}), put at the end of sys.path",
    )
    parser.add_argument("--out", default=str(HERE / "results" / "optimize.json"), help="JSON file of the results")
    args = parser.parse_args()
    repeat = args.repeat or (1 if args.quick else 3)
    seeds = args.seeds or (5 if args.quick else 20)
    workers = [int(w) for w in args.workers.split(",")]

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    started = time.perf_counter()
    spec, base = load_optimization(EXAMPLE)
    if args.quick:
        spec = quick_spec(spec)
    pymoo_version, why_not = load_pymoo(args.pymoo)
    results: dict[str, Any] = {
        "machine": {**machine(), "cpu_count": os.cpu_count()},
        "git": git_state(),
        "settings": {
            "example": str(EXAMPLE.relative_to(HERE.parent)),
            "quick": args.quick,
            "repeat": repeat,
            "workers": workers,
            "seeds": seeds,
            "search": spec.search.model_dump(mode="json"),
            "optuna": optuna.__version__,
            "pymoo": pymoo_version,
        },
    }
    about = results["machine"]
    print(
        f"Optimization benchmark on {about['cores']} cores ({about['cpu_count']} CPUs), Python {about['python']}, "
        f"Optuna {optuna.__version__}, pymoo {pymoo_version or 'not compared: ' + why_not}"
    )
    warn_if_busy(about)
    print(
        f"{EXAMPLE.name}: {spec.size} plans, sampler {spec.sampler}, population {spec.search.population}, "
        f"{spec.search.days_per_plan} days per plan, budget {spec.search.budget_days:,} days"
    )
    with tempfile.TemporaryDirectory(prefix="bench_optimize_") as scratch:
        cost = search_cost(spec, base, Path(scratch), workers, repeat)
        search_result = cost.pop("result")
        results["search"] = cost
        space, tabulated = tabulate(spec, base, max(workers))
        results["space"] = tabulated
        print(
            f"\n    the example tabulated for (d): {tabulated['plans']} plans x {tabulated['days_per_plan']} days in "
            f"{tabulated['seconds']:.1f} s on {max(workers)} workers ({tabulated['invalid_plans']} no valid scenario, "
            f"{tabulated['feasible_plans']} feasible, {tabulated['pareto_plans']} on the true Pareto front)"
        )
        results["samplers"] = samplers(space, seeds, pymoo_version, search_result)
    results["libraries"] = libraries(args.pymoo, pymoo_version)
    print_handling()
    results["handling"] = [dict(zip(["what", "optuna", "pymoo"], row)) for row in HANDLING]
    if pymoo_version is None:
        print(f"\npymoo not compared: {why_not}")
    results["machine"]["load_average_after"] = os.getloadavg()
    save(results, args.out, started)


if __name__ == "__main__":
    main()
