"""The selection stage: the search's finalists re-run on more days and compared with a statistical guarantee.

The finalists are the search's estimated Pareto set of feasible plans (``selection.finalists: pareto``), or the
``k`` feasible plans best on the guarantee's KPI; when no plan met the constraints on the search's days, the ones
nearest to meeting them (the smallest total of positive constraint values), so the report can say what the
constraints cost. With two or more finalists, KN++ (``clinicsim.selection.kn_select``) picks the best on the
guarantee's KPI: the search's days are its first stage, and every further day it asks for is simulated into the
same store on the same common days (``sweeps.runner.run_points``), up to ``selection.max_days_per_plan`` per plan.
With ``selection.procedure: ocba``, OCBA spreads a fixed ``selection.ocba_days`` over them instead, and says how
likely its choice is right (an estimate, not a guarantee).
Then every finalist's constraints are judged on all its days, with intervals (``chance_constraint``,
``mean_constraint``): met, not met, or uncertain (never reported as met). While a constraint of the chosen plan is
uncertain, its days are doubled (up to ``selection.max_days_per_plan``) so that its verdict is settled where the
budget allows.
"""

from __future__ import annotations

import logging
import math
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clinicsim.metrics import find_metric
from clinicsim.optimization.search import Plans, SearchResult, StoreSpec, pool_for, read_days
from clinicsim.optimization.spec import Constraint, OptimizeSpec, plan_scenario
from clinicsim.scenario import Scenario
from clinicsim.selection import (
    ChanceConstraint,
    MeanConstraint,
    OcbaResult,
    Selection,
    chance_constraint,
    kn_select,
    mean_constraint,
    ocba_select,
)
from clinicsim.sweeps.spec import SweepPoint
from clinicsim.sweeps.store import ResultStore

logger = logging.getLogger(__name__)

KN_BATCH = 5
"""Days added to every plan still in contention between two looks of KN++."""


def label_and_unit(kpi: str, currency: str = "") -> tuple[str, str]:
    """A KPI's label as a sentence says it ("Provider overtime, mean" -> "mean provider overtime") and its unit,
    from the registry; money in ``currency`` when it is given (the base scenario's, e.g. USD)."""
    metric = find_metric(kpi)
    if metric is None:
        return kpi.replace("_", " "), ""
    label = metric.label[:1].lower() + metric.label[1:]
    name, _, qualifier = label.partition(", ")
    unit = currency if metric.unit == "currency" and currency else metric.unit
    return (f"{qualifier} {name}" if qualifier else label), unit


def currency_of(base: Scenario) -> str:
    """The base scenario's currency ("" without finance)."""
    return base.finance.currency if base.finance is not None else ""


def finalists(result: SearchResult) -> tuple[pd.DataFrame, bool]:
    """The plans the selection compares (rows of ``result.plans()``) and whether they are feasible ones."""
    spec = result.spec
    plans = result.plans()
    feasible = plans[plans["feasible"]]
    if feasible.empty:
        violation = plans.filter(like="constraint_").clip(lower=0).sum(axis=1)
        return plans.loc[violation.nsmallest(min(len(plans), 5)).index], False
    if spec.selection.finalists == "pareto":
        return result.pareto(), True
    guarantee = spec.guarantee
    means = result.search_days().groupby("point")[guarantee.kpi].mean().reindex(feasible.index)
    order = means.sort_values(ascending=guarantee.minimize).index
    return feasible.loc[order[: int(spec.selection.finalists)]], True


@dataclass
class Finalists:
    """The selection stage's outcome: the finalists, KN++'s choice among them and every constraint's verdict."""

    plans: pd.DataFrame
    """One row per finalist (index: the store's plan): name, trial, the search's objective means."""
    feasible: bool
    """Whether the finalists met every constraint on the search's days (else they are the nearest to it)."""
    selection: Selection | None
    """KN++ on the guarantee's KPI (None with a single finalist, or with OCBA)."""
    ocba: OcbaResult | None
    """OCBA on the guarantee's KPI (``selection.procedure: ocba``; None otherwise)."""
    verdicts: pd.DataFrame = field(repr=False)
    """One row per finalist and constraint on all its days: plan, constraint (its words), verdict (met, not met,
    uncertain), value (share of days or mean), low, high, days, sentence."""
    best: int
    """The chosen plan (the store's index)."""
    sentence: str
    """What is guaranteed, in words."""


def _sample(spec: OptimizeSpec, plans: Plans, points: list[SweepPoint], run: dict[str, Any]):
    """KN++'s ``sample(system, days)``: the guarantee KPI of those days of finalist ``system``, simulated into the
    store first where missing."""
    kpi = spec.guarantee.kpi
    adapter = StoreSpec(spec)

    def sample(system: int, days: list[int]) -> np.ndarray:
        point = points[system]
        done = plans.store.done()
        missing = [d for d in days if (point.point, d) not in done]
        if missing:
            plans.run_days([point], {point.point: missing}, adapter, **run)
        stored = read_days(plans.store.path, [point.point])
        mine = stored[stored["point"] == point.point].set_index("replication")[kpi]
        return mine.reindex(days).to_numpy(dtype=float)

    return sample


def verdicts(spec: OptimizeSpec, days: pd.DataFrame, plans: list[int], currency: str = "") -> pd.DataFrame:
    """Every constraint of every plan in ``plans`` judged on all its stored ``days`` (see the module docstring)."""
    rows = []
    for plan in plans:
        mine = days[days["point"] == plan]
        for constraint in spec.constraints:
            values = mine[constraint.kpi].to_numpy(dtype=float)
            rows.append({"plan": plan, **_verdict(constraint, values, currency)})
    columns = ["plan", "constraint", "verdict", "value", "low", "high", "days", "sentence"]
    return pd.DataFrame(rows, columns=columns)


def _verdict(constraint: Constraint, values: np.ndarray, currency: str) -> dict[str, Any]:
    label, unit = label_and_unit(constraint.kpi, currency)
    judged: ChanceConstraint | MeanConstraint
    if constraint.on_share_of_days is not None:
        judged = chance_constraint(values, constraint.limit, at_most=constraint.upper,
                                   probability=constraint.on_share_of_days)  # fmt: skip
    else:
        judged = mean_constraint(values, constraint.limit, at_most=constraint.upper)
    return {"constraint": constraint.describe(), "verdict": judged.verdict, "value": judged.value, "low": judged.low,
            "high": judged.high, "days": judged.n_days, "sentence": judged.sentence(label, unit)}  # fmt: skip


def select(
    result: SearchResult,
    base: Scenario,
    *,
    executor: Executor | None = None,
    workers: int | None = None,
) -> Finalists:
    """Choose among the search's finalists (see the module docstring), simulating more days into its store."""
    from clinicsim.optimization.spec import spec_hash

    spec = result.spec
    chosen, feasible = finalists(result)
    guarantee = spec.guarantee
    label, unit = label_and_unit(guarantee.kpi, currency_of(base))
    store = ResultStore(result.store, StoreSpec(spec), [], spec_hash(spec, base), new=False)  # type: ignore[arg-type]
    try:
        with pool_for(executor, workers) as pool:
            plans = Plans(store, spec.search.days_per_plan)
            points = [plans.point(row["name"], _params(row), plan_scenario(spec, base, _params(row)))
                      for _, row in chosen.iterrows()]  # fmt: skip
            run = {"executor": pool, "workers": workers}
            selection, ocba = _compare(spec, _sample(spec, plans, points, run), len(points))
            best_index = selection.best if selection is not None else ocba.best if ocba is not None else 0
            best = points[best_index]
            _settle(spec, plans, best, run)
    finally:
        store.close()
    names = [p.name for p in points]
    outcome = selection.sentence(names, label, unit) if selection is not None else ocba
    sentence = _sentence(outcome, names, feasible, label)
    logger.info("selection among %d finalists: %s", len(points), sentence)
    table = verdicts(spec, read_days(result.store), [p.point for p in points], currency_of(base))
    return Finalists(chosen, feasible, selection, ocba, table, best.point, sentence)


def _compare(spec: OptimizeSpec, sample, k: int) -> tuple[Selection | None, OcbaResult | None]:
    """KN++ or OCBA among ``k`` finalists on the guarantee's KPI, as ``selection.procedure`` says (neither with
    one finalist)."""
    if k < 2:
        return None, None
    chosen, minimize, n0 = spec.selection, spec.guarantee.minimize, spec.search.days_per_plan
    if chosen.procedure == "ocba":
        budget = k * n0 + chosen.ocba_days
        return None, ocba_select(sample, k, n0=n0, budget_total=budget, per_round=k * KN_BATCH, minimize=minimize)
    selection = kn_select(sample, k, alpha=chosen.alpha, delta=chosen.delta, minimize=minimize, n0=n0,
                          max_per_system=chosen.max_days_per_plan, batch=KN_BATCH)  # fmt: skip
    return selection, None


def _share(p: float) -> str:
    """A probability as a percentage that never rounds up to a certainty ("over 99%")."""
    return "over 99%" if p > 0.99 else f"{math.floor(100 * p)}%"


def _sentence(outcome: str | OcbaResult | None, names: list[str], feasible: bool, label: str) -> str:
    """What the selection says, in words (KN++'s own sentence, OCBA's estimate, or a single finalist)."""
    if isinstance(outcome, str):
        said = outcome
    elif isinstance(outcome, OcbaResult):
        said = (f"{names[outcome.best]} has the best mean {label} among these {len(names)} after "
                f"{int(outcome.counts.sum()):,} days spread by OCBA; the estimated probability that it is the "
                f"best is at least {_share(outcome.apcs)} (an estimate from the normal approximation, not a "
                "guarantee).")  # fmt: skip
    else:
        said = f"{names[0]} is the only finalist: nothing to choose between."
    return said if feasible else f"No plan met the constraints on the search's days; these are the nearest. {said}"


def _settle(spec: OptimizeSpec, plans: Plans, best: SweepPoint, run: dict[str, Any]) -> None:
    """Double the chosen plan's days while one of its constraints is uncertain, up to the most days a plan gets."""
    cap = spec.selection.max_days_per_plan
    while True:
        days = read_days(plans.store.path, [best.point])
        mine = days[days["point"] == best.point]
        judged = verdicts(spec, days, [best.point])  # (the verdicts only; their words are said later)
        if not (judged["verdict"] == "uncertain").any() or len(mine) >= cap:
            return
        plans.run_days([best], {best.point: list(range(min(cap, 2 * len(mine))))}, StoreSpec(spec), **run)


def _params(row: pd.Series) -> dict[str, Any]:
    """A finalist's parameters, as its trial was given them."""
    return dict(row["params"])
