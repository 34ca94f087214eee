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
that leaves a factor at the base scenario's value shows it as ``(base)``. A factor whose list or mapping levels
are too long to read on an axis gets short labels (each mapping's ``name``, else A, B, C, ...; ``level_legend``
gives the full values), in the design's order (``label_levels``). Points are labelled by their names where the
sweep names them, else ``P`` and their number (``point_labels``), and ranked by a KPI (``ranked_points``).
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

MAX_LABEL_CHARS = 24
"""A list or mapping level written longer than this (in characters) gets a short label."""

# -- the per-point table ----------------------------------------------------------------------------------


def points_table(results) -> pd.DataFrame:
    """The long per-point table (one row per point and KPI) of a SweepResults, or the table itself, with short
    labels for long list and mapping levels (``label_levels``; a SweepResults' over its whole design)."""
    frame = results if isinstance(results, pd.DataFrame) else results.points()
    missing = {"point", "kpi", "mean"} - set(frame.columns)
    if missing and not frame.empty:
        raise ValueError(f"expected the per-point table of SweepResults.points(); missing {sorted(missing)}")
    if frame.empty:
        return frame
    return label_levels(frame, None if isinstance(results, pd.DataFrame) else results.point_table())


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


def _letters(k: int) -> str:
    """The ``k``-th generated label (from 0): A, B, ..., Z, AA, AB, ..."""
    return (_letters(k // 26 - 1) if k >= 26 else "") + chr(ord("A") + k % 26)


def level_legend(values: pd.Series) -> dict[str, str]:
    """Short labels of a factor's list and mapping levels, keyed by their full text (``format_level``), when any
    of them is longer than ``MAX_LABEL_CHARS``: each mapping's ``name`` when every such level has its own, else
    A, B, C, ... in order of first appearance. Empty when every level reads well as it is."""
    compound = {format_level(v): v for v in values if isinstance(v, dict | list | tuple)}
    if all(len(text) <= MAX_LABEL_CHARS for text in compound):
        return {}
    names = [v.get("name") if isinstance(v, dict) else None for v in compound.values()]
    if all(isinstance(n, str) and n for n in names) and len(set(names)) == len(names):
        return dict(zip(compound, map(str, names)))
    return {text: _letters(k) for k, text in enumerate(compound)}


def label_levels(points: pd.DataFrame, design: pd.DataFrame | None = None) -> pd.DataFrame:
    """``points`` (a per-point table, long or wide) with each factor's long list and mapping levels replaced by
    their short labels (``level_legend``), as an ordered categorical in the design's order. ``design``: the
    point table of the whole design (default: ``points``), so that the labels of a sweep still running are
    those of the finished one."""
    design = points if design is None else design
    out = points
    for factor in factor_columns(points):
        legend = level_legend(design[factor]) if factor in design.columns else {}
        if not legend:
            continue
        short = [v if _missing(v) else legend.get(format_level(v), format_level(v)) for v in points[factor]]
        order = [legend.get(format_level(v), format_level(v)) for v in design[factor] if not _missing(v)]
        categories = list(dict.fromkeys([*order, *(v for v in short if not _missing(v))]))
        out = out.assign(**{factor: pd.Categorical(short, categories=categories, ordered=True)})
    return out


def factor_levels(values: pd.Series, *, max_levels: int = MAX_LEVELS) -> pd.Series:
    """Each point's level of a factor as an ordered categorical of labels: numeric levels in increasing order,
    others in order of first appearance (a categorical's in its own order, see ``label_levels``), ``(base)``
    first; more than ``max_levels`` numeric values are cut into quartile bins labelled "low to high"; long list
    and mapping levels get short labels (``level_legend``)."""
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
        legend = level_legend(values)
        labels = [legend.get(text, text) for text in map(format_level, values)]
        if isinstance(values.dtype, pd.CategoricalDtype):
            seen = list(values.cat.remove_unused_categories().cat.categories)
        else:
            seen = sorted(set(present), key=float) if numeric else present
        order = ([BASE_LEVEL] if has_base else []) + list(
            dict.fromkeys(legend.get(text, text) for text in map(format_level, seen))
        )
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


# -- the points ranked -------------------------------------------------------------------------------------


def point_labels(points: pd.DataFrame, *, design: str = "grid") -> dict[int, str]:
    """Each point's label for tables and figures: its name where the sweep names its points (``design: points``;
    a Latin hypercube's "sample 3"), else "P" and its number (a grid point's name spells out every factor)."""
    table = points.drop_duplicates("point")
    named = design != "grid"
    return {int(p): str(name) if named else f"P{int(p)}" for p, name in zip(table["point"], table["name"])}


def ranked_points(results, kpi: str) -> pd.DataFrame:
    """The points with a mean of ``kpi``, best first in the KPI's own direction (ties by point number): ``rank``
    (1 is best), then the columns of ``point_means`` (the mean with its ``_ci_low``, ``_ci_high`` and ``_n``)."""
    frame = points_table(results)
    require_kpi(frame, kpi)
    wide = point_means(frame, [kpi]).dropna(subset=[kpi])
    ranked = wide.sort_values([kpi, "point"], ascending=[lower_is_better(kpi), True]).reset_index(drop=True)
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    return ranked


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
