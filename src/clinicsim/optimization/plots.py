"""Figures of an optimization: where the evaluated plans lie on the objectives (the Pareto front, or a ranking with
one objective), and how the best feasible plan improved as the search spent its budget of simulated days.

Every plan is drawn from the search's days (its first ``search.days_per_plan`` simulated days, the same days for
every plan), so the plans are compared on equal footing, as the search compared them; the finalists' further
days from the selection are in the report's tables. The numbers behind the figures are ``summarize_plans``'s.
Each objective is taken in the direction the optimization file gives it. Every plot function takes the
``Optimization`` (``clinicsim.optimization.run.optimize``), draws on the ``ax`` it is given or on a new figure,
returns it, and never calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from clinicsim.metrics import lower_is_better
from clinicsim.optimization.search import constraint_value
from clinicsim.optimization.spec import base_params, plan_name
from clinicsim.statistics import t_interval
from clinicsim.sweep_plots import _format_axis, axis_label, front_axes

if TYPE_CHECKING:
    from clinicsim.optimization.run import Optimization

__all__ = [
    "convergence",
    "minimizes",
    "plot_convergence",
    "plot_pareto",
    "plot_ranking",
    "search_days",
    "summarize_plans",
]

FEASIBLE = "C0"
FINALIST = "C3"
INFEASIBLE = "0.6"
RANKED = 30
"""Most plans the ranking draws by default (the best ones; the finalists are always drawn)."""
LABELLED_FINALISTS = 8
"""Most finalists the Pareto figure names (the chosen plan is always named)."""


# -- the numbers ----------------------------------------------------------------------------------------------


def search_days(result: Optimization) -> pd.DataFrame:
    """The search's days: each evaluated plan's first ``search.days_per_plan`` simulated days (the store also holds
    the finalists' later days from the selection)."""
    return result.search.search_days()


def minimizes(result: Optimization, kpi: str) -> bool:
    """Whether lower is better for ``kpi`` here: its objective's direction, else the guarantee's, else the KPI's."""
    spec = result.spec
    for objective in [*spec.objectives, spec.guarantee]:
        if objective.kpi == kpi:
            return objective.minimize
    return lower_is_better(kpi)


def summarize_plans(result: Optimization, *, confidence: float = 0.95) -> pd.DataFrame:
    """One row per evaluated plan (index: the store's plan), on the search's days (``search_days``): name, the
    generation that first proposed it, trials (how often it was proposed), days, feasible (every constraint met on
    these days' point estimates, as the search judged it), today (the base scenario's own plan), finalist, chosen;
    per kept KPI its mean with ``_ci_low``, ``_ci_high`` (Student-t) and ``_n``; per constraint k,
    ``constraint_<k>_value`` (the share of days meeting the limit for a chance constraint, else the mean) and
    ``constraint_<k>_met``."""
    spec, search = result.spec, result.search
    trials = search.trials.dropna(subset=["plan"]) if len(search.trials) else pd.DataFrame(columns=["plan"])
    plans = trials.drop_duplicates("plan").astype({"plan": int}).set_index("plan")[["name", "generation"]]
    plans["trials"] = trials.groupby(trials["plan"].astype(int)).size()
    days = search_days(result)
    today = base_params(spec, result.base)
    today_name = plan_name(spec, today) if today is not None else None
    finalists = {int(p) for p in result.finalists.plans.index}
    rows = []
    for plan, row in plans.iterrows():
        mine = days[days["point"] == plan]
        out = {
            "plan": plan,
            "name": row["name"],
            "generation": int(row["generation"]),
            "trials": int(row["trials"]),
            "days": len(mine),
            "today": row["name"] == today_name,
            "finalist": plan in finalists,
            "chosen": plan == result.best,
        }
        met = []
        for k, constraint in enumerate(spec.constraints):
            values = mine[constraint.kpi].to_numpy(dtype=float)
            held = constraint_value(constraint, values) <= 0
            values = values[~np.isnan(values)]
            if constraint.on_share_of_days is not None:
                share = np.mean([constraint.holds(v) for v in values]) if len(values) else np.nan
                out[f"constraint_{k}_value"] = float(share)
            else:
                out[f"constraint_{k}_value"] = float(values.mean()) if len(values) else np.nan
            out[f"constraint_{k}_met"] = held
            met.append(held)
        out["feasible"] = all(met)
        for kpi in spec.kept_kpis:
            stat = t_interval(mine[kpi].to_numpy(dtype=float), confidence=confidence)
            out.update({kpi: stat.mean, f"{kpi}_ci_low": stat.low, f"{kpi}_ci_high": stat.high, f"{kpi}_n": stat.n})
        rows.append(out)
    return pd.DataFrame(rows).set_index("plan") if rows else pd.DataFrame()


def _plans(result: Optimization) -> pd.DataFrame:
    plans = summarize_plans(result)
    if plans.empty:
        raise ValueError("the search evaluated no plan: nothing to draw")
    return plans


def _better(result: Optimization, kpi: str) -> str:
    return "lower is better" if minimizes(result, kpi) else "higher is better"


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _errors(plans: pd.DataFrame, kpi: str) -> list[np.ndarray]:
    mean = plans[kpi].to_numpy(dtype=float)
    low = plans[f"{kpi}_ci_low"].to_numpy(dtype=float)
    high = plans[f"{kpi}_ci_high"].to_numpy(dtype=float)
    return [np.nan_to_num(mean - low), np.nan_to_num(high - mean)]


def _marked(ax: Axes, x: np.ndarray, y: np.ndarray, plans: pd.DataFrame) -> None:
    """Feasible plans filled, infeasible hollow; finalists ringed, the chosen plan a star."""
    feasible = plans["feasible"].to_numpy(dtype=bool)
    ax.scatter(x[feasible], y[feasible], s=30, color=FEASIBLE, zorder=3)
    ax.scatter(x[~feasible], y[~feasible], s=30, facecolors="none", edgecolors=INFEASIBLE, linewidths=1.2, zorder=3)
    finalist = plans["finalist"].to_numpy(dtype=bool)
    ax.scatter(x[finalist], y[finalist], s=170, facecolors="none", edgecolors=FINALIST, linewidths=1.6, zorder=4)
    chosen = plans["chosen"].to_numpy(dtype=bool)
    ax.scatter(x[chosen], y[chosen], s=260, marker="*", color=FINALIST, edgecolors="black", linewidths=0.6, zorder=5)


def _legend(ax: Axes, *, front: bool) -> None:
    handles = [
        Line2D([], [], linestyle="", marker="o", color=FEASIBLE, label="feasible on the search's days"),
        Line2D(
            [],
            [],
            linestyle="",
            marker="o",
            markerfacecolor="none",
            markeredgecolor=INFEASIBLE,
            label="infeasible (a constraint not met)",
        ),
        Line2D(
            [],
            [],
            linestyle="",
            marker="o",
            markersize=12,
            markerfacecolor="none",
            markeredgecolor=FINALIST,
            label="finalist",
        ),
        Line2D(
            [],
            [],
            linestyle="",
            marker="*",
            markersize=13,
            color=FINALIST,
            markeredgecolor="black",
            label="chosen plan",
        ),
    ]
    if front:
        handles.append(Line2D([], [], color=FINALIST, alpha=0.5, label="estimated Pareto front (feasible plans)"))
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.01), ncols=3, fontsize="small", frameon=False)


# -- the figures ------------------------------------------------------------------------------------------


def plot_pareto(result: Optimization, *, kpis: Sequence[str] | None = None, ax: Axes | None = None) -> Axes:
    """Every evaluated plan's means of two objectives (``kpis``; by default the first two) on the search's days,
    with 95% intervals: feasible plans filled, infeasible hollow, the search's estimated Pareto set joined by a
    line, the finalists ringed and the chosen plan a star (named, with the finalists when they are few). An arrow
    points to the better corner."""
    kpi_x, kpi_y = kpis if kpis is not None else [o.kpi for o in result.spec.objectives[:2]]
    if kpi_x == kpi_y:
        raise ValueError("a Pareto front needs two different objectives; with one, use plot_ranking")
    plans = _plans(result)
    ax = _axes(ax, (8, 5.8))
    x, y = plans[kpi_x].to_numpy(dtype=float), plans[kpi_y].to_numpy(dtype=float)
    ax.errorbar(
        x,
        y,
        xerr=_errors(plans, kpi_x),
        yerr=_errors(plans, kpi_y),
        fmt="none",
        ecolor="0.75",
        elinewidth=0.8,
        zorder=2,
    )
    front = plans.loc[plans.index.intersection(result.search.pareto().index)]
    if len(front) > 1:
        front = front.sort_values(kpi_x, ascending=minimizes(result, kpi_x))
        ax.step(front[kpi_x], front[kpi_y], where="post", color=FINALIST, linewidth=1, alpha=0.5, zorder=2)
    _marked(ax, x, y, plans)
    named = plans[plans["chosen"] | (plans["finalist"] & (plans["finalist"].sum() <= LABELLED_FINALISTS))]
    for _, row in named.iterrows():
        ax.annotate(
            row["name"],
            (row[kpi_x], row[kpi_y]),
            xytext=(7, 5),
            textcoords="offset points",
            fontsize="small",
            color=FINALIST,
            fontweight="bold" if row["chosen"] else "normal",
            zorder=6,
        )
    front_axes(ax, kpi_x, kpi_y, minimizes(result, kpi_x), minimizes(result, kpi_y))
    _legend(ax, front=len(front) > 1)
    return ax


def plot_ranking(
    result: Optimization, *, kpi: str | None = None, top: int | None = RANKED, ax: Axes | None = None
) -> Axes:
    """The evaluated plans ranked by ``kpi`` (by default the first objective) on the search's days, best at the
    top, each mean with its 95% interval: feasible plans filled, infeasible hollow, finalists ringed (and their
    names in red), the chosen plan a star. ``top``: how many of the best plans to draw (None: all; the finalists
    are always drawn)."""
    kpi = kpi or result.spec.objectives[0].kpi
    plans = _plans(result).sort_values(kpi, ascending=minimizes(result, kpi), na_position="last")
    if top is not None and len(plans) > top:
        rank = np.arange(len(plans))
        plans = plans[(rank < top) | plans["finalist"].to_numpy(dtype=bool)]
    ax = _axes(ax, (8, 1.6 + 0.3 * len(plans)))
    rows = np.arange(len(plans), dtype=float)
    mean = plans[kpi].to_numpy(dtype=float)
    ax.errorbar(mean, rows, xerr=_errors(plans, kpi), fmt="none", ecolor="0.6", capsize=3, elinewidth=1, zorder=2)
    _marked(ax, mean, rows, plans)
    ax.set_yticks(rows, list(plans["name"]))
    for label, finalist in zip(ax.get_yticklabels(), plans["finalist"]):
        if finalist:
            label.set_color(FINALIST)
    ax.set_ylim(len(plans) - 0.5, -0.5)  # the best at the top
    ax.set_xlabel(f"{axis_label(kpi)}, {_better(result, kpi)}")
    _format_axis(ax.xaxis, kpi)
    ax.grid(axis="x", color="0.92")
    ax.set_axisbelow(True)
    _legend(ax, front=False)
    return ax


def convergence(result: Optimization, kpi: str | None = None) -> pd.DataFrame:
    """Per generation of the search: new plans, days spent so far (the search's days of every plan evaluated up
    to it; a plan proposed again costs nothing) and the best mean of ``kpi`` (by default the first objective)
    among the plans feasible so far (NaN while none is)."""
    kpi = kpi or result.spec.objectives[0].kpi
    plans = summarize_plans(result)
    if plans.empty:
        return pd.DataFrame(columns=["generation", "new_plans", "days_spent", "best"])
    rows, best = [], np.nan
    better = np.nanmin if minimizes(result, kpi) else np.nanmax
    for generation in range(int(result.search.trials["generation"].max()) + 1):
        new = plans[plans["generation"] == generation]
        feasible = new.loc[new["feasible"], kpi].to_numpy(dtype=float)
        if len(feasible) and not np.all(np.isnan(feasible)):
            best = float(better([best, *feasible]))
        spent = int(plans.loc[plans["generation"] <= generation, "days"].sum())
        rows.append({"generation": generation, "new_plans": len(new), "days_spent": spent, "best": best})
    return pd.DataFrame(rows)


def plot_convergence(result: Optimization, *, kpi: str | None = None, ax: Axes | None = None) -> Axes:
    """The best mean of ``kpi`` (by default the first objective) among the feasible plans evaluated so far,
    against the simulated days the search had spent, one step per generation; behind it every plan's mean at the
    days spent when it was evaluated (feasible filled, infeasible hollow), and the budget dashed."""
    kpi = kpi or result.spec.objectives[0].kpi
    plans = _plans(result)
    steps = convergence(result, kpi)
    spent = steps.set_index("generation")["days_spent"]
    ax = _axes(ax, (8, 4.2))
    x = spent.reindex(plans["generation"]).to_numpy(dtype=float)
    y = plans[kpi].to_numpy(dtype=float)
    feasible = plans["feasible"].to_numpy(dtype=bool)
    ax.scatter(x[feasible], y[feasible], s=18, color=FEASIBLE, alpha=0.45, zorder=2)
    ax.scatter(x[~feasible], y[~feasible], s=18, facecolors="none", edgecolors=INFEASIBLE, zorder=2)
    ax.step(steps["days_spent"], steps["best"], where="post", color=FINALIST, linewidth=1.8, zorder=3)
    ax.plot(steps["days_spent"], steps["best"], "o", color=FINALIST, markersize=5, zorder=4)
    budget = result.spec.search.budget_days
    ax.axvline(budget, color="0.45", linestyle="--", linewidth=1, zorder=1)
    ax.set_xlim(0, budget * 1.03)
    ax.set_xlabel("Simulated days spent by the search")
    ax.set_ylabel(f"{axis_label(kpi)}, {_better(result, kpi)}")
    _format_axis(ax.yaxis, kpi)
    ax.grid(color="0.92")
    ax.set_axisbelow(True)
    handles = [
        Line2D([], [], color=FINALIST, marker="o", label="best feasible plan so far (after each generation)"),
        Line2D([], [], linestyle="", marker="o", color=FEASIBLE, alpha=0.45, label="a feasible plan"),
        Line2D(
            [],
            [],
            linestyle="",
            marker="o",
            markerfacecolor="none",
            markeredgecolor=INFEASIBLE,
            label="an infeasible plan",
        ),
        Line2D([], [], color="0.45", linestyle="--", label=f"budget ({budget:,} days)"),
    ]
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.01), ncols=2, fontsize="small", frameon=False)
    return ax
