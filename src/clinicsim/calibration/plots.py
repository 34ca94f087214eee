"""Figures of a calibration: observed days against the model's bands, and how well a duration fits."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from clinicsim.calibration.backtest import BACKTEST_KPIS, Backtest
from clinicsim.metrics import find_metric

_COLOURS = {"inside": "#2b6cb0", "above": "#c53030", "below": "#dd6b20"}


def plot_backtest(result: Backtest, kpis: tuple[str, ...] = BACKTEST_KPIS) -> Figure:
    """One panel per KPI: each observed day (dots, coloured by where they fall) against the model's 95% band
    (grey bars from the lowest to the highest of the replications, the median marked)."""
    figure, axes = plt.subplots(len(kpis), 1, figsize=(10, 2.2 * len(kpis)), sharex=True, squeeze=False)
    days = result.days
    for ax, kpi in zip(axes[:, 0], kpis):
        rows = days[(days["kpi"] == kpi) & (days["where"] != "no data")].sort_values("date")
        x = np.arange(len(rows))
        ax.vlines(
            x, rows["low"], rows["high"], color="#cbd5e0", linewidth=6, label=f"model's {result.confidence:.0%} band"
        )
        ax.plot(x, rows["median"], "_", color="#4a5568", markersize=10, label="model's median")
        for where, colour in _COLOURS.items():
            mine = (rows["where"] == where).to_numpy()
            ax.plot(x[mine], rows["observed"].to_numpy()[mine], "o", color=colour, markersize=4,
                    label=f"observed, {where}")  # fmt: skip
        metric = find_metric(kpi)
        inside = (rows["where"] == "inside").mean() if len(rows) else np.nan
        ax.set_ylabel(f"{metric.label if metric else kpi}\n({metric.unit if metric else ''})", fontsize=8)
        ax.set_title(f"{metric.label if metric else kpi}: {inside:.0%} of {len(rows)} days inside", fontsize=9)
        ax.set_xticks(x[:: max(1, len(x) // 12)])
        ax.set_xticklabels([d.strftime("%m-%d") for d in rows["date"].iloc[:: max(1, len(x) // 12)]], fontsize=7)
    axes[0, 0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    axes[-1, 0].set_xlabel("Observed day")
    figure.suptitle(
        f"Back-test: observed days against {result.replications} simulated replications of each", fontsize=10
    )
    figure.tight_layout()
    return figure
