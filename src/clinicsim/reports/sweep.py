"""The report of a batch sweep: one self-contained HTML file, plus CSVs of its per-point and per-day results.

It reads the sweep's result store (also while the sweep is still running: it then says how far it has got and
draws from the points finished so far) and shows what a sweep is for: which factor moves which KPI (main-effect
plots), how two factors work together (a heatmap of one KPI over them), and which plans are worth a closer look
because no other plan beats them on two KPIs at once (the Pareto front, e.g. provider wait against margin), with a
table of those plans' settings and KPIs with 95% intervals. Figures are embedded as PNG, so the file needs no
network. A figure whose KPI the sweep did not keep is left out with a note saying so.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path

import pandas as pd

from clinicsim import __version__, sweep_plots
from clinicsim.formatting import format_interval, format_value, unit_label
from clinicsim.metrics import is_kpi_name, lower_is_better
from clinicsim.metrics import metric as metric_of
from clinicsim.reports.page import Figure, html_template, png_data_uri
from clinicsim.statistics import summarize
from clinicsim.sweeps.analysis import (
    MAX_LEVELS,
    factor_levels,
    format_level,
    pareto_front,
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


def read_snapshot(results: SweepResults | str | Path, *, confidence: float = 0.95) -> SweepSnapshot:
    """Read a sweep's store once: its spec, points and stored replications, and the per-point summaries."""
    results = results if isinstance(results, SweepResults) else open_sweep(results)
    spec, kpis, point_table = results.spec, results.kpis, results.point_table()
    replications = results.replications()
    frames = {point: summarize(group[kpis], confidence=confidence) for point, group in replications.groupby("point")}
    if frames:
        summary = pd.concat(frames, names=["point"]).reset_index()
        points = point_table.drop(columns="scenario_sha256").merge(summary, on="point")
    else:
        points = pd.DataFrame()
    return SweepSnapshot(spec=spec, kpis=kpis, point_table=point_table, replications=replications, points=points)


# -- the parts of the report ------------------------------------------------------------------------------


def _levels_text(values: pd.Series) -> str:
    """A factor's levels over every point of the design: "6, 8, 10", or "2 to 9 (40 values)" for a sample."""
    present = values.dropna()
    numeric = present.map(lambda v: isinstance(v, Real) and not isinstance(v, bool)).all() and len(present)
    if numeric and present.nunique() > MAX_LEVELS:
        return f"{format_level(present.min())} to {format_level(present.max())} ({present.nunique()} values)"
    return ", ".join(factor_levels(values).cat.categories)


def _factor_rows(snapshot: SweepSnapshot) -> list[dict]:
    rows = []
    for factor in snapshot.factors:
        values = snapshot.point_table[factor]
        rows.append({"path": factor, "levels": _levels_text(values), "n": factor_levels(values).nunique()})
    return rows


def _kpi_rows(kpis: Sequence[str]) -> list[dict]:
    rows = []
    for kpi in kpis:
        metric = metric_of(kpi)
        rows.append(
            {
                "kpi": kpi,
                "label": metric.label,
                "unit": "per day" if metric.unit == "currency" else unit_label(metric.unit),
                "goal": "lower" if lower_is_better(kpi) else "higher",
                "definition": metric.definition,
            }
        )
    return rows


def _cell(row: pd.Series, kpi: str) -> tuple[str, str]:
    unit = metric_of(kpi).unit
    return format_value(row[kpi], unit), format_interval(row[f"{kpi}_ci_low"], row[f"{kpi}_ci_high"], unit)


def _pareto_rows(snapshot: SweepSnapshot, kpi_x: str, kpi_y: str) -> list[dict]:
    front = pareto_front(snapshot.points, kpi_x, kpi_y)
    return [
        {
            "point": int(row["point"]),
            "name": row["name"],
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
    for _, point in snapshot.point_table.iterrows():
        number = int(point["point"])
        cells = ["-"] * len(kpis)
        if means is not None and number in means.index:
            cells = [format_value(means.at[number, k], metric_of(k).unit) for k in kpis]
        rows.append(
            {
                "point": number,
                "name": point["name"],
                "factors": [format_level(point[f]) for f in snapshot.factors],
                "n": int(done.get(number, 0)),
                "cells": cells,
            }
        )
    return rows


def sweep_figures(
    snapshot: SweepSnapshot,
    *,
    kpis: Sequence[str],
    pareto: tuple[str, str] | None,
    heatmap: tuple[str, str, str] | None,
) -> tuple[list[Figure], list[str]]:
    """The report's figures, rendered, and a note for each figure left out (and why)."""
    figures: list[Figure] = []
    notes: list[str] = []
    if snapshot.points.empty:
        return figures, ["No replication has finished yet: figures appear once results are stored."]
    kept = set(snapshot.kpis)
    varying = varying_factors(snapshot.points)
    partial = "" if snapshot.complete else " Drawn from the points finished so far."
    for kpi in kpis:
        if kpi not in kept:
            notes.append(f"Main effects on {metric_of(kpi).label}: skipped, the sweep does not keep {kpi}.")
        elif not varying:
            notes.append(f"Main effects on {metric_of(kpi).label}: skipped, no factor varies among finished points.")
        else:
            axes = sweep_plots.plot_main_effects(snapshot.points, kpi)
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
                png_data_uri(sweep_plots.plot_factor_heatmap(snapshot.points, kpi, x, y)),
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
                    "by any other plan, shown with 95% intervals and labelled with their point numbers where there "
                    "is room (all are in the table below)." + partial,
                    png_data_uri(sweep_plots.plot_pareto(snapshot.points, kpi_x, kpi_y)),
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
) -> str:
    """The sweep report as one self-contained HTML document (see ``write_sweep_report``)."""
    snapshot = store if isinstance(store, SweepSnapshot) else read_snapshot(store)
    kpis = _report_kpis(snapshot, kpis)
    for kpi in [*(pareto or ()), *(heatmap[:1] if heatmap else ())]:
        if not is_kpi_name(kpi):
            raise ValueError(f"unknown KPI: {kpi}")
    figures, notes = sweep_figures(snapshot, kpis=kpis, pareto=pareto, heatmap=heatmap)
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
        kpi_rows=_kpi_rows(list(dict.fromkeys([*shown, *(front or ())]))),
        figures=figures,
        notes=notes,
        pareto=_kpi_rows(front) if front else None,
        pareto_rows=_pareto_rows(snapshot, *front) if front else [],
        table_kpis=_kpi_rows(shown),
        point_rows=_point_rows(snapshot, shown),
        show_names=spec.design == "points",
    )


def write_sweep_report(
    store_path: str | Path,
    out_dir: str | Path,
    *,
    kpis: Sequence[str] | None = None,
    pareto: tuple[str, str] | None = DEFAULT_PARETO,
    heatmap: tuple[str, str, str] | None = None,
) -> Path:
    """Write ``sweep_report.html``, ``points.csv`` and ``replications.csv`` for the sweep stored at
    ``store_path`` into the directory ``out_dir``; return the report's path.

    ``kpis``: KPIs of the main-effect plots (default: provider wait, patients seen, provider overtime and margin,
    those the sweep keeps). ``pareto``: the two KPIs of the Pareto front, or None for none; each is taken in its
    own direction (the direction its ``Metric`` declares). ``heatmap``: (KPI, x factor, y factor); by default the first
    of ``kpis`` over the first two factors that vary. Works on an unfinished store (a sweep still running): the
    report says how far the sweep has got. ``points.csv`` is the long per-point table (per point and KPI: mean, sd,
    n and the 95% interval); ``replications.csv`` has one row per simulated day.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    snapshot = read_snapshot(store_path)
    snapshot.points.to_csv(out / "points.csv", index=False)
    snapshot.replications.to_csv(out / "replications.csv", index=False)
    path = out / "sweep_report.html"
    path.write_text(render_sweep_report(snapshot, kpis=kpis, pareto=pareto, heatmap=heatmap), encoding="utf-8")
    logger.info("sweep report written to %s", path)
    return path
