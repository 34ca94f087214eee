"""The search: plans proposed by an Optuna sampler, evaluated generation by generation on the same simulated days.

Each generation asks the sampler for ``search.population`` plans (the first generation starts with today's plan),
makes each a validated scenario (``spec.plan_scenario``; a plan that is no valid scenario is told as failed), and
simulates every new plan's ``search.days_per_plan`` days through the sweep machinery (``sweeps.runner.run_points``,
on a local pool or any Executor) into the result store, where every evaluated plan stays queryable
(``sweeps.store.open_sweep``). Plans are the store's points, one per distinct scenario: a plan proposed twice is
simulated once. Each plan is then told its objectives' means and its constraints (Optuna's convention: a value at
most 0 is met; a chance constraint's is the required share of days less the observed share, a constraint on the
mean the mean's distance past its limit), so NSGA-II and TPE prefer feasible plans.

The search is reproducible from its seed on any number of workers: a plan's results depend only on its scenario,
the seed and the day, and the sampler sees them in the order it asked. An interrupted search resumes: run again on
the same store, the sampler asks the same plans again, finds their days stored, and goes on from where it stopped.
The budget is in simulated days: generations go on while one more (population x days per plan, if every plan were
new) still fits in ``search.budget_days`` less the days of the plans simulated so far; a plan proposed again costs
nothing. They stop early when the whole space has been simulated or ``STALLED_GENERATIONS`` generations in a row
proposed no new plan (the sampler has settled).
"""

from __future__ import annotations

import itertools
import json
import logging
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clinicsim.optimization.spec import (
    Constraint,
    OptimizeSpec,
    Variable,
    base_params,
    plan_name,
    plan_scenario,
    spec_hash,
)
from clinicsim.scenario import Scenario
from clinicsim.scenario.files import ScenarioError
from clinicsim.sweeps.runner import default_workers, local_pool, run_points, seconds_per_replication
from clinicsim.sweeps.spec import AccessRuns, SweepPoint
from clinicsim.sweeps.store import ResultStore

logger = logging.getLogger(__name__)

SearchProgress = Callable[[int, int], None]
"""Called as ``progress(days_spent, budget_days)`` after each generation."""
STALLED_GENERATIONS = 3
"""Generations in a row without a new plan after which the search stops."""


@dataclass(frozen=True)
class StoreSpec:
    """What the result store and the runner read of an optimization: its name, seed, days per plan and KPIs."""

    spec: OptimizeSpec

    @property
    def access(self) -> AccessRuns | None:
        return self.spec.access

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def seed(self) -> int:
        return self.spec.seed

    @property
    def replications(self) -> int:
        return self.spec.search.days_per_plan

    @property
    def kept_kpis(self) -> list[str]:
        return self.spec.kept_kpis

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        return {"optimization": self.spec.model_dump(**kwargs)}


def _sampler(spec: OptimizeSpec):
    """The Optuna sampler of ``spec.search``, seeded (NSGA-II and TPE read each plan's constraints off its trial)."""
    import optuna

    search = spec.search
    if spec.sampler == "nsga2":
        return optuna.samplers.NSGAIISampler(population_size=search.population, seed=search.seed)
    if spec.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=search.seed, multivariate=True)
    return optuna.samplers.RandomSampler(seed=search.seed)  # a grid's plans are queued (``_queue_grid``)


def _queue_grid(study, spec: OptimizeSpec) -> None:
    """Queue every plan of the grid, in an order shuffled by the search's seed (so that a budget smaller than the
    grid samples it evenly). Optuna's GridSampler stops the study from inside a trial when the grid runs out, which
    ask-and-tell cannot take."""
    grid = list(itertools.product(*(v.parameters() or [] for v in spec.variables)))
    order = np.random.default_rng(spec.search.seed).permutation(len(grid))
    for index in order:
        study.enqueue_trial({v.path: value for v, value in zip(spec.variables, grid[index])})


def _suggest(trial, variable: Variable) -> Any:
    """The trial's parameter for ``variable`` (a categorical one: the position of its value)."""
    if variable.kind == "categorical":
        return trial.suggest_categorical(variable.path, variable.parameters() or [])
    low, high = float(variable.low or 0), float(variable.high or 0)  # the spec requires both for numbers
    if variable.kind == "int":
        return trial.suggest_int(variable.path, int(low), int(high), step=int(variable.step or 1))
    return trial.suggest_float(variable.path, low, high, step=variable.step)


def constraint_value(constraint: Constraint, values: np.ndarray) -> float:
    """Optuna's constraint value of one plan's daily ``values`` (at most 0: met on the point estimate)."""
    values = values[~np.isnan(values)]
    if not len(values):
        return float("inf")
    if constraint.on_share_of_days is not None:
        meets = values <= constraint.limit if constraint.upper else values >= constraint.limit
        return float(constraint.on_share_of_days - meets.mean())
    mean = float(values.mean())
    return mean - constraint.limit if constraint.upper else constraint.limit - mean


@dataclass
class SearchResult:
    """The plans a search evaluated, the trials that proposed them, and where they are stored."""

    spec: OptimizeSpec
    store: Path
    trials: pd.DataFrame
    """One row per trial: trial, generation, plan (the store's point; NaN for a plan that is no valid scenario),
    name, params (by variable path, as the trial had them), feasible (every constraint met on the point estimates),
    each objective's mean and each constraint's value (columns ``constraint_<k>``), and the problem of an invalid
    plan."""
    days: pd.DataFrame = field(repr=False)
    """One row per plan and simulated day, the kept KPIs (the store's replications; a rerun's store also holds the
    selection's later days: ``search_days`` keeps the search's own)."""

    def search_days(self) -> pd.DataFrame:
        """The days the search judged each plan on (its first ``days_per_plan``)."""
        return self.days[self.days["replication"] < self.spec.search.days_per_plan]

    def plans(self) -> pd.DataFrame:
        """One row per evaluated plan (its first trial), feasible or not."""
        evaluated = self.trials.dropna(subset=["plan"])
        return evaluated.drop_duplicates("plan").set_index("plan")

    def pareto(self) -> pd.DataFrame:
        """The feasible plans no other feasible plan beats on every objective's mean (the estimated Pareto set);
        with one objective, the best plan(s)."""
        plans = self.plans()
        plans = plans[plans["feasible"]]
        signs = np.array([1.0 if o.minimize else -1.0 for o in self.spec.objectives])
        scores = plans[[o.kpi for o in self.spec.objectives]].to_numpy(dtype=float) * signs
        keep = [not any(np.all(other <= row) and np.any(other < row) for other in scores) for row in scores]
        return plans[np.array(keep, dtype=bool)] if len(plans) else plans


def read_days(store: Path, points: list[int] | None = None) -> pd.DataFrame:
    """The stored days of ``points`` (every plan's when None), read while the search writes (the store is in WAL
    mode)."""
    where = f"WHERE point IN ({', '.join(str(int(p)) for p in points)})" if points is not None else ""
    connection = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return pd.read_sql_query(f"SELECT * FROM results {where} ORDER BY point, replication", connection)
    finally:
        connection.close()


class Plans:
    """The store's points, one per distinct scenario, with the days each still lacks."""

    def __init__(self, store: ResultStore, days: int) -> None:
        self.store, self.days = store, days
        self.by_hash: dict[str, SweepPoint] = {}
        self.by_params: dict[str, tuple[SweepPoint | None, str]] = {}
        self.per_replication_s: float | None = None  # measured once, on the first plan run
        rows = store.connection.execute("SELECT point, name, factors, scenario_sha256 FROM points").fetchall()
        self.known = {sha: (point, name) for point, name, _, sha in rows}

    def point(self, name: str, params: dict[str, Any], scenario: Scenario) -> SweepPoint:
        sha = scenario.content_hash
        if sha not in self.by_hash:
            index = self.known.get(sha, (len(self.known), name))[0]
            self.known.setdefault(sha, (index, name))
            self.by_hash[sha] = SweepPoint(point=index, name=name, factors=params, scenario=scenario)
        return self.by_hash[sha]

    def proposed(
        self, spec: OptimizeSpec, base: Scenario, name: str, params: dict[str, Any]
    ) -> tuple[SweepPoint | None, str]:
        """The plan of ``params`` (None, and the problem, when it is no valid scenario); a plan proposed again is
        looked up, not built and validated again (2.9 ms a time for the family-medicine practice)."""
        key = json.dumps(params, sort_keys=True)
        if key not in self.by_params:
            try:
                self.by_params[key] = (self.point(name, params, plan_scenario(spec, base, params)), "")
            except (ScenarioError, ValueError) as error:
                self.by_params[key] = (None, str(error).splitlines()[0])
        return self.by_params[key]

    def run(self, points: list[SweepPoint], spec: StoreSpec, **run: Any) -> None:
        """Simulate the search's days of ``points`` that are not stored yet."""
        self.run_days(points, {p.point: list(range(self.days)) for p in points}, spec, **run)

    def run_days(self, points: list[SweepPoint], days: dict[int, list[int]], spec: StoreSpec, **run: Any) -> None:
        """Simulate the ``days`` of each point that are not stored yet."""
        self.store.add_points(points)
        done = self.store.done()
        todo = {p: [r for r in wanted if (p, r) not in done] for p, wanted in days.items()}
        if any(todo.values()) and self.per_replication_s is None:
            self.per_replication_s = seconds_per_replication(points[0], spec.seed, spec.access)
        run_points(self.store, points, todo, spec, per_replication_s=self.per_replication_s, **run)  # type: ignore[arg-type]


@contextmanager
def pool_for(executor: Executor | None, workers: int | None) -> Iterator[Executor | None]:
    """The executor to run on: the one given, else one local pool of ``workers`` processes (the machine's cores)
    for the whole run, rather than one per generation, else (one worker) None: in this process."""
    workers = workers or default_workers()
    if executor is not None or workers == 1:
        yield executor
        return
    pool = local_pool(workers)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def search(
    spec: OptimizeSpec,
    base: Scenario,
    store_path: str | Path,
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    new: bool = False,
    progress: SearchProgress | None = None,
) -> SearchResult:
    """Search the plans of ``spec`` (see the module docstring) into the store at ``store_path``; resumes a store of
    the same optimization, refuses another's (``StoreMismatch``)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    adapter = StoreSpec(spec)
    store_path = Path(store_path)
    store = ResultStore(store_path, adapter, [], spec_hash(spec, base), new=new)  # type: ignore[arg-type]
    study = optuna.create_study(directions=[o.direction for o in spec.objectives], sampler=_sampler(spec))
    today = base_params(spec, base)
    if spec.sampler == "grid":
        _queue_grid(study, spec)
    elif today is not None:
        study.enqueue_trial(today)
    rows: list[dict[str, Any]] = []
    try:
        with pool_for(executor, workers) as pool:
            plans = Plans(store, spec.search.days_per_plan)
            generation, stalled = 0, 0
            while _affordable(spec, len(plans.by_hash)) and stalled < STALLED_GENERATIONS:
                before = len(plans.by_hash)
                rows += _generation(study, spec, base, plans, adapter, generation, executor=pool, workers=workers)
                stalled = stalled + 1 if len(plans.by_hash) == before else 0
                generation += 1
                if progress is not None:
                    progress(len(plans.by_hash) * spec.search.days_per_plan, spec.search.budget_days)
    finally:
        store.close()
    days = read_days(store_path)
    logger.info("search %r: %d trials, %d plans", spec.name, len(rows), days["point"].nunique() if len(days) else 0)
    return SearchResult(spec, store_path, pd.DataFrame(rows), days)


def _affordable(spec: OptimizeSpec, plans: int) -> bool:
    """Whether one more generation fits in the budget after ``plans`` plans simulated, and plans are left."""
    search = spec.search
    left = search.budget_days - plans * search.days_per_plan
    return left >= search.population * search.days_per_plan and (spec.size is None or plans < spec.size)


def _generation(study, spec, base, plans: Plans, adapter, generation: int, **run: Any) -> list[dict[str, Any]]:
    """Ask one population of plans, simulate the new ones, tell every plan its results; one row per trial."""
    from optuna.trial import TrialState

    asked: list[tuple[Any, str, SweepPoint | None, str]] = []
    for _ in range(spec.search.population):
        trial = study.ask()
        params = {v.path: _suggest(trial, v) for v in spec.variables}
        name = plan_name(spec, params)
        point, problem = plans.proposed(spec, base, name, params)
        asked.append((trial, name, point, problem))
    points = list({p.point: p for _, _, p, _ in asked if p is not None}.values())
    plans.run(points, adapter, **run)
    days = read_days(plans.store.path, [p.point for p in points])
    rows = []
    for trial, name, point, problem in asked:
        row: dict[str, Any] = {"trial": trial.number, "generation": generation, "name": name, "problem": problem,
                               "params": trial.params}  # fmt: skip
        if point is None:
            study.tell(trial, state=TrialState.FAIL)
            rows.append({**row, "plan": np.nan, "feasible": False})
            continue
        mine = days[(days["point"] == point.point) & (days["replication"] < spec.search.days_per_plan)]
        values = [float(mine[o.kpi].mean()) for o in spec.objectives]
        constraints = [constraint_value(c, mine[c.kpi].to_numpy(dtype=float)) for c in spec.constraints]
        for k, (constraint, value) in enumerate(zip(spec.constraints, constraints)):
            trial.set_constraint(f"{k} {constraint.kpi}", value)
        study.tell(trial, values)
        row.update({"plan": point.point, "feasible": all(c <= 0 for c in constraints)})
        row.update({o.kpi: v for o, v in zip(spec.objectives, values)})
        row.update({f"constraint_{k}": c for k, c in enumerate(constraints)})
        rows.append(row)
    return rows
