"""Which change buys what, as a table to read: per change, each KPI's effect alone and as added in order.

Cells are "mean ± half-width of the 95% interval" in the KPI's unit; the last rows are all changes together (the
plan against the baseline) and the interaction (together less the sum of the changes alone).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from clinicsim.decomposition import Decomposition
from clinicsim.formatting import format_difference, unit_label
from clinicsim.metrics import find_metric
from clinicsim.reports.verdict import VERDICT_KPIS

LEVER_KPIS = ("provider_wait_mean_min", "patients_seen", "provider_overtime_mean_min", "margin")
"""KPIs the table shows by default (those the plans have)."""


def _cell(difference: float, half_width: float, unit: str) -> str:
    if math.isnan(difference):
        return "-"
    return f"{format_difference(difference, unit)} ± {format_difference(half_width, unit).lstrip('+')}"


def lever_table(decomposition: Decomposition, kpis: Sequence[str] = LEVER_KPIS) -> tuple[list[str], list[list[str]]]:
    """Column headers and rows of text: change, then (alone, added) per KPI."""
    results = decomposition.comparison.results[decomposition.comparison.baseline]
    currency = results.scenario.finance.currency if results.scenario.finance else ""
    kpis = [k for k in kpis if k in results.kpis]
    table = decomposition.table(kpis)
    headers = ["change"]
    for kpi in kpis:
        metric = find_metric(kpi)
        unit = unit_label(metric.unit, currency) if metric else ""
        name = VERDICT_KPIS.get(kpi) or (metric.label if metric else kpi)
        headers += [f"{name}, {unit}: alone" if unit else f"{name}: alone", "added"]
    rows = []
    for change in dict.fromkeys(table.index.get_level_values("change")):
        row = [change]
        for kpi in kpis:
            d = table.loc[(change, kpi)]
            row += [_cell(d["alone_difference"], d["alone_half_width"], d["unit"] or "")]
            row += [_cell(d["added_difference"], d["added_half_width"], d["unit"] or "")]
        rows.append(row)
    return headers, rows


def lever_text(decomposition: Decomposition, kpis: Sequence[str] = LEVER_KPIS) -> str:
    """The table as aligned plain text, with a line on how to read it."""
    headers, rows = lever_table(decomposition, kpis)
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(f"{cell:<{w}}" for cell, w in zip(r, widths)).rstrip() for r in [headers, *rows]]
    order = " -> ".join(label for label, _ in decomposition.order)
    notes = [f"{label}: not a valid plan alone ({why})" for label, why in decomposition.not_alone.items()]
    return "\n".join(
        [
            f"Which change buys what ({decomposition.plan} against {decomposition.baseline}; each change alone, and "
            f"added in the order {order}; ± the 95% CI half-width):",
            *lines,
            *notes,
        ]
    )
