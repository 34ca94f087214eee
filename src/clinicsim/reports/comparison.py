"""The report an administrator reads: one self-contained HTML file, plus CSVs of every table.

It opens with a plain-language summary drawn from the numbers ("Proposed cuts mean provider wait by 6.1 min
(95% CI 4.8 to 7.4)"), says where the waiting happens, then gives the tables with confidence intervals, the
figures (embedded as PNG, so the file needs no network and can be e-mailed), and what differs between the plans'
settings. It is written from a Comparison, or from a single scenario's Results.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from clinicsim import __version__
from clinicsim.comparison import Comparison
from clinicsim.decomposition import Decomposition
from clinicsim.experiment import Results
from clinicsim.formatting import format_difference, format_interval, format_value, unit_label
from clinicsim.metrics import metric as metric_of
from clinicsim.reports.levers import lever_table
from clinicsim.reports.page import Figure, html_template, png_data_uri
from clinicsim.reports.verdict import VERDICT_KPIS, verdicts
from clinicsim.scenario import Scenario
from clinicsim.scenario.changes import diff

logger = logging.getLogger(__name__)

HEADLINE_KPIS = {
    "provider_wait_mean_min": "mean provider wait",
    "pct_seen_within_15_min": "the share of patients seen within 15 minutes",
    "cycle_time_mean_min": "mean cycle time",
    "patients_seen": "patients seen per day",
    "provider_overtime_mean_min": "provider overtime",
    "provider_idle_mean_min": "provider idle time",
    "staff_overtime_mean_min": "staff overtime",
    "left_without_being_seen": "patients leaving without being seen",
}
"""KPIs the summary speaks of, in this order, and how a sentence names them."""


def as_comparison(subject: Comparison | Results) -> Comparison:
    if isinstance(subject, Comparison):
        return subject
    return Comparison(
        results={subject.scenario.name: subject}, baseline=subject.scenario.name, crn=True, seed=subject.seed
    )


def difference_sentence(scenario: str, kpi: str, row: pd.Series) -> str:
    """One KPI's effect in words, e.g. "Proposed lowers mean provider wait by 6.1 min (95% CI -7.4 to -4.8)"."""
    unit = row["unit"]
    interval = f"{format_difference(row['ci_low'], unit)} to {format_difference(row['ci_high'], unit)}"
    phrase = HEADLINE_KPIS.get(kpi, row["label"])
    if not row["excludes_zero"]:
        return f"{scenario}: no clear change in {phrase} (95% CI {interval})."
    verb = "raises" if row["difference"] > 0 else "lowers"
    size = f"{format_difference(abs(row['difference']), unit).lstrip('+')} {unit_label(unit)}".strip()
    return f"{scenario} {verb} {phrase} by {size} (95% CI {interval})."


def summary_sentences(comparison: Comparison, *, leave_out: Collection[str] = ()) -> list[str]:
    """The plain-language summary: the headline KPIs' differences from the baseline, clear ones first (KPIs
    identical on every simulated day, and those in ``leave_out``, are left out)."""
    if len(comparison.results) < 2:
        return []
    table = comparison.differences()
    sentences = []
    for scenario in [s for s in comparison.scenarios if s != comparison.baseline]:
        kpis = [kpi for kpi in HEADLINE_KPIS if kpi not in leave_out and (scenario, kpi) in table.index]
        rows = [(kpi, table.loc[(scenario, kpi)]) for kpi in kpis]
        rows = [(kpi, row) for kpi, row in rows if not (row["difference"] == 0 and row["half_width"] == 0)]
        rows.sort(key=lambda item: not item[1]["excludes_zero"])
        sentences += [difference_sentence(scenario, kpi, row) for kpi, row in rows]
    return sentences


def money_sentences(comparison: Comparison) -> list[str]:
    """The money effect of each plan next to its wait effect, in one sentence per plan."""
    finance = comparison.results[comparison.baseline].scenario.finance
    if len(comparison.results) < 2 or finance is None:
        return []
    table = comparison.differences()
    currency = finance.currency
    sentences = []
    for name in [s for s in comparison.scenarios if s != comparison.baseline]:
        d = {kpi: table.loc[(name, kpi)] for kpi in ("labor_cost", "net_revenue", "patients_seen", "margin")}
        wait = table.loc[(name, "provider_wait_mean_min")]
        if any(np.isnan(row["difference"]) for row in d.values()):
            continue
        margin = d["margin"]
        sentences.append(
            f"{name}: labor cost {d['labor_cost']['difference']:+,.0f} {currency}/day; "
            f"{d['patients_seen']['difference']:+.1f} visits a day, worth {d['net_revenue']['difference']:+,.0f} "
            f"{currency} in net revenue; margin {margin['difference']:+,.0f} {currency}/day (95% CI "
            f"{margin['ci_low']:+,.0f} to {margin['ci_high']:+,.0f}); mean provider wait "
            f"{wait['difference']:+.1f} min."
        )
    return sentences


def wait_sentences(comparison: Comparison) -> list[str]:
    """Where the waiting comes from, one sentence per scenario."""
    sentences = []
    waits = comparison.wait_attribution()
    for name in comparison.scenarios:
        stages = waits.loc[name]
        total = stages["mean"].sum()
        top = stages["mean"].idxmax()
        sentences.append(
            f"{name}: a seen patient waits {total:.1f} min in all; the largest part, "
            f"{stages.at[top, 'mean']:.1f} min ({100 * stages.at[top, 'share']:.0f}%), is the wait "
            f"{stages.at[top, 'label'].lower()}."
        )
    return sentences


def summary_table(comparison: Comparison) -> list[dict]:
    summary = comparison.summary()
    finance = comparison.results[comparison.baseline].scenario.finance
    currency = finance.currency if finance else ""
    rows = []
    kpis = dict.fromkeys(kpi for _, kpi in summary.index)
    for kpi in kpis:
        metric = metric_of(kpi)
        if metric.unit == "currency" and finance is None:
            continue
        cells = []
        for name in comparison.scenarios:
            if (name, kpi) not in summary.index:  # a step or role this scenario does not have
                cells.append(("-", ""))
                continue
            s = summary.loc[(name, kpi)]
            interval = format_interval(s["ci_low"], s["ci_high"], metric.unit)
            cells.append((format_value(s["mean"], metric.unit), interval))
        row = {
            "kpi": kpi,
            "label": metric.label,
            "unit": unit_label(metric.unit, currency),
            "definition": metric.definition,
            "cells": cells,
            "money": metric.unit == "currency",
        }
        rows.append(row)
    return rows


def _differences_table(comparison: Comparison) -> list[dict]:
    if len(comparison.results) < 2:
        return []
    table = comparison.differences()
    rows = []
    for (scenario, kpi), d in table.iterrows():
        unit = d["unit"]
        rows.append(
            {
                "scenario": scenario,
                "label": d["label"],
                "baseline": format_value(d["baseline_mean"], unit),
                "value": format_value(d["scenario_mean"], unit),
                "difference": format_difference(d["difference"], unit),
                "interval": f"{format_difference(d['ci_low'], unit)} to {format_difference(d['ci_high'], unit)}",
                "excludes_zero": bool(d["excludes_zero"]),
                "kpi": kpi,
            }
        )
    return rows


def _wait_rows(comparison: Comparison) -> list[tuple[str, list[pd.Series | None]]]:
    """Each stage any plan has (in order of first appearance), with every plan's wait there (None: no such stage)."""
    waits = comparison.wait_attribution()
    labels = dict(zip(waits.index.get_level_values("stage"), waits["label"]))
    return [
        (label, [waits.loc[(name, stage)] if (name, stage) in waits.index else None for name in comparison.scenarios])
        for stage, label in labels.items()
    ]


def scenario_diff(before: Scenario, after: Scenario) -> list[tuple[str, str, str]]:
    """(setting as a dotted path, value in ``before``, value in ``after``) for every setting that differs, each
    value as written in a scenario file."""
    changes = diff(before.model_dump(mode="json"), after.model_dump(mode="json"))
    return [(path, _show(a), _show(b)) for path, a, b in changes]


def settings_diff(comparison: Comparison) -> dict[str, list[tuple[str, str, str]]]:
    """Per plan other than the baseline, the settings it changes against the baseline (``scenario_diff``)."""
    base = comparison.results[comparison.baseline].scenario
    return {
        name: scenario_diff(base, results.scenario)
        for name, results in comparison.results.items()
        if name != comparison.baseline
    }


def _show(value) -> str:
    """A setting as written in a scenario file: lists and mappings in JSON's flow form, not Python's repr."""
    if value is None:
        return "(not set)"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value)


def figures(comparison: Comparison) -> list[Figure]:
    """Every figure of the report, rendered."""
    from clinicsim import plots

    out = []
    if len(comparison.results) > 1:
        out.append(
            Figure(
                "Differences from the baseline",
                f"Each KPI's mean difference from {comparison.baseline} as % of the baseline mean, with its 95% "
                "interval (paired over the same simulated days); the labels on the right give the same % and the "
                "difference in the KPI's own unit. The axis stops at -100%: an arrow marks an interval that runs on "
                "beyond it. A KPI whose baseline mean is 0, or a clock time, has no %: its row gives the difference "
                "in its unit instead.",
                png_data_uri(plots.plot_differences(comparison)),
            )
        )
    out.append(
        Figure(
            "Provider waits",
            "Distribution of the wait for the provider (from the later of arrival and appointment time), all seen "
            "patients of all simulated days.",
            png_data_uri(plots.plot_wait_distribution(comparison)),
        )
    )
    out.append(
        Figure(
            "Waiting-room census",
            "Patients in the waiting room over the day: mean over simulated days, with the band from the 10th to "
            "the 90th percentile.",
            png_data_uri(plots.plot_census(comparison)),
        )
    )
    for name, results in comparison.results.items():
        out.append(
            Figure(
                f"Utilization by hour: {name}",
                "Busy time over on-duty time, by hour of the day and role, over all simulated days; under each "
                "percentage, the mean number of the role on duty in that hour, of its total. Hours with fewer than "
                "half the role on duty are grey and hatched: their percentage is of the few still there (a provider "
                "finishing the morning's visits over lunch is busy all the time they are on duty).",
                png_data_uri(plots.plot_utilization_heatmap(results)),
            )
        )
        days: tuple[tuple[plots.Day, str], ...] = (
            ("typical", "The typical day is the one whose mean provider wait is nearest the median of the days."),
            ("worst", "The worst day is the one with the longest mean provider wait."),
        )
        for day, why in days:
            out.append(
                Figure(
                    f"Provider day ({day}): {name}",
                    f"Simulated {plots.describe_day(results, day)}: scheduled appointments (outlined) against the "
                    f"visits as they happened (solid). {why}",
                    png_data_uri(plots.plot_gantt(results, day=day)),
                )
            )
        out.append(
            Figure(
                f"Template: {name}",
                "The day's appointment slots per provider, by visit type.",
                png_data_uri(plots.plot_template(results.scenario)),
            )
        )
    return out


def work_section(comparison: Comparison) -> list[dict]:
    """Per plan with work streams: its work figures (open items over the day, response times against targets)
    and who does which share of each stream's minutes."""
    from clinicsim import work_plots

    out = []
    for name, results in comparison.results.items():
        if not results.scenario.work:
            continue
        shares = work_plots.work_shares(results)
        out.append(
            {
                "plan": name,
                "figures": [
                    Figure(
                        f"Work waiting over the day: {name}",
                        "Open items of each stream (arrived, not yet done or dropped), mean over the simulated days.",
                        png_data_uri(work_plots.plot_open_items(results)),
                    ),
                    Figure(
                        f"Response times: {name}",
                        "Hours from an item's arrival to the end of its last stage (after hours included), items "
                        "finished that day; the label's share counts unfinished items as late.",
                        png_data_uri(work_plots.plot_response_times(results)),
                    ),
                ],
                "roles": list(shares.columns),
                "shares": [(stream, [f"{m:,.0f}" for m in row]) for stream, row in shares.iterrows()],
            }
        )
    return out


def render_report(
    subject: Comparison | Results,
    *,
    working_days_per_year: float | None = None,
    decomposition: Decomposition | None = None,
    drawn: list[Figure] | None = None,
) -> str:
    """The report as one self-contained HTML document; it opens with each plan's verdict (money per month and year
    over ``working_days_per_year`` clinic days, by default the baseline scenario's) and, given a
    ``decomposition``, which of the plan's changes buys what. ``drawn``: its ``figures`` if already drawn."""
    comparison = as_comparison(subject)
    template = html_template("report.html.j2")
    any_results = comparison.results[comparison.baseline]
    finance = any_results.scenario.finance
    return template.render(
        title="Plan comparison" if len(comparison.results) > 1 else f"Scenario report: {comparison.baseline}",
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        version=__version__,
        comparison=comparison,
        scenarios=[(name, r.scenario) for name, r in comparison.results.items()],
        replications=any_results.replications,
        seed=comparison.seed,
        advice=comparison.advice.describe() if comparison.advice else None,
        verdicts=verdicts(comparison, working_days_per_year=working_days_per_year),
        pairing_warnings=comparison.pairing_warnings(),
        levers=lever_table(decomposition) if decomposition else None,
        decomposition=decomposition,
        currency=finance.currency if finance else "",
        summary_sentences=summary_sentences(comparison, leave_out=VERDICT_KPIS),  # the verdict has those
        money_sentences=money_sentences(comparison),
        wait_sentences=wait_sentences(comparison),
        summary_rows=summary_table(comparison),
        difference_rows=_differences_table(comparison),
        settings_diff=settings_diff(comparison),
        wait_rows=_wait_rows(comparison),
        figures=figures(comparison) if drawn is None else drawn,
        work=work_section(comparison),
    )


def write_report(
    subject: Comparison | Results,
    out: str | Path,
    *,
    working_days_per_year: float | None = None,
    decomposition: Decomposition | None = None,
    drawn: list[Figure] | None = None,
) -> Path:
    """Write ``report.html`` and CSVs of every table to the directory ``out`` (with ``decomposition``, also
    ``decomposition.csv``); return the report's path. ``drawn``: the report's ``figures`` if already drawn."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    comparison = as_comparison(subject)
    comparison.summary().to_csv(out / "summary.csv")
    comparison.kpis.to_csv(out / "kpis.csv")
    comparison.wait_attribution().to_csv(out / "wait_attribution.csv")
    if len(comparison.results) > 1:
        comparison.differences().to_csv(out / "differences.csv")
    path = out / "report.html"
    if decomposition is not None:
        decomposition.table([k for k in comparison.kpis.columns]).to_csv(out / "decomposition.csv")
    html = render_report(
        comparison, working_days_per_year=working_days_per_year, decomposition=decomposition, drawn=drawn
    )
    path.write_text(html, encoding="utf-8")
    logger.info("report written to %s", path)
    return path
