"""Figures and tables of the work between visits: what is waiting over the day, how fast items are answered
against their targets, and who does which share of the work.

Each works from ``Results.work`` (one row per stage of an item, per simulated day): an item is *open* from its
arrival until its last stage ends (after hours included), and still open at the end of the day when it was left
as backlog or dropped.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clinicsim.plots import _axes, _clock_axis, legend_right
from clinicsim.work_metrics import work_items as items_of

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from clinicsim.experiment import Results

STEP_MIN = 5.0
"""Grid of the backlog figure (minutes)."""


def work_items(results: Results) -> pd.DataFrame:
    """One row per work item per simulated day: stream, arrival, when it was finished (NaN: not finished that
    day) or closed (finished, or dropped by a caller who hung up), its response time (minutes) and whether it met
    its target (NaN without a target). Built on ``work_metrics.work_items``, the items the KPIs count."""
    frames = [
        pd.DataFrame(items_of(log.work, stream.name)).assign(replication=log.replication, stream=stream.name)
        for log in results.logs
        for stream in results.scenario.work
    ]
    if not frames:
        return pd.DataFrame(
            columns=["replication", "item", "stream", "arrival_min", "done_min", "closed_min", "response_min"]
        )
    items = pd.concat(frames, ignore_index=True).sort_values(["replication", "item"], ignore_index=True)
    items["done_min"] = items["last_end_min"].where(items["done"])
    items["closed_min"] = items["last_end_min"].where(items["done"] | items["abandoned"])
    items["response_min"] = items["done_min"] - items["arrival_min"]
    items["within_target"] = np.where(
        items["due_min"].isna(), np.nan, (items["done_min"] <= items["due_min"]).astype(float)
    )
    return items[
        ["replication", "item", "stream", "arrival_min", "due_min", "done_min", "closed_min", "response_min",
         "within_target"]
    ]  # fmt: skip


def open_items_over_the_day(results: Results) -> pd.DataFrame:
    """Mean number of open items of each stream (columns) at each time of the day (index, minutes), over the
    simulated days: arrived and not yet finished (or dropped)."""
    items = work_items(results)
    if items.empty:
        return pd.DataFrame()
    clinic = results.scenario.clinic
    end = max(clinic.closes, float(np.nanmax(items["closed_min"].to_numpy(dtype=float), initial=clinic.closes)))
    grid = np.arange(math.floor(clinic.opens / STEP_MIN) * STEP_MIN, end + STEP_MIN, STEP_MIN)
    days = results.replications
    columns = {}
    for stream, group in items.groupby("stream", sort=False):
        arrived = group["arrival_min"].to_numpy()[:, None] <= grid
        done = group["closed_min"].fillna(np.inf).to_numpy()[:, None] <= grid
        columns[stream] = (arrived & ~done).sum(axis=0) / days
    return pd.DataFrame(columns, index=pd.Index(grid, name="time_min"))


def work_shares(results: Results) -> pd.DataFrame:
    """Minutes of work per simulated day by stream (rows) and who did it (columns: each resource's role or
    ``provider``), on duty and after hours together, and each stream's share by role."""
    work = results.work
    done = work[work["status"].isin(["done", "after_hours"])]
    if done.empty:
        return pd.DataFrame()
    roles = results.resources.drop_duplicates("resource").set_index("resource")["kind"]
    minutes = done.assign(role=done["resource"].map(roles), minutes=done["end_min"] - done["start_min"])
    table = minutes.pivot_table(index="stream", columns="role", values="minutes", aggfunc="sum", fill_value=0.0)
    return table / results.replications


def plot_open_items(results: Results, *, ax: Axes | None = None) -> Axes:
    """Open work items of each stream over the day (mean over the simulated days): arrivals pile up where
    nobody has time for them and drain between patients and after hours."""
    table = open_items_over_the_day(results)
    ax = _axes(ax, (10, 4))
    for stream in table.columns:
        ax.plot(table.index, table[stream], label=stream, linewidth=1.8)
    if not table.empty:
        _clock_axis(ax.xaxis, float(table.index.min()), float(table.index.max()))
    ax.set_ylabel("Open items (mean over days)")
    ax.set_xlabel("Clock time")
    ax.set_title(f"Work waiting over the day: {results.scenario.name}", fontsize="medium")
    legend_right(ax, ax.get_legend_handles_labels()[0])
    return ax


def plot_response_times(results: Results, *, ax: Axes | None = None) -> Axes:
    """Each stream's response times (hours, items finished that day) as a box per stream, with its target as a
    marker; the label gives the share of all its items done within target (unfinished items count as late)."""
    items = work_items(results)
    streams = results.scenario.work
    ax = _axes(ax, (10, 0.6 * max(len(streams), 1) + 1.6))
    labels = []
    for row, stream in enumerate(streams):
        mine = items[items["stream"] == stream.name]
        hours = (mine["response_min"].dropna() / 60).to_numpy()
        if len(hours):
            ax.boxplot(hours, positions=[row], orientation="horizontal", widths=0.6, showfliers=False)
        label = stream.name
        if stream.has_target:
            target = stream.due_within_min / 60 if stream.due_within_min is not None else None
            if target is not None:
                ax.plot([target], [row], marker="|", markersize=18, color="crimson")
            share = mine["within_target"].mean() if len(mine) else math.nan
            within = f"{target:g} h" if target is not None else f"{stream.due_within_business_hours:g} business hours"
            label += f" ({100 * share:.0f}% within {within})"
        labels.append(label)
    ax.set_yticks(range(len(streams)), labels)
    ax.set_xlabel("Response time (hours from arrival to done); red mark: target")
    ax.set_title(f"How fast work is done: {results.scenario.name}", fontsize="medium")
    return ax
