"""Figures of a batch sweep: which factor moves which KPI, how two factors interact, which plans trade best, and
how the plans rank on one KPI.

The numbers behind them come from ``clinicsim.sweeps.analysis`` (main effects, the two-factor table, the Pareto
front, the ranking), each KPI taken in the direction its ``Metric`` declares. Long list and mapping levels are
drawn with their short labels (``level_legend``); points with their names, or "P" and their number on a grid.
Every plot function takes the sweep's results (a ``SweepResults``, or the long per-point table of
``SweepResults.points()``), draws on the ``ax`` it is given or on a new figure, returns it, and never calls
``plt.show()``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, PercentFormatter

from clinicsim.formatting import format_value, unit_label
from clinicsim.metrics import find_metric, lower_is_better
from clinicsim.sweeps.analysis import (
    factor_table,
    main_effects,
    pareto_front,
    point_labels,
    point_means,
    points_table,
    ranked_points,
    require_kpi,
    varying_factors,
)

__all__ = [
    "axis_label",
    "factor_table",
    "main_effects",
    "pareto_front",
    "plot_factor_heatmap",
    "plot_main_effects",
    "plot_pareto",
    "plot_ranking",
    "ranked_points",
]
"""The figures, and the analysis functions they draw (re-exported from ``clinicsim.sweeps.analysis``)."""


def _better(kpi: str, minimize: bool | None = None) -> str:
    """ "lower is better" or "higher is better": ``minimize`` when given, else the KPI's own better way."""
    lower = lower_is_better(kpi) if minimize is None else minimize
    return "lower is better" if lower else "higher is better"


# -- drawing ----------------------------------------------------------------------------------------------


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def axis_label(kpi: str) -> str:
    """A KPI's label with its unit for an axis ("Provider wait, mean (min)"; money is per day)."""
    metric = find_metric(kpi)
    if metric is None:
        return kpi
    unit = "per day" if metric.unit == "currency" else unit_label(metric.unit)
    return f"{metric.label} ({unit})" if unit else metric.label


def _format_axis(axis, kpi: str) -> None:
    unit = m.unit if (m := find_metric(kpi)) else ""
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
    frame = points_table(results)
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
    unit = m.unit if (m := find_metric(kpi)) else ""
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
    others = [f for f in varying_factors(points_table(results)) if f not in (x, y)]
    ax.set_title(axis_label(kpi) + (", averaged over the other factors" if others else ""), fontsize="medium")
    if colorbar:
        bar = ax.figure.colorbar(image, ax=ax, fraction=0.05, pad=0.03)
        _format_axis(bar.ax.yaxis, kpi)
        bar.set_label(_better(kpi), fontsize="small")
    return ax


def _labels(results, labels: Mapping[int, str] | None, frame) -> Mapping[int, str]:
    """The points' labels: those given, else ``point_labels`` (names where a SweepResults' sweep names them)."""
    if labels is not None:
        return labels
    return point_labels(frame, design="grid" if isinstance(results, pd.DataFrame) else results.spec.design)


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


def plot_pareto(
    results,
    kpi_x: str,
    kpi_y: str,
    *,
    label_front: bool = True,
    labels: Mapping[int, str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Every point's mean of ``kpi_x`` against ``kpi_y`` (grey), with the Pareto front (points no other point
    beats on both, see ``pareto_front``) highlighted, joined in order, shown with their 95% intervals and
    labelled (those with room for a label, when the front is crowded) with ``labels`` (point -> label; default
    ``point_labels``). An arrow points to the better corner."""
    frame = points_table(results)
    for kpi in (kpi_x, kpi_y):
        require_kpi(frame, kpi)
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
        names = _labels(results, labels, frame)
        for name, xv, yv in _spaced(ax, [names[p] for p in front["point"]], fx, fy):
            ax.annotate(
                name,
                (xv, yv),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize="small",
                color="C3",
                fontweight="bold",
                zorder=5,
            )
    front_axes(ax, kpi_x, kpi_y, lower_is_better(kpi_x), lower_is_better(kpi_y))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=2, fontsize="small", frameon=False)
    return ax


def plot_ranking(
    results,
    kpi: str,
    *,
    labels: Mapping[int, str] | None = None,
    top: int | None = 30,
    ax: Axes | None = None,
) -> Axes:
    """The points ranked by ``kpi`` (see ``ranked_points``), best at the top: each point's mean over its
    simulated days with its 95% interval, the best point's interval shaded across (a point whose interval reaches
    it may not truly differ from the best). ``labels``: point -> tick label (default ``point_labels``);
    ``top``: how many of the best points to draw (None: all)."""
    frame = points_table(results)
    ranked = ranked_points(frame, kpi)
    shown = ranked if top is None else ranked.head(top)
    names = _labels(results, labels, frame)
    ax = _axes(ax, (7.5, 1.4 + 0.27 * len(shown)))
    mean = shown[kpi].to_numpy(dtype=float)
    low, high = shown[f"{kpi}_ci_low"].to_numpy(dtype=float), shown[f"{kpi}_ci_high"].to_numpy(dtype=float)
    rows = np.arange(len(shown))
    if len(shown) and np.isfinite(low[0]) and np.isfinite(high[0]):
        ax.axvspan(low[0], high[0], color="C0", alpha=0.1, linewidth=0)
    ax.errorbar(
        mean,
        rows,
        xerr=[np.nan_to_num(mean - low), np.nan_to_num(high - mean)],
        fmt="o",
        color="C0",
        capsize=3,
        markersize=5,
    )
    ax.set_yticks(rows, [names[p] for p in shown["point"]])
    ax.set_ylim(len(shown) - 0.5, -0.5)  # the best at the top
    ax.set_xlabel(f"{axis_label(kpi)}, {_better(kpi)}")
    _format_axis(ax.xaxis, kpi)
    ax.grid(axis="x", color="0.92")
    ax.set_axisbelow(True)
    title = "Means with 95% intervals; shaded: the best plan's interval"
    if len(shown) < len(ranked):
        title = f"The best {len(shown)} of {len(ranked)} plans. {title}"
    ax.set_title(title, fontsize="small")
    return ax


def front_axes(ax, kpi_x: str, kpi_y: str, minimize_x: bool, minimize_y: bool) -> None:
    """Dress the axes of a front of ``kpi_x`` against ``kpi_y``: labels saying which way is better, the KPIs'
    number formats, a light grid, and an arrow marked "better" to the corner where the better plans lie."""
    corner = (0.04 if minimize_x else 0.96, 0.04 if minimize_y else 0.96)
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
    ax.set_xlabel(f"{axis_label(kpi_x)}, {_better(kpi_x, minimize_x)}")
    ax.set_ylabel(f"{axis_label(kpi_y)}, {_better(kpi_y, minimize_y)}")
    _format_axis(ax.xaxis, kpi_x)
    _format_axis(ax.yaxis, kpi_y)
    ax.grid(color="0.92")
    ax.set_axisbelow(True)
