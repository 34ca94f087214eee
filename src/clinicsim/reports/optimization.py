"""The report of an optimization (``clinicsim optimize``): one self-contained HTML file, plus CSVs of its tables.

It leads with the answer: what the selection guarantees in words ("Plan 17 is the best on overtime among these 12
with probability at least 95% unless another is within 5 minutes"), the chosen plan's constraint verdicts (met,
not met, or uncertain, which is written as not established and never as met), the settings it changes against the
base scenario (the comparison report's scenario diff, ``reports.comparison.scenario_diff``) and its KPIs with 95%
intervals on all its days. Then the finalists side by side with their verdicts and what KN++ did with each; where
the evaluated plans lie on the objectives (the Pareto front, or a ranking with one objective) and how the best
feasible plan improved as the search spent its budget (``optimization.plots``, embedded as PNG, so the file needs
no network); how many simulated days each plan got and why; every evaluated plan; what was searched; and how to
read the numbers.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from clinicsim import __version__
from clinicsim.formatting import format_interval, format_value, unit_label
from clinicsim.metrics import find_metric
from clinicsim.optimization import plots
from clinicsim.optimization.search import read_days
from clinicsim.optimization.select import KN_BATCH, label_and_unit
from clinicsim.optimization.spec import Constraint, Variable, base_params, plan_scenario
from clinicsim.optimization.variables import number_text, value_label
from clinicsim.reports.comparison import scenario_diff
from clinicsim.reports.page import Figure, html_template, png_data_uri

if TYPE_CHECKING:
    from clinicsim.optimization.run import Optimization

logger = logging.getLogger(__name__)

__all__ = ["VERDICT_WORDS", "constraint_words", "render_optimization_report", "write_optimization_report"]

VERDICT_WORDS = {"met": "met", "not met": "not met", "uncertain": "uncertain: not established"}
"""How a constraint's verdict is written in the tables: an uncertain one never reads as met."""

REPORT_NAME = "optimization_report.html"


# -- words and numbers ----------------------------------------------------------------------------------------


def _kpi(kpi: str, currency: str) -> dict[str, str]:
    """A KPI's label, unit (as written after a number) and definition."""
    metric = find_metric(kpi)
    if metric is None:
        return {"kpi": kpi, "label": kpi, "unit": "", "raw_unit": "", "definition": ""}
    return {
        "kpi": kpi,
        "label": metric.label,
        "unit": unit_label(metric.unit, currency),
        "raw_unit": metric.unit,
        "definition": metric.definition,
    }


def _unit(kpi: str) -> str:
    metric = find_metric(kpi)
    return metric.unit if metric else ""


def _mean_and_interval(row: pd.Series | dict, kpi: str, *, prefix: str = "") -> tuple[str, str]:
    """(mean, "low to high") of ``kpi`` from a row with ``<kpi>``, ``<kpi>_ci_low`` and ``<kpi>_ci_high``."""
    unit = _unit(kpi)
    return (
        format_value(row[f"{prefix}{kpi}"], unit),
        format_interval(row[f"{prefix}{kpi}_ci_low"], row[f"{prefix}{kpi}_ci_high"], unit),
    )


def _share(value: float) -> str:
    return "-" if value is None or math.isnan(value) else f"{100 * value:.0f}%"


def _constraint_value(constraint: Constraint, value: float) -> str:
    """A plan's standing on a constraint: the share of days meeting the limit, or the mean."""
    if constraint.on_share_of_days is not None:
        return f"{_share(value)} of days"
    unit = _unit(constraint.kpi)
    return f"mean {format_value(value, unit)} {unit_label(unit)}".rstrip()


def constraint_words(constraint: Constraint) -> str:
    """A constraint as a table header reads it: "Provider overtime, mean ≤ 60 min on at least 50% of days"."""
    label, unit = label_and_unit(constraint.kpi)
    limit = f"{number_text(constraint.limit)} {unit_label(unit)}".rstrip()
    said = f"{label[:1].upper()}{label[1:]} {'≤' if constraint.upper else '≥'} {limit}"
    if constraint.on_share_of_days is None:
        return f"{said} on the mean over days"
    return f"{said} on at least {constraint.on_share_of_days:.0%} of days"


def _verdict_cell(constraint: Constraint, verdict: pd.Series) -> dict[str, str]:
    """A constraint's verdict for a table: its words, the estimate with its interval, and a class for its colour."""
    if constraint.on_share_of_days is not None:
        interval = f"{_share(verdict['low'])} to {_share(verdict['high'])}"
        estimate = (
            f"{_share(verdict['value'])} of {verdict['days']} days (95% CI {interval}; "
            f"{constraint.on_share_of_days:.0%} required)"
        )
    else:
        unit = _unit(constraint.kpi)
        interval = format_interval(verdict["low"], verdict["high"], unit)
        estimate = (
            f"mean {format_value(verdict['value'], unit)} (95% CI {interval}; limit {number_text(constraint.limit)})"
        )
    return {
        "words": VERDICT_WORDS[verdict["verdict"]],
        "estimate": estimate,
        "class": verdict["verdict"].replace(" ", "-"),
    }


def _domain(variable: Variable) -> str:
    if variable.kind == "categorical":
        values = variable.values or []
        labels = variable.labels or [value_label(v) for v in values]
        return ", ".join(labels)
    low, high = variable.bounds
    step = "continuous" if variable.step is None else f"step {number_text(variable.step)}"
    return f"{number_text(low)} to {number_text(high)} ({step})"


# -- the parts of the report ------------------------------------------------------------------------------


def _chosen_section(result: Optimization, plans: pd.DataFrame, stored: pd.Series, currency: str) -> dict[str, Any]:
    """The answer: the chosen plan, its verdicts, what it changes against the base and its KPIs."""
    spec, finalists = result.spec, result.finalists
    best = result.best
    params = dict(finalists.plans.loc[best, "params"])
    changes = [row for row in scenario_diff(result.base, plan_scenario(spec, result.base, params)) if row[0] != "name"]
    verdicts = finalists.verdicts[finalists.verdicts["plan"] == best]
    summary = result.summary()
    mine = summary[summary["plan"] == best].set_index("kpi") if len(summary) else pd.DataFrame()
    today = plans.index[plans["today"]]
    today_plan = int(today[0]) if len(today) and int(today[0]) != best else None
    kpi_rows = []
    for kpi in spec.kept_kpis:
        row: dict[str, Any] = {**_kpi(kpi, currency), "mean": "-", "interval": "-", "days": 0, "today": None}
        if kpi in mine.index:
            stat = mine.loc[kpi]
            row.update(
                mean=format_value(stat["mean"], _unit(kpi)),
                interval=format_interval(stat["ci_low"], stat["ci_high"], _unit(kpi)),
                days=int(stat["n"]),
            )
        if today_plan is not None and today_plan in finalists.plans.index:  # a finalist: all its days
            stat = summary[summary["plan"] == today_plan].set_index("kpi").loc[kpi]
            row["today"] = {
                "mean": format_value(stat["mean"], _unit(kpi)),
                "days": int(stat["n"]),
                "interval": format_interval(stat["ci_low"], stat["ci_high"], _unit(kpi)),
            }
        elif today_plan is not None:  # the search's days
            mean, interval = _mean_and_interval(plans.loc[today_plan], kpi)
            row["today"] = {"mean": mean, "interval": interval, "days": int(plans.at[today_plan, f"{kpi}_n"])}
        kpi_rows.append(row)
    return {
        "name": finalists.plans.loc[best, "name"],
        "plan": best,
        "sentence": finalists.sentence,
        "feasible": finalists.feasible,
        "guaranteed": finalists.selection is None or finalists.selection.guaranteed,
        "verdicts": [
            {"sentence": v["sentence"], "class": v["verdict"].replace(" ", "-")} for _, v in verdicts.iterrows()
        ],
        "uncertain": int((verdicts["verdict"] == "uncertain").sum()),
        "not_met": int((verdicts["verdict"] == "not met").sum()),
        "changes": changes,
        "days": int(stored.get(best, 0)),
        "kpis": kpi_rows,
        "today_name": plans.at[today_plan, "name"] if today_plan is not None else None,
    }


def _kn_outcomes(result: Optimization) -> dict[int, str]:
    """What KN++ did with each finalist."""
    selection, cap = result.finalists.selection, result.spec.selection.max_days_per_plan
    outcomes = {}
    for i, plan in enumerate(result.finalists.plans.index):
        plan = int(plan)
        if selection is None:
            outcomes[plan] = "the only finalist: nothing to choose between"
        elif plan == result.best:
            outcomes[plan] = (
                "chosen"
                if selection.guaranteed
                else f"chosen on the best mean so far, not guaranteed: still in contention at the cap of {cap:,} days"
            )
        elif selection.eliminated_after[i] is not None:
            outcomes[plan] = f"eliminated after {selection.eliminated_after[i]:,} days"
        else:
            outcomes[plan] = f"survivor: still in contention at the cap of {cap:,} days"
    return outcomes


def _finalist_rows(result: Optimization, stored: pd.Series) -> list[dict[str, Any]]:
    spec, finalists = result.spec, result.finalists
    summary = result.summary()
    outcomes = _kn_outcomes(result)
    rows = []
    for plan, finalist in finalists.plans.iterrows():
        plan = int(plan)
        mine = summary[summary["plan"] == plan].set_index("kpi")
        cells = []
        for kpi in spec.kept_kpis:
            if kpi in mine.index:
                stat = mine.loc[kpi]
                cells.append(
                    (
                        format_value(stat["mean"], _unit(kpi)),
                        format_interval(stat["ci_low"], stat["ci_high"], _unit(kpi)),
                    )
                )
            else:
                cells.append(("-", "-"))
        judged = finalists.verdicts[finalists.verdicts["plan"] == plan].set_index("constraint")
        verdicts = [_verdict_cell(c, judged.loc[c.describe()]) for c in spec.constraints]
        rows.append(
            {
                "plan": plan,
                "name": finalist["name"],
                "chosen": plan == result.best,
                "days": int(stored.get(plan, 0)),
                "cells": cells,
                "verdicts": verdicts,
                "outcome": outcomes[plan],
            }
        )
    return rows


def _days_section(result: Optimization, plans: pd.DataFrame, stored: pd.Series) -> dict[str, Any]:
    """How many simulated days each plan got and why: the search's, KN++'s and the settling of the chosen plan's
    uncertain constraints; with the totals."""
    spec, finalists = result.spec, result.finalists
    selection, cap = finalists.selection, spec.selection.max_days_per_plan
    per_plan = spec.search.days_per_plan
    outcomes = _kn_outcomes(result)
    rows = []
    kn_total = settle_total = 0
    for i, plan in enumerate(finalists.plans.index):
        plan = int(plan)
        search = int(plans.at[plan, "days"]) if plan in plans.index else 0
        kn = int(selection.replications[i]) if selection is not None else search
        total = int(stored.get(plan, 0))
        kn_extra, settle = max(0, kn - search), max(0, total - max(kn, search))
        kn_total += kn_extra
        settle_total += settle
        why = [f"{search:,} days in the search, as every plan"]
        if selection is not None:
            why.append(f"KN++ ran it to {kn:,} days ({outcomes[plan]})")
        if settle:
            uncertain = finalists.verdicts[
                (finalists.verdicts["plan"] == plan) & (finalists.verdicts["verdict"] == "uncertain")
            ]
            capped = len(uncertain) and total >= cap
            still = f"; the cap of {cap:,} days reached with {len(uncertain)} still uncertain" if capped else ""
            why.append(f"{settle:,} more to settle its uncertain constraints (days doubled up to {cap:,}){still}")
        rows.append(
            {
                "plan": plan,
                "name": finalists.plans.loc[plan, "name"],
                "search": search,
                "kn": kn_extra,
                "settle": settle,
                "total": total,
                "why": "; ".join(why),
            }
        )
    trials = result.search.trials
    invalid = trials[trials["plan"].isna()] if len(trials) else trials
    search_total = int(plans["days"].sum()) if len(plans) else 0
    return {
        "rows": rows,
        "per_plan": per_plan,
        "plans": len(plans),
        "trials": len(trials),
        "repeated": len(trials) - len(invalid) - len(plans),
        "invalid": [
            {"trial": int(t["trial"]), "name": t["name"], "problem": t["problem"]} for _, t in invalid.iterrows()
        ],
        "search": search_total,
        "budget": spec.search.budget_days,
        "kn": kn_total,
        "settle": settle_total,
        "total": int(stored.sum()),
        "cap": cap,
        "n0": per_plan,
        "batch": KN_BATCH,
        "ranked": selection is not None,
    }


def _plan_rows(result: Optimization, plans: pd.DataFrame) -> list[dict[str, Any]]:
    spec = result.spec
    rows = []
    for plan, row in plans.sort_index().iterrows():
        marks = ["chosen" if row["chosen"] else "finalist" if row["finalist"] else ""]
        marks += ["today's plan"] if row["today"] else []
        rows.append(
            {
                "plan": int(plan),
                "name": row["name"],
                "generation": int(row["generation"]) + 1,
                "trials": int(row["trials"]),
                "days": int(row["days"]),
                "feasible": bool(row["feasible"]),
                "marks": ", ".join(m for m in marks if m),
                "objectives": [_mean_and_interval(row, o.kpi) for o in spec.objectives],
                "constraints": [
                    (_constraint_value(c, row[f"constraint_{k}_value"]), bool(row[f"constraint_{k}_met"]))
                    for k, c in enumerate(spec.constraints)
                ],
            }
        )
    return rows


def _question(result: Optimization, currency: str) -> dict[str, Any]:
    """What was searched: the variables with today's values, the objectives and the constraints."""
    spec, base = result.spec, result.base
    today = base_params(spec, base)
    variables = []
    for variable in spec.variables:
        now = value_label(variable.value(today[variable.path])) if today is not None else "(outside the domain)"
        variables.append(
            {
                "path": variable.path,
                "name": variable.short_name,
                "kind": variable.kind,
                "domain": _domain(variable),
                "today": now,
            }
        )
    objectives = [{**_kpi(o.kpi, currency), "direction": o.direction} for o in spec.objectives]
    constraints = [
        {
            **_kpi(c.kpi, currency),
            "words": constraint_words(c),
            "spec": c.describe(),
            "kind": "chance (share of days)" if c.on_share_of_days is not None else "on the mean over days",
        }
        for c in spec.constraints
    ]
    return {
        "variables": variables,
        "objectives": objectives,
        "constraints": constraints,
        "size": spec.size,
        "today_in_space": today is not None,
    }


def _figures(result: Optimization) -> tuple[list[Figure], list[Figure]]:
    """The front (or ranking) figure, and one convergence figure per objective."""
    spec = result.spec
    days = spec.search.days_per_plan
    objectives = [o.kpi for o in spec.objectives]
    if len(objectives) >= 2:
        more = f" Drawn on the first two of the {len(objectives)} objectives." if len(objectives) > 2 else ""
        x, y = (label_and_unit(k)[0] for k in objectives[:2])
        front = Figure(
            f"Pareto front: {x} against {y}",
            f"Each marker is an evaluated plan: its means over the search's {days} simulated days (the same days for "
            "every plan), with 95% intervals. Filled: feasible on those days; hollow: a constraint not met. The line "
            "joins the search's estimated Pareto set (the feasible plans no other feasible plan beats on every "
            "objective); ringed: the finalists; the star: the chosen plan. The finalists' later days are in the "
            "tables." + more,
            png_data_uri(plots.plot_pareto(result)),
        )
    else:
        label = label_and_unit(objectives[0])[0]
        front = Figure(
            f"Plans ranked by {label}",
            f"Each row is an evaluated plan: its mean over the search's {days} simulated days (the same days for "
            "every plan) with its 95% interval, the best at the top. Filled: feasible on those days; hollow: a "
            "constraint not met. Ringed, and named in red: the finalists; the star: the chosen plan. The "
            f"finalists' later days are in the tables. At most the best {plots.RANKED} plans and the finalists "
            "are drawn.",
            png_data_uri(plots.plot_ranking(result, top=plots.RANKED)),
        )
    convergence = [
        Figure(
            f"Convergence: {label_and_unit(kpi)[0]}",
            f"The best mean of {label_and_unit(kpi)[0]} among the feasible plans evaluated so far, after each "
            f"generation, against the simulated days the search had spent ({days} per new plan; a plan proposed "
            "again costs nothing). Behind it, every plan at the days spent when it was evaluated. A line that has "
            "flattened well before the budget says more search would likely find little better.",
            png_data_uri(plots.plot_convergence(result, kpi=kpi)),
        )
        for kpi in objectives
    ]
    return [front], convergence


def render_optimization_report(result: Optimization) -> str:
    """The optimization report as one self-contained HTML document (see the module docstring)."""
    spec = result.spec
    currency = result.base.finance.currency if result.base.finance else ""
    plans = plots.summarize_plans(result)
    stored = read_days(result.search.store).groupby("point").size()
    front, convergence = _figures(result)
    label, unit = label_and_unit(spec.guarantee.kpi)
    others = [o.kpi for o in spec.objectives if o.kpi != spec.guarantee.kpi]
    front_finalists = (
        spec.selection.finalists == "pareto" and result.finalists.feasible and len(result.finalists.plans) > 1
    )
    return html_template("optimization_report.html.j2").render(
        title=spec.name,
        description=spec.description,
        version=__version__,
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        spec=spec,
        base_name=result.base.name,
        base_path=result.base_path.name,
        store=str(result.search.store),
        chosen=_chosen_section(result, plans, stored, currency),
        kpis=[_kpi(k, currency) for k in spec.kept_kpis],
        constraints=[constraint_words(c) for c in spec.constraints],
        finalist_rows=_finalist_rows(result, stored),
        front=front,
        convergence=convergence,
        days=_days_section(result, plans, stored),
        objectives=[_kpi(o.kpi, currency) for o in spec.objectives],
        plan_rows=_plan_rows(result, plans),
        question=_question(result, currency),
        guarantee={
            "label": label,
            "unit": unit,
            "alpha": spec.selection.alpha,
            "delta": number_text(spec.selection.delta),
            "confidence": f"{1 - spec.selection.alpha:.0%}",
        },
        files=[p.name for p in result.files],
        others=_listing([label_and_unit(k)[0] for k in others]) if front_finalists else "",
        others_count=len(others),
    )


def _listing(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


def write_optimization_report(result: Optimization, out: str | Path) -> Path:
    """Write ``optimization_report.html`` into the directory ``out``, with ``plans.csv`` (every evaluated plan on
    the search's days), ``finalists.csv`` (each finalist's KPIs on all its days, ``Optimization.summary``) and
    ``verdicts.csv`` (every finalist's constraint verdicts); return the report's path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plots.summarize_plans(result).to_csv(out / "plans.csv")
    result.summary().to_csv(out / "finalists.csv", index=False)
    result.finalists.verdicts.to_csv(out / "verdicts.csv", index=False)
    path = out / REPORT_NAME
    path.write_text(render_optimization_report(result), encoding="utf-8")
    logger.info("optimization report written to %s", path)
    return path
