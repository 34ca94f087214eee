"""Figures of a batch sweep: which factor moves which KPI, how two factors interact, and which plans trade best.

A sweep runs many plans (points); each point's KPI is summarised by its mean over that point's simulated days.
These functions work on those point means:

- **main effects**: for each factor, the KPI's mean over all points at each level of the factor, with a Student-t
  interval from the spread of those point means (so it holds the other factors' effects as well as simulation
  noise: a level whose interval is wide depends strongly on the other settings);
- **factor heatmap**: the KPI over two factors, averaged over every other factor;
- **Pareto front**: the plans that no other plan beats on two KPIs at once (e.g. lower provider wait *and*
  higher margin), found by the pure function ``pareto_front``.

Whether a KPI is better low or high is decided in one place, ``lower_is_better``. Every plot function takes the
sweep's results (a ``SweepResults``, or the long per-point table of ``SweepResults.points()``), draws on the
``ax`` it is given or on a new figure, returns it, and never calls ``plt.show()``. A factor with more than
``MAX_LEVELS`` numeric values (a Latin-hypercube sample) is cut into quartile bins; settings that are mappings
(``{kind: bailey_welch, k: 2}``) are written ``kind=bailey_welch, k=2``; a point that leaves a factor at the base
scenario's value shows it as ``(base)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, PercentFormatter
from scipy import stats

from clinicsim.formatting import format_value, unit_label
from clinicsim.metrics import REGISTRY

MAX_LEVELS = 8
"""A numeric factor with more distinct values than this is shown in quartile bins."""

SUMMARY_COLUMNS = ("point", "name", "kpi", "label", "unit", "mean", "sd", "n", "ci_low", "ci_high", "half_width")
"""Columns of ``SweepResults.points()`` that are not factors."""

BASE_LEVEL = "(base)"
"""Level label of a point that leaves the factor at the base scenario's value (``design: points``)."""

_LOWER_IS_BETTER = (
    "wait",
    "overtime",
    "cost",
    "lost_revenue",
    "denied",
    "idle",
    "cycle_time",
    "no_shows",
    "turned_away",
    "left_without",
    "not_seen",
    "last_departure",
)


def lower_is_better(kpi: str) -> bool:
    """True for KPIs a clinic wants low: waits, overtime, idle and cycle time, costs, denied and lost revenue,
    patients not seen, the last departure. False for those it wants high: patients seen, revenue, margin,
    utilization, the share seen within 15 minutes, wRVUs."""
    return any(word in kpi for word in _LOWER_IS_BETTER)


def _better(kpi: str) -> str:
    return "lower is better" if lower_is_better(kpi) else "higher is better"


# -- the per-point table ----------------------------------------------------------------------------------


def _points_frame(results) -> pd.DataFrame:
    """The long per-point table (one row per point and KPI) of a SweepResults, or the table itself."""
    frame = results if isinstance(results, pd.DataFrame) else results.points()
    missing = {"point", "kpi", "mean"} - set(frame.columns)
    if missing and not frame.empty:
        raise ValueError(f"expected the per-point table of SweepResults.points(); missing {sorted(missing)}")
    return frame


_WIDE_SUFFIXES = ("_ci_low", "_ci_high", "_n")


def factor_columns(points: pd.DataFrame) -> list[str]:
    """The factor columns (dotted paths) of a per-point table, long or wide, in the sweep's order."""
    kpis = set(points["kpi"]) if "kpi" in points.columns else set(REGISTRY)

    def is_kpi(column: str) -> bool:
        return column in kpis or any(column.endswith(s) and column[: -len(s)] in kpis for s in _WIDE_SUFFIXES)

    return [c for c in points.columns if c not in SUMMARY_COLUMNS and not is_kpi(c)]


def _check_kpi(frame: pd.DataFrame, kpi: str) -> None:
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


def _interval(values: np.ndarray, confidence: float) -> tuple[float, float, int, float]:
    values = values[~np.isnan(values)]
    n = len(values)
    mean = float(values.mean()) if n else math.nan
    sd = float(values.std(ddof=1)) if n > 1 else math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)) if n > 1 else math.nan
    return mean, sd, n, half


def main_effects(results, kpi: str, *, confidence: float = 0.95) -> pd.DataFrame:
    """Per factor (that varies) and level: the mean of the KPI's point means over the points at that level, their
    sd, the number of points ``n`` and a Student-t interval (none from a single point)."""
    frame = _points_frame(results)
    _check_kpi(frame, kpi)
    wide = point_means(frame, [kpi])
    rows = []
    for factor in varying_factors(frame):
        levels = factor_levels(wide[factor])
        for level, group in wide.groupby(levels, observed=True, sort=True):
            mean, sd, n, half = _interval(group[kpi].to_numpy(dtype=float), confidence)
            rows.append(
                {"factor": factor, "level": level, "mean": mean, "sd": sd, "n": n}
                | {"ci_low": mean - half, "ci_high": mean + half}
            )
    return pd.DataFrame(rows, columns=["factor", "level", "mean", "sd", "n", "ci_low", "ci_high"])


def factor_table(results, kpi: str, x: str, y: str) -> pd.DataFrame:
    """The KPI's mean over the points at each (y level, x level), averaged over every other factor: rows are the
    levels of ``y``, columns those of ``x`` (NaN where no point has finished)."""
    frame = _points_frame(results)
    _check_kpi(frame, kpi)
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
        _check_kpi(points_df, kpi_x)
        _check_kpi(points_df, kpi_y)
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


# -- drawing ----------------------------------------------------------------------------------------------


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def axis_label(kpi: str) -> str:
    """A KPI's label with its unit for an axis ("Provider wait, mean (min)"; money is per day)."""
    metric = REGISTRY.get(kpi)
    if metric is None:
        return kpi
    unit = "per day" if metric.unit == "currency" else unit_label(metric.unit)
    return f"{metric.label} ({unit})" if unit else metric.label


def _format_axis(axis, kpi: str) -> None:
    unit = REGISTRY[kpi].unit if kpi in REGISTRY else ""
    if unit == "fraction":
        axis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    elif unit == "%":
        axis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    elif unit == "currency":
        axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))


def plot_main_effects(
    results, kpi: str, *, confidence: float = 0.95, ax: Axes | Sequence[Axes] | None = None
) -> list[Axes]:
    """Main effects of every factor that varies on ``kpi``: one panel per factor, the KPI's mean over the points
    at each level of the factor with its interval from the point means (see ``main_effects``), the overall mean
    of the points dashed.

    ``ax``: one Axes per varying factor (e.g. a row from ``plt.subplots``), or one Axes when only one factor
    varies; by default a new figure with the panels side by side (four to a row) and a shared KPI axis. Returns
    the Axes as a list, one per factor.
    """
    frame = _points_frame(results)
    effects = main_effects(frame, kpi, confidence=confidence)
    factors = list(dict.fromkeys(effects["factor"]))
    if not factors:
        raise ValueError("no factor takes more than one level among the finished points")
    if ax is None:
        ncols = min(len(factors), 4)
        nrows = math.ceil(len(factors) / ncols)
        fig, grid = plt.subplots(
            nrows,
            ncols,
            figsize=(1.2 + 2.9 * ncols, 0.6 + 2.9 * nrows),
            sharey=True,
            layout="constrained",
            squeeze=False,
        )
        for extra in grid.flat[len(factors) :]:
            extra.set_visible(False)
        axes = list(grid.flat[: len(factors)])
        fig.suptitle(f"Main effects: {axis_label(kpi)}", fontsize="medium")
    else:
        axes = [ax] if isinstance(ax, Axes) else list(ax)
        if len(axes) != len(factors):
            raise ValueError(f"{len(factors)} factors vary but {len(axes)} Axes were given")
    overall = point_means(frame, [kpi])[kpi].mean()
    for k, (panel, factor) in enumerate(zip(axes, factors)):
        rows = effects[effects["factor"] == factor]
        positions = np.arange(len(rows))
        mean = rows["mean"].to_numpy(dtype=float)
        low = np.nan_to_num(mean - rows["ci_low"].to_numpy(dtype=float), nan=0.0)
        high = np.nan_to_num(rows["ci_high"].to_numpy(dtype=float) - mean, nan=0.0)
        panel.axhline(overall, color="0.55", linestyle="--", linewidth=1, zorder=1)
        panel.plot(positions, mean, color="C0", linewidth=1.5, zorder=2)
        panel.errorbar(
            positions, mean, yerr=[low, high], fmt="o", color="C0", ecolor="C0", capsize=3, markersize=5, zorder=3
        )
        labels = [str(level) for level in rows["level"]]
        rotate = sum(len(s) for s in labels) > 24
        panel.set_xticks(positions, labels, rotation=30 if rotate else 0, ha="right" if rotate else "center")
        panel.set_xlim(-0.5, len(rows) - 0.5)
        panel.set_xlabel(factor, fontsize="small")
        panel.grid(axis="y", color="0.92")
        panel.set_axisbelow(True)
        _format_axis(panel.yaxis, kpi)
        if k % 4 == 0 or ax is not None:
            panel.set_ylabel(axis_label(kpi))
    handles = [
        Line2D([], [], color="C0", marker="o", label=f"mean of the points at this level, {confidence:.0%} interval"),
        Line2D([], [], color="0.55", linestyle="--", label="mean of all points"),
    ]
    axes[0].figure.legend(handles=handles, loc="outside lower center", ncols=2, fontsize="small", frameon=False)
    return axes


def plot_factor_heatmap(results, kpi: str, x: str, y: str, *, colorbar: bool = True, ax: Axes | None = None) -> Axes:
    """Heatmap of ``kpi`` over the levels of factors ``x`` (columns) and ``y`` (rows), each cell the mean over the
    points at that pair of levels (so averaged over every other factor), written in the cell. Colours run from
    worse (red) to better (blue) in the KPI's own direction; a blank cell has no finished point."""
    table = factor_table(results, kpi, x, y)
    ax = _axes(ax, (max(5.0, 1.1 * table.shape[1] + 3), max(3.0, 0.6 * table.shape[0] + 1.8)))
    values = table.to_numpy(dtype=float)
    cmap = matplotlib.colormaps["RdYlBu_r" if lower_is_better(kpi) else "RdYlBu"].with_extremes(bad="white")
    finite = values[np.isfinite(values)]
    low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    if low == high:
        low, high = low - 0.5, high + 0.5
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=low, vmax=high, aspect="auto")
    unit = REGISTRY[kpi].unit if kpi in REGISTRY else ""
    for (i, j), value in np.ndenumerate(values):
        if np.isfinite(value):
            share = (value - low) / (high - low)
            color = "white" if share < 0.15 or share > 0.85 else "black"
            ax.text(j, i, format_value(value, unit), ha="center", va="center", fontsize="small", color=color)
    ax.set_xticks(np.arange(table.shape[1]), [str(c) for c in table.columns])
    ax.set_yticks(np.arange(table.shape[0]), [str(r) for r in table.index])
    ax.tick_params(length=0)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    others = [f for f in varying_factors(_points_frame(results)) if f not in (x, y)]
    ax.set_title(axis_label(kpi) + (", averaged over the other factors" if others else ""), fontsize="medium")
    if colorbar:
        bar = ax.figure.colorbar(image, ax=ax, fraction=0.05, pad=0.03)
        _format_axis(bar.ax.yaxis, kpi)
        bar.set_label(_better(kpi), fontsize="small")
    return ax


def _spaced(ax: Axes, labels, x: np.ndarray, y: np.ndarray, *, min_px: float = 16.0) -> list[tuple]:
    """The (label, x, y) of the points at least ``min_px`` display pixels from every point kept before them."""
    ax.autoscale_view()
    where = ax.transData.transform(np.column_stack([x, y]))
    kept: list[int] = []
    for i, (px, py) in enumerate(where):
        if all(np.hypot(px - where[j][0], py - where[j][1]) >= min_px for j in kept):
            kept.append(i)
    labels = list(labels)
    return [(labels[i], x[i], y[i]) for i in kept]


def plot_pareto(results, kpi_x: str, kpi_y: str, *, label_front: bool = True, ax: Axes | None = None) -> Axes:
    """Every point's mean of ``kpi_x`` against ``kpi_y`` (grey), with the Pareto front (points no other point
    beats on both, see ``pareto_front``) highlighted, joined in order, shown with their 95% intervals and
    labelled with their point numbers (those with room for a label, when the front is crowded). An arrow points to
    the better corner."""
    frame = _points_frame(results)
    for kpi in (kpi_x, kpi_y):
        _check_kpi(frame, kpi)
    wide = point_means(frame, [kpi_x, kpi_y])
    front = pareto_front(frame, kpi_x, kpi_y)
    ax = _axes(ax, (8, 5.5))
    dominated = wide[~wide["point"].isin(front["point"])]
    ax.scatter(
        dominated[kpi_x],
        dominated[kpi_y],
        s=22,
        color="0.6",
        alpha=0.8,
        label="other plans (mean over their days)",
        zorder=2,
    )
    fx, fy = front[kpi_x].to_numpy(dtype=float), front[kpi_y].to_numpy(dtype=float)
    ax.step(fx, fy, where="post", color="C3", linewidth=1, alpha=0.5, zorder=3)  # the edge of what is dominated
    xerr = [np.nan_to_num(fx - front[f"{kpi_x}_ci_low"]), np.nan_to_num(front[f"{kpi_x}_ci_high"] - fx)]
    yerr = [np.nan_to_num(fy - front[f"{kpi_y}_ci_low"]), np.nan_to_num(front[f"{kpi_y}_ci_high"] - fy)]
    ax.errorbar(
        fx,
        fy,
        xerr=xerr,
        yerr=yerr,
        fmt="o",
        color="C3",
        ecolor=(0.84, 0.15, 0.16, 0.45),
        elinewidth=1,
        markersize=7,
        markeredgecolor="white",
        label="Pareto front (not beaten on both)",
        zorder=4,
    )
    if label_front:
        for point, xv, yv in _spaced(ax, front["point"], fx, fy):
            ax.annotate(
                str(point),
                (xv, yv),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize="small",
                color="C3",
                fontweight="bold",
                zorder=5,
            )
    corner = (0.04 if lower_is_better(kpi_x) else 0.96, 0.04 if lower_is_better(kpi_y) else 0.96)
    start = (corner[0] + (0.14 if corner[0] < 0.5 else -0.14), corner[1] + (0.14 if corner[1] < 0.5 else -0.14))
    ax.annotate(
        "better",
        xy=corner,
        xytext=start,
        xycoords="axes fraction",
        textcoords="axes fraction",
        ha="center",
        va="center",
        fontsize="small",
        color="0.3",
        arrowprops={"arrowstyle": "->", "color": "0.3"},
    )
    ax.set_xlabel(f"{axis_label(kpi_x)}, {_better(kpi_x)}")
    ax.set_ylabel(f"{axis_label(kpi_y)}, {_better(kpi_y)}")
    _format_axis(ax.xaxis, kpi_x)
    _format_axis(ax.yaxis, kpi_y)
    ax.grid(color="0.92")
    ax.set_axisbelow(True)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=2, fontsize="small", frameon=False)
    return ax
