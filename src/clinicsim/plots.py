"""Figures of clinic days and of plan comparisons, for reports and notebooks (matplotlib).

Every function draws on the ``ax`` it is given, or on a new figure when none is, and returns the Axes; none calls
``plt.show()``, so figures can be saved, embedded in a report or shown by a notebook. Functions that take
"a comparison or results" draw every scenario of a ``Comparison`` in the comparison's colours (the baseline first)
or the single scenario of a ``Results``. Labels and units of KPIs come from ``clinicsim.metrics.metric``.

pyplot is imported without choosing a backend: matplotlib picks a non-interactive one (Agg) on a machine without
a display and the notebook's own backend in Jupyter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal, cast

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator, PercentFormatter
from matplotlib.transforms import ScaledTranslation

from clinicsim.comparison import Comparison
from clinicsim.eventlog import EventLog
from clinicsim.experiment import Results
from clinicsim.formatting import format_value
from clinicsim.metrics import is_kpi_name, metric
from clinicsim.plan import plan_day
from clinicsim.scenario import Scenario
from clinicsim.scenario.vocabulary import BLOCKED, DOCUMENTATION, format_clock, place_pattern
from clinicsim.timeseries import PLACES, census, on_duty_by_hour, provider_waits, utilization_by_hour

DEFAULT_DIFFERENCE_KPIS = (
    "provider_wait_mean_min",
    "provider_wait_p90_min",
    "pct_seen_within_15_min",
    "lobby_wait_mean_min",
    "cycle_time_mean_min",
    "provider_utilization",
    "room_utilization",
    "ma_utilization",
    "front_desk_utilization",
    "provider_overtime_mean_min",
    "staff_overtime_mean_min",
    "patients_seen",
)
"""KPIs of ``plot_differences`` by default: waits, utilization, overtime and throughput."""

KIND_LABELS = {
    "provider": "Providers",
    "medical_assistant": "Medical assistants",
    "nurse": "Nurses",
    "front_desk": "Front desk",
    "exam_room": "Exam rooms",
}
WAIT_TARGET_MIN = 15.0
"""The provider-wait mark of ``pct_seen_within_15_min``."""

_VISIT_PALETTE = [matplotlib.colormaps["tab10"](i) for i in (0, 1, 2, 3, 4, 5, 6, 8, 9)]  # tab10 without its grey
_BLOCKED_COLOR = "0.82"
_DOCUMENTATION_COLOR = "0.45"
_FEW_ON_DUTY_COLOR = "0.9"
_MARKERS = ("o", "s", "D", "^", "v", "P", "X")


# -- shared helpers -----------------------------------------------------------------------------------------


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """``ax``, or the Axes of a new figure of ``size`` inches laid out so labels do not overlap."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _by_scenario(comparison_or_results: Comparison | Results) -> dict[str, Results]:
    if isinstance(comparison_or_results, Comparison):
        return dict(comparison_or_results.results)
    if isinstance(comparison_or_results, Results):
        return {comparison_or_results.scenario.name: comparison_or_results}
    raise TypeError(f"expected a Comparison or Results, got {type(comparison_or_results).__name__}")


def _scenario_color(index: int) -> str:
    return f"C{index % 10}"


def _clock_axis(axis: Axis, low: float, high: float) -> None:
    """Ticks of ``axis`` as clock times ("08:00"): every hour, or every two hours on long spans."""
    step = 60 if high - low <= 14 * 60 else 120
    axis.set_major_locator(MultipleLocator(step))
    axis.set_minor_locator(MultipleLocator(step / 2))
    axis.set_major_formatter(FuncFormatter(lambda x, _pos: format_clock(x)))


def _visit_colors(scenario: Scenario) -> dict[str, tuple]:
    """A colour per visit type, in the scenario's order (the same in every figure of the scenario)."""
    return {name: _VISIT_PALETTE[i % len(_VISIT_PALETTE)] for i, name in enumerate(scenario.visit_types)}


_DIFFERENCE_UNITS = {
    "fraction": (100, "pts"),
    "%": (1, "pts"),
    "min": (1, "min"),
    "clock min": (1, "min"),
    "currency": (1, ""),
}
"""How an absolute difference is written per KPI unit: scale and suffix (fractions as percentage points)."""


def _format_difference(value: float, unit: str) -> str:
    """An absolute difference in the KPI's own unit, to one decimal ("+2.3 min", "-11.8 pts", "0.0 patients")."""
    if not np.isfinite(value):
        return "n/a"
    scale, suffix = _DIFFERENCE_UNITS.get(unit, (1, unit))
    value = scale * value
    return f"{0.0 if round(value, 1) == 0 else value:+.1f} {suffix}".replace("+0.0", "0.0").strip()


def legend_right(ax: Axes, handles: list) -> None:
    """A legend outside the Axes, to its right, so it never hides data."""
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)


def _log(results: Results, replication: int | None) -> EventLog:
    """The event log of replication ``replication`` (its id), or the first one when None."""
    if replication is None and results.logs:
        return results.logs[0]
    for log in results.logs:
        if log.replication == replication:
            return log
    known = ", ".join(str(log.replication) for log in results.logs)
    raise ValueError(f"no replication {replication} in these results (replications: {known})")


# -- comparisons ------------------------------------------------------------------------------------------

PERCENT_FLOOR = -100.0
"""The left end of ``plot_differences``'s axis at most: a KPI that cannot be negative cannot fall more than 100%."""
PERCENT_CEILING = 300.0
"""The right end of ``plot_differences``'s axis at most (a fourfold value)."""
_NO_PERCENT_UNITS = ("clock min",)
"""Units never shown as % of the baseline mean: a clock time has no zero to be a percentage of."""


def shown_as_percent(baseline_mean: float, unit: str) -> bool:
    """Whether ``plot_differences`` can show a KPI's difference as % of its baseline mean.

    Not for clock times, nor when the baseline mean is 0 as written in the KPI's unit to one decimal (fractions as
    percent): a percentage of nothing, or of a rounding error, is no measure of change. Those KPIs are shown in
    absolute terms instead.
    """
    if unit in _NO_PERCENT_UNITS or not np.isfinite(baseline_mean):
        return False
    scale, _ = _DIFFERENCE_UNITS.get(unit, (1, unit))
    return abs(scale * baseline_mean) >= 0.05


def _format_percent(value: float) -> str:
    """A signed relative difference: one decimal under 10% ("+2.4%", "-0.3%"), whole percents above ("-26%")."""
    if not np.isfinite(value):
        return "n/a"
    text = f"{value:+.1f}%" if abs(value) < 9.95 else f"{value:+.0f}%"
    return "0%" if text in ("+0.0%", "-0.0%") else text


def _percent_view(points: np.ndarray, ends: np.ndarray) -> tuple[float, float]:
    """The range of ``plot_differences``'s axis (% of the baseline mean): every estimate and interval end and 0,
    but no wider than twice the largest estimate (at least ±25%), ``PERCENT_FLOOR`` and ``PERCENT_CEILING``, so
    one wide interval does not flatten every other row; what lies beyond is drawn cut, with an arrow."""
    if len(points) == 0:
        return -25.0, 25.0
    reach = max(25.0, 2 * float(np.max(np.abs(points))))
    values = np.concatenate([points, ends, [0.0]])
    return max(float(values.min()), -reach, PERCENT_FLOOR), min(float(values.max()), reach, PERCENT_CEILING)


def plot_differences(
    comparison: Comparison, *, kpis: Sequence[str] | None = None, confidence: float = 0.95, ax: Axes | None = None
) -> Axes:
    """Forest plot: each KPI's difference from the baseline as % of the baseline mean, with its interval.

    One row per KPI (labels from the registry), one marker per non-baseline scenario. The axis, its ticks and the
    labels on the right are all in % of the baseline mean; each label adds the absolute difference in the KPI's
    unit ("-20% (-3.6 min)"). The axis spans the estimates and their intervals, but not below -100% nor wider than
    twice the largest estimate: an interval that runs beyond is cut at the edge with an arrow (as is an estimate,
    whose value the label still gives). KPIs without a meaningful percentage (``shown_as_percent``: baseline mean
    0, clock times) get a note in their row with the absolute difference and interval instead of a marker.
    Default KPIs: ``DEFAULT_DIFFERENCE_KPIS``.
    """
    kpis = list(DEFAULT_DIFFERENCE_KPIS if kpis is None else kpis)
    unknown = [k for k in kpis if not is_kpi_name(k)]
    if unknown:
        raise ValueError(f"unknown KPIs: {', '.join(unknown)}")
    differences = comparison.differences(confidence=confidence)
    others = [name for name in comparison.scenarios if name != comparison.baseline]
    ax = _axes(ax, (9.5, 0.9 + (0.22 + 0.18 * len(others)) * len(kpis)))
    band = min(0.6, 0.25 * (len(others) - 1))
    offsets = np.linspace(-band / 2, band / 2, len(others)) if len(others) > 1 else np.zeros(1)
    rows = np.arange(len(kpis), dtype=float)
    units = [metric(k).unit for k in kpis]
    tables = {name: differences.loc[name].reindex(kpis) for name in others}
    base = (
        tables[others[0]]["baseline_mean"].to_numpy(dtype=float) if others else np.full(len(kpis), np.nan)
    )  # the same baseline for every plan
    in_percent = np.array([shown_as_percent(b, u) for b, u in zip(base, units)], dtype=bool)
    scale = np.where(in_percent, 100 / np.where(in_percent, np.abs(base), 1.0), np.nan)
    percent = {
        name: {column: t[column].to_numpy(dtype=float) * scale for column in ("difference", "ci_low", "ci_high")}
        for name, t in tables.items()
    }
    points = np.concatenate([p["difference"] for p in percent.values()] or [np.array([])])
    ends = np.concatenate([np.r_[p["ci_low"], p["ci_high"]] for p in percent.values()] or [np.array([])])
    low, high = _percent_view(points[np.isfinite(points)], ends[np.isfinite(ends)])
    pad = max(0.04 * (high - low), 1.0)
    ax.set_xlim(low - pad, high + pad)
    right_ticks, right_labels, right_colors = [], [], []
    any_cut = False
    for k, name in enumerate(others):
        t, p = tables[name], percent[name]
        color = _scenario_color(comparison.scenarios.index(name))
        y = rows + offsets[k]
        tolerance = 1e-6 * (high - low)  # -100% computed as -100.0000001% is on the axis
        inside = np.isfinite(p["difference"]) & (p["difference"] >= low - tolerance)
        inside &= p["difference"] <= high + tolerance
        x = np.where(inside, np.clip(p["difference"], low, high), np.nan)
        left_end = np.clip(p["ci_low"], low, high)
        right_end = np.clip(p["ci_high"], low, high)
        ax.errorbar(
            x,
            y,
            xerr=[np.nan_to_num(np.clip(x - left_end, 0, None)), np.nan_to_num(np.clip(right_end - x, 0, None))],
            fmt=_MARKERS[k % len(_MARKERS)],
            color=color,
            ecolor=color,
            elinewidth=1.5,
            capsize=3,
            markersize=5,
            label=name,
        )
        beyond = np.isfinite(p["difference"]) & ~inside
        cut_left = (inside & (p["ci_low"] < low)) | (beyond & (p["difference"] < low))
        cut_right = (inside & (p["ci_high"] > high)) | (beyond & (p["difference"] > high))
        for cut, edge, marker in ((cut_left, low, "<"), (cut_right, high, ">")):
            if cut.any():
                any_cut = True
                ax.plot(np.full(cut.sum(), edge), y[cut], linestyle="none", marker=marker, markersize=7, color=color)
        for i in np.flatnonzero(~in_percent):
            unit = units[i]
            why = (
                "a clock time"
                if unit in _NO_PERCENT_UNITS
                else f"baseline {format_value(base[i], unit)}"
                if np.isfinite(base[i])
                else "no baseline value"
            )
            difference, ci_low, ci_high = (
                _format_difference(t[c].iloc[i], unit) for c in ("difference", "ci_low", "ci_high")
            )
            ax.text(
                low + 0.02 * (high - low),
                y[i],
                f"{why}, so no %: {difference} ({ci_low.split(' ')[0]} to {ci_high.split(' ')[0]})",
                color=color,
                va="center",
                fontsize="small",
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
            )
        right_ticks += list(y)
        right_labels += [
            _format_difference(v, u) if not shown else f"{_format_percent(r)} ({_format_difference(v, u)})"
            for v, r, u, shown in zip(t["difference"], p["difference"], units, in_percent)
        ]
        right_colors += [color] * len(kpis)
    ax.axvline(0, color="0.25", linewidth=1, zorder=2)
    ax.set_yticks(rows, [metric(k).label for k in kpis])
    ax.set_ylim(len(kpis) - 0.5, -0.5)
    for y in rows[1:] - 0.5:
        ax.axhline(y, color="0.9", linewidth=0.8, zorder=0)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _format_percent(v).replace(".0%", "%")))
    cut = "; ◀ ▶ it runs on beyond the axis" if any_cut else ""
    ax.set_xlabel(f"Difference from {comparison.baseline} (% of its mean), {confidence:.0%} interval{cut}")
    ax.grid(axis="x", color="0.9")
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    right.set_yticks(right_ticks, right_labels, fontsize="small")
    for label, color in zip(right.get_yticklabels(), right_colors):
        label.set_color(color)
    right.tick_params(axis="y", length=0)
    right.set_ylabel("% of the baseline mean (difference in the KPI's unit)", fontsize="small")
    if others:
        ax.legend(title="Plan", loc="best", fontsize="small")
    return ax


def plot_wait_distribution(comparison_or_results: Comparison | Results, *, ax: Axes | None = None) -> Axes:
    """Distribution (ECDF) of every seen patient's provider wait, pooled over replications, per scenario.

    Accepts a Comparison (every scenario) or one Results. The 15-minute mark of ``pct_seen_within_15_min`` is
    drawn, and each legend entry gives the scenario's share of patients seen within it.
    """
    ax = _axes(ax, (8, 4.5))
    target = metric("pct_seen_within_15_min")
    unit = metric("provider_wait_mean_min").unit
    for index, (name, results) in enumerate(_by_scenario(comparison_or_results).items()):
        waits = np.sort(provider_waits(results))
        if len(waits) == 0:
            continue
        share = np.arange(1, len(waits) + 1) / len(waits)
        within = np.mean(waits <= WAIT_TARGET_MIN)
        ax.step(
            np.concatenate([[0.0], waits]),
            np.concatenate([[0.0], share]),
            where="post",
            color=_scenario_color(index),
            linewidth=1.8,
            label=f"{name} ({target.label.lower()}: {within:.0%})",
        )
    ax.axvline(WAIT_TARGET_MIN, color="0.3", linestyle="--", linewidth=1)
    ax.annotate(
        f"{WAIT_TARGET_MIN:g} {unit}",
        (WAIT_TARGET_MIN, 0.02),
        xytext=(4, 0),
        textcoords="offset points",
        color="0.3",
        fontsize="small",
    )
    ax.set_xlim(left=0)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    ax.set_xlabel(f"Provider wait per seen patient ({unit})")
    ax.set_ylabel("Seen patients who waited at most this long")
    ax.grid(color="0.92")
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_census(
    comparison_or_results: Comparison | Results,
    *,
    place: str = "waiting_room",
    step_min: float = 5,
    ax: Axes | None = None,
) -> Axes:
    """Mean number of patients in ``place`` over the day per scenario, with the 10th-90th percentile band.

    Accepts a Comparison (every scenario) or one Results. Places: "waiting_room", "exam_rooms_waiting",
    "clinic" (see ``clinicsim.timeseries.census``). The x axis shows clock times.
    """
    ax = _axes(ax, (9, 4))
    low, high = np.inf, -np.inf
    for index, (name, results) in enumerate(_by_scenario(comparison_or_results).items()):
        series = census(results, place=place, step_min=step_min)
        if series.empty:
            continue
        color = _scenario_color(index)
        times = series.index.to_numpy(dtype=float)
        ax.fill_between(times, series["p10"], series["p90"], color=color, alpha=0.18, linewidth=0)
        ax.plot(times, series["mean"], color=color, linewidth=1.8, label=name)
        low, high = min(low, times[0]), max(high, times[-1])
    if np.isfinite(low):
        ax.set_xlim(low, high)
        _clock_axis(ax.xaxis, low, high)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(f"Patients {PLACES[place]}")
    ax.set_xlabel("Clock time")
    ax.grid(color="0.92")
    ax.legend(title="Mean; band: 10th-90th percentile of days", title_fontsize="small", fontsize="small")
    return ax


# -- one scenario -----------------------------------------------------------------------------------------


FEW_ON_DUTY = 0.5
"""``plot_utilization_heatmap`` greys out an hour of a role when fewer than this share of the role is on duty."""


def plot_utilization_heatmap(results: Results, *, colorbar: bool = True, ax: Axes | None = None) -> Axes:
    """Heatmap of busy / on-duty time per kind of resource (rows) and clock hour (columns), in percent.

    Pooled over the resources of each kind and over replications (``clinicsim.timeseries.utilization_by_hour``);
    the colour scale runs from 0 to 100%. Under each percentage, the mean number of the kind on duty in that hour
    and the kind's headcount ("1.4 of 4"). An hour in which fewer than half of the kind are on duty on average
    (``FEW_ON_DUTY``) is greyed and hatched, not coloured: its percentage is of the few still there (a provider
    finishing the morning's visits over lunch is busy all the time he is on duty). Blank cells are hours when
    nobody of the kind is on duty.
    """
    table = utilization_by_hour(results)
    hours = list(table.columns)
    duty, size = on_duty_by_hour(results)
    on_duty, headcount = duty.loc[table.index, hours].to_numpy(), size.loc[table.index].to_numpy()
    ax = _axes(ax, (max(6.0, 0.75 * table.shape[1] + 3), 0.65 * table.shape[0] + 2.0))
    values = 100 * table.to_numpy(dtype=float)
    few = np.isfinite(values) & (on_duty < FEW_ON_DUTY * headcount[:, None])
    cmap = matplotlib.colormaps["YlOrRd"].with_extremes(bad="white")
    image = ax.imshow(
        np.ma.masked_where(~np.isfinite(values) | few, values), cmap=cmap, vmin=0, vmax=100, aspect="auto"
    )
    for i, j in zip(*np.nonzero(few)):
        ax.add_patch(
            Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=_FEW_ON_DUTY_COLOR, hatch="///", edgecolor="0.7", linewidth=0)
        )
    for (i, j), value in np.ndenumerate(values):
        if np.isfinite(value):
            color = "0.3" if few[i, j] else "white" if value > 65 else "black"
            ax.text(j, i - 0.12, f"{value:.0f}%", ha="center", va="center", fontsize="small", color=color)
            ax.text(
                j,
                i + 0.24,
                f"{on_duty[i, j]:.1f} of {headcount[i]:g}",
                ha="center",
                va="center",
                fontsize="x-small",
                color=color,
            )
    ax.set_xticks(np.arange(len(hours) + 1) - 0.5, [format_clock(60 * h) for h in [*hours, hours[-1] + 1]])
    ax.set_yticks(
        np.arange(len(table.index)), [KIND_LABELS.get(k, k.replace("_", " ").capitalize()) for k in table.index]
    )
    ax.tick_params(length=0)
    ax.set_xlabel("Clock time (in each cell: busy / on-duty time; below it, mean number on duty of the role's total)")
    ax.set_title(f"Utilization by hour: {results.scenario.name}", fontsize="medium")
    if few.any():
        ax.legend(
            handles=[
                Patch(
                    facecolor=_FEW_ON_DUTY_COLOR,
                    hatch="///",
                    edgecolor="0.7",
                    label="fewer than half the role on duty: % of the few still there",
                )
            ],
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            bbox_transform=ax.transAxes + ScaledTranslation(0, -30 / 72, ax.figure.dpi_scale_trans),  # under the label
            fontsize="small",
            frameon=False,
        )
    if colorbar:
        bar = ax.figure.colorbar(image, ax=ax, format=PercentFormatter(decimals=0), fraction=0.04, pad=0.02)
        bar.set_label("Busy / on-duty time")
    return ax


DAY_KPI = "provider_wait_mean_min"
"""The KPI by which ``choose_day`` ranks simulated days."""
Day = int | Literal["typical", "worst"]
"""A simulated day to draw: a replication id, the typical day or the worst day (see ``choose_day``)."""


def _day_waits(results: Results) -> tuple[np.ndarray, np.ndarray]:
    """Replication ids and each day's ``DAY_KPI`` (NaN on a day without a seen patient)."""
    kpis = results.kpis
    return kpis["replication"].to_numpy(dtype=int), kpis[DAY_KPI].to_numpy(dtype=float)


def choose_day(results: Results, day: Day = "typical") -> int:
    """The replication id of the simulated day ``day`` names.

    - an int: that replication id (a ValueError when the results have no such day);
    - "typical": the day whose mean provider wait (``DAY_KPI``) is nearest the median over the days;
    - "worst": the day with the longest mean provider wait.

    Ties go to the day listed first in ``results.kpis``; days without a seen patient (no wait) are passed over, and
    when no day has a wait, the first day is the typical and the worst.
    """
    ids, waits = _day_waits(results)
    if isinstance(day, bool) or not isinstance(day, int | np.integer | str):
        raise TypeError(f"day must be a replication id, 'typical' or 'worst', not {day!r}")
    if not isinstance(day, str):
        if int(day) not in ids:
            known = ", ".join(str(i) for i in ids)
            raise ValueError(f"no replication {day} in these results (replications: {known})")
        return int(day)
    if day not in ("typical", "worst"):
        raise ValueError(f"day must be a replication id, 'typical' or 'worst', not {day!r}")
    if len(ids) == 0:
        raise ValueError("these results have no simulated day")
    if not np.isfinite(waits).any():
        return int(ids[0])
    if day == "worst":
        return int(ids[np.nanargmax(waits)])
    return int(ids[np.nanargmin(np.abs(waits - np.nanmedian(waits)))])


def _day_words(results: Results, day: Day) -> tuple[int, str, str]:
    """The replication id ``choose_day`` picks, which day it is ("day 7 of 30") and why ("typical: ...")."""
    chosen = choose_day(results, day)
    ids, waits = _day_waits(results)
    n, wait = len(ids), waits[list(ids).index(chosen)]
    median = float(np.nanmedian(waits)) if np.isfinite(waits).any() else np.nan
    said = f"mean provider wait {wait:.1f} min" if np.isfinite(wait) else "no patient seen"
    if n == 1:
        why = f"the only simulated day: {said}"
    elif day == "worst":
        why = f"worst: {said}, the longest of the {n} days"
    elif day == "typical":
        why = f"typical: {said}, " + (
            "the median day" if wait == median else f"nearest the median of the {n} days, {median:.1f} min"
        )
    else:
        why = f"{said}; median of the {n} days {median:.1f} min"
    if sorted(ids) == list(range(n)):  # ids 0, 1, ..., as simulate numbers them
        return chosen, f"day {chosen} of {n}", why
    return chosen, f"day {chosen}, one of {n} simulated", why


def describe_day(results: Results, day: Day = "typical") -> str:
    """Which simulated day ``choose_day`` picks and why, in words for a title or a caption: "day 7 of 30 (typical:
    mean provider wait 12.3 min, nearest the median of the 30 days, 12.1 min)"."""
    _, which, why = _day_words(results, day)
    return f"{which} ({why})"


def plot_gantt(
    results: Results, *, day: Day = "typical", replication: int | None = None, ax: Axes | None = None
) -> Axes:
    """One simulated day per provider: scheduled appointments against the visits that actually happened.

    Each row is a working provider. Outlined boxes are the appointments of the plan, at their time and as long as
    the slots the visit holds (one, or its template's ``slots_per_visit``; ``×n`` where several patients are
    booked at the same time); solid bars are the provider visits of the day, coloured by visit type, followed by
    documentation in grey; a cross marks a booked patient who did not come or was turned away.

    ``day`` is a replication id, "typical" (the day whose mean provider wait is nearest the median over the days)
    or "worst" (the longest mean provider wait); see ``choose_day``. The title says which day it is and why
    (``describe_day``). ``replication``, a replication id, is the older name of ``day`` and wins when given.
    """
    if replication is not None:
        day = replication
    chosen, which, why = _day_words(results, day)
    title = f"{results.scenario.name}: appointments and provider visits on {which}\n({why})"
    return _draw_gantt(results, replication=chosen, title=title, ax=ax)


def _draw_gantt(results: Results, *, replication: int, title: str, ax: Axes | None) -> Axes:
    """The Gantt of ``plot_gantt`` for replication id ``replication``, titled ``title``."""
    scenario = results.scenario
    plan = plan_day(scenario)
    log = _log(results, replication)
    colors = _visit_colors(scenario)
    ax = _axes(ax, (11, 1.2 + 0.7 * len(plan.providers)))
    steps, patients = log.steps, log.patients
    visit_type_of = dict(zip(patients["patient"], patients["visit_type"]))
    low, high = np.inf, -np.inf
    used_types: set[str] = set()
    any_missed = False
    for row, day in enumerate(plan.providers):
        slot = scenario.templates[cast(str, day.provider.template_on(scenario.weekday))].slot_min
        booked = Counter(a.time_min for a in day.appointments)
        for a in day.appointments:
            color = colors[a.visit_type]
            ax.add_patch(
                Rectangle(
                    (a.time_min, row - 0.4),
                    a.length_min,
                    0.8,
                    facecolor=(*color[:3], 0.1),
                    edgecolor=color,
                    linewidth=0.8,
                )
            )
            used_types.add(a.visit_type)
        for time, n in booked.items():
            if n > 1:
                ax.text(time + 1, row - 0.38, f"×{n}", fontsize="x-small", va="top", color="0.2")
        missed = (patients["booked_with"] == day.name) & np.isin(patients["status"], ("no_show", "turned_away"))
        if missed.any():
            ax.plot(
                patients["appointment_min"][missed] + slot / 2,
                np.full(missed.sum(), row - 0.3),
                linestyle="none",
                marker="x",
                markersize=5,
                color="0.15",
            )
            any_missed = True
        if day.appointments:
            low = min(low, day.appointments[0].time_min)
            high = max(high, max(a.time_min + a.length_min for a in day.appointments))
        mine = steps["resource"] == day.name
        for charting in (False, True):  # the provider's steps (visits, rechecks, procedures), then charting
            rows = mine & ((steps["step"] == DOCUMENTATION) == charting)
            starts, ends = steps["start_min"][rows], steps["end_min"][rows]
            if charting:
                bars = [(s, e - s) for s, e in zip(starts, ends)]
                ax.broken_barh(bars, (row - 0.2, 0.4), facecolors=_DOCUMENTATION_COLOR)
            else:
                types = [visit_type_of[p] for p in steps["patient"][rows]]
                for visit_type in dict.fromkeys(types):
                    bars = [(s, e - s) for s, e, t in zip(starts, ends, types) if t == visit_type]
                    ax.broken_barh(bars, (row - 0.2, 0.4), facecolors=colors[visit_type])
                    used_types.add(visit_type)
            if len(starts):
                low, high = min(low, starts.min()), max(high, ends.max())
    if np.isfinite(low):
        ax.set_xlim(low - 10, high + 10)
        _clock_axis(ax.xaxis, low, high)
    ax.set_ylim(len(plan.providers) - 0.5, -0.5)
    ax.set_yticks(range(len(plan.providers)), [day.name for day in plan.providers])
    ax.set_xlabel("Clock time")
    ax.grid(axis="x", color="0.9")
    ax.set_axisbelow(True)
    ax.set_title(title, fontsize="medium")
    handles: list[Artist] = [Patch(facecolor=colors[t], label=t) for t in colors if t in used_types]
    handles += [
        Patch(facecolor="white", edgecolor="0.3", linewidth=0.8, label="appointment (its slots)"),
        Patch(facecolor=_DOCUMENTATION_COLOR, label="documentation"),
    ]
    if any_missed:
        handles.append(
            Line2D([], [], linestyle="none", marker="x", markersize=5, color="0.15", label="no-show or turned away")
        )
    legend_right(ax, handles)
    return ax


def plot_template(scenario: Scenario, *, ax: Axes | None = None) -> Axes:
    """The scheduling template of each working provider: one box per visit, as wide as its slots (one, or its
    ``slots_per_visit``), coloured by its visit type.

    Blocked slots are grey. A hatched box with ``×n`` has n patients booked at its start (double booking,
    overbooking, Bailey-Welch or waves); a faded box has none, as when the rule moved its patient earlier. A
    dashed outline is time left open at a session's end because the next visit of the pattern does not fit.
    """
    plan = plan_day(scenario)
    colors = _visit_colors(scenario)
    ax = _axes(ax, (11, 1.2 + 0.55 * len(plan.providers)))
    low, high = np.inf, -np.inf
    used: set[str] = set()
    crowded = empty = left_open = False
    for row, day in enumerate(plan.providers):
        name = cast(str, day.provider.template_on(scenario.weekday))  # a provider of the day's plan works
        template = scenario.templates[name]
        booked = Counter(a.time_min for a in day.appointments)
        for session in template.sessions:
            for visit in place_pattern(session, template):
                start, width, visit_type = visit.start_min, visit.length_min, visit.visit_type
                if not visit.fits:
                    left_open = True
                    ax.add_patch(
                        Rectangle(
                            (start, row - 0.38),
                            session.end - start,
                            0.76,
                            fill=False,
                            edgecolor="0.45",
                            linestyle="--",
                            linewidth=0.8,
                        )
                    )
                    continue
                blocked = visit_type == BLOCKED
                n = 0 if blocked else booked.get(start, 0)
                color = _BLOCKED_COLOR if blocked else colors[visit_type]
                used.add(visit_type)
                ax.add_patch(
                    Rectangle(
                        (start, row - 0.38),
                        width,
                        0.76,
                        facecolor=color,
                        alpha=0.35 if not blocked and n == 0 else 1.0,
                        edgecolor="white",
                        linewidth=1,
                    )
                )
                if n > 1:
                    crowded = True
                    ax.add_patch(
                        Rectangle(
                            (start, row - 0.38),
                            width,
                            0.76,
                            fill=False,
                            hatch="///",
                            edgecolor="0.15",
                            linewidth=0,
                        )
                    )
                    ax.text(
                        start + width / 2,
                        row,
                        f"×{n}",
                        ha="center",
                        va="center",
                        fontsize="small",
                        fontweight="bold",
                        bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "linewidth": 0},
                    )
                empty |= not blocked and n == 0
            low, high = min(low, session.start), max(high, session.end)
    if np.isfinite(low):
        ax.set_xlim(low - 5, high + 5)
        _clock_axis(ax.xaxis, low, high)
    ax.set_ylim(len(plan.providers) - 0.5, -0.5)
    labels = [f"{day.name} ({day.provider.template_on(scenario.weekday)})" for day in plan.providers]
    ax.set_yticks(range(len(plan.providers)), labels)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("Clock time")
    ax.set_title(f"Scheduling templates: {scenario.name} ({scenario.weekday})", fontsize="medium")
    handles = [Patch(facecolor=colors[t], label=t) for t in colors if t in used]
    if BLOCKED in used:
        handles.append(Patch(facecolor=_BLOCKED_COLOR, label="blocked"))
    if crowded:
        handles.append(Patch(facecolor="white", hatch="///", edgecolor="0.15", label="×n patients at this time"))
    if empty:
        handles.append(Patch(facecolor="0.6", alpha=0.35, label="no patient booked at this time"))
    if left_open:
        handles.append(Patch(fill=False, edgecolor="0.45", linestyle="--", label="open: the next visit does not fit"))
    legend_right(ax, handles)
    return ax
