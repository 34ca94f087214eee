"""The report of a batch sweep: one self-contained HTML file, plus CSVs of its per-point and per-day results.

It reads the sweep's result store (also while the sweep is still running: it then says how far it has got and
draws from the points finished so far) and leads with the answer: the plans on the Pareto front in words (no other
plan beats them on two KPIs at once, e.g. provider wait against margin), each with both KPIs and their 95%
intervals, and the factor settings in which they differ (``front_sentences``). Then it shows what a sweep is for:
which factor moves which KPI (main-effect plots), how two factors work together (a heatmap of one KPI over them),
the Pareto front, the plans ranked by one KPI with their intervals, and a table of the front's plans. Plans are
named by their names where the sweep names them, else "P" and their number; long list and mapping settings by
short labels with a legend. Figures are embedded as PNG, so the file needs no network. A figure whose KPI the
sweep did not keep is left out with a note saying so.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from numbers import Real
from pathlib import Path

import pandas as pd

from clinicsim import __version__, sweep_plots
from clinicsim.formatting import format_interval, format_value, unit_label
from clinicsim.metrics import is_kpi_name, lower_is_better
from clinicsim.metrics import metric as metric_of
from clinicsim.reports.comparison import HEADLINE_KPIS
from clinicsim.reports.page import Figure, html_template, png_data_uri
from clinicsim.statistics import summarize
from clinicsim.sweeps.analysis import (
    BASE_LEVEL,
    MAX_LEVELS,
    factor_levels,
    format_level,
    label_levels,
    level_legend,
    pareto_front,
    point_labels,
    point_means,
    varying_factors,
)
from clinicsim.sweeps.spec import SweepSpec
from clinicsim.sweeps.store import SweepResults, open_sweep

logger = logging.getLogger(__name__)

DEFAULT_KPIS = ("provider_wait_mean_min", "patients_seen", "provider_overtime_mean_min", "margin")
"""KPIs of the main-effect plots by default (those the sweep kept; else its first four)."""

DEFAULT_PARETO = ("provider_wait_mean_min", "margin")
"""The two KPIs of the Pareto front by default: provider wait (lower is better) against margin (higher)."""

RANKED = 30
"""Most plans the ranking chart draws (the best ones)."""


@dataclass
class SweepSnapshot:
    """What a sweep's store held at one moment, read once so that every table and figure agrees."""

    spec: SweepSpec
    kpis: list[str]
    """KPIs the sweep keeps."""
    point_table: pd.DataFrame
    """Every point of the design, finished or not: point, name, scenario hash, factors."""
    replications: pd.DataFrame
    """One row per stored (point, replication)."""
    points: pd.DataFrame = field(repr=False)
    """The long per-point table (as ``SweepResults.points()``) of the points with results."""

    @property
    def factors(self) -> list[str]:
        return [c for c in self.point_table.columns if c not in ("point", "name", "scenario_sha256")]

    @property
    def replications_total(self) -> int:
        return len(self.point_table) * self.spec.replications

    @property
    def complete(self) -> bool:
        return len(self.replications) >= self.replications_total

    @cached_property
    def labels(self) -> dict[int, str]:
        """Each point's label: its name where the sweep names its points, else "P" and its number."""
        return point_labels(self.point_table, design=self.spec.design)

    @cached_property
    def plans(self) -> pd.DataFrame:
        """``point_table`` with short labels for long list and mapping levels (``label_levels``)."""
        return label_levels(self.point_table)

    @cached_property
    def labelled(self) -> pd.DataFrame:
        """``points`` with the short labels of the whole design, as in ``plans``."""
        return label_levels(self.points, self.point_table) if not self.points.empty else self.points


def read_snapshot(results: SweepResults | str | Path, *, confidence: float = 0.95) -> SweepSnapshot:
    """Read a sweep's store once: its spec, points and stored replications, and the per-point summaries."""
    results = results if isinstance(results, SweepResults) else open_sweep(results)
    return snapshot_of(results.spec, results.kpis, results.point_table(), results.replications(), confidence=confidence)


def snapshot_of(
    spec: SweepSpec,
    kpis: list[str],
    point_table: pd.DataFrame,
    replications: pd.DataFrame,
    *,
    confidence: float = 0.95,
) -> SweepSnapshot:
    """A snapshot from a sweep's tables (as ``SweepResults`` gives them), each point summarised over its days."""
    frames = {point: summarize(group[kpis], confidence=confidence) for point, group in replications.groupby("point")}
    if frames:
        summary = pd.concat(frames, names=["point"]).reset_index()
        points = point_table.drop(columns="scenario_sha256", errors="ignore").merge(summary, on="point")
    else:
        points = pd.DataFrame()
    return SweepSnapshot(spec=spec, kpis=kpis, point_table=point_table, replications=replications, points=points)


# -- the parts of the report ------------------------------------------------------------------------------


def _levels_text(values: pd.Series) -> str:
    """A factor's levels over every point of the design: "6, 8, 10", or "2 to 9 (40 values)" for a sample."""
    present = values.dropna()
    numeric = len(present) and all(isinstance(v, Real) and not isinstance(v, bool) for v in present)
    if numeric and present.nunique() > MAX_LEVELS:
        return f"{format_level(present.min())} to {format_level(present.max())} ({present.nunique()} values)"
    return ", ".join(factor_levels(values).cat.categories)


def _factor_rows(snapshot: SweepSnapshot) -> list[dict]:
    rows = []
    for factor in snapshot.factors:
        values = snapshot.plans[factor]
        rows.append({"path": factor, "levels": _levels_text(values), "n": factor_levels(values).nunique()})
    return rows


def _legend_rows(snapshot: SweepSnapshot) -> list[dict]:
    """The full value behind each short label of a factor's level."""
    return [
        {"path": factor, "label": label, "value": value}
        for factor in snapshot.factors
        for value, label in level_legend(snapshot.point_table[factor]).items()
    ]


def _per_day_unit(unit: str) -> str:
    """A KPI's unit as the report writes it after a number ("min"; money is "per day")."""
    return "per day" if unit == "currency" else unit_label(unit)


def _goal(kpi: str) -> str:
    return "lower" if lower_is_better(kpi) else "higher"


def _kpi_rows(kpis: Sequence[str]) -> list[dict]:
    rows = []
    for kpi in kpis:
        metric = metric_of(kpi)
        rows.append(
            {
                "kpi": kpi,
                "label": metric.label,
                "unit": _per_day_unit(metric.unit),
                "goal": _goal(kpi),
                "definition": metric.definition,
            }
        )
    return rows


def _cell(row: pd.Series, kpi: str) -> tuple[str, str]:
    unit = metric_of(kpi).unit
    return format_value(row[kpi], unit), format_interval(row[f"{kpi}_ci_low"], row[f"{kpi}_ci_high"], unit)


def _pareto_rows(snapshot: SweepSnapshot, kpi_x: str, kpi_y: str) -> list[dict]:
    front = pareto_front(snapshot.labelled, kpi_x, kpi_y)
    return [
        {
            "plan": snapshot.labels[int(row["point"])],
            "factors": [format_level(row[f]) for f in snapshot.factors],
            "cells": [_cell(row, kpi_x), _cell(row, kpi_y)],
            "n": int(min(row[f"{kpi_x}_n"], row[f"{kpi_y}_n"])),
        }
        for _, row in front.iterrows()
    ]


def _point_rows(snapshot: SweepSnapshot, kpis: Sequence[str]) -> list[dict]:
    done = snapshot.replications.groupby("point").size()
    means = point_means(snapshot.points, kpis).set_index("point") if not snapshot.points.empty else None
    rows = []
    for _, point in snapshot.plans.iterrows():
        number = int(point["point"])
        cells = ["-"] * len(kpis)
        if means is not None and number in means.index:
            cells = [format_value(means.at[number, k], metric_of(k).unit) for k in kpis]
        rows.append(
            {
                "plan": snapshot.labels[number],
                "factors": [format_level(point[f]) for f in snapshot.factors],
                "n": int(done.get(number, 0)),
                "cells": cells,
            }
        )
    return rows


# -- the answer in words ----------------------------------------------------------------------------------

FRONT_LISTED = 10
"""Most plans of the front the summary names one by one (all are in the Pareto table)."""


def _listing(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


def _phrase(kpi: str) -> str:
    """How a sentence names a KPI ("mean provider wait", "margin")."""
    return HEADLINE_KPIS.get(kpi, metric_of(kpi).label.lower())


def _with_interval(row: pd.Series, kpi: str) -> str:
    """A plan's KPI and its interval: "mean provider wait 4.1 min (95% CI 3.5 to 4.7)"."""
    mean, interval = _cell(row, kpi)
    return f"{_phrase(kpi)} {mean} {_per_day_unit(metric_of(kpi).unit)}".rstrip() + f" (95% CI {interval})"


def _along(front: pd.DataFrame, factors: Sequence[str]) -> list[str]:
    """The settings in which the front's plans differ, from its first plan to its last, and those they share."""
    differ, share = [], []
    for factor in factors:
        levels = [format_level(v) for v in front[factor]]
        steps = [level for k, level in enumerate(levels) if k == 0 or level != levels[k - 1]]
        numbers = pd.to_numeric(pd.Series(steps), errors="coerce")
        monotone = numbers.notna().all() and (numbers.is_monotonic_increasing or numbers.is_monotonic_decreasing)
        if len(steps) == 1:
            share.append(f"{factor} {steps[0]}")
        elif monotone or len(steps) == 2:
            differ.append(f"{factor} goes from {steps[0]} to {steps[-1]}")
        else:
            differ.append(f"{factor} takes {', '.join(steps)} in turn")
    sentences = [f"Along the front, {_listing(differ)}."] if differ else []
    return sentences + ([f"Every plan on it has {_listing(share)}."] if share else [])


def front_sentences(snapshot: SweepSnapshot, kpi_x: str, kpi_y: str) -> list[str]:
    """The answer of the sweep in words, built from the numbers: the plans on the Pareto front of ``kpi_x``
    against ``kpi_y`` by their labels, each with both KPIs and their 95% intervals, and the factor settings in
    which they differ (or, for a front of one plan, its settings). Says when one plan beats every other and when
    the sweep is not finished."""
    missing = [k for k in (kpi_x, kpi_y) if k not in snapshot.kpis]
    if missing:
        return [f"No Pareto front: the sweep does not keep {_listing(missing)}."]
    sentences = []
    if not snapshot.complete:
        sentences.append(
            f"The sweep is not finished ({len(snapshot.replications):,} of {snapshot.replications_total:,} "
            "simulated days done): this is the answer of the days done so far, and it may change."
        )
    if snapshot.points.empty:
        return [*sentences, "No plan has results yet."]
    both = point_means(snapshot.labelled, [kpi_x, kpi_y]).dropna(subset=[kpi_x, kpi_y])
    front = pareto_front(both, kpi_x, kpi_y)
    x, y = _phrase(kpi_x), _phrase(kpi_y)
    if front.empty:
        return [*sentences, f"No plan has both {x} and {y} yet."]
    names = [snapshot.labels[int(p)] for p in front["point"]]
    numbers = [f"{_with_interval(row, kpi_x)} and {_with_interval(row, kpi_y)}" for _, row in front.iterrows()]
    factors = varying_factors(snapshot.labelled)
    if len(front) == 1:
        settings = _listing([f"{f} {format_level(front.at[0, f])}" for f in factors])
        claim = f"is best on both {x} and {y}: no other of the {len(both)} plans beats it on either"
        sentences.append(
            f"One plan, {names[0]}, {claim if len(both) > 1 else 'is the only one with results'}. It has "
            f"{numbers[0]}." + (f" Its settings: {settings}." if settings else "")
        )
        return sentences
    best = {k: "lowest" if lower_is_better(k) else "highest" for k in (kpi_x, kpi_y)}
    sentences.append(
        f"{len(front)} of the {len(both)} plans are on the Pareto front: no other plan beats them on both {x} "
        f"({_goal(kpi_x)} is better) and {y} ({_goal(kpi_y)} is better). The front runs from {names[0]}, with the "
        f"{best[kpi_x]} {x}, to {names[-1]}, with the {best[kpi_y]} {y}."
    )
    sentences += [f"{name}: {text}." for name, text in list(zip(names, numbers))[:FRONT_LISTED]]
    if len(front) > FRONT_LISTED:
        sentences.append(f"The other {len(front) - FRONT_LISTED} plans of the front are in the Pareto table below.")
    ends = front.iloc[[0, -1]]
    overlap = [
        _phrase(k)
        for k in (kpi_x, kpi_y)
        if ends[f"{k}_ci_low"].max(skipna=False) <= ends[f"{k}_ci_high"].min(skipna=False)
    ]
    if overlap:
        sentences.append(
            f"The 95% intervals of {names[0]} and {names[-1]} overlap on {_listing(overlap)}, so the front's two "
            "ends may not truly differ there."
        )
    named = snapshot.spec.design == "points"
    return sentences + (_what_each_changes(front, factors, names) if named else _along(front, factors))


def _what_each_changes(front: pd.DataFrame, factors: Sequence[str], names: Sequence[str]) -> list[str]:
    """For named plans (``design: points``), each is its own set of changes: what each plan of the front sets."""
    described = []
    for name, (_, row) in zip(names[:FRONT_LISTED], front.iterrows()):
        changes = [f"{f} {level}" for f in factors if (level := format_level(row[f])) != BASE_LEVEL]
        described.append(f"{name} sets {_listing(changes)}" if changes else f"{name} is the base plan")
    return [f"What they change: {'; '.join(described)}."] if described else []


def sweep_figures(
    snapshot: SweepSnapshot,
    *,
    kpis: Sequence[str],
    pareto: tuple[str, str] | None,
    heatmap: tuple[str, str, str] | None,
    rank: str | None = None,
) -> tuple[list[Figure], list[str]]:
    """The report's figures, rendered, and a note for each figure left out (and why). ``rank``: the KPI of the
    ranking chart (default: the first of ``pareto``, else of ``kpis``)."""
    figures: list[Figure] = []
    notes: list[str] = []
    if snapshot.points.empty:
        return figures, ["No replication has finished yet: figures appear once results are stored."]
    kept = set(snapshot.kpis)
    points = snapshot.labelled
    varying = varying_factors(points)
    partial = "" if snapshot.complete else " Drawn from the points finished so far."
    for kpi in kpis:
        if kpi not in kept:
            notes.append(f"Main effects on {metric_of(kpi).label}: skipped, the sweep does not keep {kpi}.")
        elif not varying:
            notes.append(f"Main effects on {metric_of(kpi).label}: skipped, no factor varies among finished points.")
        else:
            axes = sweep_plots.plot_main_effects(points, kpi)
            figures.append(
                Figure(
                    f"Main effects on {metric_of(kpi).label.lower()}",
                    "For each factor, the mean over every point at each of its levels of the point means (each "
                    "point: mean over its simulated days), with a 95% interval from the spread of those point "
                    "means, which holds the other factors' effects as well as simulation noise; dashed: the mean "
                    "of all points." + partial,
                    png_data_uri(axes[0]),
                )
            )
    if heatmap is None and len(varying) >= 2 and kpis:
        heatmap = (next((k for k in kpis if k in kept), snapshot.kpis[0]), varying[0], varying[1])
    if heatmap is None:
        notes.append("Heatmap: skipped, it needs two factors that vary among the finished points.")
    elif heatmap[0] not in kept:
        notes.append(f"Heatmap: skipped, the sweep does not keep {heatmap[0]}.")
    elif not set(heatmap[1:]) <= set(snapshot.factors) or heatmap[1] == heatmap[2]:
        notes.append(f"Heatmap: skipped, {heatmap[1]} and {heatmap[2]} are not two factors of this sweep.")
    else:
        kpi, x, y = heatmap
        others = [f for f in varying if f not in (x, y)]
        averaged = f" averaged over {', '.join(others)}" if others else ""
        figures.append(
            Figure(
                f"{metric_of(kpi).label} by {x} and {y}",
                f"Each cell: the mean of the point means at that pair of levels{averaged}. Blue is better, red "
                "worse." + partial,
                png_data_uri(sweep_plots.plot_factor_heatmap(points, kpi, x, y)),
            )
        )
    if pareto is not None:
        missing = [k for k in pareto if k not in kept]
        if missing:
            notes.append(f"Pareto front: skipped, the sweep does not keep {', '.join(missing)}.")
        else:
            kpi_x, kpi_y = pareto
            figures.append(
                Figure(
                    f"Pareto front: {metric_of(kpi_x).label.lower()} against {metric_of(kpi_y).label.lower()}",
                    "Each dot is a plan (its mean over its simulated days). Red plans are not beaten on both KPIs "
                    "by any other plan, shown with 95% intervals and labelled where there is room (all are in the "
                    "table below)." + partial,
                    png_data_uri(sweep_plots.plot_pareto(points, kpi_x, kpi_y, labels=snapshot.labels)),
                )
            )
    rank = rank or (pareto[0] if pareto else next(iter(kpis), None))
    if rank is None:
        return figures, notes
    if rank not in kept:
        notes.append(f"Ranking: skipped, the sweep does not keep {rank}.")
        return figures, notes
    finished = points["point"].nunique()
    best = f" The best {RANKED} of {finished} plans are shown." if finished > RANKED else ""
    figures.append(
        Figure(
            f"Plans ranked by {metric_of(rank).label.lower()}",
            f"Each plan's mean over its simulated days with its 95% interval, the best ({_goal(rank)} is better) at "
            "the top; the shaded band is the best plan's interval, and a plan whose interval reaches it may not truly "
            "differ from the best. Each plan's settings are in the table of all points." + best + partial,
            png_data_uri(sweep_plots.plot_ranking(points, rank, labels=snapshot.labels, top=RANKED)),
        )
    )
    return figures, notes


def _report_kpis(snapshot: SweepSnapshot, kpis: Sequence[str] | None) -> list[str]:
    if kpis is not None:
        unknown = [k for k in kpis if not is_kpi_name(k)]
        if unknown:
            raise ValueError(f"unknown KPIs: {', '.join(unknown)}")
        return list(kpis)
    preferred = [k for k in DEFAULT_KPIS if k in snapshot.kpis]
    return preferred or list(snapshot.kpis[:4])


def render_sweep_report(
    store: SweepResults | SweepSnapshot | str | Path,
    *,
    kpis: Sequence[str] | None = None,
    pareto: tuple[str, str] | None = DEFAULT_PARETO,
    heatmap: tuple[str, str, str] | None = None,
    rank: str | None = None,
) -> str:
    """The sweep report as one self-contained HTML document (see ``write_sweep_report``)."""
    snapshot = store if isinstance(store, SweepSnapshot) else read_snapshot(store)
    kpis = _report_kpis(snapshot, kpis)
    for kpi in [*(pareto or ()), *(heatmap[:1] if heatmap else ()), *([rank] if rank else [])]:
        if not is_kpi_name(kpi):
            raise ValueError(f"unknown KPI: {kpi}")
    figures, notes = sweep_figures(snapshot, kpis=kpis, pareto=pareto, heatmap=heatmap, rank=rank)
    shown = [k for k in kpis if k in snapshot.kpis]
    front: tuple[str, str] | None = (
        pareto if pareto is not None and not snapshot.points.empty and set(pareto) <= set(snapshot.kpis) else None
    )
    spec = snapshot.spec
    done = snapshot.replications.groupby("point").size()
    return html_template("sweep_report.html.j2").render(
        title=spec.name,
        version=__version__,
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        spec=spec,
        points_total=len(snapshot.point_table),
        points_started=int((done > 0).sum()),
        points_complete=int((done >= spec.replications).sum()),
        replications_done=len(snapshot.replications),
        replications_total=snapshot.replications_total,
        complete=snapshot.complete,
        factors=snapshot.factors,
        factor_rows=_factor_rows(snapshot),
        legend_rows=_legend_rows(snapshot),
        answer=front_sentences(snapshot, *pareto) if pareto else [],
        kpi_rows=_kpi_rows(list(dict.fromkeys([*shown, *(front or ())]))),
        figures=figures,
        notes=notes,
        pareto=_kpi_rows(front) if front else None,
        pareto_rows=_pareto_rows(snapshot, *front) if front else [],
        table_kpis=_kpi_rows(shown),
        point_rows=_point_rows(snapshot, shown),
    )


def write_sweep_report(
    store_path: str | Path,
    out_dir: str | Path,
    *,
    kpis: Sequence[str] | None = None,
    pareto: tuple[str, str] | None = DEFAULT_PARETO,
    heatmap: tuple[str, str, str] | None = None,
    rank: str | None = None,
) -> Path:
    """Write ``sweep_report.html``, ``points.csv`` and ``replications.csv`` for the sweep stored at
    ``store_path`` into the directory ``out_dir``; return the report's path.

    ``kpis``: KPIs of the main-effect plots (default: provider wait, patients seen, provider overtime and margin,
    those the sweep keeps). ``pareto``: the two KPIs of the Pareto front, or None for none; each is taken in its
    own direction (the direction its ``Metric`` declares). ``heatmap``: (KPI, x factor, y factor); by default the first
    of ``kpis`` over the first two factors that vary. ``rank``: the KPI by which the plans are ranked (default: the
    first of ``pareto``, else of ``kpis``). Works on an unfinished store (a sweep still running): the
    report says how far the sweep has got. ``points.csv`` is the long per-point table (per point and KPI: mean, sd,
    n and the 95% interval); ``replications.csv`` has one row per simulated day.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    snapshot = read_snapshot(store_path)
    snapshot.points.to_csv(out / "points.csv", index=False)
    snapshot.replications.to_csv(out / "replications.csv", index=False)
    path = out / "sweep_report.html"
    path.write_text(
        render_sweep_report(snapshot, kpis=kpis, pareto=pareto, heatmap=heatmap, rank=rank), encoding="utf-8"
    )
    logger.info("sweep report written to %s", path)
    return path
