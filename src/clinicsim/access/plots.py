"""Figures of access over weeks (matplotlib): how far ahead the book is full, how long requests wait for their
appointment, what each weekday asks for against what its templates offer, and how plans differ on access.

Each function takes the ``AccessResults`` of ``simulate_access`` (or the ``Comparison`` of ``compare_access``)
and returns a ``Figure``; none calls ``plt.show()``. The tables the figures draw are public functions here
(``weekly_access_intervals``, ``demand_and_capacity_by_weekday``) or in ``access.tables``
(``lead_time_distribution``), so a figure's numbers can be read, tested and reported without it. Only reported
days count: the warm-up's weeks are left out of every figure. Labels and units come from the metric registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter

from clinicsim.access.kpis import BOOKED
from clinicsim.access.tables import lead_time_distribution, reported_week
from clinicsim.formatting import count_of
from clinicsim.metrics import find_metric, p90
from clinicsim.plots import legend_right, plot_differences
from clinicsim.scenario.access import URGENCY_CLASSES
from clinicsim.scenario.model import WEEKDAYS
from clinicsim.statistics import t_interval

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from clinicsim.access import AccessResults
    from clinicsim.comparison import Comparison

__all__ = [
    "ACCESS_DIFFERENCE_KPIS",
    "access_differences",
    "demand_and_capacity_by_weekday",
    "demand_vs_capacity_by_weekday",
    "lead_time_distribution_plot",
    "tnaa_and_backlog_over_weeks",
    "weekly_access_intervals",
]

ACCESS_DIFFERENCE_KPIS = (
    "third_next_available_days",
    "lead_time_mean_days",
    "same_day_requests_met_pct",
    "continuity_pct",
    "lost_demand",
    "no_show_pct",
)
"""The headline access KPIs of ``access_differences`` by default."""
TNAA = "third_next_available_days"
BACKLOG = "backlog"


def _label(name: str) -> str:
    """A registered KPI's label with its unit, for an axis ("Third-next-available (days)")."""
    found = find_metric(name)
    if found is None:
        return name
    return f"{found.label} ({found.unit})" if found.unit else found.label


def _urgency_words(urgency: str) -> str:
    """An urgency class in words, as an adjective ("same-day", "follow-up", "new-patient")."""
    return urgency.replace("_", "-")


def _weeks_words(results: AccessResults) -> str:
    weeks, warm_up = count_of(results.weeks, "week"), count_of(results.warm_up, "week")
    return f"{weeks} after {warm_up} of warm-up, {count_of(results.replications, 'replication')}"


def _figure(size: tuple[float, float], ax: Axes | None) -> tuple[Figure, Axes]:
    """The figure of ``ax``, or a new one of ``size`` inches laid out so labels do not overlap."""
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    return fig, ax


# -- third-next-available and backlog over weeks ---------------------------------------------------------------


def _weekly_by_replication(results: AccessResults, visit_type: str | None) -> pd.DataFrame:
    """Per replication, reported week and provider: the mean third-next-available over the week's measurements
    (of ``visit_type``, or of every visit type) and the mean backlog."""
    first = results.warm_up * 7
    measures = results.measures[results.measures["day"] >= first]
    if visit_type is not None:
        known = sorted(measures["visit_type"].unique())
        if visit_type not in known:
            raise ValueError(f"no third-next-available of visit type {visit_type!r} (visit types: {', '.join(known)})")
        measures = measures[measures["visit_type"] == visit_type]
    keys = ["replication", "week", "provider"]
    tnaa = measures.assign(week=reported_week(measures, first)).groupby(keys, sort=True)[TNAA].mean().reset_index()
    backlog = results.backlog[results.backlog["day"] >= first]
    backlog = backlog.assign(week=reported_week(backlog, first)).groupby(keys, sort=True)[BACKLOG].mean()
    return tnaa.merge(backlog.reset_index(), on=keys, how="outer")


def weekly_access_intervals(
    results: AccessResults, *, visit_type: str | None = None, confidence: float = 0.95
) -> pd.DataFrame:
    """Per reported week (1, 2, ...) and provider: third-next-available (days; of ``visit_type``, or over every
    visit type's measurements) and backlog (appointments booked ahead at the measurement), each the mean over
    replications of the replication's weekly mean, with its Student-t interval (``_low``, ``_high``; NaN with one
    replication). The means equal ``AccessResults.weekly()``'s (every replication measures the same days)."""
    weekly = _weekly_by_replication(results, visit_type)
    rows = []
    for (week, provider), group in weekly.groupby(["week", "provider"], sort=True):
        row: dict[str, object] = {"week": int(week), "provider": provider}
        for column in (TNAA, BACKLOG):
            stat = t_interval(group[column].to_numpy(dtype=float), confidence=confidence)
            row.update({column: stat.mean, f"{column}_low": stat.low, f"{column}_high": stat.high})
        row["n_replications"] = len(group)
        rows.append(row)
    return pd.DataFrame(rows)


def tnaa_and_backlog_over_weeks(
    results: AccessResults, *, visit_type: str | None = None, confidence: float = 0.95
) -> Figure:
    """Two panels over the reported weeks, one line per provider: third-next-available (days; mean over visit
    types, or of ``visit_type``) above, the backlog (appointments booked ahead) below. The band around each line
    is the ``confidence`` Student-t interval over replications of the weekly mean (none with one replication).
    The table drawn is ``weekly_access_intervals``."""
    table = weekly_access_intervals(results, visit_type=visit_type, confidence=confidence)
    providers = [p.name for p in results.scenario.providers if p.name in set(table["provider"])]
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(10, 6.5), layout="constrained")
    banded = False
    for index, provider in enumerate(providers):
        mine = table[table["provider"] == provider]
        color = f"C{index % 10}"
        for ax, column in ((top, TNAA), (bottom, BACKLOG)):
            ax.plot(mine["week"], mine[column], color=color, marker="o", markersize=3.5, linewidth=1.6, label=provider)
            low, high = mine[f"{column}_low"].to_numpy(dtype=float), mine[f"{column}_high"].to_numpy(dtype=float)
            if np.isfinite(low).any():
                ax.fill_between(mine["week"], low, high, color=color, alpha=0.15, linewidth=0)
                banded = True
    tnaa_name = TNAA if visit_type is None else f"third_next_available_{visit_type}_days"
    top.set_ylabel(_label(tnaa_name))
    bottom.set_ylabel("Backlog (appointments booked ahead)")
    bottom.set_xlabel(f"Reported week (after {count_of(results.warm_up, 'week')} of warm-up)")
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in (top, bottom):
        ax.set_ylim(bottom=0)
        ax.grid(color="0.92")
        ax.set_axisbelow(True)
    which = "mean over visit types" if visit_type is None else f"{visit_type} visits"
    top.set_title(f"Third-next-available ({which})", fontsize="small", loc="left")
    bottom.set_title("Backlog: appointments booked ahead at the daily measurement", fontsize="small", loc="left")
    handles: list = [
        Line2D([], [], color=f"C{i % 10}", marker="o", markersize=3.5, label=p) for i, p in enumerate(providers)
    ]
    if banded:
        handles.append(
            Patch(color="0.5", alpha=0.3, label=f"{confidence:.0%} interval over {results.replications} replications")
        )
    legend_right(top, handles)
    fig.suptitle(
        f"Third-next-available and backlog per provider by week: {results.scenario.name}\n"
        f"(weekly means of the clinic days; {_weeks_words(results)})",
        fontsize="medium",
    )
    return fig


# -- lead time ----------------------------------------------------------------------------------------------


def _booked_lead_days(results: AccessResults, urgency: str) -> np.ndarray:
    """Lead times (days) of the booked requests of ``urgency`` made on reported days, every replication."""
    requests = results.requests
    booked = requests[
        (requests["day"] >= results.warm_up * 7) & requests["outcome"].isin(BOOKED) & (requests["urgency"] == urgency)
    ]
    return booked["lead_days"].to_numpy(dtype=float)


def lead_time_distribution_plot(results: AccessResults, *, max_days: int | None = None) -> Figure:
    """One panel per urgency class (sharing the lead-time axis): bars of the share of its booked requests
    (reported days, every replication) by lead time in days, from ``access.tables.lead_time_distribution``
    (``max_days`` clips the longest lead times into the last bar). Each panel marks its class's mean (dashed) and
    90th percentile (dotted) lead time; the legend gives them."""
    table = lead_time_distribution(results, max_days=max_days)
    classes = [u for u in URGENCY_CLASSES if u in table.columns]
    fig, axes = plt.subplots(
        max(len(classes), 1),
        1,
        sharex=True,
        squeeze=False,
        figsize=(10, 1.2 + 1.6 * max(len(classes), 1)),
        layout="constrained",
    )
    axes = axes[:, 0]
    lead = table.index.to_numpy()
    for index, (ax, urgency) in enumerate(zip(axes, classes)):
        color = f"C{index % 10}"
        ax.bar(lead, table[urgency].to_numpy(dtype=float), width=0.8, color=color, label="share of booked requests")
        days = _booked_lead_days(results, urgency)
        if len(days):
            mean, ninetieth = float(days.mean()), p90(days)
            ax.axvline(mean, color="0.15", linestyle="--", linewidth=1.2, label=f"mean {mean:.1f} days")
            ax.axvline(
                ninetieth, color="0.15", linestyle=":", linewidth=1.4, label=f"90th percentile {ninetieth:.1f} days"
            )
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
        ax.set_ylabel("Share")
        ax.set_ylim(0, 1.05 * max(float(table[urgency].max()), 0.01))
        ax.set_title(
            f"{_urgency_words(urgency).capitalize()} requests: {len(days):,} booked", fontsize="small", loc="left"
        )
        legend_right(ax, ax.get_legend_handles_labels()[0])
        ax.grid(axis="y", color="0.92")
        ax.set_axisbelow(True)
    axes[-1].set_xlabel("Lead time (days from request to appointment)")
    axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(
        f"Lead time of booked requests by urgency class: {results.scenario.name}\n({_weeks_words(results)})",
        fontsize="medium",
    )
    return fig


# -- demand against capacity by weekday -------------------------------------------------------------------------


def _weekday(results: AccessResults, days: pd.Series | np.ndarray) -> np.ndarray:
    """The weekday name of each day (days counted from ``access.start``)."""
    start = results.scenario.access.start  # type: ignore[union-attr]
    names = [WEEKDAYS[(start + timedelta(days=d)).weekday()] for d in range(7)]
    return np.asarray(names, dtype=object)[np.asarray(days, dtype=int) % 7]


def demand_and_capacity_by_weekday(
    results: AccessResults, *, by: Literal["urgency", "visit_type"] = "urgency"
) -> pd.DataFrame:
    """Per weekday (index, in calendar order, the weekdays with a reported clinic day): mean per clinic day of
    that weekday, over those days and every replication, of

    - ``requests_<class>_per_day``: requests made, per urgency class (``by="urgency"``) or visit type
      (``by="visit_type"``), every outcome counted, then ``requests_per_day``, their sum;
    - ``template_slots_per_day``: template positions of the day (the providers' templates, not overbooks);
    - ``appointments_kept_per_day``: appointments on the day that were not cancelled (overbooks included);

    and ``n_clinic_days``, the weekday's reported clinic days in one replication. Requests made on a day the
    clinic is closed (a holiday, a weekend) are left out: they are no clinic day's demand."""
    if by not in ("urgency", "visit_type"):
        raise ValueError(f"by must be 'urgency' or 'visit_type', not {by!r}")
    frames, day_counts = [], []
    for run in results.runs:
        days = [d for d in run.reported_days if run.clinic_days[d]]
        weekday = pd.Series(_weekday(results, days), index=days)
        n_days = weekday.value_counts()
        requests = run.requests[run.requests["day"].isin(days)]
        kept = run.bookings[run.bookings["day"].isin(days) & run.bookings["cancelled_at_min"].isna()]
        positions = run.positions[run.positions["day"].isin(days) & run.positions["template"]]
        frame = pd.crosstab(weekday.loc[requests["day"]].to_numpy(), requests[by].to_numpy())
        frame = frame.add_prefix("requests_").add_suffix("_per_day").reindex(n_days.index, fill_value=0)
        frame["template_slots_per_day"] = weekday.loc[positions["day"]].value_counts()
        frame["appointments_kept_per_day"] = weekday.loc[kept["day"]].value_counts()
        frames.append(frame.fillna(0.0))
        day_counts.append(n_days)
    n_days = pd.concat(day_counts).groupby(level=0).sum()
    if n_days.empty:
        return pd.DataFrame()
    table = pd.concat(frames).fillna(0.0).groupby(level=0).sum().div(n_days, axis=0)
    names: Sequence[str] = URGENCY_CLASSES if by == "urgency" else list(results.scenario.visit_types)
    stack = [f"requests_{name}_per_day" for name in names if f"requests_{name}_per_day" in table.columns]
    table = table.reindex(columns=[*stack, "template_slots_per_day", "appointments_kept_per_day"], fill_value=0.0)
    table.insert(len(stack), "requests_per_day", table[stack].sum(axis=1))
    table["n_clinic_days"] = (n_days.reindex(table.index) / results.replications).round().astype(int)
    return table.reindex([w for w in WEEKDAYS if w in table.index]).rename_axis(index="weekday", columns=None)


def demand_vs_capacity_by_weekday(
    results: AccessResults, *, by: Literal["urgency", "visit_type"] = "urgency", ax: Axes | None = None
) -> Figure:
    """Per weekday: the requests of a clinic day of that weekday, stacked by urgency class (or visit type), against
    the template slots of the day (black dash) and the appointments kept (diamond). The table drawn is
    ``demand_and_capacity_by_weekday``; the count of clinic days behind each weekday is under its name."""
    table = demand_and_capacity_by_weekday(results, by=by)
    fig, ax = _figure((9, 4.8), ax)
    stack = [c for c in table.columns if c.startswith("requests_") and c != "requests_per_day"]
    x = np.arange(len(table))
    bottom = np.zeros(len(table))
    handles: list = []
    for index, column in enumerate(stack):
        name = column.removeprefix("requests_").removesuffix("_per_day")
        values = table[column].to_numpy(dtype=float)
        label = _urgency_words(name) if by == "urgency" else name
        bars = ax.bar(x, values, bottom=bottom, width=0.6, color=f"C{index % 10}", label=f"requests: {label}")
        handles.insert(0, bars)  # the stack's top first in the legend
        bottom += values
    slots = table["template_slots_per_day"].to_numpy(dtype=float)
    dashes_x = np.column_stack([x - 0.36, x + 0.36, np.full(len(x), np.nan)]).ravel()  # one dash across each bar
    dashes_y = np.column_stack([slots, slots, np.full(len(x), np.nan)]).ravel()
    handles += ax.plot(dashes_x, dashes_y, color="black", linewidth=2.5, label="template slots")
    kept = table["appointments_kept_per_day"].to_numpy(dtype=float)
    handles += ax.plot(
        x,
        kept,
        linestyle="none",
        marker="D",
        markersize=7,
        color="white",
        markeredgecolor="black",
        markeredgewidth=1.2,
        label="appointments kept",
    )
    ax.set_xticks(x, [f"{w.capitalize()}\n({n} days)" for w, n in zip(table.index, table["n_clinic_days"])])
    ax.set_xlim(-0.6, len(table) - 0.4)
    ax.set_ylabel("Requests, slots, appointments (per clinic day)")
    ax.set_xlabel("Weekday (reported clinic days of each, per replication)")
    ax.grid(axis="y", color="0.92")
    ax.set_axisbelow(True)
    stacked = "urgency class" if by == "urgency" else "visit type"
    ax.set_title(
        f"Requests by {stacked} against template slots and appointments kept, by weekday\n"
        f"{results.scenario.name} ({_weeks_words(results)})",
        fontsize="medium",
    )
    legend_right(ax, handles)
    return fig


# -- plans compared -----------------------------------------------------------------------------------------


def access_differences(
    comparison: Comparison,
    *,
    kpis: Sequence[str] = ACCESS_DIFFERENCE_KPIS,
    confidence: float = 0.95,
    ax: Axes | None = None,
) -> Figure:
    """Each plan's difference from the baseline on the headline access KPIs (``ACCESS_DIFFERENCE_KPIS``), as %
    of the baseline mean with its paired interval: ``clinicsim.plots.plot_differences`` on access KPIs."""
    ax = plot_differences(comparison, kpis=kpis, confidence=confidence, ax=ax)
    ax.set_title(f"Access: each plan against {comparison.baseline}", fontsize="medium")
    return ax.figure  # type: ignore[return-value]
