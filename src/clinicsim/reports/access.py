"""The access report: one self-contained HTML page on booking over weeks, for one plan or several compared.

It answers first, per plan against the baseline, which access KPIs (third-next-available, lead time, same-day
requests met, continuity, lost demand, backlog, no-shows...) are better and which worse, by paired 95% intervals
that exclude zero, and (when the booked clinic days were simulated) the clinic-day verdict with its money per day,
month and year. Then the access KPIs with their intervals per plan, the figures of ``clinicsim.access.plots``
(embedded as PNG, so the file needs no network), no-shows by lead time, the settings that differ between the plans
and how to read the numbers.

The verdict's sorting into better, worse and noise is ``reports.verdict``'s, the tables are the comparison
report's (``reports.comparison``): this module only chooses the access KPIs and words them.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from clinicsim import __version__
from clinicsim.access import AccessResults
from clinicsim.access import plots as access_plots
from clinicsim.access.names import access_metric
from clinicsim.access.tables import no_shows_by_lead_time
from clinicsim.comparison import Comparison
from clinicsim.formatting import count_of
from clinicsim.reports.comparison import as_comparison, settings_diff, summary_table
from clinicsim.reports.page import Figure, html_template, png_data_uri
from clinicsim.reports.verdict import Verdict, effect, identical, verdicts
from clinicsim.scenario.vocabulary import format_clock

logger = logging.getLogger(__name__)

__all__ = ["ACCESS_VERDICT_KPIS", "AccessFigure", "access_figures", "render_access_report", "write_access_report"]

ACCESS_VERDICT_KPIS = {
    "third_next_available_days": "third-next-available",
    "lead_time_mean_days": "mean lead time",
    "lead_time_p90_days": "90th-percentile lead time",
    "same_day_requests_met_pct": "same-day requests met",
    "continuity_pct": "continuity",
    "lost_demand": "lost demand",
    "sent_to_urgent_care": "requests sent to urgent care",
    "slot_fill_pct": "slots filled",
    "cancellations_per_day": "cancellations",
    "refilled_pct": "cancelled slots refilled",
    "backlog_mean": "backlog",
    "no_show_pct": "no-shows",
    "appointments_per_day": "appointments kept",
}
"""Access KPIs the access verdict weighs, in the order it names them, and how it names them. Requests per day is
left out: it is the demand (the same requests under every plan, plus rebookings), not a result to judge."""


@dataclass(frozen=True)
class AccessFigure:
    """A figure of an access run: which plan it shows (None: the comparison's own), its PNG file name, the figure
    as the report shows it, and whether the report shows it (every plan's demand figure is a file; the report shows
    the baseline's)."""

    plan: str | None
    file: str
    figure: Figure
    in_report: bool = True

    def png(self) -> bytes:
        """The PNG itself (decoded from the data URI)."""
        return base64.b64decode(self.figure.data_uri.split(",", 1)[1])


def _outcome(outcome: AccessResults | Comparison) -> Comparison:
    return as_comparison(outcome)  # type: ignore[arg-type]  # a single AccessResults is wrapped like Results


def _results(comparison: Comparison) -> dict[str, AccessResults]:
    return comparison.results  # type: ignore[return-value]


def access_figures(outcome: AccessResults | Comparison, *, every_plan: bool = False) -> list[AccessFigure]:
    """The report's figures in its order: third-next-available and backlog over weeks per plan, lead times per
    plan, demand against capacity by weekday of the baseline (with ``every_plan``, of every plan, for the files),
    and (plans compared) the access differences."""
    comparison = _outcome(outcome)
    results = _results(comparison)
    out = []
    for name, plan in results.items():
        out.append(
            AccessFigure(
                name,
                "tnaa_backlog.png",
                Figure(
                    f"Third-next-available and backlog by week: {name}",
                    "Per provider, the weekly mean of third-next-available (days from the daily measurement to the "
                    "third open slot a routine request could book, mean over visit types) and of the backlog "
                    "(appointments booked ahead at the measurement); the band is the 95% interval over replications.",
                    png_data_uri(access_plots.tnaa_and_backlog_over_weeks(plan)),
                ),
            )
        )
    for name, plan in results.items():
        out.append(
            AccessFigure(
                name,
                "lead_times.png",
                Figure(
                    f"Lead time by urgency class: {name}",
                    "Share of the booked requests by lead time (days from request to appointment), reported days of "
                    "every replication; dashed: the mean, dotted: the 90th percentile. Follow-ups are booked for the "
                    "day their provider asked for: their lead time is that interval, not a wait (the lead-time KPIs "
                    "leave them out).",
                    png_data_uri(access_plots.lead_time_distribution_plot(plan)),
                ),
            )
        )
    for name, plan in results.items():
        baseline = name == comparison.baseline
        if baseline or every_plan:
            out.append(
                AccessFigure(
                    name,
                    "demand_capacity.png",
                    Figure(
                        f"Demand against capacity by weekday: {name}",
                        "Requests per clinic day of each weekday, stacked by urgency class (every outcome counted), "
                        "against the day's template slots (black dash) and the appointments kept (diamond); under "
                        "each weekday, its reported clinic days per replication.",
                        png_data_uri(access_plots.demand_vs_capacity_by_weekday(plan)),
                    ),
                    in_report=baseline,
                )
            )
    if len(results) > 1:
        out.append(
            AccessFigure(
                None,
                "access_differences.png",
                Figure(
                    "Access differences from the baseline",
                    f"Each headline access KPI's mean difference from {comparison.baseline} as % of the baseline "
                    "mean, with its paired 95% interval (every plan books the same requests); the labels on the "
                    "right give the difference in the KPI's own unit too.",
                    png_data_uri(access_plots.access_differences(comparison)),
                ),
            )
        )
    return out


# -- the verdict ---------------------------------------------------------------------------------------------------


def access_verdicts(comparison: Comparison) -> list[Verdict]:
    """Every plan's verdict on access against the baseline (``reports.verdict``'s better, worse and noise, on
    ``ACCESS_VERDICT_KPIS``; KPIs identical under both plans are left out)."""
    if len(comparison.results) < 2:
        return []
    table = comparison.differences()
    out = []
    for plan in [s for s in comparison.scenarios if s != comparison.baseline]:
        effects = tuple(
            effect(kpi, table.loc[(plan, kpi)], ACCESS_VERDICT_KPIS[kpi])
            for kpi in ACCESS_VERDICT_KPIS
            if (plan, kpi) in table.index and not identical(table.loc[(plan, kpi)])
        )
        out.append(Verdict(plan, comparison.baseline, comparison.replications, effects, None))
    return out


def _headline(verdict: Verdict, runs: str, what: str) -> str:
    """The verdict's headline; when nothing is clear, said of replications of weeks (``Verdict`` says "simulated
    days", which here would be wrong: a replication is a run of weeks)."""
    if verdict.better or verdict.worse:
        return verdict.headline()
    return (
        f"{verdict.plan} and {verdict.baseline} cannot be told apart on {what} over {runs}: no difference is "
        "distinguishable from noise."
    )


def _plan_verdicts(comparison: Comparison, runs: str) -> list[dict]:
    """Per plan: its access verdict and (booked days simulated) its clinic-day verdict, each with its headline."""
    days = _results(comparison)[comparison.baseline].days is not None
    clinic = {v.plan: v for v in verdicts(comparison)} if days else {}
    out = []
    for verdict in access_verdicts(comparison):
        day = clinic.get(verdict.plan)
        out.append(
            {
                "plan": verdict.plan,
                "access": verdict,
                "access_headline": _headline(verdict, runs, "access"),
                "days": day,
                "days_headline": None if day is None else _headline(day, runs, "the clinic days"),
            }
        )
    return out


# -- tables --------------------------------------------------------------------------------------------------------


def _band(interval: pd.Interval) -> str:
    """A lead-time band in days ("0 days", "1-7 days", "61+ days")."""
    low, high = int(interval.left), interval.right
    if math.isinf(high):
        return f"{low}+ days"
    if int(high) - low == 1:
        return f"{low} day{'' if low == 1 else 's'}"
    return f"{low}-{int(high) - 1} days"


def _no_show_rows(comparison: Comparison) -> list[tuple[str, list[tuple[str, str]]]]:
    """Per lead-time band: each plan's kept appointments and no-show %."""
    tables = {name: no_shows_by_lead_time(results) for name, results in _results(comparison).items()}
    bands = next(iter(tables.values())).index
    rows = []
    for band in bands:
        cells = []
        for table in tables.values():
            count, pct = int(table.at[band, "appointments"]), float(table.at[band, "no_show_pct"])
            cells.append((f"{count:,}", "-" if math.isnan(pct) else f"{pct:.1f}%"))
        rows.append((_band(band), cells))
    return rows


def _kpi_rows(comparison: Comparison) -> tuple[list[dict], list[dict]]:
    """The summary table's rows (``reports.comparison``'s), split: access KPIs, then the clinic days' KPIs."""
    rows = summary_table(comparison)
    access = [row for row in rows if access_metric(row["kpi"]) is not None]
    return access, [row for row in rows if access_metric(row["kpi"]) is None]


def _runs(results: AccessResults) -> str:
    return f"{count_of(results.replications, 'replication')} of {count_of(results.weeks, 'week')}"


def render_access_report(outcome: AccessResults | Comparison, *, figures: list[AccessFigure] | None = None) -> str:
    """The access report as one self-contained HTML document (``figures``: those of ``access_figures``, when
    already rendered for the files)."""
    comparison = _outcome(outcome)
    results = _results(comparison)
    baseline = results[comparison.baseline]
    access = baseline.scenario.access
    assert access is not None, "an access run's scenario has an access: section"
    measure_at = access.measure_at if access.measure_at is not None else baseline.scenario.clinic.opens
    finance = baseline.scenario.finance
    several = len(results) > 1
    access_rows, day_rows = _kpi_rows(comparison)
    shown = [f for f in (figures if figures is not None else access_figures(comparison)) if f.in_report]
    template = html_template("access_report.html.j2")
    return template.render(
        title="Access: plans compared" if several else f"Access report: {comparison.baseline}",
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        version=__version__,
        baseline=comparison.baseline,
        several=several,
        scenarios=[(name, r.scenario) for name, r in results.items()],
        weeks=count_of(baseline.weeks, "week"),
        warm_up=count_of(baseline.warm_up, "week") if baseline.warm_up else None,
        replications=count_of(baseline.replications, "replication"),
        seed=comparison.seed,
        days=baseline.days is not None,
        plan_verdicts=_plan_verdicts(comparison, _runs(baseline)) if several else [],
        currency=finance.currency if finance else "",
        access_rows=access_rows,
        day_rows=day_rows,
        figures=[f.figure for f in shown],
        no_show_rows=_no_show_rows(comparison),
        settings_diff=settings_diff(comparison) if several else {},
        measure_at=format_clock(measure_at),
        horizon_days=access.horizon_days,
    )


def write_access_report(
    outcome: AccessResults | Comparison, out: str | Path, *, figures: list[AccessFigure] | None = None
) -> Path:
    """Write ``report.html`` to the directory ``out``; its path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "report.html"
    path.write_text(render_access_report(outcome, figures=figures), encoding="utf-8")
    logger.info("access report written to %s", path)
    return path
