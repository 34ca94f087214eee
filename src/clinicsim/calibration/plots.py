"""Figures of a calibration's back-test: observed days against the model's bands, per KPI and for the census by
clock hour."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from clinicsim.calibration.backtest import BACKTEST_KPIS, Backtest, census_kpi, kpi_label, kpi_unit

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
        label = kpi_label(kpi)
        inside = (rows["where"] == "inside").mean() if len(rows) else np.nan
        ax.set_ylabel(f"{label}\n({kpi_unit(kpi)})", fontsize=8)
        ax.set_title(f"{label}: {inside:.0%} of {len(rows)} days inside", fontsize=9)
        ax.set_xticks(x[:: max(1, len(x) // 12)])
        ax.set_xticklabels([d.strftime("%m-%d") for d in rows["date"].iloc[:: max(1, len(x) // 12)]], fontsize=7)
    axes[0, 0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    axes[-1, 0].set_xlabel("Observed day")
    figure.suptitle(
        f"Back-test: observed days against {result.replications} simulated replications of each", fontsize=10
    )
    figure.tight_layout()
    return figure


def plot_backtest_census(result: Backtest) -> Figure:
    """The census by clock hour (``Backtest.census_by_hour``). Top: the observed number of patients in the clinic,
    averaged over the days compared (dots), against the model's band averaged the same way (grey: the mean over
    days of each day's lowest and highest replication; line: of its median). Bottom: per hour, the share of days
    whose observed census falls inside that day's own band, with its Wilson 95% interval, against the share a right
    model leaves inside (dashed); bars whose interval stays below it (missed hours) in red."""
    table = result.census_by_hour()
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6.4), sharex=True, height_ratios=(3, 2))
    x = table.index.to_numpy(dtype=float) + 0.5  # the middle of each clock hour
    top.fill_between(x, table["low"], table["high"], color="#cbd5e0",
                     label=f"model's {result.confidence:.0%} band (mean over days)")  # fmt: skip
    top.plot(x, table["median"], "-", color="#4a5568", linewidth=1.2, label="model's median (mean over days)")
    top.plot(x, table["observed"], "o", color=_COLOURS["inside"], markersize=5, label="observed (mean over days)")
    top.set_ylabel("Patients in the clinic\n(time-average over the hour)", fontsize=8)
    top.set_ylim(bottom=0)
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    top.set_title("Census by clock hour: observed against the model", fontsize=9)
    summary = result.summary()
    shown = summary.reindex([census_kpi(int(h)) for h in table.index])
    inside, low, high = (shown[c].to_numpy(dtype=float) / 100 for c in ("inside_pct", "inside_low_pct",
                                                                         "inside_high_pct"))  # fmt: skip
    missed = high < result.confidence
    bottom.bar(x, inside, width=0.7, color=np.where(missed, _COLOURS["above"], _COLOURS["inside"]),
               label="share of days inside")  # fmt: skip
    bottom.errorbar(x, inside, yerr=[inside - low, high - inside], fmt="none", ecolor="#2d3748", capsize=3,
                    linewidth=1, label="Wilson 95% interval")  # fmt: skip
    bottom.axhline(result.confidence, color="#4a5568", linestyle="--", linewidth=1,
                   label=f"expected of a right model ({result.confidence:.0%})")  # fmt: skip
    bottom.set_ylim(0, 1.05)
    bottom.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    bottom.set_ylabel("Days inside the band", fontsize=8)
    bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    hours = table.index.to_numpy(dtype=int)
    bottom.set_xticks(np.append(hours, hours[-1] + 1) if len(hours) else [])
    bottom.set_xticklabels([f"{h:02d}:00" for h in np.append(hours, hours[-1] + 1)] if len(hours) else [],
                           fontsize=7)  # fmt: skip
    bottom.set_xlabel("Clock hour")
    figure.suptitle(f"Back-test: census by hour over {int(table['days'].max()) if len(table) else 0} observed days, "
                    f"{result.replications} replications each", fontsize=10)  # fmt: skip
    figure.tight_layout()
    return figure
