"""Sweep analysis: point means, factor levels, main effects, two-factor tables and the Pareto front.

A sweep runs many plans (points); each point's KPI is summarised by its mean over that point's simulated days.
These pure functions work on those point means (the long per-point table of ``SweepResults.points()``, or the
results themselves) and return DataFrames; ``sweep_plots`` draws them and the sweep report tabulates them.

- **main effects**: for each factor, the KPI's mean over all points at each level of the factor, with a Student-t
  interval from the spread of those point means (so it holds the other factors' effects as well as simulation
  noise: a level whose interval is wide depends strongly on the other settings);
- **factor table**: the KPI over two factors, averaged over every other factor;
- **Pareto front**: the plans that no other plan beats on two KPIs at once (e.g. lower provider wait *and*
  higher margin), each KPI taken in the direction its ``Metric`` declares.

A factor with more than ``MAX_LEVELS`` numeric values (a Latin-hypercube sample) is cut into quartile bins;
settings that are mappings (``{kind: bailey_welch, k: 2}``) are written ``kind=bailey_welch, k=2``; a point
that leaves a factor at the base scenario's value shows it as ``(base)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from clinicsim.metrics import is_kpi_name, lower_is_better
from clinicsim.statistics import t_interval

MAX_LEVELS = 8
"""A numeric factor with more distinct values than this is shown in quartile bins."""

SUMMARY_COLUMNS = ("point", "name", "kpi", "label", "unit", "mean", "sd", "n", "ci_low", "ci_high", "half_width")
"""Columns of ``SweepResults.points()`` that are not factors."""

BASE_LEVEL = "(base)"
"""Level label of a point that leaves the factor at the base scenario's value (``design: points``)."""

# -- the per-point table ----------------------------------------------------------------------------------


def points_table(results) -> pd.DataFrame:
    """The long per-point table (one row per point and KPI) of a SweepResults, or the table itself."""
    frame = results if isinstance(results, pd.DataFrame) else results.points()
    missing = {"point", "kpi", "mean"} - set(frame.columns)
    if missing and not frame.empty:
        raise ValueError(f"expected the per-point table of SweepResults.points(); missing {sorted(missing)}")
    return frame


_WIDE_SUFFIXES = ("_ci_low", "_ci_high", "_n")


def factor_columns(points: pd.DataFrame) -> list[str]:
    """The factor columns (dotted paths) of a per-point table, long or wide, in the sweep's order."""
    kpis = set(points["kpi"]) if "kpi" in points.columns else None

    def known(name: str) -> bool:
        return name in kpis if kpis is not None else is_kpi_name(name)

    def is_kpi(column: str) -> bool:
        return known(column) or any(column.endswith(s) and known(column[: -len(s)]) for s in _WIDE_SUFFIXES)

    return [c for c in points.columns if c not in SUMMARY_COLUMNS and not is_kpi(c)]


def require_kpi(frame: pd.DataFrame, kpi: str) -> None:
    """Raise a ValueError naming the kept KPIs unless the per-point table holds ``kpi``."""
    kept = set(frame["kpi"]) if "kpi" in frame.columns else set()
    if kpi not in kept:
        raise ValueError(f"KPI {kpi!r} is not in these results (kept: {', '.join(sorted(kept)) or 'none yet'})")


def point_means(points: pd.DataFrame, kpis: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per point: point, name, factor values and each KPI's mean over the point's replications, with
    ``<kpi>_ci_low``, ``<kpi>_ci_high`` and ``<kpi>_n`` beside it."""
    factors = factor_columns(points)
    kpis = list(dict.fromkeys(points["kpi"])) if kpis is None else list(kpis)
    out = points.drop_duplicates("point")[["point", "name", *factors]].set_index("point")
    long = points[points["kpi"].isin(kpis)]
    for column, suffix in (("mean", ""), ("ci_low", "_ci_low"), ("ci_high", "_ci_high"), ("n", "_n")):
        wide = long.pivot(index="point", columns="kpi", values=column).reindex(columns=kpis)
        out = out.join(wide.add_suffix(suffix))
    ordered = [c for k in kpis for c in (k, *(k + s for s in _WIDE_SUFFIXES))]
    return out.reset_index()[["point", "name", *factors, *ordered]]


# -- factor levels ----------------------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _numeric(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def format_level(value: Any) -> str:
    """A factor's value as a short label: 8, 0.25, "kind=bailey_welch, k=2", "(base)" for an unset value."""
    if _missing(value):
        return BASE_LEVEL
    if isinstance(value, dict):
        return ", ".join(f"{k}={format_level(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_level(v) for v in value) + "]"
    if _numeric(value):
        return str(int(value)) if float(value).is_integer() else f"{float(value):.4g}"
    return str(value)


def factor_levels(values: pd.Series, *, max_levels: int = MAX_LEVELS) -> pd.Series:
    """Each point's level of a factor as an ordered categorical of labels: numeric levels in increasing order,
    others in order of first appearance, ``(base)`` first; more than ``max_levels`` numeric values are cut into
    quartile bins labelled "low to high"."""
    present = [v for v in values if not _missing(v)]
    has_base = len(present) < len(values)
    numeric = bool(present) and all(_numeric(v) for v in present)
    if numeric and len(set(present)) > max_levels:
        as_float = pd.to_numeric(values, errors="coerce")
        bins = pd.qcut(as_float, q=4, duplicates="drop")
        spans = as_float.groupby(bins, observed=True).agg(["min", "max"])  # label bins by the values inside
        names = {b: f"{format_level(lo)} to {format_level(hi)}" for b, (lo, hi) in spans.iterrows()}
        labels = [BASE_LEVEL if _missing(b) else names[b] for b in bins]
        order = ([BASE_LEVEL] if has_base else []) + list(names.values())
    else:
        labels = [format_level(v) for v in values]
        seen = sorted(set(present), key=float) if numeric else present
        order = ([BASE_LEVEL] if has_base else []) + list(dict.fromkeys(format_level(v) for v in seen))
    return pd.Series(pd.Categorical(labels, categories=order, ordered=True), index=values.index, name=values.name)


def varying_factors(points: pd.DataFrame) -> list[str]:
    """Factors that take more than one level among the points."""
    return [f for f in factor_columns(points) if factor_levels(points.drop_duplicates("point")[f]).nunique() > 1]


def main_effects(results, kpi: str, *, confidence: float = 0.95) -> pd.DataFrame:
    """Per factor (that varies) and level: the mean of the KPI's point means over the points at that level, their
    sd, the number of points ``n`` and a Student-t interval (none from a single point)."""
    frame = points_table(results)
    require_kpi(frame, kpi)
    wide = point_means(frame, [kpi])
    rows = []
    for factor in varying_factors(frame):
        levels = factor_levels(wide[factor])
        for level, group in wide.groupby(levels, observed=True, sort=True):
            mean, sd, n, half = t_interval(group[kpi].to_numpy(dtype=float), confidence=confidence)
            rows.append(
                {"factor": factor, "level": level, "mean": mean, "sd": sd, "n": n}
                | {"ci_low": mean - half, "ci_high": mean + half}
            )
    return pd.DataFrame(rows, columns=["factor", "level", "mean", "sd", "n", "ci_low", "ci_high"])


def factor_table(results, kpi: str, x: str, y: str) -> pd.DataFrame:
    """The KPI's mean over the points at each (y level, x level), averaged over every other factor: rows are the
    levels of ``y``, columns those of ``x`` (NaN where no point has finished)."""
    frame = points_table(results)
    require_kpi(frame, kpi)
    factors = factor_columns(frame)
    for factor in (x, y):
        if factor not in factors:
            raise ValueError(f"{factor!r} is not a factor of this sweep (factors: {', '.join(factors)})")
    if x == y:
        raise ValueError("the heatmap needs two different factors")
    wide = point_means(frame, [kpi])
    table = (
        pd.DataFrame({"x": factor_levels(wide[x]), "y": factor_levels(wide[y]), "v": wide[kpi]})
        .groupby(["y", "x"], observed=False)["v"]
        .mean()
        .unstack("x")
    )
    table.index.name, table.columns.name = y, x
    return table


# -- the Pareto front -------------------------------------------------------------------------------------


def pareto_front(points_df: pd.DataFrame, kpi_x: str, kpi_y: str) -> pd.DataFrame:
    """The points no other point dominates on the two KPIs, each KPI in its own direction (``lower_is_better``).

    A point dominates another when it is at least as good on both KPIs and strictly better on one; points equal
    on both are all kept, and points missing either KPI are left out. ``points_df`` is the long per-point table
    of ``SweepResults.points()`` or a wide one with a row per point and a column per KPI. Returns one row per
    front point (point, name, factors, the two KPIs' means, with their ``_ci_low``/``_ci_high``/``_n`` when the
    table has them), ordered from the best value of ``kpi_x`` to the worst.
    """
    if "kpi" in points_df.columns:
        require_kpi(points_df, kpi_x)
        require_kpi(points_df, kpi_y)
        wide = point_means(points_df, list(dict.fromkeys([kpi_x, kpi_y])))
    else:
        wide = points_df.reset_index(drop=True)
        for kpi in (kpi_x, kpi_y):
            if kpi not in wide.columns:
                raise ValueError(f"no column {kpi!r} in the points table")
    x = wide[kpi_x].to_numpy(dtype=float) * (1 if lower_is_better(kpi_x) else -1)
    y = wide[kpi_y].to_numpy(dtype=float) * (1 if lower_is_better(kpi_y) else -1)
    finite = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    order = finite[np.lexsort((y[finite], x[finite]))]  # both now "lower is better": by x, then y
    keep: list[int] = []
    best_y = math.inf  # the lowest y of every point with a strictly lower x
    start = 0
    while start < len(order):
        end = start
        while end < len(order) and x[order[end]] == x[order[start]]:
            end += 1
        group = order[start:end]
        lowest = y[group].min()
        if lowest < best_y:
            keep += [i for i in group if y[i] == lowest]
            best_y = lowest
        start = end
    return wide.iloc[keep].reset_index(drop=True)
